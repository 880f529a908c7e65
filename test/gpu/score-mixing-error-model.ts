// Float32 error model of the tiled online log-sum-exp denoiser (shaders/lib/denoise.wgsl), used
// to state the GPU tests' tolerances per query instead of one global epsilon.
//
// The GPU sees f32-rounded atoms, queries and t, so the expected values are the float64
// reference (src/math/heat.ts) evaluated at those rounded inputs; what remains is the f32
// arithmetic of the kernel:
//  * logit_j = log w_j - |x - y_j|^2/(4t): the D-term distance, the scaling and the subtraction
//    each round, so |d logit_j| <= eps ((D + 3) L_j + |log w_j|), L_j = |x - y_j|^2/(4t);
//    exp(logit_j - M) adds the WGSL bound (3 + 2|logit_j - M|) ulp.
//  * A logit error moves the softmax: dm = sum_j p_j dlogit_j (y_j - m) and
//    d log u = sum_j p_j dlogit_j, so the sensitivity is large only where atoms nearly tie
//    (p_j bounded away from 0 and 1 for two atoms), which is what the small-t and coincident-atom
//    cases probe. Far-away queries have huge L_j but one dominant atom, so the bound stays small.
//  * The running sums add ~sqrt(n) eps relative rounding (sums of positive terms, random-walk
//    model; the worst case n eps is far too pessimistic to test anything).
// Every tolerance below multiplies this model by a safety factor SAFETY = 4.

import type { Measure } from '../../src/labs/score-mixing/types';

export const EPS = 2 ** -24;
export const SAFETY = 4;

/** The measure as the GPU sees it: coordinates rounded to f32 (weights stay; log w rounding is in the model). */
export function roundMeasure(m: Measure): Measure {
  return { ...m, points: Float64Array.from(m.points, Math.fround) };
}

export interface DenoiseErrorBound {
  /** Bound on |m_gpu - m| (Euclidean). */
  mean: number;
  /** Bound on |log u_gpu - log u|. */
  logU: number;
  /** Bound on |d^2_gpu - d^2| (squared distance to the support). */
  dist2: number;
}

/** Error bound of the f32 denoiser of `m` at (t, x), from the float64 softmax at the same inputs. */
export function denoiseErrorBound(m: Measure, t: number, x: ArrayLike<number>): DenoiseErrorBound {
  const { d, n, points, weights } = m;
  const L = new Float64Array(n);
  const logit = new Float64Array(n);
  let M = -Infinity;
  let d2min = Infinity;
  let ymax = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const diff = x[i] - points[j * d + i];
      s += diff * diff;
      ymax = Math.max(ymax, Math.abs(points[j * d + i]));
    }
    d2min = Math.min(d2min, s);
    L[j] = s / (4 * t);
    logit[j] = Math.log(weights[j]) - L[j];
    M = Math.max(M, logit[j]);
  }
  const p = Float64Array.from(logit, (l) => Math.exp(l - M));
  const S = p.reduce((a, b) => a + b, 0);
  const mean = new Float64Array(d);
  for (let j = 0; j < n; j++) {
    p[j] /= S;
    for (let i = 0; i < d; i++) mean[i] += p[j] * points[j * d + i];
  }
  let meanErr = 0;
  let logErr = 0;
  for (let j = 0; j < n; j++) {
    const dl = EPS * ((d + 3) * L[j] + Math.abs(Math.log(weights[j])) + 3 + 2 * Math.abs(logit[j] - M));
    let r = 0;
    for (let i = 0; i < d; i++) r += (points[j * d + i] - mean[i]) ** 2;
    meanErr += p[j] * dl * Math.sqrt(r);
    logErr += p[j] * dl;
  }
  const sumRounding = (8 + 2 * Math.sqrt(n)) * EPS;
  const halfLog = (d / 2) * Math.abs(Math.log(4 * Math.PI * t));
  return {
    mean: SAFETY * (meanErr + sumRounding * ymax * Math.sqrt(d)),
    logU: SAFETY * (logErr + sumRounding + EPS * (Math.abs(M) + Math.log(S) + halfLog)),
    dist2: SAFETY * (d + 2) * EPS * d2min + 1e-30,
  };
}
