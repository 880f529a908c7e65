// Training on the GPU as the page drives it: a TransformerTrainer (trainer.ts) whose iterations are
// encoded into the frame's command encoder, followed by copies of what the page shows, read back
// through ReadbackPools and delivered as events some frames later (the frame never awaits):
//   risk     the new slots of the trainer's risk history (every iteration exactly once)
//   status   u32[4] [iteration, halted, haltIteration, 0]: a GPU halt (non-finite risk) is how the
//            page learns that training stopped; the trainer has already restored the last finite heads
//   picture  the flow states X^0..X^L and Q, K, V, at most every PICTURE_MS (or slower for big
//            states): trajectories, attention, clusters, head particles, lambda_min
// The trajectory picture itself needs none of this: TrajectorySegmentsGpu (segments-gpu.ts)
// writes its segments from the states in the same encoder, right after the iterations, whenever
// they ran or the picture's layout or selection changed; three draws them directly.
// A refused request waits for a later frame. At most MAX_IN_FLIGHT frames of training are queued
// on the GPU: a slow device (SwiftShader) thins the steps per frame instead of piling up work.

import type { GpuContext } from '../../../gpu/device';
import { ReadbackPool } from '../../../gpu/readback';
import { MAX_ITERATIONS } from '../params';
import { TransformerTrainer } from '../trainer';
import type { Heads, TokenBatch, TransformerModel } from '../types';
import { headsFrom } from './heads';
import type { RunEvents, TfRun } from './run';
import { TrajectorySegmentsGpu } from './segments-gpu';

const MAX_IN_FLIGHT = 2;
/** A read-back that failed (pool disposed, device lost) just delivers nothing; handler errors still surface. */
const ignoreLost = (): void => undefined;
const PICTURE_MS = 250;
/** Picture read-back rate assumed when spacing big reads (bytes per ms). */
const PICTURE_BYTES_PER_MS = 40_000;
/** Pictures are spaced at least this many times the time the page took to draw the last one. */
const PICTURE_COST_FACTOR = 8;

export class GpuTfRun implements TfRun {
  readonly kind = 'gpu' as const;
  iteration = 0;
  halted = false;
  /** Highest iteration a read-back (risk, status, picture) proved finished on the GPU. */
  private finished = 0;
  private readonly riskPool: ReadbackPool;
  private readonly statusPool: ReadbackPool;
  private readonly picturePool: ReadbackPool;
  private riskRead = 0;
  private statusWanted = false;
  private needForward = true;
  private wantPicture = true;
  private pictureAt = -Infinity;
  /** Main-thread time the page took to draw the last picture (ms). */
  private drawMs = 0;
  private inFlight = 0;
  /** Bumped when the heads or iteration are replaced: older read-backs are dropped. */
  private generation = 0;
  private disposed = false;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly trainer: TransformerTrainer,
    public model: TransformerModel,
    public target: number,
    private readonly events: RunEvents,
    /** The picture's line segments, drawn by TrajectoryScene (the page hands it over). */
    readonly segments: TrajectorySegmentsGpu,
  ) {
    const { device } = gpu;
    this.riskPool = new ReadbackPool(device, 'TransformerView.riskReadback', 2);
    this.statusPool = new ReadbackPool(device, 'TransformerView.statusReadback', 1);
    this.picturePool = new ReadbackPool(device, 'TransformerView.pictureReadback', 4);
  }

  static async create(gpu: GpuContext, model: TransformerModel, events: RunEvents): Promise<GpuTfRun> {
    const trainer = await TransformerTrainer.create(gpu, {
      heads: model.heads,
      tokens: model.tokens,
      flow: model.flow,
      readout: model.readout,
      targets: model.targets,
      tau: model.tau,
      // The whole allowed range (400 KB of risk history), so raising `iterations` keeps the run.
      capacity: model.targets ? MAX_ITERATIONS : 0,
    });
    const { L, batch, rows, n, d } = trainer.sim;
    let segments: TrajectorySegmentsGpu;
    try {
      segments = await TrajectorySegmentsGpu.create(gpu.device, { L, batch, rows, n, d });
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    return new GpuTfRun(gpu, trainer, model, model.targets ? model.iterations : 0, events, segments);
  }

  frame(steps: number, now: number): number {
    if (this.disposed) return 0;
    const { trainer } = this;
    const training = trainer.hasTargets;
    const want = training && !this.halted ? Math.max(0, Math.min(Math.floor(steps), this.target - this.iteration)) : 0;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'TransformerView.frameEncoder' });
    const starts: (() => void)[] = [];
    let used = false;
    let did = 0;
    if (this.inFlight < MAX_IN_FLIGHT && (want > 0 || this.needForward)) {
      trainer.encodeIterations(encoder, want);
      did = want;
      this.iteration += want;
      this.needForward = false;
      this.wantPicture = true;
      this.statusWanted = training;
      used = true;
    }
    if (used || this.segments.dirty) {
      this.segments.encode(encoder, trainer.sim.states);
      used = true;
    }
    const gen = this.generation;
    if (training && !this.needForward && this.riskRead <= this.iteration) {
      const from = this.riskRead;
      const p = this.riskPool.request(encoder, trainer.riskHistory, 4 * from, 4 * (this.iteration - from + 1));
      if (p) {
        used = true;
        this.riskRead = this.iteration + 1;
        starts.push(() => void p.then((b) => this.onRisk(gen, from, new Float32Array(b)), ignoreLost));
      }
    }
    if (this.statusWanted) {
      const p = this.statusPool.request(encoder, trainer.statusBuffer, 0, 16);
      if (p) {
        used = true;
        this.statusWanted = false;
        starts.push(() => void p.then((b) => this.onStatus(gen, new Uint32Array(b)), ignoreLost));
      }
    }
    if (this.wantPicture && !this.needForward && this.picturePool.pending === 0 && now - this.pictureAt >= this.pictureInterval()) {
      const s = trainer.sim;
      const { Q, K, V } = s.buffers;
      const qk = 4 * s.L * s.H * s.k * s.d;
      const reqs = [
        this.picturePool.request(encoder, s.states, 0, 4 * (s.L + 1) * s.batch * s.rows * s.d),
        this.picturePool.request(encoder, Q, 0, qk),
        this.picturePool.request(encoder, K, 0, qk),
        this.picturePool.request(encoder, V, 0, 4 * s.L * s.H * s.d * s.d),
      ];
      used = true;
      this.wantPicture = false;
      this.pictureAt = now;
      const it = this.iteration;
      starts.push(() => void Promise.all(reqs).then((bufs) => this.onPicture(gen, it, bufs), ignoreLost));
    }
    if (!used) return 0;
    const { queue } = this.gpu.device;
    queue.submit([encoder.finish()]);
    if (did > 0) {
      this.inFlight++;
      queue.onSubmittedWorkDone().then(
        () => this.inFlight--,
        () => this.inFlight--,
      );
    }
    this.riskPool.submitted();
    this.statusPool.submitted();
    this.picturePool.submitted();
    for (const s of starts) s();
    return did;
  }

  get completed(): number {
    return Math.min(this.finished, this.iteration);
  }

  /** A read-back of the current generation showed iteration `it` done. */
  private finishedAt(it: number): void {
    if (it > this.finished) this.finished = it;
  }

  private pictureInterval(): number {
    const s = this.trainer.sim;
    return Math.max(PICTURE_MS, (4 * (s.L + 1) * s.batch * s.rows * s.d) / PICTURE_BYTES_PER_MS, PICTURE_COST_FACTOR * this.drawMs);
  }

  pictureCost(ms: number): void {
    this.drawMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
  }

  private onRisk(gen: number, from: number, values: Float32Array): void {
    if (this.disposed || gen !== this.generation) return;
    // After a halt, slots past the restored iteration were never written.
    const keep = this.halted ? Math.max(0, Math.min(values.length, this.iteration - from + 1)) : values.length;
    if (keep > 0) {
      // Set before the event, so a handler that reads `completed` sees the iteration delivered.
      this.finishedAt(from + keep - 1);
      this.events.risk(from, values.subarray(0, keep));
    }
  }

  private onStatus(gen: number, s: Uint32Array): void {
    if (this.disposed || gen !== this.generation || this.halted) return;
    if (s[1] === 0) {
      this.finishedAt(s[0]);
      return;
    }
    this.halted = true;
    this.iteration = s[0];
    this.finished = s[0];
    this.riskRead = Math.min(this.riskRead, s[0] + 1);
    this.wantPicture = true;
    this.events.halted(s[2], s[0]);
  }

  private onPicture(gen: number, iteration: number, bufs: (ArrayBuffer | null)[]): void {
    if (this.disposed || gen !== this.generation || bufs.some((b) => b === null)) return;
    const [states, Q, K, V] = bufs as ArrayBuffer[];
    const s = this.trainer.sim;
    this.finishedAt(iteration);
    this.events.picture({ iteration, states: new Float32Array(states), heads: headsFrom({ L: s.L, H: s.H, k: s.k, d: s.d }, new Float32Array(Q), new Float32Array(K), new Float32Array(V)) });
  }

  setTau(tau: number): void {
    this.trainer.setTau(tau);
    if (this.halted) {
      // The trainer kept the last finite heads; a new step size continues from them.
      this.trainer.setIteration(this.iteration);
      this.halted = false;
      this.finished = this.iteration;
      this.generation++;
      this.riskRead = this.iteration;
      this.needForward = true;
    }
  }

  setData(tokens: TokenBatch, targets: Float64Array | null): void {
    this.trainer.setTokens(tokens);
    if (targets && this.trainer.hasTargets) this.trainer.setTargets(targets);
    this.model = { ...this.model, tokens, targets: targets ?? this.model.targets };
    this.needForward = true;
    this.riskRead = Math.min(this.riskRead, this.iteration);
  }

  continueFrom(heads: Heads, iteration: number): void {
    this.trainer.setHeads(heads);
    if (this.trainer.hasTargets) this.trainer.setIteration(iteration);
    this.iteration = this.trainer.hasTargets ? iteration : 0;
    this.finished = this.iteration;
    this.halted = false;
    this.generation++;
    this.riskRead = this.iteration;
    this.needForward = true;
    this.wantPicture = true;
  }

  requestPicture(): void {
    this.wantPicture = true;
    this.pictureAt = -Infinity;
  }

  /** Right after new heads or tokens no frame may have run yet: encode their forward pass now. */
  private flushForward(): void {
    if (!this.needForward) return;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'TransformerView.forwardEncoder' });
    this.trainer.encodeIterations(encoder, 0);
    this.segments.encode(encoder, this.trainer.sim.states);
    this.gpu.device.queue.submit([encoder.finish()]);
    this.needForward = false;
    this.wantPicture = true;
  }

  exactHeads(): Promise<{ Q: Float32Array; K: Float32Array; V: Float32Array }> {
    return this.trainer.readHeads();
  }

  exactStates(): Promise<Float32Array> {
    this.flushForward();
    return this.trainer.sim.readStates();
  }

  async exactRisk(from: number): Promise<Float32Array> {
    if (!this.trainer.hasTargets) return new Float32Array(0);
    this.flushForward();
    const all = await this.trainer.readRisk(this.iteration + 1);
    return all.slice(Math.min(from, all.length));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.riskPool.dispose();
    this.statusPool.dispose();
    this.picturePool.dispose();
    this.segments.dispose();
    this.trainer.dispose();
  }
}
