// primal-dual's memoryEstimate (memory.ts) against what a run allocates (the presets' runs compare
// three alphas, so the bounds cover the batch axis), and the case: 1,048,576 trajectories
// (in range) with the most frames the recorded-values cap allows (18), one run.
//
// Measured peak RSS of `flowlab run primal-dual` with 1,048,576 trajectories, record 18, T = 1.2,
// h = 0.01 (/usr/bin/time -v; 23.5 GiB machine, SwiftShader for the GPU path):
//   cpu npz 5.82 GB, cpu json 6.72 GB, gpu npz 3.10 GB, gpu json 5.87 GB
// against estimates of 7.6 GB (npz) and 9.9 GB (json): upper bounds within 1.5x. Such a run
// passes the default budget of a 16 GiB machine (12 GiB) and is refused on an 8 GiB one (6 GiB).
import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MemoryBudgetError, type MemoryBudget } from '../../src/labs/budget';
import { primalDualLab as lab } from '../../src/labs/primal-dual';
import { expectEstimateBounds } from '../support/memory-estimates';
import { fieldError } from '../support/field-errors';

const GiB = 2 ** 30;
const budget = (gib: number): MemoryBudget => ({ bytes: gib * GiB, source: 'test', raise: 'raise it in the test' });
const base = () => structuredClone(lab.presets[0].config) as unknown as Record<string, unknown>;
// One run, as measured (the presets compare three alphas: three times the recorded values, over the cap).
const million = () => ({ ...base(), compare: undefined, initial: { count: 1_048_576, seed: 1, spread: 1 }, T: 1.2, h: 0.01, record: 18 });

describe('primal-dual memory estimate', () => {
  it('bounds the recorded frames and every encoding of a CPU run (300 trajectories, 11 frames)', async () => {
    await expectEstimateBounds(lab, { ...base(), initial: { count: 300, seed: 3, spread: 0.5 }, T: 5, h: 0.01, record: 11 });
  });

  it('bounds a run from one explicit initial state', async () => {
    await expectEstimateBounds(lab, { ...base(), initial: { x: [0, 0, 0, 0], lambda: [0, 0] }, T: 5, record: 21 }, 3);
  });

  it('counts the step constants of a fine grid (h drives K)', () => {
    const coarse = lab.memoryEstimate(lab.parseConfig({ ...base(), T: 100, h: 0.01 }));
    const fine = lab.memoryEstimate(lab.parseConfig({ ...base(), T: 100, h: 1e-5 }));
    expect(fine.parts.gpu - coarse.parts.gpu).toBeGreaterThan(32 * (99 / 1e-5 - 99 / 0.01) - 1);
    expect(fine.values.h).toMatch(/K = 9900000 steps/);
  });

  it('compare mode multiplies the recorded values and the buffers by the batches', () => {
    const one = lab.memoryEstimate(lab.parseConfig({ ...base(), compare: undefined, initial: { count: 1000, seed: 1, spread: 1 } }), { page: true });
    const three = lab.memoryEstimate(lab.parseConfig({ ...base(), compare: { key: 'alpha', values: [4, 8] }, initial: { count: 1000, seed: 1, spread: 1 } }), { page: true });
    for (const part of ['recorded', 'gpu', 'page'] as const) expect(three.parts[part] / one.parts[part], part).toBeGreaterThan(2.5);
    expect(three.values.compare).toBe('3 batches');
  });

  it('every preset fits the smallest page budget (1 GiB) with the page part counted', () => {
    for (const p of lab.presets) expect(() => checkMemoryBudget(lab, lab.parseConfig(p.config), budget(1), { page: true, output: 'json' })).not.toThrow();
  });

  it('1,048,576 trajectories x 18 frames: within 1.5x above the measured peak, refused on an 8 GiB machine, run on a 16 GiB one', () => {
    const config = lab.parseConfig(million());
    const npz = lab.memoryEstimate(config, { output: 'npz' });
    const json = lab.memoryEstimate(config, { output: 'json' });
    expect(npz.bytes).toBeGreaterThanOrEqual(5.82e9);
    expect(npz.bytes).toBeLessThanOrEqual(1.5 * 5.82e9);
    expect(json.bytes).toBeGreaterThanOrEqual(6.72e9);
    expect(json.bytes).toBeLessThanOrEqual(1.5 * 6.72e9);
    expect(() => checkMemoryBudget(lab, config, budget(0.75 * 16), { output: 'npz' })).not.toThrow();
    let err: unknown;
    try {
      checkMemoryBudget(lab, config, budget(0.75 * 8), { output: 'npz' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as MemoryBudgetError).field).toBe('record');
    expect((err as MemoryBudgetError).message).toMatch(/^record: 18 \(with initial\.count = 1048576, A = 2 x 4, h = 0\.01 \(K = 20 steps\)\) needs about 7\.\d+ GiB of memory \(output /);
    // The page holds the diagnostics history and the trajectory buffer on the GPU: far over any page budget.
    expect(() => checkMemoryBudget(lab, config, budget(4), { page: true })).toThrow(MemoryBudgetError);
  });

  it('the default record (61) with 1,048,576 trajectories stays refused by the recorded-values cap', () => {
    const { record, ...rest } = million();
    void record;
    expect(fieldError(lab.parseConfig, rest).field).toBe('record');
  });
});
