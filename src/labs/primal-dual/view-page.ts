// The primal-dual page: owns the runs (one per compared alpha, GPU or CPU), the picture of the
// chosen coordinate plane (three.js from GPU buffers, or Canvas 2D), the overlay with the KKT
// point, the controls (plane, compared alphas, theta window, A/b editor, read-outs) and the
// charts, and implements LabPage for the app shell. frame() never awaits: GPU work is encoded and
// submitted, diagnostics come back through each run's ReadbackPool (view-run-gpu.ts).

import type { GpuContext } from '../../gpu/device';
import { GpuProfiler } from '../../gpu/profiler';
import { APP_VERSION } from '../../io/app-version';
import type { Snapshot } from '../../io/snapshot-types';
import type { LabPage, RunStatus, ViewHost } from '../lab';
import { FieldError } from '../schema';
import { CanvasPicture } from '../shared/view/canvas-picture';
import { ParticleProjector } from '../shared/view/particle-projector';
import { ParticleScene, trailLengthFor } from '../shared/view/particle-scene';
import { fitBounds, ScreenMap, type Bounds } from '../shared/view/screen-map';
import { dimensionsOf, importProblemJson, objectiveTemplate, parseConfig, runSetup, type RunSetup } from './config';
import { KktError } from './kkt';
import { thetaWindow } from './reference';
import type { DynamicsParams, PrimalDualConfig } from './types';
import { PrimalDualCharts, type RunInfo } from './view-charts';
import { alphaColour } from './colours';
import { Controls } from './view-controls';
import { MatrixEditor } from './view-matrix-editor';
import { Overlay } from './view-overlay';
import { CPU_MAX_TRAJECTORIES, CpuPdRun, firstTrajectories } from './view-run-cpu';
import { GpuPdRun, type RunHistory } from './view-run-gpu';

const LAB_ID = 'primal-dual';
/** States kept per recorded frame for snapshots, at most (diagnostics are kept for all). */
const KEEP_STATES = 4096;
/** CPU stepping budget per frame, ms (all runs together). */
const CPU_BUDGET_MS = 14;

type Run = GpuPdRun | CpuPdRun;

interface Model {
  setup: RunSetup;
  runs: Run[];
  /** float64 twin of trajectory 0 of the primary GPU run (measured float32 noise). */
  shadow: CpuPdRun | null;
  projector: ParticleProjector | null;
  infos: RunInfo[];
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

function isConserved(p: DynamicsParams): boolean {
  const xi = p.theta * (p.alpha - 1) - 1;
  return Math.abs(xi) < 1e-12 && Math.abs(p.p - (1 - 2 * p.theta) / p.theta) < 1e-12;
}

/** config with A, b replaced; objective and an explicit initial state resized to the new n, m. */
export function withConstraints(c: PrimalDualConfig, A: number[][], b: number[]): PrimalDualConfig {
  const n = A[0]?.length ?? 0;
  const m = A.length;
  const fit = (v: number[] | undefined, len: number) => (v ? Array.from({ length: len }, (_, i) => v[i] ?? 0) : undefined);
  const next: PrimalDualConfig = { ...structuredClone(c), A, b };
  if (n !== c.A[0].length) next.objective = objectiveTemplate(c.objective.kind, n, c.objective);
  if (!('count' in c.initial)) {
    const i = c.initial;
    next.initial = Object.fromEntries(
      Object.entries({ x: fit(i.x, n), lambda: fit(i.lambda, m), dx: fit(i.dx, n), dlambda: fit(i.dlambda, m) }).filter(([, v]) => v !== undefined),
    );
  }
  return next;
}

export class PrimalDualPage implements LabPage<PrimalDualConfig> {
  private model: Model | null = null;
  private scene: ParticleScene | null = null;
  private picture: CanvasPicture | null = null;
  private profiler: GpuProfiler | null = null;
  private readonly overlay: Overlay;
  private readonly controls: Controls;
  private readonly editor: MatrixEditor;
  private readonly charts: PrimalDualCharts;
  private readonly resizeObserver: ResizeObserver | null;
  private compare: number[] = [3, 4, 8];
  private ax = 0;
  private ay = 1;
  private map: ScreenMap | null = null;
  private needFill = true;
  /** CPU picture: projected positions and a trail ring (newest first). */
  private cpuTrail: Float32Array[] = [];
  private haltedReason: string | undefined;
  private stepsPerSecond: number | undefined;
  private lastFrameTime = 0;
  private frameCount = 0;
  private lastGood: { step: number; raws: Float32Array[] } | null = null;
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
    this.overlay = new Overlay(host.overlay);
    this.controls = new Controls(
      host.controls,
      {
        axes: (ax, ay) => {
          this.ax = ax;
          this.ay = ay;
          this.needFill = true;
          this.cpuTrail = [];
          this.relayout();
        },
        compare: (alphas) => {
          this.compare = alphas;
          if (this.model) void this.build(this.model.setup.config).catch((e) => this.host.notify({ level: 'error', text: (e as Error).message }));
        },
      },
      this.compare.join(', '),
    );
    this.editor = new MatrixEditor(host.controls, {
      apply: (A, b) => void this.applyConstraints(A, b),
      importJson: (name, text) => void this.importJson(name, text),
    });
    this.charts = new PrimalDualCharts(host.charts);
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout()) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  async init(): Promise<void> {
    if (this.gpu) this.scene = await ParticleScene.create(this.host.canvas, this.gpu.device);
    else this.picture = new CanvasPicture(this.host.canvas);
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: PrimalDualConfig): Promise<void> {
    const cfg = parseConfig(config);
    if (this.model && JSON.stringify(this.model.setup.config) === JSON.stringify(cfg)) return;
    await this.build(cfg);
  }

  frame(steps: number): void {
    const model = this.model;
    if (this.disposed || !model) return;
    this.frameCount++;
    this.host.canvas.dataset.frame = String(this.frameCount);
    const now = performance.now();
    const todo = this.haltedReason ? 0 : steps;
    let n = 0;
    const primary = model.runs[0];
    if (primary instanceof GpuPdRun && this.gpu) {
      const encoder = this.gpu.device.createCommandEncoder({ label: 'PrimalDualView.frameEncoder' });
      const profiler = this.profiler;
      profiler?.beginFrame();
      const tw = profiler ? (name: string) => profiler.timestampWrites(name) : undefined;
      model.runs.forEach((r, i) => {
        const did = (r as GpuPdRun).encode(encoder, todo, tw);
        if (i === 0) n = did;
      });
      if ((n > 0 || this.needFill) && model.projector) {
        const sim = primary.sim;
        model.projector.encode(encoder, sim.state, { d: sim.stateStride, axisX: this.ax, axisY: this.ay, timeY: 0, fillAll: this.needFill }, tw?.('project'));
        this.needFill = false;
      }
      profiler?.resolve(encoder);
      this.gpu.device.queue.submit([encoder.finish()]);
      for (const r of model.runs) (r as GpuPdRun).submitted();
      profiler?.submitted();
      if (model.shadow) {
        model.shadow.advance(primary.k - model.shadow.k);
        this.charts.addShadow(model.shadow.take());
      }
      if (n > 0 && this.frameCount % 60 === 0) this.save(model);
    } else {
      const cpu = model.runs as CpuPdRun[];
      n = cpu[0].advance(todo, CPU_BUDGET_MS / cpu.length);
      for (let i = 1; i < cpu.length; i++) cpu[i].advance(cpu[0].k - cpu[i].k);
      cpu.forEach((r, i) => {
        this.charts.add(i, r.take());
        if (r.halted && r.haltReason) this.halt(r.haltReason);
      });
      if (n > 0 || this.cpuTrail.length === 0) this.projectCpu(cpu[0]);
    }
    if (n > 0 && this.lastFrameTime > 0) {
      const rate = n / Math.max(1e-3, (now - this.lastFrameTime) / 1000);
      this.stepsPerSecond = this.stepsPerSecond === undefined ? rate : 0.9 * this.stepsPerSecond + 0.1 * rate;
    }
    this.lastFrameTime = now;
    this.charts.render();
    if (n > 0 || this.frameCount % 15 === 0) this.updateReadout();
    this.draw();
  }

  async reset(): Promise<void> {
    if (this.model) await this.build(this.model.setup.config);
  }

  status(): RunStatus {
    const r = this.model?.runs[0];
    return {
      step: r?.k ?? 0,
      steps: r?.K ?? 0,
      t: r?.t ?? 0,
      done: this.model ? this.model.runs.every((x) => x.done || x.halted) : false,
      haltedReason: this.haltedReason,
      stepsPerSecond: this.stepsPerSecond,
      passMs: r instanceof GpuPdRun ? this.profiler?.passMs() : undefined,
    };
  }

  async snapshot(): Promise<Snapshot> {
    const model = this.model;
    if (!model) throw new Error('primal-dual: no run to snapshot yet');
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
      const raws = await Promise.all(model.runs.map((r) => (r as GpuPdRun).readRaw()));
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
        backend: f32 ? (this.gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64',
        adapter: this.gpu?.adapterDescription ?? 'none (CPU float64 reference)',
        trajectories: primary.count,
        statesKept: h.keep,
        compareAlphas: model.runs.slice(1).map((r) => ({ alpha: r.alpha, theta: r.theta })),
        kkt: { residual: prob.kkt.residual, stationarity: prob.kkt.stationarity, feasibility: prob.kkt.feasibility, fStar: prob.kkt.fStar, method: prob.kkt.method },
        source: 'page',
      },
      resume,
    };
  }

  async restore(snapshot: Snapshot): Promise<void> {
    if (snapshot.lab !== LAB_ID) throw new FieldError('lab', snapshot.lab, `"${LAB_ID}"`);
    const cfg = parseConfig(snapshot.config);
    const resume = snapshot.resume as { step?: unknown; alphas?: unknown } | undefined;
    if (Array.isArray(resume?.alphas)) this.compare = (resume.alphas as number[]).slice(1);
    await this.build(cfg);
    const step = resume?.step;
    if (typeof step === 'number' && Number.isInteger(step) && step > 0) {
      const raw = snapshot.arrays.resume_state;
      await this.continueAt(step, raw ? Float32Array.from(raw.data) : null);
    }
    this.host.configChanged(cfg);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return this.charts.svgs();
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    const last = this.lastGood;
    this.disposeModel();
    this.scene?.dispose();
    this.scene = null;
    this.gpu = gpu;
    this.setProfiler(gpu);
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    else if (!this.picture) {
      this.host.notify({ level: 'error', text: 'The GPU device was lost and no new one is available; reload the page to use the CPU fallback.' });
      return;
    }
    const cfg = this.lastConfig;
    if (!cfg) return;
    await this.build(cfg);
    if (last && last.step > 0) {
      const all = new Float32Array(last.raws.reduce((s, r) => s + r.length, 0));
      let o = 0;
      for (const r of last.raws) {
        all.set(r, o);
        o += r.length;
      }
      await this.continueAt(last.step, gpu ? all : null);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.closeProblemNotice?.();
    this.resizeObserver?.disconnect();
    this.disposeModel();
    this.profiler?.dispose();
    this.profiler = null;
    this.scene?.dispose();
    this.overlay.dispose();
    this.controls.dispose();
    this.editor.dispose();
    this.charts.dispose();
  }

  // ---- building runs -------------------------------------------------------------------------

  private lastConfig: PrimalDualConfig | null = null;

  private setProfiler(gpu: GpuContext | null): void {
    this.profiler?.dispose();
    this.profiler = gpu ? new GpuProfiler(gpu.device, 'PrimalDualView.profiler', { maxPasses: 256 }) : null;
  }

  private disposeModel(): void {
    const m = this.model;
    this.model = null;
    if (!m) return;
    for (const r of m.runs) if (r instanceof GpuPdRun) r.dispose();
    m.projector?.dispose();
  }

  private build(cfg: PrimalDualConfig): Promise<void> {
    const job = this.busy.then(() => this.buildNow(cfg));
    this.busy = job.catch(() => undefined);
    return job;
  }

  /** New runs for cfg; on failure the previous ones stay. */
  private async buildNow(cfg: PrimalDualConfig): Promise<void> {
    const setup = runSetup(cfg);
    const { prob, params, record } = setup;
    const { n, m } = prob;
    const alphas = [params.alpha, ...this.compare.filter((a) => a !== params.alpha)];
    const per = alphas.map((a) => paramsForAlpha(params, a));
    const runs: Run[] = [];
    let shadow: CpuPdRun | null = null;
    let projector: ParticleProjector | null = null;
    let note = '';
    try {
      if (this.gpu && this.scene) {
        for (const p of per) {
          const r: GpuPdRun = await GpuPdRun.create(this.gpu, prob, p.params, setup.init, record, KEEP_STATES, {
            frames: (f) => {
              const i = this.model?.runs.indexOf(r) ?? -1;
              if (i >= 0) this.charts.add(i, f);
            },
            halted: (reason) => {
              if (this.model?.runs[0] === r) this.halt(reason);
              else if (this.model?.runs.includes(r)) this.host.notify({ level: 'warn', text: reason });
            },
          });
          runs.push(r);
        }
        shadow = new CpuPdRun(prob, params, firstTrajectories(setup.init, n, m, 1), record);
        projector = new ParticleProjector(this.gpu.device, runs[0].count, trailLengthFor(runs[0].count), 'PrimalDualView');
        if (setup.init.count > KEEP_STATES) note = `Snapshots keep the states of the first ${KEEP_STATES} of ${setup.init.count} trajectories (diagnostics: all).`;
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
    if (this.disposed) {
      for (const r of runs) if (r instanceof GpuPdRun) r.dispose();
      projector?.dispose();
      return;
    }
    const sameShape = this.model && dimensionsOf(this.model.setup.config).n === n && dimensionsOf(this.model.setup.config).m === m;
    this.disposeModel();
    const infos: RunInfo[] = per.map((p) => ({ alpha: p.params.alpha, theta: p.params.theta, conserved: isConserved(p.params), note: p.note }));
    this.model = { setup, runs, shadow, projector, infos };
    this.lastConfig = setup.config;
    this.lastGood = null;
    this.haltedReason = undefined;
    this.stepsPerSecond = undefined;
    this.lastFrameTime = 0;
    this.needFill = true;
    this.cpuTrail = [];
    if (!sameShape) {
      this.ax = 0;
      this.ay = 1;
    }
    if (projector && this.scene) {
      this.scene.setParticleBuffers(projector.positions, projector.trail, runs[0].count, projector.trailLength);
      this.scene.setPointSize(runs[0].count > 20_000 ? 2 : 3.5);
    }
    this.controls.configure(n, m, this.ax, this.ay);
    this.controls.showTheta(params.theta, per.map((p, i) => ({ alpha: p.params.alpha, colour: alphaColour(i) })));
    this.controls.setNote(note);
    this.editor.set(setup.config.A, setup.config.b);
    this.editor.clearError();
    this.charts.reset(infos, params.t0, params.T, runs[0] instanceof GpuPdRun);
    this.relayout();
    this.updateReadout();
  }

  /** After a build: continue all runs at grid step `step` (GPU: from saved raw states). */
  private async continueAt(step: number, raws: Float32Array | null): Promise<void> {
    const model = this.model;
    if (!model) return;
    if (raws && model.runs[0] instanceof GpuPdRun) {
      const len = raws.length / model.runs.length;
      model.runs.forEach((r, i) => (r as GpuPdRun).restore({ step, raw: raws.slice(i * len, (i + 1) * len) }));
      model.shadow?.restoreTo(step);
      model.shadow?.take();
    } else {
      for (const r of model.runs) if (r instanceof CpuPdRun) r.restoreTo(step);
    }
    this.needFill = true;
    this.cpuTrail = [];
  }

  /** Periodic copy of the states, for device-loss recovery (never awaited by the frame). */
  private save(model: Model): void {
    if (this.saving) return;
    this.saving = true;
    Promise.all(model.runs.map((r) => (r as GpuPdRun).readRaw()))
      .then((rs) => {
        if (this.model === model && rs.every((r) => r.step === rs[0].step && r.raw.every(Number.isFinite))) {
          this.lastGood = { step: rs[0].step, raws: rs.map((r) => r.raw) };
        }
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

  private async importJson(name: string, text: string): Promise<void> {
    const cfg = this.model?.setup.config;
    if (!cfg) return;
    try {
      await this.applyConfig(importProblemJson(text, cfg, name));
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

  // ---- picture -------------------------------------------------------------------------------

  private cssSize(): [number, number] {
    const c = this.host.canvas;
    return [Math.max(1, c.clientWidth || c.width), Math.max(1, c.clientHeight || c.height)];
  }

  private zStar(): Float64Array {
    const { kkt } = this.model!.setup.prob;
    return Float64Array.from([...kkt.x, ...kkt.lambda]);
  }

  private axisNames(): [string, string] {
    const { n } = this.model!.setup.prob;
    const name = (j: number) => (j < n ? `x${j}` : `λ${j - n}`);
    return [name(this.ax), name(this.ay)];
  }

  /** Bounds (absolute coordinates) around the initial cloud and the KKT point. */
  private relayout(): void {
    const model = this.model;
    if (!model) return;
    const [w, hgt] = this.cssSize();
    const { init, prob } = model.setup;
    const { n, m } = prob;
    const z = this.zStar();
    const comp = (i: number, j: number) => z[j] + (j < n ? init.e[i * n + j] : init.l[i * m + j - n]);
    const xs = [z[this.ax]];
    const ys = [z[this.ay]];
    for (let i = 0; i < Math.min(init.count, 4096); i++) {
      xs.push(comp(i, this.ax));
      ys.push(comp(i, this.ay));
    }
    const raw = fitBounds(xs, ys, w / hgt, false);
    // fitBounds pads by at least 0.5; tighten for small clouds so the KKT neighbourhood is visible.
    const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1e-6);
    const cx = (raw.xMin + raw.xMax) / 2;
    const cy = (raw.yMin + raw.yMax) / 2;
    const scale = Math.min(1, (1.5 * span) / Math.min(raw.xMax - raw.xMin, raw.yMax - raw.yMin));
    const bw = ((raw.xMax - raw.xMin) * scale) / 2;
    const bh = ((raw.yMax - raw.yMin) * scale) / 2;
    const bounds: Bounds = { xMin: cx - bw, xMax: cx + bw, yMin: cy - bh, yMax: cy + bh };
    this.map = new ScreenMap(bounds, w, hgt);
    if (this.scene) {
      this.scene.resize(w, hgt);
      // The GPU draws error coordinates (state buffer): shift the camera by z*.
      this.scene.setBounds({ xMin: bounds.xMin - z[this.ax], xMax: bounds.xMax - z[this.ax], yMin: bounds.yMin - z[this.ay], yMax: bounds.yMax - z[this.ay] });
    }
    this.picture?.resize(w, hgt);
    this.picture?.setBounds(bounds);
    this.drawOverlay();
  }

  private drawOverlay(): void {
    const model = this.model;
    if (!model || !this.map) return;
    const z = this.zStar();
    const r = model.runs[0];
    const backend = r instanceof GpuPdRun ? (this.gpu?.isSoftware ? 'WebGPU (software)' : 'WebGPU') : 'CPU float64';
    const c = model.setup.config;
    const label = `α = ${c.alpha}, θ = ${c.theta.toPrecision(4)}, β = ${c.beta} · ${r.count} trajectories · ${backend} · m = ${model.setup.prob.m}, n = ${model.setup.prob.n}`;
    this.overlay.draw(this.map, this.axisNames(), [z[this.ax], z[this.ay]], label);
  }

  private projectCpu(run: CpuPdRun): void {
    const { n, m } = run.prob;
    const z = this.zStar();
    const out = new Float32Array(run.count * 2);
    const comp = (i: number, j: number) => z[j] + (j < n ? run.e[i * n + j] : run.l[i * m + j - n]);
    for (let i = 0; i < run.count; i++) {
      out[2 * i] = comp(i, this.ax);
      out[2 * i + 1] = comp(i, this.ay);
    }
    this.cpuTrail.unshift(out);
    if (this.cpuTrail.length > 32) this.cpuTrail.length = 32;
  }

  private updateReadout(): void {
    const model = this.model;
    if (!model) return;
    const { prob, params } = model.setup;
    const r = model.runs[0];
    const t = r.t;
    const s = Math.pow(t, params.p);
    const w = params.theta * t * s * prob.sigmaMax;
    const hUsed = (params.T - params.t0) / r.K;
    const f = (v: number) => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(5) : v.toExponential(3));
    const { kkt } = prob;
    const lines = [
      `x* = (${Array.from(kkt.x, f).join(', ')})`,
      `λ* = (${Array.from(kkt.lambda, f).join(', ')})   f* = ${f(kkt.fStar)}`,
      `KKT residual (float64) = ${kkt.residual.toExponential(2)}  [stationarity ${kkt.stationarity.toExponential(1)}, feasibility ${kkt.feasibility.toExponential(1)}]`,
      `gyration θ t s σmax(A) = ${f(w)} rad/unit t at t = ${f(t)}  (σmax = ${f(prob.sigmaMax)}, h·ω = ${f(w * hUsed)})`,
      `ξ = θ(α−1) − 1 = ${f(params.theta * (params.alpha - 1) - 1)}${isConserved(params) ? '  → Q(t) conserved (boundary case)' : ''}`,
    ];
    if (params.integrator === 'rk4' && w * hUsed > 2.8) lines.push('warning: RK4 is unstable here (h θ t s σmax > 2.8); use the rotation integrator');
    this.controls.setReadout(lines);
  }

  private draw(): void {
    const model = this.model;
    if (!model) return;
    const r = model.runs[0];
    if (this.scene && r instanceof GpuPdRun && model.projector) {
      this.scene.setTrailHead(model.projector.head, model.projector.filled);
      this.scene.render();
    } else if (this.picture && this.cpuTrail.length > 0) {
      this.picture.draw(this.cpuTrail[0], this.cpuTrail);
    }
  }
}
