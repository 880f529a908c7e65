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
  SplitScoreParamsLayout,
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

/** evaluateMixedScore's result: the outputs and how the atoms were split over workgroups. */
export interface MixedScoreEvaluation extends MixedScoreResult {
  /** Chunks per measure (1: mixed-score.wgsl, one workgroup per query block). */
  split: number;
  /** Atoms per chunk (the error model replays the chunks and merges: error-model.ts). */
  chunk: number;
  /** Queries per invocation of mixed-score.wgsl (2: register blocking). */
  queriesPerInvocation: 1 | 2;
}

/** Workgroups the split path aims for: several per SM on the largest GPUs (an H100 has 132 SMs). */
export const SPLIT_TARGET_WORKGROUPS = 512;
/** Fewest atoms per chunk (4 tiles of lib/denoise.wgsl), so the merge pass stays small. */
export const MIN_CHUNK_ATOMS = 1024;
export const MAX_SPLIT = 64;
const TILE_ATOMS = 256;

/**
 * Chunks per measure for `count` queries in workgroups of `wg`: 1 when the query blocks alone
 * reach SPLIT_TARGET_WORKGROUPS or the measures are too small to split, else enough chunks of at
 * least MIN_CHUNK_ATOMS atoms to reach the target (2 measures x chunks x query blocks).
 */
export function autoSplit(count: number, wg: number, n1: number, n2: number): number {
  const blocks = Math.ceil(count / wg);
  if (blocks >= SPLIT_TARGET_WORKGROUPS) return 1;
  const split = Math.min(MAX_SPLIT, Math.ceil(SPLIT_TARGET_WORKGROUPS / (2 * blocks)), Math.floor(Math.max(n1, n2) / MIN_CHUNK_ATOMS));
  return split >= 2 ? split : 1;
}

/** Atoms per chunk for `split` chunks of the larger measure, a whole number of tiles. */
export function chunkAtoms(split: number, n1: number, n2: number): number {
  return TILE_ATOMS * Math.ceil(Math.ceil(Math.max(n1, n2) / split) / TILE_ATOMS);
}

/**
 * One-shot evaluation at `points` (count*d). Creates, uses and destroys its buffers; the pipeline
 * is cached per device. `options.repeat` re-dispatches the same kernel (benchmarks time that);
 * `options.split` forces the chunks per measure (default: autoSplit on a hardware adapter, so
 * mixed-score-split.wgsl runs when the queries fill too few workgroups; 1 on a software one).
 * `options.queriesPerInvocation` 2 runs the register-blocked one-pass kernel (QPI = 2 in
 * mixed-score.wgsl; split then defaults to 1, and a larger one is refused); default 1 (2 measured 1.04-1.13x on SwiftShader and is
 * unmeasured on a GPU, where it also halves the workgroups: `npm run bench -- --only mixed-score`
 * prints both).
 */
export async function evaluateMixedScore(
  gpu: GpuContext,
  mu1: Measure,
  mu2: Measure,
  lambda: number,
  t: number,
  points: Float64Array,
  options: { workgroupSize?: number; repeat?: number; split?: number; queriesPerInvocation?: number; onSubmitted?: () => void } = {},
): Promise<MixedScoreEvaluation> {
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
  const qpi = options.queriesPerInvocation ?? 1;
  if (qpi !== 1 && qpi !== 2) throw new Error(`queriesPerInvocation must be 1 or 2, got ${qpi}`);
  // A software adapter (a few CPU cores) gains nothing from more workgroups: one pass there. Two
  // queries per invocation is a variant of the one-pass kernel, so asking for it means one pass.
  const split = options.split ?? (gpu.isSoftware || qpi === 2 ? 1 : autoSplit(count, wg, mu1.n, mu2.n));
  if (!(Number.isInteger(split) && split >= 1 && split <= MAX_SPLIT)) {
    throw new Error(`split must be an integer in [1, ${MAX_SPLIT}], got ${split}`);
  }
  if (qpi === 2 && split > 1) throw new Error(`queriesPerInvocation 2 runs the one-pass kernel only, got split ${split} (pass split: 1)`);
  assertStorageFits(device, 'points', count, 4 * d);
  assertStorageFits(device, 'points (results)', count, 4 * (4 * d + 2));
  if (split > 1) assertStorageFits(device, 'points (split partial states)', 2 * split * count, 4 * (d + 2));
  const chunk = split > 1 ? chunkAtoms(split, mu1.n, mu2.n) : Math.max(mu1.n, mu2.n);
  const blocks = Math.ceil(count / wg);
  const grid = dispatchGrid(device, 'points', Math.ceil(count / qpi), wg);
  const path = split > 1 ? 'score-mixing/mixed-score-split.wgsl' : 'score-mixing/mixed-score.wgsl';
  const overrides: Record<string, number> = split > 1 ? { D: d, WG: wg, SPLIT: split } : { D: d, WG: wg, QPI: qpi };
  const cache = pipelineCacheFor(device);
  const passes = split > 1
    ? [
        // Each entry point's auto layout holds only the bindings it uses.
        { pipeline: await cache.compute(path, 'partial', overrides), grid: dispatchGrid(device, 'points', 2 * split * blocks * wg, wg), bindings: [0, 1, 2, 3, 5] },
        { pipeline: await cache.compute(path, 'merge', overrides), grid, bindings: [2, 3, 4, 5] },
      ]
    : [{ pipeline: await cache.compute(path, 'main', overrides), grid, bindings: [0, 1, 2, 3, 4] }];

  const res = new GpuResources(device, 'MixedScore');
  const readback = new ReadbackPool(device, 'MixedScore.readback', 1);
  try {
    const atoms = packAtoms(mu1, mu2);
    const resultFloats = count * (4 * d + 2);
    const result = res.buffer('result', resultFloats * 4, STORAGE_RW);
    const params = split > 1
      ? SplitScoreParamsLayout.pack({ count, n1: mu1.n, n2: mu2.n, lambda, t, chunk, queryBlocks: blocks })
      : ScoreParamsLayout.pack({ count, n1: mu1.n, n2: mu2.n, lambda, t });
    const buffers = new Map<number, GPUBuffer>([
      [0, res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points)],
      [1, res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW)],
      [2, res.buffer('params', params.byteLength, UNIFORM_W, new Uint8Array(params))],
      [3, res.buffer('queries', count * d * 4, STORAGE_R, new Float32Array(points))],
      [4, result],
    ]);
    if (split > 1) buffers.set(5, res.buffer('partials', 2 * split * count * (d + 2) * 4, STORAGE_RW));
    const bound = passes.map(({ pipeline, grid: g, bindings }) => ({
      pipeline,
      grid: g,
      bindGroup: device.createBindGroup({
        label: 'MixedScore.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: bindings.map((binding) => ({ binding, resource: { buffer: buffers.get(binding)! } })),
      }),
    }));
    const encoder = device.createCommandEncoder({ label: 'MixedScore.encoder' });
    const pass = encoder.beginComputePass({ label: 'MixedScore.pass' });
    for (let r = 0; r < (options.repeat ?? 1); r++) {
      for (const { pipeline, grid: g, bindGroup } of bound) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(g[0], g[1]);
      }
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    options.onSubmitted?.();
    return { ...sections(await readback.read(result, 0, resultFloats * 4), count, d), split, chunk, queriesPerInvocation: qpi };
  } finally {
    readback.dispose();
    res.dispose();
  }
}

function sections(bytes: ArrayBuffer, count: number, d: number): MixedScoreResult {
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
