// What the score-mixing page shows of a run: the particles (three.js scene on WebGPU, Canvas 2D
// picture without), the potential field behind them (FieldLayer), the SVG overlay (contours, cells,
// score arrows, critical points, atoms, d = 1 scrub line, label) and the lab controls. It owns the
// view state (projection, screen map, field grid, scrub t, axes, layer toggles) and reads the model,
// run and device from the page (view/page.ts), which owns those and the LabPage contract.
// Compare mode: every batch's particles in its colour (view/batch-colours.ts), every batch's stars,
// and a legend of the batches under the picture's label.

import type { GpuContext } from '../../../gpu/device';
import type { GpuProfiler } from '../../../gpu/profiler';
import type { SizedFile } from '../../../io/input';
import type { ViewHost } from '../../lab';
import { CanvasPicture } from '../../shared/view/canvas-picture';
import { ParticleScene, type BatchColours } from '../../shared/view/particle-scene';
import type { CriticalPoint } from '../analysis';
import type { Measure, ScoreMixingConfig } from '../types';
import { cellPolygons, projectedCriticalPoints, scoreArrows } from './analysis';
import { batchLabel, pictureColour, starColour } from './batch-colours';
import { channelRange, colourise, contourLevels, contourLines, domainFor, type FieldChannel } from './colormap';
import { Controls, type LayerToggles } from './controls';
import { FieldLayer, type FieldGrid } from './field';
import { fitBounds, makeProjection, ScreenMap, timeToY, type Bounds, type Projection } from './geometry';
import { Overlay, type AtomEdit, type MeasureId } from './overlay';
import { CpuRun } from './run-cpu';
import { GpuRun } from './run-gpu';

/** What the page's config builds: the two measures and their stable critical points (batch 0's, and every batch's). */
export interface PageModel {
  config: ScoreMixingConfig;
  mu1: Measure;
  mu2: Measure;
  cps: CriticalPoint[];
  /** Each batch's lambda (compare mode; [config.lambda] without it). */
  lambdas: number[];
  /** Each batch's stable critical points; batchCps[0] is cps. */
  batchCps: CriticalPoint[][];
}

/** The picture colours of a run's batches (undefined for a single batch: the usual colours). */
function batchColours(batches: number, size: number): BatchColours | undefined {
  return batches > 1 ? { size, colours: Array.from({ length: batches }, (_, b) => pictureColour(b)) } : undefined;
}

/** What the display reads from the page (which replaces them) and where edits go. */
export interface DisplayOwner {
  model(): PageModel | null;
  run(): GpuRun | CpuRun | null;
  gpu(): GpuContext | null;
  edit(e: AtomEdit): void;
  importFile(m: MeasureId, file: SizedFile): void;
  exportSet(m: MeasureId, format: 'json' | 'csv'): void;
}

export class Display {
  private readonly field: FieldLayer;
  private readonly overlay: Overlay;
  private readonly controls: Controls;
  private readonly resizeObserver: ResizeObserver | null;
  private scene: ParticleScene | null = null;
  private picture: CanvasPicture | null = null;
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
  private fieldErrorShown = false;
  private disposed = false;

  constructor(
    private readonly host: ViewHost,
    private readonly owner: DisplayOwner,
    gpu: GpuContext | null,
  ) {
    this.field = new FieldLayer(gpu, (g) => this.onField(g), gpu?.isSoftware ? 128 : 256, gpu?.isSoftware ? 128 : 256);
    this.overlay = new Overlay(
      host.overlay,
      (e) => owner.edit(e),
      (text) => host.notify({ level: 'warn', text }),
      // The controls are built just below; selections come later, from events.
      (s) => this.controls.showSelection(s),
    );
    this.controls = new Controls(host.controls, {
      scrub: (t, follow) => {
        this.scrubT = t;
        this.follow = follow;
        const run = owner.run();
        if (follow && run) this.scrubT = run.t;
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
        const run = owner.run();
        if (run instanceof GpuRun) run.needFill = true;
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
      deleteSelected: () => this.overlay.deleteSelected(),
      importFile: (m, file) => owner.importFile(m, file),
      exportSet: (m, format) => owner.exportSet(m, format),
    });
    this.layers = { ...this.controls.layers };
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout(false)) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  /** The three.js scene on WebGPU, the Canvas 2D picture without. */
  async init(gpu: GpuContext | null): Promise<void> {
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    else this.picture = new CanvasPicture(this.host.canvas);
  }

  /** A three.js scene to draw a GPU run in (none without WebGPU, or while a lost device is replaced). */
  get hasScene(): boolean {
    return this.scene !== null;
  }

  /** A new GPU run: the scene draws its particles and trails straight from the projector's buffers. */
  showGpuRun(run: GpuRun, total: number): void {
    const scene = this.scene!;
    scene.setParticleBuffers(run.projector.positions, run.projector.trail, run.count, run.projector.trailLength, batchColours(run.batches, run.batchSize));
    scene.setPointSize(total > 200_000 ? 1.5 : total > 20_000 ? 2 : 3);
  }

  /** The projection drawn (null before the first run). */
  get currentProjection(): Projection | null {
    return this.projection;
  }

  /** The coordinate shown horizontally (chosen in the controls when d > 2). */
  get xAxis(): number {
    return this.ax;
  }

  /** The page's profiler (same device), lent to the field layer to time its pass. */
  setProfiler(profiler: GpuProfiler | null): void {
    this.field.profiler = profiler;
  }

  /** The device was replaced (or lost for good: null). False when nothing is left to draw on. */
  async setGpu(gpu: GpuContext | null): Promise<boolean> {
    this.scene?.dispose();
    this.scene = null;
    this.field.setGpu(gpu);
    if (gpu) this.scene = await ParticleScene.create(this.host.canvas, gpu.device);
    return gpu !== null || this.picture !== null;
  }

  /** A new run: axes reset when the dimension changed, the controls show its range and note, the scrubber is at t. */
  showRun(cfg: ScoreMixingConfig, d: number, keepAxes: boolean, note: string, t: number): void {
    if (!keepAxes) {
      this.ax = 0;
      this.ay = d > 1 ? 1 : 0;
    }
    this.controls.configure(cfg.T, cfg.tMin, d, this.ax, this.ay);
    this.controls.setNote(note);
    this.scrubT = t;
    this.controls.showTime(this.scrubT);
  }

  /** Once a frame: the field layer starts or collects its request; its first error is said once. */
  pumpField(): void {
    this.field.pump();
    if (this.field.error && !this.fieldErrorShown) {
      this.fieldErrorShown = true;
      this.host.notify({ level: 'warn', text: this.field.error });
    }
  }

  /** The run stepped to t: a following scrubber moves along, and the field follows when t moved far enough. */
  followRun(t: number, cfg: ScoreMixingConfig): void {
    if (!this.follow) return;
    this.scrubT = t;
    this.controls.showTime(t);
    if (this.projection!.d === 1) this.drawScrub();
    else if (Math.abs(Math.log(t / this.lastFieldT)) > this.fieldStepLog(cfg)) this.requestField();
  }

  private cssSize(): [number, number] {
    const c = this.host.canvas;
    return [Math.max(1, c.clientWidth || c.width), Math.max(1, c.clientHeight || c.height)];
  }

  /** Recompute projection, bounds and everything drawn from them. */
  relayout(refit: boolean): void {
    const m = this.owner.model();
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
      for (const [x, y] of projectedCriticalPoints(m.batchCps.flat(), p, 0)) {
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
    return (this.owner.gpu() ? 0.02 : 0.05) * Math.log(cfg.T / cfg.tMin);
  }

  requestField(): void {
    const m = this.owner.model();
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
    const run = this.owner.run();
    if (!run || !(run instanceof GpuRun)) this.draw();
  }

  private drawArrows(): void {
    const m = this.owner.model();
    if (!m || !this.map || !this.projection || !this.layers.arrows) {
      this.overlay.drawArrows([]);
      return;
    }
    const c = m.config;
    const t = Math.min(c.T, Math.max(c.tMin, this.grid?.t ?? this.scrubT));
    this.overlay.drawArrows(scoreArrows(m.mu1, m.mu2, c.lambda, t, c.T, c.tMin, this.projection, this.map));
  }

  private drawScrub(): void {
    const m = this.owner.model();
    if (!m || !this.projection) return;
    if (this.projection.d !== 1) {
      this.overlay.drawScrub(null, '');
      return;
    }
    this.overlay.drawScrub(timeToY(this.scrubT, m.config.T, m.config.tMin), `t = ${this.scrubT.toExponential(2)}`);
  }

  redrawOverlay(): void {
    const m = this.owner.model();
    if (!m || !this.map || !this.projection) return;
    const p = this.projection;
    const run = this.owner.run();
    const gpu = this.owner.gpu();
    this.overlay.lastY1d = 0;
    this.overlay.drawCells(this.layers.cells && p.d === 2 ? this.safeCells(m) : []);
    const compared = m.batchCps.slice(1).map((cps, i) => ({ batch: i + 1, colour: starColour(i + 1), points: projectedCriticalPoints(cps, p, 0) }));
    this.overlay.drawCriticalPoints(projectedCriticalPoints(m.cps, p, 0), compared);
    const B = m.lambdas.length;
    this.overlay.setLegend(B > 1 ? m.lambdas.map((l, b) => ({ text: `${batchLabel(l, b, B)}: ${m.batchCps[b].length} critical pts`, colour: pictureColour(b) })) : []);
    this.overlay.drawAtoms({ mu1: m.config.mu1, mu2: m.config.mu2 }, 0);
    this.drawScrub();
    this.drawArrows();
    if (!this.layers.contours && this.grid) this.overlay.drawContours(this.grid, [], []);
    const c = m.config;
    const backend = run instanceof GpuRun ? (gpu?.isSoftware ? 'WebGPU (software)' : 'WebGPU') : 'CPU float64';
    const axes = p.d === 1 ? ' · x vs log t (T top, tMin bottom)' : p.d === 2 ? '' : ` · x[${p.ax}], x[${p.ay}] (slice at centroid)`;
    const particles = B > 1 ? `${B} × ${run ? run.count / B : 0} particles` : `${run?.count ?? 0} particles`;
    this.overlay.setLabel(`d = ${p.d} · λ = ${c.lambda} · ${particles} · ${backend} · ${m.cps.length} critical pts${axes}`);
  }

  private safeCells(m: PageModel): [number, number][][] {
    try {
      return cellPolygons(m.mu1, m.mu2, this.map!);
    } catch (e) {
      this.host.notify({ level: 'warn', text: `overlay cells: ${(e as Error).message}` });
      return [];
    }
  }

  /** The particles and trails of the current run. */
  draw(): void {
    const run = this.owner.run();
    if (this.scene && run instanceof GpuRun) {
      this.scene.setTrailHead(run.projector.head, run.projector.filled);
      this.scene.render();
    } else if (this.picture && run instanceof CpuRun) {
      this.picture.draw(run.positions, run.trail, batchColours(run.batches, run.batchSize));
    }
  }

  dispose(): void {
    this.disposed = true;
    this.resizeObserver?.disconnect();
    this.field.dispose();
    this.scene?.dispose();
    this.overlay.dispose();
    this.controls.dispose();
  }
}
