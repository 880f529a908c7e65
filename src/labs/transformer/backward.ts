// GPU adjoint of the transformer flow and the training update, for a TransformerSimulation whose
// forward() has filled its per-layer states (NUMERICS.md "Backward" and "Training"; the float64
// twins are backward() and trainStep() in reference.ts). Euler and Heun, with or without the
// sphere normalisation.
//
// API:
//   TransformerBackward.create(gpu, sim, workgroupSize?)
//   bw.encodeBackward(encoder) / bw.backward(P)   P = dR/dX^L (batch x rows x d, float64, uploaded
//       with queue.writeBuffer before the submit); all L layers in one compute pass, no awaits
//   bw.readGradients(): { dQ, dK, dV, dX, dQuery } (f32, layouts of Gradients)
//   bw.update(tau): theta <- theta - tau L H dR/dtheta on the simulation's Q, K, V buffers
//       (unconditional; TransformerTrainer has the guarded, counted variant)
//   bw.cotangentIn: the buffer encodeBackward reads dR/dX^L from (the trainer's readout kernel
//       writes it; with sphere the backward overwrites it with its projection)
//   bw.gradientBuffers: { dQ, dK, dV } (f32 on the GPU, for the trainer's update)
//   bw.dispose()
//
// Per layer l (from L-1 down to 0), P the cotangent of X^{l+1}, S = batch x rows x d:
//   sphere: first P <- (P - y <y, P>)/|Y| in place (sphere-project.wgsl; y = X^{l+1}, |Y| from
//          sim.buffers.norms, written by the forward pass), then as below with that P.
//   Euler: one VJP at Z = X^l with U = dt/H P and addend P (out = P + J^T U).
//   Heun:  forward predictor (Xt into sim.buffers.scratch); a VJP at Z = Xt with U = dt/(2H) P
//          and addend 0 (-> Pt); combine u = P/2 + Pt, s = P + Pt; a VJP at Z = X^l with
//          U = dt/H u and addend s.
// One VJP = rows pass (attention-vjp-rows.wgsl: reads the forward's a_i and LSE2_i of the
//   matching (layer, stage) slot of sim.buffers.headStates; one exp2 per pair), key pass
//   (attention-vjp-keys.wgsl, one workgroup per (sequence, head, row tile): per-head parts of the
//   state cotangent), head sum (attention-vjp-sum.wgsl: out = addend + sum over heads in order),
//   head gradients (head-gradients.wgsl: per-chunk sums, head-gradients-sum.wgsl: the chunks in
//   order, += into dQ, dK, dV). When the simulation does not keep a slot per (layer, stage)
//   (!sim.savesHeadStates, large runs), each VJP is preceded by sim.encodeHeadStates, which
//   recomputes that stage's a_i and LSE2_i into the one slot (one more exp2 per pair).
// Every dispatch's (layer, zOff, uScale, headOff) is a slot of one uniform buffer written at creation.

import type { GpuContext } from '../../gpu/device';
import { checkWorkgroupSize, dispatchGrid } from '../../gpu/dispatch';
import { assertStorageFits } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import type { TransformerSimulation } from './simulation';

export const BwParamsLayout = structLayout('BwParams', [
  ['batch', 'u32'],
  ['n', 'u32'],
  ['rows', 'u32'],
  ['heads', 'u32'],
  ['layer', 'u32'],
  ['zOff', 'u32'],
  ['uScale', 'f32'],
  ['headOff', 'u32'],
] as const);

export const UpdateParamsLayout = structLayout('UpdateParams', [
  ['qkCount', 'u32'],
  ['vCount', 'u32'],
  ['factor', 'f32'],
] as const);

export const CombineParamsLayout = structLayout('CombineParams', [['count', 'u32']] as const);

export interface GpuGradients {
  dQ: Float32Array;
  dK: Float32Array;
  dV: Float32Array;
  /** batch x n x d. */
  dX: Float32Array;
  /** batch x d, or null without query tokens. */
  dQuery: Float32Array | null;
}

type Grid = [number, number];
interface Step {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: Grid;
}
/** What the simulation encodes inside the backward: the Heun predictor, or a stage's head states. */
type SimStep = { kind: 'predictor' } | { kind: 'headStates'; stage: number };

/** Terms per invocation of head-gradients.wgsl (its override PER; memory.ts GRADIENT_CHUNK_ROWS = 64 PER). */
const GRADIENT_PER = 8;

export class TransformerBackward {
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly sim: TransformerSimulation,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    /** Per layer (index l), in encoding order, with the simulation's own dispatches marked. */
    private readonly layers: (Step | SimStep)[][],
    private readonly update_: { step: Step; uniforms: GPUBuffer },
    private readonly bufs: { cot: GPUBuffer[]; dq: GPUBuffer; dk: GPUBuffer; dv: GPUBuffer; result: GPUBuffer },
  ) {}

  /** Where encodeBackward reads dR/dX^L (batch x rows x d, f32); with sphere it is projected in place. */
  get cotangentIn(): GPUBuffer {
    return this.bufs.cot[0];
  }

  /** dR/dtheta after encodeBackward (layouts of Q, K, V). */
  get gradientBuffers(): { dQ: GPUBuffer; dK: GPUBuffer; dV: GPUBuffer } {
    return { dQ: this.bufs.dq, dK: this.bufs.dk, dV: this.bufs.dv };
  }

  static async create(gpu: GpuContext, sim: TransformerSimulation, workgroupSize = 64): Promise<TransformerBackward> {
    const { device } = gpu;
    checkWorkgroupSize(device, workgroupSize);
    const { L, H, k, d, batch, n, rows, stepper, sphere } = sim;
    const S = batch * rows * d;
    const wg = workgroupSize;
    const cache = pipelineCacheFor(device);
    const c = { D: d, KQ: k, WG: wg };
    const g = { ...c, PER: GRADIENT_PER };
    const [rowsPipe, keysPipe, sumPipe, gradPipe, gradSumPipe, updPipe, combPipe, projPipe] = await Promise.all([
      cache.compute('transformer/attention-vjp-rows.wgsl', 'main', c),
      cache.compute('transformer/attention-vjp-keys.wgsl', 'main', c),
      cache.compute('transformer/attention-vjp-sum.wgsl', 'main', { D: d, WG: wg }),
      cache.compute('transformer/head-gradients.wgsl', 'main', g),
      cache.compute('transformer/head-gradients-sum.wgsl', 'main', g),
      cache.compute('transformer/head-update.wgsl', 'main', { WG: wg }),
      cache.compute('transformer/heun-combine.wgsl', 'main', { WG: wg }),
      sphere ? cache.compute('transformer/sphere-project.wgsl', 'main', { D: d, WG: wg }) : null,
    ]);
    const tiles = Math.ceil(rows / wg);
    const rowsGrid = dispatchGrid(device, 'batch x heads x row tiles', batch * H * tiles * wg, wg);
    const sumGrid = dispatchGrid(device, 'batch x rows', batch * rows, wg);
    const entries = H * (2 * k * d + d * d);
    const chunks = Math.ceil((batch * rows) / (wg * GRADIENT_PER));
    const gradGrid = dispatchGrid(device, 'head parameters of a layer x row chunks', entries * chunks * wg, wg);
    const gradSumGrid = dispatchGrid(device, 'head parameters of a layer', entries, wg);
    const elemGrid = dispatchGrid(device, 'state entries', S, wg);
    const rowGrid = dispatchGrid(device, 'state rows', batch * rows, wg);
    const paramCount = L * H * (2 * k * d + d * d);
    const updGrid = dispatchGrid(device, 'parameters', paramCount, wg);

    // The largest buffer: per (sequence, head, row) quantities of the rows pass (~170 MB at
    // B = 64, n = 256, H = 256, d = k = 2); checked so an oversized run names the limit instead of
    // failing validation.
    assertStorageFits(device, 'backward row quantities batch x H x rows', batch * H * rows, 4 * (2 * k + 2 * d + 2));
    assertStorageFits(device, 'per-head cotangents batch x H x rows', batch * H * rows, 4 * d);
    const res = new GpuResources(device, 'TransformerBackward');
    try {
      const slot = Math.max(BwParamsLayout.size, device.limits.minUniformBufferOffsetAlignment);
      const heun = stepper === 'heun';
      const perLayer = heun ? 2 : 1;
      // Slots: per (layer, stage) VJP parameters, the Heun combine, then (sphere) one per layer
      // for the projection (zOff = offset of X^{l+1}).
      const ub = new Uint8Array(L * perLayer * slot + slot + (sphere ? L * slot : 0));
      const slotOf = (l: number, stage: number): number => (l * perLayer + stage) * slot;
      // Slot (l, 0) of Heun attends Xt: the forward's corrector stage (1); slot (l, 1) attends X^l:
      // its predictor stage (0). Euler's one slot is stage 0.
      const forwardStage = (stage: number): number => (heun ? 1 - stage : 0);
      for (let l = 0; l < L; l++) {
        const common = { batch, n, rows, heads: H, layer: l };
        const headOff = (stage: number): number => sim.headStateOffset(l, forwardStage(stage));
        if (heun) {
          ub.set(new Uint8Array(BwParamsLayout.pack({ ...common, zOff: 0, uScale: 1 / L / 2 / H, headOff: headOff(0) })), slotOf(l, 0));
          ub.set(new Uint8Array(BwParamsLayout.pack({ ...common, zOff: l * S, uScale: 1 / L / H, headOff: headOff(1) })), slotOf(l, 1));
        } else {
          ub.set(new Uint8Array(BwParamsLayout.pack({ ...common, zOff: l * S, uScale: 1 / L / H, headOff: headOff(0) })), slotOf(l, 0));
        }
      }
      const combineSlot = L * perLayer * slot;
      ub.set(new Uint8Array(CombineParamsLayout.pack({ count: S })), combineSlot);
      const projSlot = (l: number): number => combineSlot + slot + l * slot;
      if (sphere)
        for (let l = 0; l < L; l++) ub.set(new Uint8Array(BwParamsLayout.pack({ batch, n, rows, heads: H, layer: l, zOff: (l + 1) * S, uScale: 0, headOff: 0 })), projSlot(l));
      const uniforms = res.buffer('params', ub.byteLength, UNIFORM_W, ub);
      const updUniforms = res.buffer('updateParams', UpdateParamsLayout.size, UNIFORM_W);
      const stride = 2 * k + 2 * d + 2;
      const rowbuf = res.buffer('rowQuantities', 4 * batch * H * rows * stride, STORAGE_RW);
      const keybuf = res.buffer('keyCotangents', 4 * batch * H * rows * k, STORAGE_RW);
      const part = res.buffer('headCotangents', 4 * batch * H * rows * d, STORAGE_RW);
      const partial = res.buffer('gradientPartials', 4 * entries * chunks, STORAGE_RW);
      const cot = [res.buffer('cotangentA', 4 * S, STORAGE_RW), res.buffer('cotangentB', 4 * S, STORAGE_RW)];
      const pt = res.buffer('predictorCotangent', 4 * S, STORAGE_RW);
      const u = res.buffer('correctorCotangent', 4 * S, STORAGE_RW);
      const addS = res.buffer('identityPart', 4 * S, STORAGE_RW);
      const zero = res.buffer('zero', 4 * S, STORAGE_RW);
      const dq = res.buffer('dQ', 4 * L * H * k * d, STORAGE_RW);
      const dk = res.buffer('dK', 4 * L * H * k * d, STORAGE_RW);
      const dv = res.buffer('dV', 4 * L * H * d * d, STORAGE_RW);
      const { Q, K, V, logPi, scratch, norms, headStates } = sim.buffers;

      let count = 0;
      const step = (pipeline: GPUComputePipeline, grid: Grid, entries: (GPUBuffer | { buffer: GPUBuffer; offset: number; size: number })[]): Step => ({
        pipeline,
        grid,
        bindGroup: device.createBindGroup({
          label: `TransformerBackward.bindGroup[${count++}]`,
          layout: pipeline.getBindGroupLayout(0),
          entries: entries.map((e, binding) => ({ binding, resource: 'offset' in e ? e : { buffer: e } })),
        }),
      });
      const uni = (off: number) => ({ buffer: uniforms, offset: off, size: BwParamsLayout.size });
      /**
       * The dispatches of one VJP (Z from zsrc, head cotangent from cotIn), after the forward
       * stage's head states when the simulation does not keep them.
       */
      const vjp = (off: number, stage: number, zsrc: GPUBuffer, cotIn: GPUBuffer, addend: GPUBuffer, out: GPUBuffer): (Step | SimStep)[] => [
        ...(sim.savesHeadStates ? [] : [{ kind: 'headStates' as const, stage: forwardStage(stage) }]),
        step(rowsPipe, rowsGrid, [uni(off), Q, K, V, logPi, zsrc, cotIn, headStates, rowbuf]),
        step(keysPipe, rowsGrid, [uni(off), Q, K, logPi, zsrc, rowbuf, keybuf, part]),
        step(sumPipe, sumGrid, [uni(off), addend, part, out]),
        step(gradPipe, gradGrid, [uni(off), zsrc, cotIn, rowbuf, keybuf, partial]),
        step(gradSumPipe, gradSumGrid, [uni(off), partial, dq, dk, dv]),
      ];
      const layers: (Step | SimStep)[][] = [];
      let cur = 0;
      for (let l = L - 1; l >= 0; l--) {
        const P = cot[cur];
        const next = cot[1 - cur];
        if (heun) {
          layers[l] = [
            { kind: 'predictor' },
            ...vjp(slotOf(l, 0), 0, scratch, P, zero, pt),
            step(combPipe, elemGrid, [{ buffer: uniforms, offset: combineSlot, size: CombineParamsLayout.size }, P, pt, u, addS]),
            ...vjp(slotOf(l, 1), 1, sim.states, u, addS, next),
          ];
        } else {
          layers[l] = vjp(slotOf(l, 0), 0, sim.states, P, P, next);
        }
        if (projPipe) layers[l].unshift(step(projPipe, rowGrid, [uni(projSlot(l)), sim.states, norms, P]));
        cur = 1 - cur;
      }
      const upd = step(updPipe, updGrid, [updUniforms, Q, K, V, dq, dk, dv]);
      const readback = new ReadbackPool(device, 'TransformerBackward.readback');
      return new TransformerBackward(device, sim, res, readback, layers, { step: upd, uniforms: updUniforms }, { cot, dq, dk, dv, result: cot[cur] });
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /**
   * Encodes the whole adjoint (gradients cleared first), reading dR/dX^L from the cotangent
   * buffer that backward() fills. Never awaits.
   */
  encodeBackward(encoder: GPUCommandEncoder): void {
    this.assertLive();
    encoder.clearBuffer(this.bufs.dq);
    encoder.clearBuffer(this.bufs.dk);
    encoder.clearBuffer(this.bufs.dv);
    const pass = encoder.beginComputePass({ label: 'TransformerBackward.backward' });
    for (let l = this.sim.L - 1; l >= 0; l--)
      for (const s of this.layers[l]) {
        if ('kind' in s) {
          if (s.kind === 'predictor') this.sim.encodePredictor(pass, l);
          else this.sim.encodeHeadStates(pass, l, s.stage);
          continue;
        }
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(s.grid[0], s.grid[1]);
      }
    pass.end();
  }

  /** Uploads P = dR/dX^L (batch x rows x d) and encodes + submits the adjoint. */
  backward(P: ArrayLike<number>): void {
    this.assertLive();
    const S = this.sim.batch * this.sim.rows * this.sim.d;
    if (P.length !== S) throw new Error(`cotangent: expected batch x rows x d = ${S} entries, got ${P.length}`);
    this.device.queue.writeBuffer(this.bufs.cot[0], 0, Float32Array.from(P));
    const encoder = this.device.createCommandEncoder({ label: 'TransformerBackward.encoder' });
    this.encodeBackward(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  /** The gradients of the last backward(), after all submitted work. */
  async readGradients(): Promise<GpuGradients> {
    this.assertLive();
    const { L, H, k, d, batch, n, rows } = this.sim;
    const [dQ, dK, dV, P] = await Promise.all([
      this.readback.read(this.bufs.dq, 0, 4 * L * H * k * d),
      this.readback.read(this.bufs.dk, 0, 4 * L * H * k * d),
      this.readback.read(this.bufs.dv, 0, 4 * L * H * d * d),
      this.readback.read(this.bufs.result, 0, 4 * batch * rows * d),
    ]).then((bs) => bs.map((b) => new Float32Array(b)));
    const dX = new Float32Array(batch * n * d);
    const dQuery = rows > n ? new Float32Array(batch * d) : null;
    for (let b = 0; b < batch; b++) {
      dX.set(P.subarray(b * rows * d, (b * rows + n) * d), b * n * d);
      if (dQuery) dQuery.set(P.subarray((b * rows + n) * d, (b * rows + n + 1) * d), b * d);
    }
    return { dQ, dK, dV, dX, dQuery };
  }

  /** theta <- theta - tau L H dR/dtheta on the simulation's Q, K, V (after backward()). */
  update(tau: number): void {
    this.assertLive();
    const { L, H, k, d } = this.sim;
    const packed = UpdateParamsLayout.pack({ qkCount: L * H * k * d, vCount: L * H * d * d, factor: tau * L * H });
    this.device.queue.writeBuffer(this.update_.uniforms, 0, packed);
    const encoder = this.device.createCommandEncoder({ label: 'TransformerBackward.updateEncoder' });
    const pass = encoder.beginComputePass({ label: 'TransformerBackward.update' });
    pass.setPipeline(this.update_.step.pipeline);
    pass.setBindGroup(0, this.update_.step.bindGroup);
    pass.dispatchWorkgroups(this.update_.step.grid[0], this.update_.step.grid[1]);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.res.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('TransformerBackward is disposed');
    if (this.sim.isDisposed) throw new Error('TransformerBackward: its simulation is disposed');
  }
}
