// A run without WebGPU: the float64 ReferenceSampler at reduced particle count, stepped
// synchronously in the frame (it is small), with the projected positions and a trail ring kept
// in JS for the Canvas 2D picture. A restore to step k starts a sampler on the sub-grid
// t_k..tMin, which is exactly the tail of the original grid (same ratio per step); the ODE
// continues exactly, the SDE draws noise keyed by the sub-run's step index instead of k.
// The distance chart's samples follow the same schedule as the GPU run (view/sample-schedule.ts):
// the steps are split at the scheduled steps and the first particles copied there, so the chart
// gets every scheduled sample once whatever the speed; the page collects them with takeSamples().
// The export's trajectory is kept the same way: the steps are split at the config's record steps
// too, and the state is copied into a host array of frames there (view/trajectory.ts says which
// frames the run holds after a restore or a live lambda change).
// Compare mode (config.compare): one ReferenceSampler per batch (its lambda, the same x0 and seed:
// each batch is exactly the single run of its lambda, as compare-run.ts runReferenceBatches), all
// stepped together. A frame, a state, a sample hold every batch one after another, (B, count, d),
// the layout of the GPU run's buffer; count (and positions) are all B batches' particles.

import { ReferenceSampler, type SamplerOptions } from '../reference';
import { CPU_PAGE_MAX_PARTICLES } from '../snapshot-spec';
import type { ParticleState } from '../types';
import { planStops, SampleSchedule, SAMPLE_PARTICLES } from './sample-schedule';
import { TrajectoryLog } from './trajectory';

/**
 * Recorded frames that came with a restored state (a snapshot's arrays.t and arrays.x), frame-major
 * (frames, batches, count, d): count particles per batch.
 */
export interface RecordedFrames {
  t: ArrayLike<number>;
  x: ArrayLike<number>;
  count: number;
  batches: number;
}

/** The frames a run holds: their grid steps and positions (frames, batches, count, d). */
export interface TrajectoryFrames<X extends Float32Array | Float64Array> {
  steps: number[];
  x: X;
}

export interface CpuSample {
  k: number;
  t: number;
  d: number;
  /** The first sampled particles of each batch, (batches, m, d). */
  batches: number;
  points: Float64Array;
}

/** The same cap the snapshot spec accepts for a CPU-fallback snapshot. */
export const CPU_MAX_PARTICLES = CPU_PAGE_MAX_PARTICLES;

export class CpuRun {
  /** One sampler per batch (compare mode), batch 0 the config's lambda. */
  private samplers: ReferenceSampler[];
  /** Each batch's lambda. */
  private readonly lambdas: number[];
  private kOffset = 0;
  private finished = false;
  readonly trail: Float32Array[] = [];
  positions: Float32Array;
  halted = false;
  haltReason: string | null = null;
  readonly schedule: SampleSchedule;
  /** First schedule slot not sampled yet. */
  private nextSlot = 0;
  private pending: CpuSample[] = [];
  /** Which recorded frames `frames` holds. */
  readonly trajectory: TrajectoryLog;
  /** Slot j of the record schedule: the frame (batches, batchSize, d) float64 at frame j. */
  private readonly frames: Float64Array;
  /** The lead frame (trajectory.leadStep), when the trajectory starts off the record schedule. */
  private lead: Float64Array | null = null;

  /** `lambdas` (compare mode): one per batch, each batch from x0; default [opts.lambda]. */
  constructor(
    private readonly opts: SamplerOptions,
    x0: Float64Array,
    readonly trailLength: number,
    record: number,
    lambdas: readonly number[] = [opts.lambda],
  ) {
    this.lambdas = [...lambdas];
    this.samplers = this.lambdas.map((lambda) => new ReferenceSampler({ ...opts, lambda }, x0));
    this.positions = new Float32Array(this.count * 2);
    this.schedule = new SampleSchedule(opts.steps);
    this.trajectory = new TrajectoryLog(opts.steps, record, this.samplers[0].grid);
    this.frames = new Float64Array(this.trajectory.size * this.frameSize);
  }

  get d(): number {
    return this.samplers[0].d;
  }
  /** Particles of all batches. */
  get count(): number {
    return this.batches * this.batchSize;
  }
  /** Particles per batch. */
  get batchSize(): number {
    return this.samplers[0].count;
  }
  get batches(): number {
    return this.samplers.length;
  }
  /** Values of one frame: every batch's particles. */
  private get frameSize(): number {
    return this.count * this.d;
  }
  get k(): number {
    return this.finished ? this.kOffset : this.kOffset + this.samplers[0].k;
  }
  get t(): number {
    return this.finished ? this.opts.tMin : this.samplers[0].t;
  }
  get done(): boolean {
    return this.finished || this.samplers[0].done;
  }

  /** The current frame, every batch: (batches, batchSize, d). */
  private frame(): Float64Array {
    if (this.batches === 1) return this.samplers[0].x;
    const out = new Float64Array(this.frameSize);
    this.samplers.forEach((s, b) => out.set(s.x, b * s.x.length));
    return out;
  }

  /** Live guidance strength of batch 0 (the config's). The frames so far belong to the old lambda: the trajectory starts over here. */
  setLambda(l: number): void {
    this.samplers[0].setLambda(l);
    this.lambdas[0] = l;
    this.lead = this.trajectory.restartAt(this.k) ? Float64Array.from(this.frame()) : null;
  }

  /**
   * Steps synchronously, copying the chart's sample and the trajectory's frame at each of their
   * steps (steps = 0 still takes the pending copies of the current state). A non-finite particle
   * halts with the sampler's message, naming the batch in compare mode (state kept: every batch
   * stands at the step before, the failing batch's sampler never swaps in a bad state).
   */
  advance(steps: number): number {
    let n = 0;
    const todo = this.halted || this.done ? 0 : steps;
    const plan = planStops([this.schedule, this.trajectory.schedule], [this.nextSlot, this.trajectory.next], this.k, todo);
    for (const op of plan.ops) {
      if ('sample' in op) {
        if (op.of === 0) this.takeSample(op.sample);
        else this.record(op.sample);
        continue;
      }
      for (let i = 0; i < op.steps && !this.halted; i++) {
        if (this.stepAll()) n++;
      }
      if (this.halted) break;
    }
    return n;
  }

  /**
   * One step of every batch; false (and halted) when one fails. Compared batches then all go back
   * to the step the failing one stands at (the ones stepped before it restart from their copies).
   */
  private stepAll(): boolean {
    const B = this.batches;
    const k = this.k;
    const t = this.t;
    const before = B > 1 ? this.samplers.map((s) => Float64Array.from(s.x)) : [];
    for (let b = 0; b < B; b++) {
      try {
        this.samplers[b].step();
      } catch (e) {
        this.halted = true;
        const message = (e as Error).message;
        this.haltReason = B > 1 ? `batch ${b} (lambda = ${this.lambdas[b]}): ${message}` : message;
        if (B > 1) this.restartSamplers(k, t, before);
        return false;
      }
    }
    return true;
  }

  /**
   * Every batch continues from xs[b] at grid step k, time t: samplers on the sub-grid t_k..tMin,
   * which is exactly the tail of the original grid (see the header).
   */
  private restartSamplers(k: number, t: number, xs: Float64Array[]): void {
    const o = this.opts;
    // At tMin already: a one-step sampler we never step (finished), so x and d stay available.
    this.finished = o.steps - k < 1;
    this.samplers = xs.map((x, b) => new ReferenceSampler({ ...o, lambda: this.lambdas[b], T: this.finished ? o.tMin * 2 : t, steps: Math.max(1, o.steps - k) }, x));
    this.kOffset = this.finished ? o.steps : k;
  }

  /** Copies the state into slot j of the trajectory. */
  private record(slot: number): void {
    const size = this.batchSize * this.d;
    this.samplers.forEach((s, b) => this.frames.set(s.x, slot * this.frameSize + b * size));
    this.trajectory.next = slot + 1;
  }

  /** The recorded frames so far (those of the current step included, even before the next frame takes them). */
  recordedFrames(): TrajectoryFrames<Float64Array> {
    const pending = planStops([this.trajectory.schedule], [this.trajectory.next], this.k, 0);
    for (const op of pending.ops) if ('sample' in op) this.record(op.sample);
    const log = this.trajectory;
    const size = this.frameSize;
    const x = new Float64Array(log.frames * size);
    if (this.lead) x.set(this.lead, 0);
    const at = this.lead ? size : 0;
    x.set(this.frames.subarray(log.first * size, log.next * size), at);
    return { steps: log.steps(), x };
  }

  /** Samples taken since the last call, in step order. */
  takeSamples(): CpuSample[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private takeSample(slot: number): void {
    const d = this.d;
    const m = Math.min(this.batchSize, SAMPLE_PARTICLES);
    const points = new Float64Array(this.batches * m * d);
    this.samplers.forEach((s, b) => points.set(s.x.subarray(0, m * d), b * m * d));
    this.pending.push({ k: this.k, t: this.t, d, batches: this.batches, points });
    this.nextSlot = slot + 1;
  }

  /** Project every batch's particles into picture coordinates and push onto the trail ring (newest first). */
  project(ax: number, ay: number, y1d: number, push: boolean): void {
    const { d, batchSize } = this;
    const out = new Float32Array(this.count * 2);
    this.samplers.forEach((s, b) => {
      const x = s.x;
      for (let i = 0; i < batchSize; i++) {
        const o = 2 * (b * batchSize + i);
        out[o] = x[i * d + (d === 1 ? 0 : ax)];
        out[o + 1] = d === 1 ? y1d : x[i * d + ay];
      }
    });
    this.positions = out;
    if (!push) this.trail.length = 0;
    this.trail.unshift(out);
    if (this.trail.length > this.trailLength) this.trail.length = this.trailLength;
  }

  /** The current state of every batch: count = batches x batchSize, x (batches, batchSize, d). */
  state(): ParticleState {
    return { step: this.k, t: this.t, d: this.d, count: this.count, x: Float64Array.from(this.frame()) };
  }

  /**
   * Continues from `s`, a state of this run's batches (s.count = batches x n, batch-major; the first
   * batchSize particles of each batch are taken: a GPU state of more particles continues on the
   * reduced CPU run). `lambda`: batch 0's (the config's, after a live change). `recorded`: the
   * frames that came with it (a snapshot's), kept when they are this config's recorded frames up
   * to s.step.
   */
  restore(s: ParticleState, lambda: number, recorded: RecordedFrames | null = null): void {
    const B = this.batches;
    const d = this.d;
    const n = s.count / B;
    if (!Number.isInteger(n) || n < this.batchSize) throw new Error(`a state of ${s.count} particles does not hold ${B} batches of ${this.batchSize}`);
    this.lambdas[0] = lambda;
    const size = this.batchSize * d;
    const per = (x: ArrayLike<number>, from: number): Float64Array => Float64Array.from({ length: size }, (_, i) => x[from + i]);
    this.restartSamplers(s.step, s.t, this.lambdas.map((_, b) => per(s.x, b * n * d)));
    this.halted = false;
    this.haltReason = null;
    // The history restarts at the restored step (taken by the next advance, even of 0 steps).
    this.nextSlot = this.schedule.slotAtOrAfter(this.k);
    this.pending = [];
    const keep = recorded && recorded.batches === B ? this.trajectory.adopt(s.step, recorded.t) : this.trajectory.adopt(s.step, null);
    const perBatch = recorded ? recorded.count * d : 0;
    for (let j = 0; j < keep; j++) {
      // The file's frame j, the first batchSize particles of each batch (the CPU fallback may run fewer).
      for (let b = 0; b < B; b++) {
        const from = (j * B + b) * perBatch;
        const to = j * this.frameSize + b * size;
        for (let i = 0; i < size; i++) this.frames[to + i] = recorded!.x[from + i];
      }
    }
    this.lead = this.trajectory.leadStep === null ? null : this.frame().slice();
  }

  dispose(): void {
    this.trail.length = 0;
  }
}
