// Host side of shaders/score-mixing/field.wgsl: heat-kernel potentials phi1, phi2, Phi_lam^t and
// the limit Phi_lam on a W x H grid over a 2-D plane x = origin + u e1 + v e2 in R^d. The output
// buffer (vec4f per pixel, row py = 0 at vMin, pixel centres) feeds a colour-map pass directly;
// read() is for tests and exports.

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { BufferUsage, STORAGE_R, UNIFORM_W } from '../../gpu/usage';
import {
  DEFAULT_WORKGROUP,
  FieldParamsLayout,
  checkMeasures,
  dispatchGrid,
  packAtoms,
  pipelineCacheFor,
} from './gpu-common';
import type { Measure } from './types';
import type { FieldPlaneSpec } from './error-model';

/** A plane of the field: for d = 2, origin 0, e1 = (1, 0), e2 = (0, 1) is the plane itself (origin, e1, e2 of length d). */
export type FieldPlane = FieldPlaneSpec;

/** Written by the kernel, read back (tests, exports) and read by the colour-map pass. */
const FIELD_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.VERTEX;

export class PotentialField {
  /** vec4f per pixel (phi1, phi2, Phi_lam^t, Phi_lam), index py * width + px. */
  readonly output: GPUBuffer;
  private atomPoints!: GPUBuffer;
  private atomLogW!: GPUBuffer;
  private bindGroup!: GPUBindGroup;
  private n1 = 0;
  private n2 = 0;
  private readonly params: GPUBuffer;
  private readonly workgroups: [number, number];

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly pipeline: GPUComputePipeline,
    readonly d: number,
    readonly width: number,
    readonly height: number,
  ) {
    const pixels = width * height;
    this.workgroups = dispatchGrid(device, 'field.pixels', pixels, DEFAULT_WORKGROUP);
    this.output = res.buffer('output', 16 * pixels, FIELD_USAGE);
    this.params = res.buffer('params', FieldParamsLayout.size, UNIFORM_W);
  }

  static async create(gpu: GpuContext, mu1: Measure, mu2: Measure, width: number, height: number): Promise<PotentialField> {
    const { device } = gpu;
    checkMeasures(device, mu1, mu2);
    for (const [name, v] of [['field.width', width], ['field.height', height]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${name} must be a positive integer, got ${v}`);
    }
    assertStorageFits(device, 'field.pixels', width * height, 16);
    const pipeline = await pipelineCacheFor(device).compute('score-mixing/field.wgsl', 'main', {
      D: mu1.d,
      WG: DEFAULT_WORKGROUP,
    });
    const res = new GpuResources(device, 'PotentialField');
    try {
      const field = new PotentialField(
        device,
        res,
        new ReadbackPool(device, 'PotentialField.readback'),
        pipeline,
        mu1.d,
        width,
        height,
      );
      field.setMeasures(mu1, mu2);
      return field;
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** Replaces the atoms (same d); takes effect for the next encode(). */
  setMeasures(mu1: Measure, mu2: Measure): void {
    checkMeasures(this.device, mu1, mu2);
    if (mu1.d !== this.d) throw new Error(`setMeasures: measures are in R^${mu1.d}, the field was made for R^${this.d}`);
    const atoms = packAtoms(mu1, mu2);
    if (this.atomPoints) this.res.release(this.atomPoints);
    if (this.atomLogW) this.res.release(this.atomLogW);
    this.atomPoints = this.res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points);
    this.atomLogW = this.res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW);
    this.n1 = mu1.n;
    this.n2 = mu2.n;
    this.bindGroup = this.device.createBindGroup({
      label: 'PotentialField.bindGroup',
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [this.atomPoints, this.atomLogW, this.params, this.output].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
  }

  /**
   * Encodes one evaluation. The plane goes through queue.writeBuffer, which lands before the next
   * submission: encode at most one field per submitted command buffer.
   */
  encode(encoder: GPUCommandEncoder, p: FieldPlane): void {
    const { d } = this;
    if (!(p.t > 0 && Number.isFinite(p.t))) throw new Error(`field t must be finite and > 0, got ${p.t}`);
    for (const key of ['origin', 'e1', 'e2'] as const) {
      if (p[key].length !== d) throw new Error(`field ${key} has length ${p[key].length}, expected d = ${d}`);
    }
    const pad = (v: number[]): number[] => [...v, ...new Array<number>(8 - d).fill(0)];
    const [o, a, b] = [pad(p.origin), pad(p.e1), pad(p.e2)];
    const packed = FieldParamsLayout.pack({
      width: this.width,
      height: this.height,
      n1: this.n1,
      n2: this.n2,
      t: p.t,
      lambda: p.lambda,
      uMin: p.uMin,
      uMax: p.uMax,
      vMin: p.vMin,
      vMax: p.vMax,
      origin0: o.slice(0, 4),
      origin1: o.slice(4),
      e1_0: a.slice(0, 4),
      e1_1: a.slice(4),
      e2_0: b.slice(0, 4),
      e2_1: b.slice(4),
    });
    this.device.queue.writeBuffer(this.params, 0, packed);
    const pass = encoder.beginComputePass({ label: 'PotentialField.pass' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(this.workgroups[0], this.workgroups[1]);
    pass.end();
  }

  /** The last encoded field, width*height*4 floats. */
  async read(): Promise<Float32Array> {
    return new Float32Array(await this.readback.read(this.output, 0, 16 * this.width * this.height));
  }

  dispose(): void {
    this.readback.dispose();
    this.res.dispose();
  }
}
