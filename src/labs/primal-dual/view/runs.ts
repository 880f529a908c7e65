// The runs of one config as the page holds them (PageModel): one run per compared alpha on the
// same initial states (the config's alpha first; theta and p of the others moved into their
// windows by paramsForAlpha), GPU runs (run-gpu.ts) with the float64 shadow of trajectory 0 and
// the projector that feeds the picture, or CPU runs (run-cpu.ts) without WebGPU. The first run
// (the config's alpha) records the states of every trajectory for the export; the compared runs
// record their diagnostics only. Creating,
// disposing, and continuing all runs at a step (snapshot restore, device-loss recovery) live here;
// the page (page.ts) decides when.

import type { GpuContext } from '../../../gpu/device';
import { ParticleProjector } from '../../shared/view/particle-projector';
import { trailLengthFor } from '../../shared/view/particle-scene';
import type { RunSetup } from '../config';
import { thetaWindow } from '../reference';
import type { DynamicsParams, PrimalDualFrames } from '../types';
import type { RunInfo } from './charts/diagnostics';
import { CPU_MAX_TRAJECTORIES, CpuPdRun, firstTrajectories } from './run-cpu';
import { GpuPdRun, type DiagFrame } from './run-gpu';

export type Run = GpuPdRun | CpuPdRun;

export interface PageModel {
  setup: RunSetup;
  runs: Run[];
  /** float64 twin of trajectory 0 of the primary GPU run (measured float32 noise). */
  shadow: CpuPdRun | null;
  projector: ParticleProjector | null;
  infos: RunInfo[];
  /** What the page says about this set of runs (CPU fallback), or ''. */
  note: string;
  /** When the runs were built (performance.now()) and how long runSetup took (KKT solve), ms. */
  builtAt: number;
  setupMs: number;
}

/** theta for a compared alpha: the chosen one if inside [1/(alpha-1), 1/2], else the nearest end; p clamped likewise. */
export function paramsForAlpha(base: DynamicsParams, alpha: number): { params: DynamicsParams; note: string } {
  if (alpha === base.alpha) return { params: base, note: `α = ${alpha}: θ = ${base.theta.toPrecision(4)} (chosen)` };
  const [lo, hi] = thetaWindow(alpha);
  const theta = Math.min(hi, Math.max(lo, base.theta));
  const pMax = (1 - 2 * theta) / theta;
  const p = Math.min(base.p, Math.max(0, pMax));
  const moved = theta !== base.theta ? ` (window end; chosen θ outside [${lo.toPrecision(3)}, 0.5])` : '';
  return { params: { ...base, alpha, theta, p }, note: `α = ${alpha}: θ = ${theta.toPrecision(4)}${moved}${p !== base.p ? `, p = ${p.toPrecision(3)}` : ''}` };
}

/** The boundary case xi = 0, p = (1 - 2 theta)/theta, where Q(t) is conserved. */
export function isConserved(p: DynamicsParams): boolean {
  const xi = p.theta * (p.alpha - 1) - 1;
  return Math.abs(xi) < 1e-12 && Math.abs(p.p - (1 - 2 * p.theta) / p.theta) < 1e-12;
}

/** What a GPU run tells the page, naming the run. */
export interface ModelEvents {
  frames(run: GpuPdRun, frames: DiagFrame[]): void;
  halted(run: GpuPdRun, reason: string): void;
}

/**
 * The runs of `setup` for the config's alpha and `compare`: on the GPU when `gpu` is given (the
 * page has a scene to draw them), else the float64 reference with at most CPU_MAX_TRAJECTORIES.
 * On failure everything created so far is disposed and the error is thrown.
 */
export async function createModel(
  gpu: GpuContext | null,
  setup: RunSetup,
  compare: readonly number[],
  events: ModelEvents,
  setupMs = 0,
): Promise<PageModel> {
  const { prob, params, record } = setup;
  const { n, m } = prob;
  const alphas = [params.alpha, ...compare.filter((a) => a !== params.alpha)];
  const per = alphas.map((a) => paramsForAlpha(params, a));
  const runs: Run[] = [];
  let shadow: CpuPdRun | null = null;
  let projector: ParticleProjector | null = null;
  let note = '';
  try {
    if (gpu) {
      for (const [i, p] of per.entries()) {
        const r: GpuPdRun = await GpuPdRun.create(gpu, prob, p.params, setup.init, record, i === 0, {
          frames: (f) => events.frames(r, f),
          halted: (reason) => events.halted(r, reason),
        });
        runs.push(r);
      }
      shadow = new CpuPdRun(prob, params, firstTrajectories(setup.init, n, m, 1), record);
      projector = new ParticleProjector(gpu.device, runs[0].count, trailLengthFor(runs[0].count), 'PrimalDualView');
    } else {
      const init = firstTrajectories(setup.init, n, m, CPU_MAX_TRAJECTORIES);
      note =
        setup.init.count > init.count
          ? `No WebGPU: running the float64 CPU reference with ${init.count} of ${setup.init.count} trajectories.`
          : 'No WebGPU: running the float64 CPU reference.';
      for (const p of per) runs.push(new CpuPdRun(prob, p.params, init, record));
    }
  } catch (e) {
    for (const r of runs) if (r instanceof GpuPdRun) r.dispose();
    projector?.dispose();
    throw e;
  }
  const infos: RunInfo[] = per.map((p) => ({ alpha: p.params.alpha, theta: p.params.theta, conserved: isConserved(p.params), note: p.note }));
  return { setup, runs, shadow, projector, infos, note, builtAt: performance.now(), setupMs };
}

/** Frees the GPU objects of the model's runs and projector. */
export function disposeModel(model: PageModel): void {
  for (const r of model.runs) if (r instanceof GpuPdRun) r.dispose();
  model.projector?.dispose();
}

/**
 * Continue all runs of a fresh model at grid step `step` (GPU: from the runs' raw states,
 * concatenated, with `recorded` the exported run's frames before it from an imported snapshot).
 */
export function continueModelAt(model: PageModel, step: number, raws: Float32Array | null, recorded: PrimalDualFrames | null = null): void {
  if (raws && model.runs[0] instanceof GpuPdRun) {
    const len = raws.length / model.runs.length;
    model.runs.forEach((r, i) => (r as GpuPdRun).restore({ step, raw: raws.slice(i * len, (i + 1) * len) }, i === 0 ? recorded : null));
    model.shadow?.restoreTo(step);
    model.shadow?.take();
  } else {
    for (const r of model.runs) if (r instanceof CpuPdRun) r.restoreTo(step);
  }
}

/** The current states of all GPU runs (whole buffers), in run order. */
export function readStates(model: PageModel): Promise<{ step: number; raw: Float32Array }[]> {
  return Promise.all(model.runs.map((r) => (r as GpuPdRun).readRaw()));
}

/** The runs' raw states one after another, as continueModelAt takes them. */
export function concatStates(raws: readonly Float32Array[]): Float32Array {
  const all = new Float32Array(raws.reduce((s, r) => s + r.length, 0));
  let o = 0;
  for (const r of raws) {
    all.set(r, o);
    o += r.length;
  }
  return all;
}
