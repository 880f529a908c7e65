// `npm run bench -- --only small-t` (issue 13, part 2): the culled mixed-score kernel
// (shaders/score-mixing/mixed-score-culled.wgsl, host src/labs/score-mixing/culled-score.ts)
// against the dense one (mixed-score.wgsl) in one run, at t = 1e-4 and 1e-3 in d = 2 and at
// t = 1e-4 in d = 8: N uniform atoms in [-2, 2]^d (two measures of N/2), M particles ~ N(0, 2I).
// Prints `small-t: t = .., N = .., M = .., d = ..: dense <ms> ms, culled <ms> ms, speedup <S>x,
// pairs ratio <P>x, max rel err <E>` where the times are wall clock of one evaluation each
// (upload, dispatch, readback; the culled one includes its float64 k-d orders and boxes), after
// one warm-up evaluation of each kernel; pairs ratio = dense pairs / culled pairs (the (query,
// atom) pairs the culled kernel computed, from its counter); max rel err = max |m_lam(culled) - m_lam(dense)| / diam(atoms).
// Then the rates: the dense kernel's pairs per second, the culled one's dense-equivalent pairs per
// second (the dense pairs over its time) and the pairs it computed per second, each computed rate
// with its fraction of the exp bound on a GPU known by name (bench/exp-bound.ts). Wall clock with
// upload and readback, so a kernel's own rate is higher.
// Environment: BENCH_SMALLT_N (65536), BENCH_SMALLT_M (4096) to shrink it on a slow adapter.

import type { GpuContext } from '../src/gpu/device';
import { evaluateMixedScoreCulled } from '../src/labs/score-mixing/culled-score';
import { evaluateMixedScore } from '../src/labs/score-mixing/score-kernel';
import type { Measure } from '../src/labs/score-mixing/types';
import { mulberry32 } from '../src/math/mulberry32';
import { formatRate, pairsRateNote } from './exp-bound';

const LAMBDA = 0.5;

function uniformMeasure(n: number, d: number, next: () => number): Measure {
  const points = Float64Array.from({ length: n * d }, () => -2 + 4 * next());
  return { d, n, points, weights: new Float64Array(n).fill(1 / n) };
}

function gaussianParticles(m: number, d: number, next: () => number): Float64Array {
  return Float64Array.from({ length: m * d }, () => Math.SQRT2 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const r = await f();
  return [r, performance.now() - start];
}

/** One `small-t:` line. */
async function line(gpu: GpuContext, t: number, n: number, m: number, d: number): Promise<void> {
  const next = mulberry32(4242 + d);
  const mu1 = uniformMeasure(n / 2, d, next);
  const mu2 = uniformMeasure(n - n / 2, d, next);
  const x = gaussianParticles(m, d, next);
  const warm = x.subarray(0, 64 * d);
  await evaluateMixedScore(gpu, mu1, mu2, LAMBDA, t, warm);
  await evaluateMixedScoreCulled(gpu, mu1, mu2, LAMBDA, t, warm);
  const [dense, denseMs] = await timed(() => evaluateMixedScore(gpu, mu1, mu2, LAMBDA, t, x));
  const [culled, culledMs] = await timed(() => evaluateMixedScoreCulled(gpu, mu1, mu2, LAMBDA, t, x));
  const diam = 4 * Math.sqrt(d);
  let err = 0;
  for (let i = 0; i < m * d; i++) err = Math.max(err, Math.abs(culled.mLam[i] - dense.mLam[i]) / diam);
  const densePairs = m * n;
  const pairs = densePairs / Math.max(1, culled.pairs);
  console.log(
    `small-t: t = ${t}, N = ${n}, M = ${m}, d = ${d}: dense ${denseMs.toFixed(0)} ms, culled ${culledMs.toFixed(0)} ms, ` +
      `speedup ${(denseMs / culledMs).toFixed(2)}x, pairs ratio ${pairs.toFixed(2)}x, max rel err ${err.toExponential(2)}; ` +
      `dense ${pairsRateNote(gpu.adapterDescription, densePairs, denseMs)}; culled ${formatRate(densePairs / (culledMs / 1000))} dense-equivalent, ` +
      `computed ${pairsRateNote(gpu.adapterDescription, culled.pairs, culledMs)}`,
  );
}

/** The three small-t lines on `gpu`. */
export async function benchSmallT(gpu: GpuContext | null): Promise<void> {
  if (!gpu) {
    console.log('small-t: skipped (no WebGPU adapter)');
    return;
  }
  const n = Number(process.env.BENCH_SMALLT_N ?? 65536);
  const m = Number(process.env.BENCH_SMALLT_M ?? 4096);
  console.log(`flowlab bench: small-t culling, adapter ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''}`);
  await line(gpu, 1e-4, n, m, 2);
  await line(gpu, 1e-3, n, m, 2);
  await line(gpu, 1e-4, n, m, 8);
}
