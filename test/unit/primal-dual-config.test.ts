// primal-dual config validation (src/labs/primal-dual/config.ts), its presets and the lab's
// headless runner on the float64 CPU path: defaults, field paths of every kind of bad input, the
// theta / p windows, KKT refusals as field errors, problem import.

import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../support/field-errors';
import { dynamicsParams, importProblemJson, objectiveTemplate, parseConfig, problemOf, runSetup } from '../../src/labs/primal-dual/config';
import { timeGrid } from '../../src/labs/primal-dual/reference';
import { runHeadless } from '../../src/labs/primal-dual/headless';
import { PRIMAL_DUAL_PARAMS, PRIMAL_DUAL_PRESETS, defaultPrimalDualConfig } from '../../src/labs/primal-dual/params';
import type { PrimalDualConfig } from '../../src/labs/primal-dual/types';
import { getLab, labIds } from '../../src/labs/registry';
import { FieldError, checkParam } from '../../src/labs/schema';

const minimal = () => ({
  A: [
    [1, 2, -1, 0.5],
    [0, 1, 1, -2],
  ],
  b: [1, -2],
  objective: { kind: 'quartic', c: [1, -0.5, 0.3, 2] },
});

const { error, withField } = fieldErrors(parseConfig, minimal);

describe('parseConfig', () => {
  it('fills in the documented defaults', () => {
    const c = parseConfig(minimal());
    expect(c).toMatchObject({ alpha: 3, theta: 0.5, beta: 1, p: 0, t0: 1, T: 50, h: 0.02, integrator: 'rotation', record: 61, allowOutsideWindow: false });
    // Zero data, written out (an empty initial would not survive a link).
    expect(c.initial).toEqual({ x: [0, 0, 0, 0], lambda: [0, 0] });
    expect(parseConfig({ A: minimal().A, b: [1, -2] }).objective).toEqual({ kind: 'quartic', c: [0, 0, 0, 0] });
    expect(parseConfig({ ...minimal(), objective: { kind: 'quadratic', Q: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] } }).objective.c).toEqual([0, 0, 0, 0]);
    expect(parseConfig({ ...minimal(), initial: { count: 8 } }).initial).toEqual({ count: 8, seed: 1, spread: 1 });
    expect(parseConfig({ ...minimal(), initial: { x: [0, 0, 0, 1] } }).initial).toEqual({ x: [0, 0, 0, 1], lambda: [0, 0] });
  });

  it('accepts every preset and the default config, and is idempotent', () => {
    for (const p of PRIMAL_DUAL_PRESETS) {
      const c = parseConfig(structuredClone(p.config));
      expect(c).toEqual(p.config);
      expect(parseConfig(c)).toEqual(c);
    }
    expect(parseConfig(defaultPrimalDualConfig())).toEqual(defaultPrimalDualConfig());
    const ids = PRIMAL_DUAL_PRESETS.map((p) => p.id);
    for (const id of ['test-instance', 'test-instance-alpha4', 'flat-minimum', 'holder', 'exp', 'quadratic', 'cloud']) expect(ids).toContain(id);
    const kinds = new Set(PRIMAL_DUAL_PRESETS.map((p) => p.config.objective.kind));
    expect([...kinds].sort()).toEqual(['exp', 'holder', 'quadratic', 'quartic']);
  });

  it('the test-instance presets are alpha 3, theta 1/2 and alpha 4, theta 5/12, default first: a cloud of 128, 2450 steps', () => {
    const [a, b] = PRIMAL_DUAL_PRESETS;
    expect(a.config).toMatchObject({ ...minimal(), alpha: 3, theta: 0.5, beta: 1, t0: 1, T: 50, h: 0.02, initial: { count: 128, seed: 1, spread: 1 } });
    expect(timeGrid(dynamicsParams(a.config)).K).toBe(2450);
    expect(b.config).toMatchObject({ ...minimal(), alpha: 4, theta: 5 / 12, initial: { x: [0, 0, 0, 0], lambda: [0, 0] } });
    expect(defaultPrimalDualConfig()).toEqual(a.config);
  });

  it('flat minimum: x*_0 = c_0 exactly (singular Hessian at x*)', () => {
    const c = PRIMAL_DUAL_PRESETS.find((p) => p.id === 'flat-minimum')!.config;
    const { kkt } = problemOf(c);
    expect(kkt.residual).toBeLessThan(1e-15);
    expect(Math.abs(kkt.x[0] - c.objective.c![0])).toBeLessThan(1e-5);
    [1, 0, 0.8, 1.5].forEach((v, j) => expect(Math.abs(kkt.x[j] - v)).toBeLessThan(1e-5));
    expect(Math.abs(kkt.lambda[1] + 0.125)).toBeLessThan(1e-10);
  });

  it('every preset parameter is inside its schema range', () => {
    for (const p of PRIMAL_DUAL_PRESETS) {
      const c = parseConfig(p.config) as unknown as Record<string, any>;
      for (const spec of PRIMAL_DUAL_PARAMS) {
        const v = spec.key.split('.').reduce((o, k) => (o === undefined ? undefined : o[k]), c as any);
        if (v !== undefined) expect(checkParam(spec, v)).toBe(v);
      }
    }
  });

  it('A: shape and entries, with paths like A[1][3]', () => {
    expect(withField((c) => (c.A[1][3] = NaN)).field).toBe('A[1][3]');
    expect(withField((c) => (c.A[1][3] = Infinity)).field).toBe('A[1][3]');
    expect(withField((c) => (c.A[1][3] = '1')).field).toBe('A[1][3]');
    expect(withField((c) => (c.A[1] = [1, 2, 3])).field).toBe('A[1]');
    const square = withField((c) => (c.A = [[1, 0], [0, 1]]));
    expect(square.field).toBe('A');
    expect(square.message).toMatch(/A: got "2 x 2 matrix"; allowed: an m x n matrix with 1 <= m < n <= 16/);
    expect(withField((c) => (c.A = [Array(17).fill(1)])).field).toBe('A[0]');
    expect(withField((c) => (c.A = [])).field).toBe('A');
    expect(withField((c) => (c.A = 'eye')).field).toBe('A');
    expect(withField((c) => delete c.A).field).toBe('A');
  });

  it('b and objective: lengths from A, paths like objective.Q[2][0]', () => {
    const b = withField((c) => (c.b = [1, 2, 3]));
    expect(b.field).toBe('b');
    expect(b.message).toMatch(/b: got "3 entries"; allowed: 2 entries \(m = 2, the rows of A\)/);
    expect(withField((c) => (c.b[1] = null)).field).toBe('b[1]');
    expect(withField((c) => delete c.b).field).toBe('b');
    expect(withField((c) => (c.objective.c = [1, 2])).field).toBe('objective.c');
    expect(withField((c) => (c.objective.c[2] = NaN)).field).toBe('objective.c[2]');
    expect(withField((c) => (c.objective.kind = 'cubic')).field).toBe('objective.kind');
    expect(withField((c) => (c.objective.w = [1, 1, 1, 1])).field).toBe('objective.w');
    expect(withField((c) => (c.objective = { kind: 'exp' })).field).toBe('objective.w');
    const Q = () => [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]];
    expect(withField((c) => (c.objective = { kind: 'quadratic', Q: Q().map((r, i) => (i === 2 ? ['x', 0, 2, 0] : r)) })).field).toBe('objective.Q[2][0]');
    expect(withField((c) => (c.objective = { kind: 'quadratic', Q: Q().slice(1) })).field).toBe('objective.Q');
    expect(withField((c) => (c.objective = { kind: 'quadratic', Q: Q().map((r, i) => (i === 1 ? r.slice(1) : r)) })).field).toBe('objective.Q[1]');
    expect(withField((c) => (c.objective = { kind: 'quadratic' })).field).toBe('objective.Q');
  });

  it('scalars: alpha < 3, non-finite and non-numeric values, unknown keys', () => {
    const a = withField((c) => (c.alpha = 2.5));
    expect(a.field).toBe('alpha');
    expect(a.message).toMatch(/alpha: got 2\.5; allowed: a number in \[3, 12\]/);
    expect(withField((c) => (c.alpha = NaN)).field).toBe('alpha');
    expect(withField((c) => (c.beta = -1)).field).toBe('beta');
    expect(withField((c) => (c.theta = Infinity)).field).toBe('theta');
    expect(withField((c) => (c.h = 'small')).field).toBe('h');
    expect(withField((c) => (c.integrator = 'euler')).field).toBe('integrator');
    expect(withField((c) => (c.allowOutsideWindow = 'yes')).field).toBe('allowOutsideWindow');
    expect(withField((c) => (c.lamda = 1)).field).toBe('lamda');
    expect(withField((c) => (c.objective.x = 1)).field).toBe('objective.x');
    // Numbers are JSON numbers (issue 10): a numeric string is refused, naming the field.
    expect(withField((c) => (c.alpha = '4')).message).toMatch(/^alpha: got "4"; allowed: a number in \[3, 12\]/);
    expect(withField((c) => (c.theta = '0.4')).field).toBe('theta');
  });

  it('theta outside [1/(alpha-1), 1/2] needs allowOutsideWindow; the message states the window', () => {
    const e = withField((c) => ((c.alpha = 4), (c.theta = 0.3)));
    expect(e.field).toBe('theta');
    expect(e.message).toMatch(/theta: got 0\.3; allowed: .*\[1\/\(alpha-1\), 1\/2\] = \[0\.333333333333, 0\.5\] for alpha = 4.*allowOutsideWindow/);
    const e3 = withField((c) => (c.theta = 0.45));
    expect(e3.field).toBe('theta');
    expect(e3.message).toMatch(/alpha = 3 forces theta = 1\/2/);
    expect(withField((c) => ((c.alpha = 4), (c.theta = 0.6))).field).toBe('theta');
    // the window's ends are inside
    expect(parseConfig({ ...minimal(), alpha: 4, theta: 1 / 3 }).theta).toBe(1 / 3);
    expect(parseConfig({ ...minimal(), alpha: 7, theta: 0.5 }).theta).toBe(0.5);
    expect(parseConfig({ ...minimal(), alpha: 4, theta: 0.3, allowOutsideWindow: true })).toMatchObject({ theta: 0.3, allowOutsideWindow: true });
  });

  it('p outside [0, (1 - 2 theta)/theta] needs allowOutsideWindow', () => {
    const e = withField((c) => ((c.alpha = 4), (c.theta = 5 / 12), (c.p = 0.5)));
    expect(e.field).toBe('p');
    expect(e.message).toMatch(/p: got 0\.5; allowed: 0 <= p <= \(1 - 2 theta\)\/theta = 0\.4 for theta = 0\.416666666667.*allowOutsideWindow/);
    expect(withField((c) => (c.p = 0.1)).field).toBe('p'); // alpha 3, theta 1/2: only p = 0
    expect(parseConfig({ ...minimal(), alpha: 4, theta: 1 / 3, p: 1 }).p).toBe(1);
    expect(parseConfig({ ...minimal(), p: 1, allowOutsideWindow: true }).p).toBe(1);
    expect(withField((c) => ((c.p = -1), (c.allowOutsideWindow = true))).field).toBe('p');
  });

  it('time grid: T > t0, h <= T - t0, bounded step count', () => {
    expect(withField((c) => ((c.t0 = 10), (c.T = 5))).field).toBe('T');
    expect(withField((c) => ((c.T = 2), (c.h = 2))).message).toMatch(/h: got 2; allowed: a number in \[0.00001, T - t0\] = \[0.00001, 1\]/);
    expect(withField((c) => ((c.T = 1e5), (c.h = 1e-4))).message).toMatch(/h: .*at most 10000000 steps/);
  });

  it('initial: explicit parts or a cloud, not both; lengths from A', () => {
    expect(withField((c) => (c.initial = { x: [0, 0, 0, 0], count: 3 })).field).toBe('initial');
    expect(withField((c) => (c.initial = { x: [0, 0, 0] })).field).toBe('initial.x');
    expect(withField((c) => (c.initial = { lambda: [0, NaN] })).field).toBe('initial.lambda[1]');
    expect(withField((c) => (c.initial = { dlambda: [0, 0, 0, 0] })).message).toMatch(/m = 2/);
    expect(withField((c) => (c.initial = { count: 0 })).field).toBe('initial.count');
    expect(withField((c) => (c.initial = { count: 4, spread: -1 })).field).toBe('initial.spread');
    expect(withField((c) => (c.initial = { count: 4, sed: 1 })).field).toBe('initial.sed');
    expect(withField((c) => (c.initial = [0, 0])).field).toBe('initial');
  });

  it('record: integer in [2, 10001] and a bound on the snapshot size', () => {
    expect(withField((c) => (c.record = 1)).field).toBe('record');
    expect(withField((c) => (c.record = 2.5)).field).toBe('record');
    const big = withField((c) => ((c.record = 10001), (c.initial = { count: 1 << 20 })));
    expect(big.field).toBe('record');
    expect(big.message).toMatch(/at most \d+ frames/);
  });

  it('KKT failures are field errors on A, b or objective', () => {
    const rank = error({ A: [[1, 2, 3], [2, 4, 6]], b: [1, 2] });
    expect(rank.field).toBe('A');
    expect(rank.message).toMatch(/rank-deficient \(rank 1 < m = 2\)/);
    const infeasible = error({ A: [[1, 2, 3], [2, 4, 6]], b: [1, 3] });
    expect(infeasible.field).toBe('b');
    expect(infeasible.message).toMatch(/infeasible.*no solution/);
    const asym = error({ A: [[1, 1, 1]], b: [1], objective: { kind: 'quadratic', Q: [[1, 1, 0], [0, 1, 0], [0, 0, 1]] } });
    expect(asym.field).toBe('objective.Q');
    expect(asym.message).toMatch(/symmetric/);
    const unbounded = error({ A: [[0, 1, 0]], b: [0], objective: { kind: 'exp', w: [-1, 1, 1] } });
    expect(unbounded.field).toBe('objective');
  });
});

describe('problem import and objective templates', () => {
  it('imports {A, b, objective} of a new shape, or a bare matrix of the same shape', () => {
    const base = defaultPrimalDualConfig();
    const c = importProblemJson(JSON.stringify({ A: [[1, 1, 1]], b: [1] }), base);
    expect(c.A).toEqual([[1, 1, 1]]);
    expect(c.objective).toEqual({ kind: 'quartic', c: [0, 0, 0] });
    const d = importProblemJson('[[1, 2, -1, 0.5], [0, 1, 1, -1]]', base);
    expect(d.A[1][3]).toBe(-1);
    expect(d.objective).toEqual(base.objective);
    expect(() => importProblemJson('{"A": [[1, 2]', base)).toThrow(FieldError);
    expect(() => importProblemJson('{"A": [[1, 2, 3], [2, 4, 6]], "b": [1, 2]}', base)).toThrow(/A: .*rank-deficient/);
    expect(() => importProblemJson('{"alpha": 4}', base)).toThrow(/alpha: .*no such field/);
  });

  it('objectiveTemplate gives every kind a solvable default of dimension n', () => {
    const A = [[1, 2, -1, 0.5], [0, 1, 1, -2]];
    for (const kind of ['quartic', 'holder', 'exp', 'quadratic'] as const) {
      const objective = objectiveTemplate(kind, 4, { kind: 'quartic', c: [1, -0.5, 0.3, 2] });
      expect(problemOf({ A, b: [1, -2], objective }).kkt.residual).toBeLessThan(1e-12);
    }
    expect(objectiveTemplate('holder', 4, { kind: 'quartic', c: [1, 2, 3, 4] })).toEqual({ kind: 'holder', c: [1, 2, 3, 4] });
  });
});

describe('the lab', () => {
  it('is registered', () => {
    expect(labIds()).toContain('primal-dual');
    const lab = getLab('primal-dual');
    expect(lab.params).toBe(PRIMAL_DUAL_PARAMS);
    expect(lab.parseConfig(lab.defaultConfig())).toEqual(lab.defaultConfig());
    expect(typeof lab.loadPage).toBe('function');
  });

  it('runHeadless on the CPU: every array, float64, the KKT point and its residual in meta', async () => {
    const cfg: PrimalDualConfig = parseConfig({ ...minimal(), alpha: 4, theta: 5 / 12, T: 20, h: 0.02, record: 9, initial: { count: 5, seed: 3, spread: 0.5 } });
    const fractions: number[] = [];
    const s = await runHeadless(cfg, { gpu: null, backend: 'cpu-float64', onProgress: (f) => fractions.push(f) });
    const shapes = Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, [a.dtype, ...a.shape]]));
    expect(shapes).toEqual({
      t: ['f64', 9],
      x: ['f64', 9, 5, 4],
      lambda: ['f64', 9, 5, 2],
      energy: ['f64', 9, 5],
      gap: ['f64', 9, 5],
      feasibility: ['f64', 9, 5],
      objective: ['f64', 9, 5],
      defect: ['f64', 9, 5],
      Q: ['f64', 9, 5, 2],
      x_star: ['f64', 4],
      lambda_star: ['f64', 2],
    });
    const t = s.arrays.t.data;
    expect(t[0]).toBe(1);
    expect(t[8]).toBe(20);
    for (let f = 1; f < 9; f++) expect(t[f]).toBeGreaterThan(t[f - 1]);
    [1.110258, -0.009658, 0.784702, 1.387522].forEach((v, j) => expect(Math.abs(s.arrays.x_star.data[j] - v)).toBeLessThan(5e-7));
    const meta = s.meta as any;
    expect(meta.kkt.residual).toBeLessThan(1e-14);
    expect(meta).toMatchObject({ backend: 'cpu-float64', precision: 'float64', n: 4, m: 2, trajectories: 5, frames: 9, steps: 950, seed: 3, insideWindow: true });
    expect(meta.thetaWindow[0]).toBeCloseTo(1 / 3, 15);
    expect(meta.timings.totalMs).toBeGreaterThan(0);
    expect(fractions.at(-1)).toBe(1);
    // energy decays inside the window, the identity defect stays small
    const E = s.arrays.energy.data;
    for (let i = 0; i < 5; i++) expect(E[8 * 5 + i]).toBeLessThan(E[i]);
    for (const d of s.arrays.defect.data) expect(Math.abs(d)).toBeLessThan(1e-3);
    // the same config through runSetup starts from the cloud around (x*, lambda*)
    expect(runSetup(cfg).init.count).toBe(5);
  });
});
