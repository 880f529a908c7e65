// Host side of shaders/score-mixing/field.wgsl: heat-kernel potentials phi1, phi2, Phi_lam^t and
// the limit Phi_lam on a W x H grid over a 2-D plane x = origin + u e1 + v e2 in R^d. The output
// buffer (vec4f per pixel, row py = 0 at vMin, pixel centres) feeds a colour-map pass directly;
// read() is for tests and exports. The kernel skips atom tiles below eps of a pixel's kept mass
// (shaders/lib/cull.wgsl): the atoms live on the GPU in k-d order with their tile and group boxes
// appended (cull-tiles.ts packCulledAtoms), one workgroup per 8 x 8 pixel block; eps defaults to 1e-7 / max(n1, n2), so
// |phi_i - phi_i(dense)| <= 4t n_i eps and Phi_lam is exact. readWork() reports what was skipped.

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { BufferUsage, STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { type CullWork, cullWork, defaultCullEps, packCulledAtoms } from './cull-tiles';
import {
  FieldParamsLayout,
  checkMeasures,
  dispatchGrid,
  pipelineCacheFor,
} from './gpu-common';
import type { Measure } from './types';
import type { FieldPlaneSpec } from './error-model';

/** A plane of the field: for d = 2, origin 0, e1 = (1, 0), e2 = (0, 1) is the plane itself (origin, e1, e2 of length d). */
export type FieldPlane = FieldPlaneSpec;

/** Written by the kernel, read back (tests, exports) and read by the colour-map pass. */
const FIELD_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.VERTEX;

/** Pixels per workgroup side (BLOCK in field.wgsl); the workgroup is BLOCK x BLOCK. */
const BLOCK = 8;

/**
 * The FieldParams uniform of field.wgsl (and of the bench's dense baseline, whose struct lacks
 * `cut`, which sits in its padding) for plane p on a width x height grid.
 */
export function packFieldParams(p: FieldPlane, width: number, height: number, n1: number, n2: number, cut: number): ArrayBuffer {
  const pad = (v: number[]): number[] => [...v, ...new Array<number>(8 - v.length).fill(0)];
  const [o, a, b] = [pad(p.origin), pad(p.e1), pad(p.e2)];
  return FieldParamsLayout.pack({
    width, height, n1, n2, t: p.t, lambda: p.lambda, uMin: p.uMin, uMax: p.uMax, vMin: p.vMin, vMax: p.vMax, cut,
    origin0: o.slice(0, 4), origin1: o.slice(4), e1_0: a.slice(0, 4), e1_1: a.slice(4), e2_0: b.slice(0, 4), e2_1: b.slice(4),
  });
}

export class PotentialField {
  /** vec4f per pixel (phi1, phi2, Phi_lam^t, Phi_lam), index py * width + px. */
  readonly output: GPUBuffer;
  private atomPoints!: GPUBuffer;
  private atomLogW!: GPUBuffer;
  private readonly counters: GPUBuffer;
  private bindGroup!: GPUBindGroup;
  /** The culling's eps for the current measures (skipped mass per skipped atom, relative). */
  eps = 0;
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
    const blocks = Math.ceil(width / BLOCK) * Math.ceil(height / BLOCK);
    this.workgroups = dispatchGrid(device, 'field.pixels', blocks * BLOCK * BLOCK, BLOCK * BLOCK);
    this.output = res.buffer('output', 16 * pixels, FIELD_USAGE);
    this.counters = res.buffer('counters', 12, STORAGE_RW | BufferUsage.COPY_DST);
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
      WG: BLOCK * BLOCK,
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
    const atoms = packCulledAtoms(mu1, mu2);
    for (const old of [this.atomPoints, this.atomLogW]) if (old) this.res.release(old);
    this.atomPoints = this.res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points);
    this.atomLogW = this.res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW);
    this.n1 = mu1.n;
    this.n2 = mu2.n;
    this.eps = defaultCullEps(mu1, mu2);
    const bindings: [number, GPUBuffer][] = [
      [0, this.atomPoints],
      [1, this.atomLogW],
      [2, this.params],
      [3, this.output],
      [4, this.counters],
    ];
    this.bindGroup = this.device.createBindGroup({
      label: 'PotentialField.bindGroup',
      layout: this.pipeline.getBindGroupLayout(0),
      entries: bindings.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
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
    const packed = packFieldParams(p, this.width, this.height, this.n1, this.n2, Math.log2(1 / this.eps));
    this.device.queue.writeBuffer(this.params, 0, packed);
    encoder.clearBuffer(this.counters);
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

  /** The work counters of the last encoded field (tests, the bench). */
  async readWork(): Promise<CullWork> {
    const counters = new Uint32Array(await this.readback.read(this.counters, 0, 12));
    return cullWork(counters, this.workgroups[0] * this.workgroups[1], this.width * this.height, this.n1, this.n2);
  }

  dispose(): void {
    this.readback.dispose();
    this.res.dispose();
  }
}
