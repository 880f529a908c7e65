// The page's export: what `flowlab run primal-dual` writes for the same config (the arrays t, x,
// lambda, energy, gap, feasibility, objective, defect, Q of every trajectory, x_star, lambda_star
// and the CLI's meta keys, built by headless.ts primalDualSnapshot), for the frames recorded so
// far, with runLab's backendNote, plus the page's extras: source 'page', the compared alphas and
// `resume` (step, t, the compared alphas). On the GPU the raw states of all runs (resume_state,
// runs x trajectories x stride, f32) let restore() continue exactly where the export was made,
// and the imported frames before that step are kept for the next export. The CPU runs replay
// from t0 instead (the float64 reference is deterministic).

import type { GpuContext } from '../../../gpu/device';
import type { NdArray, Snapshot } from '../../../io/snapshot-types';
import type { Backend } from '../../lab';
import { validateSnapshot, type SnapshotLab, type ValidSnapshot } from '../../snapshot-check';
import { parseConfig } from '../config';
import { LAB_ID, primalDualSnapshot } from '../headless';
import { allocFrames } from '../reference';
import { primalDualSnapshotSpec } from '../snapshot-spec';
import type { PrimalDualConfig, PrimalDualFrames } from '../types';
import { GpuPdRun } from './run-gpu';
import { readStates, type PageModel } from './runs';

/** The backend name the CLI would write for this page's runs. */
function backendOf(model: PageModel, gpu: GpuContext | null): Backend {
  if (!(model.runs[0] instanceof GpuPdRun)) return 'cpu-float64';
  return gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu';
}

export async function pageSnapshot(model: PageModel, gpu: GpuContext | null): Promise<Snapshot> {
  const start = performance.now();
  const { config, prob } = model.setup;
  const primary = model.runs[0];
  const onGpu = primary instanceof GpuPdRun;
  const frames: PrimalDualFrames = onGpu ? await primary.history() : primary.history();
  const snapshotMs = performance.now() - start;
  const snap = primalDualSnapshot(config, prob, frames, {
    backend: backendOf(model, gpu),
    adapter: onGpu ? (gpu?.adapterDescription ?? 'WebGPU') : 'CPU (float64 TypeScript reference)',
    timings: { kktMs: model.setupMs, simulationMs: start - model.builtAt, snapshotMs, totalMs: performance.now() - model.builtAt + model.setupMs },
  });
  let resume: Record<string, unknown> = { step: primary.k, t: primary.t, alphas: model.runs.map((r) => r.alpha) };
  if (onGpu) {
    const raws = await readStates(model);
    const len = raws[0].raw.length;
    const all = new Float32Array(raws.length * len);
    raws.forEach((r, i) => all.set(r.raw, i * len));
    snap.arrays.resume_state = { dtype: 'f32', shape: [raws.length, primary.count, len / primary.count], data: all };
    resume = { ...resume, step: raws[0].step, t: primary.t };
  }
  return {
    ...snap,
    meta: {
      ...snap.meta,
      // Why this backend, as runLab's meta.backendNote says it for the CLI.
      backendNote: onGpu ? `WebGPU on the page (${gpu?.isSoftware ? 'software' : 'hardware'} adapter)` : model.note || 'the float64 CPU reference',
      source: 'page',
      compareAlphas: model.runs.slice(1).map((r) => ({ alpha: r.alpha, theta: r.theta })),
    },
    resume,
  };
}

/** The lab's pieces validateSnapshot needs (the page cannot import the lab's index). */
const SNAPSHOT_LAB: SnapshotLab<PrimalDualConfig> = { id: LAB_ID, parseConfig, snapshotSpec: primalDualSnapshotSpec };

export interface PageResume {
  config: PrimalDualConfig;
  /** Grid step to continue at (0: start over). */
  step: number;
  /** The compared alphas after the config's, when the snapshot names them. */
  compare: number[] | null;
  /** The raw states of every run (GPU export), concatenated in run order. */
  raws: Float32Array | null;
  /** The snapshot's frames (f32, Q NaN when absent): the next export's frames before `step`. */
  recorded: PrimalDualFrames<Float32Array> | null;
}

/** The snapshot's recorded frames as the GPU run holds them (f32). */
function recordedFrames(arrays: Readonly<Record<string, NdArray>>, cfg: PrimalDualConfig): PrimalDualFrames<Float32Array> {
  const [F, count] = arrays.energy.shape;
  const n = cfg.A[0].length;
  const m = cfg.A.length;
  // The grid steps are the run's own (the same config's schedule); only the values are taken.
  const out = allocFrames((len) => new Float32Array(len), count, n, m, new Array<number>(F).fill(0), Float64Array.from(arrays.t.data));
  for (const key of ['x', 'lambda', 'energy', 'gap', 'feasibility', 'objective', 'defect', 'Q'] as const) {
    const a = arrays[key];
    if (a && a.data.length === out[key].length) out[key].set(a.data);
    else out[key].fill(NaN);
  }
  return out;
}

/** What restore() continues from, after validateSnapshot (arrays, shapes, finite states, resume). */
export function readResume(snapshot: Snapshot): PageResume {
  const s: ValidSnapshot<PrimalDualConfig> = validateSnapshot(snapshot, SNAPSHOT_LAB);
  const r = s.resume as { step?: number; alphas?: number[] } | undefined;
  const raw = s.arrays.resume_state;
  return {
    config: s.config,
    step: r?.step ?? 0,
    compare: r?.alphas ? r.alphas.slice(1) : null,
    raws: raw ? Float32Array.from(raw.data) : null,
    recorded: raw ? recordedFrames(s.arrays, s.config) : null,
  };
}
