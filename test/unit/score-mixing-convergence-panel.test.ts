// The DOM-free parts of the score-mixing page's Convergence panel: the request it frames (reduced
// particles, typed step counts and tolerances, picked integrators), the equivalent CLI command, the
// staleness of a result against the page's config, and the chart series built from a study
// snapshot (one series per integrator labelled with its fitted order, theory-slope segments inside
// the integrator's own error range, the rounding floor, the initialisation error and its slope).
// The series come from a fake study here (exact power laws) and from the lab's real study on the
// CPU reference at a tiny size.

import { describe, expect, it } from 'vitest';
import { FieldError } from '../../src/io/field-error';
import type { Snapshot } from '../../src/io/snapshot-types';
import type { ConvergenceRequest, ConvergenceStudy } from '../../src/labs/convergence';
import { scoreMixingConvergence } from '../../src/labs/score-mixing/convergence';
import { defaultScoreMixingConfig } from '../../src/labs/score-mixing/params';
import type { ScoreMixingConfig } from '../../src/labs/score-mixing/types';
import {
  changedKeys,
  cliCommand,
  fullSizeHint,
  parseStepCounts,
  parseTolerances,
  pickedIntegrators,
  reduceParticles,
  resultCaption,
} from '../../src/labs/score-mixing/view/convergence-request';
import { errorFrame, initFrame, orderLabel, referenceSegment, studyRows, workFrame } from '../../src/labs/score-mixing/view/convergence-series';

const base = (): ScoreMixingConfig => ({ ...defaultScoreMixingConfig(), particles: { count: 4096, seed: 3 } });

/**
 * A study shaped like ../convergence.ts's whose errors are exact power laws C N^-p (exp 1, heun 2,
 * rk4 4) held at a floor of 1e-6, the fit using the points above 30x the floor.
 */
const fakeStudy: ConvergenceStudy<ScoreMixingConfig> = {
  integrators: ['exp', 'heun', 'rk4'],
  defaultIntegrators: ['exp', 'heun', 'rk4'],
  axis: 'steps',
  defaultResolutions: [4, 8, 16, 32, 64],
  async run(config: ScoreMixingConfig, request: ConvergenceRequest): Promise<Snapshot> {
    const p: Record<string, number> = { exp: 1, heun: 2, rk4: 4 };
    const stages: Record<string, number> = { exp: 1, heun: 2, rk4: 4 };
    const k = request.resolutions.length;
    const n = request.integrators.length;
    const error = new Float64Array(n * k);
    const evaluations = new Float64Array(n * k);
    const used = new Uint8Array(n * k);
    request.integrators.forEach((name, i) =>
      request.resolutions.forEach((s, j) => {
        error[i * k + j] = Math.max(FLOOR, 0.5 * Math.pow(s, -p[name]));
        evaluations[i * k + j] = stages[name] * s;
        used[i * k + j] = error[i * k + j] > 30 * FLOOR ? 1 : 0;
      }),
    );
    const T = [0.5, 1, 2, 4, 8];
    return {
      lab: 'score-mixing',
      config,
      arrays: {
        steps: { dtype: 'f64', shape: [k], data: Float64Array.from(request.resolutions) },
        error: { dtype: 'f64', shape: [n, k], data: error },
        order: { dtype: 'f64', shape: [n], data: Float64Array.from(request.integrators, (name) => (name === 'rk4' ? 3.97 : p[name])) },
        evaluations: { dtype: 'f64', shape: [n, k], data: evaluations },
        floor: { dtype: 'f64', shape: [n, k], data: new Float64Array(n * k).fill(FLOOR) },
        fit_used: { dtype: 'u8', shape: [n, k], data: used },
        init_T: { dtype: 'f64', shape: [T.length], data: Float64Array.from(T) },
        init_error: { dtype: 'f64', shape: [T.length], data: Float64Array.from(T, (t) => 0.3 / t) },
      },
      meta: { integrators: [...request.integrators], floor: { formula: 'fixed' } },
    };
  },
};
const FLOOR = 1e-6;

const request: ConvergenceRequest = { integrators: ['exp', 'heun', 'rk4'], resolutions: [4, 8, 16, 32, 64] };

const logSlope = ([[x0, y0], [x1, y1]]: [number, number][]): number => Math.log(y1 / y0) / Math.log(x1 / x0);

describe('the request the panel frames', () => {
  it('reduces the particles: fewer drawn (count form) or the first given points; small configs stay', () => {
    expect(reduceParticles(base(), 64).particles).toEqual({ count: 64, seed: 3 });
    const small = { ...base(), particles: { count: 16, seed: 3 } };
    expect(reduceParticles(small, 64)).toBe(small);
    const points = Array.from({ length: 100 }, (_, i) => [i, -i]);
    const given = { ...base(), particles: { points } };
    expect(reduceParticles(given, 32).particles).toEqual({ points: points.slice(0, 32) });
    expect(reduceParticles(base(), 64).lambda).toBe(base().lambda);
  });

  it('parses step counts (commas or spaces, sorted) and names the field, value and range of bad ones', () => {
    expect(parseStepCounts('16, 4 8')).toEqual([4, 8, 16]);
    for (const bad of ['', ' , ', '4, 0', '4, 2.5', '4, x', '4, 4', '4, 5000', Array.from({ length: 13 }, (_, i) => i + 1).join(',')]) {
      expect(() => parseStepCounts(bad), bad).toThrow(FieldError);
    }
    expect(() => parseStepCounts('4, 2.5')).toThrow(/convergence\.steps\[1\]: got "2\.5"; allowed: an integer in \[1, 4096\]/);
    expect(parseTolerances('1e-3, 1e-5')).toEqual([1e-3, 1e-5]);
    for (const bad of ['', '1', '0', '-1e-3', '1e-3 1e-3', 'tight']) expect(() => parseTolerances(bad), bad).toThrow(FieldError);
  });

  it('keeps the study order of the picked integrators and refuses none', () => {
    expect(pickedIntegrators(['exp', 'heun', 'rk4'], new Set(['rk4', 'exp']))).toEqual(['exp', 'rk4']);
    expect(() => pickedIntegrators(['exp', 'heun', 'rk4'], new Set())).toThrow(/convergence\.integrators: got "\(none\)"; allowed: at least one of exp, heun, rk4/);
  });

  it('writes the flowlab convergence command of the same request and backend', () => {
    expect(cliCommand(request, 'webgpu-swiftshader')).toBe(
      'npx flowlab convergence score-mixing --config score-mixing-convergence-config.json --integrators exp,heun,rk4 --steps 4,8,16,32,64 --backend gpu --out conv.npz',
    );
    expect(cliCommand({ integrators: ['rk4', 'adaptive'], resolutions: [2, 4], tolerances: [1e-3, 1e-4] }, 'cpu-float64')).toBe(
      'npx flowlab convergence score-mixing --config score-mixing-convergence-config.json --integrators rk4,adaptive --steps 2,4 --tols 0.001,0.0001 --backend cpu --out conv.npz',
    );
    expect(fullSizeHint(base(), reduceParticles(base(), 64))).toBe('At the config’s full size add --set particles.count=4096.');
    const small = { ...base(), particles: { count: 16, seed: 3 } };
    expect(fullSizeHint(small, small)).toMatch(/own particle count/);
  });
});

describe('staleness of a result', () => {
  const computed = reduceParticles(base(), 64);

  it('is fresh for the same config, and for changes the study does not read or the reduction hides', () => {
    expect(resultCaption(computed, reduceParticles(base(), 64))).toEqual({ text: `computed for λ = ${base().lambda}, 64 particles`, stale: false });
    expect(resultCaption(computed, reduceParticles({ ...base(), record: 7 }, 64)).stale).toBe(false);
    expect(resultCaption(computed, reduceParticles({ ...base(), particles: { count: 8192, seed: 3 } }, 64)).stale).toBe(false);
  });

  it('names the changed keys and asks for a new run when a read key changed', () => {
    const lambda = { ...base(), lambda: 2.5 };
    const caption = resultCaption(computed, reduceParticles(lambda, 64));
    expect(caption.stale).toBe(true);
    expect(caption.text).toBe(`computed for λ = ${base().lambda}, 64 particles; the config changed (lambda) — run again`);
    const moved = { ...base(), mu1: { points: [[9, 9]] }, particles: { count: 4096, seed: 4 } };
    expect(changedKeys(computed, reduceParticles(moved, 64)).sort()).toEqual(['mu1', 'particles']);
  });

  it('ignores what the study takes from the request (steps, integrator, tol) and, for ODE configs, the SDE keys', () => {
    const other = { ...base(), steps: 17, integrator: 'rk4' as const, beta: 0.5, seed: 99 };
    expect(changedKeys(base(), other)).toEqual([]);
    const sde = { ...base(), sampler: 'sde' as const, integrator: 'exp' as const };
    expect(changedKeys(sde, { ...sde, seed: 99, beta: 0.5 }).sort()).toEqual(['beta', 'seed']);
    expect(changedKeys(base(), sde)).toEqual(['sampler']);
  });
});

describe('chart series from a study snapshot', () => {
  it('one series per integrator with its fitted order, theory slopes -1, -2, -4 inside its error range, the floor', async () => {
    const s = await fakeStudy.run(reduceParticles(base(), 64), request, { gpu: null, backend: 'cpu-float64' });
    const frame = errorFrame(s);
    const study = frame.series.filter((x) => x.data?.kind === 'study');
    expect(study.map((x) => x.label)).toEqual(['exp, order 1.00', 'heun, order 2.00', 'rk4, order 3.97']);
    expect(frame.notes?.slice(0, 3).map((n) => n.text)).toEqual(['exp, order 1.00', 'heun, order 2.00', 'rk4, order 3.97']);
    expect(study[2].points).toEqual([4, 8, 16, 32, 64].map((n) => [n, Math.max(1e-6, 0.5 * n ** -4)]));
    const refs = frame.series.filter((x) => x.data?.kind === 'reference');
    expect(refs.map((x) => x.data?.slope)).toEqual([-1, -2, -4]);
    refs.forEach((ref, i) => {
      expect(logSlope(ref.points)).toBeCloseTo(-[1, 2, 4][i], 10);
      const errs = study[i].points.map((p) => p[1]);
      for (const [n, e] of ref.points) {
        expect(n).toBeGreaterThanOrEqual(4);
        expect(n).toBeLessThanOrEqual(64);
        expect(e).toBeGreaterThanOrEqual(Math.min(...errs) * (1 - 1e-12));
        expect(e).toBeLessThanOrEqual(Math.max(...errs) * (1 + 1e-12));
      }
    });
    // rk4's segment runs through its finest fitted point (N = 8: 1.2e-4 > 30 floor; N = 16 is
    // 7.6e-6), not the floored ones (N = 32, 64), down to the floor at most.
    const [[n0, e0], [n1, e1]] = refs[2].points;
    expect(e0 * (n0 / 8) ** 4).toBeCloseTo(0.5 * 8 ** -4, 15);
    expect([n0, e0]).toEqual([4, expect.closeTo(0.5 * 4 ** -4, 15)]);
    expect(e1).toBeCloseTo(FLOOR, 15);
    expect(n1).toBeLessThan(32);
    expect(frame.series.filter((x) => x.data?.kind === 'floor').map((x) => x.points)).toEqual([[4, 8, 16, 32, 64].map((n) => [n, FLOOR])]);
    expect(workFrame(s)).toBeNull();
    expect(frame.xMin).toBe(4);
    expect(frame.xMax).toBe(64);
  });

  it('says "no fitted order" for NaN, skips slopes it has no theory for, refuses a mis-shaped error array', () => {
    expect(orderLabel('exp', NaN)).toBe('exp, no fitted order');
    expect(referenceSegment([4], [0.1], 2, null)).toEqual([]);
    const s: Snapshot = {
      lab: 'score-mixing',
      config: {},
      arrays: {
        steps: { dtype: 'f64', shape: [2], data: Float64Array.from([4, 8]) },
        error: { dtype: 'f64', shape: [1, 2], data: Float64Array.from([1e-2, 5e-3]) },
        order: { dtype: 'f64', shape: [1], data: Float64Array.from([NaN]) },
      },
      meta: { integrators: ['midpoint'] },
    };
    const frame = errorFrame(s);
    expect(frame.series.map((x) => x.label)).toEqual(['midpoint, no fitted order']);
    expect(frame.notes?.map((n) => n.text)).toEqual(['midpoint, no fitted order']);
    expect(initFrame(s)).toBeNull();
    expect(() => studyRows({ ...s, meta: { integrators: ['exp', 'rk4'] } })).toThrow(/expected \[2, 2\]/);
  });

  it('the adaptive integrator: no row on the steps axis; error against evaluations with its points by tolerance', async () => {
    const s = await fakeStudy.run(base(), { integrators: ['rk4'], resolutions: [4, 8] }, { gpu: null, backend: 'cpu-float64' });
    // The study's shape with 'adaptive' requested: a NaN row, and the adaptive_* arrays.
    s.meta.integrators = ['rk4', 'adaptive'];
    s.arrays.error = { dtype: 'f64', shape: [2, 2], data: Float64Array.from([...s.arrays.error.data, NaN, NaN]) };
    s.arrays.order = { dtype: 'f64', shape: [2], data: Float64Array.from([3.97, NaN]) };
    s.arrays.evaluations = { dtype: 'f64', shape: [2, 2], data: Float64Array.from([16, 32, NaN, NaN]) };
    s.arrays.adaptive_tol = { dtype: 'f64', shape: [2], data: Float64Array.from([1e-3, 1e-5]) };
    s.arrays.adaptive_error = { dtype: 'f64', shape: [2], data: Float64Array.from([2e-3, 3e-5]) };
    s.arrays.adaptive_evaluations = { dtype: 'f64', shape: [2], data: Float64Array.from([60, 20]) };
    expect(errorFrame(s).series.filter((x) => x.data?.kind === 'study').map((x) => x.label)).toEqual(['rk4, order 3.97']);
    const work = workFrame(s)!;
    expect(work.series.map((x) => [x.label, x.points])).toEqual([
      ['rk4', [[16, 0.5 * 4 ** -4], [32, 0.5 * 8 ** -4]]],
      ['adaptive', [[20, 3e-5], [60, 2e-3]]],
    ]);
    expect(work.series[1].data?.tolerances).toBe('0.00001,0.001');
    expect([work.xMin, work.xMax]).toEqual([16, 60]);
  });

  it('the initialisation error against T, sorted in T, with its fitted slope', async () => {
    const s = await fakeStudy.run(base(), request, { gpu: null, backend: 'cpu-float64' });
    s.arrays.init_T.data = Float64Array.from([8, 0.5, 2, 1, 4]);
    s.arrays.init_error.data = Float64Array.from([8, 0.5, 2, 1, 4], (t) => 0.3 / t);
    const frame = initFrame(s)!;
    expect(frame.series).toHaveLength(1);
    expect(frame.series[0].points.map((p) => p[0])).toEqual([0.5, 1, 2, 4, 8]);
    expect(frame.series[0].label).toBe('initialisation error, slope -1.00');
    expect([frame.xMin, frame.xMax]).toEqual([0.5, 8]);
  });

  it("the lab's own study (CPU float64, 8 particles): one series per integrator, orders in the legend, errors falling", async () => {
    const cfg = reduceParticles(base(), 8);
    const s = await scoreMixingConvergence.run(cfg, { integrators: ['exp', 'rk4'], resolutions: [4, 8, 16] }, { gpu: null, backend: 'cpu-float64' });
    const frame = errorFrame(s);
    const study = frame.series.filter((x) => x.data?.kind === 'study');
    expect(study.map((x) => x.data?.integrator)).toEqual(['exp', 'rk4']);
    for (const x of study) {
      expect(x.label).toMatch(/^(exp|rk4), (order \d+\.\d\d|no fitted order)$/);
      const e = x.points.map((p) => p[1]);
      expect(e[2]).toBeLessThan(e[0]);
    }
    expect(study.map((x) => x.label)).toEqual(['exp', 'rk4'].map((name, i) => orderLabel(name, s.arrays.order.data[i])));
    expect(frame.series.some((x) => x.data?.kind === 'reference')).toBe(true);
    expect(frame.series.some((x) => x.data?.kind === 'floor')).toBe(true);
    const init = initFrame(s)!;
    expect(init.series[0].points.length).toBeGreaterThan(2);
    expect(init.series[0].label).toMatch(/^initialisation error, slope -?\d/);
    expect(workFrame(s)).toBeNull();
  });
});

describe('a compared config', () => {
  it('is studied at its own lambda (batch 0): config.compare is left out of the study config', async () => {
    const { reduceParticles } = await import('../../src/labs/score-mixing/view/convergence-request');
    const { parseConfig } = await import('../../src/labs/score-mixing/config');
    const { defaultScoreMixingConfig } = await import('../../src/labs/score-mixing/params');
    const cfg = parseConfig({ ...defaultScoreMixingConfig(), compare: { key: 'lambda', values: [2.5] }, particles: { count: 200, seed: 1 } });
    const study = reduceParticles(cfg, 64);
    expect(study).not.toHaveProperty('compare');
    expect(study.lambda).toBe(cfg.lambda);
    expect(study.particles).toEqual({ count: 64, seed: 1 });
  });
});
