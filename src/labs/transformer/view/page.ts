// The transformer page: owns the training run (GPU TransformerTrainer, or the float64 reference at
// reduced size without WebGPU), the display (picture, overlay, controls, charts), the NTK worker,
// and implements LabPage for the app shell. frame() encodes and submits, never awaits: the run
// reports risk, pictures and halts through events. Panel changes of tau, iterations, ntk, ntkEvery or record
// keep the training state; any other change rebuilds. Token edits (mouse, keyboard, touch buttons)
// keep the heads and iteration: a move swaps the data in place, an add or delete (n changes, so
// the buffers do) builds a new run that continues from the current heads at the same iteration.

import type { GpuContext } from '../../../gpu/device';
import { FILE_LIMITS, readFileText } from '../../../io/input';
import type { Snapshot } from '../../../io/snapshot-types';
import type { Backend, LabPage, RunStatus, ViewHost } from '../../lab';
import { saveBlob } from '../../shared/view/download';
import { parseConfig } from '../config';
import { ntkTrackingSkip } from '../headless';
import { recordLayers, toModel } from '../model';
import type { TransformerConfig, TransformerModel } from '../types';
import type { LambdaPoint } from './charts';
import { Display } from './display';
import { dropsWeights, reduceForCpu, tokensJson, withImportedTokens, withTokenAdded, withTokenMoved, withTokenRemoved } from './edit';
import { runNtkJob, type LseSummary } from './ntk-jobs';
import { NtkTracker } from './ntk-tracker';
import { CanvasTrajectories } from './picture-cpu';
import type { TrajectoryPicture } from './picture';
import type { PictureData, RunEvents, TfRun } from './run';
import { CpuTfRun } from './run-cpu';
import { GpuTfRun } from './run-gpu';
import { TrajectoryScene } from './scene';
import { buildSnapshot, readResume, validatedConfig } from './snapshot';
import { runSummary } from './summary';

const SOFT_KEYS = { tau: 0, iterations: 0, ntk: false, ntkEvery: 0, record: 0 };
const sameModel = (a: TransformerConfig, b: TransformerConfig): boolean => JSON.stringify({ ...a, ...SOFT_KEYS }) === JSON.stringify({ ...b, ...SOFT_KEYS });

export class TransformerPage implements LabPage<TransformerConfig> {
  private run: TfRun | null = null;
  private display: Display | null = null;
  private picture: TrajectoryPicture | null = null;
  private ntk: NtkTracker | null = null;
  /** What the shell asked for, and what runs (reduced without WebGPU; explicit after edits). */
  private requested: TransformerConfig | null = null;
  private config: TransformerConfig | null = null;
  private reduced: string[] = [];
  /** Iteration the run started from (restore, device loss): earlier risk lives in the charts only. */
  private runStart = 0;
  private haltedReason: string | undefined;
  private lastPicture: PictureData | null = null;
  /** When the current run was built, and the main-thread time its training frames took (meta.timings). */
  private builtAt = 0;
  private frameMs = 0;
  private busy: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly resizeObserver: ResizeObserver | null;

  constructor(
    private readonly host: ViewHost,
    private gpu: GpuContext | null,
  ) {
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout()) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  async init(): Promise<void> {
    this.picture = this.gpu ? await TrajectoryScene.create(this.host.canvas, this.gpu.device) : new CanvasTrajectories(this.host.canvas);
    this.display = new Display(this.picture, this.host.overlay, this.host.controls, this.host.charts, {
      edit: (b, row, p) => this.edit(b, row, p),
      remove: (row) => this.reshape('Token delete', (cfg, tokens) => withTokenRemoved(cfg, tokens, row)),
      add: (from, offset) => this.reshape('Token add', (cfg, tokens) => withTokenAdded(cfg, tokens, from, offset)),
      ntkCheck: () => this.ntk?.check(),
      importTokens: (file) => void this.importTokens(file),
      exportTokens: () => this.exportTokens(),
    });
    this.ntk = new NtkTracker(this.display.charts, this.display.controls);
    this.relayout();
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: TransformerConfig): Promise<void> {
    const cfg = parseConfig(config);
    this.host.checkMemory(cfg); // the page's memory budget, before anything is allocated
    await this.enqueue(async () => {
      if (this.run && this.config && this.requested && sameModel(this.runnable(cfg).config, this.config)) this.applySoft(cfg);
      else await this.build(cfg);
    });
  }

  frame(steps: number): void {
    const { run, display } = this;
    if (this.disposed || !run || !display) return;
    const now = performance.now();
    if (!this.haltedReason) {
      run.frame(steps, now);
      if (steps > 0) this.frameMs += performance.now() - now;
    }
    // Captions count what status().step counts: the iterations known to be finished.
    display.setCompleted(run.completed);
    display.charts.render();
    display.render();
  }

  async reset(): Promise<void> {
    const cfg = this.requested;
    if (cfg) await this.enqueue(() => this.build(cfg));
  }

  status(): RunStatus {
    const r = this.run;
    // Completed iterations (read back from the GPU), the number the captions show; not the encoded ones.
    const it = r?.completed ?? 0;
    return {
      step: it,
      steps: r?.target ?? 0,
      unit: 'iteration',
      t: (this.config?.tau ?? 0) * it,
      done: !r || r.target === 0 || it >= r.target,
      haltedReason: this.haltedReason,
      // A device loss continues from the heads of the last picture read back (the CPU run loses nothing).
      savedStep: r instanceof GpuTfRun ? (this.lastPicture?.iteration ?? 0) : it,
    };
  }

  summary(): string | undefined {
    const r = this.run;
    return r && this.display ? runSummary(r.model, r.completed, this.display.charts.riskView(), this.display.charts.lambdaHistory()) : undefined;
  }

  async snapshot(): Promise<Snapshot> {
    const { run, config, display } = this;
    if (!run || !config || !display) throw new Error('transformer: no run to snapshot yet');
    const iteration = run.iteration;
    const [heads, states, tail] = await Promise.all([run.exactHeads(), run.exactStates(), run.exactRisk(this.runStart)]);
    let risk: Float64Array | null = null;
    if (run.model.targets) {
      const hist = display.charts.riskHistory();
      risk = Float64Array.from({ length: iteration + 1 }, (_, i) => (i < this.runStart ? (hist[i] ?? NaN) : (tail[i - this.runStart] ?? NaN)));
    }
    const model = { ...run.model, recordLayers: recordLayers(config.L, config.record) };
    const lambda = this.lambdaAtEnd(run, config, heads, iteration);
    const lse = this.ntk?.lse ?? (config.ntk ? this.lseNow(run) : null);
    return buildSnapshot({
      config,
      requested: this.reduced.length ? this.requested : null,
      reduced: this.reduced,
      model,
      iteration,
      heads,
      states,
      risk,
      lambda,
      lse,
      trackingSkip: (config.ntkEvery ?? 0) > 0 && run.model.targets ? (ntkTrackingSkip(run.model) ?? this.ntk?.skip ?? null) : null,
      backend: this.backend(),
      adapter: this.gpu?.adapterDescription ?? 'none (CPU float64 reference)',
      backendNote: this.gpu
        ? `WebGPU on the page (${this.gpu.isSoftware ? 'software' : 'hardware'} adapter)`
        : `no WebGPU on the page: the float64 CPU reference${this.reduced.length ? ` at reduced size (${this.reduced.join(', ')})` : ''}`,
      timings: { trainingFrameMs: this.frameMs, sinceBuildMs: performance.now() - this.builtAt },
    });
  }

  /**
   * The lambda_min history with the exported heads' point included, as the CLI's always ends with
   * the last iteration: the worker may not have answered yet, so a missing one is computed here.
   */
  private lambdaAtEnd(run: TfRun, config: TransformerConfig, heads: Awaited<ReturnType<TfRun['exactHeads']>>, iteration: number): LambdaPoint[] {
    const charts = this.display!.charts;
    const have = charts.lambdaHistory();
    if (!((config.ntkEvery ?? 0) > 0) || !run.model.targets || this.ntk?.skip || ntkTrackingSkip(run.model) || have.some(([it]) => it === iteration)) return have;
    const { tokens, readout, flow } = run.model;
    const h = { ...run.model.heads, Q: Float64Array.from(heads.Q), K: Float64Array.from(heads.K), V: Float64Array.from(heads.V) };
    const r = runNtkJob({ id: -1, kind: 'lambda', iteration, heads: h, tokens, readout, flow });
    if (r.kind !== 'lambda') return have;
    charts.addLambda(iteration, r.lambdaMin, r.lambdaMax);
    return charts.lambdaHistory();
  }

  /** The injectivity check, run now (config.ntk asks for it and the worker's answer is not in yet). */
  private lseNow(run: TfRun): LseSummary | null {
    const r = runNtkJob({ id: -1, kind: 'lse', tokens: run.model.tokens });
    return r.kind === 'lse' ? r.result : null;
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const cfg = validatedConfig(snapshot);
    await this.enqueue(async () => {
      // Checked before anything is replaced: a snapshot that does not fit keeps the current run.
      const state = readResume(snapshot, toModel(this.runnable(cfg).config));
      await this.build(cfg);
      this.continueAt(state.iteration, state.heads, state.risk, state.lambda);
    });
    this.host.configChanged(cfg);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return this.display?.charts.svgs() ?? [];
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    await this.enqueue(async () => {
      const last = this.lastPicture;
      const hist = this.display?.charts.riskHistory() ?? [];
      const lambda = this.display?.charts.lambdaHistory() ?? [];
      const cfg = this.config;
      this.run?.dispose();
      this.run = null;
      if (this.gpu) {
        this.picture?.dispose();
        this.picture = null;
      }
      this.gpu = gpu;
      if (gpu) this.picture = await TrajectoryScene.create(this.host.canvas, gpu.device);
      if (!this.picture || !this.display) {
        this.host.notify({ level: 'error', text: 'The GPU device was lost and no new one is available; reload the page to use the CPU fallback.' });
        return;
      }
      this.display.setPicture(this.picture);
      this.relayout();
      if (!cfg) return;
      await this.build(cfg);
      // build() replaced this.run (TypeScript still sees the null assigned above).
      const run = this.run as TfRun | null;
      if (last && run?.model.targets && last.iteration > 0) this.continueAt(last.iteration, last.heads, Float64Array.from(hist.slice(0, last.iteration + 1)), lambda);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.resizeObserver?.disconnect();
    this.run?.dispose();
    this.run = null;
    this.ntk?.dispose();
    this.display?.dispose();
    this.picture?.dispose();
  }

  // ---- runs ----------------------------------------------------------------------------------

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const job = this.busy.then(work);
    this.busy = job.catch(() => undefined);
    return job;
  }

  private backend(): Backend {
    return this.gpu ? (this.gpu.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64';
  }

  private runnable(cfg: TransformerConfig): { config: TransformerConfig; reduced: string[] } {
    return this.gpu ? { config: cfg, reduced: [] } : reduceForCpu(cfg);
  }

  /** A new run for cfg; on failure the previous one stays. */
  private async build(requested: TransformerConfig): Promise<void> {
    const { config, reduced } = this.runnable(requested);
    const model = toModel(config);
    const ref: { run: TfRun | null } = { run: null };
    const live = (): boolean => !this.disposed && ref.run !== null && this.run === ref.run;
    const events: RunEvents = {
      risk: (from, values) => live() && this.display?.charts.setRisk(from, values),
      picture: (p) => live() && this.onPicture(p),
      halted: (haltIteration, iteration) => live() && this.onHalt(haltIteration, iteration),
    };
    const run: TfRun = this.gpu ? await GpuTfRun.create(this.gpu, model, events) : new CpuTfRun(model, events);
    if (this.disposed || !this.display) {
      run.dispose();
      return;
    }
    this.run?.dispose();
    ref.run = this.run = run;
    // The old run's segment buffer is gone: the scene draws the new run's (before any render).
    if (this.picture instanceof TrajectoryScene) this.picture.setSegmentSource(run instanceof GpuTfRun ? run.segments : null);
    this.requested = requested;
    this.config = config;
    this.reduced = reduced;
    this.runStart = 0;
    this.haltedReason = undefined;
    this.lastPicture = null;
    this.builtAt = performance.now();
    this.frameMs = 0;
    const { heads, tokens } = model;
    const where = this.gpu ? (this.gpu.isSoftware ? 'WebGPU (software)' : 'WebGPU') : 'CPU float64';
    const shape = `B = ${tokens.batch} × n = ${tokens.n}${tokens.query ? ' (+ CLS)' : ''}, d = ${heads.d} · L = ${heads.L} × H = ${heads.H}, ${config.integrator}${config.sphere ? ', sphere' : ''} · ${where}`;
    this.display.setModel(model, [shape]);
    this.ntk?.reset(run, config.ntkEvery ?? 0);
    this.display.charts.reset({ iterations: run.target, hasTargets: model.targets !== null, tau: config.tau, lambdaSkip: this.ntk?.skip ?? null, ntkEvery: config.ntkEvery ?? 0, L: heads.L });
    if (!this.gpu) {
      this.host.notify({
        level: reduced.length ? 'warn' : 'info',
        key: 'transformer-cpu',
        text: `No WebGPU: training runs on the float64 CPU reference${reduced.length ? ` at reduced size (${reduced.join(', ')})` : ''}.`,
      });
    }
    if (this.ntk?.skip) this.host.notify({ level: 'info', key: 'transformer-ntk', text: this.ntk.skip });
    if (config.ntk) this.ntk?.check();
  }

  /** Panel changes that keep the model: step size, iteration budget, ntk, ntkEvery, record. */
  private applySoft(requested: TransformerConfig): void {
    const run = this.run!;
    const prev = this.config!;
    const { config } = this.runnable(requested);
    run.target = run.model.targets ? config.iterations : 0;
    if (config.tau !== prev.tau) {
      run.setTau(config.tau);
      this.haltedReason = undefined;
    }
    this.requested = requested;
    this.config = config;
    this.display?.charts.setSoft(config.tau, run.target, config.ntkEvery ?? 0);
    this.ntk?.setEvery(config.ntkEvery ?? 0);
    if (config.ntk && !prev.ntk) this.ntk?.check();
  }

  private continueAt(iteration: number, heads: PictureData['heads'], risk: Float64Array | null, lambda: LambdaPoint[]): void {
    const run = this.run;
    const charts = this.display?.charts;
    if (!run || !charts) return;
    run.continueFrom(heads, iteration);
    this.runStart = run.iteration;
    if (risk) charts.setRisk(0, risk.subarray(0, run.iteration + 1));
    for (const [it, lo, hi] of lambda) if (it <= run.iteration) charts.addLambda(it, lo, hi);
  }

  private onPicture(p: PictureData): void {
    this.lastPicture = p;
    const start = performance.now();
    this.display?.showPicture(p);
    this.run?.pictureCost(performance.now() - start);
    this.ntk?.onPicture(p);
  }

  private onHalt(haltIteration: number, iteration: number): void {
    const tau = this.config?.tau ?? NaN;
    this.haltedReason =
      `the risk became non-finite at iteration ${haltIteration} with τ = ${tau}; training stopped with the last finite heads (iteration ${iteration}). ` +
      'Lower τ in the panel to continue from there, or reset';
    this.display?.charts.truncateRisk(iteration);
    this.host.notify({ level: 'error', key: 'transformer-halt', text: `Transformer training halted: ${this.haltedReason}.` });
  }

  /**
   * A moved token (drag, or arrow keys): the batch becomes explicit, tokens and teacher targets are
   * replaced, training continues. `position` gives the first coordinates; the others are kept.
   */
  private edit(b: number, row: number, position: readonly number[]): void {
    const run = this.run;
    const cfg = this.config;
    if (!run || !cfg || !this.display) return;
    let next: TransformerConfig;
    try {
      const { n, d, x } = run.model.tokens;
      const full = Array.from(x.subarray((b * n + row) * d, (b * n + row + 1) * d), (v, c) => (c < position.length ? position[c] : v));
      next = withTokenMoved(cfg, run.model.tokens, b, row, full);
    } catch (e) {
      this.host.notify({ level: 'error', key: 'transformer-edit', text: `Token edit refused (kept the previous tokens): ${(e as Error).message}` });
      if (this.lastPicture) this.display.showPicture(this.lastPicture);
      return;
    }
    const model = toModel(next);
    run.setData(model.tokens, model.targets);
    this.display.setTokens({ ...run.model });
    if (dropsWeights(cfg)) this.host.notify({ level: 'info', key: 'transformer-weights', text: 'The edited batch is explicit now: its tokens have equal weights 1/n (the "discrete" generator\'s weights are dropped).' });
    this.config = next;
    this.requested = next;
    this.ntk?.tokensChanged();
    this.host.configChanged(next);
  }

  /**
   * An edit that changes n (add, delete): the batch becomes explicit and a new run, sized for the
   * new n, continues from the current heads at the same iteration (the risk and lambda_min charts
   * keep their history). A refused edit is named in a notice and changes nothing; resolves whether
   * the config changed.
   */
  private async reshape(what: string, change: (cfg: TransformerConfig, tokens: TransformerModel['tokens']) => TransformerConfig): Promise<boolean> {
    const run = this.run;
    const cfg = this.config;
    if (!run || !cfg || !this.display) return false;
    let next: TransformerConfig;
    try {
      next = change(cfg, run.model.tokens);
      this.host.checkMemory(next);
      await this.enqueue(async () => {
        const current = this.run;
        if (!current) return;
        const iteration = current.iteration;
        const h = await current.exactHeads();
        const heads = { ...current.model.heads, Q: Float64Array.from(h.Q), K: Float64Array.from(h.K), V: Float64Array.from(h.V) };
        const risk = this.display?.charts.riskHistory() ?? [];
        const lambda = this.display?.charts.lambdaHistory() ?? [];
        await this.build(next);
        this.continueAt(iteration, heads, current.model.targets ? Float64Array.from(risk.slice(0, iteration + 1)) : null, lambda);
      });
    } catch (e) {
      this.host.notify({ level: 'error', key: 'transformer-edit', text: `${what} refused (kept the previous tokens): ${(e as Error).message}` });
      return false;
    }
    if (dropsWeights(cfg)) this.host.notify({ level: 'info', key: 'transformer-weights', text: 'The edited batch is explicit now: its tokens have equal weights 1/n (the "discrete" generator\'s weights are dropped).' });
    this.host.configChanged(next);
    return true;
  }

  /** A token file replaces the batch (a new run); a bad file is named in a notice and changes nothing. */
  private async importTokens(file: File): Promise<void> {
    const base = this.requested ?? this.config;
    if (!base) return;
    let next: TransformerConfig;
    try {
      next = withImportedTokens(base, await readFileText(file, FILE_LIMITS.tokens, 'a token file')); // size checked before reading
      await this.setConfig(next);
    } catch (e) {
      this.host.notify({ level: 'error', key: 'transformer-import', text: `Token import from ${file.name} refused (kept the current run): ${(e as Error).message}` });
      return;
    }
    this.host.configChanged(next);
    this.host.notify({ level: 'info', key: 'transformer-import', text: `Imported ${file.name}: the batch is explicit now.` });
  }

  private exportTokens(): void {
    const run = this.run;
    if (!run) return;
    saveBlob('tokens.json', new Blob([tokensJson(run.model.tokens)], { type: 'application/json' }));
  }

  private relayout(): void {
    const c = this.host.canvas;
    this.display?.resize(Math.max(1, c.clientWidth || c.width), Math.max(1, c.clientHeight || c.height));
  }
}
