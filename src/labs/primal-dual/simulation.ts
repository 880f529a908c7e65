// GPU orchestration of the primal-dual lab, DOM-free (page, CLI, tests and benchmarks run this
// same code). Owns the state, diagnostics and problem buffers and the kernel
// shaders/primal-dual/dynamics.wgsl; the float64 twin is PrimalDualReference (reference.ts).
//
// API:
//   PrimalDualSimulation.create(gpu, prob, params | batches, init, tuning?)   prob from
//       preparePrimalDualProblem, params checked by checkDynamicsParams, init from initialStates;
//       compare mode: one DynamicsParams per batch (same grid and integrator), every batch
//       starting from `init`, all batches in the same buffers and dispatches (count = B x init.count)
//   sim.encodeSteps(encoder, n, timestampWrites?) / sim.step(n)     never await
//   sim.readState(): PrimalDualState (error coordinates, f32)        sim.restoreState(state)
//   sim.readDiagnostics(): PrimalDualDiagnostics at the current time
//   sim.checkFinite(): {ok, firstBad?};  sim.dispose()
//   sim.state / sim.diagnostics: the GPUBuffers (layouts below), e.g. for a renderer
//   runPrimalDualOnGpu(gpu, prob, params | batches, init, record, onProgress?): the same frames
//       as runPrimalDualReference (batch-major), in f32, plus timings
//   writeFrame(prob, frames, j, stateRaw, diagRaw): frame j from copies of state + diagnostics
//       (the CLI's streamed readbacks and the page's GPU-resident trajectory buffers alike)
//
// Stepping is deterministic and frame-rate independent: step k always takes t_k to t_{k+1} of the
// float64 grid t_k = t0 + k h. Each dispatch integrates a range of steps in registers; its range
// reaches the kernel through copyBufferToBuffer from a constant index table, so many dispatches
// can be encoded into one command encoder before anything is submitted.
//
// Buffer layouts (f32, per trajectory i of all B x perBatch; batch b = floor(i / perBatch)):
//   state[i * stateStride ..]: e (n) | l (m) | vx (n) | vl (m) | ce (n) | cl (m) | E0 | I | Ic | rate
//     (ce, cl: Kahan compensations of e, l; I, Ic: integral of dE/dt and its compensation)
//   diagnostics[i * diagStride ..]: E | G | ||Ax - b|| | f - f* | defect | Q (m)
//   stepCoefs: B blocks of stepCoefEntries(...).entries StepCoef each; batch: B PdBatch entries

import type { GpuContext } from '../../gpu/device';
import { checkWorkgroupSize, dispatchGrid } from '../../gpu/dispatch';
import { GpuLimitError, assertStorageFits } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { StepRangeDispatch } from '../../gpu/step-range';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { trajectoryName } from './batches';
import { MAX_N } from './kkt';
import {
  allocFrames,
  checkDynamicsParams,
  diagnosticsAt,
  gridTime,
  recordStepsLog,
  rotationCoefs,
  rotationSubsteps,
  substepCoefs,
  timeGrid,
  type PrimalDualProblem,
} from './reference';
import type { DynamicsParams, InitialStates, Integrator, PrimalDualFrames } from './types';

export const PdParamsLayout = structLayout('PdParams', [
  ['count', 'u32'],
  ['perBatch', 'u32'],
  ['coefStride', 'u32'],
  ['h', 'f32'],
] as const);

/** One batch's parameters (storage array `batch`, one entry per batch). */
export const PdBatchLayout = structLayout('PdBatch', [
  ['alpha', 'f32'],
  ['theta', 'f32'],
  ['beta', 'f32'],
  ['p', 'f32'],
  ['xi', 'f32'],
  ['cG', 'f32'],
] as const);

export const PdStepCoefLayout = structLayout('StepCoef', [
  ['t', 'f32'],
  ['s', 'f32'],
  ['damp', 'f32'],
  ['kRot', 'f32'],
  ['hs', 'f32'],
  ['aMid', 'f32'],
  ['wMid', 'f32'],
  ['sMid', 'f32'],
  ['drift', 'f32'],
] as const);

/**
 * StepCoef entries of a run: `substeps` per grid step (rotation 1, suzuki4 5, rk4 1) and one for
 * t = T; step k's substep j is entry k * substeps + j, and grid point k's t, s(t) are in entry k * substeps.
 */
export function stepCoefEntries(integrator: Integrator, K: number): { substeps: number; entries: number } {
  const substeps = Math.max(1, rotationSubsteps(integrator).length);
  return { substeps, entries: substeps * K + 1 };
}

export const DEFAULT_WORKGROUP = 64;
const INTEGRATOR_ID = { rotation: 0, rk4: 1, suzuki4: 2 } as const;
const OBJECTIVE_ID = { quartic: 0, holder: 1, exp: 2, quadratic: 3 } as const;
/** Rough flops per trajectory-step (for sizing dispatches): ~10 ms on a discrete GPU per dispatch. */
const DISPATCH_BUDGET = 2 ** 31;
const MAX_STEPS_PER_DISPATCH = 1024;

export interface PrimalDualTuning {
  workgroupSize?: number;
  stepsPerDispatch?: number;
  /**
   * The kernel file under shaders/ (default primal-dual/dynamics.wgsl). bench/primal-dual.ts passes
   * its baseline, bench/primal-dual-dynamics.wgsl (same bindings, overrides and layouts).
   */
  shader?: string;
}

/** The f32 state after `step` steps, in error coordinates (x = x* + e, lambda = lambda* + l). */
export interface PrimalDualState {
  step: number;
  t: number;
  count: number;
  n: number;
  m: number;
  /** count x stateStride, the whole state buffer (restoreState takes it back). */
  raw: Float32Array;
  e: Float32Array;
  l: Float32Array;
  vx: Float32Array;
  vl: Float32Array;
}

export interface PrimalDualDiagnostics {
  step: number;
  t: number;
  energy: Float32Array;
  gap: Float32Array;
  feasibility: Float32Array;
  objective: Float32Array;
  defect: Float32Array;
  /** count x m */
  Q: Float32Array;
}

export class PrimalDualSimulation {
  readonly n: number;
  readonly m: number;
  /** All trajectories: batches x perBatch. */
  readonly count: number;
  /** Trajectories per batch (the initial states' count). */
  readonly perBatch: number;
  readonly K: number;
  readonly h: number;
  readonly stateStride: number;
  readonly diagStride: number;
  /** See the layouts at the top of this file. */
  readonly state: GPUBuffer;
  readonly diagnostics: GPUBuffer;
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly stepper: StepRangeDispatch,
    readonly prob: PrimalDualProblem,
    /** Every batch's parameters (one entry without compare mode). */
    readonly batchParams: readonly DynamicsParams[],
    sizes: { count: number; perBatch: number; K: number; h: number },
    state: GPUBuffer,
    diagnostics: GPUBuffer,
  ) {
    this.n = prob.n;
    this.m = prob.m;
    this.count = sizes.count;
    this.perBatch = sizes.perBatch;
    this.K = sizes.K;
    this.h = sizes.h;
    this.stateStride = stateStride(prob.n, prob.m);
    this.diagStride = 5 + prob.m;
    this.state = state;
    this.diagnostics = diagnostics;
  }

  /**
   * Checks the parameters (like the reference) and every size against the device (GpuLimitError
   * names the field), compiles the specialised kernel and uploads the initial states with E(t0)
   * and dE/dt(t0) computed in float64. Writes the t0 diagnostics (a zero-step dispatch).
   * `params` may list one entry per batch (compare mode): each batch starts from `init`.
   */
  static async create(
    gpu: GpuContext,
    prob: PrimalDualProblem,
    params: DynamicsParams | readonly DynamicsParams[],
    init: InitialStates,
    tuning: PrimalDualTuning = {},
    allowOutsideWindow = true,
  ): Promise<PrimalDualSimulation> {
    const { device } = gpu;
    const batches = batchList(params);
    params = batches[0];
    for (const b of batches) checkDynamicsParams(b, allowOutsideWindow);
    const { n, m } = prob;
    if (n > MAX_N || m >= n) throw new GpuLimitError('A', n, MAX_N, 'the kernel is specialised for 1 <= m < n <= 16');
    if (prob.problem.objective.kind === 'exp') {
      const big = Math.max(...prob.kkt.x);
      if (!(big < 80)) throw new Error(`exp objective: x* has an entry ${big} >= 80, exp(x*) would overflow float32 on the GPU`);
    }
    if (!(init.count >= 1) || init.e.length !== init.count * n || init.l.length !== init.count * m) {
      throw new Error(`initial states: expected count x n = ${init.count} x ${n} and count x m entries`);
    }
    const { K, h } = timeGrid(params);
    const B = batches.length;
    const count = B * init.count;
    const wg = tuning.workgroupSize ?? DEFAULT_WORKGROUP;
    checkWorkgroupSize(device, wg);
    const stride = stateStride(n, m);
    assertStorageFits(device, B > 1 ? 'initial.count (x compared batches)' : 'initial.count', count, 4 * stride);
    const table = stepCoefEntries(params.integrator, K);
    assertStorageFits(device, B > 1 ? 'T / h (steps, x compared batches)' : 'T / h (steps)', B * table.entries, PdStepCoefLayout.size);
    const workgroups = dispatchGrid(device, 'initial.count', count, wg);
    const perStep = Math.ceil(count / wg) * wg * (12 * n * m + 30 * n) * (params.integrator === 'rk4' ? 4 : 1.5 * table.substeps);
    const stepsPerDispatch =
      tuning.stepsPerDispatch ?? Math.max(1, Math.min(MAX_STEPS_PER_DISPATCH, Math.floor(DISPATCH_BUDGET / perStep)));
    const pipeline = await pipelineCacheFor(device).compute(tuning.shader ?? 'primal-dual/dynamics.wgsl', 'main', {
      N: n,
      M: m,
      WG: wg,
      INTEGRATOR: INTEGRATOR_ID[params.integrator],
      SUBSTEPS: table.substeps,
      OBJECTIVE: OBJECTIVE_ID[prob.problem.objective.kind],
    });

    const res = new GpuResources(device, 'PrimalDualSimulation');
    try {
      const paramBytes = PdParamsLayout.pack({ count, perBatch: init.count, coefStride: table.entries, h });
      const uniforms = res.buffer('params', PdParamsLayout.size, UNIFORM_W, new Uint8Array(paramBytes));
      const problem = res.buffer('problem', 4 * problemLength(n, m), STORAGE_R, packProblem(prob));
      const coefBytes = table.entries * PdStepCoefLayout.size;
      const coefData = new Uint8Array(B * coefBytes);
      const batchData = new Uint8Array(B * PdBatchLayout.size);
      const stateData = new Float32Array(count * stride);
      batches.forEach((bp, b) => {
        coefData.set(stepCoefficients(bp, K, h), b * coefBytes);
        batchData.set(new Uint8Array(PdBatchLayout.pack(batchEntry(bp))), b * PdBatchLayout.size);
        stateData.set(packInitial(prob, bp, init), b * init.count * stride);
      });
      const coefs = res.buffer('stepCoefs', B * coefBytes, STORAGE_R, coefData);
      const batchBuffer = res.buffer('batches', B * PdBatchLayout.size, STORAGE_R, batchData);
      const stepper = new StepRangeDispatch(res, K, stepsPerDispatch, 'PrimalDualSimulation.dynamics', 'dynamics');
      const state = res.buffer('state', 4 * count * stride, STORAGE_RW, stateData);
      const diagnostics = res.buffer('diagnostics', 4 * count * (5 + m), STORAGE_RW);
      const entries = [uniforms, problem, coefs, stepper.cursor, state, diagnostics, stepper.status, batchBuffer];
      const bindGroup = device.createBindGroup({
        label: 'PrimalDualSimulation.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: entries.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      stepper.attach(pipeline, bindGroup, workgroups);
      const readback = new ReadbackPool(device, 'PrimalDualSimulation.readback');
      const sim = new PrimalDualSimulation(
        device,
        res,
        readback,
        stepper,
        prob,
        batches,
        { count, perBatch: init.count, K, h },
        state,
        diagnostics,
      );
      sim.step(0);
      return sim;
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** The config's own parameters (batch 0). */
  get params(): DynamicsParams {
    return this.batchParams[0];
  }

  /** Number of batches (1 without compare mode). */
  get batches(): number {
    return this.batchParams.length;
  }

  /** Index of the current grid time (counting steps encoded so far). */
  get k(): number {
    return this.stepper.k;
  }

  get stepsPerDispatch(): number {
    return this.stepper.stepsPerDispatch;
  }

  get t(): number {
    return gridTime(this.params, this, this.stepper.k);
  }

  get steps(): number {
    return this.K;
  }

  get done(): boolean {
    return this.stepper.done;
  }

  /**
   * Encodes up to n steps (fewer at the end of the grid) and returns how many; n = 0 encodes a
   * zero-step dispatch that refreshes the diagnostics. Never awaits. `timestampWrites` is asked
   * once per compute pass (name 'dynamics').
   */
  encodeSteps(
    encoder: GPUCommandEncoder,
    n: number,
    timestampWrites?: (name: string) => GPUComputePassTimestampWrites | undefined,
  ): number {
    this.assertLive();
    // Nothing left to integrate: still run the epilogue so the diagnostics describe the current state.
    if (this.stepper.done || Math.floor(n) <= 0) this.stepper.encodeRange(encoder, this.stepper.k, this.stepper.k, timestampWrites?.('dynamics'));
    return this.stepper.encodeSteps(encoder, n, timestampWrites);
  }

  /** Encodes and submits up to n steps. */
  step(n: number): void {
    const encoder = this.device.createCommandEncoder({ label: 'PrimalDualSimulation.stepEncoder' });
    this.encodeSteps(encoder, n);
    this.device.queue.submit([encoder.finish()]);
  }

  /** The state after all submitted work (never await it in a frame loop). */
  async readState(): Promise<PrimalDualState> {
    this.assertLive();
    const step = this.stepper.k;
    const raw = new Float32Array(await this.readback.read(this.state, 0, 4 * this.count * this.stateStride));
    return { step, t: gridTime(this.params, this, step), count: this.count, n: this.n, m: this.m, raw, ...unpackState(raw, this.count, this.n, this.m) };
  }

  /** The diagnostics at the current time, after all submitted work. */
  async readDiagnostics(): Promise<PrimalDualDiagnostics> {
    this.assertLive();
    const step = this.stepper.k;
    const raw = new Float32Array(await this.readback.read(this.diagnostics, 0, 4 * this.count * this.diagStride));
    return { step, t: gridTime(this.params, this, step), ...unpackDiagnostics(raw, this.count, this.m) };
  }

  /** Whether every state entry is finite (a zero-step dispatch counts non-finite trajectories). */
  async checkFinite(): Promise<{ ok: boolean; firstBad?: number }> {
    this.assertLive();
    return this.stepper.checkFinite(this.device, this.readback);
  }

  /** Continues from `state` (a readState result: device-lost recovery, reloads). */
  restoreState(state: Pick<PrimalDualState, 'step' | 'raw'>): void {
    this.assertLive();
    if (state.raw.length !== this.count * this.stateStride) {
      throw new Error(`state.raw has length ${state.raw.length}, expected count x stateStride = ${this.count * this.stateStride}`);
    }
    this.stepper.moveTo(state.step); // validates the step before anything is uploaded
    this.device.queue.writeBuffer(this.state, 0, state.raw.buffer, state.raw.byteOffset, state.raw.byteLength);
    this.step(0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.res.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('PrimalDualSimulation is disposed');
  }
}

/** One entry per batch, all on the same grid with the same integrator. */
function batchList(params: DynamicsParams | readonly DynamicsParams[]): readonly DynamicsParams[] {
  const list = Array.isArray(params) ? (params as readonly DynamicsParams[]) : [params as DynamicsParams];
  if (list.length < 1) throw new Error('primal-dual: at least one batch of parameters');
  const [first] = list;
  list.forEach((p, b) => {
    if (p.t0 !== first.t0 || p.T !== first.T || p.h !== first.h || p.integrator !== first.integrator) {
      throw new Error(`primal-dual: batch ${b} has another time grid or integrator than batch 0 (compare mode batches share them)`);
    }
  });
  return list;
}

/** A batch's PdBatch entry (xi and cG in float64, rounded once). */
function batchEntry(p: DynamicsParams): Record<(typeof PdBatchLayout.offsets extends Record<infer K, number> ? K : never), number> {
  return { alpha: p.alpha, theta: p.theta, beta: p.beta, p: p.p, xi: p.theta * (p.alpha - 1) - 1, cG: 1 - 2 * p.theta - p.theta * p.p };
}

export function stateStride(n: number, m: number): number {
  return 3 * (n + m) + 4;
}

function problemLength(n: number, m: number): number {
  return m * n + m * m + m + n + n * n + m;
}

/** A | U | sigma^2 | base | Q | lambda*, as dynamics.wgsl reads it. */
function packProblem(prob: PrimalDualProblem): Float32Array {
  const { n, m } = prob;
  const out = new Float32Array(problemLength(n, m));
  let at = 0;
  const put = (v: ArrayLike<number>): void => {
    out.set(v, at);
    at += v.length;
  };
  put(prob.problem.A);
  put(prob.U);
  put(prob.sigma2);
  put(prob.err.base);
  put(prob.err.Q ?? new Float64Array(n * n));
  put(prob.kkt.lambda);
  return out;
}

function packInitial(prob: PrimalDualProblem, params: DynamicsParams, init: InitialStates): Float32Array {
  const { n, m } = prob;
  const S = stateStride(n, m);
  const out = new Float32Array(init.count * S);
  for (let i = 0; i < init.count; i++) {
    const e = init.e.subarray(i * n, (i + 1) * n);
    const l = init.l.subarray(i * m, (i + 1) * m);
    const vx = init.vx.subarray(i * n, (i + 1) * n);
    const vl = init.vl.subarray(i * m, (i + 1) * m);
    const b = i * S;
    out.set(e, b);
    out.set(l, b + n);
    out.set(vx, b + n + m);
    out.set(vl, b + 2 * n + m);
    // Compensations start at the f32 rounding error of e, l, so the GPU starts from the float64 values.
    for (let j = 0; j < n; j++) out[b + 2 * (n + m) + j] = Math.fround(e[j]) - e[j];
    for (let j = 0; j < m; j++) out[b + 2 * (n + m) + n + j] = Math.fround(l[j]) - l[j];
    const d = diagnosticsAt(prob, params, params.t0, e, l, vx, vl);
    out[b + 3 * (n + m)] = d.energy;
    out[b + 3 * (n + m) + 3] = d.rate;
  }
  return out;
}

/**
 * The StepCoef table (stepCoefEntries): for grid point k, t_k and s(t_k); for each rotation
 * substep j of step k its damp, kRot, hs and drift from substepCoefs (the reference's own float64
 * constants); RK4's midpoint a, w, s. Float64, rounded once.
 */
function stepCoefficients(params: DynamicsParams, K: number, h: number): Uint8Array {
  const { alpha, theta, p } = params;
  const { substeps, entries } = stepCoefEntries(params.integrator, K);
  const out = new Uint8Array(entries * PdStepCoefLayout.size);
  for (let k = 0; k <= K; k++) {
    const t = gridTime(params, { K, h }, k);
    const tm = t + h / 2;
    const sm = Math.pow(tm, p);
    // rk4 has no rotation substeps: its entry carries the single full-step rotation constants (unused).
    const subs = params.integrator === 'rk4' ? [rotationCoefs(params, t, h)] : substepCoefs(params, t, h);
    const count = k === K ? 1 : substeps;
    for (let j = 0; j < count; j++) {
      const c = subs[j];
      const entry = PdStepCoefLayout.pack({
        t,
        s: Math.pow(t, p),
        damp: c.damp,
        kRot: c.kRot,
        hs: c.hs,
        aMid: alpha / tm,
        wMid: theta * tm * sm,
        sMid: sm,
        drift: c.drift,
      });
      out.set(new Uint8Array(entry), (k * substeps + j) * PdStepCoefLayout.size);
    }
  }
  return out;
}

function unpackState(raw: Float32Array, count: number, n: number, m: number): Pick<PrimalDualState, 'e' | 'l' | 'vx' | 'vl'> {
  const S = stateStride(n, m);
  const e = new Float32Array(count * n);
  const l = new Float32Array(count * m);
  const vx = new Float32Array(count * n);
  const vl = new Float32Array(count * m);
  for (let i = 0; i < count; i++) {
    const b = i * S;
    e.set(raw.subarray(b, b + n), i * n);
    l.set(raw.subarray(b + n, b + n + m), i * m);
    vx.set(raw.subarray(b + n + m, b + 2 * n + m), i * n);
    vl.set(raw.subarray(b + 2 * n + m, b + 2 * (n + m)), i * m);
  }
  return { e, l, vx, vl };
}

function unpackDiagnostics(raw: Float32Array, count: number, m: number): Omit<PrimalDualDiagnostics, 'step' | 't'> {
  const S = 5 + m;
  const pick = (j: number): Float32Array => Float32Array.from({ length: count }, (_, i) => raw[i * S + j]);
  const Q = new Float32Array(count * m);
  for (let i = 0; i < count; i++) Q.set(raw.subarray(i * S + 5, i * S + 5 + m), i * m);
  return { energy: pick(0), gap: pick(1), feasibility: pick(2), objective: pick(3), defect: pick(4), Q };
}

/**
 * Frame `frame` of `out` from raw copies of a simulation's state and diagnostics buffers (the
 * layouts at the top of this file), all out.batches x out.count trajectories: x = x* + e and
 * lambda = lambda* + l added in float64, then rounded to out's type; trajectory i of batch b goes
 * to out's batch-major cell (b, frame, i). The one unpacking of recorded frames:
 * runPrimalDualOnGpu (CLI) and the page's trajectory buffers (view/run-gpu.ts) both use it.
 */
export function writeFrame<F extends Float32Array | Float64Array>(
  prob: PrimalDualProblem,
  out: PrimalDualFrames<F>,
  frame: number,
  stateRaw: Float32Array,
  diagRaw: Float32Array,
): void {
  const { count, n, m, batches } = out;
  const F = out.t.length;
  const S = stateStride(n, m);
  const D = 5 + m;
  const { x: xs, lambda: ls } = prob.kkt;
  for (let g = 0; g < batches * count; g++) {
    const b = Math.floor(g / count);
    const at = (b * F + frame) * count + (g - b * count);
    const s0 = g * S;
    for (let j = 0; j < n; j++) out.x[at * n + j] = xs[j] + stateRaw[s0 + j];
    for (let j = 0; j < m; j++) out.lambda[at * m + j] = ls[j] + stateRaw[s0 + n + j];
    const d = g * D;
    out.energy[at] = diagRaw[d];
    out.gap[at] = diagRaw[d + 1];
    out.feasibility[at] = diagRaw[d + 2];
    out.objective[at] = diagRaw[d + 3];
    out.defect[at] = diagRaw[d + 4];
    for (let j = 0; j < m; j++) out.Q[at * m + j] = diagRaw[d + 5 + j];
  }
}

/**
 * Runs [t0, T] on the GPU and keeps `record` frames at recordStepsLog(...), like
 * runPrimalDualReference (x = x* + e and lambda = lambda* + l added in float64, then rounded):
 * every batch of `params` (compare mode) in the same buffers and dispatches, frames batch-major.
 * Readbacks are pipelined; a non-finite trajectory at the end throws, naming it (and its batch,
 * with the compared key's value, when `compareKey` is given).
 */
export async function runPrimalDualOnGpu(
  gpu: GpuContext,
  prob: PrimalDualProblem,
  params: DynamicsParams | readonly DynamicsParams[],
  init: InitialStates,
  record: number,
  onProgress?: (f: number) => void,
  tuning: PrimalDualTuning = {},
  compareKey: string | null = null,
): Promise<PrimalDualFrames<Float32Array> & { timings: { totalMs: number } }> {
  const start = performance.now();
  const sim = await PrimalDualSimulation.create(gpu, prob, params, init, tuning);
  const pool = new ReadbackPool(gpu.device, 'runPrimalDualOnGpu.readback', 8);
  try {
    const { n, m, count, K, perBatch } = sim;
    const first = sim.params;
    const steps = recordStepsLog(first.t0, first.T, K, record);
    const t = Float64Array.from(steps, (k) => gridTime(first, sim, k));
    const out = allocFrames((len) => new Float32Array(len), perBatch, n, m, steps, t, sim.batches);
    const stateBytes = 4 * count * sim.stateStride;
    const diagBytes = 4 * count * sim.diagStride;
    const inFlight = new Set<Promise<void>>();
    let reported = 0;
    const report = (f: number): void => {
      if (onProgress && f > reported) onProgress((reported = f));
    };
    const chunk = onProgress ? Math.max(1, Math.ceil(K / 100)) : Infinity;
    for (const [frame, target] of steps.entries()) {
      while (target - sim.k > chunk) {
        sim.step(chunk);
        const f = sim.k / K;
        void gpu.device.queue.onSubmittedWorkDone().then(() => report(f));
      }
      const encoder = gpu.device.createCommandEncoder({ label: 'runPrimalDualOnGpu.frameEncoder' });
      sim.encodeSteps(encoder, target - sim.k);
      let copies: [Promise<ArrayBuffer>, Promise<ArrayBuffer>] | null = null;
      while (!copies) {
        if (pool.maxInFlight - pool.pending >= 2) {
          copies = [pool.request(encoder, sim.state, 0, stateBytes) as Promise<ArrayBuffer>, pool.request(encoder, sim.diagnostics, 0, diagBytes) as Promise<ArrayBuffer>];
        } else await Promise.race(inFlight);
      }
      gpu.device.queue.submit([encoder.finish()]);
      pool.submitted();
      const done: Promise<void> = Promise.all(copies).then(([sb, db]) => {
        writeFrame(prob, out, frame, new Float32Array(sb), new Float32Array(db));
        inFlight.delete(done);
        report(target / K);
      });
      inFlight.add(done);
    }
    await Promise.all(inFlight);
    const finite = await sim.checkFinite();
    if (!finite.ok) {
      const who = finite.firstBad === undefined ? 'a trajectory' : trajectoryName(finite.firstBad, perBatch, compareKey, sim.batchParams);
      throw new Error(`primal-dual GPU run: ${who} became non-finite (integrator ${first.integrator}, h = ${sim.h}); try a smaller h or the rotation integrator`);
    }
    return { ...out, timings: { totalMs: performance.now() - start } };
  } finally {
    pool.dispose();
    sim.dispose();
  }
}
