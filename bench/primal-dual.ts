// Primal-dual lab benchmark (called from bench/run.ts): trajectory-steps per second of
//   1. the dynamics kernel as it was before issue 13 item 4 (shaders/bench/primal-dual-dynamics.wgsl),
//   2. today's kernel (shaders/primal-dual/dynamics.wgsl),
//   3. the float64 TS reference (PrimalDualReference),
// all on the test instance (n = 4, m = 2, quartic, rotation step, diagnostics every step) with a
// cloud of BENCH_PD_COUNT (default 1e4) trajectories, measured in the same run; every line prints
// its ratio to the line measured before it, and the WGSL lines the fraction of the GPU's FP32 bound
// (bench/exp-bound.ts; quarticRotationFlops per trajectory-step) and the SMs the dispatch can
// fill, when the GPU is known.
// GPU: both kernels run through PrimalDualSimulation (tuning.shader picks the file), wall clock from
// submit to onSubmittedWorkDone of one encoder holding all steps, after a one-step warm-up; the two
// kernels alternate BENCH_PD_REPS times (default 2 on software adapters, 3 otherwise) and each line
// keeps its best, so load from other processes hits both alike. The TS reference runs a stated
// subset of trajectories (rates are per trajectory-step, so the subset does not bias the ratio).
// Environment: BENCH_PD_COUNT, BENCH_PD_STEPS, BENCH_PD_TS_COUNT, BENCH_PD_REPS, BENCH_PD_INTEGRATOR
// (rotation, the default, rk4 or suzuki4; the flop count, hence the FP32 bound, is the rotation
// step's), FLOWLAB_BACKEND=cpu.

import type { GpuContext } from '../src/gpu/device';
import { acquireNodeGpu } from '../src/gpu/node-gpu';
import { problemFromInput } from '../src/labs/primal-dual/kkt';
import { PrimalDualReference, initialStates, preparePrimalDualProblem, type PrimalDualProblem } from '../src/labs/primal-dual/reference';
import { DEFAULT_WORKGROUP, PrimalDualSimulation } from '../src/labs/primal-dual/simulation';
import type { DynamicsParams, InitialStates, Integrator } from '../src/labs/primal-dual/types';
import { flopBoundNote, occupancyNote } from './exp-bound';

const fmt = (r: number): string => (r >= 1e9 ? `${(r / 1e9).toFixed(2)} G` : r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(1)} k`) + 'traj-steps/s';

/**
 * Flops of one rotation step with its rate diagnostics for the quartic objective (FMA = 2; the
 * count in the header of shaders/primal-dual/dynamics.wgsl): 11nm + 4m^2 + 27n + 24m for the step,
 * 2nm + 23n + 4m + 15 for dE/dt, 6 for the trapezoid. 397 at n = 4, m = 2.
 */
export function quarticRotationFlops(n: number, m: number): number {
  return 13 * n * m + 4 * m * m + 50 * n + 28 * m + 21;
}

function subset(init: InitialStates, count: number, n: number, m: number): InitialStates {
  return { count, e: init.e.slice(0, count * n), l: init.l.slice(0, count * m), vx: init.vx.slice(0, count * n), vl: init.vl.slice(0, count * m) };
}

interface Line {
  label: string;
  rate: number;
  detail: string;
}

function printLine(line: Line, prev: Line | null, note: string): void {
  const ratio = prev ? `${(line.rate / prev.rate).toFixed(2)}x ${prev.label.trim()}` : 'ratio n/a (first line of this run)';
  console.log(`  ${line.label.padEnd(24)} ${fmt(line.rate).padStart(22)}   ${ratio}${note ? `; ${note}` : ''}   ${line.detail}`);
}

/** One timed run of `steps` steps (after a one-step warm-up) of `shader`: rate and detail. */
async function timeKernel(gpu: GpuContext, shader: string, prob: PrimalDualProblem, params: DynamicsParams, init: InitialStates, steps: number): Promise<{ rate: number; seconds: number; stepsPerDispatch: number; finite: boolean }> {
  const sim = await PrimalDualSimulation.create(gpu, prob, params, init, { shader });
  try {
    sim.step(1);
    await gpu.device.queue.onSubmittedWorkDone();
    const start = performance.now();
    sim.step(steps - 1);
    await gpu.device.queue.onSubmittedWorkDone();
    const seconds = (performance.now() - start) / 1000;
    const finite = (await sim.checkFinite()).ok;
    return { rate: (init.count * (steps - 1)) / seconds, seconds, stepsPerDispatch: sim.stepsPerDispatch, finite };
  } finally {
    sim.dispose();
  }
}

const KERNELS = [
  { label: 'WGSL before item 4 (f32)', shader: 'bench/primal-dual-dynamics.wgsl' },
  { label: 'WGSL kernel (f32)', shader: 'primal-dual/dynamics.wgsl' },
] as const;

export async function benchPrimalDual(): Promise<void> {
  const env = process.env;
  const count = Number(env.BENCH_PD_COUNT ?? 1e4);
  const prob = preparePrimalDualProblem(problemFromInput([[1, 2, -1, 0.5], [0, 1, 1, -2]], [1, -2], { kind: 'quartic', c: [1, -0.5, 0.3, 2] }));
  const init = initialStates(prob, { count, seed: 1, spread: 0.5 });
  let gpu: GpuContext | null = null;
  if ((env.FLOWLAB_BACKEND ?? '').toLowerCase() !== 'cpu') gpu = (await acquireNodeGpu({ label: 'BenchPrimalDual.device' })).context;
  const software = gpu?.isSoftware ?? true;
  const steps = Number(env.BENCH_PD_STEPS ?? (software ? 200 : 5000));
  const reps = Math.max(1, Number(env.BENCH_PD_REPS ?? (software ? 2 : 3)));
  const integrator = (env.BENCH_PD_INTEGRATOR ?? 'rotation') as Integrator;
  if (!['rotation', 'rk4', 'suzuki4'].includes(integrator)) throw new Error(`BENCH_PD_INTEGRATOR: got "${integrator}"; allowed: rotation, rk4, suzuki4`);
  const params: DynamicsParams = { alpha: 4, theta: 5 / 12, beta: 1, p: 0, t0: 1, T: 1 + steps * 0.01, h: 0.01, integrator };
  const flops = integrator === 'rotation' ? quarticRotationFlops(prob.n, prob.m) : null;
  console.log(
    `\nflowlab bench: primal-dual, test instance (n = 4, m = 2, quartic), ${count} trajectories, ${steps} ${integrator} steps (h = 0.01), diagnostics every step${flops ? ` (~${flops} flops per trajectory-step)` : ''}`,
  );

  let prev: Line | null = null;
  if (gpu) {
    try {
      const adapter = `${gpu.adapterDescription}${software ? ' [software]' : ''}`;
      console.log(`  adapter: ${adapter}; ${occupancyNote(gpu.adapterDescription, software, count, DEFAULT_WORKGROUP)}`);
      const best = KERNELS.map(() => ({ rate: 0, seconds: 0, stepsPerDispatch: 0, finite: true }));
      for (let r = 0; r < reps; r++) {
        for (const [j, k] of KERNELS.entries()) {
          const t = await timeKernel(gpu, k.shader, prob, params, init, steps);
          if (t.rate > best[j].rate) best[j] = t;
        }
      }
      for (const [j, k] of KERNELS.entries()) {
        const b = best[j];
        const line: Line = {
          label: k.label,
          rate: b.rate,
          detail: `${k.shader}, ${b.stepsPerDispatch} steps per dispatch, best of ${reps}: ${b.seconds.toFixed(2)} s${b.finite ? '' : ' (NON-FINITE!)'}`,
        };
        printLine(line, prev, flops ? flopBoundNote(gpu.adapterDescription, software, b.rate, flops) : 'FP32 bound: flops counted for the rotation step only');
        prev = line;
      }
    } finally {
      gpu.device.destroy();
    }
  } else console.log('  WGSL kernels              skipped: no WebGPU adapter');

  const tsCount = Math.min(count, Number(env.BENCH_PD_TS_COUNT ?? (software ? 500 : 2000)));
  const ref = new PrimalDualReference(prob, params, subset(init, tsCount, prob.n, prob.m));
  const start = performance.now();
  for (let k = 0; k < steps; k++) ref.step();
  const s = (performance.now() - start) / 1000;
  printLine({ label: 'TS reference (f64)', rate: (tsCount * steps) / s, detail: `${tsCount} trajectories${tsCount < count ? ' (subset)' : ''}, ${s.toFixed(2)} s` }, prev, '');
}
