// The run of one config as the page holds it (PageModel): every batch of the config (compare mode,
// config.compare: batches.ts decides each batch's parameters) in ONE run on the same initial
// states — on the GPU one batched simulation (run-gpu.ts) with the float64 shadow of trajectory 0
// of batch 0 and the projector that feeds the picture (batch 0's trajectories), or on the CPU
// (run-cpu.ts) one float64 reference per batch without WebGPU. Creating, disposing, and
// continuing the run at a step (snapshot restore, device-loss recovery) live here; the page
// (page.ts) decides when.

import type { GpuContext } from '../../../gpu/device';
import { ParticleProjector } from '../../shared/view/particle-projector';
import { trailLengthFor } from '../../shared/view/particle-scene';
import { batchLabel, keyValue } from '../batches';
import type { RunSetup } from '../config';
import type { DynamicsParams, PrimalDualFrames } from '../types';
import type { BatchInfo } from './charts/diagnostics';
import { CPU_MAX_TRAJECTORIES, CpuPdRun, firstTrajectories } from './run-cpu';
import { GpuPdRun, type DiagFrame } from './run-gpu';

export type Run = GpuPdRun | CpuPdRun;

export interface PageModel {
  setup: RunSetup;
  /** All batches in one run. */
  run: Run;
  /** float64 twin of trajectory 0 of batch 0 of the GPU run (measured float32 noise). */
  shadow: CpuPdRun | null;
  projector: ParticleProjector | null;
  /** One per batch, batch 0 the config's own. */
  infos: BatchInfo[];
  /** What the page says about this run (CPU fallback), or ''. */
  note: string;
  /** When the run was built (performance.now()) and how long runSetup took (KKT solve), ms. */
  builtAt: number;
  setupMs: number;
}

/** The boundary case xi = 0, p = (1 - 2 theta)/theta, where Q(t) is conserved. */
export function isConserved(p: DynamicsParams): boolean {
  const xi = p.theta * (p.alpha - 1) - 1;
  return Math.abs(xi) < 1e-12 && Math.abs(p.p - (1 - 2 * p.theta) / p.theta) < 1e-12;
}

/** What the GPU run tells the page. */
export interface ModelEvents {
  frames(frames: DiagFrame[]): void;
  halted(reason: string): void;
}

/** The legend and chart attributes of every batch of `setup`. */
export function batchInfos(setup: RunSetup): BatchInfo[] {
  const key = setup.compareKey;
  return setup.batches.map((p, b) => ({
    label: batchLabel(key, setup.batches, b),
    alpha: p.alpha,
    theta: p.theta,
    value: keyValue(p, key ?? 'alpha'),
    conserved: isConserved(p),
  }));
}

/**
 * The run of `setup` (all its batches): on the GPU when `gpu` is given (the page has a scene to
 * draw it), else the float64 reference with at most CPU_MAX_TRAJECTORIES per batch. On failure
 * everything created so far is disposed and the error is thrown.
 */
export async function createModel(gpu: GpuContext | null, setup: RunSetup, events: ModelEvents, setupMs = 0): Promise<PageModel> {
  const { prob, params, record, batches, compareKey } = setup;
  const { n, m } = prob;
  let run: Run | null = null;
  let shadow: CpuPdRun | null = null;
  let projector: ParticleProjector | null = null;
  let note = '';
  try {
    if (gpu) {
      run = await GpuPdRun.create(gpu, prob, batches, compareKey, setup.init, record, events);
      shadow = new CpuPdRun(prob, [params], firstTrajectories(setup.init, n, m, 1), record);
      // The picture draws batch 0 (the config's own): the first perBatch trajectories of the state buffer.
      projector = new ParticleProjector(gpu.device, run.count, trailLengthFor(run.count), 'PrimalDualView');
    } else {
      const init = firstTrajectories(setup.init, n, m, CPU_MAX_TRAJECTORIES);
      note =
        setup.init.count > init.count
          ? `No WebGPU: running the float64 CPU reference with ${init.count} of ${setup.init.count} trajectories${batches.length > 1 ? ' per batch' : ''}.`
          : 'No WebGPU: running the float64 CPU reference.';
      run = new CpuPdRun(prob, batches, init, record, compareKey);
    }
  } catch (e) {
    if (run instanceof GpuPdRun) run.dispose();
    projector?.dispose();
    throw e;
  }
  return { setup, run, shadow, projector, infos: batchInfos(setup), note, builtAt: performance.now(), setupMs };
}

/** Frees the GPU objects of the model's run and projector. */
export function disposeModel(model: PageModel): void {
  if (model.run instanceof GpuPdRun) model.run.dispose();
  model.projector?.dispose();
}

/**
 * Continue the run of a fresh model at grid step `step` (GPU: from the raw state of all batches,
 * with `recorded` the frames before it from an imported snapshot).
 */
export function continueModelAt(model: PageModel, step: number, raw: Float32Array | null, recorded: PrimalDualFrames | null = null): void {
  const { run } = model;
  if (raw && run instanceof GpuPdRun) {
    run.restore({ step, raw }, recorded);
    model.shadow?.restoreTo(step);
    model.shadow?.take();
  } else if (run instanceof CpuPdRun) run.restoreTo(step);
}

/** The current state of the GPU run (the whole buffer: every batch). */
export function readState(model: PageModel): Promise<{ step: number; raw: Float32Array }> {
  return (model.run as GpuPdRun).readRaw();
}
