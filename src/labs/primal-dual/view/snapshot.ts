// The page's export: what `flowlab run primal-dual` writes for the same config (the arrays t, x,
// lambda, energy, gap, feasibility, objective, defect, Q of every trajectory — with the leading
// batch axis in compare mode —, x_star, lambda_star and the CLI's meta keys, meta.compare and
// meta.batches included, built by headless.ts primalDualSnapshot), for the frames recorded so far,
// with runLab's backendNote, plus the page's extras: source 'page' and `resume` (step, t). On the
// GPU the raw state of every batch (resume_state, batches x trajectories x stride, f32) lets
// restore() continue exactly where the export was made, and the imported frames before that step
// are kept for the next export. The CPU run replays from t0 instead (the float64 reference is
// deterministic).
//
// Page exports from before compare mode ran compared alphas as separate runs: resume.alphas (the
// config's alpha first) named the runs of resume_state, and only the config's alpha's frames were
// exported. readResume maps those alphas to config.compare = {key: 'alpha', values: alphas[1..]}
// (the same theta / p per alpha as then, batches.ts), continues every batch from its saved state,
// takes batch 0's earlier frames from the snapshot and leaves the compared batches' earlier frames
// NaN (that export never held them); a compared alpha the config no longer accepts is refused
// naming resume.alphas[i].

import type { GpuContext } from '../../../gpu/device';
import type { NdArray, Snapshot } from '../../../io/snapshot-types';
import type { Backend } from '../../lab';
import { FieldError } from '../../schema';
import { validateSnapshot, type SnapshotLab, type ValidSnapshot } from '../../snapshot-check';
import { parseConfig } from '../config';
import { LAB_ID, primalDualSnapshot } from '../headless';
import { allocFrames, batchFrames } from '../reference';
import { primalDualSnapshotSpec } from '../snapshot-spec';
import type { PrimalDualConfig, PrimalDualFrames } from '../types';
import { GpuPdRun } from './run-gpu';
import { readState, type PageModel } from './runs';

/** The backend name the CLI would write for this page's run. */
function backendOf(model: PageModel, gpu: GpuContext | null): Backend {
  if (!(model.run instanceof GpuPdRun)) return 'cpu-float64';
  return gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu';
}

export async function pageSnapshot(model: PageModel, gpu: GpuContext | null): Promise<Snapshot> {
  const start = performance.now();
  const { config, prob } = model.setup;
  const run = model.run;
  const onGpu = run instanceof GpuPdRun;
  const frames: PrimalDualFrames = onGpu ? await run.history() : run.history();
  const snapshotMs = performance.now() - start;
  const snap = primalDualSnapshot(config, prob, frames, {
    backend: backendOf(model, gpu),
    adapter: onGpu ? (gpu?.adapterDescription ?? 'WebGPU') : 'CPU (float64 TypeScript reference)',
    timings: { kktMs: model.setupMs, simulationMs: start - model.builtAt, snapshotMs, totalMs: performance.now() - model.builtAt + model.setupMs },
  });
  let resume: Record<string, unknown> = { step: run.k, t: run.t };
  if (onGpu) {
    const state = await readState(model);
    snap.arrays.resume_state = { dtype: 'f32', shape: [run.batches, run.count, state.raw.length / (run.batches * run.count)], data: state.raw };
    resume = { step: state.step, t: run.t };
  }
  return {
    ...snap,
    meta: {
      ...snap.meta,
      // Why this backend, as runLab's meta.backendNote says it for the CLI.
      backendNote: onGpu ? `WebGPU on the page (${gpu?.isSoftware ? 'software' : 'hardware'} adapter)` : model.note || 'the float64 CPU reference',
      source: 'page',
    },
    resume,
  };
}

/** The lab's pieces validateSnapshot needs (the page cannot import the lab's index). */
const SNAPSHOT_LAB: SnapshotLab<PrimalDualConfig> = { id: LAB_ID, parseConfig, snapshotSpec: primalDualSnapshotSpec };

export interface PageResume {
  /** The config to run (a legacy snapshot's alphas mapped to config.compare). */
  config: PrimalDualConfig;
  /** Grid step to continue at (0: start over). */
  step: number;
  /** The raw state of every batch (GPU export), batch after batch. */
  raw: Float32Array | null;
  /** The snapshot's frames (f32, batch-major, NaN where absent): the next export's frames before `step`. */
  recorded: PrimalDualFrames<Float32Array> | null;
}

const FRAME_KEYS = ['x', 'lambda', 'energy', 'gap', 'feasibility', 'objective', 'defect', 'Q'] as const;

/**
 * The snapshot's recorded frames as the GPU run holds them (f32, `batches` batches): every batch
 * from a compared snapshot; from a single-run snapshot batch 0, the others NaN.
 */
function recordedFrames(arrays: Readonly<Record<string, NdArray>>, cfg: PrimalDualConfig, batches: number, snapshotBatched: boolean): PrimalDualFrames<Float32Array> {
  const lead = snapshotBatched ? 1 : 0;
  const F = arrays.energy.shape[lead];
  const count = arrays.energy.shape[lead + 1];
  const n = cfg.A[0].length;
  const m = cfg.A.length;
  // The grid steps are the run's own (the same config's schedule); only the values are taken.
  const out = allocFrames((len) => new Float32Array(len), count, n, m, new Array<number>(F).fill(0), Float64Array.from(arrays.t.data), batches);
  for (const key of FRAME_KEYS) out[key].fill(NaN);
  const from = snapshotBatched ? batches : 1;
  for (const key of FRAME_KEYS) {
    const a = arrays[key];
    if (!a) continue;
    const block = a.data.length / from;
    for (let b = 0; b < from; b++) {
      const to = batchFrames(out, b)[key];
      if (block === to.length) to.set(a.data.slice(b * block, (b + 1) * block) as ArrayLike<number>);
    }
  }
  return out;
}

/** A legacy snapshot's config with its compared alphas as config.compare; FieldErrors name resume.alphas[i]. */
function withLegacyAlphas(cfg: PrimalDualConfig, alphas: number[]): PrimalDualConfig {
  if (alphas.length <= 1) return cfg;
  try {
    return parseConfig({ ...cfg, compare: { key: 'alpha', values: alphas.slice(1) } });
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    const i = /^compare\.values\[(\d+)\]$/.exec(e.field);
    const field = i ? `resume.alphas[${Number(i[1]) + 1}]` : 'resume.alphas';
    throw new FieldError(field, e.value, `${e.allowed} (the compared alphas of a page export from before compare mode become config.compare)`);
  }
}

/** What restore() continues from, after validateSnapshot (arrays, shapes, finite states, resume). */
export function readResume(snapshot: Snapshot): PageResume {
  const s: ValidSnapshot<PrimalDualConfig> = validateSnapshot(snapshot, SNAPSHOT_LAB);
  const r = s.resume as { step?: number; alphas?: number[] } | undefined;
  const batched = s.config.compare !== undefined;
  const config = batched ? s.config : withLegacyAlphas(s.config, r?.alphas ?? [s.config.alpha]);
  const batches = 1 + (config.compare?.values.length ?? 0);
  const raw = s.arrays.resume_state;
  return {
    config,
    step: r?.step ?? 0,
    raw: raw ? Float32Array.from(raw.data) : null,
    recorded: raw ? recordedFrames(s.arrays, config, batches, batched) : null,
  };
}
