// Host side of shaders/score-mixing/mixed-score-culled.wgsl (issue 13, part 2): the outputs of
// evaluateMixedScore (score-kernel.ts) with the small-t culling of shaders/lib/cull.wgsl. Once per
// call, in float64: each measure's atoms are put in k-d tree order and cut into tiles and groups
// (cull-tiles.ts); the queries are put in k-d order with one leaf per workgroup before the dispatch
// and the outputs unsorted, so a workgroup's queries are near each other and skip the same far tiles. When the
// extents show that nothing can be skipped (large t), the dense kernel runs instead.
//
// Error bound (derived in cull.wgsl's header): for every query and measure k, the skipped mass is
// at most n_k eps of the kept mass, so |m_k - m_k(dense)| <= n_k eps diam(atoms of mu_k) and
// |log u_k - log u_k(dense)| <= n_k eps, on top of the dense kernel's f32 error (the atom order
// differs, so the roundings do). Default eps = 1e-7 / max(n1, n2): the bound is 1e-7 of the atom
// spread, far under the 1e-5 target and under f32 rounding. culledMeanBound states it per measure.

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { kdOrder } from '../../math/kd-order';
import { type CullWork, cullingSkipsNothing, cullWork, defaultCullEps, packCulledAtoms } from './cull-tiles';
import { DEFAULT_WORKGROUP, checkMeasures, checkWorkgroupSize, dispatchGrid, pipelineCacheFor } from './gpu-common';
import { type MixedScoreResult, evaluateMixedScore } from './score-kernel';
import type { Measure } from './types';

/** Uniform of mixed-score-culled.wgsl; cut = log2(1/eps). */
export const CulledScoreParamsLayout = structLayout('CulledScoreParams', [
  ['count', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['lambda', 'f32'],
  ['t', 'f32'],
  ['cut', 'f32'],
] as const);

/** Counters sum over dispatches (options.repeat). */
export interface CulledScoreResult extends MixedScoreResult, CullWork {
  /** The eps used (skipped mass per skipped atom relative to the kept mass). */
  eps: number;
  /** True when the extents showed nothing could be skipped and the dense kernel ran. */
  dense: boolean;
}

/**
 * One-shot culled evaluation at `points` (count*d), outputs in the caller's query order. Creates,
 * uses and destroys its buffers; the pipeline is cached per device. `options.repeat` re-dispatches
 * (the counters then sum over dispatches).
 */
export async function evaluateMixedScoreCulled(
  gpu: GpuContext,
  mu1: Measure,
  mu2: Measure,
  lambda: number,
  t: number,
  points: Float64Array,
  options: { eps?: number; workgroupSize?: number; repeat?: number; onSubmitted?: () => void } = {},
): Promise<CulledScoreResult> {
  const { device } = gpu;
  checkMeasures(device, mu1, mu2);
  const d = mu1.d;
  if (points.length === 0 || points.length % d !== 0) {
    throw new Error(`points has length ${points.length}, expected a positive multiple of d = ${d}`);
  }
  if (!(t > 0 && Number.isFinite(t))) throw new Error(`t must be finite and > 0, got ${t}`);
  const eps = options.eps ?? defaultCullEps(mu1, mu2);
  if (!(eps > 0 && eps < 1)) throw new Error(`eps must be in (0, 1), got ${eps}`);
  const count = points.length / d;
  const wg = options.workgroupSize ?? DEFAULT_WORKGROUP;
  checkWorkgroupSize(device, wg);
  assertStorageFits(device, 'points', count, 4 * d);
  assertStorageFits(device, 'points (results)', count, 4 * (4 * d + 2));
  const grid = dispatchGrid(device, 'points', count, wg);
  const repeat = options.repeat ?? 1;
  const groups = grid[0] * grid[1] * repeat;

  const atoms = packCulledAtoms(mu1, mu2);
  if (cullingSkipsNothing(points, d, { points: atoms.atoms, logW: atoms.logW }, mu1.n, mu2.n, t, eps)) {
    const dense = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, points, { workgroupSize: wg, repeat, onSubmitted: options.onSubmitted });
    const work = cullWork(new Uint32Array(3), groups, count * repeat, mu1.n, mu2.n);
    return { ...dense, eps, dense: true, ...work, tilesLoaded: work.denseTiles, atomsLoaded: work.denseAtoms, pairs: work.densePairs };
  }
  const pipeline = await pipelineCacheFor(device).compute('score-mixing/mixed-score-culled.wgsl', 'main', { D: d, WG: wg });
  const queryOrder = kdOrder(points, d, wg);
  const sortedQueries = new Float32Array(count * d);
  queryOrder.forEach((i, k) => sortedQueries.set(points.subarray(i * d, (i + 1) * d), k * d));

  const res = new GpuResources(device, 'MixedScoreCulled');
  const readback = new ReadbackPool(device, 'MixedScoreCulled.readback', 2);
  try {
    const resultFloats = count * (4 * d + 2);
    const result = res.buffer('result', resultFloats * 4, STORAGE_RW);
    const counters = res.buffer('visited', 12, STORAGE_RW);
    const params = CulledScoreParamsLayout.pack({ count, n1: mu1.n, n2: mu2.n, lambda, t, cut: Math.log2(1 / eps) });
    const bindGroup = device.createBindGroup({
      label: 'MixedScoreCulled.bindGroup',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points) } },
        { binding: 1, resource: { buffer: res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW) } },
        { binding: 2, resource: { buffer: res.buffer('params', CulledScoreParamsLayout.size, UNIFORM_W, new Uint8Array(params)) } },
        { binding: 3, resource: { buffer: res.buffer('queries', sortedQueries.byteLength, STORAGE_R, sortedQueries) } },
        { binding: 4, resource: { buffer: result } },
        { binding: 5, resource: { buffer: counters } },
      ],
    });
    const encoder = device.createCommandEncoder({ label: 'MixedScoreCulled.encoder' });
    const pass = encoder.beginComputePass({ label: 'MixedScoreCulled.pass' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeat; r++) pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    options.onSubmitted?.();
    const bytes = await readback.read(result, 0, resultFloats * 4);
    const counts = new Uint32Array(await readback.read(counters, 0, 12));
    return {
      ...unsort(new Float32Array(bytes), queryOrder, count, d),
      eps,
      dense: false,
      ...cullWork(counts, groups, count * repeat, mu1.n, mu2.n),
    };
  } finally {
    readback.dispose();
    res.dispose();
  }
}

/** The kernel's output sections, each put back in the caller's query order. */
function unsort(all: Float32Array, order: Uint32Array, count: number, d: number): MixedScoreResult {
  const s = count * d;
  const vec = (off: number): Float32Array => {
    const out = new Float32Array(s);
    order.forEach((i, k) => out.set(all.subarray(off + k * d, off + (k + 1) * d), i * d));
    return out;
  };
  const scalar = (off: number): Float32Array => {
    const out = new Float32Array(count);
    order.forEach((i, k) => (out[i] = all[off + k]));
    return out;
  };
  return { m1: vec(0), m2: vec(s), mLam: vec(2 * s), score: vec(3 * s), logU1: scalar(4 * s), logU2: scalar(4 * s + count) };
}
