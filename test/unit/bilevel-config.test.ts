// bilevel config validation (src/labs/bilevel/config.ts) and the lab's headless runner on the
// float64 CPU path: defaults, field paths of bad input, the snapshot's arrays and shapes (the CLI
// contract), presets.

import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../support/field-errors';
import { gridSpacing, parseConfig, pixelCentres } from '../../src/labs/bilevel/config';
import { runHeadless } from '../../src/labs/bilevel/headless';
import { BILEVEL_PRESETS, defaultBilevelConfig } from '../../src/labs/bilevel/params';
import { solvePixel } from '../../src/labs/bilevel/reference';
import { getLab } from '../../src/labs/registry';

const { error, withField } = fieldErrors(parseConfig, () => ({ family: 'qp', grid: { n: 16, x1: [-2, 2], x2: [-2, 2] }, kappa: 2 }));

describe('parseConfig', () => {
  it('fills in the documented defaults (absent perturbation: nominal)', () => {
    expect(parseConfig({})).toEqual({ family: 'qp', grid: { n: 256, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0, seed: 1 }, kappa: 2 });
    expect(parseConfig({ family: 'lp', perturbation: { q: [0.1, -0.1] } }).perturbation).toEqual({ q: [0.1, -0.1], d: [0, 0, 0, 0] });
    expect(parseConfig(defaultBilevelConfig())).toEqual(defaultBilevelConfig());
  });

  it('names the field, the value and the allowed range of bad input', () => {
    expect(withField((c) => (c.grid.n = 0)).message).toMatch(/^grid\.n: got 0; allowed: an integer in \[1, 2048\]/);
    expect(withField((c) => (c.grid.n = 2.5)).field).toBe('grid.n');
    expect(withField((c) => (c.family = 'bowl')).message).toMatch(/^family: got "bowl"; allowed: one of "qp", "disk", "abs", "cusp", "lp"/);
    expect(withField((c) => (c.kappa = 0)).field).toBe('kappa');
    expect(withField((c) => (c.kappa = -1)).field).toBe('kappa');
    expect(withField((c) => (c.perturbation = { q: [0.1], d: [0, 0, 0, 0] })).message).toMatch(/^perturbation\.q: got "1 entries"; allowed: 2 entries \(dim y = 2/);
    expect(withField((c) => (c.perturbation = { q: [0.1, 0.5] })).field).toBe('perturbation.q[1]');
    expect(withField((c) => (c.perturbation = { d: [0, 0, 0] })).field).toBe('perturbation.d');
    expect(withField((c) => (c.perturbation = { q: [0, 0], eps: 0.1 })).field).toBe('perturbation');
    expect(withField((c) => (c.perturbation = { eps: 0.5, seed: 1 })).field).toBe('perturbation.eps');
    expect(withField((c) => (c.perturbation = { eps: 0.1, seed: -1 })).field).toBe('perturbation.seed');
    expect(withField((c) => (c.grid.x1 = [1, 1])).field).toBe('grid.x1');
    expect(withField((c) => (c.grid.x2 = [-4, 1])).field).toBe('grid.x2[0]');
    expect(withField((c) => (c.grid.x2 = [0, 'a'])).field).toBe('grid.x2[1]');
    expect(withField((c) => (c.grid.size = 3)).field).toBe('grid.size');
    expect(withField((c) => (c.colour = 'red')).field).toBe('colour');
    expect(error(JSON.parse('{"__proto__": {"polluted": 1}}')).field).toBe('__proto__');
    expect(error(null).field).toBe('config');
    expect(error([]).field).toBe('config');
  });

  it('cusp has no constraints: q has one entry, d none', () => {
    expect(parseConfig({ family: 'cusp', perturbation: { q: [0.2] } }).perturbation).toEqual({ q: [0.2], d: [] });
    expect(error({ family: 'cusp', perturbation: { d: [0.1] } }).field).toBe('perturbation.d');
  });

  it('every preset is a valid config', () => {
    for (const p of BILEVEL_PRESETS) expect(parseConfig(p.config)).toEqual(p.config);
  });

  it('pixel centres and spacing follow the contract', () => {
    expect(Array.from(pixelCentres([-2, 2], 4))).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(gridSpacing({ n: 4, x1: [-2, 2], x2: [0, 1] })).toBe(1);
  });
});

describe('runHeadless (float64 CPU)', () => {
  it('writes every contract array with its shape and dtype, indexed [i1, i2]', async () => {
    const config = parseConfig({ family: 'qp', grid: { n: 12, x1: [-2, 1], x2: [-1, 2] }, perturbation: { eps: 0.2, seed: 3 } });
    const s = await getLab('bilevel').runHeadless(config, { gpu: null, backend: 'cpu-float64' });
    const shape = (k: string) => [s.arrays[k].dtype, s.arrays[k].shape];
    expect(shape('x1')).toEqual(['f64', [12]]);
    expect(shape('y')).toEqual(['f64', [12, 12, 2]]);
    expect(shape('mu')).toEqual(['f64', [12, 12, 4]]);
    expect(shape('active')).toEqual(['i32', [12, 12]]);
    for (const c of ['licq', 'scsc', 'sosc']) {
      expect(shape(`margin_${c}`)).toEqual(['f64', [12, 12]]);
      expect(shape(`fail_${c}`)).toEqual(['u8', [12, 12]]);
    }
    expect(shape('fraction')).toEqual(['f64', [3]]);
    expect(shape('q')).toEqual(['f64', [2]]);
    expect(shape('d')).toEqual(['f64', [4]]);
    // Pixel [i1, i2] = [3, 7] is the solve at (x1[3], x2[7]).
    const x1 = s.arrays.x1.data[3];
    const x2 = s.arrays.x2.data[7];
    const p = { q: Array.from(s.arrays.q.data), d: Array.from(s.arrays.d.data) };
    const sol = solvePixel('qp', x1, x2, p);
    const k = 3 * 12 + 7;
    expect([s.arrays.y.data[2 * k], s.arrays.y.data[2 * k + 1]]).toEqual(sol.y);
    expect(s.arrays.active.data[k]).toBe(sol.active);
    expect(s.meta).toMatchObject({ family: 'qp', n: 12, precision: 'float64', seed: 3, backend: 'cpu-float64' });
    expect((s.meta.witness as { strictA: string }).strictA).toBe('{}');
  });

  it('cusp: mu has zero columns and the margins that cannot fail are +Infinity', async () => {
    const s = await runHeadless(parseConfig({ family: 'cusp', grid: { n: 5 }, kappa: 0.1 }), { gpu: null, backend: 'cpu-float64' });
    expect(s.arrays.mu.shape).toEqual([5, 5, 0]);
    expect(s.arrays.d.shape).toEqual([0]);
    expect(s.arrays.margin_licq.data[0]).toBe(Infinity);
    // n = 5 on [-2, 2] puts the centre pixel on the origin, where SOSC fails (tau = 0.08 flags no other).
    expect(s.arrays.fail_sosc.data[12]).toBe(1);
    expect(s.arrays.fraction.data[2]).toBeCloseTo(1 / 25, 15);
  });
});
