// bilevel's memoryEstimate (memory.ts) against what a map allocates. The grid cap (n <= 2048)
// bounds it: measured peak RSS of `flowlab run bilevel --preset qp --set grid.n=2048 --out x.npz`
// 1.06 GB (CPU) and 0.80 GB (SwiftShader), against an estimate of 1.79 GB.
import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MemoryBudgetError, type MemoryBudget } from '../../src/labs/budget';
import { bilevelLab as lab } from '../../src/labs/bilevel';
import { expectEstimateBounds } from '../support/memory-estimates';

const GiB = 2 ** 30;
const budget = (gib: number): MemoryBudget => ({ bytes: gib * GiB, source: 'test', raise: 'raise it in the test' });
const withGrid = (family: string, n: number) => ({ family, grid: { n }, perturbation: { eps: 0.1, seed: 3 } });

describe('bilevel memory estimate', () => {
  it('bounds the map arrays and every encoding of a CPU run (qp, 48 x 48)', async () => {
    await expectEstimateBounds(lab, withGrid('qp', 48));
  });

  it('bounds the cusp (no multipliers) and the disk', async () => {
    await expectEstimateBounds(lab, withGrid('cusp', 40));
    await expectEstimateBounds(lab, withGrid('disk', 40));
  });

  it('the largest grid (2048) is within 2x above the measured peak; over a 1 GiB page budget, naming grid.n', () => {
    const config = lab.parseConfig(withGrid('qp', 2048));
    const e = lab.memoryEstimate(config, { output: 'npz' });
    expect(e.bytes).toBeGreaterThanOrEqual(1.06e9);
    expect(e.bytes).toBeLessThanOrEqual(2 * 1.06e9);
    expect(e.drivers).toEqual(['grid.n', 'family']);
    expect(() => checkMemoryBudget(lab, config, budget(1), { page: true })).toThrow(MemoryBudgetError);
    expect(() => checkMemoryBudget(lab, config, budget(1), { page: true })).toThrow(/^grid\.n: 2048 \(with family = qp \(2 \+ 4 values per pixel\)\) needs about/);
  });

  it('every preset fits the smallest page budget (1 GiB) with the page part counted', () => {
    for (const p of lab.presets) expect(() => checkMemoryBudget(lab, lab.parseConfig(p.config), budget(1), { page: true, output: 'json' })).not.toThrow();
  });
});
