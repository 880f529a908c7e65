// Host side of shaders/score-mixing/mixed-score.wgsl: evaluates m1, m2, m_lam, the mixed score
// and log u1, log u2 at arbitrary query points. For tests (against the float64 reference) and the
// benchmark; the generation kernel uses the same denoiser snippet (shaders/lib/denoise.wgsl).

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import {
  DEFAULT_WORKGROUP,
  ScoreParamsLayout,
  checkMeasures,
  checkWorkgroupSize,
  dispatchGrid,
  packAtoms,
  pipelineCacheFor,
} from './gpu-common';
import type { Measure } from './types';

export interface MixedScoreResult {
  /** count*d each, row-major. */
  m1: Float32Array;
  m2: Float32Array;
  mLam: Float32Array;
  score: Float32Array;
  /** count each. */
  logU1: Float32Array;
  logU2: Float32Array;
}

/**
 * One-shot evaluation at `points` (count*d). Creates, uses and destroys its buffers; the pipeline
 * is cached per device. `options.repeat` re-dispatches the same kernel (benchmarks time that).
 */
export async function evaluateMixedScore(
  gpu: GpuContext,
  mu1: Measure,
  mu2: Measure,
  lambda: number,
  t: number,
  points: Float64Array,
  options: { workgroupSize?: number; repeat?: number; onSubmitted?: () => void } = {},
): Promise<MixedScoreResult> {
  const { device } = gpu;
  checkMeasures(device, mu1, mu2);
  const d = mu1.d;
  if (points.length === 0 || points.length % d !== 0) {
    throw new Error(`points has length ${points.length}, expected a positive multiple of d = ${d}`);
  }
  if (!(t > 0 && Number.isFinite(t))) throw new Error(`t must be finite and > 0, got ${t}`);
  const count = points.length / d;
  const wg = options.workgroupSize ?? DEFAULT_WORKGROUP;
  checkWorkgroupSize(device, wg);
  assertStorageFits(device, 'points', count, 4 * d);
  assertStorageFits(device, 'points (results)', count, 4 * (4 * d + 2));
  const grid = dispatchGrid(device, 'points', count, wg);
  const pipeline = await pipelineCacheFor(device).compute('score-mixing/mixed-score.wgsl', 'main', { D: d, WG: wg });

  const res = new GpuResources(device, 'MixedScore');
  const readback = new ReadbackPool(device, 'MixedScore.readback', 1);
  try {
    const atoms = packAtoms(mu1, mu2);
    const resultFloats = count * (4 * d + 2);
    const result = res.buffer('result', resultFloats * 4, STORAGE_RW);
    const bindGroup = device.createBindGroup({
      label: 'MixedScore.bindGroup',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points) } },
        { binding: 1, resource: { buffer: res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW) } },
        {
          binding: 2,
          resource: {
            buffer: res.buffer(
              'params',
              ScoreParamsLayout.size,
              UNIFORM_W,
              new Uint8Array(ScoreParamsLayout.pack({ count, n1: mu1.n, n2: mu2.n, lambda, t })),
            ),
          },
        },
        { binding: 3, resource: { buffer: res.buffer('queries', count * d * 4, STORAGE_R, new Float32Array(points)) } },
        { binding: 4, resource: { buffer: result } },
      ],
    });
    const encoder = device.createCommandEncoder({ label: 'MixedScore.encoder' });
    const pass = encoder.beginComputePass({ label: 'MixedScore.pass' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < (options.repeat ?? 1); r++) pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    options.onSubmitted?.();
    return split(await readback.read(result, 0, resultFloats * 4), count, d);
  } finally {
    readback.dispose();
    res.dispose();
  }
}

function split(bytes: ArrayBuffer, count: number, d: number): MixedScoreResult {
  const all = new Float32Array(bytes);
  const s = count * d;
  return {
    m1: all.slice(0, s),
    m2: all.slice(s, 2 * s),
    mLam: all.slice(2 * s, 3 * s),
    score: all.slice(3 * s, 4 * s),
    logU1: all.slice(4 * s, 4 * s + count),
    logU2: all.slice(4 * s + count, 4 * s + 2 * count),
  };
}
