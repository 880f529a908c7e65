// Seeded sequence generators (NUMERICS.md "Data"): every token is a pure function of
// (seed, token index), drawn with the counter-based RNG of src/math/rng.ts, so a GPU run and this
// reference can regenerate the same batch.

import { cholesky } from '../../math/linalg';
import { INITIAL_STEP, normal, uniformPair } from '../../math/rng';
import type { TokenBatch, TokenDistribution } from './types';

/** Counter step of the component choice of mixture tokens (distinct from the normals' step). */
export const COMPONENT_STEP = INITIAL_STEP - 1;

export interface BatchShape {
  batch: number;
  n: number;
  d: number;
  seed: number;
  /** Add one CLS/query token per sequence (token index batch*n + b, drawn like the others). */
  query?: boolean;
}

/** Builds a batch with uniform weights pi = 1/n from a per-token sampler. */
function build(s: BatchShape, draw: (token: number, out: Float64Array, off: number) => void): TokenBatch {
  const { batch, n, d } = s;
  const x = new Float64Array(batch * n * d);
  for (let t = 0; t < batch * n; t++) draw(t, x, t * d);
  let query: Float64Array | null = null;
  if (s.query) {
    query = new Float64Array(batch * d);
    for (let b = 0; b < batch; b++) draw(batch * n + b, query, b * d);
  }
  return { batch, n, d, x, logPi: new Float64Array(batch * n).fill(-Math.log(n)), query };
}

/** Gaussian tokens x = scale z, z_j = normal(seed, token, INITIAL_STEP, j). */
export function gaussianBatch(s: BatchShape, scale = 1): TokenBatch {
  return build(s, (t, out, off) => {
    for (let j = 0; j < s.d; j++) out[off + j] = scale * normal(s.seed, t, INITIAL_STEP, j);
  });
}

/** Uniform tokens in [-half, half]^d: coordinate j uses uniformPair(seed, token, INITIAL_STEP, floor(j/2))[j % 2]. */
export function uniformBoxBatch(s: BatchShape, half = 1): TokenBatch {
  return build(s, (t, out, off) => {
    for (let j = 0; j < s.d; j++) out[off + j] = half * (2 * uniformPair(s.seed, t, INITIAL_STEP, j >> 1)[j & 1] - 1);
  });
}

/**
 * Gaussian-mixture tokens: component c is the first with u < cumulative weight,
 * u = uniformPair(seed, token, COMPONENT_STEP, 0)[0]; then x = m_c + chol(S_c) z with z as in gaussianBatch.
 */
export function mixtureBatch(s: BatchShape, mix: Extract<TokenDistribution, { kind: 'gaussianMixture' }>): TokenBatch {
  const d = s.d;
  const C = mix.weights.length;
  const chols = Array.from({ length: C }, (_, c) => {
    const L = cholesky(mix.covs.subarray(c * d * d, (c + 1) * d * d), d);
    if (!L) throw new Error(`mixtureBatch: covariance ${c} is not positive definite`);
    return L;
  });
  const z = new Float64Array(d);
  return build(s, (t, out, off) => {
    const u = uniformPair(s.seed, t, COMPONENT_STEP, 0)[0];
    let c = 0;
    for (let acc = mix.weights[0]; c < C - 1 && u >= acc; acc += mix.weights[++c]);
    for (let j = 0; j < d; j++) z[j] = normal(s.seed, t, INITIAL_STEP, j);
    for (let i = 0; i < d; i++) {
      let v = mix.means[c * d + i];
      for (let j = 0; j <= i; j++) v += chols[c][i * d + j] * z[j];
      out[off + i] = v;
    }
  });
}

/** A discrete distribution of n Gaussian atoms (scale) with weights in (0.5, 1.5], normalised. */
export function randomDiscrete(seed: number, index: number, n: number, d: number, scale = 1): TokenDistribution {
  const points = new Float64Array(n * d);
  const weights = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) points[i * d + j] = scale * normal(seed, index * n + i, INITIAL_STEP, j);
    weights[i] = 0.5 + uniformPair(seed, index * n + i, COMPONENT_STEP, 0)[0];
    sum += weights[i];
  }
  return { kind: 'discrete', d, points, weights: weights.map((w) => w / sum) };
}

/** mu(. - t): F gains the affine term <z, t>. */
export function translate(mu: TokenDistribution, t: ArrayLike<number>): TokenDistribution {
  const shift = (a: Float64Array): Float64Array => a.map((v, i) => v + t[i % mu.d]);
  if (mu.kind === 'discrete') return { ...mu, points: shift(mu.points) };
  if (mu.kind === 'gaussianMixture') return { ...mu, means: shift(mu.means) };
  return { ...mu, lo: shift(mu.lo), hi: shift(mu.hi) };
}

/** Convolution of two discrete distributions (atoms x + y, weights w_x w_y): F adds. */
export function convolveDiscrete(a: TokenDistribution, b: TokenDistribution): TokenDistribution {
  if (a.kind !== 'discrete' || b.kind !== 'discrete') throw new Error('convolveDiscrete: discrete inputs only');
  const d = a.d;
  const na = a.weights.length;
  const nb = b.weights.length;
  const points = new Float64Array(na * nb * d);
  const weights = new Float64Array(na * nb);
  for (let i = 0; i < na; i++)
    for (let j = 0; j < nb; j++) {
      weights[i * nb + j] = a.weights[i] * b.weights[j];
      for (let c = 0; c < d; c++) points[(i * nb + j) * d + c] = a.points[i * d + c] + b.points[j * d + c];
    }
  return { kind: 'discrete', d, points, weights };
}
