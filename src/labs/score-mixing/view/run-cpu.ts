// A run without WebGPU: the float64 ReferenceSampler at reduced particle count, stepped
// synchronously in the frame (it is small), with the projected positions and a trail ring kept
// in JS for the Canvas 2D picture. A restore to step k starts a sampler on the sub-grid
// t_k..tMin, which is exactly the tail of the original grid (same ratio per step); the ODE
// continues exactly, the SDE draws noise keyed by the sub-run's step index instead of k.
// The distance chart's samples follow the same schedule as the GPU run (view/sample-schedule.ts):
// the steps are split at the scheduled steps and the first particles copied there, so the chart
// gets every scheduled sample once whatever the speed; the page collects them with takeSamples().

import { ReferenceSampler, type SamplerOptions } from '../reference';
import { CPU_PAGE_MAX_PARTICLES } from '../snapshot-spec';
import type { ParticleState } from '../types';
import { planAdvance, SampleSchedule, SAMPLE_PARTICLES } from './sample-schedule';

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

  constructor(
    private readonly opts: SamplerOptions,
    x0: Float64Array,
    readonly trailLength: number,
  ) {
    this.sampler = new ReferenceSampler(opts, x0);
    this.positions = new Float32Array(this.sampler.count * 2);
    this.schedule = new SampleSchedule(opts.steps);
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

  setLambda(l: number): void {
    this.sampler.setLambda(l);
  }

  /**
   * Steps synchronously, copying the chart's sample at each scheduled step (steps = 0 still takes
   * a pending sample of the current state). A non-finite particle halts with the sampler's message
   * (state kept).
   */
  advance(steps: number): number {
    let n = 0;
    const todo = this.halted || this.done ? 0 : steps;
    for (const op of planAdvance(this.schedule, this.nextSlot, this.k, todo).ops) {
      if ('sample' in op) {
        this.takeSample(op.sample);
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

  restore(s: ParticleState, lambda: number): void {
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
  }

  dispose(): void {
    this.trail.length = 0;
  }
}
