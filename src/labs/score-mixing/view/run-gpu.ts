// A run on the GPU as the page drives it. Each frame encodes, into ONE command encoder: the
// simulation steps, the projection for the renderer, and the distance chart's samples. The steps
// are split at the scheduled sample steps (view/sample-schedule.ts); at each one the first
// `sampleCount` particles (contiguous) are copied into slot j of a GPU-resident history buffer,
// so the chart gets every scheduled sample exactly once whatever the speed or frame rate. The
// newly filled slots are read back asynchronously through a ReadbackPool with one read in
// flight; when it is busy they simply wait for a later frame (a failed read is retried). The
// sample of a state the host holds — step 0's initial particles, a restored state — goes to the
// chart in the next frame without a readback. Nothing is awaited: readbacks and
// finiteness checks are started here and consumed when their promises resolve. With a
// GpuProfiler the step and projection passes are timed ('generate', 'project').
//
// Blow-up handling: a finiteness check (simulation.checkFinite) runs every `checkEvery` frames;
// a full state readback every `saveEvery` frames, and once whenever the run stops advancing, becomes
// the "last good state" once it is seen to be finite (a device loss continues from it). A failed check halts the run with a reason naming the particle and t, and puts the
// last good state back, so what the user sees is the last finite picture. A restore (halt,
// snapshot, device restore) restarts the history at the restored step: slots after it are
// refilled as the run gets there, and reads in flight from before are dropped.
//
// The export's trajectory stays on the GPU: a buffer of (record, count, d) f32 frame slots (split
// into several buffers when it exceeds maxBufferSize) and a lead frame. The frame's steps are split
// at the config's record steps too, and at each the particle buffer is copied into that step's slot,
// in the same encoder. Nothing is read back until recordedFrames() (the export), which reads the
// filled slots and the current state in one submission. view/trajectory.ts says which slots are
// valid after a halt (rewound: earlier slots stay), a restore (the snapshot's frames are written
// back into their slots when they are this config's recorded prefix) or a live lambda change (the
// trajectory starts over at the current step). A device loss loses the slots with the device: the
// run that continues from the last good state starts its trajectory there.
//
// Compare mode (config.compare): the simulation holds B batches of N particles one after another
// (one lambda each, stepped by the same dispatches), so a frame slot, the lead frame and every
// state are (B, N, d) and the trajectory (frames, B, N, d); a history slot holds the first
// sampleCount particles of every batch, (B, sampleCount, d), copied batch by batch. The projector
// projects all B N particles; the scene colours them per batch.

import type { GpuContext } from '../../../gpu/device';
import type { GpuProfiler } from '../../../gpu/profiler';
import { ReadbackPool } from '../../../gpu/readback';
import { GpuResources } from '../../../gpu/resources';
import { BufferUsage } from '../../../gpu/usage';
import { ScoreMixingSimulation } from '../simulation';
import type { SamplerOptions } from '../reference';
import type { ParticleState } from '../types';
import { ParticleProjector } from '../../shared/view/particle-projector';
import type { RecordedFrames, TrajectoryFrames } from './run-cpu';
import { planStops, SampleSchedule, SAMPLE_PARTICLES } from './sample-schedule';
import { TrajectoryLog } from './trajectory';

const HISTORY_USAGE = BufferUsage.COPY_DST | BufferUsage.COPY_SRC;
/** Bytes per history read at most (d = 2: the whole 96-slot history is ~0.4 MB). */
const READ_BUDGET = 1 << 20;

export interface SampleResult {
  k: number;
  t: number;
  d: number;
  /** The first sampled particles of each batch, (batches, sampleCount, d). */
  batches: number;
  points: Float32Array;
}

export interface GpuRunEvents {
  /** Newly read history samples, in step order; each scheduled sample arrives once per run. */
  samples(s: SampleResult[]): void;
  halted(reason: string): void;
}

function allFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}

export class GpuRun {
  private readonly samples: ReadbackPool;
  private lastGood: ParticleState;
  private checking = false;
  private saving = false;
  private frames = 0;
  private disposed = false;
  /** Owns the sample history buffer (destroyed in dispose). */
  private readonly res: GpuResources;
  /** Slot j holds every batch's sample prefix at grid step schedule.steps[j]. */
  private readonly history: GPUBuffer;
  readonly schedule: SampleSchedule;
  private readonly slotBytes: number;
  /** Slots per history read at most. */
  private readonly readSlots: number;
  /** First slot not copied yet / not requested yet / not delivered yet (delivered <= readSlot <= nextSlot). */
  private nextSlot = 0;
  private readSlot = 0;
  private delivered = 0;
  /** Bumped by every restore: reads started before it are dropped. */
  private generation = 0;
  /**
   * The scheduled sample of a state the host already holds (the initial particles, a restored
   * state): the next frame hands it to the chart itself, with no GPU round trip to wait for, so
   * the chart shows it right after a reset or restore however slow the GPU queue is.
   */
  private hostSample: SampleResult | null = null;
  /** Which recorded frames the trajectory buffers hold. */
  readonly trajectory: TrajectoryLog;
  /** Slot j of the record schedule lives in trajectoryChunks[floor(j / slotsPerChunk)]. */
  private readonly trajectoryChunks: GPUBuffer[] = [];
  private readonly slotsPerChunk: number;
  /** The lead frame (trajectory.leadStep). */
  private readonly leadFrame: GPUBuffer;
  /** Bytes of one frame: count*d f32 (the particle buffer may be padded past it). */
  private readonly frameBytes: number;
  /** Set after a restore: the next projection refills every trail slot. */
  needFill = true;
  halted = false;
  readonly checkEvery = 15;
  readonly saveEvery = 60;

  private constructor(
    readonly gpu: GpuContext,
    readonly sim: ScoreMixingSimulation,
    readonly projector: ParticleProjector,
    readonly sampleCount: number,
    x0: ParticleState,
    private readonly events: GpuRunEvents,
    record: number,
  ) {
    // One read in flight: a busy pool just leaves the new slots for a later frame.
    this.samples = new ReadbackPool(gpu.device, 'ScoreMixingView.sampleReadback', 1);
    this.lastGood = x0;
    this.schedule = new SampleSchedule(sim.steps);
    this.slotBytes = sim.batches * sampleCount * sim.d * 4;
    this.readSlots = Math.max(1, Math.min(this.schedule.size, Math.floor(READ_BUDGET / this.slotBytes)));
    this.res = new GpuResources(gpu.device, 'ScoreMixingView');
    this.history = this.res.buffer('sampleHistory', this.schedule.size * this.slotBytes, HISTORY_USAGE);
    this.hostSample = this.sampleOf(x0);
    this.trajectory = new TrajectoryLog(sim.steps, record, sim.grid);
    this.frameBytes = 4 * sim.count * sim.d;
    // A frame always fits one buffer (the particle buffer is at least as large).
    this.slotsPerChunk = Math.max(1, Math.floor(gpu.device.limits.maxBufferSize / this.frameBytes));
    for (let j = 0; j < this.trajectory.size; j += this.slotsPerChunk) {
      const slots = Math.min(this.slotsPerChunk, this.trajectory.size - j);
      this.trajectoryChunks.push(this.res.buffer(`trajectory${this.trajectoryChunks.length}`, slots * this.frameBytes, HISTORY_USAGE));
    }
    this.leadFrame = this.res.buffer('trajectoryLead', this.frameBytes, HISTORY_USAGE);
  }

  /** Where slot j of the trajectory lives. */
  private slotAt(j: number): { buffer: GPUBuffer; offset: number } {
    return { buffer: this.trajectoryChunks[Math.floor(j / this.slotsPerChunk)], offset: (j % this.slotsPerChunk) * this.frameBytes };
  }

  /** Encodes the copy of the particles into the trajectory's slot j. */
  private encodeRecord(encoder: GPUCommandEncoder, j: number): void {
    const { buffer, offset } = this.slotAt(j);
    encoder.copyBufferToBuffer(this.sim.particles, 0, buffer, offset, this.frameBytes);
    this.trajectory.next = j + 1;
  }

  /** The scheduled sample of a host-side state (each batch's first sampleCount particles, as f32), or null when its step is not scheduled. */
  private sampleOf(state: ParticleState): SampleResult | null {
    const j = this.schedule.slotAtOrAfter(state.step);
    if (j >= this.schedule.size || this.schedule.steps[j] !== state.step) return null;
    const { d, batches, batchSize } = this.sim;
    const n = this.sampleCount * d;
    const points = new Float32Array(batches * n);
    for (let b = 0; b < batches; b++) points.set(state.x.subarray(b * batchSize * d, b * batchSize * d + n), b * n);
    return { k: state.step, t: this.sim.grid[state.step], d, batches, points };
  }

  /** Encodes the copy of every batch's sample prefix into history slot j. */
  private encodeSample(encoder: GPUCommandEncoder, j: number): void {
    const { d, batches, batchSize } = this.sim;
    const bytes = this.sampleCount * d * 4;
    for (let b = 0; b < batches; b++) encoder.copyBufferToBuffer(this.sim.particles, b * batchSize * d * 4, this.history, j * this.slotBytes + b * bytes, bytes);
    this.nextSlot = j + 1;
  }

  /** Delivers hostSample when its slot is the next one to take and to read (then it is never copied on the GPU). */
  private deliverHostSample(): void {
    const host = this.hostSample;
    if (!host) return;
    this.hostSample = null;
    const j = this.schedule.slotAtOrAfter(host.k);
    if (this.sim.k !== host.k || this.nextSlot !== j || this.readSlot !== j || this.delivered !== j) return;
    this.nextSlot = this.readSlot = this.delivered = j + 1;
    this.events.samples([host]);
  }

  static async create(
    gpu: GpuContext,
    opts: SamplerOptions,
    x0: Float64Array,
    trailLength: number,
    events: GpuRunEvents,
    record: number,
    lambdas: readonly number[] = [opts.lambda],
  ): Promise<GpuRun> {
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0, {}, lambdas);
    try {
      const projector = new ParticleProjector(gpu.device, sim.count, trailLength);
      // Every batch starts from x0.
      const x = new Float64Array(sim.count * sim.d);
      for (let b = 0; b < sim.batches; b++) x.set(x0, b * x0.length);
      const state: ParticleState = { step: 0, t: opts.T, d: sim.d, count: sim.count, x };
      try {
        return new GpuRun(gpu, sim, projector, Math.min(sim.batchSize, SAMPLE_PARTICLES), state, events, record);
      } catch (e) {
        projector.dispose();
        throw e;
      }
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  /**
   * Encode `steps` steps (0: just re-project), split at the scheduled sample steps with a copy of
   * the sample prefix into the history at each, and at the record steps with a copy of the
   * particles into the trajectory; request the newly filled history slots; submit. Returns steps
   * taken.
   */
  advance(steps: number, axisX: number, axisY: number, timeY: (t: number) => number, profiler?: GpuProfiler | null): number {
    const { sim, gpu } = this;
    this.deliverHostSample();
    const encoder = gpu.device.createCommandEncoder({ label: 'ScoreMixingView.frameEncoder' });
    profiler?.beginFrame();
    const timestampWrites = profiler ? (name: string) => profiler.timestampWrites(name) : undefined;
    let n = 0;
    const todo = steps > 0 && !this.halted && !sim.done ? steps : 0;
    for (const op of planStops([this.schedule, this.trajectory.schedule], [this.nextSlot, this.trajectory.next], sim.k, todo).ops) {
      if ('steps' in op) n += sim.encodeSteps(encoder, op.steps, timestampWrites);
      else if (op.of === 1) this.encodeRecord(encoder, op.sample);
      else this.encodeSample(encoder, op.sample);
    }
    if (n > 0 || this.needFill) {
      const args = { d: sim.d, axisX, axisY, timeY: timeY(sim.t), fillAll: this.needFill };
      this.projector.encode(encoder, sim.particles, args, timestampWrites?.('project'));
      this.needFill = false;
    }
    const read = this.requestHistory(encoder);
    profiler?.resolve(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    this.samples.submitted();
    profiler?.submitted();
    read?.();
    if (n > 0) {
      this.frames++;
      if (this.frames % this.checkEvery === 0 || sim.done) this.check();
      if (this.frames % this.saveEvery === 0) this.save();
    } else if (this.lastGood.step !== sim.k) {
      // Paused (or finished) past the last saved state: save it, so a device loss now redoes nothing.
      this.save();
    }
    return n;
  }

  /**
   * Encodes a read of the slots filled but not read yet (at most readSlots; the count is rounded up
   * to a power of two, reading a few stale slots, so the pool's staging buffers come in few sizes).
   * Returns what to start after the submit, or null when nothing is due or the read is busy.
   */
  private requestHistory(encoder: GPUCommandEncoder): (() => void) | null {
    const from = this.readSlot;
    const want = Math.min(this.nextSlot - from, this.readSlots);
    if (want <= 0) return null;
    const span = Math.min(2 ** Math.ceil(Math.log2(want)), this.readSlots, this.schedule.size - from);
    const pending = this.samples.request(encoder, this.history, from * this.slotBytes, span * this.slotBytes);
    if (!pending) return null;
    this.readSlot = from + want;
    const generation = this.generation;
    const { d, batches } = this.sim;
    const floats = batches * this.sampleCount * d;
    return () => {
      pending
        .then((bytes) => {
          if (this.disposed || generation !== this.generation) return;
          const out: SampleResult[] = [];
          let bad = false;
          for (let i = 0; i < want; i++) {
            const points = new Float32Array(bytes, i * this.slotBytes, floats);
            bad ||= allFinite(points) >= 0;
            const k = this.schedule.steps[from + i];
            out.push({ k, t: this.sim.grid[k], d, batches, points });
          }
          this.delivered = from + want;
          if (bad) this.check();
          this.events.samples(out);
        })
        .catch(() => {
          // A failed read (mapping aborted) loses nothing: its slots are read again on a later frame.
          if (!this.disposed && generation === this.generation) this.readSlot = Math.min(this.readSlot, from);
        });
    };
  }

  /** Start a finiteness check unless one is pending. */
  private check(): void {
    if (this.checking || this.halted) return;
    this.checking = true;
    const k = this.sim.k;
    const t = this.sim.t;
    this.sim
      .checkFinite()
      .then((r: { ok: boolean; firstBad?: number; reason?: string }) => {
        if (this.disposed || r.ok || this.halted) return;
        // The adaptive kernel marks a particle it gave up on as NaN: its reason says so.
        this.halt(`${r.reason ?? `particle ${r.firstBad ?? '?'} became non-finite`} at t = ${t.toPrecision(4)} (step ${k})`);
      })
      .catch(() => undefined)
      .finally(() => {
        this.checking = false;
      });
  }

  private save(): void {
    if (this.saving || this.halted) return;
    this.saving = true;
    this.sim
      .readState()
      .then((s: ParticleState) => {
        if (this.disposed || this.halted) return;
        const bad = allFinite(s.x);
        if (bad < 0) this.lastGood = s;
        else this.halt(`${this.sim.particleName(Math.floor(bad / s.d))} became non-finite at t = ${s.t.toPrecision(4)} (step ${s.step})`);
      })
      .catch(() => undefined)
      .finally(() => {
        this.saving = false;
      });
  }

  private halt(reason: string): void {
    this.halted = true;
    const good = this.lastGood;
    try {
      void Promise.resolve(this.sim.restoreState(good)).then(() => {
        this.needFill = true;
      });
      this.restartHistory(good.step, true);
      this.trajectory.rewind(good.step);
    } catch {
      /* keep the halted state; the reason below still says what happened */
    }
    this.events.halted(`${reason}; paused and restored the last finite state (t = ${good.t.toPrecision(4)}, step ${good.step})`);
  }

  get d(): number {
    return this.sim.d;
  }
  /** Particles of all batches. */
  get count(): number {
    return this.sim.count;
  }
  /** Particles per batch. */
  get batchSize(): number {
    return this.sim.batchSize;
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
  get done(): boolean {
    return this.sim.done;
  }

  /** Live guidance strength of batch 0 (the config's). The frames so far belong to the old lambda: the trajectory starts over here. */
  setLambda(lambda: number): void {
    this.sim.setLambda(lambda, 0);
    if (this.trajectory.restartAt(this.sim.k)) {
      // The lead is the current state: the particles after every step submitted so far.
      const encoder = this.gpu.device.createCommandEncoder({ label: 'ScoreMixingView.leadEncoder' });
      encoder.copyBufferToBuffer(this.sim.particles, 0, this.leadFrame, 0, this.frameBytes);
      this.gpu.device.queue.submit([encoder.finish()]);
    }
  }

  /**
   * The trajectory so far and the current state, read back in one submission (the export; never
   * from the frame loop). The copies of the current step's slots not taken yet are encoded first.
   */
  async recordedFrames(): Promise<{ frames: TrajectoryFrames<Float32Array>; state: ParticleState }> {
    const { sim, trajectory: log } = this;
    const pool = new ReadbackPool(this.gpu.device, 'ScoreMixingView.exportReadback', this.trajectoryChunks.length + 2);
    try {
      const encoder = this.gpu.device.createCommandEncoder({ label: 'ScoreMixingView.exportEncoder' });
      for (const op of planStops([log.schedule], [log.next], sim.k, 0).ops) if ('sample' in op) this.encodeRecord(encoder, op.sample);
      const step = sim.k;
      const steps = log.steps();
      const reads: Promise<ArrayBuffer>[] = [];
      if (log.leadStep !== null) reads.push(pool.request(encoder, this.leadFrame, 0, this.frameBytes)!);
      for (let j = log.first; j < log.next; ) {
        const { buffer, offset } = this.slotAt(j);
        const end = Math.min(log.next, (Math.floor(j / this.slotsPerChunk) + 1) * this.slotsPerChunk);
        reads.push(pool.request(encoder, buffer, offset, (end - j) * this.frameBytes)!);
        j = end;
      }
      const current = pool.request(encoder, sim.particles, 0, this.frameBytes)!;
      this.gpu.device.queue.submit([encoder.finish()]);
      pool.submitted();
      const parts = await Promise.all(reads);
      const x = new Float32Array(steps.length * sim.count * sim.d);
      let at = 0;
      for (const p of parts) {
        x.set(new Float32Array(p), at);
        at += p.byteLength / 4;
      }
      const state: ParticleState = { step, t: sim.grid[step], d: sim.d, count: sim.count, x: new Float32Array(await current) };
      return { frames: { steps, x }, state };
    } finally {
      pool.dispose();
    }
  }

  get lastGoodState(): ParticleState {
    return this.lastGood;
  }

  /**
   * Continues from `state` (a snapshot's, or the last good state after a device loss). `recorded`:
   * the frames that came with it, written back into their slots when they are this config's
   * recorded frames up to state.step; otherwise the trajectory starts at state.step.
   */
  async restore(state: ParticleState, recorded: RecordedFrames | null = null): Promise<void> {
    await this.sim.restoreState(state);
    this.lastGood = state;
    this.halted = false;
    this.needFill = true;
    this.restartHistory(state.step, false);
    this.hostSample = this.sampleOf(state);
    const keep = this.trajectory.adopt(state.step, recorded?.t ?? null);
    const queue = this.gpu.device.queue;
    const floats = this.frameBytes / 4;
    for (let j = 0; j < keep; j++) {
      const { buffer, offset } = this.slotAt(j);
      const frame = Float32Array.from({ length: floats }, (_, i) => recorded!.x[j * floats + i]);
      queue.writeBuffer(buffer, offset, frame.buffer, 0, frame.byteLength);
    }
    if (this.trajectory.leadStep !== null) {
      const x = state.x instanceof Float32Array ? state.x : new Float32Array(state.x);
      queue.writeBuffer(this.leadFrame, 0, x.buffer, x.byteOffset, x.byteLength);
    }
  }

  /**
   * The run continues from step k: slots from k on are invalid and are refilled as the run gets
   * there, and reads in flight are dropped. `keepEarlier` (a halt within this run): slots before k
   * are still this run's samples, so the ones not delivered yet are read again; otherwise (a state
   * from elsewhere) the history starts at k.
   */
  private restartHistory(k: number, keepEarlier: boolean): void {
    this.generation++;
    this.hostSample = null;
    this.nextSlot = this.schedule.slotAtOrAfter(k);
    this.delivered = this.readSlot = keepEarlier ? Math.min(this.delivered, this.nextSlot) : this.nextSlot;
  }

  dispose(): void {
    this.disposed = true;
    this.samples.dispose();
    this.res.dispose();
    this.projector.dispose();
    this.sim.dispose();
  }
}
