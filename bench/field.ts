// `npm run bench -- --only field` (issue 13): the potential field (phi1, phi2, Phi_lam^t, Phi_lam
// on a W x W pixel grid; src/labs/score-mixing/field.ts) by the dense loop it had before the
// culling (shaders/bench/field-dense.wgsl) and by today's culled field.wgsl, in one run, at
// t = 1e-4 (where most tiles are skipped) and at t = 1 (where none is: the cost of the votes).
// Prints `field: t = .., W x W pixels, N = .., d = 2: dense <ms> ms, culled <ms> ms, speedup <S>x,
// pairs ratio <P>x, max |phi diff| <E>`; times are wall clock from submit to
// onSubmittedWorkDone of one field each, after a warm-up of each; pairs from the culled kernel's
// counter; the phi difference is absolute over the four outputs.
// Environment: BENCH_FIELD_W (pixels per side; 256, 64 on a software adapter), BENCH_FIELD_N
// (atoms per measure, 8192).

import type { GpuContext } from '../src/gpu/device';
import { GpuResources } from '../src/gpu/resources';
import { BufferUsage, STORAGE_R, UNIFORM_W } from '../src/gpu/usage';
import { PotentialField, packFieldParams, type FieldPlane } from '../src/labs/score-mixing/field';
import { FieldParamsLayout, packAtoms, pipelineCacheFor } from '../src/labs/score-mixing/gpu-common';
import type { Measure } from '../src/labs/score-mixing/types';
import { mulberry32 } from '../src/math/mulberry32';
import { formatRate, pairsRateNote } from './exp-bound';

const D = 2;

function measure(n: number, next: () => number): Measure {
  const points = Float64Array.from({ length: n * D }, () => -2 + 4 * next());
  return { d: D, n, points, weights: new Float64Array(n).fill(1 / n) };
}


/**
 * The dense field loop the culled field replaced (shaders/bench/field-dense.wgsl): 64 pixels per
 * workgroup in row order, atoms in the measures' own order, a W x W grid.
 */
export class DenseFieldBaseline {
  private constructor(
    private readonly device: GPUDevice,
    private readonly res: GpuResources,
    private readonly pipeline: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly params: GPUBuffer,
    private readonly out: GPUBuffer,
    private readonly w: number,
    private readonly n: [number, number],
  ) {}

  static async create(gpu: GpuContext, mu1: Measure, mu2: Measure, w: number): Promise<DenseFieldBaseline> {
    const { device } = gpu;
    const pipeline = await pipelineCacheFor(device).compute('bench/field-dense.wgsl', 'main', { D: mu1.d, WG: 64 });
    const res = new GpuResources(device, 'BenchField');
    const atoms = packAtoms(mu1, mu2);
    const params = res.buffer('params', FieldParamsLayout.size, UNIFORM_W);
    const out = res.buffer('output', 16 * w * w, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    const bindGroup = device.createBindGroup({
      label: 'BenchField.bindGroup',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points),
        res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW),
        params,
        out,
      ].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    return new DenseFieldBaseline(device, res, pipeline, bindGroup, params, out, w, [mu1.n, mu2.n]);
  }

  /** Encodes one field of `plane` (its uniform written now: one field per submission). */
  encode(enc: GPUCommandEncoder, plane: FieldPlane): void {
    this.device.queue.writeBuffer(this.params, 0, packFieldParams(plane, this.w, this.w, this.n[0], this.n[1], 0));
    const pass = enc.beginComputePass({ label: 'BenchField.dense' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(Math.ceil((this.w * this.w) / 64));
    pass.end();
  }

  /** The last encoded field, W x W x 4 floats as PotentialField.read. */
  async read(): Promise<Float32Array> {
    const bytes = 16 * this.w * this.w;
    const staging = this.res.buffer('staging', bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    const enc = this.device.createCommandEncoder({ label: 'BenchField.copy' });
    enc.copyBufferToBuffer(this.out, 0, staging, 0, bytes);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const v = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    this.res.release(staging);
    return v;
  }

  dispose(): void {
    this.res.dispose();
  }
}

/** The `field:` lines on `gpu`. */
export async function benchField(gpu: GpuContext | null): Promise<void> {
  if (!gpu) {
    console.log('field: skipped (no WebGPU adapter)');
    return;
  }
  const { device } = gpu;
  const w = Number(process.env.BENCH_FIELD_W ?? (gpu.isSoftware ? 64 : 256));
  const n = Number(process.env.BENCH_FIELD_N ?? 8192);
  const next = mulberry32(99);
  const mu1 = measure(n, next);
  const mu2 = measure(n, next);
  console.log(`flowlab bench: potential field, adapter ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''}`);
  const culled = await PotentialField.create(gpu, mu1, mu2, w, w);
  const dense = await DenseFieldBaseline.create(gpu, mu1, mu2, w);
  try {
    const timed = async (encode: (enc: GPUCommandEncoder) => void): Promise<number> => {
      const enc = device.createCommandEncoder({ label: 'BenchField.encoder' });
      encode(enc);
      const start = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - start;
    };
    for (const t of [1e-4, 1]) {
      const plane: FieldPlane = { t, lambda: 0.5, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -2.5, uMax: 2.5, vMin: -2.5, vMax: 2.5 };
      await timed((enc) => dense.encode(enc, plane));
      const denseMs = await timed((enc) => dense.encode(enc, plane));
      const want = await dense.read();
      await timed((enc) => culled.encode(enc, plane));
      const culledMs = await timed((enc) => culled.encode(enc, plane));
      const got = await culled.read();
      const work = await culled.readWork();
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
      console.log(
        `field: t = ${t}, ${w} x ${w} pixels, N = ${2 * n}, d = ${D}: dense ${denseMs.toFixed(0)} ms, culled ${culledMs.toFixed(0)} ms, ` +
          `speedup ${(denseMs / culledMs).toFixed(2)}x, pairs ratio ${(work.densePairs / Math.max(1, work.pairs)).toFixed(2)}x, max |phi diff| ${diff.toExponential(2)}; ` +
          `dense ${formatRate((w * w) / (denseMs / 1000), 'pixels/s')} (${pairsRateNote(gpu.adapterDescription, work.densePairs, denseMs)}), ` +
          `culled ${formatRate((w * w) / (culledMs / 1000), 'pixels/s')} (computed ${pairsRateNote(gpu.adapterDescription, work.pairs, culledMs)})`,
      );
    }
  } finally {
    dense.dispose();
    culled.dispose();
  }
}
