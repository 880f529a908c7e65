// GPU orchestration of the transformer lab's forward flow, DOM-free (page, CLI and tests run this
// same code). Owns the parameter, log-weight, state and scratch buffers and the kernel
// shaders/transformer/attention-forward.wgsl; the float64 twin is forward() in reference.ts.
//
// API:
//   TransformerSimulation.create(gpu, heads, batch, options?)   heads: Heads (f64, rounded to f32
//       once), batch: TokenBatch, options: FlowOptions (default Euler, no sphere) + workgroupSize
//   sim.encodeForward(encoder) / sim.forward()    all L layers in one encoder, never awaits
//   sim.encodeForwardIndirect(encoder, args)      the same dispatches with GPU-written workgroup
//       counts (args: [x, y, z] u32; [0, 0, 0] makes it a no-op), grid in sim.forwardWorkgroups
//   sim.readStates(): (L+1) x batch x rows x d    (rows = n + 1 with query tokens, else n)
//   sim.readTokens(): (L+1) x batch x n x d       (the token rows only)
//   sim.dispose()
//   sim.states: the GPUBuffer (layout of readStates), e.g. for a renderer
//   sim.buffers (Q, K, V, logPi, scratch, norms) and sim.encodePredictor(pass, l): used by
//       TransformerBackward (backward.ts) and TransformerTrainer (trainer.ts), which update Q, K,
//       V in place; sim.uploadHeads / sim.uploadTokens re-upload them (same shapes)
//   norms (sphere only): |Y| of every row of every layer's unnormalised step, L x batch x rows,
//       written by the forward kernel; the sphere backward projects the cotangent with it
//
// Each layer is one dispatch (Euler) or two (Heun: predictor into `scratch`, corrector into
// X^{l+1}); the layer index and the state offsets reach the kernel through per-dispatch slots of
// one uniform buffer (each bind group binds its slot at a fixed offset aligned to
// minUniformBufferOffsetAlignment), written once at creation, so the whole pass is encoded
// before anything is submitted and no queue.writeBuffer is interleaved.

import type { GpuContext } from '../../gpu/device';
import { checkWorkgroupSize, dispatchGrid } from '../../gpu/dispatch';
import { GpuLimitError, assertStorageFits } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
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
] as const);

/** Kernel limits: private arrays of the WGSL are sized MAXD = 8, MAXK = 16. */
export const MAX_D = 8;
export const MAX_K = 16;
export const DEFAULT_WORKGROUP = 64;

const SHADER = 'transformer/attention-forward.wgsl';

export interface TransformerOptions extends FlowOptions {
  workgroupSize?: number;
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

export class TransformerSimulation {
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly dispatches: Dispatch[],
    private readonly workgroups: [number, number],
    readonly L: number,
    readonly batch: number,
    readonly n: number,
    readonly rows: number,
    readonly d: number,
    /** (L+1) x batch x rows x d, f32. */
    readonly states: GPUBuffer,
    /**
     * Q, K, V (f32, layouts of Heads), logPi, the Heun scratch Xt | v(X) (2 x batch x rows x d)
     * and the sphere norms |Y| (L x batch x rows; written only with sphere).
     */
    readonly buffers: { Q: GPUBuffer; K: GPUBuffer; V: GPUBuffer; logPi: GPUBuffer; scratch: GPUBuffer; norms: GPUBuffer },
    readonly H: number,
    readonly k: number,
    readonly stepper: 'euler' | 'heun',
    readonly sphere: boolean,
  ) {}

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
    const workgroups = dispatchGrid(device, 'batch x row tiles', batch * tiles * wg, wg);
    const constants = { D: d, KQ: k, WG: wg, SPHERE: sphere ? 1 : 0 };
    const cache = pipelineCacheFor(device);
    const stages = stepper === 'euler' ? [0] : [1, 2];
    const pipelines = await Promise.all(stages.map((STAGE) => cache.compute(SHADER, 'main', { ...constants, STAGE })));

    const res = new GpuResources(device, 'TransformerSimulation');
    try {
      const slot = Math.max(TfParamsLayout.size, device.limits.minUniformBufferOffsetAlignment);
      const count = L * stages.length;
      const uniformBytes = new Uint8Array(count * slot);
      for (let l = 0; l < L; l++)
        for (let s = 0; s < stages.length; s++) {
          const packed = TfParamsLayout.pack({ batch, n, rows, heads: H, layer: l, inOff: l * stateLen, outOff: (l + 1) * stateLen, dt: 1 / L });
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
      const dispatches: Dispatch[] = [];
      for (let l = 0; l < L; l++)
        stages.forEach((_, s) => {
          const pipeline = pipelines[s];
          const bindGroup = device.createBindGroup({
            label: `TransformerSimulation.bindGroup[${l}.${s}]`,
            layout: pipeline.getBindGroupLayout(0),
            entries: [
              { binding: 0, resource: { buffer: uniforms, offset: (l * stages.length + s) * slot, size: TfParamsLayout.size } },
              ...[q, kb, v, logPi, states, scratch, norms].map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
            ],
          });
          dispatches.push({ pipeline, bindGroup });
        });
      const readback = new ReadbackPool(device, 'TransformerSimulation.readback');
      return new TransformerSimulation(device, res, readback, dispatches, workgroups, L, batch, n, rows, d, states, { Q: q, K: kb, V: v, logPi, scratch, norms }, H, k, stepper, sphere);
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** Encodes X^1..X^L (one compute pass, L or 2L dispatches in order). Never awaits. */
  encodeForward(encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites): void {
    this.assertLive();
    const pass = encoder.beginComputePass({ label: 'TransformerSimulation.forward', timestampWrites });
    for (const { pipeline, bindGroup } of this.dispatches) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(this.workgroups[0], this.workgroups[1]);
    }
    pass.end();
  }

  /** Workgroup grid [x, y] of every forward dispatch (what encodeForwardIndirect's args hold to run). */
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
    for (const { pipeline, bindGroup } of this.dispatches) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroupsIndirect(args, offset);
    }
    pass.end();
  }

  /**
   * Encodes the dispatch(es) that recompute layer l's Heun predictor Xt = X^l + dt v_l(X^l) into
   * buffers.scratch (the backward pass needs it); only for the Heun stepper.
   */
  encodePredictor(pass: GPUComputePassEncoder, l: number): void {
    this.assertLive();
    if (this.stepper !== 'heun') throw new Error('encodePredictor: only the Heun stepper has a predictor');
    const { pipeline, bindGroup } = this.dispatches[2 * l];
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(this.workgroups[0], this.workgroups[1]);
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
