// The score-mixing convergence study (`flowlab convergence score-mixing`, runConvergence; the hook
// is src/labs/convergence.ts). From the same initial particles (the config's X(T)), each requested
// integrator (exp, heun, rk4) at each requested step count runs the config's probability-flow
// ODE to tMin (convergence-runs.ts: GPU float32 when options.gpu, else the float64 reference), and
// is compared with a float64 Dormand–Prince reference of the same ODE (convergence-reference.ts):
//   error[i, k] = sqrt(mean_p |X_h(tMin) - X_ref(tMin)|^2)     (>= W2 of the two samples)
//   order[i]    = -slope of log error on log steps, over the points with error > FIT_FACTOR floor
// where floor[i, k] = max(FLOOR_ULPS u rms|X_ref| sqrt(stages steps), the reference's accuracy),
// u the unit roundoff of the run's arithmetic (2^-24 GPU, 2^-53 CPU). evaluations[i, k] = drift
// evaluations per particle (stages x steps). An SDE config also gets the weak-error study of its
// sampler (convergence-sde.ts) and every study the initialisation error against T (init-error.ts).
// The adaptive integrator plugs in through convergence-adaptive.ts (adaptive_* arrays).
// NUMERICS.md, "Convergence study", has the choices and their reasons.

import type { ConvergenceRequest, ConvergenceStudy } from '../convergence';
import type { HeadlessOptions } from '../headless-options';
import { FieldError } from '../../io/field-error';
import type { NdArray, Snapshot } from '../../io/snapshot-types';
import { APP_VERSION } from '../../io/app-version';
import { fitLogLogSlope } from '../../math/slope';
import { parseConfig, particleCount, runSetup } from './config';
import { ADAPTIVE_EVALS_PLAN, DEFAULT_TOLERANCES, runAdaptiveForStudy, type AdaptiveRunner } from './convergence-adaptive';
import { REFERENCE_RTOL, referenceFlow, rmsDistance, rmsNorm } from './convergence-reference';
import { STAGES, StudyProgress, finalState, type FixedIntegrator } from './convergence-runs';
import { sdeCost, sdeStudy } from './convergence-sde';
import { initialisationError } from './init-error';
import { MAX_STEPS, paramSpec } from './params';
import type { ScoreMixingConfig } from './types';

export const FIXED_INTEGRATORS: readonly FixedIntegrator[] = ['exp', 'heun', 'rk4'];
export const DEFAULT_STEPS = [4, 8, 16, 32, 64] as const;
/**
 * Rounding floor: this many units of roundoff per sqrt(evaluation), times the rms particle norm.
 * Measured on SwiftShader (single atom, where exp is exact, 4 to 64 evaluations): the actual f32
 * error is 1/8 to 1/4 of this estimate.
 */
export const FLOOR_ULPS = 2;
/** Orders are fitted over errors above this multiple of the (over-estimated) floor. */
export const FIT_FACTOR = 10;
/** The reference's accuracy is estimated from a run at this multiple of its rtol on a subset. */
const REFERENCE_CHECK_FACTOR = 10;
const REFERENCE_CHECK_PARTICLES = 64;
/** Reference cost per particle for planning (drift evaluations; measured: ~1100 at rtol 1e-13, T/tMin = 100). */
const REFERENCE_EVALS_PLAN = 1500;
/**
 * Most particle-atom drift evaluations one study may take, by backend: minutes at the backend's
 * speed (float64 TypeScript ~1e8/s on one core, SwiftShader ~1e9/s, a GPU 1e11/s or more).
 */
export const MAX_STUDY_WORK = { 'cpu-float64': 2e10, 'webgpu-swiftshader': 2e11, webgpu: 2e13 } as const;

const UNIT_ROUNDOFF = { f32: 2 ** -24, f64: 2 ** -53 };

const f64 = (shape: number[], data: Float64Array): NdArray => ({ dtype: 'f64', shape, data });

/** The study with `adaptive` as its adaptive runner (null: no 'adaptive' integrator, no --tols). */
export function makeScoreMixingConvergence(adaptive: AdaptiveRunner | null): ConvergenceStudy<ScoreMixingConfig> {
  return {
    integrators: adaptive ? [...FIXED_INTEGRATORS, 'adaptive'] : [...FIXED_INTEGRATORS],
    defaultIntegrators: [...FIXED_INTEGRATORS],
    axis: 'steps',
    defaultResolutions: [...DEFAULT_STEPS],
    ...(adaptive ? { defaultTolerances: [...DEFAULT_TOLERANCES] } : {}),
    run: (config, request, options) => runStudy(config, request, options, adaptive),
  };
}

export const scoreMixingConvergence = makeScoreMixingConvergence(runAdaptiveForStudy);

/** Particle-atom drift evaluations of a study, for the work cap and the progress plan. */
function plannedWork(cfg: ScoreMixingConfig, fixed: readonly FixedIntegrator[], steps: readonly number[], count: number, atoms: number, adaptiveRuns: number): number {
  const sum = steps.reduce((a, b) => a + b, 0);
  const runs = fixed.reduce((a, name) => a + STAGES[name] * sum, 0) + adaptiveRuns * ADAPTIVE_EVALS_PLAN;
  return count * atoms * (runs + REFERENCE_EVALS_PLAN) + (cfg.sampler === 'sde' ? sdeCost(cfg, steps, count, atoms) : 0);
}

/** How many adaptive runs a request makes (one per tolerance when 'adaptive' is asked for). */
function adaptiveRunCount(request: ConvergenceRequest): number {
  return request.integrators.includes('adaptive') ? (request.tolerances ?? DEFAULT_TOLERANCES).length : 0;
}

/** Lab-specific request checks (the generic ones are src/api/convergence.ts's), FieldErrors naming the flag. */
function checkRequest(cfg: ScoreMixingConfig, request: ConvergenceRequest, options: HeadlessOptions, count: number, atoms: number): void {
  request.resolutions.forEach((s, i) => {
    if (!(Number.isInteger(s) && s >= 1 && s <= MAX_STEPS)) throw new FieldError(`--steps[${i}]`, s, `an integer in [1, ${MAX_STEPS}] (the steps parameter's range)`);
  });
  const wantsAdaptive = request.integrators.includes('adaptive');
  if (request.tolerances !== undefined && !wantsAdaptive) {
    throw new FieldError('--tols', request.tolerances.join(','), 'no value unless --integrators includes adaptive (tolerances are for the adaptive integrator only)');
  }
  const fixed = request.integrators.filter((n): n is FixedIntegrator => n in STAGES);
  const work = plannedWork(cfg, fixed, request.resolutions, count, atoms, adaptiveRunCount(request));
  const cap = MAX_STUDY_WORK[options.backend];
  if (work > cap) {
    throw new FieldError(
      '--steps',
      request.resolutions.join(','),
      `a study of at most ${cap.toExponential(1)} particle-atom drift evaluations on backend ${options.backend}; this one needs ` +
        `${work.toExponential(2)} (particles.count = ${count}, ${atoms} atoms, integrators ${request.integrators.join(',')}` +
        `${cfg.sampler === 'sde' ? ', plus the SDE runs' : ''}): use fewer or smaller --steps, fewer --integrators or a smaller particles.count`,
    );
  }
}

interface FixedRows {
  error: Float64Array;
  floor: Float64Array;
  evaluations: Float64Array;
  used: Uint8Array;
  order: Float64Array;
  usedSteps: Record<string, number[]>;
}

async function runStudy(
  config: ScoreMixingConfig,
  request: ConvergenceRequest,
  options: HeadlessOptions,
  adaptive: AdaptiveRunner | null,
): Promise<Snapshot> {
  const wallStart = performance.now();
  const cfg = parseConfig(config);
  // A study measures one dynamics; compared lambdas are a sweep of studies (flowlab sweep does not
  // run studies, so say what to do instead of silently studying batch 0 only).
  if (cfg.compare) {
    throw new FieldError('compare', cfg.compare, `absent: a convergence study runs one value of ${cfg.compare.key} (drop compare, or run one study per value with --set ${cfg.compare.key}=...)`);
  }
  // The ODE integrators run the config's probability-flow ODE, also for an SDE config.
  const odeCfg: ScoreMixingConfig = { ...cfg, sampler: 'ode', integrator: 'exp', record: 2 };
  // Checked before anything is drawn or allocated, so an oversized study fails at once.
  checkRequest(cfg, request, options, particleCount(cfg), cfg.mu1.points.length + cfg.mu2.points.length);
  const { opts, x0, d, count } = runSetup(odeCfg);
  const atoms = opts.mu1.n + opts.mu2.n;
  const steps = request.resolutions;
  // Rows of error/order/evaluations are the fixed-step integrators; 'adaptive' has its own arrays.
  const fixed = request.integrators.filter((n): n is FixedIntegrator => n in STAGES);
  const names: string[] = fixed;
  const progress = new StudyProgress(plannedWork(cfg, fixed, steps, count, atoms, adaptiveRunCount(request)), options.onProgress);

  // Float64 reference, and an estimate of its accuracy from a looser run on a subset.
  const refStart = performance.now();
  const problem = { mu1: opts.mu1, mu2: opts.mu2, lambda: cfg.lambda, T: cfg.T, tMin: cfg.tMin };
  const refUnits = count * atoms * REFERENCE_EVALS_PLAN;
  const refPart = progress.part(refUnits);
  const ref = referenceFlow(problem, x0, REFERENCE_RTOL, refPart && ((done) => refPart(done / count)));
  const checkCount = Math.min(count, REFERENCE_CHECK_PARTICLES);
  const loose = referenceFlow(problem, x0.subarray(0, checkCount * d), REFERENCE_CHECK_FACTOR * REFERENCE_RTOL);
  const referenceAccuracy = rmsDistance(loose.x, ref.x, d, checkCount);
  progress.finish(refUnits);
  const referenceMs = performance.now() - refStart;

  const precision = options.gpu ? 'f32' : 'f64';
  const refNorm = rmsNorm(ref.x, d);
  const floorOf = (evaluations: number): number =>
    Math.max(FLOOR_ULPS * UNIT_ROUNDOFF[precision] * refNorm * Math.sqrt(evaluations), referenceAccuracy);

  const runsStart = performance.now();
  const rows = await fixedRuns(odeCfg, names, steps, x0, ref.x, d, count, atoms, options, progress, floorOf);
  const adaptiveRows = await runAdaptivePoints(adaptive, request.integrators, request.tolerances, odeCfg, x0, ref.x, d, options, progress, count * atoms * ADAPTIVE_EVALS_PLAN);
  const sde = cfg.sampler === 'sde' ? await sdeStudy(cfg, steps, options, progress, atoms) : null;
  const runsMs = performance.now() - runsStart;

  const initStart = performance.now();
  const tSpec = paramSpec('T');
  const TRange: [number, number] = tSpec && tSpec.kind === 'number' ? [tSpec.min, tSpec.max] : [cfg.T, cfg.T];
  const particlesSeed = 'seed' in cfg.particles ? cfg.particles.seed : cfg.seed;
  const init = initialisationError({ ...problem, TRange, count, seed: particlesSeed });
  const initMs = performance.now() - initStart;
  progress.complete();

  const k = steps.length;
  const arrays: Record<string, NdArray> = {
    steps: f64([k], Float64Array.from(steps)),
    error: f64([names.length, k], rows.error),
    order: f64([names.length], rows.order),
    evaluations: f64([names.length, k], rows.evaluations),
    floor: f64([names.length, k], rows.floor),
    fit_used: { dtype: 'u8', shape: [names.length, k], data: rows.used },
    init_T: f64([init.T.length], init.T),
    init_error: f64([init.error.length], init.error),
  };
  if (adaptiveRows) {
    const j = adaptiveRows.tol.length;
    arrays.adaptive_tol = f64([j], adaptiveRows.tol);
    arrays.adaptive_error = f64([j], adaptiveRows.error);
    arrays.adaptive_evaluations = f64([j], adaptiveRows.evaluations);
    arrays.adaptive_order = f64([1], Float64Array.of(adaptiveRows.order));
  }
  if (sde) {
    arrays.sde_steps = f64([k], Float64Array.from(steps));
    arrays.sde_mean_error = f64([k], sde.meanError);
    arrays.sde_moment_error = f64([k], sde.momentError);
    arrays.sde_mean_standard_error = f64([k], sde.meanSe);
    arrays.sde_moment_standard_error = f64([k], sde.momentSe);
    arrays.sde_order = f64([2], sde.order);
  }
  return {
    lab: 'score-mixing',
    config: cfg,
    arrays,
    meta: {
      study: 'convergence',
      integrators: names,
      axis: 'steps',
      appVersion: APP_VERSION,
      backend: options.backend,
      adapter: options.gpu ? options.gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
      precision: options.gpu ? 'float32' : 'float64',
      d,
      particles: count,
      particlesSeed: 'seed' in cfg.particles ? cfg.particles.seed : null,
      dynamics: "the config's probability-flow ODE dX/dtau = -(X - m_lam(e^-tau, X))/2 from T to tMin" + (cfg.sampler === 'sde' ? ' (the config is an SDE one: its sampler is studied in sde_*)' : ''),
      errorMeasure: 'error[i, k] = sqrt(mean over particles of |X_h(tMin) - X_ref(tMin)|^2), an upper bound on W2 of the two samples (shared-start coupling)',
      evaluations: 'drift evaluations per particle: exp 1, heun 2, rk4 4 per step',
      reference: {
        method: 'float64 Dormand-Prince 5(4) per particle in tau = -log t (src/math/ode.ts)',
        rtol: ref.rtol,
        atol: ref.atol,
        meanEvaluations: ref.evaluations,
        meanAcceptedSteps: ref.accepted,
        accuracy: referenceAccuracy,
        accuracyEstimate: `rms change of the first ${checkCount} particles at ${REFERENCE_CHECK_FACTOR} x rtol (an over-estimate of the reference's own error)`,
      },
      floor: {
        formula: `max(${FLOOR_ULPS} u rms|X_ref| sqrt(evaluations), reference accuracy), u = unit roundoff of the run (${UNIT_ROUNDOFF[precision]})`,
        unitRoundoff: UNIT_ROUNDOFF[precision],
        rmsNorm: refNorm,
      },
      fit: { threshold: `error > ${FIT_FACTOR} x floor`, order: '-slope of the least-squares line of log error on log steps', usedSteps: rows.usedSteps },
      ...(adaptiveRows
        ? {
            adaptive: {
              integrator: 'Bogacki-Shampine 3(2) per particle, error control in tau (NUMERICS.md "Adaptive integrator")',
              tolerances: Array.from(adaptiveRows.tol),
              evaluations: 'mean drift evaluations per particle, rejected steps included',
              order: '-slope of the least-squares line of log adaptive_error on log adaptive_evaluations (all points)',
            },
          }
        : {}),
      ...(sde ? { sde: sde.meta } : {}),
      init: {
        error: 'rms over particles of |X(tMin) - Y(tMin)|, X(T) = sqrt(2T) z, Y(T) = a + sqrt(2T) z (same z), a ~ the start measure; float64 flows',
        startMeasure: init.startMeasure,
        particles: init.particles,
      },
      timings: { referenceMs, runsMs, initMs, totalMs: performance.now() - wallStart },
      createdAt: new Date().toISOString(),
    },
  };
}

/** The fixed-step runs (one row per name), their errors, floors and fitted orders. */
async function fixedRuns(
  odeCfg: ScoreMixingConfig,
  names: readonly string[],
  steps: readonly number[],
  x0: Float64Array,
  ref: Float64Array,
  d: number,
  count: number,
  atoms: number,
  options: HeadlessOptions,
  progress: StudyProgress,
  floorOf: (evaluations: number) => number,
): Promise<FixedRows> {
  const k = steps.length;
  const n = names.length;
  const rows: FixedRows = {
    error: new Float64Array(n * k).fill(NaN),
    floor: new Float64Array(n * k).fill(NaN),
    evaluations: new Float64Array(n * k).fill(NaN),
    used: new Uint8Array(n * k),
    order: new Float64Array(n).fill(NaN),
    usedSteps: {},
  };
  for (const [i, name] of names.entries()) {
    if (!(name in STAGES)) continue;
    const integrator = name as FixedIntegrator;
    for (const [j, s] of steps.entries()) {
      const units = count * atoms * STAGES[integrator] * s;
      const x = await finalState({ ...odeCfg, integrator, steps: s }, x0, options, progress.part(units));
      progress.finish(units);
      const evaluations = STAGES[integrator] * s;
      rows.error[i * k + j] = rmsDistance(x, ref, d);
      rows.evaluations[i * k + j] = evaluations;
      rows.floor[i * k + j] = floorOf(evaluations);
      rows.used[i * k + j] = rows.error[i * k + j] > FIT_FACTOR * rows.floor[i * k + j] ? 1 : 0;
    }
    const used = steps.filter((_, j) => rows.used[i * k + j] === 1);
    rows.usedSteps[name] = used;
    const fit = fitLogLogSlope(used, used.map((s) => rows.error[i * k + steps.indexOf(s)]));
    rows.order[i] = -fit.slope;
  }
  return rows;
}

/**
 * The adaptive integrator's points, one per tolerance: the plug-in of convergence-adaptive.ts.
 * null when 'adaptive' is not among the requested integrators (or no runner is connected).
 */
export async function runAdaptivePoints(
  adaptive: AdaptiveRunner | null,
  names: readonly string[],
  tolerances: readonly number[] | undefined,
  odeCfg: ScoreMixingConfig,
  x0: Float64Array,
  ref: Float64Array,
  d: number,
  options: HeadlessOptions,
  progress?: StudyProgress,
  unitsPerRun = 0,
): Promise<{ tol: Float64Array; error: Float64Array; evaluations: Float64Array; order: number } | null> {
  if (!adaptive || !names.includes('adaptive')) return null;
  const tol = Float64Array.from(tolerances ?? DEFAULT_TOLERANCES);
  const error = new Float64Array(tol.length);
  const evaluations = new Float64Array(tol.length);
  for (const [j, t] of tol.entries()) {
    const r = await adaptive(odeCfg, x0, t, options);
    error[j] = rmsDistance(r.x, ref, d);
    evaluations[j] = r.evaluations;
    progress?.finish(unitsPerRun);
  }
  // Work-precision slope: how fast the error falls per drift evaluation spent.
  const order = -fitLogLogSlope(evaluations, error).slope;
  return { tol, error, evaluations, order };
}
