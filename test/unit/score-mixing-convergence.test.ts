// The score-mixing convergence study on the float64 CPU path (src/labs/score-mixing/convergence*.ts,
// init-error.ts): the Dormand–Prince reference against the closed form of a single atom (Gaussian
// data) and against itself at half the tolerance; exp exact on a single atom; fitted orders on a
// mixture (exp >= 0.8, Heun >= 1.7, RK4 >= 3.6); the SDE's weak error in the second moment falling
// at order ~1 against exact moments (lambda = 1); the initialisation error's closed form; the
// adaptive plug-in; requests refused naming their flag.

import { describe, expect, it } from 'vitest';
import { checkConvergenceRequest, runParsedConvergence } from '../../src/api/convergence';
import type { ConvergenceStudy } from '../../src/labs/convergence';
import { parseConfig, runSetup } from '../../src/labs/score-mixing/config';
import type { AdaptiveRunner } from '../../src/labs/score-mixing/convergence-adaptive';
import { heatFlowMoments, sampleMoments } from '../../src/labs/score-mixing/convergence-moments';
import { REFERENCE_RTOL, referenceFlow, rmsDistance } from '../../src/labs/score-mixing/convergence-reference';
import { MAX_STUDY_WORK, makeScoreMixingConvergence, scoreMixingConvergence } from '../../src/labs/score-mixing/convergence';
import { initTimes, startMeasure } from '../../src/labs/score-mixing/init-error';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { runReference, sampleHeatFlow } from '../../src/labs/score-mixing/reference';
import { scoreMixingLab } from '../../src/labs/score-mixing';
import type { ScoreMixingConfig } from '../../src/labs/score-mixing/types';
import type { Snapshot } from '../../src/io/snapshot-types';

const CPU = { gpu: null, backend: 'cpu-float64' as const };
const row = (s: Snapshot, name: string, i: number): number[] => {
  const a = s.arrays[name];
  const k = a.shape[1];
  return Array.from(a.data.subarray(i * k, (i + 1) * k), Number);
};

/** mu1 = mu2 = one atom: m_lam is the atom whatever t and lambda, the flow is linear. */
const SINGLE: ScoreMixingConfig = parseConfig({
  mu1: { points: [[1.5, -0.5]] },
  mu2: { points: [[1.5, -0.5]] },
  lambda: 0.5,
  T: 1,
  tMin: 1e-2,
  particles: { count: 32, seed: 3 },
});

/** 3 + 2 atoms in d = 2, moderate tMin so the field is smooth at the grid's scale. */
const MIXTURE: ScoreMixingConfig = parseConfig({
  mu1: { points: [[-1, 0], [1, 0.5], [0, 1.2]], weights: [0.2, 0.3, 0.5] },
  mu2: { points: [[0.5, -0.5], [-0.8, 0.9]] },
  lambda: 0.5,
  T: 1,
  tMin: 1e-2,
  particles: { count: 48, seed: 3 },
});

describe('float64 reference flow (Dormand–Prince in tau)', () => {
  it('matches the closed form X(t) = m + (X(T) - m) sqrt(t/T) of Gaussian data to 1e-10', () => {
    for (const [lambda, a, b] of [
      [0.5, [1.5, -0.5], [1.5, -0.5]],
      [3, [2, 1], [-1, 0.5]], // single atoms, guidance: m_lam = 3a - 2b, constant
    ] as const) {
      const mu1 = toMeasure({ points: [[...a]] });
      const mu2 = toMeasure({ points: [[...b]] });
      const m = [lambda * a[0] + (1 - lambda) * b[0], lambda * a[1] + (1 - lambda) * b[1]];
      const T = 2;
      const tMin = 1e-4;
      const x0 = Float64Array.from([3, -2, 0.1, 0.2, -5, 7, m[0], m[1]]);
      const { x } = referenceFlow({ mu1, mu2, lambda, T, tMin }, x0);
      const c = Math.sqrt(tMin / T);
      for (let i = 0; i < x0.length; i++) expect(Math.abs(x[i] - (m[i % 2] + (x0[i] - m[i % 2]) * c))).toBeLessThan(1e-10);
    }
  });

  it('changes far less than the smallest reported error when its tolerance is halved', async () => {
    const s = await scoreMixingConvergence.run(MIXTURE, { integrators: ['rk4'], resolutions: [8, 64] }, CPU);
    const { opts, x0, d } = runSetup(MIXTURE);
    const problem = { mu1: opts.mu1, mu2: opts.mu2, lambda: MIXTURE.lambda, T: MIXTURE.T, tMin: MIXTURE.tMin };
    const change = rmsDistance(referenceFlow(problem, x0).x, referenceFlow(problem, x0, REFERENCE_RTOL / 2).x, d);
    const smallest = Math.min(...row(s, 'error', 0));
    expect(change).toBeLessThan(1e-4 * smallest);
    const reference = s.meta.reference as { rtol: number; accuracy: number };
    expect(reference.rtol).toBe(REFERENCE_RTOL);
    expect(reference.accuracy).toBeGreaterThan(change); // the looser check over-estimates
    expect(reference.accuracy).toBeLessThan(1e-3 * smallest);
  });
});

describe('fixed-step integrators against the reference (CPU, float64)', () => {
  it('exp is exact on a single atom: error at the float64 floor, no order fitted', async () => {
    const s = await scoreMixingConvergence.run(SINGLE, { integrators: ['exp', 'heun', 'rk4'], resolutions: [4, 16, 64] }, CPU);
    expect(s.meta.integrators).toEqual(['exp', 'heun', 'rk4']);
    const exp = row(s, 'error', 0);
    const floor = row(s, 'floor', 0);
    exp.forEach((e, k) => {
      expect(e).toBeLessThan(2e-13);
      expect(e).toBeLessThan(floor[k]);
    });
    // The exp run itself against the closed form: float64 rounding only.
    const { opts, x0 } = runSetup(SINGLE);
    const x = runReference({ ...opts, steps: 64 }, x0, 2).x.subarray(x0.length);
    const c = Math.sqrt(SINGLE.tMin / SINGLE.T);
    x.forEach((v, i) => expect(Math.abs(v - ([1.5, -0.5][i % 2] + (x0[i] - [1.5, -0.5][i % 2]) * c))).toBeLessThan(1e-14));
    expect(row(s, 'fit_used', 0)).toEqual([0, 0, 0]);
    expect(Number.isNaN(s.arrays.order.data[0])).toBe(true);
    // Heun and RK4 are not exact on the linear flow (they approximate e^(-h/2)): their errors fall.
    const heun = row(s, 'error', 1);
    expect(heun[2]).toBeLessThan(heun[0] / 100);
  });

  it('fits orders >= 0.8 (exp), 1.7 (Heun), 3.6 (RK4) on a mixture, with evaluations per particle', async () => {
    const steps = [8, 16, 32, 64];
    const s = await scoreMixingConvergence.run(MIXTURE, { integrators: ['exp', 'heun', 'rk4'], resolutions: steps }, CPU);
    expect(Array.from(s.arrays.steps.data)).toEqual(steps);
    expect(s.arrays.error.shape).toEqual([3, 4]);
    const [exp, heun, rk4] = Array.from(s.arrays.order.data, Number);
    expect(exp).toBeGreaterThan(0.8);
    expect(exp).toBeLessThan(1.3);
    expect(heun).toBeGreaterThan(1.7);
    expect(heun).toBeLessThan(2.4);
    expect(rk4).toBeGreaterThan(3.6);
    expect(rk4).toBeLessThan(4.4);
    expect(row(s, 'evaluations', 0)).toEqual(steps);
    expect(row(s, 'evaluations', 1)).toEqual(steps.map((k) => 2 * k));
    expect(row(s, 'evaluations', 2)).toEqual(steps.map((k) => 4 * k));
    for (let i = 0; i < 3; i++) expect(row(s, 'fit_used', i)).toEqual([1, 1, 1, 1]);
    expect((s.meta.fit as { usedSteps: Record<string, number[]> }).usedSteps.rk4).toEqual(steps);
    // The floor on the CPU is the reference's accuracy, far below every error.
    for (const f of Array.from(s.arrays.floor.data)) expect(f).toBeLessThan(1e-10);
    expect(s.meta.precision).toBe('float64');
  });
});

describe('SDE weak error', () => {
  it('lambda = 1 from exact samples of u1(T): the second-moment error falls at order ~1, above the Monte Carlo error', async () => {
    const cfg = parseConfig({
      mu1: { points: [[-1, 0], [1, 0.5]] },
      mu2: { points: [[0, 0]] },
      lambda: 1,
      T: 1,
      tMin: 1e-2,
      sampler: 'sde',
      beta: 1,
      particles: { count: 20000, seed: 3 },
    });
    const steps = [2, 4, 8, 16];
    const s = await scoreMixingConvergence.run(cfg, { integrators: ['exp'], resolutions: steps }, CPU);
    const moment = Array.from(s.arrays.sde_moment_error.data, Number);
    const se = Array.from(s.arrays.sde_moment_standard_error.data, Number);
    const meanError = Array.from(s.arrays.sde_mean_error.data, Number);
    const meanSe = Array.from(s.arrays.sde_mean_standard_error.data, Number);
    for (let k = 0; k < steps.length; k++) {
      expect(moment[k]).toBeGreaterThan(2 * se[k]);
      if (k > 0) expect(moment[k]).toBeLessThan(moment[k - 1]);
      // The exponential step keeps E[X] nearly exact: the mean's error is Monte Carlo noise.
      expect(meanError[k]).toBeLessThan(5 * meanSe[k]);
    }
    const order = s.arrays.sde_order.data[1];
    expect(order).toBeGreaterThan(0.8);
    expect(order).toBeLessThan(1.6);
    expect((s.meta.sde as { reference: string }).reference).toMatch(/exact moments/);
    expect(Array.from(s.arrays.sde_steps.data)).toEqual(steps);
  });

  it('lambda != 1: a fine-step SDE reference of the same particles, its standard error added', async () => {
    const cfg = { ...MIXTURE, sampler: 'sde' as const, beta: 0.5, particles: { count: 400, seed: 5 } };
    const s = await scoreMixingConvergence.run(cfg, { integrators: ['exp'], resolutions: [2, 4] }, CPU);
    expect((s.meta.sde as { reference: string }).reference).toMatch(/32 steps/);
    expect(s.arrays.sde_order.shape).toEqual([2]);
    const se = Array.from(s.arrays.sde_mean_standard_error.data, Number);
    for (const v of se) expect(v).toBeGreaterThan(0);
    // The ODE integrators still run on the config's probability-flow ODE.
    expect(s.arrays.error.shape).toEqual([1, 2]);
  });

  it('exact heat-flow moments agree with sampleHeatFlow within 4 standard errors', () => {
    const mu = toMeasure({ points: [[-1, 0], [1, 0.5], [0, 2]], weights: [1, 2, 3] });
    const exact = heatFlowMoments(mu, 0.3);
    const sample = sampleMoments(sampleHeatFlow(mu, 0.3, 20000, 9), 2);
    let dm = 0;
    for (let i = 0; i < 2; i++) dm += (sample.mean[i] - exact.mean[i]) ** 2;
    expect(Math.sqrt(dm)).toBeLessThan(4 * sample.meanSe);
    let ds = 0;
    for (let i = 0; i < 4; i++) ds += (sample.second[i] - exact.second[i]) ** 2;
    expect(Math.sqrt(ds)).toBeLessThan(4 * sample.secondSe);
  });
});

describe('initialisation error', () => {
  it('single atom a: |a| sqrt(tMin/T) at every T (the coupled flows differ by a sqrt(t/T))', async () => {
    const s = await scoreMixingConvergence.run(SINGLE, { integrators: ['exp'], resolutions: [4] }, CPU);
    const Ts = Array.from(s.arrays.init_T.data, Number);
    expect(Ts).toEqual(initTimes(SINGLE.T, SINGLE.tMin, [1e-3, 1e3]));
    const norm = Math.hypot(1.5, -0.5);
    Array.from(s.arrays.init_error.data, Number).forEach((e, k) => {
      expect(Math.abs(e - norm * Math.sqrt(SINGLE.tMin / Ts[k]))).toBeLessThan(1e-7);
    });
  });

  it('T values stay in the parameter range and above 2 tMin; the start measure follows lambda', () => {
    expect(initTimes(1e3, 1e-4, [1e-3, 1e3])).toEqual([1e3 / 16, 1e3 / 8, 1e3 / 4, 1e3 / 2, 1e3]);
    expect(initTimes(0.01, 0.001, [1e-3, 1e3]).every((t) => t > 0.002)).toBe(true);
    const mu1 = toMeasure({ points: [[0, 0], [1, 1]] });
    const mu2 = toMeasure({ points: [[2, 2]] });
    const mixed = startMeasure(mu1, mu2, 0.25).measure;
    expect(Array.from(mixed.weights)).toEqual([0.125, 0.125, 0.75]);
    expect(startMeasure(mu1, mu2, 3).measure).toBe(mu1);
    expect(startMeasure(mu1, mu2, 0).measure).toBe(mu2);
  });
});

describe('adaptive plug-in', () => {
  // A stand-in adaptive integrator: Dormand–Prince itself at rtol = tol, in float64.
  const dopriRunner: AdaptiveRunner = async (config, x0, tol) => {
    const { opts } = runSetup(config);
    const r = referenceFlow({ mu1: opts.mu1, mu2: opts.mu2, lambda: config.lambda, T: config.T, tMin: config.tMin }, x0, tol);
    return { x: r.x, evaluations: r.evaluations };
  };

  it('a study without a runner has no adaptive integrator: --tols refused, naming the flag', () => {
    const bare = makeScoreMixingConvergence(null);
    expect(bare.integrators).toEqual(['exp', 'heun', 'rk4']);
    expect(bare.defaultTolerances).toBeUndefined();
    expect(() => checkConvergenceRequest(bare as ConvergenceStudy<unknown>, { integrators: ['exp'], resolutions: [4], tolerances: [1e-3] })).toThrow(/^--tols: .*no adaptive integrator/);
    expect(() => checkConvergenceRequest(bare as ConvergenceStudy<unknown>, { integrators: ['adaptive'], resolutions: [4] })).toThrow(/^--integrators\[0\]: got "adaptive"/);
  });

  it("the lab's own adaptive integrator (Bogacki-Shampine, float64): error falls with tol, and beats exp per evaluation", async () => {
    expect(scoreMixingConvergence.integrators).toEqual(['exp', 'heun', 'rk4', 'adaptive']);
    const s = await scoreMixingConvergence.run(MIXTURE, { integrators: ['exp', 'adaptive'], resolutions: [16, 64], tolerances: [1e-3, 1e-5] }, CPU);
    expect(s.meta.integrators).toEqual(['exp']);
    expect(s.arrays.error.shape).toEqual([1, 2]);
    const err = Array.from(s.arrays.adaptive_error.data, Number);
    const evals = Array.from(s.arrays.adaptive_evaluations.data, Number);
    expect(err[1]).toBeLessThan(err[0] / 10);
    expect(evals[1]).toBeGreaterThan(evals[0]);
    // Error about proportional to tol (measured 1.9 tol here), and at about the evaluations of
    // exp's 64 steps (measured 85 per particle at tol 1e-5) the adaptive run is far more accurate.
    expect(err[1]).toBeLessThan(10 * 1e-5);
    const exp64 = Number(s.arrays.error.data[1]);
    expect(evals[1]).toBeLessThan(2 * 64);
    expect(err[1]).toBeLessThan(exp64 / 10);
    expect(Number(s.arrays.adaptive_order.data[0])).toBeGreaterThan(1.5);
  });

  it('a connected runner adds adaptive_tol, adaptive_error, adaptive_evaluations', async () => {
    const study = makeScoreMixingConvergence(dopriRunner);
    expect(study.integrators).toContain('adaptive');
    const s = await study.run(MIXTURE, { integrators: ['exp', 'adaptive'], resolutions: [8, 16], tolerances: [1e-3, 1e-5, 1e-7] }, CPU);
    expect(Array.from(s.arrays.adaptive_tol.data)).toEqual([1e-3, 1e-5, 1e-7]);
    const err = Array.from(s.arrays.adaptive_error.data, Number);
    const evals = Array.from(s.arrays.adaptive_evaluations.data, Number);
    expect(err[1]).toBeLessThan(err[0]);
    expect(err[2]).toBeLessThan(err[1]);
    expect(evals[2]).toBeGreaterThan(evals[0]);
    // The fixed-step arrays hold the fixed integrators only; meta names them.
    expect(s.meta.integrators).toEqual(['exp']);
    expect(s.arrays.error.shape).toEqual([1, 2]);
    // Tolerances without 'adaptive' among the integrators are refused.
    await expect(study.run(MIXTURE, { integrators: ['exp'], resolutions: [8], tolerances: [1e-3] }, CPU)).rejects.toThrow(/^--tols: .*--integrators includes adaptive/);
  });
});

describe('requests refused naming their flag', () => {
  const budget = { bytes: 2 ** 34, raise: 'raise --max-memory', source: 'test' };
  const run = (request: { integrators: string[]; resolutions: number[]; tolerances?: number[] }, config: ScoreMixingConfig = SINGLE) =>
    runParsedConvergence(scoreMixingLab, config, request, { backend: 'cpu', budget });

  it('unknown integrator, steps 0 or 2.5, repeats, steps above the parameter range', async () => {
    await expect(run({ integrators: ['exp', 'euler'], resolutions: [4] })).rejects.toThrow(/^--integrators\[1\]: got "euler"; allowed: one of exp, heun, rk4/);
    await expect(run({ integrators: ['exp'], resolutions: [4, 0] })).rejects.toThrow(/^--steps\[1\]: got 0; allowed: an integer >= 1/);
    await expect(run({ integrators: ['exp'], resolutions: [2.5] })).rejects.toThrow(/^--steps\[0\]: got 2.5/);
    await expect(run({ integrators: ['exp'], resolutions: [200000] })).rejects.toThrow(/^--steps\[0\]: got 200000; allowed: an integer in \[1, 100000\]/);
  });

  it('a compared config (config.compare) is refused, naming compare: a study measures one dynamics', async () => {
    const compared = parseConfig({ ...MIXTURE, compare: { key: 'lambda', values: [2] } });
    await expect(scoreMixingConvergence.run(compared, { integrators: ['exp'], resolutions: [4] }, CPU)).rejects.toThrow(/^compare: .*absent: a convergence study runs one value of lambda/);
  });

  it('a study over the work cap fails fast, naming --steps and the drivers', async () => {
    const big = { ...MIXTURE, particles: { count: 1_000_000, seed: 1 } };
    const start = performance.now();
    await expect(run({ integrators: ['exp', 'heun', 'rk4'], resolutions: [1000, 2000, 4000] }, big)).rejects.toThrow(
      new RegExp(`^--steps: got "1000,2000,4000"; allowed: a study of at most ${MAX_STUDY_WORK['cpu-float64'].toExponential(1).replace('+', '\\+')}.*particles.count = 1000000, 5 atoms`),
    );
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
