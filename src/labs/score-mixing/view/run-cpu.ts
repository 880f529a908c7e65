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

import { ReferenceSampler, type SamplerOptions } from '../reference';
import { CPU_PAGE_MAX_PARTICLES } from '../snapshot-spec';
import type { ParticleState } from '../types';
import { planStops, SampleSchedule, SAMPLE_PARTICLES } from './sample-schedule';
import { TrajectoryLog } from './trajectory';

/** Recorded frames that came with a restored state (a snapshot's arrays.t and arrays.x, frames x count x d). */
export interface RecordedFrames {
  t: ArrayLike<number>;
  x: ArrayLike<number>;
  count: number;
}

/** The frames a run holds: their grid steps and positions (frames x count x d). */
export interface TrajectoryFrames<X extends Float32Array | Float64Array> {
  steps: number[];
  x: X;
}

export interface CpuSample {
  k: number;
  t: number;
  d: number;
  points: Float64Array;
}

/** The same cap the snapshot spec accepts for a CPU-fallback snapshot. */
export const CPU_MAX_PARTICLES = CPU_PAGE_MAX_PARTICLES;

export class CpuRun {
  private sampler: ReferenceSampler;
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
  /** Slot j of the record schedule: count*d float64 at frame j. */
  private readonly frames: Float64Array;
  /** The lead frame (trajectory.leadStep), when the trajectory starts off the record schedule. */
  private lead: Float64Array | null = null;

  constructor(
    private readonly opts: SamplerOptions,
    x0: Float64Array,
    readonly trailLength: number,
    record: number,
  ) {
    this.sampler = new ReferenceSampler(opts, x0);
    this.positions = new Float32Array(this.sampler.count * 2);
    this.schedule = new SampleSchedule(opts.steps);
    this.trajectory = new TrajectoryLog(opts.steps, record, this.sampler.grid);
    this.frames = new Float64Array(this.trajectory.size * x0.length);
  }

  get d(): number {
    return this.sampler.d;
  }
  get count(): number {
    return this.sampler.count;
  }
  get k(): number {
    return this.finished ? this.kOffset : this.kOffset + this.sampler.k;
  }
  get t(): number {
    return this.finished ? this.opts.tMin : this.sampler.t;
  }
  get done(): boolean {
    return this.finished || this.sampler.done;
  }
  get x(): Float64Array {
    return this.sampler.x;
  }

  /** Live guidance strength. The frames so far belong to the old lambda: the trajectory starts over here. */
  setLambda(l: number): void {
    this.sampler.setLambda(l);
    this.lead = this.trajectory.restartAt(this.k) ? Float64Array.from(this.sampler.x) : null;
  }

  /**
   * Steps synchronously, copying the chart's sample and the trajectory's frame at each of their
   * steps (steps = 0 still takes the pending copies of the current state). A non-finite particle
   * halts with the sampler's message (state kept).
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
        try {
          this.sampler.step();
          n++;
        } catch (e) {
          this.halted = true;
          this.haltReason = (e as Error).message;
        }
      }
      if (this.halted) break;
    }
    return n;
  }

  /** Copies the state into slot j of the trajectory. */
  private record(slot: number): void {
    this.frames.set(this.sampler.x, slot * this.sampler.x.length);
    this.trajectory.next = slot + 1;
  }

  /** The recorded frames so far (those of the current step included, even before the next frame takes them). */
  recordedFrames(): TrajectoryFrames<Float64Array> {
    const pending = planStops([this.trajectory.schedule], [this.trajectory.next], this.k, 0);
    for (const op of pending.ops) if ('sample' in op) this.record(op.sample);
    const log = this.trajectory;
    const size = this.sampler.x.length;
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
    const m = Math.min(this.count, SAMPLE_PARTICLES);
    this.pending.push({ k: this.k, t: this.t, d, points: this.sampler.x.slice(0, m * d) });
    this.nextSlot = slot + 1;
  }

  /** Project into picture coordinates and push onto the trail ring (newest first). */
  project(ax: number, ay: number, y1d: number, push: boolean): void {
    const { d, count } = this;
    const x = this.sampler.x;
    const out = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      out[2 * i] = x[i * d + (d === 1 ? 0 : ax)];
      out[2 * i + 1] = d === 1 ? y1d : x[i * d + ay];
    }
    this.positions = out;
    if (!push) this.trail.length = 0;
    this.trail.unshift(out);
    if (this.trail.length > this.trailLength) this.trail.length = this.trailLength;
  }

  state(): ParticleState {
    return { step: this.k, t: this.t, d: this.d, count: this.count, x: Float64Array.from(this.sampler.x) };
  }

  /**
   * Continues from `s` (its first `count` particles). `recorded`: the frames that came with it (a
   * snapshot's), kept when they are this config's recorded frames up to s.step.
   */
  restore(s: ParticleState, lambda: number, recorded: RecordedFrames | null = null): void {
    const o = this.opts;
    const steps = o.steps - s.step;
    const x = Float64Array.from(s.x);
    // At tMin already: a one-step sampler we never step (finished), so x and d stay available.
    this.finished = steps < 1;
    this.sampler = new ReferenceSampler({ ...o, lambda, T: this.finished ? o.tMin * 2 : s.t, steps: Math.max(1, steps) }, x);
    this.kOffset = this.finished ? o.steps : s.step;
    this.halted = false;
    this.haltReason = null;
    // The history restarts at the restored step (taken by the next advance, even of 0 steps).
    this.nextSlot = this.schedule.slotAtOrAfter(this.k);
    this.pending = [];
    const size = this.sampler.x.length;
    const keep = this.trajectory.adopt(s.step, recorded?.t ?? null);
    const per = recorded ? recorded.count * this.d : 0;
    for (let j = 0; j < keep; j++) {
      // The file's frame j, its first `count` particles (the CPU fallback may run fewer).
      for (let i = 0; i < size; i++) this.frames[j * size + i] = recorded!.x[j * per + i];
    }
    this.lead = this.trajectory.leadStep === null ? null : x.slice(0, size);
  }

  dispose(): void {
    this.trail.length = 0;
  }
}
