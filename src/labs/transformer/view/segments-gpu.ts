// Runs shaders/render/trajectory-segments.wgsl: the trainer's flow states -> the line segments of
// the trajectory picture (two vec4 picture points per segment), encoded by GpuTfRun right after the
// training iterations, so three.js (scene.ts) draws the current heads' trajectories every
// frame with no read-back. Which sequences and rows are drawn follows picture.ts segmentPlan;
// configure() takes the layout and selection, and marks the kernel for the next frame when they
// change (the states change only when training runs, which encodes the kernel anyway).

import { dispatchGrid } from '../../../gpu/dispatch';
import { GpuResources } from '../../../gpu/resources';
import { pipelineCacheFor } from '../../../gpu/pipelines';
import { structLayout } from '../../../gpu/struct-layout';
import { STORAGE_R, STORAGE_VERTEX, UNIFORM_W } from '../../../gpu/usage';
import type { PictureLayout } from './geometry';
import { segmentPlan, type PartPlan } from './picture';

export const SegmentParamsLayout = structLayout('Params', [
  ['total', 'u32'],
  ['L', 'u32'],
  ['batch', 'u32'],
  ['rows', 'u32'],
  ['d', 'u32'],
  ['dims', 'u32'],
  ['axisX', 'i32'],
  ['axisY', 'i32'],
  ['axisZ', 'i32'],
  ['depthScale', 'f32'],
  ['_pad0', 'u32'],
  ['_pad1', 'u32'],
  ['segStart', 'vec4u'],
  ['seqStart', 'vec4u'],
  ['rowFrom', 'vec4u'],
  ['rowCount', 'vec4u'],
] as const);

export interface FlowShape {
  L: number;
  batch: number;
  rows: number;
  n: number;
  d: number;
}

export interface SegmentSelection {
  selected: number;
  showOthers: boolean;
  layout: PictureLayout;
}

/** A part of the output: segments first..first+count-1 (vertices 2*first..). */
export interface GpuSegmentPart extends PartPlan {
  first: number;
  count: number;
}

export interface SegmentLayout {
  /** Holds 2 vec4 per segment; replaced (bigger) when a selection needs more room. */
  buffer: GPUBuffer;
  /** Capacity of `buffer` in vec4. */
  vec4s: number;
  parts: GpuSegmentPart[];
}

export class TrajectorySegmentsGpu {
  private readonly res: GpuResources;
  private readonly params: GPUBuffer;
  private readonly seqs: GPUBuffer;
  private output: GPUBuffer;
  private capacity = 1;
  private bindGroup: GPUBindGroup | null = null;
  private boundStates: GPUBuffer | null = null;
  private key = '';
  private total = 0;
  private current: SegmentLayout | null = null;
  /** The kernel must run before the next draw (a new layout or selection). */
  dirty = false;

  private constructor(
    private readonly device: GPUDevice,
    readonly shape: FlowShape,
    private readonly label: string,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.res = new GpuResources(device, label);
    this.params = this.res.buffer('segmentParams', SegmentParamsLayout.size, UNIFORM_W);
    this.seqs = this.res.buffer('segmentSeqs', 4 * (shape.batch + 2), STORAGE_R);
    this.output = this.res.buffer('segments', 32, STORAGE_VERTEX);
  }

  /** The kernel comes from the device's pipeline cache: a new run (every rebuild) does not recompile it. */
  static async create(device: GPUDevice, shape: FlowShape, label = 'TransformerView'): Promise<TrajectorySegmentsGpu> {
    const pipeline = await pipelineCacheFor(device).compute('render/trajectory-segments.wgsl', 'main');
    return new TrajectorySegmentsGpu(device, shape, label, pipeline);
  }

  /** Layout of the output for this selection (null when the shape is not this flow's). */
  configure(sel: SegmentSelection & Omit<FlowShape, 'd'>): SegmentLayout | null {
    const { L, batch, rows, n, d } = this.shape;
    if (sel.L !== L || sel.batch !== batch || sel.rows !== rows || sel.n !== n) return null;
    const key = JSON.stringify([sel.selected, sel.showOthers, sel.layout.dims, sel.layout.axes, sel.layout.depthScale]);
    if (key === this.key && this.current) return this.current;
    this.key = key;
    const plans = segmentPlan({ L, batch, rows, n, selected: sel.selected, showOthers: sel.showOthers });
    let first = 0;
    const parts = plans.map((p) => {
      const count = p.seqs.length * (p.rowTo - p.rowFrom) * L;
      const part = { ...p, first, count };
      first += count;
      return part;
    });
    this.total = first;
    if (first > this.capacity) {
      this.res.release(this.output);
      this.capacity = first;
      this.output = this.res.buffer('segments', 32 * first, STORAGE_VERTEX);
      this.bindGroup = null;
    }
    const at = (i: number, f: (p: GpuSegmentPart) => number, fill: number): number => (parts[i] ? f(parts[i]) : fill);
    const seqStart: number[] = [];
    const seqs: number[] = [];
    for (const p of parts) {
      seqStart.push(seqs.length);
      seqs.push(...p.seqs);
    }
    this.device.queue.writeBuffer(this.seqs, 0, new Uint32Array(seqs.length ? seqs : [0]));
    const { layout } = sel;
    this.device.queue.writeBuffer(
      this.params,
      0,
      SegmentParamsLayout.pack({
        total: first,
        L,
        batch,
        rows,
        d,
        dims: layout.dims,
        axisX: layout.axes[0],
        axisY: layout.axes[1],
        axisZ: layout.axes[2],
        depthScale: layout.depthScale,
        _pad0: 0,
        _pad1: 0,
        segStart: [0, 1, 2, 3].map((i) => at(i, (p) => p.first, first)),
        seqStart: [0, 1, 2, 3].map((i) => seqStart[i] ?? 0),
        rowFrom: [0, 1, 2, 3].map((i) => at(i, (p) => p.rowFrom, 0)),
        rowCount: [0, 1, 2, 3].map((i) => at(i, (p) => p.rowTo - p.rowFrom, 1)),
      }),
    );
    this.dirty = true;
    const prev = this.current;
    // Same buffer and parts (e.g. only depthScale moved): keep the object, so the scene keeps its draws.
    const same = prev && prev.buffer === this.output && JSON.stringify(prev.parts.map(partKey)) === JSON.stringify(parts.map(partKey));
    this.current = same ? prev : { buffer: this.output, vec4s: 2 * this.capacity, parts };
    return this.current;
  }

  /** Write the segments of `states` (the trainer's sim.states) into the output. */
  encode(encoder: GPUCommandEncoder, states: GPUBuffer): void {
    this.dirty = false;
    if (this.total === 0) return;
    if (this.boundStates !== states || !this.bindGroup) {
      this.bindGroup = this.device.createBindGroup({
        label: `${this.label}.segmentBindGroup`,
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: states } },
          { binding: 1, resource: { buffer: this.output } },
          { binding: 2, resource: { buffer: this.seqs } },
          { binding: 3, resource: { buffer: this.params } },
        ],
      });
      this.boundStates = states;
    }
    const [gx, gy] = dispatchGrid(this.device, 'trajectory segments', this.total, 64);
    const pass = encoder.beginComputePass({ label: `${this.label}.segmentPass` });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
  }

  dispose(): void {
    this.res.dispose();
    this.current = null;
    this.bindGroup = null;
  }
}

const partKey = (p: GpuSegmentPart): unknown[] => [p.name, p.first, p.count, p.dim, p.opacity];
