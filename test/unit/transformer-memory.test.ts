// transformer's memoryEstimate (memory.ts) against what a run allocates. Its size is bounded by
// the lab's caps except for lambda_min tracking: the empirical NTK's P x np Jacobian (and the
// SVD's copies of it) at up to 512 outputs x 2^20 parameters is what a budget must catch.
//
// Measured: `flowlab run transformer` (CPU) with d = k = 8, L = H = 16 (np = 49152), 8 x 8 tokens,
// token readout (P = 512), ntkEvery 1: peak RSS 864 MB against an estimate of 1.08 GB.
import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MemoryBudgetError, type MemoryBudget } from '../../src/labs/budget';
import { transformerLab as lab } from '../../src/labs/transformer';
import { HEAD_STATE_BUDGET, headStateSlots } from '../../src/labs/transformer/memory';
import { expectEstimateBounds } from '../support/memory-estimates';

const GiB = 2 ** 30;
const budget = (gib: number): MemoryBudget => ({ bytes: gib * GiB, source: 'test', raise: 'raise it in the test' });
const base = () => lab.defaultConfig() as unknown as Record<string, unknown>;
const ntkHeavy = (L: number, H: number) => ({
  d: 8,
  k: 8,
  L,
  H,
  sequences: { kind: 'gaussian', count: 8, n: 8, seed: 2, scale: 1 },
  init: { kind: 'gaussian', qk: 0.1, v: 0, seed: 3, clip: 3 },
  task: { kind: 'teacher', L: 2, H: 2, seed: 1, qk: 1, v: 1, readout: { kind: 'token' } },
  tau: 0.1,
  iterations: 100,
  ntkEvery: 50,
  record: 2,
});

describe('transformer memory estimate', () => {
  it('bounds the recorded arrays and every encoding of a CPU run (4 iterations, lambda_min at 0 and 4)', async () => {
    await expectEstimateBounds(lab, { ...base(), iterations: 4, ntkEvery: 4 }, 3);
  });

  it('bounds a run without a task, with the log-sum-exp test', async () => {
    await expectEstimateBounds(lab, { ...base(), task: { kind: 'none', readout: { kind: 'pooled' } }, iterations: 0, ntk: true }, 3);
  });

  it('counts the NTK Jacobian and its SVD copies (P x np float64) when lambda_min is tracked', () => {
    const config = lab.parseConfig(ntkHeavy(16, 16));
    const e = lab.memoryEstimate(config);
    const P = 8 * 8 * 8;
    const np = 16 * 16 * (2 * 8 * 8 + 8 * 8);
    expect(e.parts.ntk).toBeGreaterThanOrEqual(4 * 8 * P * np);
    expect(e.bytes).toBeGreaterThanOrEqual(864e6); // the measured peak RSS of this run
    expect(e.drivers[0]).toBe('ntkEvery');
    const untracked = lab.memoryEstimate(lab.parseConfig({ ...ntkHeavy(16, 16), ntkEvery: 0 }));
    expect(untracked.parts.ntk ?? 0).toBe(0);
  });

  it('counts the per-head softmax state the forward keeps: one slot per layer within 128 MiB, else one reused slot', () => {
    // The bench size (B = 16, n = 256, H = 32, L = 8, d = 2, Euler): 8 slots of 16 x 32 x rows x 3 f32.
    expect(headStateSlots(8, 1, 16, 32, 257, 2)).toBe(8);
    // The largest accepted size (B = 64, n = 256, H = 256, L = 64) would need ~3.2 GB: one slot.
    expect(4 * 64 * 64 * 256 * 257 * 3).toBeGreaterThan(HEAD_STATE_BUDGET);
    expect(headStateSlots(64, 1, 64, 256, 257, 2)).toBe(1);
    const config = lab.parseConfig({ ...base(), d: 2, k: 2, L: 8, H: 32, sequences: { kind: 'gaussian', count: 16, n: 256, seed: 2, scale: 1 } });
    const e = lab.memoryEstimate(config);
    expect(e.parts.gpu).toBeGreaterThanOrEqual(4 * 16 * 32 * 256 * (8 * 3 + 2));
  });

  it('refuses lambda_min tracking of 512 outputs x 1,044,480 parameters on a 16 GiB machine, naming ntkEvery', () => {
    const config = lab.parseConfig(ntkHeavy(64, 85));
    let err: unknown;
    try {
      checkMemoryBudget(lab, config, budget(12));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    const f = err as MemoryBudgetError;
    expect(f.field).toBe('ntkEvery');
    expect(f.message).toMatch(/^ntkEvery: 50 \(512 outputs x 1044480 parameters\) \(with H = 85, L = 64, sequences.count = 8, /);
    expect(f.message).toMatch(/needs about \d+(\.\d+)? GiB of memory \(ntk /);
  });

  it('every preset fits the smallest page budget (1 GiB) with the page part counted', () => {
    for (const p of lab.presets) expect(() => checkMemoryBudget(lab, lab.parseConfig(p.config), budget(1), { page: true, output: 'json' })).not.toThrow();
  });
});
