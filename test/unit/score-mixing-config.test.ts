import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../support/field-errors';
import { parseConfig } from '../../src/labs/score-mixing/config';
import { SCORE_MIXING_PARAMS, SCORE_MIXING_PRESETS, defaultScoreMixingConfig } from '../../src/labs/score-mixing/params';
import { checkParam } from '../../src/labs/schema';
import { getLab, labIds } from '../../src/labs/registry';

const minimal = () => ({ mu1: { points: [[0, 0], [1, 0], [0, 1]] }, mu2: { points: [[2, 2], [3, 3]] }, lambda: 0.5 });

const { error, withField } = fieldErrors(parseConfig, minimal);

describe('parseConfig', () => {
  it('fills in the documented defaults', () => {
    const c = parseConfig(minimal());
    expect(c).toMatchObject({ lambda: 0.5, T: 1, tMin: 1e-4, steps: 400, sampler: 'ode', integrator: 'exp', beta: 1, seed: 0, record: 41 });
    expect(c.particles).toEqual({ count: 4096, seed: 1 });
    expect(parseConfig({ ...minimal(), steps: 10 }).record).toBe(11);
  });

  it('accepts every preset and the default config, and is idempotent', () => {
    for (const p of SCORE_MIXING_PRESETS) {
      const c = parseConfig(p.config);
      expect(parseConfig(c)).toEqual(c);
    }
    expect(parseConfig(defaultScoreMixingConfig())).toEqual(defaultScoreMixingConfig());
    const dims = SCORE_MIXING_PRESETS.map((p) => p.config.mu1.points[0].length);
    expect(dims).toContain(3);
    expect(dims).toContain(8);
  });

  it('accepts explicit particles, weights, sde and higher-order integrators', () => {
    const c = parseConfig({ ...minimal(), particles: { points: [[0, 0], [1, 1]] }, sampler: 'ode', integrator: 'rk4', mu2: { points: [[1, 1]], weights: [2] } });
    expect(c.particles).toEqual({ points: [[0, 0], [1, 1]] });
    expect(parseConfig({ ...minimal(), sampler: 'sde', beta: 0.5 }).beta).toBe(0.5);
  });

  it('names the field, the value and the allowed range', () => {
    const e = withField((c) => (c.lambda = 11));
    expect(e.field).toBe('lambda');
    expect(e.message).toMatch(/lambda: got 11; allowed: a number in \[0, 10\]/);
    expect(withField((c) => delete c.lambda).field).toBe('lambda');
    expect(withField((c) => (c.lambda = 'abc')).field).toBe('lambda');
  });

  it('rejects bad point sets with paths like mu1.points[2][1]', () => {
    expect(withField((c) => (c.mu1.points[2][1] = Infinity)).field).toBe('mu1.points[2][1]');
    expect(withField((c) => (c.mu1.points[2][1] = NaN)).field).toBe('mu1.points[2][1]');
    expect(withField((c) => (c.mu1.points[2][1] = '1')).field).toBe('mu1.points[2][1]');
    expect(withField((c) => (c.mu1.points[1] = [1, 2, 3])).field).toBe('mu1.points[1]'); // ragged
    expect(withField((c) => (c.mu2.points[1] = [1, 2, 3])).field).toBe('mu2.points[1]'); // d mismatch
    const dm = withField((c) => (c.mu2.points = [[1, 2, 3]]));
    expect(dm.field).toBe('mu2.points[0]');
    expect(dm.message).toMatch(/dimension of mu1/);
    expect(withField((c) => (c.mu1.points = [])).field).toBe('mu1.points');
    expect(withField((c) => (c.mu1.points = [[1, 2, 3, 4, 5, 6, 7, 8, 9]])).field).toBe('mu1.points[0]');
    expect(withField((c) => (c.mu1.points = [[]])).field).toBe('mu1.points[0]');
    expect(withField((c) => (c.mu1 = [[0, 0]])).field).toBe('mu1');
    expect(withField((c) => delete c.mu2).field).toBe('mu2');
  });

  it('rejects bad weights', () => {
    expect(withField((c) => (c.mu1.weights = [1, -1, 1])).field).toBe('mu1.weights[1]');
    expect(withField((c) => (c.mu1.weights = [1, 0, 1])).field).toBe('mu1.weights[1]');
    expect(withField((c) => (c.mu2.weights = [1])).field).toBe('mu2.weights');
    expect(withField((c) => (c.mu2.weights = [1e308, 1e308])).field).toBe('mu2.weights');
  });

  it('enforces the size limits', () => {
    const many = Array.from({ length: 16385 }, (_, i) => [i, 0]);
    expect(withField((c) => (c.mu1.points = many)).field).toBe('mu1.points');
    expect(() => parseConfig({ ...minimal(), mu1: { points: many.slice(0, 16384) } })).not.toThrow();
    expect(withField((c) => (c.particles = { count: 1_000_001, seed: 0 })).field).toBe('particles.count');
    expect(withField((c) => (c.particles = { count: 0, seed: 0 })).field).toBe('particles.count');
    expect(withField((c) => (c.particles = { count: 2.5, seed: 0 })).field).toBe('particles.count');
    expect(withField((c) => (c.particles = { seed: 0 })).field).toBe('particles.count');
    expect(withField((c) => (c.particles = { count: 10, seed: -1 })).field).toBe('particles.seed');
    expect(withField((c) => (c.particles = { points: [[0, 0], [1]] })).field).toBe('particles.points[1]');
    expect(withField((c) => (c.particles = { points: [[0, 0]], count: 3 })).field).toBe('particles.count');
  });

  it('checks record against steps and integrator against sampler', () => {
    const r = withField((c) => {
      c.steps = 40;
      c.record = 42;
    });
    expect(r.field).toBe('record');
    expect(r.message).toContain('[2, 41]');
    expect(withField((c) => (c.record = 1)).field).toBe('record');
    expect(() => parseConfig({ ...minimal(), steps: 40, record: 41 })).not.toThrow();
    const i = withField((c) => {
      c.sampler = 'sde';
      c.integrator = 'heun';
    });
    expect(i.field).toBe('integrator');
    expect(i.message).toMatch(/require sampler "ode"/);
    expect(withField((c) => (c.integrator = 'euler')).field).toBe('integrator');
    expect(withField((c) => (c.sampler = 'ODE')).field).toBe('sampler');
  });

  it('integrator "adaptive" with its tol: default 1e-4, range named in errors, ODE only; old configs unchanged', () => {
    const old = parseConfig(minimal());
    expect(old.tol).toBe(1e-4);
    expect(old.integrator).toBe('exp'); // a config without tol runs what it ran before: tol is unused
    const c = parseConfig({ ...minimal(), integrator: 'adaptive', tol: 1e-6 });
    expect(c).toMatchObject({ integrator: 'adaptive', tol: 1e-6 });
    expect(parseConfig(c)).toEqual(c);
    for (const bad of [1e-9, 0.5, 0, -1e-4, '1e-4', Number.NaN]) {
      const e = withField((c) => {
        c.integrator = 'adaptive';
        c.tol = bad;
      });
      expect(e.field).toBe('tol');
      expect(e.message).toContain('[1e-8, 0.1]');
    }
    const sde = withField((c) => {
      c.sampler = 'sde';
      c.integrator = 'adaptive';
    });
    expect(sde.field).toBe('integrator');
    expect(sde.message).toMatch(/"adaptive" require sampler "ode"/);
  });

  it('checks times', () => {
    expect(withField((c) => (c.tMin = 2)).field).toBe('tMin');
    expect(withField((c) => (c.T = 0)).field).toBe('T');
    expect(withField((c) => (c.tMin = 0)).field).toBe('tMin');
    expect(withField((c) => (c.steps = 0)).field).toBe('steps');
    expect(withField((c) => (c.seed = 1.5)).field).toBe('seed');
  });

  it('rejects unknown keys (typos)', () => {
    const e = withField((c) => (c.lamda = 1));
    expect(e.field).toBe('lamda');
    expect(e.message).toContain('allowed: mu1, mu2, lambda');
    expect(error(null).field).toBe('config');
  });
});

describe('params and registry', () => {
  it('every param default passes its own check', () => {
    for (const p of SCORE_MIXING_PARAMS) expect(checkParam(p, p.default)).toBe(p.default);
    expect(SCORE_MIXING_PARAMS.find((p) => p.key === 'tMin')).toMatchObject({ scale: 'log' });
  });

  it('getLab finds score-mixing and lists known labs otherwise', () => {
    expect(labIds()).toContain('score-mixing');
    expect(getLab('score-mixing').parseConfig(minimal())).toBeTruthy();
    expect(() => getLab('nope')).toThrow(/unknown lab "nope"; known labs: score-mixing/);
  });
});
