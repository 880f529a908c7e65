// Runs shaders/render/project.wgsl: simulation particles (count records of d f32, e.g. a state
// buffer with stride d) -> projected vec4 positions of two chosen entries + one trail slot,
// encoded into the caller's command encoder right after the steps. Shared by the labs.

import { GpuResources } from '../../../gpu/resources';
import { STORAGE_VERTEX, UNIFORM_W } from '../../../gpu/usage';
import { shaderSource } from '../../../gpu/shaders';
import { structLayout } from '../../../gpu/struct-layout';

const PARAMS = structLayout('Params', [
  ['count', 'u32'],
  ['d', 'u32'],
  ['axisX', 'u32'],
  ['axisY', 'u32'],
  ['slot', 'u32'],
  ['trailLength', 'u32'],
  ['mode', 'u32'],
  ['fillAll', 'u32'],
  ['timeY', 'f32'],
  ['_pad0', 'f32'],
  ['_pad1', 'f32'],
  ['_pad2', 'f32'],
] as const);

const STORAGE = STORAGE_VERTEX;

export interface ProjectArgs {
  d: number;
  axisX: number;
  axisY: number;
  /** d = 1: the current t mapped to [0, 1] (view-geometry timeToY). */
  timeY: number;
  /** Write every trail slot (start of a run) instead of advancing the ring. */
  fillAll: boolean;
}

export class ParticleProjector {
  private readonly res: GpuResources;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  readonly positions: GPUBuffer;
  readonly trail: GPUBuffer;
  private bindGroup: GPUBindGroup | null = null;
  private boundSource: GPUBuffer | null = null;
  /** Newest trail slot and how many slots hold data. */
  head = 0;
  filled = 0;

  constructor(
    readonly device: GPUDevice,
    readonly count: number,
    readonly trailLength: number,
    readonly label = 'ScoreMixingView',
  ) {
    this.res = new GpuResources(device, label);
    const module = device.createShaderModule({ label: 'shaders/render/project.wgsl', code: shaderSource('render/project.wgsl') });
    this.pipeline = device.createComputePipeline({ label: `${label}.project`, layout: 'auto', compute: { module, entryPoint: 'main' } });
    this.params = this.res.buffer('projectParams', PARAMS.size, UNIFORM_W);
    this.positions = this.res.buffer('positions', count * 16, STORAGE);
    this.trail = this.res.buffer('trail', count * trailLength * 16, STORAGE);
  }

  /** `timestampWrites`: for timing the pass (GpuProfiler); omitted, the pass is not timed. */
  encode(encoder: GPUCommandEncoder, source: GPUBuffer, a: ProjectArgs, timestampWrites?: GPUComputePassTimestampWrites): void {
    if (a.fillAll) {
      this.head = 0;
      this.filled = 1;
    } else {
      this.head = (this.head + 1) % this.trailLength;
      this.filled = Math.min(this.trailLength, this.filled + 1);
    }
    this.device.queue.writeBuffer(
      this.params,
      0,
      PARAMS.pack({
        count: this.count,
        d: a.d,
        axisX: a.axisX,
        axisY: a.axisY,
        slot: this.head,
        trailLength: this.trailLength,
        mode: a.d === 1 ? 1 : 0,
        fillAll: a.fillAll ? 1 : 0,
        timeY: a.timeY,
        _pad0: 0,
        _pad1: 0,
        _pad2: 0,
      }),
    );
    if (this.boundSource !== source || !this.bindGroup) {
      this.bindGroup = this.device.createBindGroup({
        label: `${this.label}.projectBindGroup`,
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: source } },
          { binding: 1, resource: { buffer: this.positions } },
          { binding: 2, resource: { buffer: this.trail } },
          { binding: 3, resource: { buffer: this.params } },
        ],
      });
      this.boundSource = source;
    }
    const pass = encoder.beginComputePass({ label: `${this.label}.projectPass`, timestampWrites });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(Math.ceil(this.count / 64));
    pass.end();
  }

  dispose(): void {
    this.res.dispose();
  }
}
