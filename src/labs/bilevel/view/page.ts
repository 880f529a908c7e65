// The bilevel page: owns the map run (GPU or CPU, run-*.ts), the canvas picture (display.ts), the
// SVG overlay (axes, legend, witness, probe), the controls (failure toggles, perturbation,
// witness inputs, read-out) and the two charts, and implements LabPage for the app shell.
//
// A run is the map: one step is one row (an x1 index), status().steps = N. frame() submits the
// next band of rows and never awaits: the codes of the new rows come back asynchronously and are
// painted when they land (display.ts). A new config builds a new run before the old one is
// dropped, so a config that fails to build leaves the page as it was.

import type { GpuContext } from '../../../gpu/device';
import { GpuLimitError } from '../../../gpu/limits';
import type { Snapshot } from '../../../io/snapshot-types';
import type { LabPage, RunStatus, ViewHost } from '../../lab';
import { FieldError } from '../../schema';
import { defaultWitnessPoints, rigidityWitness } from '../analysis';
import { flagThreshold, parseConfig, perturbationOf } from '../config';
import type { BilevelConfig, Perturbation } from '../types';
import { GapDemoChart } from './charts/gap-demo';
import { RefinementChart } from './charts/refinement';
import { Controls, resampled } from './controls';
import { MapDisplay } from './display';
import { el, percent } from './dom';
import { MapFrame } from './geometry';
import { MapOverlay, type Point } from './overlay';
import { Readout } from './readout';
import { CPU_MAX_N, CpuMapRun, cpuConfig } from './run-cpu';
import { GpuMapRun } from './run-gpu';
import { CONDITION_LABELS } from './palette';
import { pageSnapshot, readResume } from './snapshot';
import { WitnessPanel } from './witness';

/** CPU solving budget per frame, ms. */
const CPU_BUDGET_MS = 14;

type Run = GpuMapRun | CpuMapRun;

export class BilevelPage implements LabPage<BilevelConfig> {
  private run: Run | null = null;
  /** The config as given (the run's own may have a capped N on the CPU). */
  private config: BilevelConfig | null = null;
  private perturbation: Perturbation | null = null;
  private readonly display: MapDisplay;
  private readonly overlay: MapOverlay;
  private readonly controls: Controls;
  private readonly witnessPanel: WitnessPanel;
  private readonly readout: Readout;
  private readonly controlsRow: HTMLDivElement;
  private readonly refinement: RefinementChart;
  private readonly gapDemo: GapDemoChart;
  private readonly resizeObserver: ResizeObserver | null;
  private geometry: MapFrame | null = null;
  private witness: [Point, Point] | null = null;
  private probe: Point | null = null;
  private startedAt = 0;
  private mapMs: number | undefined;
  private busy: Promise<void> = Promise.resolve();
  private disposed = false;
  private closeCpuNotice: (() => void) | null = null;

  constructor(
    private readonly host: ViewHost,
    private gpu: GpuContext | null,
  ) {
    this.display = new MapDisplay(host.canvas);
    host.canvas.setAttribute('role', 'img');
    this.overlay = new MapOverlay(host.overlay, {
      probe: (x) => this.setProbe(x),
      moveWitness: (which, x) => this.moveWitness(which, x),
    });
    // Two columns under the map: toggles, perturbation and witness | the probe read-out.
    this.controlsRow = el('div', { class: 'bilevel-controls-row' });
    this.controlsRow.style.cssText = 'display:flex;gap:10px;align-items:flex-start;flex-wrap:wrap;width:100%';
    const left = el('div');
    left.style.cssText = 'display:flex;flex-direction:column;gap:6px;max-width:460px';
    this.controlsRow.append(left);
    host.controls.append(this.controlsRow);
    this.controls = new Controls(left, {
      toggle: (c, on) => {
        this.display.show[c] = on;
        this.redraw();
      },
      resample: () => void this.resample(),
    });
    this.witnessPanel = new WitnessPanel(left, (which, x) => this.moveWitness(which, x));
    this.readout = new Readout(this.controlsRow);
    this.refinement = new RefinementChart(host.charts);
    this.gapDemo = new GapDemoChart(host.charts);
    this.resizeObserver = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => this.relayout()) : null;
    this.resizeObserver?.observe(host.canvas);
  }

  async init(): Promise<void> {
    // Everything is built by setConfig; the canvas is 2-D on every backend.
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: BilevelConfig): Promise<void> {
    const cfg = parseConfig(config);
    this.host.checkMemory(cfg); // the page's memory budget, before anything is allocated
    if (this.run && this.config && JSON.stringify(this.config) === JSON.stringify(cfg)) return;
    await this.build(cfg);
  }

  frame(steps: number): void {
    const run = this.run;
    if (this.disposed || !run) return;
    const before = run.rows;
    if (run instanceof GpuMapRun) run.frame(steps);
    else run.frame(steps, CPU_BUDGET_MS);
    if (before === 0 && run.rows > 0) this.startedAt = performance.now();
    if (before < run.n && run.done) this.mapMs = performance.now() - this.startedAt;
  }

  async reset(): Promise<void> {
    await this.serial(async () => {
      const run = this.run;
      if (!run) return;
      run.restart();
      this.mapMs = undefined;
      this.display.reset(run.n);
      this.host.canvas.dataset.rowsDrawn = '0';
      this.redraw();
    });
  }

  status(): RunStatus {
    const run = this.run;
    const n = run?.n ?? 0;
    const step = run?.rows ?? 0;
    // After a device loss the rows shown are computed again from the config: none is lost.
    return { step, steps: n, t: n ? step / n : 0, done: run ? run.done : false, savedStep: step, unit: 'row' };
  }

  /** The aria-live sentence: rows painted and the failure fractions over them. */
  summary(): string | undefined {
    const n = this.run?.n ?? 0;
    const painted = this.display.rowsDrawn;
    if (!n || painted === 0) return undefined;
    const f = this.display.fractions();
    const fails = (['licq', 'scsc', 'sosc'] as const).map((c, k) => `${CONDITION_LABELS[c]} ${(100 * f[k]).toFixed(2)} %`).join(', ');
    return `${painted} of ${n} rows painted; fails on ${fails} of the pixels`;
  }

  async snapshot(): Promise<Snapshot> {
    const run = this.run;
    if (!run) throw new Error('bilevel: no map to export yet');
    const timings: Record<string, number> = {};
    if (this.mapMs !== undefined) timings.mapMs = this.mapMs;
    return pageSnapshot(run, run instanceof GpuMapRun ? this.gpu : null, timings);
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const { config: cfg, rows } = readResume(snapshot);
    await this.build(cfg);
    if (rows > 0) this.run?.advanceTo(rows);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return [
      { name: 'refinement', svg: this.refinement.svg() },
      { name: 'gap-demo', svg: this.gapDemo.svg() },
    ];
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    const step = this.run?.rows ?? 0;
    const cfg = this.config;
    this.gpu = gpu;
    if (!cfg) return;
    await this.build(cfg);
    if (step > 0) this.run?.advanceTo(step);
  }

  dispose(): void {
    this.disposed = true;
    this.resizeObserver?.disconnect();
    this.run?.dispose();
    this.run = null;
    this.closeCpuNotice?.();
    this.refinement.dispose();
    this.gapDemo.dispose();
    this.overlay.dispose();
    this.controlsRow.remove();
  }

  // ---- building runs -------------------------------------------------------------------------

  /** Page operations (build, reset) one at a time. */
  private serial(work: () => Promise<void>): Promise<void> {
    const job = this.busy.then(work);
    this.busy = job.catch(() => undefined);
    return job;
  }

  private build(cfg: BilevelConfig): Promise<void> {
    return this.serial(() => this.buildNow(cfg));
  }

  /** A new run for cfg; on failure the previous one stays. */
  private async buildNow(cfg: BilevelConfig): Promise<void> {
    let created: Run | null = null;
    const onRows = (r0: number, r1: number, codes: Uint32Array) => {
      if (created && created === this.run) this.onRows(r0, r1, codes);
    };
    if (this.gpu) {
      try {
        created = await GpuMapRun.create(this.gpu, cfg, onRows);
      } catch (e) {
        if (e instanceof FieldError || e instanceof GpuLimitError) throw e;
        // The map still runs exactly on the CPU; say why the GPU path is not used.
        this.host.notify({ level: 'error', text: `The WebGPU map failed to start (${(e as Error).message ?? e}); running the float64 CPU reference instead.` });
        this.gpu = null;
      }
    }
    const run: Run = created ?? new CpuMapRun(cpuConfig(cfg), onRows);
    created = run;
    if (this.disposed) {
      run.dispose();
      return;
    }
    const previous = this.config;
    this.run?.dispose();
    this.run = run;
    this.config = cfg;
    this.perturbation = perturbationOf(run.config);
    this.mapMs = undefined;
    this.display.reset(run.n);
    this.host.canvas.dataset.rowsDrawn = '0';
    this.cpuNotice(cfg, run);
    this.controls.setPerturbation(run.config, this.perturbation);
    const g = run.config.grid;
    const sameBox = previous && previous.family === cfg.family && JSON.stringify([previous.grid.x1, previous.grid.x2]) === JSON.stringify([g.x1, g.x2]);
    if (!sameBox || !this.witness) this.witness = defaultWitnessPoints(run.config);
    this.witnessPanel.setBox(g);
    this.relayout();
    this.updateWitness();
    if (this.probe) this.setProbe(this.probe);
    this.refinement.start(run.config, run instanceof GpuMapRun ? this.gpu : null);
  }

  private cpuNotice(cfg: BilevelConfig, run: Run): void {
    this.closeCpuNotice?.();
    this.closeCpuNotice = null;
    let note = '';
    if (run instanceof CpuMapRun) {
      note =
        cfg.grid.n > CPU_MAX_N
          ? `No WebGPU: the float64 CPU reference computes the map at N = ${CPU_MAX_N} instead of N = ${cfg.grid.n} (grid.n is capped at ${CPU_MAX_N} on the CPU).`
          : 'No WebGPU: the map is the float64 CPU reference.';
      if (cfg.grid.n > CPU_MAX_N) this.closeCpuNotice = this.host.notify({ level: 'info', text: note, key: 'bilevel-cpu-cap' });
    }
    this.controls.setNote(note);
  }

  private async resample(): Promise<void> {
    const cfg = this.config;
    if (!cfg) return;
    const next = resampled(cfg);
    try {
      await this.setConfig(next);
      this.host.configChanged(next);
    } catch (e) {
      this.host.notify({ level: 'error', text: `Resample failed: ${(e as Error).message ?? e}`, key: 'bilevel-resample' });
    }
  }

  // ---- picture -------------------------------------------------------------------------------

  private onRows(r0: number, r1: number, codes: Uint32Array): void {
    this.display.addRows(r0, r1, codes);
    this.host.canvas.dataset.rowsDrawn = String(this.display.rowsDrawn);
    this.redraw();
    if (this.probe && this.geometry) {
      const [i1] = this.geometry.pixelOf(this.probe);
      if (i1 >= r0 && i1 < r1) this.setProbe(this.probe);
    }
  }

  private relayout(): void {
    const run = this.run;
    if (!run || this.disposed) return;
    const c = this.host.canvas;
    const w = Math.max(1, c.clientWidth || c.width);
    const h = Math.max(1, c.clientHeight || c.height);
    this.geometry = new MapFrame(run.config.grid, w, h);
    this.display.resize(w, h);
    this.overlay.layout(this.geometry, this.label(), this.ariaLabel());
    this.redraw();
  }

  private label(): string {
    const run = this.run!;
    const cfg = this.config!;
    const p = cfg.perturbation;
    const pert = 'q' in p ? 'explicit q, d' : p.eps === 0 ? 'nominal' : `ε = ${p.eps}, seed ${p.seed}`;
    const capped = run.n !== cfg.grid.n ? ` (capped from ${cfg.grid.n})` : '';
    const backend = run instanceof GpuMapRun ? (this.gpu?.isSoftware ? 'WebGPU (software), float32' : 'WebGPU, float32') : 'CPU float64';
    return `${cfg.family} · N = ${run.n}${capped} · ${pert} · κ = ${cfg.kappa} · ${backend}`;
  }

  private ariaLabel(): string {
    const run = this.run;
    if (!run) return 'Active-set map (not computed yet)';
    const { family, grid } = run.config;
    const f = this.display.fractions();
    const sets = this.display.sets().length;
    const done = this.display.rowsDrawn >= run.n ? '' : ` (${this.display.rowsDrawn} of ${run.n} columns computed)`;
    return (
      `Active-set map of the ${family} lower level over x₁ from ${grid.x1[0]} to ${grid.x1[1]} (horizontal) and x₂ from ${grid.x2[0]} to ${grid.x2[1]} ` +
      `(vertical), ${run.n} × ${run.n} pixels${done}: ${sets} active sets, coloured by set; failure fractions LICQ ${percent(f[0])}, ` +
      `SCSC ${percent(f[1])}, SOSC ${percent(f[2])}, hatched. Focus it and use the arrow keys to move the probe.`
    );
  }

  private redraw(): void {
    const run = this.run;
    const geo = this.geometry;
    if (!run || !geo || !this.config) return;
    this.display.draw(geo);
    const fractions = this.display.fractions();
    this.overlay.drawLegend({ family: run.config.family, sets: this.display.sets(), total: this.display.rowsDrawn * run.n, fractions, show: this.display.show });
    this.controls.setFractions(fractions, this.display.rowsDrawn, run.n);
    const aria = this.ariaLabel();
    this.host.canvas.setAttribute('aria-label', aria);
    this.overlay.svg.attr('aria-label', aria);
  }

  // ---- probe and witness ---------------------------------------------------------------------

  private setProbe(x: Point): void {
    const run = this.run;
    const geo = this.geometry;
    if (!run || !geo || !this.perturbation) return;
    this.probe = geo.clamp(x);
    this.overlay.setProbe(this.probe);
    const pixel = geo.pixelOf(this.probe);
    this.readout.show(run.config, this.perturbation, this.probe, flagThreshold(run.config), pixel, this.display.codeAt(pixel[0], pixel[1]));
  }

  private moveWitness(which: 0 | 1, x: Point): void {
    if (!this.witness || !this.geometry) return;
    const next: [Point, Point] = [this.witness[0], this.witness[1]];
    next[which] = this.geometry.clamp(x);
    this.witness = next;
    this.updateWitness();
  }

  private updateWitness(): void {
    const run = this.run;
    if (!run || !this.witness || !this.perturbation) return;
    const [a, b] = this.witness;
    const w = rigidityWitness(run.config.family, this.perturbation, a, b);
    this.overlay.setWitness({ a, b, crossings: w.crossings });
    this.witnessPanel.show(run.config.family, a, b, w);
  }
}
