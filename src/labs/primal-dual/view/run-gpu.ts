// The page's run on the GPU: every batch of the config (compare mode, batches.ts) in one
// PrimalDualSimulation, so all compared values advance in the same dispatches. The steps of a
// frame are encoded into the page's command encoder, split at the recorded steps (recordStepsLog
// of the config's `record`, the CLI's schedule): at each one the diagnostics buffer and the whole
// state buffer are copied into slot j of GPU-resident trajectory buffers, for every trajectory of
// every batch. Nothing of the states is read back until an export: history()
// then reads the slots filled so far (in chunks) and unpacks them with writeFrame, the same
// unpacking runPrimalDualOnGpu (the CLI) uses, so the export's frames are the CLI's.
// Newly filled diagnostics slots are read back for the charts through a ReadbackPool with one read
// in flight (refused: they wait for a later frame), so the charts get every recorded frame exactly
// once whatever the speed. The frame loop never awaits: reads are started after the caller's
// submit (submitted()) and consumed by their promises.
//
// Blow-up: a diagnostics frame with a non-finite entry, or a failed simulation.checkFinite()
// (every `checkEvery` frames), halts the run (no more steps) with a reason naming the trajectory
// and, in compare mode, its batch and the batch's value of the compared key.

import type { GpuContext } from '../../../gpu/device';
import { ReadbackPool } from '../../../gpu/readback';
import { GpuResources } from '../../../gpu/resources';
import { BufferUsage } from '../../../gpu/usage';
import { GpuLimitError } from '../../../gpu/limits';
import { trajectoryName } from '../batches';
import { allocFrames, batchFrames, recordStepsLog, gridTime, type PrimalDualProblem } from '../reference';
import { PrimalDualSimulation, writeFrame } from '../simulation';
import type { DynamicsParams, InitialStates, PrimalDualFrames } from '../types';

const HISTORY_USAGE = BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
const READ_BUDGET = 1 << 20;
/** Bytes of trajectory buffer read back at once by an export (one staging buffer of this size). */
const EXPORT_CHUNK = 64 << 20;

/**
 * Diagnostics of all trajectories at one recorded frame (f32 from the GPU, f64 from the CPU):
 * `batches` x `count` trajectories, batch b at [b count, (b + 1) count) of every array.
 */
export interface DiagFrame {
  slot: number;
  k: number;
  t: number;
  batches: number;
  /** Trajectories per batch. */
  count: number;
  m: number;
  energy: ArrayLike<number>;
  gap: ArrayLike<number>;
  feasibility: ArrayLike<number>;
  objective: ArrayLike<number>;
  defect: ArrayLike<number>;
  /** (batches x count) x m */
  Q: ArrayLike<number>;
}

export interface RunEvents {
  frames(f: DiagFrame[]): void;
  halted(reason: string): void;
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
  /**
   * Slots before a restore (json import, device loss) that this run's buffers never held: their
   * frames come from the imported snapshot (`frames`), or are NaN (a device loss lost them).
   */
  private before: { slots: number; frames: PrimalDualFrames | null } = { slots: 0, frames: null };
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
    /** The compared key (null without compare mode), for naming a batch. */
    readonly compareKey: string | null,
    record: number,
    private readonly events: RunEvents,
  ) {
    this.steps = recordStepsLog(sim.params.t0, sim.params.T, sim.K, record);
    this.times = Float64Array.from(this.steps, (k) => gridTime(sim.params, sim, k));
    this.diagBytes = 4 * sim.count * sim.diagStride;
    this.stateBytes = 4 * sim.count * sim.stateStride;
    const F = this.steps.length;
    const maxBytes = gpu.device.limits.maxBufferSize;
    const slotBytes = Math.max(this.diagBytes, this.stateBytes);
    // Checked before anything is created (create() disposes only the simulation on a throw).
    if (F * slotBytes > maxBytes) {
      throw new GpuLimitError('record', F, Math.floor(maxBytes / slotBytes), `a trajectory buffer of ${slotBytes} bytes per recorded frame, buffer limit ${maxBytes} bytes`);
    }
    this.pool = new ReadbackPool(gpu.device, 'PrimalDualView.diagReadback', 1);
    this.res = new GpuResources(gpu.device, 'PrimalDualView');
    this.diagHist = this.res.buffer('diagHistory', F * this.diagBytes, HISTORY_USAGE);
    this.stateHist = this.res.buffer('stateHistory', F * this.stateBytes, HISTORY_USAGE);
    this.readSlots = Math.max(1, Math.min(this.steps.length, Math.floor(READ_BUDGET / this.diagBytes)));
  }

  /** One batched run of `batches` (compare mode; one entry without it), each from `init`. */
  static async create(
    gpu: GpuContext,
    prob: PrimalDualProblem,
    batches: readonly DynamicsParams[],
    compareKey: string | null,
    init: InitialStates,
    record: number,
    events: RunEvents,
  ): Promise<GpuPdRun> {
    const sim = await PrimalDualSimulation.create(gpu, prob, batches, init);
    try {
      return new GpuPdRun(gpu, sim, compareKey, record, events);
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  /** Trajectories per batch. */
  get count(): number {
    return this.sim.perBatch;
  }
  get batches(): number {
    return this.sim.batches;
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
    const { count, perBatch, batches, m, diagStride: S } = this.sim;
    return () => {
      pending
        .then((bytes) => {
          if (this.disposed || generation !== this.generation) return;
          const out: DiagFrame[] = [];
          for (let j = 0; j < want; j++) {
            const raw = new Float32Array(bytes, j * this.diagBytes, count * S);
            out.push(unpackDiag(raw, batches, perBatch, m, from + j, this.steps[from + j], this.times[from + j]));
          }
          this.events.frames(out);
          for (const f of out) {
            const bad = firstNonFinite(f.energy);
            if (bad >= 0) {
              this.halt(`${this.name(bad)} became non-finite by t = ${f.t.toPrecision(4)}`);
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
        if (!r.ok && !this.disposed) this.halt(`${r.firstBad === undefined ? 'a trajectory' : this.name(r.firstBad)} became non-finite by t = ${t.toPrecision(4)}`);
      })
      .catch(() => undefined)
      .finally(() => {
        this.checking = false;
      });
  }

  /** "trajectory 3", or "trajectory 3 of batch 1 (alpha = 4)" in compare mode. */
  private name(index: number): string {
    return trajectoryName(index, this.sim.perBatch, this.compareKey, this.sim.batchParams);
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

  /**
   * Continue from a saved state: the history restarts at its step. `recorded`: the frames before
   * it, from the snapshot being imported (null after a device loss: those frames are gone).
   */
  restore(state: { step: number; raw: Float32Array }, recorded: PrimalDualFrames | null = null): void {
    this.sim.restoreState(state);
    this.generation++;
    let j = 0;
    while (j < this.steps.length && this.steps[j] < state.step) j++;
    this.nextSlot = this.readSlot = j;
    const fits = recorded && recorded.count === this.count && recorded.batches === this.batches && recorded.t.length >= j;
    this.before = { slots: j, frames: fits ? recorded : null };
    this.halted = false;
  }

  /** Frames before the last restore: copied from the imported snapshot (batch by batch), or NaN. */
  private writeBefore(out: PrimalDualFrames<Float32Array>, F: number): void {
    const slots = Math.min(this.before.slots, F);
    const src = this.before.frames;
    const { count, n, m } = out;
    const widths = { x: n, lambda: m, Q: m, energy: 1, gap: 1, feasibility: 1, objective: 1, defect: 1 } as const;
    for (let b = 0; b < out.batches; b++) {
      const to = batchFrames(out, b);
      const from = src ? batchFrames(src, b) : null;
      for (const key of Object.keys(widths) as (keyof typeof widths)[]) {
        const len = slots * count * widths[key];
        if (from) to[key].set(from[key].subarray(0, len));
        else to[key].fill(NaN, 0, len);
      }
    }
  }

  /**
   * Every frame recorded so far, all trajectories of every batch, as runPrimalDualOnGpu returns
   * them (batch-major; awaits readbacks: export only).
   */
  async history(): Promise<PrimalDualFrames<Float32Array>> {
    const F = this.nextSlot;
    const { perBatch, batches, n, m, prob } = this.sim;
    const out = allocFrames((len) => new Float32Array(len), perBatch, n, m, this.steps.slice(0, F), this.times.slice(0, F), batches);
    // A pool of its own: the charts' reads keep going, and its staging buffers go with it.
    const pool = new ReadbackPool(this.gpu.device, 'PrimalDualView.exportReadback', 2);
    this.writeBefore(out, F);
    try {
      const chunk = Math.max(1, Math.floor(EXPORT_CHUNK / (this.stateBytes + this.diagBytes)));
      for (let from = Math.min(this.before.slots, F); from < F; from += chunk) {
        const k = Math.min(chunk, F - from);
        const [sb, db] = await Promise.all([
          pool.read(this.stateHist, from * this.stateBytes, k * this.stateBytes),
          pool.read(this.diagHist, from * this.diagBytes, k * this.diagBytes),
        ]);
        for (let j = 0; j < k; j++) {
          const state = new Float32Array(sb, j * this.stateBytes, this.stateBytes / 4);
          const diag = new Float32Array(db, j * this.diagBytes, this.diagBytes / 4);
          writeFrame(prob, out, from + j, state, diag);
        }
      }
    } finally {
      pool.dispose();
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
    this.pool.dispose();
    this.res.dispose();
    this.sim.dispose();
  }
}

function unpackDiag(raw: Float32Array, batches: number, perBatch: number, m: number, slot: number, k: number, t: number): DiagFrame {
  const S = 5 + m;
  const all = batches * perBatch;
  const pick = (j: number) => Float32Array.from({ length: all }, (_, i) => raw[i * S + j]);
  const Q = new Float32Array(all * m);
  for (let i = 0; i < all; i++) Q.set(raw.subarray(i * S + 5, i * S + 5 + m), i * m);
  return { slot, k, t, batches, count: perBatch, m, energy: pick(0), gap: pick(1), feasibility: pick(2), objective: pick(3), defect: pick(4), Q };
}
