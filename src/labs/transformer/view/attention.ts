// Attention weights of one token at one layer, for the page's "selected token" view (DOM-free,
// float64 on the CPU from read-back states and heads). Same definition as NUMERICS.md "One head on
// one sequence": W_ij = softmax_j(<Q z_i, K z_j> + log pi_j) over the n key tokens of the
// sequence (the query/CLS row is never a key), here averaged over the H heads of the layer, which
// is the mixing the layer velocity v_l = (1/H) sum_h V_h sum_j W^h_ij z_j applies before V.
// The per-head weights are reference.ts headAttention (the forward's own logits).

import { headAttention } from '../reference';
import type { Heads, TokenBatch } from '../types';

export interface AttentionWeights {
  layer: number;
  sequence: number;
  /** The attending row (a token i < n, or n for the query token). */
  row: number;
  /** n: (1/H) sum_h W^h_{row, j}. */
  mean: Float64Array;
  /** H x n: W^h_{row, j} per head. */
  perHead: Float64Array;
}

/**
 * Weights of row `row` of sequence `b` under the heads of layer `l`. `Z` is the state X^l in the
 * flow layout (batch x rows x d) of the batch `tb` (its n, log-weights and query rows).
 */
export function attentionWeights(heads: Heads, l: number, tb: TokenBatch, Z: ArrayLike<number>, b: number, row: number): AttentionWeights {
  const { H } = heads;
  const { n } = tb;
  if (!(l >= 0 && l < heads.L)) throw new RangeError(`layer ${l} outside 0..${heads.L - 1}`);
  const z = Z instanceof Float64Array ? Z : Float64Array.from(Z);
  const perHead = new Float64Array(H * n);
  const mean = new Float64Array(n);
  for (let h = 0; h < H; h++) {
    const w = headAttention(heads, l * H + h, tb, z, b, row);
    perHead.set(w, h * n);
    for (let j = 0; j < n; j++) mean[j] += w[j] / H;
  }
  return { layer: l, sequence: b, row, mean, perHead };
}

/** Keys sorted by mean weight, largest first (for the "strongest keys" read-out). */
export function strongestKeys(w: AttentionWeights, count: number): { key: number; weight: number }[] {
  return Array.from(w.mean, (weight, key) => ({ key, weight }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, count);
}

/** Shannon entropy of the mean weights in nats, and its maximum log n (uniform attention). */
export function attentionEntropy(w: AttentionWeights): { entropy: number; max: number } {
  let e = 0;
  for (const p of w.mean) if (p > 0) e -= p * Math.log(p);
  return { entropy: e, max: Math.log(w.mean.length) };
}
