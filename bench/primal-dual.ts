// Primal-dual lab benchmark (called from bench/run.ts): trajectory-steps per second of the WGSL
// kernel (shaders/primal-dual/dynamics.wgsl, f32, rotation-exact step with per-step diagnostics)
// against the float64 TS reference (PrimalDualReference), both on the test instance with a
// cloud of BENCH_PD_COUNT (default 1e4) trajectories, measured in the same run; ratio printed.
// GPU: wall clock from submit to onSubmittedWorkDone of one encoder holding all steps, after a
// warm-up dispatch. The TS reference runs a stated subset of trajectories (rates are per
// trajectory-step, so the subset does not bias the ratio).
// Environment: BENCH_PD_COUNT, BENCH_PD_STEPS, BENCH_PD_TS_COUNT, FLOWLAB_BACKEND=cpu.

import type { GpuContext } from '../src/gpu/device';
import { acquireNodeGpu } from '../src/gpu/node-gpu';
import { problemFromInput } from '../src/labs/primal-dual/kkt';
import { PrimalDualReference, initialStates, preparePrimalDualProblem } from '../src/labs/primal-dual/reference';
import { PrimalDualSimulation } from '../src/labs/primal-dual/simulation';
import type { DynamicsParams, InitialStates } from '../src/labs/primal-dual/types';

const fmt = (r: number): string => (r >= 1e9 ? `${(r / 1e9).toFixed(2)} G` : r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(1)} k`) + 'traj-steps/s';

function subset(init: InitialStates, count: number, n: number, m: number): InitialStates {
  return { count, e: init.e.slice(0, count * n), l: init.l.slice(0, count * m), vx: init.vx.slice(0, count * n), vl: init.vl.slice(0, count * m) };
}

export async function benchPrimalDual(): Promise<void> {
  const env = process.env;
  const count = Number(env.BENCH_PD_COUNT ?? 1e4);
  const prob = preparePrimalDualProblem(problemFromInput([[1, 2, -1, 0.5], [0, 1, 1, -2]], [1, -2], { kind: 'quartic', c: [1, -0.5, 0.3, 2] }));
  const init = initialStates(prob, { count, seed: 1, spread: 0.5 });
  let gpu: GpuContext | null = null;
  if ((env.FLOWLAB_BACKEND ?? '').toLowerCase() !== 'cpu') gpu = (await acquireNodeGpu({ label: 'BenchPrimalDual.device' })).context;
  const software = gpu?.isSoftware ?? true;
  const steps = Number(env.BENCH_PD_STEPS ?? (software ? 200 : 5000));
  const params: DynamicsParams = { alpha: 4, theta: 5 / 12, beta: 1, p: 0, t0: 1, T: 1 + steps * 0.01, h: 0.01, integrator: 'rotation' };
  console.log(`\nflowlab bench: primal-dual, test instance (n = 4, m = 2, quartic), ${count} trajectories, ${steps} rotation steps (h = 0.01), diagnostics every step`);

  let gpuRate: number | null = null;
  if (gpu) {
    const sim = await PrimalDualSimulation.create(gpu, prob, params, init);
    try {
      sim.step(1);
      await gpu.device.queue.onSubmittedWorkDone();
      const start = performance.now();
      sim.step(steps - 1);
      await gpu.device.queue.onSubmittedWorkDone();
      const s = (performance.now() - start) / 1000;
      gpuRate = (count * (steps - 1)) / s;
      const finite = await sim.checkFinite();
      console.log(`  WGSL kernel (f32)    ${fmt(gpuRate).padStart(22)}   ${gpu.adapterDescription}${software ? ' [software]' : ''}, ${sim.stepsPerDispatch} steps per dispatch, ${s.toFixed(2)} s${finite.ok ? '' : ' (NON-FINITE!)'}`);
    } finally {
      sim.dispose();
      gpu.device.destroy();
    }
  } else console.log('  WGSL kernel (f32)    skipped: no WebGPU adapter');

  const tsCount = Math.min(count, Number(env.BENCH_PD_TS_COUNT ?? (software ? 500 : 2000)));
  const ref = new PrimalDualReference(prob, params, subset(init, tsCount, prob.n, prob.m));
  const start = performance.now();
  for (let k = 0; k < steps; k++) ref.step();
  const s = (performance.now() - start) / 1000;
  const tsRate = (tsCount * steps) / s;
  console.log(`  TS reference (f64)   ${fmt(tsRate).padStart(22)}   ${tsCount} trajectories${tsCount < count ? ' (subset)' : ''}, ${s.toFixed(2)} s`);
  console.log(`ratio: ${gpuRate ? `WGSL / TS = ${(gpuRate / tsRate).toFixed(1)}x` : 'n/a'}`);
}
