// Head particles in a 2-D picture of parameter space (DOM-free). Each head (l, h) is the vector
// theta_{l,h} = (Q, K, V) flattened (2kd + d^2 entries: Q row-major, then K, then V); the page
// shows every head as a point, with a line from where it started (the initial heads of the config)
// to where it is now. Two projections:
//   entries  two chosen coordinates of theta, e.g. Q[0][0] against V[1][1];
//   pca      the top two principal directions of the initial and current heads together (centred),
//            so the directions training moves heads along (e.g. V, which starts at 0) are seen.
//            Eigenvectors are sign-fixed (largest |entry| positive) so the picture does not flip.

import { symmetricEigen } from '../../../math/linalg';
import type { Heads } from '../types';

export type HeadProjection = { kind: 'pca' } | { kind: 'entries'; a: number; b: number };

export interface HeadsLike {
  L: number;
  H: number;
  k: number;
  d: number;
  Q: ArrayLike<number>;
  K: ArrayLike<number>;
  V: ArrayLike<number>;
}

/** Entries per head: 2kd + d^2. */
export const headSize = (k: number, d: number): number => 2 * k * d + d * d;

/** Names of the flattened coordinates: Q[r][c], K[r][c], V[r][c]. */
export function headCoordinateNames(k: number, d: number): string[] {
  const out: string[] = [];
  for (const [m, rows] of [['Q', k], ['K', k], ['V', d]] as const) for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) out.push(`${m}[${r}][${c}]`);
  return out;
}

/** LH x p, row p = l*H + h. */
export function flattenHeads(h: HeadsLike): Float64Array {
  const { k, d } = h;
  const kd = k * d;
  const dd = d * d;
  const p = headSize(k, d);
  const LH = h.L * h.H;
  const out = new Float64Array(LH * p);
  for (let i = 0; i < LH; i++) {
    for (let j = 0; j < kd; j++) {
      out[i * p + j] = h.Q[i * kd + j];
      out[i * p + kd + j] = h.K[i * kd + j];
    }
    for (let j = 0; j < dd; j++) out[i * p + 2 * kd + j] = h.V[i * dd + j];
  }
  return out;
}

export interface HeadPicture {
  /** LH x 2 start and current positions. */
  start: Float64Array;
  current: Float64Array;
  axes: [string, string];
  /** Layer of each head (for colouring). */
  layer: Int32Array;
  /** Mean |theta - theta0| over the heads (full parameter space, not the projection). */
  meanDisplacement: number;
}

/** Rows used to estimate the PCA covariance at most (heads are thinned by stride beyond this). */
const PCA_ROWS = 4096;

function pcaAxes(a: Float64Array, b: Float64Array, rows: number, p: number): { axes: [Float64Array, Float64Array]; centre: Float64Array; share: [number, number] } {
  const stride = Math.max(1, Math.ceil((2 * rows) / PCA_ROWS));
  const centre = new Float64Array(p);
  let m = 0;
  for (const src of [a, b])
    for (let i = 0; i < rows; i += stride) {
      for (let j = 0; j < p; j++) centre[j] += src[i * p + j];
      m++;
    }
  for (let j = 0; j < p; j++) centre[j] /= m;
  const C = new Float64Array(p * p);
  const x = new Float64Array(p);
  for (const src of [a, b])
    for (let i = 0; i < rows; i += stride) {
      for (let j = 0; j < p; j++) x[j] = src[i * p + j] - centre[j];
      for (let r = 0; r < p; r++) for (let c = r; c < p; c++) C[r * p + c] += x[r] * x[c];
    }
  for (let r = 0; r < p; r++) for (let c = 0; c < r; c++) C[r * p + c] = C[c * p + r];
  const { values, vectors } = symmetricEigen(C, p);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0) || 1;
  const axis = (col: number): Float64Array => {
    const v = Float64Array.from({ length: p }, (_, r) => (col < p ? vectors[r * p + col] : 0));
    let big = 0;
    for (let r = 1; r < p; r++) if (Math.abs(v[r]) > Math.abs(v[big])) big = r;
    if (v[big] < 0) for (let r = 0; r < p; r++) v[r] = -v[r];
    return v;
  };
  return { axes: [axis(0), axis(1)], centre, share: [Math.max(0, values[0] ?? 0) / total, Math.max(0, values[1] ?? 0) / total] };
}

/** Start (initial heads) and current positions of every head in the chosen projection. */
export function projectHeads(initial: HeadsLike, current: HeadsLike, mode: HeadProjection): HeadPicture {
  const { k, d } = current;
  const p = headSize(k, d);
  const LH = current.L * current.H;
  const a = flattenHeads(initial);
  const b = flattenHeads(current);
  const start = new Float64Array(2 * LH);
  const now = new Float64Array(2 * LH);
  const layer = Int32Array.from({ length: LH }, (_, i) => Math.floor(i / current.H));
  let disp = 0;
  for (let i = 0; i < LH; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += (b[i * p + j] - a[i * p + j]) ** 2;
    disp += Math.sqrt(s) / LH;
  }
  let axes: [string, string];
  if (mode.kind === 'entries') {
    const names = headCoordinateNames(k, d);
    const ea = Math.min(p - 1, Math.max(0, mode.a));
    const eb = Math.min(p - 1, Math.max(0, mode.b));
    for (let i = 0; i < LH; i++) {
      start[2 * i] = a[i * p + ea];
      start[2 * i + 1] = a[i * p + eb];
      now[2 * i] = b[i * p + ea];
      now[2 * i + 1] = b[i * p + eb];
    }
    axes = [names[ea], names[eb]];
  } else {
    const { axes: [u, v], centre, share } = pcaAxes(a, b, LH, p);
    const proj = (src: Float64Array, i: number, w: Float64Array): number => {
      let s = 0;
      for (let j = 0; j < p; j++) s += (src[i * p + j] - centre[j]) * w[j];
      return s;
    };
    for (let i = 0; i < LH; i++) {
      start[2 * i] = proj(a, i, u);
      start[2 * i + 1] = proj(a, i, v);
      now[2 * i] = proj(b, i, u);
      now[2 * i + 1] = proj(b, i, v);
    }
    axes = [`PC1 (${(100 * share[0]).toFixed(0)}% var.)`, `PC2 (${(100 * share[1]).toFixed(0)}% var.)`];
  }
  return { start, current: now, axes, layer, meanDisplacement: disp };
}

/** Heads from float32 read-backs as float64 (what the float64 CPU algorithms take). */
export function headsFrom(shape: Pick<Heads, 'L' | 'H' | 'k' | 'd'>, Q: ArrayLike<number>, K: ArrayLike<number>, V: ArrayLike<number>): Heads {
  return { L: shape.L, H: shape.H, k: shape.k, d: shape.d, Q: Float64Array.from(Q), K: Float64Array.from(K), V: Float64Array.from(V) };
}
