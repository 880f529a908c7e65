// One alpha's run on the CPU: the float64 PrimalDualReference, stepped synchronously in the frame
// (within a time budget), recording every trajectory's state, diagnostics and Q in float64 host
// arrays at the same recorded steps as the GPU run (the CLI's schedule), computed exactly as
// runPrimalDualReference computes its frames, so a page export equals `flowlab run` on the CPU. Two uses: the no-WebGPU fallback (fewer trajectories), and the float64
// "shadow" of trajectory 0 next to a GPU run, whose difference from the f32 GPU values is the
// measured float32 noise shown on the charts.

import { PrimalDualReference, allocFrames, gridTime, recordStepsLog, type PrimalDualProblem } from '../reference';
import { CPU_PAGE_MAX_TRAJECTORIES } from '../snapshot-spec';
import type { DynamicsParams, InitialStates, PrimalDualFrames } from '../types';
import { firstNonFinite, type DiagFrame } from './run-gpu';

/** The same cap the snapshot spec accepts for a CPU-fallback snapshot. */
export const CPU_MAX_TRAJECTORIES = CPU_PAGE_MAX_TRAJECTORIES;

/** The first `count` trajectories of `init`. */
export function firstTrajectories(init: InitialStates, n: number, m: number, count: number): InitialStates {
  const c = Math.min(count, init.count);
  return { count: c, e: init.e.slice(0, c * n), l: init.l.slice(0, c * m), vx: init.vx.slice(0, c * n), vl: init.vl.slice(0, c * m) };
}

export class CpuPdRun {
  readonly steps: number[];
  readonly times: Float64Array;
  private ref: PrimalDualReference;
  private nextSlot = 0;
  private pending: DiagFrame[] = [];
  /** Every recorded frame so far (slots below nextSlot filled). */
  private readonly hist: PrimalDualFrames<Float64Array>;
  halted = false;
  haltReason: string | null = null;

  constructor(
    readonly prob: PrimalDualProblem,
    readonly params: DynamicsParams,
    init: InitialStates,
    record: number,
  ) {
    this.ref = new PrimalDualReference(prob, params, init);
    this.steps = recordStepsLog(params.t0, params.T, this.ref.K, record);
    this.times = Float64Array.from(this.steps, (k) => gridTime(params, this.ref, k));
    const { count } = this.ref;
    const { n, m } = prob;
    this.hist = allocFrames((len) => new Float64Array(len), count, n, m, this.steps, this.times);
  }

  get alpha(): number {
    return this.params.alpha;
  }
  get theta(): number {
    return this.params.theta;
  }
  get count(): number {
    return this.ref.count;
  }
  get k(): number {
    return this.ref.k;
  }
  get t(): number {
    return this.ref.t;
  }
  get K(): number {
    return this.ref.K;
  }
  get done(): boolean {
    return this.ref.done;
  }
  get filled(): number {
    return this.nextSlot;
  }
  /** Live state (error coordinates). */
  get e(): Float64Array {
    return this.ref.e;
  }
  get l(): Float64Array {
    return this.ref.l;
  }

  /** Up to `steps` steps, stopping early after `budgetMs`; records the frames that are due. */
  advance(steps: number, budgetMs = Infinity): number {
    const start = performance.now();
    let n = 0;
    this.record();
    while (n < steps && !this.ref.done && !this.halted) {
      this.ref.step();
      n++;
      this.record();
      if ((n & 15) === 0 && performance.now() - start > budgetMs) break;
    }
    return n;
  }

  /** Frames recorded since the last call. */
  take(): DiagFrame[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private record(): void {
    const { ref, prob } = this;
    const { n, m } = prob;
    const count = ref.count;
    while (this.nextSlot < this.steps.length && this.steps[this.nextSlot] === ref.k) {
      const j = this.nextSlot++;
      const t = this.times[j];
      const f: DiagFrame = {
        slot: j,
        k: ref.k,
        t,
        count,
        m,
        energy: new Float64Array(count),
        gap: new Float64Array(count),
        feasibility: new Float64Array(count),
        objective: new Float64Array(count),
        defect: new Float64Array(count),
        Q: new Float64Array(count * m),
      };
      const Q = f.Q as Float64Array;
      for (let i = 0; i < count; i++) {
        const d = ref.diag(i, t, Q.subarray(i * m, (i + 1) * m));
        (f.energy as Float64Array)[i] = d.energy;
        (f.gap as Float64Array)[i] = d.gap;
        (f.feasibility as Float64Array)[i] = d.feasibility;
        (f.objective as Float64Array)[i] = d.objective;
        (f.defect as Float64Array)[i] = d.energy - ref.E0[i] - ref.integral[i];
        const at = j * count + i;
        for (const key of ['energy', 'gap', 'feasibility', 'objective', 'defect'] as const) this.hist[key][at] = (f[key] as Float64Array)[i];
        for (let q = 0; q < n; q++) this.hist.x[at * n + q] = prob.kkt.x[q] + ref.e[i * n + q];
        for (let q = 0; q < m; q++) this.hist.lambda[at * m + q] = prob.kkt.lambda[q] + ref.l[i * m + q];
      }
      this.hist.Q.set(Q, j * count * m);
      this.pending.push(f);
      const bad = firstNonFinite(f.energy);
      if (bad >= 0) {
        this.halted = true;
        this.haltReason = `trajectory ${bad} became non-finite by t = ${t.toPrecision(4)} (α = ${this.alpha}); paused this run`;
      }
    }
  }

  /** The frames recorded so far, all trajectories (copies). */
  history(): PrimalDualFrames<Float64Array> {
    const F = this.nextSlot;
    const c = this.count;
    const { n, m } = this.prob;
    const h = this.hist;
    return {
      count: c,
      n,
      m,
      steps: h.steps.slice(0, F),
      t: h.t.slice(0, F),
      x: h.x.slice(0, F * c * n),
      lambda: h.lambda.slice(0, F * c * m),
      energy: h.energy.slice(0, F * c),
      gap: h.gap.slice(0, F * c),
      feasibility: h.feasibility.slice(0, F * c),
      objective: h.objective.slice(0, F * c),
      defect: h.defect.slice(0, F * c),
      Q: h.Q.slice(0, F * c * m),
    };
  }

  /** Continue at grid step `step` by replaying from t0 (exact: the reference is deterministic). */
  restoreTo(step: number): void {
    while (this.ref.k < step && !this.ref.done && !this.halted) {
      this.ref.step();
      this.record();
    }
  }
}
