// Where the adaptive (error-controlled) integrator plugs into the score-mixing convergence study.
// It is run over tolerances instead of step counts; the study (convergence.ts) compares each run's
// final particles with the same float64 reference as the fixed-step integrators and reports
// arrays adaptive_tol (j), adaptive_error (j) and adaptive_evaluations (j, mean drift evaluations
// per particle), so error against work can be plotted on one axis with `evaluations` of the fixed
// integrators. The runner is the lab's own run (study-run.ts: runOnGpu / runReference with
// integrator 'adaptive', NUMERICS.md "Adaptive integrator"); a study built without one
// (makeScoreMixingConvergence(null), the tests' stand-ins) has no 'adaptive' and refuses --tols.

import type { HeadlessOptions } from '../headless-options';
import { runForStudy } from './study-run';
import type { ScoreMixingConfig } from './types';

export interface AdaptiveRunResult {
  /** X(tMin), count*d row-major, from the x0 given. */
  x: Float32Array | Float64Array;
  /** Mean drift evaluations per particle (rejected steps' included). */
  evaluations: number;
}

/**
 * Runs `config` (its probability-flow ODE: sampler 'ode', record 2) with the adaptive integrator
 * at tolerance `tol` from x0, on the GPU when options.gpu is set, else in float64.
 */
export type AdaptiveRunner = (config: ScoreMixingConfig, x0: Float64Array, tol: number, options: HeadlessOptions) => Promise<AdaptiveRunResult>;

/**
 * The lab's adaptive runner: the config's ODE with the Bogacki–Shampine 3(2) integrator at `tol`
 * from x0 in one output interval; evaluations are the particles' own (rejected steps included), not the GPU workgroups'
 * lockstep cost (meta.adaptive of a run reports both).
 */
export const runAdaptiveForStudy: AdaptiveRunner = async (config, x0, tol, options) => {
  // One output interval T -> tMin: the controller alone chooses every step (a finer output grid
  // would force at least one step per grid interval, however loose tol is).
  const r = await runForStudy(options.gpu, { ...config, sampler: 'ode', integrator: 'adaptive', tol, steps: 1, record: 2 }, x0);
  if (!r.stats) throw new Error('score-mixing: the adaptive run reported no step statistics');
  return { x: r.x, evaluations: r.stats.driftEvaluations / r.count };
};

/** Default tolerances of the adaptive runs (--tols).
 * Planned drift evaluations per particle and tolerance (progress and the work cap; measured 100-4000). */
export const ADAPTIVE_EVALS_PLAN = 1000;

export const DEFAULT_TOLERANCES = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6] as const;
