// GPU orchestration of the transformer lab's forward flow, DOM-free (page, CLI and tests run this
// same code). Owns the parameter, log-weight, state, scratch and per-head softmax buffers and the
// kernels shaders/transformer/attention-forward.wgsl (one workgroup per (sequence, head, row
// tile): a_i and LSE2_i per head) and attention-forward-sum.wgsl (mean over heads and the step);
// the float64 twin is forward() in reference.ts.
//
// API:
//   TransformerSimulation.create(gpu, heads, batch, options?)   heads: Heads (f64, rounded to f32
//       once), batch: TokenBatch, options: FlowOptions (default Euler, no sphere) + workgroupSize
//   sim.encodeForward(encoder) / sim.forward()    all L layers in one encoder, never awaits
//   sim.encodeForwardIndirect(encoder, args)      the same dispatches with GPU-written workgroup
//       counts (args: [x, y, z] u32; [0, 0, 0] makes it a no-op), grid in sim.forwardWorkgroups
//       (the per-head kernel's grid; the sum kernel skips the workgroups it does not need)
//   sim.readStates(): (L+1) x batch x rows x d    (rows = n + 1 with query tokens, else n)
//   sim.readTokens(): (L+1) x batch x n x d       (the token rows only)
//   sim.dispose()
//   sim.states: the GPUBuffer (layout of readStates), e.g. for a renderer
//   sim.buffers (Q, K, V, logPi, scratch, norms, headStates) and sim.encodePredictor(pass, l):
//       used by TransformerBackward (backward.ts) and TransformerTrainer (trainer.ts), which
//       update Q, K, V in place; sim.uploadHeads / sim.uploadTokens re-upload them (same shapes)
//   headStates: per (slot, sequence, head, row) a_i (d) | LSE2_i (log2(e) times the row's
//       log-sum-exp). With sim.savesHeadStates there is one slot per (layer, stage), kept for the
//       backward (headStateOffset(l, s)); otherwise (memory.ts headStateSlots: over
//       HEAD_STATE_BUDGET) one slot that every dispatch reuses and the backward refills with
//       sim.encodeHeadStates(pass, l, s) before each layer's VJP
//   norms (sphere only): |Y| of every row of every layer's unnormalised step, L x batch x rows,
//       written by the forward kernel; the sphere backward projects the cotangent with it
//
// Each layer is one stage (Euler) or two (Heun: predictor into `scratch`, corrector into X^{l+1}),
// and each stage two dispatches (per-head softmax, then the sum pass); the layer index and the
// state and slot offsets reach the kernels through per-stage slots of one uniform buffer (each
// bind group binds its slot at a fixed offset aligned to minUniformBufferOffsetAlignment),
// written once at creation, so the whole pass is encoded before anything is submitted and no
// queue.writeBuffer is interleaved.

import type { GpuContext } from '../../gpu/device';
import { checkWorkgroupSize, dispatchGrid } from '../../gpu/dispatch';
import { GpuLimitError, assertStorageFits } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { HEAD_STATE_BUDGET, headStateSlots } from './memory';
import { initialState, rowsOf } from './reference';
import type { FlowOptions, Heads, TokenBatch } from './types';

export const TfParamsLayout = structLayout('TfParams', [
  ['batch', 'u32'],
  ['n', 'u32'],
  ['rows', 'u32'],
  ['heads', 'u32'],
  ['layer', 'u32'],
  ['inOff', 'u32'],
  ['outOff', 'u32'],
  ['dt', 'f32'],
  ['headOff', 'u32'],
] as const);

/** Kernel limits: private arrays of the WGSL are sized MAXD = 8, MAXK = 16. */
export const MAX_D = 8;
export const MAX_K = 16;
export const DEFAULT_WORKGROUP = 64;

const HEADS_SHADER = 'transformer/attention-forward.wgsl';
const SUM_SHADER = 'transformer/attention-forward-sum.wgsl';

export interface TransformerOptions extends FlowOptions {
  workgroupSize?: number;
  /**
   * Keep every (layer, stage)'s per-head softmax state for the backward (default: when it fits
   * HEAD_STATE_BUDGET and the device's buffer limits). false forces the one-slot mode, in which
   * the backward recomputes it (tests use it to cover that path).
   */
  saveHeadStates?: boolean;
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number];
}

/** One stage of one layer: the per-head kernel, then the sum pass. */
interface Stage {
  heads: Dispatch;
  sum: Dispatch;
}

export class TransformerSimulation {
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    /** Per (layer, stage), in order: l * stages + s. */
    private readonly stagesList: Stage[],
    private readonly workgroups: [number, number],
    readonly L: number,
    readonly batch: number,
    readonly n: number,
    readonly rows: number,
    readonly d: number,
    /** (L+1) x batch x rows x d, f32. */
    readonly states: GPUBuffer,
    /**
     * Q, K, V (f32, layouts of Heads), logPi, the Heun scratch Xt | v(X) (2 x batch x rows x d),
     * the sphere norms |Y| (L x batch x rows; written only with sphere) and the per-head softmax
     * state headStates (slots of batch x H x rows x (d + 1): a_i | LSE2_i).
     */
    readonly buffers: { Q: GPUBuffer; K: GPUBuffer; V: GPUBuffer; logPi: GPUBuffer; scratch: GPUBuffer; norms: GPUBuffer; headStates: GPUBuffer },
    readonly H: number,
    readonly k: number,
    readonly stepper: 'euler' | 'heun',
    readonly sphere: boolean,
    /** One headStates slot per (layer, stage), kept after the forward (else one reused slot). */
    readonly savesHeadStates: boolean,
  ) {}

  /** Floats of one headStates slot: batch x H x rows x (d + 1). */
  get headSlotLength(): number {
    return this.batch * this.H * this.rows * (this.d + 1);
  }

  /** Element offset in buffers.headStates of stage s (0, or Heun 0 predictor / 1 corrector) of layer l. */
  headStateOffset(l: number, s: number): number {
    const perLayer = this.stepper === 'heun' ? 2 : 1;
    return this.savesHeadStates ? (l * perLayer + s) * this.headSlotLength : 0;
  }

  /**
   * Checks sizes (GpuLimitError names the field), compiles the specialised kernels, uploads the
   * heads, log-weights and X^0 (f32), and prepares one bind group per dispatch.
   */
  static async create(gpu: GpuContext, heads: Heads, tb: TokenBatch, options: Partial<TransformerOptions> = {}): Promise<TransformerSimulation> {
    const { device } = gpu;
    const stepper = options.stepper ?? 'euler';
    const sphere = options.sphere ?? false;
    const { L, H, k, d } = heads;
    const { batch, n } = tb;
    if (tb.d !== d) throw new Error(`tokens have d = ${tb.d} but the heads d = ${d}`);
    if (!(d >= 1 && d <= MAX_D)) throw new GpuLimitError('d', d, MAX_D, 'the kernel keeps a token in registers');
    if (!(k >= 1 && k <= MAX_K)) throw new GpuLimitError('k', k, MAX_K, 'the kernel keeps Q z in registers');
    for (const [name, v] of [['L', L], ['H', H], ['batch', batch], ['n', n]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${name} must be a positive integer, got ${v}`);
    }
    if (heads.Q.length !== L * H * k * d || heads.K.length !== L * H * k * d || heads.V.length !== L * H * d * d) {
      throw new Error(`heads: expected Q, K of L*H*k*d = ${L * H * k * d} and V of L*H*d*d = ${L * H * d * d} entries`);
    }
    if (tb.x.length !== batch * n * d || tb.logPi.length !== batch * n) {
      throw new Error(`tokens: expected x of batch*n*d = ${batch * n * d} and logPi of batch*n = ${batch * n} entries`);
    }
    const rows = rowsOf(tb);
    const stateLen = batch * rows * d;
    assertStorageFits(device, 'states (L+1) x batch x rows', (L + 1) * batch * rows, 4 * d);
    const wg = options.workgroupSize ?? DEFAULT_WORKGROUP;
    checkWorkgroupSize(device, wg);
    const tiles = Math.ceil(rows / wg);
    const workgroups = dispatchGrid(device, 'batch x heads x row tiles', batch * H * tiles * wg, wg);
    const sumGrid = dispatchGrid(device, 'batch x rows', batch * rows, wg);
    const cache = pipelineCacheFor(device);
    const stages = stepper === 'euler' ? [0] : [1, 2];
    const headPipes = await Promise.all(stages.map((STAGE) => cache.compute(HEADS_SHADER, 'main', { D: d, KQ: k, WG: wg, STAGE })));
    const sumPipes = await Promise.all(stages.map((STAGE) => cache.compute(SUM_SHADER, 'main', { D: d, WG: wg, STAGE, SPHERE: sphere ? 1 : 0 })));
    // The per-head softmax state: one slot per (layer, stage) when it fits (the backward then
    // reads LSE and a instead of recomputing them), else one slot.
    const slotLen = batch * H * rows * (d + 1);
    assertStorageFits(device, 'per-head softmax state batch x H x rows', batch * H * rows, 4 * (d + 1));
    const cap = Math.min(HEAD_STATE_BUDGET, device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const fitting = headStateSlots(L, stages.length, batch, H, rows, d, cap) > 1 || L * stages.length === 1;
    const saves = options.saveHeadStates ?? fitting;
    if (saves && !fitting) throw new GpuLimitError('saveHeadStates bytes', 4 * L * stages.length * slotLen, cap, 'per-head softmax state of every layer and stage');
    const slots = saves ? L * stages.length : 1;

    const res = new GpuResources(device, 'TransformerSimulation');
    try {
      const slot = Math.max(TfParamsLayout.size, device.limits.minUniformBufferOffsetAlignment);
      const count = L * stages.length;
      const uniformBytes = new Uint8Array(count * slot);
      for (let l = 0; l < L; l++)
        for (let s = 0; s < stages.length; s++) {
          const headOff = saves ? (l * stages.length + s) * slotLen : 0;
          const packed = TfParamsLayout.pack({ batch, n, rows, heads: H, layer: l, inOff: l * stateLen, outOff: (l + 1) * stateLen, dt: 1 / L, headOff });
          uniformBytes.set(new Uint8Array(packed), (l * stages.length + s) * slot);
        }
      const uniforms = res.buffer('params', uniformBytes.byteLength, UNIFORM_W, uniformBytes);
      const q = res.buffer('Q', 4 * heads.Q.length, STORAGE_RW, Float32Array.from(heads.Q));
      const kb = res.buffer('K', 4 * heads.K.length, STORAGE_RW, Float32Array.from(heads.K));
      const v = res.buffer('V', 4 * heads.V.length, STORAGE_RW, Float32Array.from(heads.V));
      const logPi = res.buffer('logPi', 4 * tb.logPi.length, STORAGE_R, Float32Array.from(tb.logPi));
      const init = new Float32Array((L + 1) * stateLen);
      init.set(initialState(tb));
      const states = res.buffer('states', init.byteLength, STORAGE_RW, init);
      const scratch = res.buffer('scratch', 4 * (stepper === 'heun' ? 2 * stateLen : 1), STORAGE_RW);
      const norms = res.buffer('norms', 4 * (sphere ? L * batch * rows : 1), STORAGE_RW);
      const headStates = res.buffer('headStates', 4 * slots * slotLen, STORAGE_RW);
      const bind = (pipeline: GPUComputePipeline, name: string, off: number, buffers: GPUBuffer[]): GPUBindGroup =>
        device.createBindGroup({
          label: `TransformerSimulation.${name}`,
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: { buffer: uniforms, offset: off, size: TfParamsLayout.size } },
            ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
          ],
        });
      const list: Stage[] = [];
      for (let l = 0; l < L; l++)
        stages.forEach((_, s) => {
          const off = (l * stages.length + s) * slot;
          list.push({
            heads: { pipeline: headPipes[s], grid: workgroups, bindGroup: bind(headPipes[s], `headsBindGroup[${l}.${s}]`, off, [q, kb, logPi, states, scratch, headStates]) },
            sum: { pipeline: sumPipes[s], grid: sumGrid, bindGroup: bind(sumPipes[s], `sumBindGroup[${l}.${s}]`, off, [v, headStates, states, scratch, norms]) },
          });
        });
      const readback = new ReadbackPool(device, 'TransformerSimulation.readback');
      return new TransformerSimulation(device, res, readback, list, workgroups, L, batch, n, rows, d, states, { Q: q, K: kb, V: v, logPi, scratch, norms, headStates }, H, k, stepper, sphere, saves);
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** Encodes X^1..X^L (one compute pass, L or 2L dispatches in order). Never awaits. */
  encodeForward(encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void {
    this.assertLive();
    const pass = encoder.beginComputePass({ label: 'TransformerSimulation.forward', timestampWrites });
    for (const st of this.stagesList) {
      dispatch(pass, st.heads);
      dispatch(pass, st.sum);
    }
    pass.end();
  }

  /**
   * Workgroup grid [x, y] of the per-head dispatches, the largest of the forward (what
   * encodeForwardIndirect's args hold to run; the sum kernel skips workgroups past its rows).
   */
  get forwardWorkgroups(): [number, number] {
    return [this.workgroups[0], this.workgroups[1]];
  }

  /**
   * encodeForward with the workgroup counts read from `args` (u32 [x, y, z] at `offset`, a buffer
   * with INDIRECT usage) by every dispatch: a kernel can decide on the GPU whether the forward
   * pass runs (forwardWorkgroups) or not ([0, 0, 0]). Never awaits.
   */
  encodeForwardIndirect(encoder: GPUCommandEncoder, args: GPUBuffer, offset = 0): void {
    this.assertLive();
    const pass = encoder.beginComputePass({ label: 'TransformerSimulation.forwardIndirect' });
    for (const st of this.stagesList)
      for (const { pipeline, bindGroup } of [st.heads, st.sum]) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroupsIndirect(args, offset);
      }
    pass.end();
  }

  /**
   * Encodes the dispatches that recompute layer l's Heun predictor Xt = X^l + dt v_l(X^l) into
   * buffers.scratch (the backward pass needs it; its head states land in slot (l, 0) again, the
   * same bits); only for the Heun stepper.
   */
  encodePredictor(pass: GPUComputePassEncoder, l: number): void {
    this.assertLive();
    if (this.stepper !== 'heun') throw new Error('encodePredictor: only the Heun stepper has a predictor');
    const st = this.stagesList[2 * l];
    dispatch(pass, st.heads);
    dispatch(pass, st.sum);
  }

  /**
   * Encodes the per-head kernel of stage s of layer l alone (its a_i | LSE2_i into
   * headStateOffset(l, s)): what the backward runs before each VJP when !savesHeadStates. The
   * attended state must be in place (X^l; for the Heun corrector Xt in scratch).
   */
  encodeHeadStates(pass: GPUComputePassEncoder, l: number, s: number): void {
    this.assertLive();
    dispatch(pass, this.stagesList[l * (this.stepper === 'heun' ? 2 : 1) + s].heads);
  }

  /** Re-uploads Q, K, V (queue.writeBuffer, f32): same L, H, k, d. */
  uploadHeads(heads: Heads): void {
    this.assertLive();
    const { L, H, k, d } = this;
    if (heads.L !== L || heads.H !== H || heads.k !== k || heads.d !== d) {
      throw new Error(`heads: expected L, H, k, d = ${L}, ${H}, ${k}, ${d}, got ${heads.L}, ${heads.H}, ${heads.k}, ${heads.d}`);
    }
    if (heads.Q.length !== L * H * k * d || heads.K.length !== L * H * k * d || heads.V.length !== L * H * d * d) {
      throw new Error(`heads: expected Q, K of L*H*k*d = ${L * H * k * d} and V of L*H*d*d = ${L * H * d * d} entries`);
    }
    this.device.queue.writeBuffer(this.buffers.Q, 0, Float32Array.from(heads.Q));
    this.device.queue.writeBuffer(this.buffers.K, 0, Float32Array.from(heads.K));
    this.device.queue.writeBuffer(this.buffers.V, 0, Float32Array.from(heads.V));
  }

  /** Re-uploads X^0 and logPi (queue.writeBuffer, f32): same batch, n, d and query rows. */
  uploadTokens(tb: TokenBatch): void {
    this.assertLive();
    const { batch, n, d } = this;
    if (tb.batch !== batch || tb.n !== n || tb.d !== d || rowsOf(tb) !== this.rows) {
      throw new Error(`tokens: expected batch, n, d, rows = ${batch}, ${n}, ${d}, ${this.rows}, got ${tb.batch}, ${tb.n}, ${tb.d}, ${rowsOf(tb)}`);
    }
    if (tb.x.length !== batch * n * d || tb.logPi.length !== batch * n) {
      throw new Error(`tokens: expected x of batch*n*d = ${batch * n * d} and logPi of batch*n = ${batch * n} entries`);
    }
    this.device.queue.writeBuffer(this.buffers.logPi, 0, Float32Array.from(tb.logPi));
    this.device.queue.writeBuffer(this.states, 0, Float32Array.from(initialState(tb)));
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Encodes and submits the whole forward pass. */
  forward(): void {
    const encoder = this.device.createCommandEncoder({ label: 'TransformerSimulation.forwardEncoder' });
    this.encodeForward(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  /** X^0..X^L after all submitted work: (L+1) x batch x rows x d. */
  async readStates(): Promise<Float32Array> {
    this.assertLive();
    return new Float32Array(await this.readback.read(this.states, 0, 4 * (this.L + 1) * this.batch * this.rows * this.d));
  }

  /** The token rows of X^0..X^L: (L+1) x batch x n x d (query rows dropped). */
  async readTokens(): Promise<Float32Array> {
    const all = await this.readStates();
    if (this.rows === this.n) return all;
    const { n, d, rows } = this;
    const out = new Float32Array((this.L + 1) * this.batch * n * d);
    for (let s = 0; s < (this.L + 1) * this.batch; s++) out.set(all.subarray(s * rows * d, (s * rows + n) * d), s * n * d);
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.res.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('TransformerSimulation is disposed');
  }
}

function dispatch(pass: GPUComputePassEncoder, { pipeline, bindGroup, grid }: Dispatch): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(grid[0], grid[1]);
}
