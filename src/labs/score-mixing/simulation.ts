// GPU orchestration of the score-mixing lab, DOM-free (page, CLI, tests and benchmarks run this
// same code). Owns the particle buffer and the generation kernel (shaders/score-mixing/generate.wgsl
// for exp/heun/rk4, generate-adaptive.wgsl for 'adaptive', which also sums its work into a small
// stats buffer); the float64 twin is ReferenceSampler (reference.ts).
//
// Time stepping is deterministic and frame-rate independent: step k always takes t_k to t_{k+1}
// of the float64 geometric grid, whatever the number of steps per frame or per dispatch. Each
// dispatch integrates a range of steps in registers; its range reaches the kernel through
// copyBufferToBuffer from a constant index table, so many dispatches can be encoded into one
// command encoder before anything is submitted (no awaits anywhere on the stepping path).
//
// Compare mode (src/labs/compare.ts): `lambdas` of create() gives one lambda per batch; the buffer
// then holds B = lambdas.length batches of the N = x0.length / d particles, each starting from x0,
// stepped together by the same dispatches (lambda per batch from a storage array, noise keyed by
// the index within the batch: NUMERICS.md "Compare mode"). `count` is all B N particles.

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { STORAGE_R, STORAGE_RW, STORAGE_VERTEX, UNIFORM_W } from '../../gpu/usage';
import { StepRangeDispatch } from '../../gpu/step-range';
import { kdOrder } from '../../math/kd-order';
import { geometricGrid, recordSteps } from '../../math/timegrid';
import { generationCulling, packCulledAtoms } from './cull-tiles';
import {
  DEFAULT_WORKGROUP,
  GenerateParamsLayout,
  StepCoefLayout,
  checkMeasures,
  checkWorkgroupSize,
  dispatchGrid,
  pipelineCacheFor,
} from './gpu-common';
import { DEFAULT_TOL, type SamplerOptions } from './reference';
import { MAX_ATTEMPTS, type AdaptiveStats } from './adaptive';
import type { ParticleState } from './types';

export { PotentialField, type FieldPlane } from './field';
export { evaluateMixedScore, type MixedScoreResult } from './score-kernel';

export interface SimulationTuning {
  /** @workgroup_size of the generation kernel (default 64). */
  workgroupSize?: number;
  /** Steps integrated per dispatch; default: as many as fit DISPATCH_BUDGET, at most 64. */
  stepsPerDispatch?: number;
  /** false: every step dense (the bench's comparison); default: generationCulling's threshold. */
  cull?: boolean;
  /**
   * false: the invocations take the particles in their own order; default: in a k-d order of x0
   * when the run culls (particleAt in lib/score-mixing-generate.wgsl), which changes the work and
   * not the results (tested bit for bit).
   */
  sortParticles?: boolean;
  /**
   * Invocations per particle (lib/denoise.wgsl: Lanes), a power of two dividing the workgroup
   * size; default generationLanes (1 on a software adapter).
   */
  lanes?: number;
}

/** Invocations the lanes aim for: a quarter of an H100's resident threads (132 SMs x 2,048). */
export const LANE_TARGET_INVOCATIONS = 65536;
export const MAX_LANES = 16;
/** Fewest atoms in a measure for lanes: below it a dense step is cheap whatever the occupancy. */
export const MIN_LANE_ATOMS = 1024;

/**
 * Lanes per particle for `batchSize` particles a batch: 1 on a software adapter (more invocations
 * cannot help a few CPU cores) or with fewer than MIN_LANE_ATOMS atoms in each measure, else the
 * smallest power of two that brings batchSize x lanes to LANE_TARGET_INVOCATIONS (at most
 * MAX_LANES and a divisor of the workgroup size; 1 for workgroups above the default 64). A
 * function of the batch size, not of the number of batches, so a compared batch runs with the
 * lanes of its single run (bit for bit).
 */
export function generationLanes(software: boolean, batchSize: number, n1: number, n2: number, wg: number): number {
  // The lanes' merge slots take wg (d + 3) floats of workgroup memory: at the default 64 and d = 8
  // the kernel uses about 14,200 of WebGPU's default 16,384 bytes, so larger workgroups run one lane.
  if (software || Math.max(n1, n2) < MIN_LANE_ATOMS || wg > DEFAULT_WORKGROUP) return 1;
  let lanes = 1;
  while (lanes < MAX_LANES && batchSize * lanes < LANE_TARGET_INVOCATIONS && wg % (2 * lanes) === 0) lanes *= 2;
  return lanes;
}

const INTEGRATOR_ID = { exp: 0, heun: 1, rk4: 2 } as const;
/** Drift evaluations per step for the dispatch budget; adaptive: a typical 1 + 3 x 5 trial steps. */
const STAGES = { exp: 1, heun: 2, rk4: 4, adaptive: 16 } as const;
/** u32 words of the adaptive kernel's stats buffer (generate-adaptive.wgsl). */
const STATS_WORDS = 10;

/** The adaptive kernel's work (AdaptiveStats, summed over particles) and its failures. */
export interface GpuAdaptiveStats extends AdaptiveStats {
  /** Particles given up after MAX_ATTEMPTS trial steps in one interval (set to NaN). */
  cappedParticles: number;
  /** The lowest-numbered of them, when any. */
  firstCapped?: number;
}

/**
 * The u32 words of binding 7 (lib/score-mixing-generate.wgsl): the bits of the batches' lambdas,
 * then, when `order` (a permutation of one batch's N particles) is given, slot b N + k -> particle
 * b N + order[k] of every batch.
 */
export function lambdasAndOrder(lambdas: readonly number[], order: Uint32Array | null): Uint32Array {
  const B = lambdas.length;
  const N = order?.length ?? 0;
  const words = new Uint32Array(B + B * N);
  new Float32Array(words.buffer, 0, B).set(lambdas);
  for (let b = 0; b < B && order; b++) for (let k = 0; k < N; k++) words[B + b * N + k] = b * N + order[k];
  return words;
}

/** Names particle `index` of a buffer of `batchSize`-particle batches: "particle 3" or "particle 3 of batch 1 (lambda = 2.5)". */
export function particleName(index: number, batchSize: number, lambdas: readonly number[]): string {
  if (lambdas.length <= 1) return `particle ${index}`;
  const b = Math.floor(index / batchSize);
  return `particle ${index % batchSize} of batch ${b} (lambda = ${lambdas[b]})`;
}

/** The failure message of a particle that ran out of trial steps (GPU and page alike). */
export function cappedMessage(particle: number | string, tol: number): string {
  return (
    `${typeof particle === 'number' ? `particle ${particle}` : particle} needed more than ${MAX_ATTEMPTS} adaptive substeps in one step (tol = ${tol}): ` +
    'raise tol (float32 rounding limits the GPU near 1e-6) or steps'
  );
}
/**
 * Particle-atom evaluations per dispatch: about 10 ms on a discrete GPU, far from browser
 * watchdogs (~2 s) while keeping per-dispatch overhead negligible.
 */
const DISPATCH_BUDGET = 2 ** 30;
const MAX_STEPS_PER_DISPATCH = 64;

/** The particles are stepped by the kernel, drawn as vertices, uploaded and read back. */
const PARTICLE_USAGE = STORAGE_VERTEX;

export class ScoreMixingSimulation {
  /** array<f32>, count*d row-major (the buffer may be padded past count*d*4 bytes); batch b at rows [b batchSize, (b + 1) batchSize). */
  readonly particles: GPUBuffer;
  readonly d: number;
  /** All particles: batches x batchSize. */
  readonly count: number;
  /** Particles per batch (the config's count). */
  readonly batchSize: number;
  /** lambda of each batch (compare mode; [opts.lambda] without it). */
  readonly lambdas: number[];
  /** t_0 = T > ... > t_K = tMin, float64. */
  readonly grid: Float64Array;
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly stepper: StepRangeDispatch,
    private readonly paramValues: Parameters<typeof GenerateParamsLayout.pack>[0],
    particles: GPUBuffer,
    d: number,
    count: number,
    grid: Float64Array,
    /** The adaptive kernel's stats buffer (null for the fixed-step integrators). */
    private readonly statsBuffer: GPUBuffer | null,
    private readonly lambdaBuffer: GPUBuffer,
    lambdas: number[],
    /** Which of a batch's particles each invocation slot integrates (null: the run never culls). */
    readonly slotOrder: Uint32Array | null,
    /** Invocations per particle (lib/denoise.wgsl: Lanes). */
    readonly lanes: number,
  ) {
    this.particles = particles;
    this.d = d;
    this.count = count;
    this.grid = grid;
    this.lambdas = lambdas;
    this.batchSize = count / lambdas.length;
  }

  /** Number of batches (1 without compare mode). */
  get batches(): number {
    return this.lambdas.length;
  }

  get stepsPerDispatch(): number {
    return this.stepper.stepsPerDispatch;
  }

  /**
   * Validates the options like ReferenceSampler does, checks every size against the device
   * (GpuLimitError names the field), compiles the specialised kernel and uploads x0 (count*d).
   * `lambdas` (compare mode): one lambda per batch, each batch starting from x0; default [opts.lambda].
   */
  static async create(
    gpu: GpuContext,
    opts: SamplerOptions,
    x0: Float64Array,
    tuning: SimulationTuning = {},
    lambdas: readonly number[] = [opts.lambda],
  ): Promise<ScoreMixingSimulation> {
    const { device } = gpu;
    const { mu1, mu2 } = opts;
    checkMeasures(device, mu1, mu2);
    if (opts.sampler === 'sde' && opts.integrator !== 'exp') {
      throw new Error(`integrator '${opts.integrator}' is ODE-only; the SDE sampler needs integrator 'exp'`);
    }
    if (!(opts.integrator in STAGES)) throw new Error(`unknown integrator '${opts.integrator}'`);
    const adaptive = opts.integrator === 'adaptive';
    const tol = opts.tol ?? DEFAULT_TOL;
    if (adaptive && !(Number.isFinite(tol) && tol > 0)) throw new Error(`tol must be finite and > 0, got ${opts.tol}`);
    const beta = opts.sampler === 'ode' ? 0 : opts.beta;
    if (!(Number.isFinite(beta) && beta >= 0)) throw new Error(`beta must be finite and >= 0, got ${opts.beta}`);
    if (!Number.isFinite(opts.lambda)) throw new Error(`lambda must be finite, got ${opts.lambda}`);
    if (lambdas.length < 1 || !lambdas.every(Number.isFinite)) throw new Error(`lambdas must be 1 or more finite values, got [${lambdas.join(', ')}]`);
    const B = lambdas.length;
    const d = mu1.d;
    if (x0.length === 0 || x0.length % d !== 0) {
      throw new Error(`x0 has length ${x0.length}, expected a positive multiple of d = ${d}`);
    }
    const batchSize = x0.length / d;
    const count = B * batchSize;
    for (let i = 0; i < x0.length; i++) {
      if (!Number.isFinite(x0[i])) {
        throw new Error(`initial particle ${Math.floor(i / d)} has a non-finite coordinate (${x0[i]})`);
      }
    }
    const grid = geometricGrid(opts.T, opts.tMin, opts.steps);
    const K = opts.steps;
    const wg = tuning.workgroupSize ?? DEFAULT_WORKGROUP;
    checkWorkgroupSize(device, wg);
    const lanes = tuning.lanes ?? generationLanes(gpu.isSoftware, batchSize, mu1.n, mu2.n, wg);
    if (!(Number.isInteger(lanes) && lanes >= 1 && lanes <= MAX_LANES && (lanes & (lanes - 1)) === 0 && wg % lanes === 0)) {
      throw new Error(`lanes must be a power of two in [1, ${MAX_LANES}] dividing the workgroup size ${wg}, got ${lanes}`);
    }
    assertStorageFits(device, 'particles.count', count, 4 * d);
    const workgroups = dispatchGrid(device, 'particles.count', count * lanes, wg);
    assertStorageFits(device, 'steps', K + 1, StepCoefLayout.size);

    const perStep = Math.ceil(count / wg) * wg * (mu1.n + mu2.n) * STAGES[opts.integrator];
    const stepsPerDispatch =
      tuning.stepsPerDispatch ?? Math.max(1, Math.min(MAX_STEPS_PER_DISPATCH, Math.floor(DISPATCH_BUDGET / perStep)));

    // Small-t culling below cullBelow (generationCulling; a grid time, so the choice is the same
    // however the run is chunked or restored); CULL = 0 compiles the kernel without the culled path.
    const culling = tuning.cull === false ? { cullBelow: 0, cut: 0 } : generationCulling(mu1, mu2);
    const CULL = culling.cullBelow > 0 ? 1 : 0;
    const laneOverride: Record<string, number> = lanes > 1 ? { LANES: lanes } : {};
    const pipeline =
      opts.integrator === 'adaptive'
        ? await pipelineCacheFor(device).compute('score-mixing/generate-adaptive.wgsl', 'main', { D: d, WG: wg, MAX_ATTEMPTS, CULL, ...laneOverride })
        : await pipelineCacheFor(device).compute('score-mixing/generate.wgsl', 'main', {
            D: d,
            WG: wg,
            INTEGRATOR: INTEGRATOR_ID[opts.integrator],
            NOISE: beta > 0 ? 1 : 0,
            CULL,
            ...laneOverride,
          });

    const res = new GpuResources(device, 'ScoreMixingSimulation');
    try {
      const h = Math.log(opts.T / opts.tMin) / K;
      // Atoms in the culling's k-d order with their boxes appended (lib/cull.wgsl).
      const atoms = packCulledAtoms(mu1, mu2);
      // With CULL the kernel reads the particle order (particleAt): k-d with one leaf per workgroup
      // (wg / lanes particles), or the identity when asked.
      const order = CULL === 0 ? null : tuning.sortParticles === false ? Uint32Array.from({ length: batchSize }, (_, k) => k) : kdOrder(x0, d, wg / lanes);
      const lambdaWords = lambdasAndOrder(lambdas, order);
      const paramValues = { count, n1: mu1.n, n2: mu2.n, seed: opts.seed >>> 0, batchSize, batches: B, h, tol: adaptive ? tol : 0, ...culling };
      const params = res.buffer('params', GenerateParamsLayout.size, UNIFORM_W, new Uint8Array(GenerateParamsLayout.pack(paramValues)));
      const coefs = res.buffer('stepCoefs', K * StepCoefLayout.size, STORAGE_R, stepCoefficients(grid, h, beta));
      const stepper = new StepRangeDispatch(res, K, stepsPerDispatch, 'ScoreMixingSimulation.generate', 'generate');
      const initial = new Float32Array(count * d);
      for (let b = 0; b < B; b++) initial.set(x0, b * x0.length);
      const particles = res.buffer('particles', 4 * count * d, PARTICLE_USAGE, initial);
      const lambdaBuffer = res.buffer('lambdas', lambdaWords.byteLength, STORAGE_R, lambdaWords);
      const entries = [
        res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points),
        res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW),
        params,
        coefs,
        stepper.cursor,
        particles,
        stepper.status,
        lambdaBuffer,
      ];
      const statsBuffer = adaptive ? res.buffer('adaptiveStats', 4 * STATS_WORDS, STORAGE_RW) : null;
      if (statsBuffer) entries.push(statsBuffer);
      const bindGroup = device.createBindGroup({
        label: 'ScoreMixingSimulation.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: entries.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      stepper.attach(pipeline, bindGroup, workgroups);
      const readback = new ReadbackPool(device, 'ScoreMixingSimulation.readback');
      return new ScoreMixingSimulation(device, res, readback, stepper, paramValues, particles, d, count, grid, statsBuffer, lambdaBuffer, [...lambdas], order, lanes);
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** Index of the current grid time (counting steps encoded so far). */
  get k(): number {
    return this.stepper.k;
  }

  get t(): number {
    return this.grid[this.stepper.k];
  }

  get steps(): number {
    return this.grid.length - 1;
  }

  get done(): boolean {
    return this.stepper.done;
  }

  /**
   * Encodes up to n steps (fewer at the end of the grid) and returns how many. Never awaits.
   * `timestampWrites`, when given, is asked once per compute pass (name 'generate') for the pass's
   * timestamp writes, e.g. GpuProfiler.timestampWrites; undefined leaves that pass untimed.
   */
  encodeSteps(
    encoder: GPUCommandEncoder,
    n: number,
    timestampWrites?: (name: string) => GPUComputePassTimestampWrites | undefined,
  ): number {
    this.assertLive();
    return this.stepper.encodeSteps(encoder, n, timestampWrites);
  }

  /** Encodes and submits up to n steps. */
  step(n: number): void {
    const encoder = this.device.createCommandEncoder({ label: 'ScoreMixingSimulation.stepEncoder' });
    this.encodeSteps(encoder, n);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Live guidance strength of one batch (default 0, the config's own): applies to every step submitted after this call. */
  setLambda(lambda: number, batch = 0): void {
    this.assertLive();
    if (!Number.isFinite(lambda)) throw new Error(`lambda must be finite, got ${lambda}`);
    if (!(Number.isInteger(batch) && batch >= 0 && batch < this.lambdas.length)) throw new Error(`batch ${batch} is outside 0..${this.lambdas.length - 1}`);
    this.lambdas[batch] = lambda;
    this.device.queue.writeBuffer(this.lambdaBuffer, 4 * batch, new Float32Array([lambda]));
  }

  /** Positions after all submitted work; resolves asynchronously (never await it in a frame loop). */
  async readState(): Promise<ParticleState> {
    this.assertLive();
    const step = this.stepper.k;
    const bytes = await this.readback.read(this.particles, 0, 4 * this.count * this.d);
    return { step, t: this.grid[step], d: this.d, count: this.count, x: new Float32Array(bytes) };
  }

  /**
   * Whether every coordinate is finite after all submitted work. Runs a zero-step dispatch of the
   * generation kernel (its epilogue counts non-finite particles) and reads the 8-byte status.
   */
  async checkFinite(): Promise<{ ok: boolean; firstBad?: number; reason?: string }> {
    this.assertLive();
    const r = await this.stepper.checkFinite(this.device, this.readback);
    if (r.ok) return r;
    // A particle the adaptive kernel gave up is NaN too: say why instead of "non-finite".
    const stats = this.statsBuffer ? await this.readStats() : null;
    if (stats?.firstCapped !== undefined) return { ...r, reason: cappedMessage(this.particleName(stats.firstCapped), this.paramValues.tol as number) };
    // Compared batches: name the batch and its lambda.
    return this.batches > 1 && r.firstBad !== undefined ? { ...r, reason: `${this.particleName(r.firstBad)} became non-finite` } : r;
  }

  /** "particle 3", or "particle 3 of batch 1 (lambda = 2.5)" in compare mode, for a buffer index. */
  particleName(index: number): string {
    return particleName(index, this.batchSize, this.lambdas);
  }

  /**
   * The adaptive kernel's work since create() or resetStats(), after all submitted work; null for
   * the fixed-step integrators. Resolves asynchronously (never await it in a frame loop).
   */
  async readStats(): Promise<GpuAdaptiveStats | null> {
    this.assertLive();
    if (!this.statsBuffer) return null;
    const w = new Uint32Array(await this.readback.read(this.statsBuffer, 0, 4 * STATS_WORDS));
    const sum = (i: number): number => w[i] + 2 ** 32 * w[i + 1];
    return {
      acceptedSteps: sum(0),
      rejectedSteps: sum(2),
      driftEvaluations: sum(4),
      lockstepEvaluations: sum(6),
      cappedParticles: w[8],
      ...(w[8] > 0 ? { firstCapped: 0xffffffff - w[9] } : {}),
    };
  }

  /** Zeroes the adaptive kernel's stats (takes effect in submission order). */
  resetStats(): void {
    this.assertLive();
    if (!this.statsBuffer) return;
    const encoder = this.device.createCommandEncoder({ label: 'ScoreMixingSimulation.resetStats' });
    encoder.clearBuffer(this.statsBuffer);
    this.device.queue.submit([encoder.finish()]);
  }

  /** Continues from `state` (device-lost recovery, json reloads): uploads x (all batches, count*d) and sets k. */
  restoreState(state: ParticleState): void {
    this.assertLive();
    if (state.d !== this.d) throw new Error(`state.d = ${state.d}, expected ${this.d}`);
    if (state.count !== this.count) throw new Error(`state.count = ${state.count}, expected ${this.count}`);
    if (state.x.length !== this.count * this.d) {
      throw new Error(`state.x has length ${state.x.length}, expected count*d = ${this.count * this.d}`);
    }
    this.stepper.moveTo(state.step); // validates the step before anything is uploaded
    const x = state.x instanceof Float32Array ? state.x : new Float32Array(state.x);
    this.device.queue.writeBuffer(this.particles, 0, x.buffer, x.byteOffset, x.byteLength);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.res.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('ScoreMixingSimulation is disposed');
  }
}

/**
 * Per-step constants in float64, rounded once to f32 (StepCoef in generate.wgsl): stage times
 * e^-(tau_k + c h) for c = 1/2, 1 (as the reference's drift() forms them) and the exponential
 * step's a_k = r^((1+beta)/2), s_k = sqrt(2 t' (1 - r^beta)).
 */
function stepCoefficients(grid: Float64Array, h: number, beta: number): Uint8Array {
  const K = grid.length - 1;
  const out = new Uint8Array(K * StepCoefLayout.size);
  for (let k = 0; k < K; k++) {
    const t = grid[k];
    const tNext = grid[k + 1];
    const r = tNext / t;
    const tau = -Math.log(t);
    const entry = StepCoefLayout.pack({
      t,
      tHalf: Math.exp(-(tau + h / 2)),
      tNext: Math.exp(-(tau + h)),
      contraction: beta === 0 ? Math.sqrt(r) : Math.pow(r, (1 + beta) / 2),
      sigma: beta === 0 ? 0 : Math.sqrt(2 * tNext * (1 - Math.pow(r, beta))),
      pad0: 0,
      pad1: 0,
      pad2: 0,
    });
    out.set(new Uint8Array(entry), k * StepCoefLayout.size);
  }
  return out;
}

/**
 * Runs the whole schedule on the GPU and keeps the frames at recordSteps(steps, record), like
 * runReference. Frame readbacks are pipelined (up to 4 in flight) so the GPU never waits for the
 * CPU; a non-finite particle at the end throws, naming it. With `lambdas` (compare mode) every
 * frame holds all batches: x is (frames, batches, N, d) row-major.
 */
export async function runOnGpu(
  gpu: GpuContext,
  opts: SamplerOptions,
  x0: Float64Array,
  record: number,
  onProgress?: (f: number) => void,
  lambdas?: readonly number[],
): Promise<{ t: Float64Array; x: Float32Array; steps: number[]; timings: { totalMs: number }; stats: GpuAdaptiveStats | null }> {
  const start = performance.now();
  const steps = recordSteps(opts.steps, record);
  const sim = await ScoreMixingSimulation.create(gpu, opts, x0, {}, lambdas);
  const pool = new ReadbackPool(gpu.device, 'runOnGpu.readback', 4);
  try {
    const frameFloats = sim.count * sim.d;
    const x = new Float32Array(steps.length * frameFloats);
    const t = Float64Array.from(steps, (k) => sim.grid[k]);
    const inFlight = new Set<Promise<void>>();
    let reported = 0;
    const report = (f: number): void => {
      if (onProgress && f > reported) onProgress((reported = f));
    };
    // Progress comes from onSubmittedWorkDone per chunk of ~1% of the steps.
    const chunk = onProgress ? Math.max(1, Math.ceil(opts.steps / 100)) : Infinity;
    for (const [frame, target] of steps.entries()) {
      while (target - sim.k > chunk) {
        sim.step(chunk);
        const f = sim.k / opts.steps;
        void gpu.device.queue.onSubmittedWorkDone().then(() => report(f));
      }
      const encoder = gpu.device.createCommandEncoder({ label: 'runOnGpu.frameEncoder' });
      sim.encodeSteps(encoder, target - sim.k);
      let copy = pool.request(encoder, sim.particles, 0, 4 * frameFloats);
      while (!copy) {
        await Promise.race(inFlight);
        copy = pool.request(encoder, sim.particles, 0, 4 * frameFloats);
      }
      gpu.device.queue.submit([encoder.finish()]);
      pool.submitted();
      const done: Promise<void> = copy.then((bytes) => {
        x.set(new Float32Array(bytes), frame * frameFloats);
        inFlight.delete(done);
        report(target / opts.steps);
      });
      inFlight.add(done);
    }
    await Promise.all(inFlight);
    const finite = await sim.checkFinite();
    if (!finite.ok) {
      throw new Error(
        finite.reason
          ? `score-mixing GPU run: ${finite.reason}`
          : `score-mixing GPU run: particle ${finite.firstBad} became non-finite (lambda = ${opts.lambda}, ` +
              `steps = ${opts.steps}); try more steps or a smaller lambda`,
      );
    }
    const stats = await sim.readStats();
    return { t, x, steps, timings: { totalMs: performance.now() - start }, stats };
  } finally {
    pool.dispose();
    sim.dispose();
  }
}
