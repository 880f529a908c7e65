// Fine float64 reference of the score-mixing probability-flow ODE for the convergence study
// (convergence.ts) and the initialisation error (init-error.ts): each particle integrated on its
// own in similarity time tau = -log t,
//   dX/dtau = -(X - m_lam(e^-tau, X)) / 2,   tau from -log T to -log tMin,
// (the drift reference.ts's Heun and RK4 step through) with the adaptive Dormand–Prince 5(4) of
// src/math/ode.ts. Per particle, because particles do not interact: one particle near a Voronoi
// boundary (where m_lam turns fast at small t) then takes small steps without forcing them on all.
// Tolerances: rtol, and atol = rtol x the scale of the problem (the largest atom coordinate, or
// sqrt(2 tMin) when every atom sits at 0), so the error control is relative to the geometry,
// not to |X|, which may pass through 0.

import { denoiseAt } from '../../math/heat';
import { OnlineLogSumExp } from '../../math/logsumexp';
import { dopri5 } from '../../math/ode';
import type { Measure } from './types';

/** Default relative tolerance of the fine reference (NUMERICS.md, "Convergence study"). */
export const REFERENCE_RTOL = 1e-13;

export interface FlowProblem {
  mu1: Measure;
  mu2: Measure;
  lambda: number;
  /** Start time (X given at t = T) and end time, tMin < T. */
  T: number;
  tMin: number;
}

export interface FlowResult {
  /** X(tMin), count*d row-major. */
  x: Float64Array;
  /** Mean drift evaluations and accepted steps per particle. */
  evaluations: number;
  accepted: number;
  rtol: number;
  atol: number;
}

/** The length scale atol is taken relative to: the largest |atom coordinate|, else sqrt(2 tMin). */
export function problemScale(p: FlowProblem): number {
  let s = 0;
  for (const m of [p.mu1, p.mu2]) for (const v of m.points) s = Math.max(s, Math.abs(v));
  return s > 0 ? s : Math.sqrt(2 * p.tMin);
}

/**
 * The drift f(tau, y) = -(y - m_lam(e^-tau, y))/2 with its own scratch. A measure whose
 * coefficient is exactly 0 (lambda = 0 or 1) is skipped: its term is 0 whatever m is.
 */
export function mixedDrift(p: FlowProblem): (tau: number, y: Float64Array, out: Float64Array) => void {
  const d = p.mu1.d;
  const m1 = new Float64Array(d);
  const m2 = new Float64Array(d);
  const acc = new OnlineLogSumExp();
  const c1 = p.lambda;
  const c2 = 1 - p.lambda;
  return (tau, y, out) => {
    const t = Math.exp(-tau);
    if (c1 !== 0) denoiseAt(p.mu1, t, y, 0, m1, 0, acc);
    if (c2 !== 0) denoiseAt(p.mu2, t, y, 0, m2, 0, acc);
    for (let i = 0; i < d; i++) {
      const m = (c1 !== 0 ? c1 * m1[i] : 0) + (c2 !== 0 ? c2 * m2[i] : 0);
      out[i] = -(y[i] - m) / 2;
    }
  };
}

/**
 * Integrates every particle of x0 (count*d, at t = T) to t = tMin. `onParticle` (optional) is
 * called after each particle with the number done, for progress.
 */
export function referenceFlow(
  p: FlowProblem,
  x0: Float64Array,
  rtol = REFERENCE_RTOL,
  onParticle?: (done: number) => void,
): FlowResult {
  const d = p.mu1.d;
  if (p.mu2.d !== d) throw new Error(`referenceFlow: mu1 is in R^${d} but mu2 in R^${p.mu2.d}`);
  if (x0.length % d !== 0) throw new Error(`referenceFlow: x0 has length ${x0.length}, not a multiple of d = ${d}`);
  if (!(p.tMin > 0 && p.tMin < p.T)) throw new Error(`referenceFlow: need 0 < tMin < T, got tMin = ${p.tMin}, T = ${p.T}`);
  const count = x0.length / d;
  const atol = rtol * problemScale(p);
  const f = mixedDrift(p);
  const tau0 = -Math.log(p.T);
  const tau1 = -Math.log(p.tMin);
  const x = new Float64Array(x0.length);
  let evaluations = 0;
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    const r = dopri5(f, tau0, x0.subarray(i * d, (i + 1) * d), [tau1], { rtol, atol });
    x.set(r.y, i * d);
    evaluations += r.stats.evaluations;
    accepted += r.stats.accepted;
    onParticle?.(i + 1);
  }
  return { x, evaluations: evaluations / Math.max(1, count), accepted: accepted / Math.max(1, count), rtol, atol };
}

/** Root-mean-square over particles of |a_p - b_p| (count*d each): the study's error measure. */
export function rmsDistance(a: ArrayLike<number>, b: ArrayLike<number>, d: number, count = a.length / d): number {
  let sum = 0;
  for (let i = 0; i < count * d; i++) {
    const e = a[i] - b[i];
    sum += e * e;
  }
  return Math.sqrt(sum / Math.max(1, count));
}

/** Root-mean-square particle norm sqrt(mean_p |x_p|^2), the scale of the rounding floor. */
export function rmsNorm(x: ArrayLike<number>, d: number): number {
  return rmsDistance(x, new Float64Array(x.length), d);
}
