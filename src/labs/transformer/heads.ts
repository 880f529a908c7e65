// Constructors of head sets (NUMERICS.md "Initialisation" and "Presets"): seeded Gaussian
// initialisation with the shared counter-based normal(), the width/depth refinements the
// mean-field checks use, and the sphere-clustering preset.

import { INITIAL_STEP, normal } from '../../math/rng';
import type { Heads } from './types';

export interface HeadInit {
  L: number;
  H: number;
  k: number;
  d: number;
  seed: number;
  /** Standard deviation of the Q and K entries. */
  qkScale: number;
  /** Standard deviation of the V entries; 0 gives the identity flow. */
  vScale: number;
  /** Standard normals are clipped to [-clip, clip] before scaling. */
  clip: number;
}

/**
 * Head p = l*H + h draws normals j = 0..2kd + d^2 - 1 from normal(seed, p, INITIAL_STEP, j):
 * j < kd fills Q row-major, kd <= j < 2kd fills K, the rest V.
 */
export function initHeads(o: HeadInit): Heads {
  const { L, H, k, d } = o;
  const kd = k * d;
  const Q = new Float64Array(L * H * kd);
  const K = new Float64Array(L * H * kd);
  const V = new Float64Array(L * H * d * d);
  const z = (p: number, j: number): number => Math.max(-o.clip, Math.min(o.clip, normal(o.seed, p, INITIAL_STEP, j)));
  for (let p = 0; p < L * H; p++) {
    for (let j = 0; j < kd; j++) {
      Q[p * kd + j] = o.qkScale * z(p, j);
      K[p * kd + j] = o.qkScale * z(p, kd + j);
    }
    if (o.vScale !== 0) for (let j = 0; j < d * d; j++) V[p * d * d + j] = o.vScale * z(p, 2 * kd + j);
  }
  return { L, H, k, d, Q, K, V };
}

export function cloneHeads(h: Heads): Heads {
  return { ...h, Q: Float64Array.from(h.Q), K: Float64Array.from(h.K), V: Float64Array.from(h.V) };
}

/** Gathers heads by source index: out head (l, h) copies source head src(l, h). */
function gather(h: Heads, L: number, H: number, src: (l: number, hh: number) => number): Heads {
  const kd = h.k * h.d;
  const dd = h.d * h.d;
  const out: Heads = { L, H, k: h.k, d: h.d, Q: new Float64Array(L * H * kd), K: new Float64Array(L * H * kd), V: new Float64Array(L * H * dd) };
  for (let l = 0; l < L; l++)
    for (let hh = 0; hh < H; hh++) {
      const p = l * H + hh;
      const s = src(l, hh);
      out.Q.set(h.Q.subarray(s * kd, (s + 1) * kd), p * kd);
      out.K.set(h.K.subarray(s * kd, (s + 1) * kd), p * kd);
      out.V.set(h.V.subarray(s * dd, (s + 1) * dd), p * dd);
    }
  return out;
}

/** Every head twice (heads h and h + H of a layer are copies of head h): the same nu_s. */
export const duplicateHeads = (h: Heads): Heads => gather(h, h.L, 2 * h.H, (l, hh) => l * h.H + (hh % h.H));

/** Every layer twice (layers 2l and 2l + 1 copy layer l): the same piecewise-constant theta(s). */
export const refineLayers = (h: Heads): Heads => gather(h, 2 * h.L, h.H, (l, hh) => Math.floor(l / 2) * h.H + hh);

/**
 * Geshkovski et al. clustering on the sphere: one head per layer, Q = K = sqrt(beta) I (logits
 * beta <x, y>), V = T I, so L layers of dt = 1/L integrate the flow over depth time T.
 */
export function clusteringHeads(d: number, beta: number, T: number, L: number): Heads {
  const Q = new Float64Array(L * d * d);
  const V = new Float64Array(L * d * d);
  for (let l = 0; l < L; l++)
    for (let c = 0; c < d; c++) {
      Q[(l * d + c) * d + c] = Math.sqrt(beta);
      V[(l * d + c) * d + c] = T;
    }
  return { L, H: 1, k: d, d, Q, K: Float64Array.from(Q), V };
}
