// Host side of shaders/score-mixing/mixed-score-culled.wgsl (issue 13, part 2): the outputs of
// evaluateMixedScore (score-kernel.ts) with the small-t culling of atom tiles. Once per call, in
// float64: each measure's atoms are sorted in Morton order (src/math/morton.ts) and cut into tiles
// of TILE_ATOMS, one descriptor per tile (f32 bounding box, max log weight); the queries are sorted in Morton order before the dispatch and the outputs unsorted,
// so a workgroup's queries are near each other and skip the same far tiles.
//
// Error bound (derived in the shader's header): for every query and measure k, the skipped mass
// is at most n_k eps of the kept mass, so |m_k - m_k(dense)| <= n_k eps diam(atoms of mu_k) and
// |log u_k - log u_k(dense)| <= n_k eps, on top of the dense kernel's f32 error (the atom order
// differs, so the roundings do). Default eps = 1e-7 / max(n1, n2): the bound is 1e-7 of the atom
// spread, far under the 1e-5 target and under f32 rounding. culledMeanBound states it per measure.

import type { GpuContext } from '../../gpu/device';
import { assertStorageFits } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { structLayout } from '../../gpu/struct-layout';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../../gpu/usage';
import { mortonOrder } from '../../math/morton';
import { DEFAULT_WORKGROUP, checkMeasures, checkWorkgroupSize, dispatchGrid, packAtoms, pipelineCacheFor } from './gpu-common';
import type { MixedScoreResult } from './score-kernel';
import type { Measure } from './types';

/** Atoms per tile (TILE_ATOMS in shaders/lib/denoise.wgsl). */
export const TILE_ATOMS = 256;

/** Uniform of mixed-score-culled.wgsl; cut = log2(1/eps). */
export const CulledScoreParamsLayout = structLayout('CulledScoreParams', [
  ['count', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['lambda', 'f32'],
  ['t', 'f32'],
  ['cut', 'f32'],
] as const);

export interface CulledScoreResult extends MixedScoreResult {
  /** The eps used (skipped mass per skipped atom relative to the kept mass). */
  eps: number;
  /** (workgroup, tile) pairs processed, summed over dispatches; dense: workgroups x tiles. */
  tilesVisited: number;
  denseTiles: number;
  /** Atoms loaded and looped over, summed over workgroups and dispatches; dense: workgroups x (n1 + n2). */
  atomsVisited: number;
  denseAtoms: number;
}

/** Default eps: the mean's bound n eps diam is then 1e-7 of the atom spread. */
export function defaultCullEps(mu1: Measure, mu2: Measure): number {
  return 1e-7 / Math.max(mu1.n, mu2.n);
}

/** The stated bound on |m - m(dense)| from culling alone: n eps diam(bounding box of the atoms). */
export function culledMeanBound(mu: Measure, eps: number): number {
  let diam2 = 0;
  for (let c = 0; c < mu.d; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < mu.n; j++) {
      const v = mu.points[j * mu.d + c];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    diam2 += (hi - lo) ** 2;
  }
  return mu.n * eps * Math.sqrt(diam2);
}

/** The measure with its atoms (points, weights, log weights) in Morton order. */
export function mortonSorted(mu: Measure): Measure {
  const { d, n } = mu;
  const order = mortonOrder(mu.points, d);
  const points = new Float64Array(n * d);
  const weights = new Float64Array(n);
  const logWeights = mu.logWeights ? new Float64Array(n) : undefined;
  order.forEach((j, k) => {
    points.set(mu.points.subarray(j * d, (j + 1) * d), k * d);
    weights[k] = mu.weights[j];
    if (logWeights && mu.logWeights) logWeights[k] = mu.logWeights[j];
  });
  return { d, n, points, weights, ...(logWeights ? { logWeights } : {}) };
}

/**
 * Tile descriptors of atoms [first, first + n) of the packed f32 arrays, TILE_ATOMS per tile:
 * lo[d], hi[d] (the f32 bounding box), the largest log w (2d + 1 floats).
 */
export function tileDescriptors(points: Float32Array, logW: Float32Array, first: number, n: number, d: number): Float32Array {
  const stride = 2 * d + 1;
  const nTiles = Math.ceil(n / TILE_ATOMS);
  const out = new Float32Array(nTiles * stride);
  for (let k = 0; k < nTiles; k++) {
    const at = k * stride;
    let wMax = -Infinity;
    for (let c = 0; c < d; c++) {
      out[at + c] = Infinity;
      out[at + d + c] = -Infinity;
    }
    for (let a = first + k * TILE_ATOMS; a < first + Math.min(n, (k + 1) * TILE_ATOMS); a++) {
      for (let c = 0; c < d; c++) {
        const v = points[a * d + c];
        if (v < out[at + c]) out[at + c] = v;
        if (v > out[at + d + c]) out[at + d + c] = v;
      }
      wMax = Math.max(wMax, logW[a]);
    }
    out[at + 2 * d] = wMax;
  }
  return out;
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
  const pipeline = await pipelineCacheFor(device).compute('score-mixing/mixed-score-culled.wgsl', 'main', { D: d, WG: wg });

  const atoms = packAtoms(mortonSorted(mu1), mortonSorted(mu2));
  const tiles1 = tileDescriptors(atoms.points, atoms.logW, 0, mu1.n, d);
  const tiles2 = tileDescriptors(atoms.points, atoms.logW, mu1.n, mu2.n, d);
  const tiles = new Float32Array(tiles1.length + tiles2.length);
  tiles.set(tiles1);
  tiles.set(tiles2, tiles1.length);
  const queryOrder = mortonOrder(points, d);
  const sortedQueries = new Float32Array(count * d);
  queryOrder.forEach((i, k) => sortedQueries.set(points.subarray(i * d, (i + 1) * d), k * d));

  const res = new GpuResources(device, 'MixedScoreCulled');
  const readback = new ReadbackPool(device, 'MixedScoreCulled.readback', 2);
  try {
    const resultFloats = count * (4 * d + 2);
    const result = res.buffer('result', resultFloats * 4, STORAGE_RW);
    const counters = res.buffer('visited', 8, STORAGE_RW);
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
        { binding: 5, resource: { buffer: res.buffer('tiles', tiles.byteLength, STORAGE_R, tiles) } },
        { binding: 6, resource: { buffer: counters } },
      ],
    });
    const repeat = options.repeat ?? 1;
    const encoder = device.createCommandEncoder({ label: 'MixedScoreCulled.encoder' });
    const pass = encoder.beginComputePass({ label: 'MixedScoreCulled.pass' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeat; r++) pass.dispatchWorkgroups(grid[0], grid[1]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    options.onSubmitted?.();
    const bytes = await readback.read(result, 0, resultFloats * 4);
    const [tilesVisited, atomsVisited] = new Uint32Array(await readback.read(counters, 0, 8));
    const groups = grid[0] * grid[1] * repeat;
    return {
      ...unsort(new Float32Array(bytes), queryOrder, count, d),
      eps,
      tilesVisited,
      denseTiles: groups * (Math.ceil(mu1.n / TILE_ATOMS) + Math.ceil(mu2.n / TILE_ATOMS)),
      atomsVisited,
      denseAtoms: groups * (mu1.n + mu2.n),
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
