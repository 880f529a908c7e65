// Where the adaptive (error-controlled) integrator plugs into the score-mixing convergence study.
// It is run over tolerances instead of step counts; the study (convergence.ts) compares each run's
// final particles with the same float64 reference as the fixed-step integrators and reports
// arrays adaptive_tol (j), adaptive_error (j) and adaptive_evaluations (j, mean drift evaluations
// per particle), so error against work can be plotted on one axis with `evaluations` of the fixed
// integrators. Until a runner is connected here, the study has no 'adaptive' integrator and
// refuses --tols ("this study has no adaptive integrator").

import type { HeadlessOptions } from '../headless-options';
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

/** The lab's adaptive runner: null until the adaptive integrator is connected (lead: set it here). */
export const runAdaptiveForStudy: AdaptiveRunner | null = null;

/** Default tolerances of the adaptive runs (--tols). */
export const DEFAULT_TOLERANCES = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6] as const;
