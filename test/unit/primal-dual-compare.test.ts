// primal-dual compare mode on the float64 CPU path (config.compare, src/labs/primal-dual/batches.ts):
// config refusals naming compare.key / compare.values[i], each batch's actual parameters (a
// compared alpha moves theta and p into its window unless allowOutsideWindow; theta and p batches
// outside their windows are refused), the reference per batch equal to separate single runs bit
// for bit, the KKT point shared, runLab's compared snapshot (batch axis, meta.compare,
// meta.batches), its csv with batch and value columns, and the presets carrying the page's
// comparison of alphas 3, 4, 8.

import { describe, expect, it } from 'vitest';
import { runLab } from '../../src/index';
import { exportSnapshot } from '../../src/io/export';
import { batchLabel, batchParams } from '../../src/labs/primal-dual/batches';
import { dynamicsParams, parseConfig, runSetup } from '../../src/labs/primal-dual/config';
import { PRIMAL_DUAL_PRESETS } from '../../src/labs/primal-dual/params';
import { batchFrames, runPrimalDualReference } from '../../src/labs/primal-dual/reference';
import { FieldError } from '../../src/labs/schema';

const small = (extra: Record<string, unknown> = {}) => ({
  A: [
    [1, 2, -1, 0.5],
    [0, 1, 1, -2],
  ],
  b: [1, -2],
  objective: { kind: 'quartic', c: [1, -0.5, 0.3, 2] },
  alpha: 4,
  theta: 5 / 12,
  T: 3,
  h: 0.05,
  record: 5,
  initial: { count: 6, seed: 2, spread: 0.5 },
  ...extra,
});

function refusal(raw: unknown): FieldError {
  try {
    parseConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return e as FieldError;
  }
  throw new Error('expected a FieldError');
}

describe('config.compare', () => {
  it('refusals name compare, compare.key or compare.values[i] with the allowed values', () => {
    expect(refusal(small({ compare: 3 })).field).toBe('compare');
    expect(refusal(small({ compare: { key: 'h', values: [0.01] } }))).toMatchObject({ field: 'compare.key' });
    expect(refusal(small({ compare: { key: 'h', values: [0.01] } })).allowed).toMatch(/"alpha", "theta", "beta", "p"/);
    expect(refusal(small({ compare: { key: 'alpha', values: [] } })).field).toBe('compare.values');
    expect(refusal(small({ compare: { key: 'alpha', values: [5, 2] } })).field).toBe('compare.values[1]');
    // The config's own value is batch 0 already: dropped from the list (the whole compare when nothing is left).
    expect(parseConfig(small({ compare: { key: 'alpha', values: [5, 4] } })).compare).toEqual({ key: 'alpha', values: [5] });
    expect(parseConfig(small({ compare: { key: 'alpha', values: [4] } }))).not.toHaveProperty('compare');
    expect(parseConfig({ ...PRIMAL_DUAL_PRESETS[0].config, alpha: 4, compare: { key: 'alpha', values: [3, 4, 8] } }).compare).toEqual({ key: 'alpha', values: [3, 8] });
    expect(refusal(small({ compare: { key: 'beta', values: [2, 2] } })).field).toBe('compare.values[1]');
    expect(refusal(small({ compare: { key: 'alpha', values: [5], extra: 1 } })).field).toBe('compare.extra');
    // theta outside [1/(alpha-1), 1/2] = [1/3, 1/2] at alpha = 4
    const t = refusal(small({ compare: { key: 'theta', values: [0.45, 0.3] } }));
    expect(t.field).toBe('compare.values[1]');
    expect(t.allowed).toMatch(/energy window .*\[0\.333333333333, 0\.5\] for the config's alpha = 4/);
    // theta with the config's p above (1 - 2 theta)/theta
    expect(refusal(small({ theta: 1 / 3, p: 1, compare: { key: 'theta', values: [0.45] } })).allowed).toMatch(/p = 1 <= \(1 - 2 theta\)\/theta/);
    // p outside [0, (1 - 2 theta)/theta] = [0, 0.4] at theta = 5/12
    const p = refusal(small({ compare: { key: 'p', values: [0.2, 0.5] } }));
    expect(p.field).toBe('compare.values[1]');
    expect(p.allowed).toMatch(/0 <= p <= \(1 - 2 theta\)\/theta = 0\.4/);
    // allowOutsideWindow lets them run.
    expect(parseConfig(small({ allowOutsideWindow: true, compare: { key: 'theta', values: [0.3] } })).compare).toEqual({ key: 'theta', values: [0.3] });
  });

  it('the recorded-values cap counts every batch', () => {
    const ok = small({ initial: { count: 100_000, seed: 1, spread: 1 }, record: 150 });
    expect(() => parseConfig(ok)).not.toThrow();
    const e = refusal({ ...ok, compare: { key: 'beta', values: [2, 3, 4, 5, 6, 7] } });
    expect(e.field).toBe('record');
    expect(e.allowed).toMatch(/700000 trajectories \(7 batches\)/);
  });

  it('each batch\'s parameters: alpha moves theta and p into its window (as the page did), other keys change only themselves', () => {
    const base = dynamicsParams(parseConfig(small({ theta: 1 / 3, p: 1 })));
    // alpha 3 forces theta = 1/2 and then p = 0; alpha 8 keeps theta = 1/3 (inside [1/7, 1/2]) and p = 1.
    const b = batchParams(base, { key: 'alpha', values: [3, 8] }, false);
    expect(b.map((x) => [x.alpha, x.theta, x.p])).toEqual([
      [4, 1 / 3, 1],
      [3, 0.5, 0],
      [8, 1 / 3, 1],
    ]);
    expect(batchLabel('alpha', b, 0)).toBe('α = 4 (config)');
    expect(batchLabel('alpha', b, 1)).toBe('α = 3, θ = 0.5000 (window end), p = 0.00');
    expect(batchLabel('alpha', b, 2)).toBe('α = 8');
    // allowOutsideWindow: the config's theta and p as given.
    expect(batchParams(base, { key: 'alpha', values: [3] }, true)[1]).toMatchObject({ alpha: 3, theta: 1 / 3, p: 1 });
    const beta = batchParams(base, { key: 'beta', values: [0, 10] }, false);
    expect(beta.map((x) => x.beta)).toEqual([1, 0, 10]);
    expect(beta.every((x) => x.alpha === 4 && x.theta === 1 / 3 && x.p === 1)).toBe(true);
    expect(batchLabel('beta', beta, 2)).toBe('β = 10');
  });

  it('no preset compares: a preset\'s flowlab run output keeps its shape (the page\'s Compare control adds values)', () => {
    for (const p of PRIMAL_DUAL_PRESETS) expect(parseConfig(structuredClone(p.config)), p.id).not.toHaveProperty('compare');
  });
});

describe('compare mode runs (float64 reference)', () => {
  it('the batched reference equals separate single runs of each batch\'s parameters, bit for bit; the KKT point is the same for every batch', () => {
    for (const compare of [
      { key: 'alpha', values: [3, 6] },
      { key: 'theta', values: [0.35, 0.5] },
      { key: 'beta', values: [0, 5] },
      { key: 'p', values: [0.2, 0.4] },
    ]) {
      const setup = runSetup(small({ compare, integrator: 'suzuki4' }));
      expect(setup.batches.length).toBe(3);
      const all = runPrimalDualReference(setup.prob, setup.batches, setup.init, setup.config.record);
      expect(all.batches).toBe(3);
      setup.batches.forEach((params, b) => {
        const one = runPrimalDualReference(setup.prob, params, setup.init, setup.config.record);
        const got = batchFrames(all, b);
        for (const key of ['x', 'lambda', 'energy', 'gap', 'feasibility', 'objective', 'defect', 'Q'] as const) {
          expect(Array.from(got[key]), `${compare.key} batch ${b} ${key}`).toEqual(Array.from(one[key]));
        }
        // The KKT point does not depend on alpha, theta, p or beta.
        const solo = runSetup({ ...small(), alpha: params.alpha, theta: params.theta, p: params.p, beta: params.beta, allowOutsideWindow: true });
        expect(Array.from(solo.prob.kkt.x)).toEqual(Array.from(setup.prob.kkt.x));
        expect(Array.from(solo.prob.kkt.lambda)).toEqual(Array.from(setup.prob.kkt.lambda));
      });
    }
  });

  it('a blow-up in a compared batch names the batch and its parameters', () => {
    const setup = runSetup(small({ integrator: 'rk4', h: 2.5, T: 200, initial: { count: 4, seed: 1, spread: 3 }, compare: { key: 'beta', values: [100] } }));
    expect(() => runPrimalDualReference(setup.prob, setup.batches, setup.init, 2)).toThrow(/non-finite.*\[batch \d: alpha = 4/);
  });

  it('runLab: every per-run array gets the batch axis, t and the KKT point stay shared, meta.compare and meta.batches name the batches', async () => {
    const cfg = small({ compare: { key: 'alpha', values: [3, 8] } });
    const snap = await runLab('primal-dual', cfg, { backend: 'cpu' });
    expect(snap.arrays.t.shape).toEqual([5]);
    expect(snap.arrays.x.shape).toEqual([3, 5, 6, 4]);
    expect(snap.arrays.lambda.shape).toEqual([3, 5, 6, 2]);
    expect(snap.arrays.Q.shape).toEqual([3, 5, 6, 2]);
    for (const k of ['energy', 'gap', 'feasibility', 'objective', 'defect']) expect(snap.arrays[k].shape, k).toEqual([3, 5, 6]);
    expect(snap.arrays.x_star.shape).toEqual([4]);
    expect(snap.meta.compare).toEqual({ key: 'alpha', values: [4, 3, 8] });
    expect(snap.meta.batches).toEqual([
      { alpha: 4, theta: 5 / 12, p: 0, beta: 1 },
      { alpha: 3, theta: 0.5, p: 0, beta: 1 },
      { alpha: 8, theta: 5 / 12, p: 0, beta: 1 },
    ]);
    // Batch 0 is the single run of the config without compare, byte for byte.
    const single = await runLab('primal-dual', small(), { backend: 'cpu' });
    expect(single.arrays.x.shape).toEqual([5, 6, 4]);
    expect(single.meta).not.toHaveProperty('compare');
    expect(Array.from(snap.arrays.x.data.subarray(0, 5 * 6 * 4))).toEqual(Array.from(single.arrays.x.data));

    // csv: batch and alpha columns in front, one row per (batch, frame, trajectory).
    const text = new TextDecoder().decode(exportSnapshot(snap, "csv"));
    const rows = text.trim().split('\n');
    expect(rows[0]).toBe('batch,alpha,frame,t,particle,x0,x1,x2,x3');
    expect(rows.length).toBe(1 + 3 * 5 * 6);
    expect(rows[1].startsWith('0,4,0,1,0,')).toBe(true);
    expect(rows[1 + 2 * 5 * 6].startsWith('2,8,0,1,0,')).toBe(true);
    const last = rows[rows.length - 1].split(',').map(Number);
    expect(last.slice(0, 5)).toEqual([2, 8, 4, 3, 5]);
    expect(last.slice(5)).toEqual(Array.from(snap.arrays.x.data.subarray(snap.arrays.x.data.length - 4)));
  });
});
