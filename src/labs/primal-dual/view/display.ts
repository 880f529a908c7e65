// What the primal-dual page shows of its run: the picture of the chosen coordinate plane (any two
// of x_i, lambda_j) for batch 0, the config's own (three.js from the GPU run's state buffer through
// the projector, or a Canvas 2D picture of the CPU run's trail), the SVG overlay (axes, KKT point,
// label naming the compared values) and the lab controls (plane, theta-window gauge of every
// batch's alpha, read-outs, notes). It owns the view state (plane axes, screen map, CPU trail,
// whether the projector must refill its trails) and reads the run and the device from the page
// (page.ts), which owns those and the LabPage contract.

import type { GpuContext } from '../../../gpu/device';
import type { ViewHost } from '../../lab';
import { CanvasPicture } from '../../shared/view/canvas-picture';
import { ParticleScene } from '../../shared/view/particle-scene';
import { fitBounds, ScreenMap, type Bounds } from '../../shared/view/screen-map';
import { Controls } from './controls';
import { Overlay } from './overlay';
import { alphaColour } from './palette';
import type { CpuPdRun } from './run-cpu';
import { GpuPdRun } from './run-gpu';
import { isConserved, type PageModel } from './runs';

/** What the display reads from, and tells, the page. */
export interface DisplaySource {
  model(): PageModel | null;
  gpu(): GpuContext | null;
}

export class Display {
  private scene: ParticleScene | null = null;
  private picture: CanvasPicture | null = null;
  private readonly overlay: Overlay;
  private readonly controls: Controls;
  private readonly resizeObserver: ResizeObserver | null;
  private ax = 0;
  private ay = 1;
  private map: ScreenMap | null = null;
  private needFill = true;
  /** CPU picture: projected positions and a trail ring (newest first). */
  private cpuTrail: Float32Array[] = [];

  constructor(
    private readonly host: ViewHost,
    private readonly source: DisplaySource,
  ) {
    this.overlay = new Overlay(host.overlay);
    this.controls = new Controls(host.controls, {
      axes: (ax, ay) => {
        this.ax = ax;
        this.ay = ay;
        this.restarted();
        this.relayout();
      },
    });
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout()) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  /** The picture for the page's backend: a three.js scene on WebGPU, else Canvas 2D. */
  async init(gpu: GpuContext | null): Promise<void> {
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    else this.picture = new CanvasPicture(this.host.canvas);
  }

  /** After a device loss: a scene on the new device; false when there is none and no CPU picture either. */
  async setGpu(gpu: GpuContext | null): Promise<boolean> {
    this.scene?.dispose();
    this.scene = null;
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    else if (!this.picture) return false;
    return true;
  }

  /** Whether GPU runs can be drawn (runs go to the GPU only then). */
  get hasScene(): boolean {
    return this.scene !== null;
  }

  /** A new run: the projector's buffers, the controls for its n, m and batches' alphas, the layout. */
  showModel(model: PageModel, sameShape: boolean): void {
    const { setup, run, projector, infos } = model;
    const { n, m } = setup.prob;
    this.restarted();
    if (!sameShape) {
      this.ax = 0;
      this.ay = 1;
    }
    if (projector && this.scene) {
      this.scene.setParticleBuffers(projector.positions, projector.trail, run.count, projector.trailLength);
      this.scene.setPointSize(run.count > 20_000 ? 2 : 3.5);
    }
    this.controls.configure(n, m, this.ax, this.ay);
    // One window per distinct alpha (a beta, theta or p comparison shares the config's alpha).
    const windows = infos.map((info, i) => ({ alpha: info.alpha, colour: alphaColour(i) })).filter((w, i, all) => all.findIndex((o) => o.alpha === w.alpha) === i);
    this.controls.showTheta(setup.params.theta, windows);
    this.controls.setNote(model.note);
  }

  /** The runs jumped (new runs, a restore, a new plane): refill the trails from the current state. */
  restarted(): void {
    this.needFill = true;
    this.cpuTrail = [];
  }

  /** GPU frame: project the primary run's state into the picture's buffers when it moved. */
  encodeProjection(
    encoder: GPUCommandEncoder,
    model: PageModel,
    stepped: number,
    timestampWrites?: (name: string) => GPUComputePassTimestampWrites | undefined,
  ): void {
    if ((stepped > 0 || this.needFill) && model.projector) {
      const sim = (model.run as GpuPdRun).sim;
      model.projector.encode(encoder, sim.state, { d: sim.stateStride, axisX: this.ax, axisY: this.ay, timeY: 0, fillAll: this.needFill }, timestampWrites?.('project'));
      this.needFill = false;
    }
  }

  /** CPU frame: add the primary run's positions to the trail when it moved (or none is drawn yet). */
  followCpu(run: CpuPdRun, stepped: number): void {
    if (stepped > 0 || this.cpuTrail.length === 0) this.projectCpu(run);
  }

  setNote(text: string): void {
    this.controls.setNote(text);
  }

  private cssSize(): [number, number] {
    const c = this.host.canvas;
    return [Math.max(1, c.clientWidth || c.width), Math.max(1, c.clientHeight || c.height)];
  }

  private zStar(model: PageModel): Float64Array {
    const { kkt } = model.setup.prob;
    return Float64Array.from([...kkt.x, ...kkt.lambda]);
  }

  private axisNames(model: PageModel): [string, string] {
    const { n } = model.setup.prob;
    const name = (j: number) => (j < n ? `x${j}` : `λ${j - n}`);
    return [name(this.ax), name(this.ay)];
  }

  /** Bounds (absolute coordinates) around the initial cloud and the KKT point. */
  relayout(): void {
    const model = this.source.model();
    if (!model) return;
    const [w, hgt] = this.cssSize();
    const { init, prob } = model.setup;
    const { n, m } = prob;
    const z = this.zStar(model);
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
    this.drawOverlay(model);
  }

  private drawOverlay(model: PageModel): void {
    if (!this.map) return;
    const z = this.zStar(model);
    const r = model.run;
    const backend = r instanceof GpuPdRun ? (this.source.gpu()?.isSoftware ? 'WebGPU (software)' : 'WebGPU') : 'CPU float64';
    const c = model.setup.config;
    const compared = model.infos.length > 1 ? ` · compared: ${model.infos.slice(1).map((i) => i.label).join('; ')} (charts)` : '';
    const label = `α = ${c.alpha}, θ = ${c.theta.toPrecision(4)}, β = ${c.beta} · ${r.count} trajectories · ${backend} · m = ${model.setup.prob.m}, n = ${model.setup.prob.n}${compared}`;
    this.overlay.draw(this.map, this.axisNames(model), [z[this.ax], z[this.ay]], label);
  }

  private projectCpu(run: CpuPdRun): void {
    const model = this.source.model();
    if (!model) return;
    const { n, m } = run.prob;
    const z = this.zStar(model);
    const out = new Float32Array(run.count * 2);
    const comp = (i: number, j: number) => z[j] + (j < n ? run.e[i * n + j] : run.l[i * m + j - n]);
    for (let i = 0; i < run.count; i++) {
      out[2 * i] = comp(i, this.ax);
      out[2 * i + 1] = comp(i, this.ay);
    }
    this.cpuTrail.unshift(out);
    if (this.cpuTrail.length > 32) this.cpuTrail.length = 32;
  }

  /** The read-out lines under the picture: KKT point and residual, gyration frequency, xi. */
  updateReadout(): void {
    const model = this.source.model();
    if (!model) return;
    const { prob, params } = model.setup;
    const r = model.run;
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

  draw(): void {
    const model = this.source.model();
    if (!model) return;
    const r = model.run;
    if (this.scene && r instanceof GpuPdRun && model.projector) {
      this.scene.setTrailHead(model.projector.head, model.projector.filled);
      this.scene.render();
    } else if (this.picture && this.cpuTrail.length > 0) {
      this.picture.draw(this.cpuTrail[0], this.cpuTrail);
    }
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    this.scene?.dispose();
    this.overlay.dispose();
    this.controls.dispose();
  }
}
