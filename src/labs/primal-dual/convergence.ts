// The primal-dual convergence study (`flowlab convergence primal-dual`, runConvergence): the
// config's dynamics from its initial states to Ts <= T (below) with each integrator (rotation, rk4, suzuki4) at
// each step size h, against the adaptive float64 reference (fine-reference.ts, Dormand–Prince 5(4)
// at rtol 1e-12) of the same ODE.
//
// Caps: the study ends at Ts = min(T, the time by which the fastest gyration mode has turned
// STUDY_RADIANS = 150 rad, theta sigma_max int_t0^Ts t s(t) dt; Ts = 15.5 for the test instance at
// theta = 1/2): a fixed-step method's phase error grows like h^q t^(q+2) (NUMERICS.md), so past
// that every resolution of interest has lost the phase and the errors saturate at the size of
// the state instead of measuring an order; it also bounds the reference's cost. And the first
// MAX_STUDY_TRAJECTORIES trajectories of a cloud. The errors are in positions (the GPU state's
// velocities are plain f32 and the snapshots record positions).
//
// Error of one run: RMS over the trajectories of the Euclidean distance |(x, lambda)_h(Ts) -
// (x, lambda)_ref(Ts)| (positions only, in the error coordinates e, l, so x* cancels exactly; on
// the GPU e - ce with the Kahan compensation, read in f32). Order: least-squares slope of log error
// on log h over the points that are finite (a blown-up run has error NaN), well above the rounding
// floor 10 sqrt(K) eps |(e, l)_ref(Ts)| (eps 2^-24 on the GPU, 2^-53 on the CPU) and below the
// saturation ceiling 0.1 |(e, l)_ref(Ts)| (|.| the RMS over trajectories).
//
// Arrays: h (k) the steps used ((Ts - t0)/K <= the requested h), steps (k) = K, error
// (integrators, k), evaluations (integrators, k) force evaluations per trajectory (cost), order
// (integrators), fit_used (integrators, k) 1 where the point entered the fit, floor (integrators,
// k) the rounding floor (the same for every integrator: it depends on K; shaped like score-mixing's).

import { FieldError } from '../../io/field-error';
import type { Snapshot } from '../../io/snapshot-types';
import { APP_VERSION } from '../../io/app-version';
import { fitLogLogSlope } from '../../math/slope';
import type { ConvergenceRequest, ConvergenceStudy } from '../convergence';
import type { HeadlessOptions } from '../headless-options';
import { runSetup } from './config';
import { FINE_TOLERANCE, fineTrajectory } from './fine-reference';
import { LAB_ID } from './headless';
import { MAX_STEPS } from './params';
import { PrimalDualReference, evaluationsPerStep, timeGrid, type PrimalDualProblem } from './reference';
import { PrimalDualSimulation } from './simulation';
import { INTEGRATORS, type DynamicsParams, type InitialStates, type Integrator, type PrimalDualConfig } from './types';

/** Trajectories a study integrates (the first ones of a cloud): the float64 reference costs ~0.1-1 s each. */
export const MAX_STUDY_TRAJECTORIES = 16;
/** Radians the fastest gyration mode turns by the study's end time (the T cap). */
export const STUDY_RADIANS = 150;
/** Points within this factor of the rounding floor are left out of the fit. */
const FLOOR_MARGIN = 10;
/** Points whose error exceeds this fraction of the state's size have lost the phase: not fitted. */
const SATURATION = 0.1;

const EPS = { gpu: 2 ** -24, cpu: 2 ** -53 } as const;

/** The first `count` trajectories of `init`. */
function firstTrajectories(prob: PrimalDualProblem, init: InitialStates, count: number): InitialStates {
  const { n, m } = prob;
  return { count, e: init.e.slice(0, count * n), l: init.l.slice(0, count * m), vx: init.vx.slice(0, count * n), vl: init.vl.slice(0, count * m) };
}

/** The study's end time: min(T, the t where theta sigma_max int_t0^t u s(u) du = STUDY_RADIANS). */
export function studyEndTime(prob: PrimalDualProblem, params: DynamicsParams): number {
  const q = 2 + params.p;
  const t = Math.pow((STUDY_RADIANS * q) / (params.theta * prob.sigmaMax) + Math.pow(params.t0, q), 1 / q);
  return Math.min(params.T, t);
}

/** Final (e, l) of every trajectory, count x (n + m), or null when a trajectory blew up. */
async function finalPositions(prob: PrimalDualProblem, params: DynamicsParams, init: InitialStates, options: HeadlessOptions): Promise<Float64Array | null> {
  const { n, m } = prob;
  const out = new Float64Array(init.count * (n + m));
  if (options.gpu) {
    const sim = await PrimalDualSimulation.create(options.gpu, prob, params, init);
    try {
      sim.step(sim.K);
      if (!(await sim.checkFinite()).ok) return null;
      const s = await sim.readState();
      const S = sim.stateStride;
      for (let i = 0; i < init.count; i++) {
        // Kahan: the compensation holds the rounding excess of e, l (e_true = e - ce).
        for (let j = 0; j < n; j++) out[i * (n + m) + j] = s.raw[i * S + j] - s.raw[i * S + 2 * (n + m) + j];
        for (let j = 0; j < m; j++) out[i * (n + m) + n + j] = s.raw[i * S + n + j] - s.raw[i * S + 2 * (n + m) + n + j];
      }
      return out;
    } finally {
      sim.dispose();
    }
  }
  const sim = new PrimalDualReference(prob, params, init);
  try {
    while (!sim.done) sim.step();
  } catch (e) {
    if (/non-finite/.test((e as Error).message)) return null;
    throw e;
  }
  for (let i = 0; i < init.count; i++) {
    out.set(sim.e.subarray(i * n, (i + 1) * n), i * (n + m));
    out.set(sim.l.subarray(i * m, (i + 1) * m), i * (n + m) + n);
  }
  return out;
}

/** RMS over trajectories of the Euclidean distance of two count x d arrays. */
function rmsDistance(a: Float64Array, b: Float64Array, count: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / count);
}

async function runStudy(config: PrimalDualConfig, request: ConvergenceRequest, options: HeadlessOptions): Promise<Snapshot> {
  const start = performance.now();
  const setup = runSetup(config);
  const { prob } = setup;
  const { n, m } = prob;
  const integrators = request.integrators as Integrator[];
  const init = firstTrajectories(prob, setup.init, Math.min(setup.init.count, MAX_STUDY_TRAJECTORIES));
  const base = { ...setup.params, T: studyEndTime(prob, setup.params) };
  const grids = request.resolutions.map((h, i) => {
    const g = timeGrid({ ...base, h: Math.min(h, base.T - base.t0) });
    if (g.K > MAX_STEPS) throw new FieldError(`--h[${i}]`, h, `a step giving at most ${MAX_STEPS} steps on the study's [t0, T] = [${base.t0}, ${base.T}]`);
    return g;
  });

  // The reference: every trajectory's (e, l) at T.
  const refStart = performance.now();
  const ref = new Float64Array(init.count * (n + m));
  let referenceSteps = 0;
  const runs = integrators.length * grids.length;
  const progress = (done: number): void => options.onProgress?.(done / (runs + 1));
  for (let i = 0; i < init.count; i++) {
    const r = fineTrajectory(prob, base, init, i, [base.T]);
    ref.set(r.y.subarray(0, n + m), i * (n + m));
    referenceSteps += r.stats.accepted;
    options.onProgress?.((i + 1) / init.count / (runs + 1));
  }
  const referenceMs = performance.now() - refStart;
  const scale = Math.sqrt(Array.from(ref).reduce((s, v) => s + v * v, 0) / init.count);
  const eps = options.gpu ? EPS.gpu : EPS.cpu;
  const floor = Float64Array.from(grids, (g) => FLOOR_MARGIN * Math.sqrt(g.K) * eps * scale);

  const k = grids.length;
  const error = new Float64Array(integrators.length * k);
  const evaluations = new Float64Array(integrators.length * k);
  const fitUsed = new Uint8Array(integrators.length * k);
  const order = new Float64Array(integrators.length);
  let done = 1;
  for (const [a, integrator] of integrators.entries()) {
    for (const [j, g] of grids.entries()) {
      const params: DynamicsParams = { ...base, h: g.h, integrator };
      const got = await finalPositions(prob, params, init, options);
      error[a * k + j] = got ? rmsDistance(got, ref, init.count) : NaN;
      evaluations[a * k + j] = evaluationsPerStep(integrator) * g.K;
      const e = error[a * k + j];
      fitUsed[a * k + j] = Number.isFinite(e) && e > floor[j] && e < SATURATION * scale ? 1 : 0;
      progress(++done);
    }
    const hs = grids.map((g) => g.h).filter((_, j) => fitUsed[a * k + j]);
    const es = Array.from(error.subarray(a * k, (a + 1) * k)).filter((_, j) => fitUsed[a * k + j]);
    order[a] = fitLogLogSlope(hs, es).slope;
  }

  const f64 = (shape: number[], data: Float64Array) => ({ dtype: 'f64' as const, shape, data });
  return {
    lab: LAB_ID,
    config: setup.config,
    arrays: {
      h: f64([k], Float64Array.from(grids, (g) => g.h)),
      steps: f64([k], Float64Array.from(grids, (g) => g.K)),
      error: f64([integrators.length, k], error),
      evaluations: f64([integrators.length, k], evaluations),
      order: f64([integrators.length], order),
      fit_used: { dtype: 'u8', shape: [integrators.length, k], data: fitUsed },
      floor: f64([integrators.length, k], Float64Array.from({ length: integrators.length * k }, (_, i) => floor[i % k])),
    },
    meta: {
      appVersion: APP_VERSION,
      study: 'convergence',
      axis: 'h',
      integrators,
      requestedH: request.resolutions,
      trajectories: init.count,
      trajectoriesInConfig: setup.init.count,
      T: base.T,
      configT: setup.params.T,
      errorMeasure: 'RMS over trajectories of |(x, lambda)_h(T) - (x, lambda)_ref(T)| (Euclidean, positions only)',
      reference: `float64 adaptive Dormand-Prince 5(4) (src/math/ode.ts), rtol ${FINE_TOLERANCE.rtol}, atol ${FINE_TOLERANCE.atol}; ${referenceSteps} accepted steps over ${init.count} trajectories`,
      fit:
        `least-squares slope of log error on log h over the finite points above ${FLOOR_MARGIN} sqrt(K) eps |(e, l)_ref(T)| ` +
        `(eps ${options.gpu ? '2^-24' : '2^-53'}) and below ${SATURATION} |(e, l)_ref(T)| = ${(SATURATION * scale).toExponential(2)}`,
      evaluationsPerStep: Object.fromEntries(integrators.map((name) => [name, evaluationsPerStep(name)])),
      precision: options.gpu ? 'float32' : 'float64',
      backend: options.backend,
      adapter: options.gpu ? options.gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
      timings: { referenceMs, totalMs: performance.now() - start },
      createdAt: new Date().toISOString(),
    },
  };
}

export const primalDualConvergence: ConvergenceStudy<PrimalDualConfig> = {
  integrators: INTEGRATORS,
  defaultIntegrators: INTEGRATORS,
  axis: 'h',
  // For the default config (study end time 10): all three integrators stable and in their
  // asymptotic range (errors from ~1e-2 down to ~1e-8).
  defaultResolutions: [0.04, 0.02, 0.01, 0.005],
  run: runStudy,
};
