// `npm run bench -- --only generate` (issue 13): a whole generation run of the score-mixing lab
// (generate.wgsl through ScoreMixingSimulation) with every step dense and with the small-t steps
// culled (lib/cull.wgsl below generationCulling's cullBelow), in one run. The culled run maps its
// invocations to the particles in a k-d order of X(T) (particleAt in
// lib/score-mixing-generate.wgsl), so a workgroup's 64 particles are near each other and their
// votes keep few tiles; BENCH_GEN_SORT=0 keeps the particles' own order (the union of 64 scattered
// particles' tiles) to measure what the order brings.
// Prints `generate: exp ODE, T = 1 -> tMin = 1e-4 in K steps (k culled below t = ..), N = .., M = ..,
// d = 2: dense <ms> ms, culled <ms> ms, speedup <S>x, max |x difference| <E>` (wall clock of the
// stepping and one readback, after a warm-up step of each; the difference is absolute, the atoms
// spanning [-2, 2]^2), then the dense run's pairs per second (with its exp-bound fraction on a GPU
// known by name) and the culled run's dense-equivalent rate.
// Environment: BENCH_GEN_N (atoms per measure, 8192), BENCH_GEN_M (particles, 1024), BENCH_GEN_K (20),
// BENCH_GEN_SORT (1; 0: the culled run without the particle order), BENCH_GEN_LANES (default:
// generationLanes, 1 on a software adapter; with more than one lane the line adds the culled run
// on one lane and the ratio).

import type { GpuContext } from '../src/gpu/device';
import { generationCulling } from '../src/labs/score-mixing/cull-tiles';
import { initialParticles, type SamplerOptions } from '../src/labs/score-mixing/reference';
import { ScoreMixingSimulation } from '../src/labs/score-mixing/simulation';
import type { Measure } from '../src/labs/score-mixing/types';
import { geometricGrid } from '../src/math/timegrid';
import { mulberry32 } from '../src/math/mulberry32';
import { formatRate, pairsRateNote } from './exp-bound';

const D = 2;

function measure(n: number, next: () => number): Measure {
  const points = Float64Array.from({ length: n * D }, () => -2 + 4 * next());
  return { d: D, n, points, weights: new Float64Array(n).fill(1 / n) };
}

/** The `generate:` line on `gpu`. */
export async function benchGenerate(gpu: GpuContext | null): Promise<void> {
  if (!gpu) {
    console.log('generate: skipped (no WebGPU adapter)');
    return;
  }
  const n = Number(process.env.BENCH_GEN_N ?? 8192);
  const m = Number(process.env.BENCH_GEN_M ?? 1024);
  const K = Number(process.env.BENCH_GEN_K ?? 20);
  const next = mulberry32(2026);
  const opts: SamplerOptions = {
    mu1: measure(n, next),
    mu2: measure(n, next),
    lambda: 0.5,
    T: 1,
    tMin: 1e-4,
    steps: K,
    sampler: 'ode',
    beta: 0,
    integrator: 'exp',
    seed: 1,
  };
  const x0 = initialParticles(D, opts.T, { count: m, seed: 5 });
  const { cullBelow } = generationCulling(opts.mu1, opts.mu2);
  const culledSteps = Array.from(geometricGrid(opts.T, opts.tMin, K).subarray(0, K)).filter((t) => t < cullBelow).length;
  console.log(`flowlab bench: generation, adapter ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''}`);
  const forcedLanes = process.env.BENCH_GEN_LANES ? Number(process.env.BENCH_GEN_LANES) : undefined;
  const run = async (cull: boolean, lanes = forcedLanes): Promise<{ ms: number; x: Float32Array; lanes: number }> => {
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0, { cull, sortParticles: process.env.BENCH_GEN_SORT !== '0', lanes });
    try {
      const start = performance.now();
      sim.step(K);
      const x = (await sim.readState()).x;
      return { ms: performance.now() - start, x: Float32Array.from(x), lanes: sim.lanes };
    } finally {
      sim.dispose();
    }
  };
  const dense = await run(false);
  const culled = await run(true);
  // With several lanes per particle (the default on a GPU at this M), the same culled run on one
  // lane, so the line says what the lanes bring.
  const oneLane = culled.lanes > 1 ? await run(true, 1) : null;
  // One drift evaluation per step (exp integrator), each over both measures (lambda = 1/2).
  const densePairs = K * m * 2 * n;
  let diff = 0;
  for (let i = 0; i < dense.x.length; i++) diff = Math.max(diff, Math.abs(dense.x[i] - culled.x[i]));
  console.log(
    `generate: exp ODE, T = 1 -> tMin = 1e-4 in ${K} steps (${culledSteps} culled below t = ${cullBelow.toExponential(2)}), N = ${2 * n}, M = ${m}, d = ${D}: ` +
      `dense ${dense.ms.toFixed(0)} ms, culled ${culled.ms.toFixed(0)} ms, speedup ${(dense.ms / culled.ms).toFixed(2)}x, max |x difference| ${diff.toExponential(2)}; ` +
      `dense ${pairsRateNote(gpu.adapterDescription, densePairs, dense.ms)}; culled ${formatRate(densePairs / (culled.ms / 1000))} dense-equivalent; ` +
      `lanes per particle ${culled.lanes}` +
      (oneLane ? ` (one lane: culled ${oneLane.ms.toFixed(0)} ms, lanes speedup ${(oneLane.ms / culled.ms).toFixed(2)}x)` : ''),
  );
}
