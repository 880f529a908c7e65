// Step-range dispatch, shared by the labs' stepping kernels (score-mixing generation, primal-dual
// dynamics, ...). A kernel integrates the steps [cursor.x, cursor.y) of a fixed grid in registers;
// the range reaches it through copyBufferToBuffer from a constant index table, inside the command
// encoder, so many dispatches can be encoded back to back before one submit (queue.writeBuffer
// would apply every write before the whole submission). The kernel's epilogue counts non-finite
// items into `status` ([count, 0xFFFFFFFF - first bad index]), cleared before each dispatch, so a
// zero-step dispatch followed by an 8-byte readback is the blow-up check.
//
// Binding contract in WGSL: `var<storage, read> cursor: vec2u` and
// `var<storage, read_write> status: array<atomic<u32>, 2>`.

import type { ReadbackPool } from './readback';
import type { GpuResources } from './resources';
import { BufferUsage, STORAGE_R, STORAGE_RW } from './usage';

const COPY_SRC = BufferUsage.COPY_SRC;

export type TimestampWritesFor = (name: string) => GPUComputePassTimestampWrites | undefined;

export class StepRangeDispatch {
  readonly cursor: GPUBuffer;
  readonly status: GPUBuffer;
  private readonly index: GPUBuffer;
  private kernel: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number] } | null = null;
  private kNow = 0;

  /** Creates the index table (steps + 1 entries), the cursor and the status buffers in `res`. */
  constructor(
    res: GpuResources,
    readonly steps: number,
    readonly stepsPerDispatch: number,
    /** Compute pass label, e.g. 'ScoreMixingSimulation.generate'. */
    readonly label: string,
    /** The pass name asked of timestampWrites (what the HUD shows), e.g. 'generate'. */
    readonly timingName: string,
  ) {
    if (!(Number.isInteger(stepsPerDispatch) && stepsPerDispatch >= 1)) {
      throw new Error(`stepsPerDispatch must be a positive integer, got ${stepsPerDispatch}`);
    }
    this.index = res.buffer('stepIndex', 4 * (steps + 1), COPY_SRC, Uint32Array.from({ length: steps + 1 }, (_, k) => k));
    this.cursor = res.buffer('stepRange', 8, STORAGE_R);
    this.status = res.buffer('status', 8, STORAGE_RW);
  }

  /** The kernel to dispatch; its bind group binds `cursor` and `status`. */
  attach(pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, workgroups: [number, number]): void {
    this.kernel = { pipeline, bindGroup, workgroups };
  }

  /** Grid index of the state after all encoded steps. */
  get k(): number {
    return this.kNow;
  }

  get done(): boolean {
    return this.kNow >= this.steps;
  }

  /** Sets the grid index (restores): the caller has uploaded the matching state. */
  moveTo(k: number): void {
    if (!(Number.isInteger(k) && k >= 0 && k <= this.steps)) throw new Error(`state.step = ${k} is outside 0..${this.steps}`);
    this.kNow = k;
  }

  /** Encodes up to n steps in dispatches of at most stepsPerDispatch; returns how many. Never awaits. */
  encodeSteps(encoder: GPUCommandEncoder, n: number, timestampWrites?: TimestampWritesFor): number {
    const todo = Math.max(0, Math.min(Math.floor(n), this.steps - this.kNow));
    for (let done = 0; done < todo; ) {
      const chunk = Math.min(this.stepsPerDispatch, todo - done);
      this.encodeRange(encoder, this.kNow + done, this.kNow + done + chunk, timestampWrites?.(this.timingName));
      done += chunk;
    }
    this.kNow += todo;
    return todo;
  }

  /** One dispatch over steps [from, to); from === to runs only the kernel's epilogue. */
  encodeRange(encoder: GPUCommandEncoder, from: number, to: number, timestampWrites?: GPUComputePassTimestampWrites): void {
    if (!this.kernel) throw new Error(`${this.label}: no kernel attached`);
    const { pipeline, bindGroup, workgroups } = this.kernel;
    encoder.copyBufferToBuffer(this.index, 4 * from, this.cursor, 0, 4);
    encoder.copyBufferToBuffer(this.index, 4 * to, this.cursor, 4, 4);
    encoder.clearBuffer(this.status);
    const pass = encoder.beginComputePass({ label: this.label, timestampWrites });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1]);
    pass.end();
  }

  /** Whether every item is finite after all submitted work (zero-step dispatch + status readback). */
  async checkFinite(device: GPUDevice, readback: ReadbackPool): Promise<{ ok: boolean; firstBad?: number }> {
    const encoder = device.createCommandEncoder({ label: `${this.label}.checkEncoder` });
    this.encodeRange(encoder, this.kNow, this.kNow);
    let pending = readback.request(encoder, this.status, 0, 8);
    while (!pending) {
      await device.queue.onSubmittedWorkDone();
      pending = readback.request(encoder, this.status, 0, 8);
    }
    device.queue.submit([encoder.finish()]);
    readback.submitted();
    const [bad, firstBadCode] = new Uint32Array(await pending);
    return bad === 0 ? { ok: true } : { ok: false, firstBad: 0xffffffff - firstBadCode };
  }
}
