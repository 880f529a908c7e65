// One score-mixing config run to its end for a convergence study (convergence.ts), on the GPU or
// the float64 reference: the final particles and, for integrator 'adaptive', the work it took.
// The same code paths as `flowlab run` (runOnGpu / runReference), without the snapshot around them.

import type { GpuContext } from '../../gpu/device';
import type { AdaptiveStats } from './adaptive';
import { parseConfig, runSetup } from './config';
import { runReference } from './reference';
import { runOnGpu } from './simulation';
import type { ScoreMixingConfig } from './types';

export interface StudyRun {
  /** Particles at t = tMin, count*d row-major: f32 from the GPU, f64 from the reference. */
  x: Float32Array | Float64Array;
  /** Initial particles X(T), count*d, float64 (what a fine reference starts from). */
  x0: Float64Array;
  d: number;
  count: number;
  /** Integrator 'adaptive': accepted/rejected steps and drift evaluations summed over particles; else null. */
  stats: AdaptiveStats | null;
  backend: 'gpu' | 'cpu';
}

/**
 * Validates `config` (FieldErrors name the field) and runs it on `gpu`, or the reference when null,
 * from `start` (count*d, the config's particle count and dimension) when given, else from the
 * config's own X(T).
 */
export async function runForStudy(gpu: GpuContext | null, config: unknown, start?: Float64Array): Promise<StudyRun> {
  const cfg: ScoreMixingConfig = parseConfig(config);
  const setup = runSetup(cfg);
  const { opts, d, count } = setup;
  const frame = count * d;
  if (start && start.length !== frame) throw new Error(`start has length ${start.length}, expected count*d = ${frame}`);
  const x0 = start ?? setup.x0;
  if (gpu) {
    const r = await runOnGpu(gpu, opts, x0, 2);
    return { x: r.x.slice(frame), x0, d, count, stats: r.stats && strip(r.stats), backend: 'gpu' };
  }
  const r = runReference(opts, x0, 2);
  return { x: r.x.slice(frame), x0, d, count, stats: r.stats, backend: 'cpu' };
}

function strip(s: AdaptiveStats): AdaptiveStats {
  const { acceptedSteps, rejectedSteps, driftEvaluations, lockstepEvaluations } = s;
  return { acceptedSteps, rejectedSteps, driftEvaluations, lockstepEvaluations };
}
