// The numerics self-test (src/labs/selftest.ts and each lab's selftest.ts) on this machine's
// adapter: every check passes, and perturbing one kernel's GPU output makes exactly that check fail
// (ratio > 1) while the lab's other checks still pass — so a check can fail. Each case runs inside
// the harness's validation scopes with its buffer leak check (the self-test disposes everything).

import { describe, expect } from 'vitest';
import { FieldError } from '../../src/io/field-error';
import { LABS } from '../../src/labs/registry';
import { PERTURB_TOLERANCES, runLabSelfTests, selfTestSummary, type KernelCheck } from '../../src/labs/selftest';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

/** Filled by the first case: every check of the unperturbed run. */
const baseline: KernelCheck[] = [];

describe.skipIf(!env.gpu)(`self-test on ${env.note}`, () => {
  gpuIt(env, 'every kernel of every lab passes against its float64 reference', async (gpu) => {
    const t0 = performance.now();
    const checks = await runLabSelfTests(LABS, gpu);
    const ms = performance.now() - t0;
    console.log(checks.map((c) => `${c.kernel}: ${c.maxErrorOverTolerance.toExponential(2)} (${c.ms.toFixed(0)} ms)`).join('\n') + `\ntotal ${ms.toFixed(0)} ms`);
    expect(new Set(checks.map((c) => c.lab))).toEqual(new Set(LABS.map((l) => l.id)));
    expect(checks.map((c) => c.kernel)).toEqual([
      'score-mixing/mixed-score',
      'score-mixing/generate',
      'score-mixing/generate-adaptive',
      'score-mixing/field',
      'primal-dual/dynamics',
      'transformer/attention-forward',
      'transformer/attention-vjp-rows+keys',
      'transformer/head-gradients',
      'transformer/head-update',
      'transformer/readout-risk',
      'bilevel/solve',
      'bilevel/sincos',
    ]);
    for (const c of checks) {
      expect(c.maxErrorOverTolerance, c.kernel).toBeLessThanOrEqual(1);
      expect(c.pass, c.kernel).toBe(true);
      expect(c.maxErrorOverTolerance, `${c.kernel}: a ratio of exactly 0 would mean nothing was compared`).toBeGreaterThan(0);
      expect(c.ms).toBeGreaterThanOrEqual(0);
      expect(c.tolerance.length).toBeGreaterThan(10);
    }
    expect(selfTestSummary(checks)).toBe(`self-test ✓ ${checks.length}/${checks.length}`);
    baseline.push(...checks);
  }, 300_000);

  gpuIt(env, 'a perturbed kernel fails its check (ratio > 1), the lab\'s other checks pass', async (gpu) => {
    expect(baseline.length, 'the first case ran').toBeGreaterThan(0);
    for (const target of baseline) {
      const checks = await runLabSelfTests(LABS, gpu, { labs: [target.lab], perturb: target.kernel });
      for (const c of checks) {
        if (c.kernel === target.kernel) {
          expect(c.pass, `${c.kernel} perturbed`).toBe(false);
          // Moved by PERTURB_TOLERANCES tolerances at one value: the ratio is about that.
          expect(c.maxErrorOverTolerance, c.kernel).toBeGreaterThan(PERTURB_TOLERANCES / 2);
        } else {
          expect(c.pass, `${c.kernel} while ${target.kernel} is perturbed`).toBe(true);
        }
      }
      expect(selfTestSummary(checks)).toBe('self-test ✗ 1 failed');
    }
  }, 300_000);

  gpuIt(env, 'an unknown lab or a perturb naming no kernel is a FieldError naming the field', async (gpu) => {
    await expect(runLabSelfTests(LABS, gpu, { labs: ['nope'] })).rejects.toThrow(FieldError);
    await expect(runLabSelfTests(LABS, gpu, { labs: ['nope'] })).rejects.toThrow(/^labs\[0\]: got "nope"/);
    await expect(runLabSelfTests(LABS, gpu, { labs: ['bilevel'], perturb: 'bilevel/nope' })).rejects.toThrow(/^perturb: got "bilevel\/nope"; allowed: .*bilevel\/solve/);
  });
});
