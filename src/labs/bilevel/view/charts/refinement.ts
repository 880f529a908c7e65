// Chart: failure fraction against grid refinement, log-log, one series per condition (LICQ, SCSC,
// SOSC) at N, 2N, 4N (refinementLevels), with a dotted slope −1 reference through each: failure
// sets are curves, so the flagged fraction (a band of width ~ kappa h around them) halves with h.
// Each level is its own map, computed off the frame loop: on the GPU a side BilevelSimulation per
// level (rows submitted in bands, then readCounts), on the CPU the float64 solve in chunks that
// yield to the page between them. A newer start() cancels the running study.

import type { GpuContext } from '../../../../gpu/device';
import { LineChart, type LineSeries } from '../../../shared/view/line-chart';
import { refinementLevels } from '../../analysis';
import { flagThreshold, perturbationOf, pixelCentres } from '../../config';
import { MAX_GRID } from '../../params';
import { solvePixel } from '../../reference';
import { BilevelSimulation } from '../../simulation';
import { CONDITIONS, type BilevelConfig } from '../../types';
import { CONDITION_LABELS } from '../palette';
import { CPU_MAX_N } from '../run-cpu';

/** LICQ, SCSC, SOSC (the first note names them by colour). */
const SERIES_COLOURS = ['#1f77b4', '#d62728', '#9467bd'];
/** Pixels per GPU submission / per CPU chunk. */
const GPU_BAND_PIXELS = 1 << 18;
const CPU_CHUNK_PIXELS = 8192;

type Counts = [number, number, number];

export class RefinementChart {
  private readonly chart: LineChart;
  private job = 0;
  private levels: number[] = [];
  private fractions: (Counts | null)[] = [];
  private status = '';
  private kappa = 2;

  constructor(parent: HTMLElement) {
    this.chart = new LineChart(parent, 'refinement', 'Failure fraction vs grid refinement', { xLabel: 'N (pixels per side)', yLabel: 'fraction', x: 'log', y: 'log' });
  }

  /** Study `config` at N, 2N, 4N (GPU: side simulations; null: float64 on the CPU). */
  start(config: BilevelConfig, gpu: GpuContext | null): void {
    const job = ++this.job;
    const maxN = gpu ? (gpu.isSoftware ? 512 : MAX_GRID) : CPU_MAX_N;
    this.levels = refinementLevels(Math.min(config.grid.n, maxN), maxN);
    this.fractions = this.levels.map(() => null);
    this.kappa = config.kappa;
    this.status = `computing N = ${this.levels[0]}…`;
    this.render();
    void this.run(job, config, gpu).catch((e: unknown) => {
      if (job !== this.job) return;
      this.status = `refinement study failed: ${(e as Error).message ?? e}`;
      this.render();
    });
  }

  private async run(job: number, config: BilevelConfig, gpu: GpuContext | null): Promise<void> {
    for (let i = 0; i < this.levels.length; i++) {
      const n = this.levels[i];
      this.status = `computing N = ${n}…`;
      this.render();
      const level: BilevelConfig = { ...config, grid: { ...config.grid, n } };
      const counts = gpu ? await this.countGpu(job, gpu, level) : await this.countCpu(job, level);
      if (job !== this.job || !counts) return;
      this.fractions[i] = counts.map((c) => c / (n * n)) as Counts;
      this.render();
    }
    this.status = '';
    this.render();
  }

  private async countGpu(job: number, gpu: GpuContext, config: BilevelConfig): Promise<Counts | null> {
    const n = config.grid.n;
    const sim = await BilevelSimulation.create(gpu, config);
    try {
      const band = Math.max(1, Math.floor(GPU_BAND_PIXELS / n));
      for (let r = 0; r < n; r += band) {
        if (job !== this.job) return null;
        const encoder = gpu.device.createCommandEncoder({ label: 'BilevelView.refinementEncoder' });
        if (r === 0) sim.encodeReset(encoder);
        sim.encodeRows(encoder, r, Math.min(n, r + band));
        gpu.device.queue.submit([encoder.finish()]);
        await gpu.device.queue.onSubmittedWorkDone();
      }
      if (job !== this.job) return null;
      const c = await sim.readCounts();
      return [c[0], c[1], c[2]];
    } finally {
      sim.dispose();
    }
  }

  private async countCpu(job: number, config: BilevelConfig): Promise<Counts | null> {
    const n = config.grid.n;
    const tau = flagThreshold(config);
    const p = perturbationOf(config);
    const x1 = pixelCentres(config.grid.x1, n);
    const x2 = pixelCentres(config.grid.x2, n);
    const counts: Counts = [0, 0, 0];
    const rowsPerChunk = Math.max(1, Math.floor(CPU_CHUNK_PIXELS / n));
    for (let r = 0; r < n; r += rowsPerChunk) {
      await new Promise((ok) => setTimeout(ok, 0));
      if (job !== this.job) return null;
      for (let i1 = r; i1 < Math.min(n, r + rowsPerChunk); i1++) {
        for (let i2 = 0; i2 < n; i2++) {
          const m = solvePixel(config.family, x1[i1], x2[i2], p).margins;
          for (let c = 0; c < 3; c++) if (m[c] < tau) counts[c]++;
        }
      }
    }
    return counts;
  }

  private render(): void {
    const L = this.levels;
    const series: LineSeries[] = CONDITIONS.map((c, k) => {
      const points = L.flatMap((n, i) => (this.fractions[i] ? [[n, this.fractions[i]![k]] as [number, number]] : []));
      return {
        label: CONDITION_LABELS[c],
        colour: SERIES_COLOURS[k],
        dots: true,
        points,
        reference: -1,
        data: { condition: c, levels: points.map((p) => p[0]).join(','), fractions: points.map((p) => p[1]).join(',') },
      };
    });
    const zero = CONDITIONS.filter((_, k) => this.fractions.length > 0 && this.fractions.every((f) => f !== null && f[k] === 0)).map((c) => CONDITION_LABELS[c]);
    const notes: { text: string; colour?: string }[] = [
      { text: 'LICQ blue · SCSC red · SOSC purple', colour: '#333' },
      { text: `dotted: slope −1 (fraction ∝ h), κ = ${this.kappa}`, colour: '#555' },
    ];
    if (zero.length) notes.push({ text: `${zero.join(', ')}: 0 at every level (nothing fails)`, colour: '#555' });
    if (this.status) notes.push({ text: this.status, colour: '#8a5a00' });
    this.chart.update({
      xMin: L.length ? L[0] / 1.4 : 1,
      xMax: L.length ? L[L.length - 1] * 1.4 : 10,
      series,
      notes,
      empty: this.status || 'no failures flagged at any level',
    });
  }

  svg(): string {
    return this.chart.svgText();
  }

  dispose(): void {
    this.job++;
    this.chart.dispose();
  }
}
