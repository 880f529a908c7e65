// Run a score-mixing config to completion without a page (CLI, tests, benchmarks): validate ->
// measures -> initial particles -> GPU (options.gpu) or float64 reference -> Snapshot.
//
// Snapshot arrays: t (frames) f64; x (frames, particles, d), f32 from the GPU and f64 from the CPU;
// critical_points (K, d) f64, the stable critical points of Phi_lam for the run's lambda.
// `resume` records where the last frame sits on the time grid, so a json snapshot reloads into a
// run that continues exactly (the state is arrays.x[resume.frame] at grid step resume.step).
// With integrator 'adaptive', meta.adaptive holds the tolerance and the work done (adaptiveMeta).
// Compare mode (config.compare, compare-run.ts): x is (B, frames, particles, d), critical_points
// (B, Kmax, d) NaN-padded with critical_counts (B) i32, meta.compare = { key, values } and
// meta.criticalPoints one list per batch; without compare the snapshot is exactly as above.

import type { HeadlessOptions } from '../lab';
import type { Snapshot } from '../../io/snapshot-types';
import { APP_VERSION } from '../../io/app-version';
import { batchLambdas, parseConfig, runSetup } from './config';
import { compareMeta } from '../compare';
import { batchCriticalPoints, runReferenceBatches, toBatchMajor } from './compare-run';
import { runReference } from './reference';
import { runOnGpu } from './simulation';
import { BOGACKI_SHAMPINE, type AdaptiveStats } from './adaptive';
import { stableCriticalPoints } from './analysis';
import type { ScoreMixingConfig } from './types';

export const LAB_ID = 'score-mixing';

export interface ScoreMixingResume {
  /** Grid index k of the last recorded frame (t_k = T (tMin/T)^(k/steps)). */
  step: number;
  t: number;
  /** Index of that frame in arrays.x. */
  frame: number;
}

/** meta.adaptive: the adaptive integrator's tolerance, pair and work (totals over particles, and means). */
export function adaptiveMeta(tol: number, count: number, stats: AdaptiveStats): Record<string, number | string> {
  return {
    tol,
    pair: BOGACKI_SHAMPINE.name,
    acceptedSteps: stats.acceptedSteps,
    rejectedSteps: stats.rejectedSteps,
    driftEvaluations: stats.driftEvaluations,
    lockstepEvaluations: stats.lockstepEvaluations,
    perParticleMeanAccepted: stats.acceptedSteps / count,
    perParticleMeanEvaluations: stats.driftEvaluations / count,
  };
}

export async function runHeadless(config: ScoreMixingConfig, options: HeadlessOptions): Promise<Snapshot> {
  const wallStart = performance.now();
  const cfg = parseConfig(config);
  const { opts, x0, d, count } = runSetup(cfg);
  const { mu1, mu2 } = opts;

  const simStart = performance.now();
  let t: Float64Array;
  let x: Float32Array | Float64Array;
  let steps: number[];
  let gpuTotalMs: number | undefined;
  let stats: AdaptiveStats | null;
  const lambdas = batchLambdas(cfg);
  const B = lambdas.length;
  if (options.gpu) {
    const r = await runOnGpu(options.gpu, opts, x0, cfg.record, options.onProgress, lambdas);
    ({ t, steps, stats } = r);
    x = toBatchMajor(r.x, t.length, B, count * d);
    gpuTotalMs = r.timings.totalMs;
  } else if (cfg.compare) {
    ({ t, x, steps, stats } = runReferenceBatches(opts, x0, cfg.record, lambdas, options.onProgress));
  } else {
    ({ t, x, steps, stats } = runReference(opts, x0, cfg.record, options.onProgress));
  }
  const simulationMs = performance.now() - simStart;

  const cpStart = performance.now();
  const critical = cfg.compare ? [] : stableCriticalPoints(mu1, mu2, cfg.lambda);
  const cp = new Float64Array(critical.length * d);
  critical.forEach((c, k) => cp.set(c.x.subarray(0, d), k * d));
  const batchCps = cfg.compare ? batchCriticalPoints(mu1, mu2, lambdas, d) : null;
  const criticalPointsMs = performance.now() - cpStart;
  options.onProgress?.(1);

  const frames = t.length;
  const cpMeta = (cps: typeof critical): Record<string, unknown>[] => cps.map((c) => ({ a: c.a, b: c.b, value: c.value, regime: c.regime }));
  const resume: ScoreMixingResume = { step: steps[frames - 1], t: t[frames - 1], frame: frames - 1 };
  return {
    lab: LAB_ID,
    config: cfg,
    arrays: {
      t: { dtype: 'f64', shape: [frames], data: t },
      x: { dtype: x instanceof Float32Array ? 'f32' : 'f64', shape: batchCps ? [B, frames, count, d] : [frames, count, d], data: x },
      ...(batchCps
        ? {
            critical_points: { dtype: 'f64', shape: [B, batchCps.kmax, d], data: batchCps.points },
            critical_counts: { dtype: 'i32', shape: [B], data: batchCps.counts },
          }
        : { critical_points: { dtype: 'f64', shape: [critical.length, d], data: cp } }),
    },
    // lab and config are added to meta.json by the exporter (snapshotMeta), not repeated here.
    meta: {
      seed: cfg.seed,
      particlesSeed: 'seed' in cfg.particles ? cfg.particles.seed : null,
      appVersion: APP_VERSION,
      backend: options.backend,
      adapter: options.gpu ? options.gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
      precision: options.gpu ? 'float32' : 'float64',
      d,
      particles: count,
      frames,
      recordedSteps: steps,
      criticalPoints: batchCps ? batchCps.perBatch.map(cpMeta) : cpMeta(critical),
      ...(cfg.compare ? { compare: compareMeta(cfg.lambda, cfg.compare) } : {}),
      ...(stats ? { adaptive: adaptiveMeta(cfg.tol, B * count, stats) } : {}),
      timings: {
        simulationMs,
        ...(gpuTotalMs !== undefined ? { gpuTotalMs } : {}),
        criticalPointsMs,
        totalMs: performance.now() - wallStart,
      },
      createdAt: new Date().toISOString(),
    },
    resume,
  };
}
