// One alpha's run on the GPU as the page drives it. The steps of a frame are encoded into the
// page's command encoder, split at the recorded steps (recordStepsLog of the config's `record`):
// at each one the diagnostics buffer (all trajectories) and the state of the first `keep`
// trajectories are copied into slot j of GPU-resident histories. Newly filled diagnostics slots
// are read back through a ReadbackPool with one read in flight (refused: they wait for a later
// frame), so the charts get every recorded frame exactly once whatever the speed. The frame loop
// never awaits: reads are started after the caller's submit (submitted()) and consumed by their
// promises. Snapshots (not the frame loop) await the whole history.
//
// Blow-up: a diagnostics frame with a non-finite entry, or a failed simulation.checkFinite()
// (every `checkEvery` frames), halts the run (no more steps) with a reason naming the trajectory.

import type { GpuContext } from '../../../gpu/device';
import { ReadbackPool } from '../../../gpu/readback';
import { GpuResources } from '../../../gpu/resources';
import { BufferUsage } from '../../../gpu/usage';
import { recordStepsLog, gridTime, type PrimalDualProblem } from '../reference';
import { PrimalDualSimulation } from '../simulation';
import type { DynamicsParams, InitialStates } from '../types';

const HISTORY_USAGE = BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
const READ_BUDGET = 1 << 20;

/** Diagnostics of all trajectories at one recorded frame (f32 from the GPU, f64 from the CPU). */
export interface DiagFrame {
  slot: number;
  k: number;
  t: number;
  count: number;
  m: number;
  energy: ArrayLike<number>;
  gap: ArrayLike<number>;
  feasibility: ArrayLike<number>;
  objective: ArrayLike<number>;
  defect: ArrayLike<number>;
  /** count x m */
  Q: ArrayLike<number>;
}

export interface RunEvents {
  frames(f: DiagFrame[]): void;
  halted(reason: string): void;
}

/** Recorded history for a snapshot: `frames` slots, states of the first `keep` trajectories. */
export interface RunHistory {
  frames: number;
  keep: number;
  t: Float64Array;
  steps: number[];
  /** frames x keep x n / m (absolute x, lambda) */
  x: Float32Array | Float64Array;
  lambda: Float32Array | Float64Array;
  /** frames x count */
  energy: Float32Array | Float64Array;
  gap: Float32Array | Float64Array;
  feasibility: Float32Array | Float64Array;
  objective: Float32Array | Float64Array;
  defect: Float32Array | Float64Array;
}

export function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

export class GpuPdRun {
  readonly steps: number[];
  readonly times: Float64Array;
  private readonly pool: ReadbackPool;
  private readonly res: GpuResources;
  private readonly diagHist: GPUBuffer;
  private readonly stateHist: GPUBuffer;
  private readonly diagBytes: number;
  private readonly stateBytes: number;
  private readonly readSlots: number;
  /** First slot not copied / not requested yet. */
  private nextSlot = 0;
  private readSlot = 0;
  private generation = 0;
  private pendingRead: (() => void) | null = null;
  private frameCount = 0;
  private checking = false;
  private disposed = false;
  halted = false;
  readonly checkEvery = 20;

  private constructor(
    readonly gpu: GpuContext,
    readonly sim: PrimalDualSimulation,
    readonly alpha: number,
    readonly theta: number,
    readonly keep: number,
    record: number,
    private readonly events: RunEvents,
  ) {
    this.steps = recordStepsLog(sim.params.t0, sim.params.T, sim.K, record);
    this.times = Float64Array.from(this.steps, (k) => gridTime(sim.params, sim, k));
    this.pool = new ReadbackPool(gpu.device, 'PrimalDualView.diagReadback', 1);
    this.res = new GpuResources(gpu.device, 'PrimalDualView');
    this.diagBytes = 4 * sim.count * sim.diagStride;
    this.stateBytes = 4 * keep * sim.stateStride;
    this.diagHist = this.res.buffer('diagHistory', this.steps.length * this.diagBytes, HISTORY_USAGE);
    this.stateHist = this.res.buffer('stateHistory', this.steps.length * this.stateBytes, HISTORY_USAGE);
    this.readSlots = Math.max(1, Math.min(this.steps.length, Math.floor(READ_BUDGET / this.diagBytes)));
  }

  static async create(
    gpu: GpuContext,
    prob: PrimalDualProblem,
    params: DynamicsParams,
    init: InitialStates,
    record: number,
    keep: number,
    events: RunEvents,
  ): Promise<GpuPdRun> {
    const sim = await PrimalDualSimulation.create(gpu, prob, params, init);
    try {
      return new GpuPdRun(gpu, sim, params.alpha, params.theta, Math.min(keep, sim.count), record, events);
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  get count(): number {
    return this.sim.count;
  }
  get k(): number {
    return this.sim.k;
  }
  get t(): number {
    return this.sim.t;
  }
  get K(): number {
    return this.sim.K;
  }
  get done(): boolean {
    return this.sim.done;
  }
  /** Recorded slots filled so far. */
  get filled(): number {
    return this.nextSlot;
  }

  /**
   * Encodes up to `steps` steps split at the recorded steps (0: only records a frame that is
   * due), and a read of newly filled diagnostics slots. Call submitted() after the submit.
   */
  encode(encoder: GPUCommandEncoder, steps: number, timestampWrites?: (name: string) => GPUComputePassTimestampWrites | undefined): number {
    const { sim } = this;
    let todo = this.halted ? 0 : Math.max(0, Math.floor(steps));
    let n = 0;
    for (;;) {
      while (this.nextSlot < this.steps.length && this.steps[this.nextSlot] === sim.k) {
        const j = this.nextSlot++;
        encoder.copyBufferToBuffer(sim.diagnostics, 0, this.diagHist, j * this.diagBytes, this.diagBytes);
        encoder.copyBufferToBuffer(sim.state, 0, this.stateHist, j * this.stateBytes, this.stateBytes);
      }
      if (todo <= 0 || sim.done) break;
      const target = this.nextSlot < this.steps.length ? this.steps[this.nextSlot] : sim.K;
      const did = sim.encodeSteps(encoder, Math.min(todo, Math.max(1, target - sim.k)), timestampWrites);
      if (did === 0) break;
      n += did;
      todo -= did;
    }
    this.pendingRead = this.requestHistory(encoder);
    if (n > 0) this.frameCount++;
    return n;
  }

  /** Right after queue.submit of the encoder given to encode(). */
  submitted(): void {
    this.pool.submitted();
    const start = this.pendingRead;
    this.pendingRead = null;
    start?.();
    if (this.frameCount > 0 && (this.frameCount % this.checkEvery === 0 || this.sim.done)) this.check();
  }

  private requestHistory(encoder: GPUCommandEncoder): (() => void) | null {
    const from = this.readSlot;
    const want = Math.min(this.nextSlot - from, this.readSlots);
    if (want <= 0) return null;
    const pending = this.pool.request(encoder, this.diagHist, from * this.diagBytes, want * this.diagBytes);
    if (!pending) return null;
    this.readSlot = from + want;
    const generation = this.generation;
    const { count, m, diagStride: S } = this.sim;
    return () => {
      pending
        .then((bytes) => {
          if (this.disposed || generation !== this.generation) return;
          const out: DiagFrame[] = [];
          for (let j = 0; j < want; j++) {
            const raw = new Float32Array(bytes, j * this.diagBytes, count * S);
            out.push(unpackDiag(raw, count, m, from + j, this.steps[from + j], this.times[from + j]));
          }
          this.events.frames(out);
          for (const f of out) {
            const bad = firstNonFinite(f.energy);
            if (bad >= 0) {
              this.halt(`trajectory ${bad} became non-finite by t = ${f.t.toPrecision(4)} (α = ${this.alpha})`);
              break;
            }
          }
        })
        .catch(() => undefined);
    };
  }

  private check(): void {
    if (this.checking || this.halted || this.disposed) return;
    this.checking = true;
    const t = this.sim.t;
    this.sim
      .checkFinite()
      .then((r) => {
        if (!r.ok && !this.disposed) this.halt(`trajectory ${r.firstBad ?? '?'} became non-finite by t = ${t.toPrecision(4)} (α = ${this.alpha})`);
      })
      .catch(() => undefined)
      .finally(() => {
        this.checking = false;
      });
  }

  private halt(reason: string): void {
    if (this.halted) return;
    this.halted = true;
    this.events.halted(`${reason}; paused this run (try a smaller h or the rotation integrator)`);
  }

  /** The current state (whole buffer) for a resume. */
  async readRaw(): Promise<{ step: number; raw: Float32Array }> {
    const s = await this.sim.readState();
    return { step: s.step, raw: s.raw };
  }

  /** Continue from a saved state: the history restarts at its step. */
  restore(state: { step: number; raw: Float32Array }): void {
    this.sim.restoreState(state);
    this.generation++;
    let j = 0;
    while (j < this.steps.length && this.steps[j] < state.step) j++;
    this.nextSlot = this.readSlot = j;
    this.halted = false;
  }

  /** Everything recorded so far (awaits readbacks: export only). */
  async history(): Promise<RunHistory> {
    const F = this.nextSlot;
    const { count, n, m, diagStride, stateStride, prob } = this.sim;
    const keep = this.keep;
    const [db, sb] =
      F === 0
        ? [new ArrayBuffer(0), new ArrayBuffer(0)]
        : await Promise.all([this.pool.read(this.diagHist, 0, F * this.diagBytes), this.pool.read(this.stateHist, 0, F * this.stateBytes)]);
    const diag = new Float32Array(db);
    const st = new Float32Array(sb);
    const h: RunHistory = {
      frames: F,
      keep,
      t: this.times.slice(0, F),
      steps: this.steps.slice(0, F),
      x: new Float32Array(F * keep * n),
      lambda: new Float32Array(F * keep * m),
      energy: new Float32Array(F * count),
      gap: new Float32Array(F * count),
      feasibility: new Float32Array(F * count),
      objective: new Float32Array(F * count),
      defect: new Float32Array(F * count),
    };
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < count; i++) {
        const b = (f * count + i) * diagStride;
        const at = f * count + i;
        h.energy[at] = diag[b];
        h.gap[at] = diag[b + 1];
        h.feasibility[at] = diag[b + 2];
        h.objective[at] = diag[b + 3];
        h.defect[at] = diag[b + 4];
      }
      for (let i = 0; i < keep; i++) {
        const b = (f * keep + i) * stateStride;
        for (let j = 0; j < n; j++) h.x[(f * keep + i) * n + j] = prob.kkt.x[j] + st[b + j];
        for (let j = 0; j < m; j++) h.lambda[(f * keep + i) * m + j] = prob.kkt.lambda[j] + st[b + n + j];
      }
    }
    return h;
  }

  dispose(): void {
    this.disposed = true;
    this.pool.dispose();
    this.res.dispose();
    this.sim.dispose();
  }
}

function unpackDiag(raw: Float32Array, count: number, m: number, slot: number, k: number, t: number): DiagFrame {
  const S = 5 + m;
  const pick = (j: number) => Float32Array.from({ length: count }, (_, i) => raw[i * S + j]);
  const Q = new Float32Array(count * m);
  for (let i = 0; i < count; i++) Q.set(raw.subarray(i * S + 5, i * S + 5 + m), i * m);
  return { slot, k, t, count, m, energy: pick(0), gap: pick(1), feasibility: pick(2), objective: pick(3), defect: pick(4), Q };
}
