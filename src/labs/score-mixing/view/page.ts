// The score-mixing page: owns the run (GPU or CPU), the model its config builds, the GPU profiler
// and the charts, and implements LabPage for the app shell. What is drawn — picture, field,
// overlay, lab controls — is the Display's (view/display.ts); snapshots are built and read in
// view/snapshot.ts, point-set edits and files in view/point-sets.ts. The frame loop (frame) never
// awaits: GPU work is encoded and submitted, readbacks are consumed by their promises
// (view/run-gpu.ts), the potential field is recomputed through FieldLayer's single in-flight request.
// The export (snapshot) is the trajectory recorded so far, read back only then; status() counts
// steps and sums up the distance chart (the rate at which particles reach their critical points).
// The Convergence panel under the charts (view/convergence-panel.ts) runs the lab's convergence
// study on demand, outside the frame loop; the page tells it each new config (staleness).
// Compare mode (config.compare over lambda): one run of B batches (batchLambdas: batch 0 the
// config's lambda), one GPU dispatch per step range for all of them (the CPU fallback: the float64
// reference per batch); the picture draws every batch in its colour with its stars, the distance
// chart overlays one series per batch with its slope, the lambda chart marks every batch's lambda,
// and the export is what `flowlab run` writes for the config (x (B, frames, N, d), ...). A live
// lambda change moves batch 0 only.

import type { GpuContext } from '../../../gpu/device';
import { GpuProfiler } from '../../../gpu/profiler';
import { FILE_LIMITS, readFileText, type SizedFile } from '../../../io/input';
import type { Snapshot } from '../../../io/snapshot-types';
import type { LabPage, RunStatus, ViewHost } from '../../lab';
import { FieldError } from '../../schema';
import { trailLengthFor } from '../../shared/view/particle-scene';
import { nearestCriticalDistances, stableCriticalPoints, type CriticalPoint } from '../analysis';
import { DistanceChart, fitShown, summarise } from './charts/distance';
import { LambdaChart } from './charts/lambda';
import { scoreMixingConvergence } from '../convergence';
import { ConvergencePanel } from './convergence-panel';
import { batchLambdas, parseConfig, particleCount, runSetup } from '../config';
import type { Measure, ParticleState, ScoreMixingConfig } from '../types';
import { Display, type PageModel } from './display';
import { timeToY } from './geometry';
import type { AtomEdit, MeasureId } from './overlay';
import { savePointSet, withAtomEdit, withImportedSet } from './point-sets';
import { CpuRun, CPU_MAX_PARTICLES, type CpuSample, type RecordedFrames } from './run-cpu';
import { GpuRun, type SampleResult } from './run-gpu';
import { buildSnapshot, readResume } from './snapshot';
import { batchLabel, chartColour } from './batch-colours';

export class ScoreMixingPage implements LabPage<ScoreMixingConfig> {
  private model: PageModel | null = null;
  private run: GpuRun | CpuRun | null = null;
  private readonly display: Display;
  /** Times the generate, project and field passes for the HUD (no-op without timestamp-query). */
  private profiler: GpuProfiler | null = null;
  private readonly distChart: DistanceChart;
  private readonly lambdaChart: LambdaChart;
  /** The convergence study under the charts (view/convergence-panel.ts), run by its own button. */
  private readonly convergence: ConvergencePanel;
  private haltedReason: string | undefined;
  /** Why the run is on its backend (meta.backendNote of the export). */
  private backendNote = '';
  private frameCount = 0;
  private busy: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly host: ViewHost,
    private gpu: GpuContext | null,
  ) {
    this.display = new Display(
      host,
      {
        model: () => this.model,
        run: () => this.run,
        gpu: () => this.gpu,
        edit: (e) => void this.applyEdit(e),
        importFile: (m, file) => void this.importSet(m, file),
        exportSet: (m, format) => this.exportSet(m, format),
      },
      gpu,
    );
    this.setProfiler(gpu);
    this.distChart = new DistanceChart(host.charts);
    this.lambdaChart = new LambdaChart(host.charts, (l) => void this.pickLambda(l));
    this.convergence = new ConvergencePanel(host.charts, scoreMixingConvergence, { host, gpu: () => this.gpu, backendNote: () => this.backendNote });
  }

  async init(): Promise<void> {
    await this.display.init(this.gpu);
  }

  // ---- LabPage -------------------------------------------------------------------------------

  async setConfig(config: ScoreMixingConfig): Promise<void> {
    // Validate first: a FieldError leaves everything as it was.
    const cfg = parseConfig(config);
    this.host.checkMemory(cfg); // the page's memory budget, before anything is allocated
    const prev = this.model?.config;
    if (prev && JSON.stringify(prev) === JSON.stringify(cfg)) return;
    if (prev && this.run && JSON.stringify({ ...prev, lambda: 0 }) === JSON.stringify({ ...cfg, lambda: 0 })) {
      this.setLambdaLive(cfg);
      return;
    }
    await this.build(cfg, null, null);
  }

  frame(steps: number): void {
    if (this.disposed || !this.model || !this.run) return;
    this.frameCount++;
    (this.host.canvas as HTMLCanvasElement & { dataset: DOMStringMap }).dataset.frame = String(this.frameCount);
    this.display.pumpField();
    const cfg = this.model.config;
    const timeY = (t: number) => timeToY(t, cfg.T, cfg.tMin);
    let n = 0;
    const run = this.run;
    if (run instanceof GpuRun) {
      n = run.advance(this.haltedReason ? 0 : steps, this.display.currentProjection!.ax, this.display.currentProjection!.ay, timeY, this.profiler);
    } else {
      const before = run.k;
      // Steps of 0 still take the sample of the current state when it is due (schedule).
      n = run.advance(this.haltedReason ? 0 : steps);
      if (run.halted && !this.haltedReason) this.halt(`${run.haltReason ?? 'non-finite particle'} (kept the last finite state)`);
      if (n > 0 || before === 0 || run.trail.length === 0) {
        run.project(this.display.currentProjection!.ax, this.display.currentProjection!.ay, timeY(run.t), run.trail.length > 0);
      }
      this.onSamples(run.takeSamples());
    }
    if (n > 0) this.display.followRun(run.t, cfg);
    this.display.draw();
  }

  async reset(): Promise<void> {
    if (!this.model) return;
    await this.build(this.model.config, null, null);
  }

  status(): RunStatus {
    const run = this.run;
    const cfg = this.model?.config;
    return {
      step: run?.k ?? 0,
      steps: cfg?.steps ?? 0,
      unit: 'step',
      t: run?.t ?? cfg?.T ?? 0,
      done: run?.done ?? false,
      haltedReason: this.haltedReason,
      passMs: run instanceof GpuRun ? this.profiler?.passMs() : undefined,
      // A device loss continues from the GPU run's last good state; the CPU run loses nothing.
      savedStep: run instanceof GpuRun ? run.lastGoodState.step : run?.k,
    };
  }

  /** The trajectory recorded so far (every frame up to the current step) and the current state. */
  async snapshot(): Promise<Snapshot> {
    if (!this.model || !this.run) throw new Error('score-mixing: no run to snapshot yet');
    const { config, batchCps } = this.model;
    const run = this.run;
    const start = performance.now();
    const { frames, state } = run instanceof GpuRun ? await run.recordedFrames() : { frames: run.recordedFrames(), state: run.state() };
    const readbackMs = performance.now() - start;
    return buildSnapshot({
      config,
      cps: batchCps,
      frames,
      state,
      backend: run instanceof GpuRun ? (this.gpu?.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64',
      adapter: run instanceof GpuRun ? (this.gpu?.adapterDescription ?? 'WebGPU') : 'CPU (float64 TypeScript reference)',
      backendNote: this.backendNote,
      timings: { readbackMs, totalMs: performance.now() - start },
    });
  }

  async restore(snapshot: Snapshot): Promise<void> {
    const { config: cfg, state, recorded } = readResume(snapshot);
    const B = batchLambdas(cfg).length;
    if (state && this.gpu && this.display.hasScene && state.count !== B * particleCount(cfg)) {
      throw new FieldError('arrays.x.shape', `[${snapshot.arrays.x.shape.join(', ')}]`, `${particleCount(cfg)} particles${B > 1 ? ' per batch' : ''} on the GPU: this snapshot holds the ${state.count / B} particles of the page's CPU fallback, which continue only there`);
    }
    await this.build(cfg, state, recorded);
    this.host.configChanged(cfg);
  }

  chartSvgs(): { name: string; svg: string }[] {
    return [
      { name: 'distance-to-limit', svg: this.distChart.svgText() },
      { name: 'lambda-critical-points', svg: this.lambdaChart.svgText() },
      ...this.convergence.chartSvgs(),
    ];
  }

  async deviceRestored(gpu: GpuContext | null): Promise<void> {
    const last = this.run instanceof GpuRun ? this.run.lastGoodState : this.run?.state() ?? null;
    this.run?.dispose();
    this.run = null;
    this.gpu = gpu;
    this.setProfiler(gpu);
    if (!(await this.display.setGpu(gpu))) {
      this.host.notify({ level: 'error', text: 'The GPU device was lost and no new one is available; reload the page to use the CPU fallback.' });
      return;
    }
    // Per batch: the CPU fallback continues a state of at most its particle count.
    const B = this.model?.lambdas.length ?? 1;
    if (this.model) await this.build(this.model.config, last && last.count / B <= (gpu ? Infinity : CPU_MAX_PARTICLES) ? last : null, null);
  }

  dispose(): void {
    this.disposed = true;
    this.run?.dispose();
    this.run = null;
    this.display.dispose();
    this.profiler?.dispose();
    this.profiler = null;
    this.distChart.dispose();
    this.lambdaChart.dispose();
    this.convergence.dispose();
  }

  /** A profiler on the (new) device, shared by the frame encoder and the field layer. */
  private setProfiler(gpu: GpuContext | null): void {
    this.profiler?.dispose();
    // Room for many dispatches per frame (large runs at high speed) plus the projection.
    this.profiler = gpu ? new GpuProfiler(gpu.device, 'ScoreMixingView.profiler', { maxPasses: 128 }) : null;
    this.display.setProfiler(this.profiler);
  }

  // ---- building a run ------------------------------------------------------------------------

  /**
   * New run for cfg (optionally from a saved state, with the recorded frames that came with it).
   * On failure the previous run stays.
   */
  private build(cfg: ScoreMixingConfig, state: ParticleState | null, recorded: RecordedFrames | null): Promise<void> {
    const job = this.busy.then(() => this.buildNow(cfg, state, recorded));
    this.busy = job.catch(() => undefined);
    return job;
  }

  private async buildNow(cfg: ScoreMixingConfig, state: ParticleState | null, recorded: RecordedFrames | null): Promise<void> {
    const setup = runSetup(cfg);
    const { opts, d, count } = setup;
    const { mu1, mu2 } = opts;
    const lambdas = batchLambdas(cfg);
    const B = lambdas.length;
    const total = B * count;
    let x0 = setup.x0;
    let note = '';
    let next: GpuRun | CpuRun;
    if (this.gpu && this.display.hasScene) {
      const gpuRun: GpuRun = await GpuRun.create(
        this.gpu,
        opts,
        x0,
        trailLengthFor(total),
        {
          // Only the current run's samples reach the chart (an old run's reads may still resolve).
          samples: (s) => {
            if (this.run === gpuRun) this.onSamples(s);
          },
          halted: (reason) => this.halt(reason),
        },
        cfg.record,
        lambdas,
      );
      next = gpuRun;
      if (state) await gpuRun.restore(state, recorded);
      this.display.showGpuRun(gpuRun, total);
    } else {
      const batches = B > 1 ? ` in each of ${B} batches (λ = ${lambdas.join(', ')})` : '';
      if (count > CPU_MAX_PARTICLES) {
        x0 = x0.slice(0, CPU_MAX_PARTICLES * d);
        note = `No WebGPU: running the float64 CPU reference with ${CPU_MAX_PARTICLES} of ${count} particles${batches}.`;
      } else note = `No WebGPU: running the float64 CPU reference${B > 1 ? ` with ${count} particles${batches}` : ''}.`;
      // The state holds every batch; the run takes each batch's first particles (run-cpu.ts restore).
      const cpu = new CpuRun(opts, x0, 24, cfg.record, lambdas);
      if (state) cpu.restore(state, cfg.lambda, recorded);
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
    const batchCps = lambdas.map((l) => this.criticalPoints(mu1, mu2, l));
    this.model = { config: cfg, mu1, mu2, cps: batchCps[0], lambdas, batchCps };
    this.haltedReason = undefined;
    this.backendNote = next instanceof GpuRun ? `WebGPU on the page (${this.gpu?.isSoftware ? 'software' : 'hardware'} adapter)` : note;
    this.display.showRun(cfg, d, sameD, note, state?.t ?? cfg.T);
    this.convergence.setConfig(cfg);
    if (note) this.host.notify({ level: 'info', text: note });
    this.resetDistanceChart(cfg, lambdas);
    this.lambdaChart.update(mu1, mu2, this.display.xAxis, cfg.lambda, this.comparedLambdas(lambdas));
    this.display.relayout(true);
  }

  /** The distance chart starts over: one series per batch (compare mode), named by its lambda. */
  private resetDistanceChart(cfg: ScoreMixingConfig, lambdas: readonly number[]): void {
    const B = lambdas.length;
    this.distChart.reset(cfg.T, cfg.tMin, B > 1 ? lambdas.map((lambda, b) => ({ label: batchLabel(lambda, b, B), colour: chartColour(b), lambda })) : undefined);
  }

  /** The lambda chart's marks of the compared batches (1..B-1). */
  private comparedLambdas(lambdas: readonly number[]): { lambda: number; colour: string; batch: number }[] {
    return lambdas.slice(1).map((lambda, i) => ({ lambda, colour: chartColour(i + 1), batch: i + 1 }));
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
    const cps = this.criticalPoints(m.mu1, m.mu2, cfg.lambda);
    const lambdas = [cfg.lambda, ...m.lambdas.slice(1)];
    this.model = { ...m, config: cfg, cps, lambdas, batchCps: [cps, ...m.batchCps.slice(1)] };
    this.convergence.setConfig(cfg);
    this.resetDistanceChart(cfg, lambdas);
    if (cfg.lambda > this.lambdaChart.range) this.lambdaChart.update(m.mu1, m.mu2, this.display.xAxis, cfg.lambda, this.comparedLambdas(lambdas));
    else this.lambdaChart.setLambda(cfg.lambda);
    this.display.requestField();
    this.display.redrawOverlay();
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
      this.display.redrawOverlay(); // undo a drag's preview
    }
  }

  private async applyEdit(e: AtomEdit): Promise<void> {
    if (!this.model) return;
    await this.applyConfig(withAtomEdit(this.model.config, e));
  }

  private async importSet(m: MeasureId, file: SizedFile): Promise<void> {
    if (!this.model) return;
    try {
      // The size is checked before the file is read whole.
      const text = await readFileText(file, FILE_LIMITS.pointSet, 'a point-set file');
      if (!this.model) return;
      await this.applyConfig(withImportedSet(this.model.config, this.model.mu1.d, m, file.name, text));
    } catch (err) {
      this.host.notify({ level: 'error', text: (err as Error).message });
    }
  }

  private exportSet(m: MeasureId, format: 'json' | 'csv'): void {
    if (!this.model) return;
    savePointSet(this.model.config, m, format);
  }

  // ---- halting, samples ----------------------------------------------------------------------

  /**
   * The lab's key metric in one sentence: how fast the sampled particles approach their nearest
   * stable critical point (the fitted log-log slope of the distance chart; theory: 1/2), or the
   * latest median distance while too few small-t samples are in; compared lambdas: every batch's
   * slope. While a convergence study runs: its progress.
   */
  summary(): string | undefined {
    // While a convergence study runs, its progress is what the user waits for.
    const study = this.convergence.progressSentence();
    if (study) return study;
    const chart = this.distChart;
    const last = chart.latest;
    if (!last || !(this.model && this.model.cps.length > 0)) return undefined;
    const fit = chart.fit;
    const lambdas = this.model.lambdas;
    if (lambdas.length > 1 && fitShown(fit)) {
      const slopes = chart.fits.map((f, b) => `${fitShown(f) ? `t^${f.slope.toFixed(2)}` : 'not fitted yet'} at λ = ${lambdas[b]}${b === 0 ? ' (config)' : ''}`);
      return `distance to the nearest stable critical point falls like ${slopes.join(', ')} (theory t^0.5)`;
    }
    if (fitShown(fit)) {
      return `distance to the nearest stable critical point falls like t^${fit.slope.toFixed(2)} (theory t^0.5), fitted on ${fit.n} samples`;
    }
    return `median distance to the nearest stable critical point ${last.median.toPrecision(2)} at t = ${last.t.toExponential(1)}`;
  }

  private halt(reason: string): void {
    if (this.haltedReason) return;
    this.haltedReason = reason;
    this.host.notify({ level: 'error', text: reason });
  }

  /** History samples of the run (GPU readback or CPU copy), each scheduled step once; each batch's to its series. */
  private onSamples(samples: readonly (SampleResult | CpuSample)[]): void {
    const m = this.model;
    if (samples.length === 0 || !m || this.disposed) return;
    m.batchCps.forEach((cps, b) => {
      if (cps.length === 0) return;
      this.distChart.addAll(
        samples
          .filter((s) => s.batches === m.batchCps.length)
          .map((s) => {
            const per = s.points.length / s.batches;
            const x = Float64Array.from(s.points.subarray(b * per, (b + 1) * per));
            return summarise(s.t, Array.from(nearestCriticalDistances(x, s.d, cps).distance));
          }),
        b,
      );
    });
  }
}
