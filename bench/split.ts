// `npm run bench -- --only split` (issue 13, item 1): the mixed score at few particles and many
// atoms, where one workgroup per 64 particles leaves most of a GPU idle, by the one-pass kernel
// (mixed-score.wgsl, split 1) and by the split path (mixed-score-split.wgsl: the atom range of each
// measure cut into chunks over workgroups, then a per-particle merge), in one run. Prints
//   `split: M = .., N = .., d = 2: one pass <ms> ms (<W> workgroups), split <S> <ms> ms (<W'>
//   workgroups), speedup <R>x, max |m_lam difference| <E>`
// where the times are wall clock per evaluation over `reps` dispatches in one submit (upload and
// readback included once), after a warm-up of each; split = autoSplit (score-kernel.ts). On a
// software adapter (a few CPU cores) more workgroups cannot help (evaluateMixedScore does not split
// there unless asked); the line is there to be read on a GPU.
// Environment: BENCH_SPLIT_M (1024), BENCH_SPLIT_N (atoms per measure, 16384), BENCH_SPLIT_REPS.

import type { GpuContext } from '../src/gpu/device';
import { autoSplit, evaluateMixedScore } from '../src/labs/score-mixing/score-kernel';
import type { Measure } from '../src/labs/score-mixing/types';
import { mulberry32 } from '../src/math/mulberry32';
import { pairsRateNote } from './exp-bound';

const D = 2;
const T = 0.05;
const LAMBDA = 0.5;
const WG = 64;

function measure(n: number, next: () => number): Measure {
  const points = Float64Array.from({ length: n * D }, () => -2 + 4 * next());
  return { d: D, n, points, weights: new Float64Array(n).fill(1 / n) };
}

/** The `split:` line on `gpu`. */
export async function benchSplit(gpu: GpuContext | null): Promise<void> {
  if (!gpu) {
    console.log('split: skipped (no WebGPU adapter)');
    return;
  }
  const m = Number(process.env.BENCH_SPLIT_M ?? 1024);
  const n = Number(process.env.BENCH_SPLIT_N ?? 16384);
  const reps = Number(process.env.BENCH_SPLIT_REPS ?? (gpu.isSoftware ? 1 : 20));
  const next = mulberry32(777);
  const mu1 = measure(n, next);
  const mu2 = measure(n, next);
  const x = Float64Array.from({ length: m * D }, () => 3 * next() - 1.5);
  const split = autoSplit(m, WG, n, n);
  console.log(`flowlab bench: split atom range, adapter ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''}`);
  const time = async (s: number) => {
    await evaluateMixedScore(gpu, mu1, mu2, LAMBDA, T, x, { split: s });
    const start = performance.now();
    const r = await evaluateMixedScore(gpu, mu1, mu2, LAMBDA, T, x, { split: s, repeat: reps });
    return { r, ms: (performance.now() - start) / reps };
  };
  const one = await time(1);
  const many = await time(split);
  let diff = 0;
  for (let i = 0; i < m * D; i++) diff = Math.max(diff, Math.abs(one.r.mLam[i] - many.r.mLam[i]));
  const blocks = Math.ceil(m / WG);
  console.log(
    `split: M = ${m}, N = ${n}, d = ${D}: one pass ${one.ms.toFixed(0)} ms (${blocks} workgroups), split ${split} ${many.ms.toFixed(0)} ms ` +
      `(${2 * split * blocks} workgroups + a merge pass), speedup ${(one.ms / many.ms).toFixed(2)}x, max |m_lam difference| ${diff.toExponential(2)}; ` +
      `one pass ${pairsRateNote(gpu.adapterDescription, 2 * m * n, one.ms)}; split ${pairsRateNote(gpu.adapterDescription, 2 * m * n, many.ms)}`,
  );
}
