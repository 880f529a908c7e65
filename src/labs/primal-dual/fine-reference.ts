// The adaptive float64 reference of the primal-dual dynamics: src/math/ode.ts's Dormand–Prince
// 5(4) on y = (e, l, vx, vl) with dynamicsRhs (the same right-hand side RK4 steps), landing
// exactly on the requested times. At rtol 1e-12 it reproduces the DOP853 table of the test
// instance to the table's digits (test/unit/primal-dual-step.test.ts), so it stands in for "a
// DOP853 reference" in the targets of the higher-order step and in the convergence study
// (NUMERICS.md "Float64 reference").
//
// API:
//   fineTrajectory(prob, params, init, i, ts, tol?): {y (ts.length x 2(n+m)), stats}   trajectory i
//   fineDiagnostics(prob, params, ts, y): Diagnostics[]                                 at each row
//   trackingError(prob, params, init, frames, i): how closely a run's G and ||Ax - b|| follow it

import { dopri5, type OdeStats } from '../../math/ode';
import { diagnosticsAt, dynamicsRhs, type Diagnostics, type PrimalDualProblem } from './reference';
import type { DynamicsParams, InitialStates, PrimalDualFrames } from './types';

/** Default tolerances: rtol 1e-12 on states of size O(1); atol far below the t^-2 decay of e, l up to t ~ 1e3. */
export const FINE_TOLERANCE = { rtol: 1e-12, atol: 1e-15 } as const;

/** Trajectory i of `init` from t0 through the increasing times ts (each > t0 or equal to it). */
export function fineTrajectory(
  prob: PrimalDualProblem,
  params: DynamicsParams,
  init: InitialStates,
  i: number,
  ts: readonly number[],
  tol: { rtol: number; atol: number } = FINE_TOLERANCE,
): { y: Float64Array; stats: OdeStats } {
  const { n, m } = prob;
  const y0 = new Float64Array(2 * (n + m));
  y0.set(init.e.subarray(i * n, (i + 1) * n), 0);
  y0.set(init.l.subarray(i * m, (i + 1) * m), n);
  y0.set(init.vx.subarray(i * n, (i + 1) * n), n + m);
  y0.set(init.vl.subarray(i * m, (i + 1) * m), 2 * n + m);
  return dopri5(dynamicsRhs(prob, params), params.t0, y0, ts, { ...tol, maxSteps: 5e7 });
}

/** The diagnostics (E, G, ||Ax - b||, f - f*) of each row of a fineTrajectory result. */
export function fineDiagnostics(prob: PrimalDualProblem, params: DynamicsParams, ts: readonly number[], y: Float64Array): Diagnostics[] {
  const { n, m } = prob;
  const S = 2 * (n + m);
  return ts.map((t, j) => {
    const row = y.subarray(j * S, (j + 1) * S);
    return diagnosticsAt(prob, params, t, row.subarray(0, n), row.subarray(n, n + m), row.subarray(n + m, 2 * n + m), row.subarray(2 * n + m));
  });
}

/** Worst errors of a run's G and ||Ax - b|| against the fine reference over its frames. */
export interface TrackingError {
  /** max over frames of |q_h(t) - q_ref(t)| / q_ref(t). */
  gapPointwise: number;
  feasibilityPointwise: number;
  /** max over frames of |q_h(t) - q_ref(t)| / max of q_ref over [t - P(t), t] (the envelope). */
  gapEnvelope: number;
  feasibilityEnvelope: number;
  /** Accepted steps of the reference. */
  referenceSteps: number;
}

/** Samples of the reference per envelope window. */
const WINDOW_SAMPLES = 32;

/**
 * How closely trajectory i of `frames` (a run of params from init) follows the fine reference in
 * G = D_f + beta/2 ||Ax - b||^2 and ||Ax - b||, at every frame time t: the error relative to the
 * reference's value there (pointwise), and relative to the reference's envelope, its largest
 * value over the last period P(t) = 2 pi / (theta t s(t) sigma_min) of the slowest gyration mode
 * (window clipped at t0). The envelope measure is the "within 1%" of NUMERICS.md "suzuki4":
 * both quantities oscillate with the gyration, and near a dip of the oscillation a pointwise
 * ratio measures the phase of a near-zero, not the tracking.
 */
export function trackingError(
  prob: PrimalDualProblem,
  params: DynamicsParams,
  init: InitialStates,
  frames: PrimalDualFrames,
  i: number,
): TrackingError {
  const { theta, p, t0 } = params;
  const sigmaMin = Math.sqrt(prob.sigma2[prob.m - 1]);
  const period = (t: number): number => (2 * Math.PI) / (theta * t * Math.pow(t, p) * sigmaMin);
  const times = new Set<number>();
  const frameTimes = Array.from(frames.t);
  for (const t of frameTimes) {
    for (let q = 0; q <= WINDOW_SAMPLES; q++) times.add(Math.max(t0, t - (period(t) * q) / WINDOW_SAMPLES));
  }
  const ts = [...times].sort((a, b) => a - b);
  const ref = fineTrajectory(prob, params, init, i, ts);
  const diag = fineDiagnostics(prob, params, ts, ref.y);
  const out: TrackingError = { gapPointwise: 0, feasibilityPointwise: 0, gapEnvelope: 0, feasibilityEnvelope: 0, referenceSteps: ref.stats.accepted };
  frameTimes.forEach((t, f) => {
    const at = ts.indexOf(t);
    let gapEnv = 0;
    let feasEnv = 0;
    for (let j = at; j >= 0 && ts[j] >= t - period(t) * (1 + 1e-12); j--) {
      gapEnv = Math.max(gapEnv, diag[j].gap);
      feasEnv = Math.max(feasEnv, diag[j].feasibility);
    }
    const at2 = f * frames.count + i;
    const dGap = Math.abs(frames.gap[at2] - diag[at].gap);
    const dFeas = Math.abs(frames.feasibility[at2] - diag[at].feasibility);
    out.gapPointwise = Math.max(out.gapPointwise, dGap / diag[at].gap);
    out.feasibilityPointwise = Math.max(out.feasibilityPointwise, dFeas / diag[at].feasibility);
    out.gapEnvelope = Math.max(out.gapEnvelope, dGap / gapEnv);
    out.feasibilityEnvelope = Math.max(out.feasibilityEnvelope, dFeas / feasEnv);
  });
  return out;
}
