// The primal-dual page: owns the run of the current config (runs.ts: every batch of config.compare
// in one run, GPU or CPU), the GPU profiler, the A/b editor and the charts, and implements LabPage for the app
// shell: config, frame, reset, status, restore, device loss. What is drawn — the picture of the
// chosen plane, the overlay with the KKT point, the lab controls and read-outs — is the Display's
// (display.ts); the export is built in snapshot.ts. frame() never awaits: GPU work is encoded and
// submitted, diagnostics come back through each run's ReadbackPool (run-gpu.ts).

import type { GpuContext } from '../../../gpu/device';
import { GpuProfiler } from '../../../gpu/profiler';
import { FILE_LIMITS, readFileText, type SizedFile } from '../../../io/input';
import type { Snapshot } from '../../../io/snapshot-types';
import type { LabPage, RunStatus, ViewHost } from '../../lab';
import { FieldError } from '../../schema';
import { dimensionsOf, importProblemJson, parseConfig, runSetup, withConstraints } from '../config';
import { KktError } from '../kkt';
import type { PrimalDualConfig, PrimalDualFrames } from '../types';
import { PrimalDualCharts } from './charts/diagnostics';
import { Display } from './display';
import { MatrixEditor } from './matrix-editor';
import { CpuPdRun } from './run-cpu';
import { GpuPdRun } from './run-gpu';
import { continueModelAt, createModel, disposeModel, readState, type PageModel } from './runs';
import { pageSnapshot, readResume } from './snapshot';

/** CPU stepping budget per frame, ms (all batches together). */
const CPU_BUDGET_MS = 14;

export class PrimalDualPage implements LabPage<PrimalDualConfig> {
  private model: PageModel | null = null;
  private profiler: GpuProfiler | null = null;
  private readonly display: Display;
  private readonly editor: MatrixEditor;
  private readonly charts: PrimalDualCharts;
  private haltedReason: string | undefined;
  private frameCount = 0;
  /** The config of the last run built (rebuilt after a device loss). */
  private lastConfig: PrimalDualConfig | null = null;
  /** The last finite state of the GPU run (every batch), for device-loss recovery. */
  private lastGood: { step: number; raw: Float32Array } | null = null;
  /** Step of the last save started (one per step reached while idle). */
  private savedStep = -1;
  private saving = false;
  private busy: Promise<void> = Promise.resolve();
  private disposed = false;
  /** Dismisses the notice of the last refused A, b or import (closed when a later one succeeds). */
  private closeProblemNotice: (() => void) | null = null;

  constructor(
    private readonly host: ViewHost,
    private gpu: GpuContext | null,
  ) {
    this.setProfiler(gpu);
    this.display = new Display(host, { model: () => this.model, gpu: () => this.gpu });
    this.editor = new MatrixEditor(host.controls, {
      apply: (A, b) => void this.applyConstraints(A, b),
      importJson: (file) => void this.importJson(file),
    });
    this.charts = new PrimalDualCharts(host.charts);
  }

  async init(): Promise<void> {
    await this.display.init(this.gpu);
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: PrimalDualConfig): Promise<void> {
    const cfg = parseConfig(config);
    this.host.checkMemory(cfg); // the page's memory budget, before anything is allocated
    if (this.model && JSON.stringify(this.model.setup.config) === JSON.stringify(cfg)) return;
    await this.build(cfg);
  }

  frame(steps: number): void {
    const model = this.model;
    if (this.disposed || !model) return;
    this.frameCount++;
    this.host.canvas.dataset.frame = String(this.frameCount);
    const todo = this.haltedReason ? 0 : steps;
    let n = 0;
    const run = model.run;
    if (run instanceof GpuPdRun && this.gpu) {
      const encoder = this.gpu.device.createCommandEncoder({ label: 'PrimalDualView.frameEncoder' });
      const profiler = this.profiler;
      profiler?.beginFrame();
      const tw = profiler ? (name: string) => profiler.timestampWrites(name) : undefined;
      // One dispatch per step range advances every batch.
      n = run.encode(encoder, todo, tw);
      this.display.encodeProjection(encoder, model, n, tw);
      profiler?.resolve(encoder);
      this.gpu.device.queue.submit([encoder.finish()]);
      run.submitted();
      profiler?.submitted();
      if (model.shadow) {
        model.shadow.advance(run.k - model.shadow.k);
        this.charts.addShadow(model.shadow.take());
      }
      // Every 60 frames while running, and once when the run stops advancing (paused, done): a
      // device loss continues from the last saved state.
      if (run.k !== this.savedStep && ((n > 0 && this.frameCount % 60 === 0) || n === 0)) this.save(model);
    } else if (run instanceof CpuPdRun) {
      n = run.advance(todo, CPU_BUDGET_MS);
      this.charts.add(run.take());
      if (run.halted && run.haltReason) this.halt(run.haltReason);
      this.display.followCpu(run, n);
    }
    this.charts.render();
    if (n > 0 || this.frameCount % 15 === 0) this.display.updateReadout();
    this.display.draw();
  }

  async reset(): Promise<void> {
    if (this.model) await this.build(this.model.setup.config);
  }

  status(): RunStatus {
    const r = this.model?.run;
    return {
      step: r?.k ?? 0,
      steps: r?.K ?? 0,
      t: r?.t ?? 0,
      done: r ? r.done || r.halted : false,
      haltedReason: this.haltedReason,
      passMs: r instanceof GpuPdRun ? this.profiler?.passMs() : undefined,
      savedStep: r instanceof GpuPdRun ? (this.lastGood?.step ?? 0) : r?.k,
      unit: 'step',
    };
  }

  /** The status sentence: the charts' key metric and how many trajectories it is over. */
  summary(): string | undefined {
    const s = this.charts.summary();
    const count = this.model?.run.count;
    // The metric is the config's own batch; the compared ones are in the charts.
    const others = this.model?.infos.slice(1).map((i) => i.label) ?? [];
    const compared = others.length ? `; compared with ${others.join(', ')} in the charts` : '';
    return s && count ? `${s}, ${count} trajector${count === 1 ? 'y' : 'ies'}${compared}` : s;
  }

  async snapshot(): Promise<Snapshot> {
    if (!this.model) throw new Error('primal-dual: no run to snapshot yet');
    return pageSnapshot(this.model, this.gpu);
  }

  async restore(snapshot: Snapshot): Promise<void> {
    // The one validator first (view/snapshot.ts readResume): nothing changes when it refuses.
    const { config: cfg, step, raw, recorded } = readResume(snapshot);
    await this.build(cfg);
    if (step > 0) this.continueAt(step, raw, recorded);
    this.host.configChanged(cfg);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return this.charts.svgs();
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    const last = this.lastGood;
    this.disposeModel();
    this.gpu = gpu;
    this.setProfiler(gpu);
    if (!(await this.display.setGpu(gpu))) {
      this.host.notify({ level: 'error', text: 'The GPU device was lost and no new one is available; reload the page to use the CPU fallback.' });
      return;
    }
    const cfg = this.lastConfig;
    if (!cfg) return;
    await this.build(cfg);
    if (last && last.step > 0) this.continueAt(last.step, gpu ? last.raw : null);
  }

  dispose(): void {
    this.disposed = true;
    this.closeProblemNotice?.();
    this.disposeModel();
    this.profiler?.dispose();
    this.profiler = null;
    this.display.dispose();
    this.editor.dispose();
    this.charts.dispose();
  }

  // ---- building runs -------------------------------------------------------------------------

  private setProfiler(gpu: GpuContext | null): void {
    this.profiler?.dispose();
    this.profiler = gpu ? new GpuProfiler(gpu.device, 'PrimalDualView.profiler', { maxPasses: 256 }) : null;
  }

  private disposeModel(): void {
    const m = this.model;
    this.model = null;
    if (m) disposeModel(m);
  }

  private build(cfg: PrimalDualConfig): Promise<void> {
    const job = this.busy.then(() => this.buildNow(cfg));
    this.busy = job.catch(() => undefined);
    return job;
  }

  /** A new run for cfg (all its batches); on failure the previous one stays. */
  private async buildNow(cfg: PrimalDualConfig): Promise<void> {
    const setupStart = performance.now();
    const setup = runSetup(cfg);
    const setupMs = performance.now() - setupStart;
    const { params } = setup;
    let built: PageModel | null = null;
    const model = await createModel(
      this.display.hasScene ? this.gpu : null,
      setup,
      {
        // Only the current model's run reaches the charts (an older one may still deliver reads).
        frames: (f) => {
          if (built && this.model === built) this.charts.add(f);
        },
        halted: (reason) => {
          if (built && this.model === built) this.halt(reason);
        },
      },
      setupMs,
    );
    built = model;
    if (this.disposed) {
      disposeModel(model);
      return;
    }
    const { n, m } = setup.prob;
    const sameShape = this.model && dimensionsOf(this.model.setup.config).n === n && dimensionsOf(this.model.setup.config).m === m;
    this.disposeModel();
    this.model = model;
    this.lastConfig = setup.config;
    this.lastGood = null;
    this.savedStep = -1;
    this.haltedReason = undefined;
    this.display.showModel(model, !!sameShape);
    this.editor.set(setup.config.A, setup.config.b);
    this.editor.clearError();
    this.charts.reset(model.infos, params.t0, params.T, model.run instanceof GpuPdRun);
    this.display.relayout();
    this.display.updateReadout();
  }

  /** After a build: continue the run at grid step `step` (GPU: from a saved raw state and, on an import, its frames). */
  private continueAt(step: number, raw: Float32Array | null, recorded: PrimalDualFrames | null = null): void {
    const model = this.model;
    if (!model) return;
    continueModelAt(model, step, raw, recorded);
    this.display.restarted();
  }

  /** Periodic copy of the state (every batch), for device-loss recovery (never awaited by the frame). */
  private save(model: PageModel): void {
    if (this.saving) return;
    this.saving = true;
    this.savedStep = model.run.k;
    readState(model)
      .then((r) => {
        if (this.model === model && r.raw.every(Number.isFinite)) this.lastGood = { step: r.step, raw: r.raw };
      })
      .catch(() => undefined)
      .finally(() => {
        this.saving = false;
      });
  }

  private halt(reason: string): void {
    if (this.haltedReason) return;
    this.haltedReason = reason;
    this.host.notify({ level: 'error', text: reason });
  }

  // ---- A, b editing --------------------------------------------------------------------------

  private async applyConfig(next: PrimalDualConfig): Promise<void> {
    await this.setConfig(next);
    this.host.configChanged(this.model!.setup.config);
  }

  private async applyConstraints(A: number[][], b: number[]): Promise<void> {
    const cfg = this.model?.setup.config;
    if (!cfg) return;
    try {
      await this.applyConfig(withConstraints(cfg, A, b));
      this.problemSolved();
    } catch (e) {
      this.showProblemError(e);
    }
  }

  private async importJson(file: SizedFile): Promise<void> {
    const cfg = this.model?.setup.config;
    if (!cfg) return;
    try {
      const text = await readFileText(file, FILE_LIMITS.problem, 'a problem file'); // size checked before reading
      await this.applyConfig(importProblemJson(text, cfg, file.name));
      this.problemSolved();
    } catch (e) {
      this.showProblemError(e);
    }
  }

  /** Keeps the previous A, b (the editor shows them again) and says what was wrong. */
  private showProblemError(e: unknown): void {
    const err = e as Error;
    const field = e instanceof FieldError ? e.field : e instanceof KktError ? e.field : null;
    let text = err.message;
    if (e instanceof KktError && e.reason === 'infeasible') text = `Infeasible: no x solves Ax = b (b is not in the range of A). ${text}`;
    else if (e instanceof KktError && e.reason === 'rank-deficient') text = `A is rank-deficient: its rows are dependent, λ* is not unique. ${text}`;
    else if (/infeasib/i.test(text)) text = `Infeasible constraints (no x solves Ax = b) — ${text}`;
    else if (/rank/i.test(text)) text = `Rank-deficient A (dependent rows) — ${text}`;
    const cfg = this.model?.setup.config;
    if (cfg) this.editor.set(cfg.A, cfg.b);
    this.editor.showError(`${text} (kept the previous A, b)`, field);
    // One notice for the editor at a time, gone once A, b are accepted (the editor keeps the message).
    this.closeProblemNotice?.();
    this.closeProblemNotice = this.host.notify({ level: 'error', text, key: 'primal-dual-problem' });
  }

  private problemSolved(): void {
    this.editor.clearError();
    this.closeProblemNotice?.();
    this.closeProblemNotice = null;
  }
}
