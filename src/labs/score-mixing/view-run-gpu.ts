// A run on the GPU as the page drives it. Each frame encodes, into ONE command encoder: the
// simulation steps, the projection for the renderer, and (when a staging buffer of the
// ReadbackPool is free) a copy of the first `sampleCount` particles for the distance chart; when
// both are busy the frame's sample is dropped. Nothing is awaited: readbacks and finiteness
// checks are started here and consumed when their promises resolve. With a GpuProfiler the step
// and projection passes are timed ('generate', 'project').
//
// Blow-up handling: a finiteness check (simulation.checkFinite) runs every `checkEvery` frames;
// a full state readback every `saveEvery` frames becomes the "last good state" once it is seen to
// be finite. A failed check halts the run with a reason naming the particle and t, and puts the
// last good state back, so what the user sees is the last finite picture.

import type { GpuContext } from '../../gpu/device';
import type { GpuProfiler } from '../../gpu/profiler';
import { ReadbackPool } from '../../gpu/readback';
import { ScoreMixingSimulation } from './simulation';
import type { SamplerOptions } from './reference';
import type { ParticleState } from './types';
import { ParticleProjector } from './view-projector';

export interface SampleResult {
  k: number;
  t: number;
  d: number;
  points: Float32Array;
}

export interface GpuRunEvents {
  sample(s: SampleResult): void;
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
  private lastSampleK = -1;
  private disposed = false;
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
  ) {
    this.samples = new ReadbackPool(gpu.device, 'ScoreMixingView.sampleReadback', 2);
    this.lastGood = x0;
  }

  static async create(
    gpu: GpuContext,
    opts: SamplerOptions,
    x0: Float64Array,
    trailLength: number,
    events: GpuRunEvents,
  ): Promise<GpuRun> {
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0);
    try {
      const projector = new ParticleProjector(gpu.device, sim.count, trailLength);
      const state: ParticleState = { step: 0, t: opts.T, d: sim.d, count: sim.count, x: x0 };
      return new GpuRun(gpu, sim, projector, Math.min(sim.count, 512), state, events);
    } catch (e) {
      sim.dispose();
      throw e;
    }
  }

  /** Encode `steps` steps (0: just re-project), submit. Returns steps taken. */
  advance(steps: number, axisX: number, axisY: number, timeY: (t: number) => number, profiler?: GpuProfiler | null): number {
    const { sim, gpu } = this;
    const encoder = gpu.device.createCommandEncoder({ label: 'ScoreMixingView.frameEncoder' });
    profiler?.beginFrame();
    const timestampWrites = profiler ? (name: string) => profiler.timestampWrites(name) : undefined;
    let n = 0;
    if (steps > 0 && !this.halted && !sim.done) n = sim.encodeSteps(encoder, steps, timestampWrites);
    if (n > 0 || this.needFill) {
      const args = { d: sim.d, axisX, axisY, timeY: timeY(sim.t), fillAll: this.needFill };
      this.projector.encode(encoder, sim.particles, args, timestampWrites?.('project'));
      this.needFill = false;
    }
    const k = sim.k;
    const t = sim.t;
    const bytes = this.sampleCount * sim.d * 4;
    // null when both staging buffers are still in flight: this frame's sample is dropped.
    const sample = k !== this.lastSampleK ? this.samples.request(encoder, sim.particles, 0, bytes) : null;
    profiler?.resolve(encoder);
    gpu.device.queue.submit([encoder.finish()]);
    this.samples.submitted();
    profiler?.submitted();
    if (sample) {
      this.lastSampleK = k;
      sample
        .then((b) => {
          if (this.disposed) return;
          const points = new Float32Array(b);
          if (allFinite(points) >= 0) this.check();
          this.events.sample({ k, t, d: sim.d, points });
        })
        .catch(() => undefined);
    }
    if (n > 0) {
      this.frames++;
      if (this.frames % this.checkEvery === 0 || sim.done) this.check();
      if (this.frames % this.saveEvery === 0) this.save();
    }
    return n;
  }

  /** Start a finiteness check unless one is pending. */
  private check(): void {
    if (this.checking || this.halted) return;
    this.checking = true;
    const k = this.sim.k;
    const t = this.sim.t;
    this.sim
      .checkFinite()
      .then((r: { ok: boolean; firstBad?: number }) => {
        if (this.disposed || r.ok || this.halted) return;
        this.halt(`particle ${r.firstBad ?? '?'} became non-finite at t = ${t.toPrecision(4)} (step ${k})`);
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
        else this.halt(`particle ${Math.floor(bad / s.d)} became non-finite at t = ${s.t.toPrecision(4)} (step ${s.step})`);
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
    } catch {
      /* keep the halted state; the reason below still says what happened */
    }
    this.events.halted(`${reason}; paused and restored the last finite state (t = ${good.t.toPrecision(4)}, step ${good.step})`);
  }

  get d(): number {
    return this.sim.d;
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
  get done(): boolean {
    return this.sim.done;
  }

  setLambda(lambda: number): void {
    this.sim.setLambda(lambda);
  }

  get lastGoodState(): ParticleState {
    return this.lastGood;
  }

  async restore(state: ParticleState): Promise<void> {
    await this.sim.restoreState(state);
    this.lastGood = state;
    this.halted = false;
    this.needFill = true;
    this.lastSampleK = -1;
  }

  dispose(): void {
    this.disposed = true;
    this.samples.dispose();
    this.projector.dispose();
    this.sim.dispose();
  }
}
