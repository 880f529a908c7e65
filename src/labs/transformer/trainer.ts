// GPU-resident training loop of the transformer lab (NUMERICS.md "Training on the GPU"): forward,
// readout + risk + cotangent, backward and the guarded update all stay on the GPU, so the page can
// encode many iterations per frame without any readback and still stop safely at a blow-up. The
// float64 twin is trainStep in reference.ts (risk before each step, then the step).
//
// API (the page and the headless runner use exactly this):
//   TransformerTrainer.create(gpu, setup)   setup: heads, tokens, flow, readout, targets (null:
//       forward only), tau, capacity (most iterations; the risk history has capacity + 1 slots)
//   trainer.encodeIterations(encoder, count)   count iterations, then one forward (+ readout), so
//       sim.states and riskHistory[iterationsEncoded] describe the current heads. Never awaits,
//       never writes the queue: the caller submits its encoder.
//   trainer.setTau / setTokens / setTargets / setHeads / setIteration   queue.writeBuffer re-uploads
//       (same shapes), e.g. a panel edit or a snapshot restore
//   trainer.readRisk(count) / readStatus() / readHeads()   awaited readbacks (snapshots, headless)
//   trainer.sim, riskHistory (f32[capacity + 1]), statusBuffer (u32[4]), hasTargets,
//   iterationsEncoded; dispose()
//
// One iteration, encoded (status = [iteration, halted, haltIteration, 0] lives on the GPU):
//   1. sim.encodeForward                      X^1..X^L of the current heads
//   2. readout-risk.wgsl (1 workgroup)        R -> riskHistory[iteration] (unless halted),
//                                             P = dR/dX^L -> backward.cotangentIn; a non-finite R
//                                             sets halted, haltIteration = iteration and rolls
//                                             iteration back to the restored heads' count
//   3. backward.encodeBackward                dR/dtheta (sphere projection included)
//   4. head-update.wgsl trainStep             not halted: prev = theta, theta -= tau L H grad,
//                                             iteration += 1;  halted: theta = prev
// then, after the last iteration: sim.encodeForward, readout-risk.wgsl (risk of the current heads
// into riskHistory[iteration]; it may halt too), halt-restore.wgsl (halted: theta = prev and
// indirect arguments for one more forward pass, else [0, 0, 0]) and sim.encodeForwardIndirect, so
// after a halt in that last readout the states are still those of the (restored) current heads.
// After a halt the heads are the last ones with a finite risk and every later iteration is a
// no-op; setIteration clears the halt (e.g. after setTau with a smaller step).
// The host counts encoded iterations (iterationsEncoded); the GPU counter status.iteration equals
// it unless the run halted, when it is the number of updates of the restored heads.

import type { GpuContext } from '../../gpu/device';
import { dispatchGrid } from '../../gpu/dispatch';
import { GpuLimitError } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { BufferUsage, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { TransformerBackward, UpdateParamsLayout } from './backward';
import { MAX_BATCH } from './params';
import { outputCount } from './reference';
import { MAX_D, TransformerSimulation } from './simulation';
import type { FlowOptions, Heads, Readout, TokenBatch } from './types';

export interface TrainerSetup {
  heads: Heads;
  tokens: TokenBatch;
  flow: FlowOptions;
  readout: Readout;
  /** Layout of readoutOutputs, or null: no risk, forward only. */
  targets: Float64Array | null;
  tau: number;
  /** Most iterations; the risk history has capacity + 1 slots. */
  capacity: number;
}

export interface TrainerStatus {
  /** Updates applied to the current heads (after a halt: those of the restored heads). */
  iteration: number;
  halted: boolean;
  /** The first iteration whose risk was not finite (meaningful when halted). */
  haltIteration: number;
}

export const RestoreParamsLayout = structLayout('RestoreParams', [
  ['qkCount', 'u32'],
  ['vCount', 'u32'],
  ['forwardX', 'u32'],
  ['forwardY', 'u32'],
] as const);

export const ReadoutParamsLayout = structLayout('ReadoutParams', [
  ['batch', 'u32'],
  ['n', 'u32'],
  ['rows', 'u32'],
  ['e', 'u32'],
  ['kind', 'u32'],
  ['statesOff', 'u32'],
  ['capacity', 'u32'],
  ['pad', 'u32'],
] as const);

const READOUT_KIND = { token: 0, pooled: 1, query: 2 } as const;
const WG = 64;
const INDIRECT_STORAGE = BufferUsage.INDIRECT | BufferUsage.STORAGE;

interface Kernel {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number];
}

/** What only a trainer with targets has: the backward pass, the readout and the guarded update. */
interface Training {
  backward: TransformerBackward;
  readout: Kernel;
  update: Kernel;
  restore: Kernel;
  /** Indirect arguments of the forward pass re-run after a halt (written by halt-restore.wgsl). */
  redo: GPUBuffer;
  updateUniforms: GPUBuffer;
  targets: GPUBuffer;
  prev: GPUBuffer;
}

function checkSetup(s: TrainerSetup): void {
  const { heads, tokens, readout, targets } = s;
  if (!(Number.isInteger(s.capacity) && s.capacity >= 0)) throw new Error(`capacity must be a non-negative integer, got ${s.capacity}`);
  if (!Number.isFinite(s.tau)) throw new Error(`tau must be finite, got ${s.tau}`);
  if (!targets) return;
  if (tokens.batch > MAX_BATCH) throw new GpuLimitError('batch', tokens.batch, MAX_BATCH, 'the readout kernel runs one invocation per sequence in one workgroup');
  if (!(Number.isInteger(readout.e) && readout.e >= 1 && readout.e <= MAX_D)) throw new GpuLimitError('readout e', readout.e, MAX_D, 'the readout kernel keeps an output in registers');
  if (readout.B.length !== readout.e * heads.d) throw new Error(`readout.B: expected e x d = ${readout.e * heads.d} entries, got ${readout.B.length}`);
  if (readout.kind === 'query' && !tokens.query) throw new Error('readout "query" needs query tokens (tokens.query is null)');
  const want = outputCount(readout, tokens);
  if (targets.length !== want) throw new Error(`targets: expected ${want} entries (layout of readoutOutputs), got ${targets.length}`);
}

export class TransformerTrainer {
  private disposed = false;
  private encoded = 0;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly training: Training | null,
    private readonly outputs: number,
    readonly sim: TransformerSimulation,
    readonly riskHistory: GPUBuffer,
    readonly statusBuffer: GPUBuffer,
    readonly capacity: number,
  ) {}

  static async create(gpu: GpuContext, setup: TrainerSetup): Promise<TransformerTrainer> {
    checkSetup(setup);
    const { device } = gpu;
    const { heads, tokens, readout, targets, capacity } = setup;
    const sim = await TransformerSimulation.create(gpu, heads, tokens, setup.flow);
    const res = new GpuResources(device, 'TransformerTrainer');
    let backward: TransformerBackward | null = null;
    try {
      const riskHistory = res.buffer('riskHistory', 4 * (capacity + 1), STORAGE_RW);
      const status = res.buffer('status', 16, STORAGE_RW);
      let training: Training | null = null;
      if (targets) {
        backward = await TransformerBackward.create(gpu, sim);
        const cache = pipelineCacheFor(device);
        const [readoutPipe, updatePipe, restorePipe] = await Promise.all([
          cache.compute('transformer/readout-risk.wgsl', 'main', { D: heads.d }),
          cache.compute('transformer/head-update.wgsl', 'trainStep', { WG }),
          cache.compute('transformer/halt-restore.wgsl', 'main', { WG }),
        ]);
        const { L, batch, rows, d } = sim;
        const readoutUniforms = res.buffer(
          'readoutParams',
          ReadoutParamsLayout.size,
          UNIFORM_W,
          new Uint8Array(
            ReadoutParamsLayout.pack({ batch, n: tokens.n, rows, e: readout.e, kind: READOUT_KIND[readout.kind], statesOff: L * batch * rows * d, capacity, pad: 0 }),
          ),
        );
        const bmat = res.buffer('readoutMap', 4 * readout.B.length, STORAGE_RW, Float32Array.from(readout.B));
        const targetBuf = res.buffer('targets', 4 * targets.length, STORAGE_RW, Float32Array.from(targets));
        const updateUniforms = res.buffer('updateParams', UpdateParamsLayout.size, UNIFORM_W, new Uint8Array(updatePacked(heads, setup.tau)));
        const prev = res.buffer('previousHeads', 4 * (heads.Q.length + heads.K.length + heads.V.length), STORAGE_RW, packHeads(heads));
        // The per-head kernel's grid, the largest of the forward: encodeForwardIndirect gives it
        // to both kernels of every stage (the sum kernel skips the workgroups past its rows).
        const [forwardX, forwardY] = sim.forwardWorkgroups;
        const restoreUniforms = res.buffer(
          'restoreParams',
          RestoreParamsLayout.size,
          UNIFORM_W,
          new Uint8Array(RestoreParamsLayout.pack({ qkCount: heads.Q.length, vCount: heads.V.length, forwardX, forwardY })),
        );
        const redo = res.buffer('forwardAgain', 12, INDIRECT_STORAGE);
        const { Q, K, V, logPi } = sim.buffers;
        const grads = backward.gradientBuffers;
        const bind = (pipeline: GPUComputePipeline, name: string, buffers: GPUBuffer[]): GPUBindGroup =>
          device.createBindGroup({
            label: `TransformerTrainer.${name}`,
            layout: pipeline.getBindGroupLayout(0),
            entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
          });
        const paramGrid = dispatchGrid(device, 'Q/K entries + V entries', heads.Q.length + heads.V.length, WG);
        training = {
          backward,
          readout: {
            pipeline: readoutPipe,
            bindGroup: bind(readoutPipe, 'readoutBindGroup', [readoutUniforms, bmat, targetBuf, logPi, sim.states, backward.cotangentIn, riskHistory, status]),
            grid: [1, 1],
          },
          update: {
            pipeline: updatePipe,
            bindGroup: bind(updatePipe, 'updateBindGroup', [updateUniforms, Q, K, V, grads.dQ, grads.dK, grads.dV, prev, status]),
            grid: paramGrid,
          },
          restore: {
            pipeline: restorePipe,
            bindGroup: bind(restorePipe, 'restoreBindGroup', [restoreUniforms, Q, K, V, prev, status, redo]),
            grid: paramGrid,
          },
          redo,
          updateUniforms,
          targets: targetBuf,
          prev,
        };
      }
      const readback = new ReadbackPool(device, 'TransformerTrainer.readback');
      return new TransformerTrainer(device, res, readback, training, targets ? targets.length : 0, sim, riskHistory, status, capacity);
    } catch (e) {
      backward?.dispose();
      res.dispose();
      sim.dispose();
      throw e;
    }
  }

  get hasTargets(): boolean {
    return this.training !== null;
  }

  /** Iterations encoded so far (host count; restores set it with setIteration). */
  get iterationsEncoded(): number {
    return this.encoded;
  }

  /**
   * Encodes `count` training iterations, then one forward pass (+ readout with targets), so
   * sim.states and riskHistory[iterationsEncoded] describe the current heads. Never awaits.
   */
  encodeIterations(encoder: GPUCommandEncoder, count: number): void {
    this.assertLive();
    if (!(Number.isInteger(count) && count >= 0)) throw new Error(`encodeIterations: count must be a non-negative integer, got ${count}`);
    const t = this.training;
    if (count > 0 && !t) throw new Error('encodeIterations: no targets, nothing to train (count must be 0)');
    if (this.encoded + count > this.capacity) {
      throw new Error(`encodeIterations: ${this.encoded} + ${count} iterations exceed the capacity ${this.capacity} (the risk history's size)`);
    }
    for (let it = 0; it < count && t; it++) {
      this.sim.encodeForward(encoder);
      this.dispatch(encoder, t.readout, 'readout');
      t.backward.encodeBackward(encoder);
      this.dispatch(encoder, t.update, 'update');
    }
    this.sim.encodeForward(encoder);
    if (t) {
      this.dispatch(encoder, t.readout, 'readout');
      this.dispatch(encoder, t.restore, 'restore');
      this.sim.encodeForwardIndirect(encoder, t.redo);
    }
    this.encoded += count;
  }

  /** tau of the following updates (queue.writeBuffer of the update uniforms). */
  setTau(tau: number): void {
    this.assertLive();
    if (!Number.isFinite(tau)) throw new Error(`tau must be finite, got ${tau}`);
    const t = this.training;
    if (!t) return;
    this.device.queue.writeBuffer(t.updateUniforms, 0, updatePacked(this.headsShape(), tau));
  }

  /** New tokens of the same batch, n, d and query rows: X^0 and log pi re-uploaded. */
  setTokens(tokens: TokenBatch): void {
    this.assertLive();
    this.sim.uploadTokens(tokens);
  }

  /** New targets of the same length (layout of readoutOutputs), uploaded as f32. */
  setTargets(targets: Float64Array): void {
    this.assertLive();
    const t = this.training;
    if (!t) throw new Error('setTargets: this trainer was created without targets');
    if (targets.length !== this.outputs) throw new Error(`targets: expected ${this.outputs} entries, got ${targets.length}`);
    this.device.queue.writeBuffer(t.targets, 0, Float32Array.from(targets));
  }

  /** New heads of the same L, H, k, d (e.g. a snapshot restore); they are also the heads a halt restores. */
  setHeads(heads: Heads): void {
    this.assertLive();
    this.sim.uploadHeads(heads);
    if (this.training) this.device.queue.writeBuffer(this.training.prev, 0, packHeads(heads));
  }

  /** Sets the GPU counter and the host count (a restore) and clears a halt. */
  setIteration(iteration: number): void {
    this.assertLive();
    if (!(Number.isInteger(iteration) && iteration >= 0 && iteration <= this.capacity)) {
      throw new Error(`setIteration: ${iteration} is outside 0..${this.capacity} (the capacity)`);
    }
    this.device.queue.writeBuffer(this.statusBuffer, 0, Uint32Array.of(iteration, 0, 0, 0));
    this.encoded = iteration;
  }

  /** riskHistory[0..count) after all submitted work (f32). */
  async readRisk(count: number): Promise<Float32Array> {
    this.assertLive();
    if (!(Number.isInteger(count) && count >= 0 && count <= this.capacity + 1)) throw new Error(`readRisk: count ${count} is outside 0..${this.capacity + 1}`);
    if (count === 0) return new Float32Array(0);
    return new Float32Array(await this.readback.read(this.riskHistory, 0, 4 * count));
  }

  async readStatus(): Promise<TrainerStatus> {
    this.assertLive();
    const s = new Uint32Array(await this.readback.read(this.statusBuffer, 0, 16));
    return { iteration: s[0], halted: s[1] !== 0, haltIteration: s[2] };
  }

  /** The current heads (f32, layouts of Heads) after all submitted work. */
  async readHeads(): Promise<{ Q: Float32Array; K: Float32Array; V: Float32Array }> {
    this.assertLive();
    const { Q, K, V } = this.sim.buffers;
    const { L, H, k, d } = this.sim;
    const [q, kk, v] = await Promise.all([this.readback.read(Q, 0, 4 * L * H * k * d), this.readback.read(K, 0, 4 * L * H * k * d), this.readback.read(V, 0, 4 * L * H * d * d)]);
    return { Q: new Float32Array(q), K: new Float32Array(kk), V: new Float32Array(v) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.training?.backward.dispose();
    this.res.dispose();
    this.sim.dispose();
  }

  private headsShape(): { L: number; H: number; k: number; d: number } {
    return { L: this.sim.L, H: this.sim.H, k: this.sim.k, d: this.sim.d };
  }

  private dispatch(encoder: GPUCommandEncoder, k: Kernel, name: string): void {
    const pass = encoder.beginComputePass({ label: `TransformerTrainer.${name}` });
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, k.bindGroup);
    pass.dispatchWorkgroups(k.grid[0], k.grid[1]);
    pass.end();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('TransformerTrainer is disposed');
  }
}

function updatePacked(h: { L: number; H: number; k: number; d: number }, tau: number): ArrayBuffer {
  const { L, H, k, d } = h;
  return UpdateParamsLayout.pack({ qkCount: L * H * k * d, vCount: L * H * d * d, factor: tau * L * H });
}

/** Q | K | V as one f32 array (the update kernel's `prev` layout). */
function packHeads(h: Heads): Float32Array<ArrayBuffer> {
  const out = new Float32Array(h.Q.length + h.K.length + h.V.length);
  out.set(h.Q);
  out.set(h.K, h.Q.length);
  out.set(h.V, 2 * h.Q.length);
  return out;
}
