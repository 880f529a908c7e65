// Run a primal-dual config to completion without a page (CLI, tests, benchmarks): validate ->
// KKT point (float64) -> initial states -> GPU (options.gpu) or float64 reference -> Snapshot.
//
// Snapshot arrays (F frames, N trajectories): t (F) f64; x (F, N, n), lambda (F, N, m);
// energy, gap, feasibility, objective, defect (F, N); Q (F, N, m) — f32 from the GPU, f64 from the
// CPU; x_star (n), lambda_star (m) f64. feasibility is ||Ax - b||, objective is f(x) - f*, gap is
// D_f(x, x*) + beta/2 ||Ax - b||^2, defect is E(t) - E(t0) - integral of dE/dt (NUMERICS.md).
// meta.kkt holds the KKT residual (max of stationarity and feasibility) and how it was solved.
// Compare mode (config.compare, batches.ts): every per-run array gets a leading batch axis of
// length B (x (B, F, N, n), energy (B, F, N), ...); t, x_star and lambda_star (the KKT point does not
// depend on alpha, theta, p or beta) are shared; meta.compare = {key, values: [own, ...]} names the
// batches and meta.batches lists each batch's actual {alpha, theta, p, beta}. Without compare the
// arrays and meta are exactly those of a single run (no meta.compare).
// primalDualSnapshot builds the snapshot of recorded frames: this runner's and the page's export
// (view/snapshot.ts) alike, so both have the same arrays and meta keys.

import type { HeadlessOptions } from '../lab';
import type { NdArray, Snapshot } from '../../io/snapshot-types';
import { APP_VERSION } from '../../io/app-version';
import { compareMeta } from '../compare';
import { batchesMeta, keyValue } from './batches';
import { batchesOf, dynamicsParams, runSetup } from './config';
import { pInWindow, pMax, thetaInWindow, thetaWindow } from './params';
import { runPrimalDualReference, timeGrid, type PrimalDualProblem } from './reference';
import { runPrimalDualOnGpu } from './simulation';
import type { PrimalDualConfig, PrimalDualFrames } from './types';

export const LAB_ID = 'primal-dual';

/** The per-trajectory arrays of the frames, by snapshot name, with their trailing dimension (1: scalar). */
const FRAME_ARRAYS = ['x', 'lambda', 'energy', 'gap', 'feasibility', 'objective', 'defect', 'Q'] as const;

/** The frames' arrays; `batched`: with the leading batch axis (compare mode, even when B = 1). */
function frameArrays(frames: PrimalDualFrames, batched: boolean): Record<string, NdArray> {
  const { count, n, m } = frames;
  const F = frames.t.length;
  const lead = batched ? [frames.batches] : [];
  if (!batched && frames.batches !== 1) throw new Error(`primal-dual snapshot: ${frames.batches} batches without config.compare`);
  const width: Record<(typeof FRAME_ARRAYS)[number], number> = { x: n, lambda: m, Q: m, energy: 0, gap: 0, feasibility: 0, objective: 0, defect: 0 };
  const out: Record<string, NdArray> = { t: { dtype: 'f64', shape: [F], data: frames.t } };
  for (const key of FRAME_ARRAYS) {
    const data = frames[key];
    out[key] = { dtype: data instanceof Float32Array ? 'f32' : 'f64', shape: width[key] ? [...lead, F, count, width[key]] : [...lead, F, count], data };
  }
  return out;
}

export async function runHeadless(config: PrimalDualConfig, options: HeadlessOptions): Promise<Snapshot> {
  const wallStart = performance.now();
  const { config: cfg, prob, batches, compareKey, init, record } = runSetup(config);
  const kktMs = performance.now() - wallStart;

  const simStart = performance.now();
  let frames: PrimalDualFrames;
  let gpuTotalMs: number | undefined;
  if (options.gpu) {
    const r = await runPrimalDualOnGpu(options.gpu, prob, batches, init, record, options.onProgress, {}, compareKey);
    frames = r;
    gpuTotalMs = r.timings.totalMs;
  } else {
    frames = runPrimalDualReference(prob, batches, init, record, options.onProgress);
  }
  const simulationMs = performance.now() - simStart;
  options.onProgress?.(1);

  return primalDualSnapshot(cfg, prob, frames, {
    backend: options.backend,
    adapter: options.gpu ? options.gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
    timings: {
      kktMs,
      simulationMs,
      ...(gpuTotalMs !== undefined ? { gpuTotalMs } : {}),
      totalMs: performance.now() - wallStart,
    },
  });
}

/** Where a snapshot's frames came from (meta.backend, meta.adapter, meta.timings). */
export interface SnapshotSource {
  backend: HeadlessOptions['backend'];
  adapter: string;
  timings: Record<string, number>;
}

/**
 * The snapshot of the frames recorded so far (all of a run, or the first F of the page's): the
 * arrays and meta keys above. The CLI (runHeadless) and the page's export (view/snapshot.ts) both
 * build theirs here, so the two agree in names, dtypes, shapes and meta keys.
 */
export function primalDualSnapshot(cfg: PrimalDualConfig, prob: PrimalDualProblem, frames: PrimalDualFrames, source: SnapshotSource): Snapshot {
  const { kkt, n, m, sigmaMax } = prob;
  const grid = timeGrid(dynamicsParams(cfg));
  const [thetaLo, thetaHi] = thetaWindow(cfg.alpha);
  const f32 = frames.x instanceof Float32Array;
  return {
    lab: LAB_ID,
    config: cfg,
    arrays: {
      ...frameArrays(frames, cfg.compare !== undefined),
      x_star: { dtype: 'f64', shape: [n], data: Float64Array.from(kkt.x) },
      lambda_star: { dtype: 'f64', shape: [m], data: Float64Array.from(kkt.lambda) },
    },
    // lab and config are added to meta.json by the exporter (snapshotMeta), not repeated here.
    meta: {
      seed: 'seed' in cfg.initial ? cfg.initial.seed : null,
      appVersion: APP_VERSION,
      backend: source.backend,
      adapter: source.adapter,
      precision: f32 ? 'float32' : 'float64',
      n,
      m,
      trajectories: frames.count,
      frames: frames.t.length,
      steps: grid.K,
      hUsed: grid.h,
      recordedSteps: frames.steps,
      kkt: {
        residual: kkt.residual,
        stationarity: kkt.stationarity,
        feasibility: kkt.feasibility,
        fStar: kkt.fStar,
        method: kkt.method,
        iterations: kkt.iterations,
      },
      sigmaMax,
      thetaWindow: [thetaLo, thetaHi],
      pMax: pMax(cfg.theta),
      xi: cfg.theta * (cfg.alpha - 1) - 1,
      insideWindow: thetaInWindow(cfg.alpha, cfg.theta) && pInWindow(cfg.theta, cfg.p ?? 0),
      // Compare mode only: without it the meta is a single run's, unchanged.
      ...(cfg.compare ? { compare: compareMeta(keyValue(dynamicsParams(cfg), cfg.compare.key), cfg.compare), batches: batchesMeta(batchesOf(cfg)) } : {}),
      timings: source.timings,
      createdAt: new Date().toISOString(),
    },
  };
}
