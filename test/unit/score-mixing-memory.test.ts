// score-mixing's memoryEstimate (memory.ts) against what a run allocates, and the case:
// particles 1e6, steps 1e5, record 1e5 + 1 (each in range) asks for 2e11 recorded values and is
// refused before anything is allocated, naming record, particles.count and steps.
import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MAX_ARRAY_ELEMENTS, MemoryBudgetError, type MemoryBudget } from '../../src/labs/budget';
import { FieldError } from '../../src/labs/schema';
import { scoreMixingLab as lab } from '../../src/labs/score-mixing';
import { expectEstimateBounds } from '../support/memory-estimates';

const base = () => structuredClone(lab.presets[0].config);
const GiB = 2 ** 30;
const budget = (gib: number): MemoryBudget => ({ bytes: gib * GiB, source: 'test', raise: 'raise it in the test' });

describe('score-mixing memory estimate', () => {
  it('bounds the recorded frames and every encoding of a CPU run (2000 particles, 41 frames)', async () => {
    await expectEstimateBounds(lab, { ...base(), particles: { count: 2000, seed: 1 }, steps: 40, record: 41 });
  });

  it('bounds a run with explicit particles in 3-D', async () => {
    const c = structuredClone(lab.presets.find((p) => p.id === 'tetrahedron-vs-cube-3d')!.config);
    const points = Array.from({ length: 500 }, (_, i) => [Math.cos(i), Math.sin(i), (i % 7) / 7]);
    await expectEstimateBounds(lab, { ...c, particles: { points }, steps: 20, record: 11 });
  });

  it('grows with record x particles x d and names particles.points when the particles are given', () => {
    const small = lab.memoryEstimate(lab.parseConfig({ ...base(), particles: { count: 10_000, seed: 1 }, steps: 100, record: 11 }));
    const big = lab.memoryEstimate(lab.parseConfig({ ...base(), particles: { count: 10_000, seed: 1 }, steps: 100, record: 101 }));
    expect(big.parts.recorded / small.parts.recorded).toBeCloseTo(101 / 11, 1);
    const explicit = lab.memoryEstimate(lab.parseConfig({ ...base(), particles: { points: [[0, 0], [1, 1]] } }));
    expect(explicit.drivers).toContain('particles.points');
    expect(explicit.drivers).not.toContain('particles.count');
  });

  it('every preset fits the smallest page budget (1 GiB) with the page part counted', () => {
    for (const p of lab.presets) expect(() => checkMemoryBudget(lab, lab.parseConfig(p.config), budget(1), { page: true, output: 'json' })).not.toThrow();
  });

  it('refuses particles 1e6, steps 1e5, record 1e5 + 1 (issue 10) naming the fields, the estimate and the budget', () => {
    const config = lab.parseConfig({ ...base(), particles: { count: 1e6, seed: 1 }, steps: 1e5, record: 1e5 + 1 });
    const e = lab.memoryEstimate(config);
    expect(e.parts.recorded).toBeGreaterThanOrEqual(8 * 1e6 * 2 * (1e5 + 1)); // 2e11 float64 values
    expect(e.drivers.slice(0, 2)).toEqual(['record', 'particles.count']);
    expect(e.drivers).toContain('steps');
    let err: unknown;
    try {
      checkMemoryBudget(lab, config, budget(16));
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect(err).toBeInstanceOf(FieldError);
    const f = err as MemoryBudgetError;
    expect(f.field).toBe('record');
    expect(f.message).toMatch(/^record: 100001 \(with particles\.count = 1000000, mu1\.points = 3 atoms in 2 dimensions, steps = 100000\) needs about 1\.4\d TiB of memory/);
    expect(f.message).toMatch(/allowed: at most 16 GiB, the memory budget \(test\); make record, particles\.count or mu1\.points smaller, or raise it in the test$/);
  });

  it('refuses a single array longer than JavaScript allows, whatever the budget', () => {
    const config = lab.parseConfig({ ...base(), particles: { count: 1e6, seed: 1 }, steps: 1e5, record: 5000 });
    expect(lab.memoryEstimate(config).largestArray).toBeGreaterThan(MAX_ARRAY_ELEMENTS);
    expect(() => checkMemoryBudget(lab, config, budget(2 ** 20))).toThrow(/needs an array of 10000000000 elements; allowed: at most 4294967295 elements in one array/);
  });
});
