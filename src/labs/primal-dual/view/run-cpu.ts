// The page's run on the CPU: one float64 PrimalDualReference per batch (compare mode, batches.ts;
// one without it), all from the same initial states, stepped in lockstep synchronously in the
// frame (within a time budget), recording every trajectory's state, diagnostics and Q in float64
// host arrays (batch-major, as runPrimalDualReference) at the same recorded steps as the GPU run
// (the CLI's schedule), computed exactly as runPrimalDualReference computes its frames, so a page
// export equals `flowlab run` on the CPU. Two uses: the no-WebGPU fallback (fewer trajectories),
// and the float64 "shadow" of trajectory 0 of batch 0 next to a GPU run, whose difference from the
// f32 GPU values is the measured float32 noise shown on the charts.

import { trajectoryName } from '../batches';
import { PrimalDualReference, allocFrames, batchFrames, gridTime, recordStepsLog, type PrimalDualProblem } from '../reference';
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

const DIAG_KEYS = ['energy', 'gap', 'feasibility', 'objective', 'defect'] as const;

export class CpuPdRun {
  readonly steps: number[];
  readonly times: Float64Array;
  private readonly refs: PrimalDualReference[];
  private nextSlot = 0;
  private pending: DiagFrame[] = [];
  /** Every recorded frame so far (slots below nextSlot filled), batch-major. */
  private readonly hist: PrimalDualFrames<Float64Array>;
  halted = false;
  haltReason: string | null = null;

  constructor(
    readonly prob: PrimalDualProblem,
    /** One entry per batch (compare mode). */
    readonly batchParams: readonly DynamicsParams[],
    init: InitialStates,
    record: number,
    /** The compared key (null without compare mode), for naming a batch. */
    readonly compareKey: string | null = null,
  ) {
    this.refs = batchParams.map((p) => new PrimalDualReference(prob, p, init));
    const ref = this.refs[0];
    this.steps = recordStepsLog(batchParams[0].t0, batchParams[0].T, ref.K, record);
    this.times = Float64Array.from(this.steps, (k) => gridTime(batchParams[0], ref, k));
    this.hist = allocFrames((len) => new Float64Array(len), ref.count, prob.n, prob.m, this.steps, this.times, this.refs.length);
  }

  get params(): DynamicsParams {
    return this.batchParams[0];
  }
  get batches(): number {
    return this.refs.length;
  }
  /** Trajectories per batch. */
  get count(): number {
    return this.refs[0].count;
  }
  get k(): number {
    return this.refs[0].k;
  }
  get t(): number {
    return this.refs[0].t;
  }
  get K(): number {
    return this.refs[0].K;
  }
  get done(): boolean {
    return this.refs[0].done;
  }
  get filled(): number {
    return this.nextSlot;
  }
  /** Live state of batch 0 (error coordinates): the picture. */
  get e(): Float64Array {
    return this.refs[0].e;
  }
  get l(): Float64Array {
    return this.refs[0].l;
  }

  /** Up to `steps` steps of every batch, stopping early after `budgetMs`; records the frames that are due. */
  advance(steps: number, budgetMs = Infinity): number {
    const start = performance.now();
    let n = 0;
    this.record();
    while (n < steps && !this.done && !this.halted) {
      try {
        for (const r of this.refs) r.step();
      } catch (e) {
        this.halted = true;
        this.haltReason = `${(e as Error).message}; paused this run`;
        break;
      }
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
    const { prob, refs } = this;
    const { n, m } = prob;
    const count = this.count;
    const B = refs.length;
    while (this.nextSlot < this.steps.length && this.steps[this.nextSlot] === this.k) {
      const j = this.nextSlot++;
      const t = this.times[j];
      const all = B * count;
      const f: DiagFrame = {
        slot: j,
        k: this.k,
        t,
        batches: B,
        count,
        m,
        energy: new Float64Array(all),
        gap: new Float64Array(all),
        feasibility: new Float64Array(all),
        objective: new Float64Array(all),
        defect: new Float64Array(all),
        Q: new Float64Array(all * m),
      };
      const Q = f.Q as Float64Array;
      refs.forEach((ref, b) => {
        const h = batchFrames(this.hist, b);
        for (let i = 0; i < count; i++) {
          const g = b * count + i;
          const d = ref.diag(i, t, Q.subarray(g * m, (g + 1) * m));
          const at = j * count + i;
          const values = { energy: d.energy, gap: d.gap, feasibility: d.feasibility, objective: d.objective, defect: d.energy - ref.E0[i] - ref.integral[i] };
          for (const key of DIAG_KEYS) {
            (f[key] as Float64Array)[g] = values[key];
            h[key][at] = values[key];
          }
          for (let q = 0; q < n; q++) h.x[at * n + q] = prob.kkt.x[q] + ref.e[i * n + q];
          for (let q = 0; q < m; q++) h.lambda[at * m + q] = prob.kkt.lambda[q] + ref.l[i * m + q];
        }
        h.Q.set(Q.subarray(b * count * m, (b + 1) * count * m), j * count * m);
      });
      this.pending.push(f);
      const bad = firstNonFinite(f.energy);
      if (bad >= 0) {
        this.halted = true;
        this.haltReason = `${trajectoryName(bad, count, this.compareKey, this.batchParams)} became non-finite by t = ${t.toPrecision(4)}; paused this run`;
      }
    }
  }

  /** The frames recorded so far, all trajectories of every batch (copies, batch-major). */
  history(): PrimalDualFrames<Float64Array> {
    const F = this.nextSlot;
    const { n, m } = this.prob;
    const out = allocFrames((len) => new Float64Array(len), this.count, n, m, this.steps.slice(0, F), this.times.slice(0, F), this.batches);
    const widths = { x: n, lambda: m, Q: m, energy: 1, gap: 1, feasibility: 1, objective: 1, defect: 1 } as const;
    for (let b = 0; b < this.batches; b++) {
      const from = batchFrames(this.hist, b);
      const to = batchFrames(out, b);
      for (const key of Object.keys(widths) as (keyof typeof widths)[]) to[key].set(from[key].subarray(0, F * this.count * widths[key]));
    }
    return out;
  }

  /** Continue at grid step `step` by replaying from t0 (exact: the reference is deterministic). */
  restoreTo(step: number): void {
    while (this.k < step && !this.done && !this.halted) {
      for (const r of this.refs) r.step();
      this.record();
    }
  }
}
