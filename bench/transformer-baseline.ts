// Bench baseline of the transformer attention (bench/transformer.ts): the kernels as they were
// before issue 13 item 3, kept verbatim under shaders/bench/ (transformer-attention-forward.wgsl:
// one workgroup per (sequence, row tile) with the heads looped inside, two exp per pair;
// transformer-attention-vjp-rows/-keys.wgsl: softmax recomputed, three exp per pair in the rows
// pass; transformer-head-gradients.wgsl: one invocation per parameter summing every term), so the
// bench prints the new kernels' rates against the old ones measured in the same run.
//
// Euler without sphere only (the bench's flow). It shares the simulation's Q, K, V, log pi and
// state buffers (the old forward writes the same X^1..X^L layout) and owns its uniforms, scratch
// and backward buffers, with the bindings and uniform layouts the old host code had.

import type { GpuContext } from '../src/gpu/device';
import { dispatchGrid } from '../src/gpu/dispatch';
import { pipelineCacheFor } from '../src/gpu/pipelines';
import { ReadbackPool } from '../src/gpu/readback';
import { GpuResources } from '../src/gpu/resources';
import { structLayout } from '../src/gpu/struct-layout';
import { STORAGE_RW, UNIFORM_W } from '../src/gpu/usage';
import type { TransformerSimulation } from '../src/labs/transformer/simulation';

/** The uniforms of the old forward kernel (TfParams before headOff). */
const OldTfParams = structLayout('TfParams', [
  ['batch', 'u32'],
  ['n', 'u32'],
  ['rows', 'u32'],
  ['heads', 'u32'],
  ['layer', 'u32'],
  ['inOff', 'u32'],
  ['outOff', 'u32'],
  ['dt', 'f32'],
] as const);

/** The uniforms of the old backward kernels (BwParams with `pad`). */
const OldBwParams = structLayout('BwParams', [
  ['batch', 'u32'],
  ['n', 'u32'],
  ['rows', 'u32'],
  ['heads', 'u32'],
  ['layer', 'u32'],
  ['zOff', 'u32'],
  ['uScale', 'f32'],
  ['pad', 'u32'],
] as const);

interface Step {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number];
}

/** The old kernels, in dispatch order: forward, then the backward's rows, keys and head-gradient passes. */
export const BASELINE_SHADERS = [
  'bench/transformer-attention-forward.wgsl',
  'bench/transformer-attention-vjp-rows.wgsl',
  'bench/transformer-attention-vjp-keys.wgsl',
  'bench/transformer-head-gradients.wgsl',
] as const;

export class BaselineAttention {
  private constructor(
    private readonly res: GpuResources,
    private readonly forwardSteps: Step[],
    private readonly backwardSteps: Step[],
    private readonly cot: GPUBuffer,
    private readonly grads: GPUBuffer[],
    private readonly sizes: number[],
  ) {}

  static async create(gpu: GpuContext, sim: TransformerSimulation, wg = 64): Promise<BaselineAttention> {
    const { device } = gpu;
    if (sim.stepper !== 'euler' || sim.sphere) throw new Error('the bench baseline runs Euler without sphere only');
    const { L, H, k, d, batch, n, rows } = sim;
    const S = batch * rows * d;
    const cache = pipelineCacheFor(device);
    const c = { D: d, KQ: k, WG: wg };
    const [fwdPipe, rowsPipe, keysPipe, gradPipe] = await Promise.all(
      BASELINE_SHADERS.map((path, i) => cache.compute(path, 'main', i === 0 ? { ...c, STAGE: 0, SPHERE: 0 } : c)),
    );
    const tiles = Math.ceil(rows / wg);
    const fwdGrid = dispatchGrid(device, 'batch x row tiles', batch * tiles * wg, wg);
    const rowsGrid = dispatchGrid(device, 'batch x heads x row tiles', batch * H * tiles * wg, wg);
    const gradGrid = dispatchGrid(device, 'head parameters of a layer', H * (2 * k * d + d * d), wg);
    const res = new GpuResources(device, 'BenchBaseline');
    const slot = Math.max(OldTfParams.size, OldBwParams.size, device.limits.minUniformBufferOffsetAlignment);
    const ub = new Uint8Array(2 * L * slot);
    for (let l = 0; l < L; l++) {
      ub.set(new Uint8Array(OldTfParams.pack({ batch, n, rows, heads: H, layer: l, inOff: l * S, outOff: (l + 1) * S, dt: 1 / L })), l * slot);
      ub.set(new Uint8Array(OldBwParams.pack({ batch, n, rows, heads: H, layer: l, zOff: l * S, uScale: 1 / L / H, pad: 0 })), (L + l) * slot);
    }
    const uniforms = res.buffer('params', ub.byteLength, UNIFORM_W, ub);
    const scratch = res.buffer('scratch', 4, STORAGE_RW);
    const norms = res.buffer('norms', 4, STORAGE_RW);
    const stride = 2 * k + 2 * d + 2;
    const rowbuf = res.buffer('rowQuantities', 4 * batch * H * rows * stride, STORAGE_RW);
    const keybuf = res.buffer('keyCotangents', 4 * batch * H * rows * k, STORAGE_RW);
    const cot = [res.buffer('cotangentA', 4 * S, STORAGE_RW), res.buffer('cotangentB', 4 * S, STORAGE_RW)];
    const sizes = [L * H * k * d, L * H * k * d, L * H * d * d];
    const grads = sizes.map((m, i) => res.buffer(['dQ', 'dK', 'dV'][i], 4 * m, STORAGE_RW));
    const { Q, K, V, logPi } = sim.buffers;
    const step = (pipeline: GPUComputePipeline, grid: [number, number], off: number, size: number, buffers: GPUBuffer[]): Step => ({
      pipeline,
      grid,
      bindGroup: device.createBindGroup({
        label: 'BenchBaseline.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: uniforms, offset: off, size } }, ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))],
      }),
    });
    const forwardSteps = Array.from({ length: L }, (_, l) => step(fwdPipe, fwdGrid, l * slot, OldTfParams.size, [Q, K, V, logPi, sim.states, scratch, norms]));
    const backwardSteps: Step[] = [];
    let cur = 0;
    for (let l = L - 1; l >= 0; l--) {
      const off = (L + l) * slot;
      const [P, next] = [cot[cur], cot[1 - cur]];
      backwardSteps.push(
        step(rowsPipe, rowsGrid, off, OldBwParams.size, [Q, K, V, logPi, sim.states, P, rowbuf]),
        step(keysPipe, fwdGrid, off, OldBwParams.size, [Q, K, logPi, sim.states, P, rowbuf, keybuf, next]),
        step(gradPipe, gradGrid, off, OldBwParams.size, [sim.states, P, rowbuf, keybuf, ...grads]),
      );
      cur = 1 - cur;
    }
    return new BaselineAttention(res, forwardSteps, backwardSteps, cot[0], grads, sizes);
  }

  encodeForward(encoder: GPUCommandEncoder): void {
    this.encode(encoder, this.forwardSteps, 'BenchBaseline.forward');
  }

  /** The adjoint of the whole flow from the cotangent uploaded with setCotangent (gradients cleared first). */
  encodeBackward(encoder: GPUCommandEncoder): void {
    for (const g of this.grads) encoder.clearBuffer(g);
    this.encode(encoder, this.backwardSteps, 'BenchBaseline.backward');
  }

  setCotangent(device: GPUDevice, P: ArrayLike<number>): void {
    device.queue.writeBuffer(this.cot, 0, Float32Array.from(P));
  }

  /** dQ, dK, dV of the last backward (for the bench's cross-check against the new kernels). */
  async readGradients(device: GPUDevice): Promise<Float32Array[]> {
    const pool = new ReadbackPool(device, 'BenchBaseline.readback');
    try {
      return (await Promise.all(this.grads.map((g, i) => pool.read(g, 0, 4 * this.sizes[i])))).map((b) => new Float32Array(b));
    } finally {
      pool.dispose();
    }
  }

  dispose(): void {
    this.res.dispose();
  }

  private encode(encoder: GPUCommandEncoder, steps: Step[], label: string): void {
    const pass = encoder.beginComputePass({ label });
    for (const s of steps) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.grid[0], s.grid[1]);
    }
    pass.end();
  }
}
