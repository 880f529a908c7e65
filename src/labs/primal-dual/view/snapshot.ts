// The page's export: every recorded frame of the primary run (t; x and lambda of the first
// KEEP_STATES trajectories; energy, gap, feasibility, objective and identity defect of all), the
// float64 KKT point, and meta.json (config, backend, adapter, compared alphas, KKT residuals).
// `resume` holds the step, t and the compared alphas; on the GPU the raw states of all runs
// (resume_state, runs x trajectories x stride, f32) let restore() continue exactly where the export
// was made. The CPU runs replay from t0 instead (the float64 reference is deterministic).

import type { GpuContext } from '../../../gpu/device';
import { APP_VERSION } from '../../../io/app-version';
import type { Snapshot } from '../../../io/snapshot-types';
import { validateSnapshot, type SnapshotLab, type ValidSnapshot } from '../../snapshot-check';
import { parseConfig } from '../config';
import { LAB_ID } from '../headless';
import { primalDualSnapshotSpec } from '../snapshot-spec';
import type { PrimalDualConfig } from '../types';
import { GpuPdRun, type RunHistory } from './run-gpu';
import { readStates, type PageModel } from './runs';

export async function pageSnapshot(model: PageModel, gpu: GpuContext | null): Promise<Snapshot> {
  const { config, prob } = model.setup;
  const primary = model.runs[0];
  const h: RunHistory = primary instanceof GpuPdRun ? await primary.history() : primary.history();
  const { n, m } = prob;
  const F = h.frames;
  const f32 = primary instanceof GpuPdRun;
  const arr = (data: Float32Array | Float64Array, shape: number[]) => ({ dtype: (data instanceof Float32Array ? 'f32' : 'f64') as 'f32' | 'f64', shape, data });
  const arrays: Snapshot['arrays'] = {
    t: { dtype: 'f64', shape: [F], data: Float64Array.from(h.t) },
    x: arr(h.x, [F, h.keep, n]),
    lambda: arr(h.lambda, [F, h.keep, m]),
    energy: arr(h.energy, [F, primary.count]),
    gap: arr(h.gap, [F, primary.count]),
    feasibility: arr(h.feasibility, [F, primary.count]),
    objective: arr(h.objective, [F, primary.count]),
    defect: arr(h.defect, [F, primary.count]),
    x_star: { dtype: 'f64', shape: [n], data: Float64Array.from(prob.kkt.x) },
    lambda_star: { dtype: 'f64', shape: [m], data: Float64Array.from(prob.kkt.lambda) },
  };
  let resume: Record<string, unknown> = { step: primary.k, t: primary.t, alphas: model.runs.map((r) => r.alpha) };
  if (f32) {
    const raws = await readStates(model);
    const len = raws[0].raw.length;
    const all = new Float32Array(raws.length * len);
    raws.forEach((r, i) => all.set(r.raw, i * len));
    arrays.resume_state = { dtype: 'f32', shape: [raws.length, primary.count, len / primary.count], data: all };
    resume = { ...resume, step: raws[0].step };
  }
  return {
    lab: LAB_ID,
    config,
    arrays,
    meta: {
      lab: LAB_ID,
      config,
      appVersion: APP_VERSION,
      backend: f32 ? (gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64',
      adapter: gpu?.adapterDescription ?? 'none (CPU float64 reference)',
      trajectories: primary.count,
      statesKept: h.keep,
      compareAlphas: model.runs.slice(1).map((r) => ({ alpha: r.alpha, theta: r.theta })),
      kkt: { residual: prob.kkt.residual, stationarity: prob.kkt.stationarity, feasibility: prob.kkt.feasibility, fStar: prob.kkt.fStar, method: prob.kkt.method },
      source: 'page',
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
}

/** What restore() continues from, after validateSnapshot (arrays, shapes, finite states, resume). */
export function readResume(snapshot: Snapshot): PageResume {
  const s: ValidSnapshot<PrimalDualConfig> = validateSnapshot(snapshot, SNAPSHOT_LAB);
  const r = s.resume as { step?: number; alphas?: number[] } | undefined;
  const raw = s.arrays.resume_state;
  return { config: s.config, step: r?.step ?? 0, compare: r?.alphas ? r.alphas.slice(1) : null, raws: raw ? Float32Array.from(raw.data) : null };
}
