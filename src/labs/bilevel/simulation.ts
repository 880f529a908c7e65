// GPU orchestration of the bilevel lab, DOM-free (page, CLI, tests and benchmarks run this same
// code). Owns the map buffers and the kernel shaders/bilevel/solve.wgsl (one invocation per pixel,
// the family specialised by the override FAMILY); the float64 twin is solveMapReference
// (reference.ts).
//
// API:
//   BilevelSimulation.create(gpu, config, kernel?)  sizes checked against the device (grid.n named);
//                                                kernel: the WGSL file (bench/bilevel.ts passes its baseline)
//   sim.encodeReset(encoder)                     clears the fail counts (before the first band)
//   sim.encodeRows(encoder, rowStart, rowEnd)    rows i1 in [rowStart, rowEnd); never awaits
//   sim.readMap() / sim.readCounts()             after all submitted work (not for the frame loop)
//   sim.codes / sim.counts                       the GPUBuffers, e.g. for the page's readback
//   solveMapOnGpu(gpu, config, onProgress?)      the whole map in bands, with the GPU time
//
// The row range of a dispatch reaches the kernel through copyBufferToBuffer from a constant index
// table into the uniform buffer, inside the command encoder, so several bands encoded back to back
// before one submit each see their own rows (queue.writeBuffer would apply every write before the
// whole submission). The pixel centres are computed in float64 (pixelCentres) and rounded once.
//
// Buffer layouts, pixel k = i1 * n + i2:
//   y[k * ny + j] (f32) | mu[k * m + j] (f32; a 16-byte dummy when m = 0) | margins[3k + c] (f32,
//   c = LICQ, SCSC, SOSC) | codes[k] (u32): bits 0..3 active set, bit 8 + c: margin_c < tau |
//   counts[c] (u32): pixels with bit 8 + c set since the last reset

import type { GpuContext } from '../../gpu/device';
import { GpuLimitError } from '../../gpu/limits';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { BufferUsage, STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { structLayout } from '../../gpu/struct-layout';
import { flagThreshold, perturbationOf, pixelCentres } from './config';
import { FAMILY_DIMS, type BilevelConfig, type BilevelMap, type Family } from './types';

/** The kernel's FAMILY override of each family (the table in shaders/bilevel/solve.wgsl). */
export const FAMILY_INDEX: Record<Family, number> = { qp: 0, disk: 1, abs: 2, cusp: 3, lp: 4 };

export const BilevelParamsLayout = structLayout('BilevelParams', [
  ['n', 'u32'],
  ['rowStart', 'u32'],
  ['rowEnd', 'u32'],
  ['tau', 'f32'],
  ['q0', 'f32'],
  ['q1', 'f32'],
  ['d0', 'f32'],
  ['d1', 'f32'],
  ['d2', 'f32'],
  ['d3', 'f32'],
] as const);

/** @workgroup_size of solve.wgsl (WG_X, WG_Y): x along i2, y along the rows i1. */
export const SOLVE_WORKGROUP: readonly [number, number] = [8, 8];

const COPY_SRC = BufferUsage.COPY_SRC;

export class BilevelSimulation {
  readonly n: number;
  readonly ny: number;
  readonly m: number;
  /** Active-set bits and fail flags per pixel (layout above). */
  readonly codes: GPUBuffer;
  /** 3 x u32 fail counts (LICQ, SCSC, SOSC). */
  readonly counts: GPUBuffer;
  private disposed = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly readback: ReadbackPool,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly buffers: { params: GPUBuffer; rowIndex: GPUBuffer; y: GPUBuffer; mu: GPUBuffer; margins: GPUBuffer },
    readonly config: BilevelConfig,
    codes: GPUBuffer,
    counts: GPUBuffer,
  ) {
    this.n = config.grid.n;
    const { ny, m } = FAMILY_DIMS[config.family];
    this.ny = ny;
    this.m = m;
    this.codes = codes;
    this.counts = counts;
  }

  /**
   * Checks grid.n against the device (a GpuLimitError naming grid.n and the limit, before anything
   * is allocated), compiles the family's kernel and uploads the centres, q, d and tau. `kernel` is
   * the file under shaders/ (bench/bilevel.ts runs its baseline bench/bilevel-solve.wgsl, which has
   * the same bindings, overrides and layouts).
   */
  static async create(gpu: GpuContext, config: BilevelConfig, kernel = 'bilevel/solve.wgsl'): Promise<BilevelSimulation> {
    const { device } = gpu;
    const { family } = config;
    const n = config.grid.n;
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`grid.n must be a positive integer, got ${n}`);
    if (!(family in FAMILY_INDEX)) throw new Error(`family "${String(family)}" has no GPU kernel`);
    const { ny, m } = FAMILY_DIMS[family];
    checkSizes(device, n, ny, m);
    const tau = flagThreshold(config);
    if (!Number.isFinite(tau)) throw new Error(`kappa h = ${tau} is not a finite flag threshold`);
    const p = perturbationOf(config);
    const pipeline = await pipelineCacheFor(device).compute(kernel, 'main', { FAMILY: FAMILY_INDEX[family] });

    const res = new GpuResources(device, 'BilevelSimulation');
    try {
      const at = (v: readonly number[], i: number): number => v[i] ?? 0;
      const paramBytes = BilevelParamsLayout.pack({
        n,
        rowStart: 0,
        rowEnd: 0,
        tau,
        q0: at(p.q, 0),
        q1: at(p.q, 1),
        d0: at(p.d, 0),
        d1: at(p.d, 1),
        d2: at(p.d, 2),
        d3: at(p.d, 3),
      });
      const params = res.buffer('params', BilevelParamsLayout.size, UNIFORM_W, new Uint8Array(paramBytes));
      const rowIndex = res.buffer('rowIndex', 4 * (n + 1), COPY_SRC, Uint32Array.from({ length: n + 1 }, (_, i) => i));
      const centres = new Float32Array(2 * n);
      centres.set(pixelCentres(config.grid.x1, n), 0);
      centres.set(pixelCentres(config.grid.x2, n), n);
      const centreBuffer = res.buffer('centres', centres.byteLength, STORAGE_R, centres);
      const pixels = n * n;
      const y = res.buffer('y', 4 * pixels * ny, STORAGE_RW);
      // The cusp has no constraints: the kernel writes no multiplier, but the binding must exist.
      const mu = res.buffer(m > 0 ? 'mu' : 'muDummy', Math.max(16, 4 * pixels * m), STORAGE_RW);
      const margins = res.buffer('margins', 12 * pixels, STORAGE_RW);
      const codes = res.buffer('codes', 4 * pixels, STORAGE_RW);
      const counts = res.buffer('counts', 12, STORAGE_RW);
      const bindGroup = device.createBindGroup({
        label: 'BilevelSimulation.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: [params, centreBuffer, y, mu, margins, codes, counts].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const readback = new ReadbackPool(device, 'BilevelSimulation.readback', 5);
      return new BilevelSimulation(device, res, readback, pipeline, bindGroup, { params, rowIndex, y, mu, margins }, config, codes, counts);
    } catch (e) {
      res.dispose();
      throw e;
    }
  }

  /** Encodes a clear of the fail counts (call before the first band of a full solve). */
  encodeReset(encoder: GPUCommandEncoder): void {
    this.assertLive();
    encoder.clearBuffer(this.counts);
  }

  /**
   * Encodes the solve of rows i1 in [rowStart, rowEnd): one compute pass per chunk of at most
   * maxComputeWorkgroupsPerDimension workgroup rows. `timestampWrites` (if given) is asked once
   * per pass. Never awaits.
   */
  encodeRows(
    encoder: GPUCommandEncoder,
    rowStart: number,
    rowEnd: number,
    timestampWrites?: () => GPUComputePassTimestampWrites | undefined,
  ): void {
    this.assertLive();
    if (!(Number.isInteger(rowStart) && Number.isInteger(rowEnd) && 0 <= rowStart && rowStart <= rowEnd && rowEnd <= this.n)) {
      throw new Error(`BilevelSimulation.encodeRows: rows [${rowStart}, ${rowEnd}) are not a range inside [0, ${this.n}]`);
    }
    const [wx, wy] = SOLVE_WORKGROUP;
    const maxRows = this.device.limits.maxComputeWorkgroupsPerDimension * wy;
    const { params, rowIndex } = this.buffers;
    for (let r0 = rowStart; r0 < rowEnd; r0 += maxRows) {
      const r1 = Math.min(rowEnd, r0 + maxRows);
      encoder.copyBufferToBuffer(rowIndex, 4 * r0, params, BilevelParamsLayout.offsets.rowStart, 4);
      encoder.copyBufferToBuffer(rowIndex, 4 * r1, params, BilevelParamsLayout.offsets.rowEnd, 4);
      const pass = encoder.beginComputePass({ label: 'BilevelSimulation.solve', timestampWrites: timestampWrites?.() });
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, this.bindGroup);
      pass.dispatchWorkgroups(Math.ceil(this.n / wx), Math.ceil((r1 - r0) / wy));
      pass.end();
    }
  }

  /** The fail counts after all submitted work. */
  async readCounts(): Promise<[number, number, number]> {
    this.assertLive();
    const c = new Uint32Array(await this.readback.read(this.counts, 0, 12));
    return [c[0], c[1], c[2]];
  }

  /**
   * Everything, after all submitted work, as a BilevelMap (float32 y, mu, margins; fractions from
   * the GPU counts over n^2). Not for the frame loop.
   */
  async readMap(): Promise<BilevelMap> {
    this.assertLive();
    const { n, ny, m, device } = this;
    const pixels = n * n;
    const { y, mu, margins } = this.buffers;
    const encoder = device.createCommandEncoder({ label: 'BilevelSimulation.readMapEncoder' });
    const sources: [GPUBuffer, number][] = [
      [y, 4 * pixels * ny],
      [margins, 12 * pixels],
      [this.codes, 4 * pixels],
      [this.counts, 12],
    ];
    if (m > 0) sources.push([mu, 4 * pixels * m]);
    const pending = sources.map(([buffer, size]) => this.readback.request(encoder, buffer, 0, size));
    device.queue.submit([encoder.finish()]);
    this.readback.submitted();
    const [yBytes, marginBytes, codeBytes, countBytes, muBytes] = await Promise.all(pending.map((p) => p ?? Promise.reject(new Error('BilevelSimulation.readMap: readbacks already in flight'))));
    const codes = new Uint32Array(codeBytes);
    const interleaved = new Float32Array(marginBytes);
    const counts = new Uint32Array(countBytes);
    const active = new Int32Array(pixels);
    const marginArrays: BilevelMap['margins'] = [new Float32Array(pixels), new Float32Array(pixels), new Float32Array(pixels)];
    const fails: BilevelMap['fails'] = [new Uint8Array(pixels), new Uint8Array(pixels), new Uint8Array(pixels)];
    for (let k = 0; k < pixels; k++) {
      const code = codes[k];
      active[k] = code & 0xf;
      for (let c = 0; c < 3; c++) {
        marginArrays[c][k] = interleaved[3 * k + c];
        fails[c][k] = (code >>> (8 + c)) & 1;
      }
    }
    return {
      n,
      ny,
      m,
      x1: pixelCentres(this.config.grid.x1, n),
      x2: pixelCentres(this.config.grid.x2, n),
      y: new Float32Array(yBytes),
      mu: muBytes ? new Float32Array(muBytes) : new Float32Array(0),
      active,
      margins: marginArrays,
      fails,
      fraction: [counts[0] / pixels, counts[1] / pixels, counts[2] / pixels],
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readback.dispose();
    this.res.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('BilevelSimulation is disposed');
  }
}

/**
 * Throws a GpuLimitError naming grid.n when a map buffer (the largest is mu for the polygon
 * families: 16 bytes per pixel) exceeds a storage binding or buffer, or the columns exceed one
 * dispatch dimension.
 */
function checkSizes(device: GPUDevice, n: number, ny: number, m: number): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const bytesPerPixel = 4 * Math.max(ny, m, 3);
  const maxPixels = Math.floor(limit / bytesPerPixel);
  if (n * n > maxPixels) {
    throw new GpuLimitError(
      'grid.n',
      n,
      Math.floor(Math.sqrt(maxPixels)),
      `an n x n map needs ${bytesPerPixel} bytes per pixel in one buffer, and this GPU's maxStorageBufferBindingSize / maxBufferSize allow ${limit} bytes`,
    );
  }
  const maxColumns = device.limits.maxComputeWorkgroupsPerDimension * SOLVE_WORKGROUP[0];
  if (n > maxColumns) throw new GpuLimitError('grid.n', n, maxColumns, 'columns in one dispatch dimension (maxComputeWorkgroupsPerDimension)');
}

/** Rows per band of solveMapOnGpu: about 2^18 pixels per submit (progress, bounded GPU work). */
function bandRows(n: number): number {
  return Math.max(1, Math.min(n, Math.floor(2 ** 18 / n)));
}

/**
 * The whole map on the GPU (the headless runner's path): create, reset, every row in bands
 * (onProgress(fraction of rows) as bands complete), readMap, dispose. gpuMs is the time of the
 * solve passes: timestamp queries where the device has them, else wall clock from the first
 * submit to the completion of the last band.
 */
export async function solveMapOnGpu(
  gpu: GpuContext,
  config: BilevelConfig,
  onProgress?: (f: number) => void,
): Promise<{ map: BilevelMap; gpuMs: number }> {
  const { device } = gpu;
  const sim = await BilevelSimulation.create(gpu, config);
  const n = sim.n;
  const band = bandRows(n);
  const bands = Math.ceil(n / band);
  const passesPerBand = Math.ceil(band / (device.limits.maxComputeWorkgroupsPerDimension * SOLVE_WORKGROUP[1]));
  const queryCount = 2 * bands * passesPerBand;
  const timer = gpu.hasTimestamps && queryCount <= 4096 ? new PassTimer(device, queryCount) : null;
  try {
    let reported = 0;
    const report = (f: number): void => {
      if (onProgress && f > reported) onProgress((reported = f));
    };
    const start = performance.now();
    for (let b = 0; b < bands; b++) {
      const r0 = b * band;
      const r1 = Math.min(n, r0 + band);
      const encoder = device.createCommandEncoder({ label: 'solveMapOnGpu.bandEncoder' });
      if (b === 0) sim.encodeReset(encoder);
      sim.encodeRows(encoder, r0, r1, timer ? () => timer.next() : undefined);
      device.queue.submit([encoder.finish()]);
      void device.queue.onSubmittedWorkDone().then(() => report(r1 / n));
    }
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - start;
    report(1);
    const stamped = timer ? await timer.totalMs() : null;
    const map = await sim.readMap();
    return { map, gpuMs: stamped !== null && stamped > 0 ? stamped : wallMs };
  } finally {
    timer?.dispose();
    sim.dispose();
  }
}

/** Begin/end timestamps of a sequence of compute passes, summed (GPU time of the passes). */
class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private used = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity: number,
  ) {
    this.querySet = device.createQuerySet({ label: 'solveMapOnGpu.timestamps', type: 'timestamp', count: capacity });
    this.resolveBuffer = device.createBuffer({
      label: 'solveMapOnGpu.timestampResolve',
      size: 8 * capacity,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  next(): GPUComputePassTimestampWrites | undefined {
    if (this.used + 2 > this.capacity) return undefined;
    const at = this.used;
    this.used += 2;
    return { querySet: this.querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
  }

  /** Sum of end - begin over the passes timed (ms), after all submitted work. */
  async totalMs(): Promise<number> {
    if (this.used === 0) return 0;
    const encoder = this.device.createCommandEncoder({ label: 'solveMapOnGpu.timestampEncoder' });
    encoder.resolveQuerySet(this.querySet, 0, this.used, this.resolveBuffer, 0);
    const pool = new ReadbackPool(this.device, 'solveMapOnGpu.timestampReadback', 1);
    try {
      const pending = pool.request(encoder, this.resolveBuffer, 0, 8 * this.used) as Promise<ArrayBuffer>;
      this.device.queue.submit([encoder.finish()]);
      pool.submitted();
      const stamps = new BigUint64Array(await pending);
      let ns = 0n;
      for (let i = 0; i + 1 < this.used; i += 2) if (stamps[i + 1] > stamps[i]) ns += stamps[i + 1] - stamps[i];
      return Number(ns) / 1e6;
    } finally {
      pool.dispose();
    }
  }

  dispose(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
