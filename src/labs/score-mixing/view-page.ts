// The score-mixing page: owns the run (GPU or CPU), the picture, the overlay, the controls and
// the charts, and implements LabPage for the app shell. The frame loop (frame) never awaits:
// GPU work is encoded and submitted, readbacks are consumed by their promises (view-run-gpu.ts),
// the potential field is recomputed through FieldLayer's single in-flight request.

import type { GpuContext } from '../../gpu/device';
import { GpuProfiler } from '../../gpu/profiler';
import type { Snapshot } from '../../io/snapshot-types';
import { APP_VERSION } from '../../io/app-version';
import { parsePointSetFile, pointSetToCsv, pointSetToJson } from '../../io/point-sets';
import type { LabPage, RunStatus, ViewHost } from '../lab';
import { FieldError } from '../schema';
import { nearestCriticalDistances, stableCriticalPoints, type CriticalPoint } from './analysis';
import { DistanceChart, summarise } from './charts-distance';
import { LambdaChart } from './charts-lambda';
import { parseConfig, dimensionOf, runSetup } from './config';
import type { Measure, ParticleState, ScoreMixingConfig } from './types';
import { channelRange, colourise, contourLevels, contourLines, domainFor, type FieldChannel } from './view-colormap';
import { CanvasPicture } from '../shared/canvas-picture';
import { saveBlob } from '../shared/download';
import { Controls, type LayerToggles } from './view-controls';
import { FieldLayer, type FieldGrid } from './view-field';
import { fitBounds, makeProjection, ScreenMap, timeToY, type Bounds, type Projection } from './view-geometry';
import { cellPolygons, projectedCriticalPoints, scoreArrows } from './view-analysis';
import { Overlay, type AtomEdit, type MeasureId } from './view-overlay';
import { CpuRun, CPU_MAX_PARTICLES, type CpuSample } from './view-run-cpu';
import { GpuRun, type SampleResult } from './view-run-gpu';
import { ParticleScene, trailLengthFor } from '../shared/particle-scene';

const LAB_ID = 'score-mixing';

interface Model {
  config: ScoreMixingConfig;
  mu1: Measure;
  mu2: Measure;
  cps: CriticalPoint[];
}

export class ScoreMixingPage implements LabPage<ScoreMixingConfig> {
  private model: Model | null = null;
  private run: GpuRun | CpuRun | null = null;
  private scene: ParticleScene | null = null;
  private picture: CanvasPicture | null = null;
  private readonly field: FieldLayer;
  /** Times the generate, project and field passes for the HUD (no-op without timestamp-query). */
  private profiler: GpuProfiler | null = null;
  private readonly overlay: Overlay;
  private readonly controls: Controls;
  private readonly distChart: DistanceChart;
  private readonly lambdaChart: LambdaChart;
  private readonly resizeObserver: ResizeObserver | null;
  private projection: Projection | null = null;
  private map: ScreenMap | null = null;
  private grid: FieldGrid | null = null;
  private channel: FieldChannel = 2;
  private scrubT = 1;
  private lastFieldT = 1;
  private follow = true;
  private layers: LayerToggles;
  private ax = 0;
  private ay = 1;
  private haltedReason: string | undefined;
  private stepsPerSecond: number | undefined;
  private lastFrameTime = 0;
  private frameCount = 0;
  private fieldErrorShown = false;
  private busy: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly host: ViewHost,
    private gpu: GpuContext | null,
  ) {
    this.field = new FieldLayer(gpu, (g) => this.onField(g), gpu?.isSoftware ? 128 : 256, gpu?.isSoftware ? 128 : 256);
    this.setProfiler(gpu);
    this.overlay = new Overlay(
      host.overlay,
      (e) => void this.applyEdit(e),
      (text) => host.notify({ level: 'warn', text }),
    );
    this.controls = new Controls(host.controls, {
      scrub: (t, follow) => {
        this.scrubT = t;
        this.follow = follow;
        if (follow && this.run) this.scrubT = this.run.t;
        this.requestField();
      },
      channel: (c) => {
        this.channel = c;
        this.redrawField();
      },
      axes: (ax, ay) => {
        this.ax = ax;
        this.ay = ay;
        this.relayout(true);
        if (this.run instanceof GpuRun) this.run.needFill = true;
      },
      layers: (l) => {
        this.layers = l;
        this.scene?.setTrailsVisible(l.trails);
        if (this.picture) this.picture.showTrails = l.trails;
        this.redrawOverlay();
      },
      editTarget: (m) => {
        this.overlay.editTarget = m;
      },
      importFile: (m, name, text) => void this.importSet(m, name, text),
      exportSet: (m, format) => this.exportSet(m, format),
    });
    this.layers = { ...this.controls.layers };
    this.distChart = new DistanceChart(host.charts);
    this.lambdaChart = new LambdaChart(host.charts, (l) => void this.pickLambda(l));
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout(false)) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  async init(): Promise<void> {
    if (this.gpu) {
      this.scene = await ParticleScene.create(this.host.canvas, this.gpu.device);
    } else {
      this.picture = new CanvasPicture(this.host.canvas);
    }
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: ScoreMixingConfig): Promise<void> {
    // Validate first: a FieldError leaves everything as it was.
    const cfg = parseConfig(config);
    const prev = this.model?.config;
    if (prev && JSON.stringify(prev) === JSON.stringify(cfg)) return;
    if (prev && this.run && JSON.stringify({ ...prev, lambda: 0 }) === JSON.stringify({ ...cfg, lambda: 0 })) {
      this.setLambdaLive(cfg);
      return;
    }
    await this.build(cfg, null);
  }

  frame(steps: number): void {
    if (this.disposed || !this.model || !this.run) return;
    this.frameCount++;
    (this.host.canvas as HTMLCanvasElement & { dataset: DOMStringMap }).dataset.frame = String(this.frameCount);
    this.field.pump();
    if (this.field.error && !this.fieldErrorShown) {
      this.fieldErrorShown = true;
      this.host.notify({ level: 'warn', text: this.field.error });
    }
    const now = performance.now();
    const cfg = this.model.config;
    const timeY = (t: number) => timeToY(t, cfg.T, cfg.tMin);
    let n = 0;
    const run = this.run;
    if (run instanceof GpuRun) {
      n = run.advance(this.haltedReason ? 0 : steps, this.projection!.ax, this.projection!.ay, timeY, this.profiler);
    } else {
      const before = run.k;
      // Steps of 0 still take the sample of the current state when it is due (schedule).
      n = run.advance(this.haltedReason ? 0 : steps);
      if (run.halted && !this.haltedReason) this.halt(`${run.haltReason ?? 'non-finite particle'} (kept the last finite state)`);
      if (n > 0 || before === 0 || run.trail.length === 0) {
        run.project(this.projection!.ax, this.projection!.ay, timeY(run.t), run.trail.length > 0);
      }
      this.onSamples(run.takeSamples());
    }
    if (n > 0 && this.lastFrameTime > 0) {
      const rate = n / Math.max(1e-3, (now - this.lastFrameTime) / 1000);
      this.stepsPerSecond = this.stepsPerSecond === undefined ? rate : 0.9 * this.stepsPerSecond + 0.1 * rate;
    }
    this.lastFrameTime = now;
    if (n > 0 && this.follow) {
      this.scrubT = run.t;
      this.controls.showTime(run.t);
      if (this.projection!.d === 1) this.drawScrub();
      else if (Math.abs(Math.log(run.t / this.lastFieldT)) > this.fieldStepLog(cfg)) this.requestField();
    }
    this.draw();
  }

  async reset(): Promise<void> {
    if (!this.model) return;
    await this.build(this.model.config, null);
  }

  status(): RunStatus {
    const run = this.run;
    const cfg = this.model?.config;
    return {
      step: run?.k ?? 0,
      steps: cfg?.steps ?? 0,
      t: run?.t ?? cfg?.T ?? 0,
      done: run?.done ?? false,
      haltedReason: this.haltedReason,
      stepsPerSecond: this.stepsPerSecond,
      passMs: run instanceof GpuRun ? this.profiler?.passMs() : undefined,
    };
  }

  async snapshot(): Promise<Snapshot> {
    if (!this.model || !this.run) throw new Error('score-mixing: no run to snapshot yet');
    const { config, cps } = this.model;
    const state = this.run instanceof GpuRun ? await this.run.sim.readState() : this.run.state();
    const d = state.d;
    const cp = new Float64Array(cps.length * d);
    cps.forEach((c, k) => cp.set(c.x.subarray(0, d), k * d));
    const x = state.x instanceof Float32Array ? state.x : Float64Array.from(state.x);
    return {
      lab: LAB_ID,
      config,
      arrays: {
        t: { dtype: 'f64', shape: [1], data: Float64Array.of(state.t) },
        x: { dtype: x instanceof Float32Array ? 'f32' : 'f64', shape: [1, state.count, d], data: x },
        critical_points: { dtype: 'f64', shape: [cps.length, d], data: cp },
      },
      meta: {
        lab: LAB_ID,
        config,
        seed: config.seed,
        appVersion: APP_VERSION,
        backend: this.run instanceof GpuRun ? (this.gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64',
        adapter: this.gpu?.adapterDescription ?? 'none (CPU float64 reference)',
        particles: state.count,
        source: 'page',
      },
      resume: { step: state.step, t: state.t, frame: 0 },
    };
  }

  async restore(snapshot: Snapshot): Promise<void> {
    if (snapshot.lab !== LAB_ID) throw new FieldError('lab', snapshot.lab, `"${LAB_ID}"`);
    const cfg = parseConfig(snapshot.config);
    const x = snapshot.arrays.x;
    const resume = snapshot.resume as { step?: unknown; t?: unknown; frame?: unknown } | undefined;
    let state: ParticleState | null = null;
    if (x && resume && typeof resume.step === 'number' && typeof resume.t === 'number') {
      const frame = typeof resume.frame === 'number' ? resume.frame : x.shape[0] - 1;
      const [, count, d] = x.shape;
      if (x.shape.length !== 3 || d !== dimensionOf(cfg)) throw new FieldError('arrays.x', `shape [${x.shape}]`, `(frames, particles, ${dimensionOf(cfg)})`);
      if (!Number.isInteger(resume.step) || resume.step < 0 || resume.step > cfg.steps) {
        throw new FieldError('resume.step', resume.step, `an integer in [0, ${cfg.steps}]`);
      }
      const slice = Float64Array.from(x.data.subarray(frame * count * d, (frame + 1) * count * d));
      state = { step: resume.step, t: resume.t, d, count, x: slice };
    }
    await this.build(cfg, state);
    this.host.configChanged(cfg);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return [
      { name: 'distance-to-limit', svg: this.distChart.svgText() },
      { name: 'lambda-critical-points', svg: this.lambdaChart.svgText() },
    ];
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    const last = this.run instanceof GpuRun ? this.run.lastGoodState : this.run?.state() ?? null;
    this.run?.dispose();
    this.run = null;
    this.scene?.dispose();
    this.scene = null;
    this.gpu = gpu;
    this.field.setGpu(gpu);
    this.setProfiler(gpu);
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    else if (!this.picture) {
      this.host.notify({ level: 'error', text: 'The GPU device was lost and no new one is available; reload the page to use the CPU fallback.' });
      return;
    }
    if (this.model) await this.build(this.model.config, last && last.count <= (gpu ? Infinity : CPU_MAX_PARTICLES) ? last : null);
  }

  dispose(): void {
    this.disposed = true;
    this.resizeObserver?.disconnect();
    this.run?.dispose();
    this.run = null;
    this.field.dispose();
    this.profiler?.dispose();
    this.profiler = null;
    this.scene?.dispose();
    this.overlay.dispose();
    this.controls.dispose();
    this.distChart.dispose();
    this.lambdaChart.dispose();
  }

  /** A profiler on the (new) device, shared by the frame encoder and the field layer. */
  private setProfiler(gpu: GpuContext | null): void {
    this.profiler?.dispose();
    // Room for many dispatches per frame (large runs at high speed) plus the projection.
    this.profiler = gpu ? new GpuProfiler(gpu.device, 'ScoreMixingView.profiler', { maxPasses: 128 }) : null;
    this.field.profiler = this.profiler;
  }

  // ---- building a run ------------------------------------------------------------------------

  /** New run for cfg (optionally from a saved state). On failure the previous run stays. */
  private build(cfg: ScoreMixingConfig, state: ParticleState | null): Promise<void> {
    const job = this.busy.then(() => this.buildNow(cfg, state));
    this.busy = job.catch(() => undefined);
    return job;
  }

  private async buildNow(cfg: ScoreMixingConfig, state: ParticleState | null): Promise<void> {
    const setup = runSetup(cfg);
    const { opts, d, count: total } = setup;
    const { mu1, mu2 } = opts;
    let x0 = setup.x0;
    let note = '';
    let next: GpuRun | CpuRun;
    if (this.gpu && this.scene) {
      const gpuRun: GpuRun = await GpuRun.create(this.gpu, opts, x0, trailLengthFor(total), {
        // Only the current run's samples reach the chart (an old run's reads may still resolve).
        samples: (s) => {
          if (this.run === gpuRun) this.onSamples(s);
        },
        halted: (reason) => this.halt(reason),
      });
      next = gpuRun;
      if (state) await next.restore(state);
      this.scene.setParticleBuffers(next.projector.positions, next.projector.trail, next.count, next.projector.trailLength);
      this.scene.setPointSize(total > 200_000 ? 1.5 : total > 20_000 ? 2 : 3);
    } else {
      if (total > CPU_MAX_PARTICLES) {
        x0 = x0.slice(0, CPU_MAX_PARTICLES * d);
        note = `No WebGPU: running the float64 CPU reference with ${CPU_MAX_PARTICLES} of ${total} particles.`;
      } else note = 'No WebGPU: running the float64 CPU reference.';
      const cpu = new CpuRun(opts, x0, 24);
      if (state) cpu.restore({ ...state, count: Math.min(state.count, CPU_MAX_PARTICLES), x: state.x.slice(0, CPU_MAX_PARTICLES * d) }, cfg.lambda);
      next = cpu;
    }
    if (this.disposed) {
      next.dispose();
      return;
    }
    const old = this.run;
    this.run = next;
    old?.dispose();
    const sameD = this.model?.mu1.d === d;
    this.model = { config: cfg, mu1, mu2, cps: this.criticalPoints(mu1, mu2, cfg.lambda) };
    this.haltedReason = undefined;
    this.stepsPerSecond = undefined;
    this.lastFrameTime = 0;
    if (!sameD) {
      this.ax = 0;
      this.ay = d > 1 ? 1 : 0;
    }
    this.controls.configure(cfg.T, cfg.tMin, d, this.ax, this.ay);
    this.controls.setNote(note);
    if (note) this.host.notify({ level: 'info', text: note });
    this.scrubT = state?.t ?? cfg.T;
    this.controls.showTime(this.scrubT);
    this.distChart.reset(cfg.T, cfg.tMin);
    this.lambdaChart.update(mu1, mu2, this.ax, cfg.lambda);
    this.relayout(true);
  }

  private criticalPoints(mu1: Measure, mu2: Measure, lambda: number): CriticalPoint[] {
    try {
      return stableCriticalPoints(mu1, mu2, lambda);
    } catch (e) {
      this.host.notify({ level: 'warn', text: `critical points: ${(e as Error).message}` });
      return [];
    }
  }

  private setLambdaLive(cfg: ScoreMixingConfig): void {
    const m = this.model!;
    this.run!.setLambda(cfg.lambda);
    this.model = { ...m, config: cfg, cps: this.criticalPoints(m.mu1, m.mu2, cfg.lambda) };
    this.distChart.reset(cfg.T, cfg.tMin);
    if (cfg.lambda > this.lambdaChart.range) this.lambdaChart.update(m.mu1, m.mu2, this.ax, cfg.lambda);
    else this.lambdaChart.setLambda(cfg.lambda);
    this.requestField();
    this.redrawOverlay();
  }

  private async pickLambda(lambda: number): Promise<void> {
    if (!this.model) return;
    await this.applyConfig({ ...this.model.config, lambda });
  }

  // ---- edits, import, export -----------------------------------------------------------------

  private async applyConfig(raw: unknown): Promise<void> {
    try {
      const cfg = parseConfig(raw);
      await this.setConfig(cfg);
      this.host.configChanged(cfg);
    } catch (e) {
      this.host.notify({ level: 'error', text: (e as Error).message });
      this.redrawOverlay(); // undo a drag's preview
    }
  }

  private async applyEdit(e: AtomEdit): Promise<void> {
    if (!this.model) return;
    const set = e.weights ? { points: e.points, weights: e.weights } : { points: e.points };
    await this.applyConfig({ ...this.model.config, [e.measure]: set });
  }

  private async importSet(m: MeasureId, name: string, text: string): Promise<void> {
    if (!this.model) return;
    try {
      const d = this.model.mu1.d;
      const other = m === 'mu1' ? 'mu2' : 'mu1';
      // A new dimension is allowed for mu1 only when mu2 matches it; checked by parseConfig.
      const set = parsePointSetFile(name, text, m === 'mu2' ? { d, dSource: `the dimension of ${other}` } : {});
      await this.applyConfig({ ...this.model.config, [m]: set });
    } catch (err) {
      this.host.notify({ level: 'error', text: (err as Error).message });
    }
  }

  private exportSet(m: MeasureId, format: 'json' | 'csv'): void {
    if (!this.model) return;
    const set = this.model.config[m];
    const text = format === 'json' ? pointSetToJson(set) : pointSetToCsv(set);
    saveBlob(`${m}.${format}`, new Blob([text], { type: format === 'json' ? 'application/json' : 'text/csv' }));
  }

  // ---- halting, samples ----------------------------------------------------------------------

  private halt(reason: string): void {
    if (this.haltedReason) return;
    this.haltedReason = reason;
    this.host.notify({ level: 'error', text: reason });
  }

  /** History samples of the run (GPU readback or CPU copy), each scheduled step once. */
  private onSamples(samples: readonly (SampleResult | CpuSample)[]): void {
    const m = this.model;
    if (samples.length === 0 || !m || m.cps.length === 0 || this.disposed) return;
    this.distChart.addAll(
      samples.map((s) => {
        const x = s.points instanceof Float64Array ? s.points : Float64Array.from(s.points);
        return summarise(s.t, Array.from(nearestCriticalDistances(x, s.d, m.cps).distance));
      }),
    );
  }

  // ---- layout and drawing --------------------------------------------------------------------

  private cssSize(): [number, number] {
    const c = this.host.canvas;
    return [Math.max(1, c.clientWidth || c.width), Math.max(1, c.clientHeight || c.height)];
  }

  /** Recompute projection, bounds and everything drawn from them. */
  private relayout(refit: boolean): void {
    const m = this.model;
    if (!m) return;
    const [w, h] = this.cssSize();
    const p = makeProjection(m.mu1, m.mu2, this.ax, this.ay);
    this.projection = p;
    let bounds: Bounds;
    if (!refit && this.map) {
      // Resize: keep the centre and everything that was visible; widen one side to the new aspect.
      const o = this.map.bounds;
      if (p.d === 1) bounds = o;
      else {
        const cx = (o.xMin + o.xMax) / 2;
        const cy = (o.yMin + o.yMax) / 2;
        const W = Math.max(o.xMax - o.xMin, (o.yMax - o.yMin) * (w / h));
        const H = W / (w / h);
        bounds = { xMin: cx - W / 2, xMax: cx + W / 2, yMin: cy - H / 2, yMax: cy + H / 2 };
      }
    } else {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const mu of [m.mu1, m.mu2]) {
        for (let j = 0; j < mu.n; j++) {
          xs.push(mu.points[j * p.d + (p.d === 1 ? 0 : p.ax)]);
          ys.push(p.d === 1 ? 0 : mu.points[j * p.d + p.ay]);
        }
      }
      for (const [x, y] of projectedCriticalPoints(m.cps, p, 0)) {
        xs.push(x);
        ys.push(y);
      }
      // Show some of the initial cloud N(0, 2T I) as context, not all of it for large T.
      const r = Math.min(1.5 * Math.sqrt(2 * m.config.T), 3);
      xs.push(-r, r);
      if (p.d > 1) ys.push(-r, r);
      bounds = fitBounds(xs, ys, w / h, p.d === 1);
    }
    this.map = new ScreenMap(bounds, w, h);
    this.scene?.resize(w, h);
    this.scene?.setBounds(bounds);
    this.picture?.resize(w, h);
    this.picture?.setBounds(bounds);
    this.overlay.setMap(this.map, p);
    this.grid = null;
    this.requestField();
    this.redrawOverlay();
  }

  /** While following the run, recompute the field after t moved this far in log t (2% of the run on the GPU, 5% on the CPU). */
  private fieldStepLog(cfg: ScoreMixingConfig): number {
    return (this.gpu ? 0.02 : 0.05) * Math.log(cfg.T / cfg.tMin);
  }

  private requestField(): void {
    const m = this.model;
    if (!m || !this.map || !this.projection) return;
    this.lastFieldT = this.scrubT;
    this.field.request({
      mu1: m.mu1,
      mu2: m.mu2,
      lambda: m.config.lambda,
      t: Math.min(m.config.T, Math.max(m.config.tMin, this.scrubT)),
      T: m.config.T,
      tMin: m.config.tMin,
      projection: this.projection,
      bounds: this.map.bounds,
    });
    // Start it now as well, so a paused page (no frames) still updates.
    this.field.pump();
  }

  private onField(g: FieldGrid): void {
    if (this.disposed) return;
    this.grid = g;
    this.redrawField();
  }

  private redrawField(): void {
    const g = this.grid;
    if (!g) return;
    const dom = domainFor(g, this.channel);
    const rgba = colourise(g, this.channel, dom);
    this.scene?.setFieldImage(rgba, g.width, g.height, g.bounds);
    this.picture?.setFieldImage(rgba, g.width, g.height, g.bounds);
    if (this.layers.contours) {
      const levels = contourLevels(this.channel >= 2 ? channelRange(g, 3) : dom);
      const current = contourLines(g, this.channel, levels);
      const limit = this.channel === 2 ? contourLines(g, 3, levels) : [];
      this.overlay.drawContours(g, current, limit);
    } else this.overlay.drawContours(g, [], []);
    this.drawArrows();
    if (!this.run || !(this.run instanceof GpuRun)) this.draw();
  }

  private drawArrows(): void {
    const m = this.model;
    if (!m || !this.map || !this.projection || !this.layers.arrows) {
      this.overlay.drawArrows([]);
      return;
    }
    const c = m.config;
    const t = Math.min(c.T, Math.max(c.tMin, this.grid?.t ?? this.scrubT));
    this.overlay.drawArrows(scoreArrows(m.mu1, m.mu2, c.lambda, t, c.T, c.tMin, this.projection, this.map));
  }

  private drawScrub(): void {
    const m = this.model;
    if (!m || !this.projection) return;
    if (this.projection.d !== 1) {
      this.overlay.drawScrub(null, '');
      return;
    }
    this.overlay.drawScrub(timeToY(this.scrubT, m.config.T, m.config.tMin), `t = ${this.scrubT.toExponential(2)}`);
  }

  private redrawOverlay(): void {
    const m = this.model;
    if (!m || !this.map || !this.projection) return;
    const p = this.projection;
    this.overlay.lastY1d = 0;
    this.overlay.drawCells(this.layers.cells && p.d === 2 ? this.safeCells(m) : []);
    this.overlay.drawCriticalPoints(projectedCriticalPoints(m.cps, p, 0));
    this.overlay.drawAtoms({ mu1: m.config.mu1, mu2: m.config.mu2 }, 0);
    this.drawScrub();
    this.drawArrows();
    if (!this.layers.contours && this.grid) this.overlay.drawContours(this.grid, [], []);
    const c = m.config;
    const backend = this.run instanceof GpuRun ? (this.gpu?.isSoftware ? 'WebGPU (software)' : 'WebGPU') : 'CPU float64';
    const axes = p.d === 1 ? ' · x vs log t (T top, tMin bottom)' : p.d === 2 ? '' : ` · x[${p.ax}], x[${p.ay}] (slice at centroid)`;
    this.overlay.setLabel(`d = ${p.d} · λ = ${c.lambda} · ${this.run?.count ?? 0} particles · ${backend} · ${m.cps.length} critical pts${axes}`);
  }

  private safeCells(m: Model): [number, number][][] {
    try {
      return cellPolygons(m.mu1, m.mu2, this.map!);
    } catch (e) {
      this.host.notify({ level: 'warn', text: `overlay cells: ${(e as Error).message}` });
      return [];
    }
  }

  private draw(): void {
    const run = this.run;
    if (this.scene && run instanceof GpuRun) {
      this.scene.setTrailHead(run.projector.head, run.projector.filled);
      this.scene.render();
    } else if (this.picture && run instanceof CpuRun) {
      this.picture.draw(run.positions, run.trail);
    }
  }
}
