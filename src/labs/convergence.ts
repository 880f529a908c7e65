// What a lab offers for `flowlab convergence <lab>` and the library's runConvergence: the same
// config run by several integrators at several resolutions (step counts or step sizes) from the
// same initial state, each compared with a float64 reference of the same dynamics at a much finer
// resolution. The lab owns the dynamics, the reference and the error measure; the command (or the
// library) owns flags, backend choice and output.

import type { Snapshot } from '../io/snapshot-types';
import type { HeadlessOptions } from './headless-options';

/** The name of a study's adaptive integrator, run over tolerances (--tols) instead of resolutions. */
export const ADAPTIVE = 'adaptive';

/** The resolution axis of a study: step counts (integers >= 1) or step sizes (> 0). */
export type ConvergenceAxis = 'steps' | 'h';

export interface ConvergenceRequest {
  /** Integrator names, each one of study.integrators, no repeats (checked before run()). */
  integrators: string[];
  /** Step counts (axis 'steps') or step sizes (axis 'h'), checked before run(): finite, > 0, integers for 'steps', no repeats. */
  resolutions: number[];
  /** Tolerances of the adaptive integrators in the study, when it has any (--tols). */
  tolerances?: number[];
}

export interface ConvergenceStudy<Config> {
  /** Every integrator the study accepts. */
  integrators: readonly string[];
  defaultIntegrators: readonly string[];
  axis: ConvergenceAxis;
  defaultResolutions: readonly number[];
  /** Adaptive integrators' default tolerances (absent: the study has no adaptive integrator). */
  defaultTolerances?: readonly number[];
  /**
   * Run the study. Resolves to a snapshot whose arrays hold at least `steps` or `h` (k),
   * `error` (integrators, k) and `order` (integrators); meta names the integrators, the error
   * measure, the reference and the fit. Lab-specific limits on the request throw FieldError
   * naming the flag (--steps, --h, --integrators, --tols).
   */
  run(config: Config, request: ConvergenceRequest, options: HeadlessOptions): Promise<Snapshot>;
}
