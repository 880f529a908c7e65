// The fourth-order primal-dual step suzuki4 (src/labs/primal-dual/reference.ts; NUMERICS.md
// "suzuki4") and its float64 reference (fine-reference.ts): the adaptive Dormand–Prince 5(4)
// reproduces the DOP853 table; the composition's weights and substep times; its order against the
// reference; the targets (G and ||Ax - b|| within 1% of the reference up to t = 40 on random
// 3 x 5 quartic problems at alpha 3 and 5, at h = 0.002 pointwise and at the default h = 0.02
// against the envelope); and stability at the largest h the rotation step survives (bisection to
// T = 1000), where RK4 blows up.

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/math/mulberry32';
import { problemFromInput } from '../../src/labs/primal-dual/kkt';
import { fineDiagnostics, fineTrajectory, trackingError } from '../../src/labs/primal-dual/fine-reference';
import {
  SUZUKI_P,
  evaluationsPerStep,
  initialStates,
  preparePrimalDualProblem,
  rotationSubsteps,
  runPrimalDualReference,
  substepCoefs,
  type PrimalDualProblem,
} from '../../src/labs/primal-dual/reference';
import type { DynamicsParams, Integrator } from '../../src/labs/primal-dual/types';

const testInstance = preparePrimalDualProblem(
  problemFromInput([[1, 2, -1, 0.5], [0, 1, 1, -2]], [1, -2], { kind: 'quartic', c: [1, -0.5, 0.3, 2] }),
);

/** A random quartic problem (test/gpu/primal-dual.test.ts's randomProblem, same seeds, same problems): A uniform in [-1, 1] (full row rank), c in [-1.5, 1.5]. */
function randomQuartic(n: number, m: number, seed: number): PrimalDualProblem {
  const rand = mulberry32(seed);
  const u = (a: number, b: number): number => a + (b - a) * rand();
  const A = Array.from({ length: m }, () => Array.from({ length: n }, () => u(-1, 1)));
  const xs = Array.from({ length: n }, () => u(-1, 1));
  const b = A.map((row) => row.reduce((s, a, j) => s + a * xs[j], 0));
  return preparePrimalDualProblem(problemFromInput(A, b, { kind: 'quartic', c: xs.map(() => u(-1.5, 1.5)) }));
}

const dyn = (alpha: number, theta: number, T: number, h: number, integrator: Integrator): DynamicsParams => ({ alpha, theta, beta: 1, p: 0, t0: 1, T, h, integrator });

describe('float64 reference: adaptive Dormand–Prince 5(4) at rtol 1e-12', () => {
  // The DOP853 table of test/unit/primal-dual-reference.test.ts (NUMERICS.md "Test instance"),
  // with the digits it gives: the reference must agree to one unit of the last digit.
  const TABLE = [
    { alpha: 3, theta: 0.5, E: ['0.6412', '0.5684'], t2gap: ['0.148', '0.0153'], t2res: ['2.108', '2.431'], t2f: ['-0.0887', '-0.252'] },
    { alpha: 4, theta: 5 / 12, E: ['0.0578', '2.2e-3'], t2gap: ['0.0245', '3.3e-4'], t2res: ['2.112', '0.385'], t2f: ['0.245', '0.0129'] },
  ];
  /** One unit in the last digit of a table entry. */
  const ulp = (text: string): number => {
    const [mant, exp] = text.split('e');
    const decimals = mant.includes('.') ? mant.split('.')[1].length : 0;
    return Math.pow(10, -decimals + (exp ? Number(exp) : 0));
  };
  for (const row of TABLE) {
    it(`reproduces the DOP853 table to its digits, alpha ${row.alpha}`, () => {
      const params = dyn(row.alpha, row.theta, 100, 0.01, 'rk4');
      const r = fineTrajectory(testInstance, params, initialStates(testInstance, {}), 0, [10, 100]);
      const d = fineDiagnostics(testInstance, params, [10, 100], r.y);
      [10, 100].forEach((t, j) => {
        const got = {
          E: d[j].energy,
          t2gap: t * t * (d[j].gap - 0.5 * d[j].feasibility ** 2),
          t2res: t * t * d[j].feasibility,
          t2f: t * t * d[j].objective,
        };
        for (const key of ['E', 't2gap', 't2res', 't2f'] as const) {
          const want = row[key][j];
          expect(Math.abs(got[key] - Number(want)), `${key} at t = ${t}: ${got[key]} vs ${want}`).toBeLessThanOrEqual(1.1 * ulp(want));
        }
      });
      console.log(`alpha ${row.alpha}: dopri5 ${r.stats.accepted} steps (${r.stats.rejected} rejected)`);
    });
  }
});

describe('suzuki4: the composition', () => {
  it('five substeps p, p, 1 - 4p, p, p summing to h, symmetric; the middle one backwards about t + h/2', () => {
    const w = rotationSubsteps('suzuki4');
    expect(w).toEqual([SUZUKI_P, SUZUKI_P, 1 - 4 * SUZUKI_P, SUZUKI_P, SUZUKI_P]);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    // Fourth order needs sum w^3 = 0 (the third-order error of the symmetric step cancels).
    expect(w.reduce((a, b) => a + b ** 3, 0)).toBeCloseTo(0, 15);
    expect(rotationSubsteps('rotation')).toEqual([1]);
    expect([evaluationsPerStep('rotation'), evaluationsPerStep('rk4'), evaluationsPerStep('suzuki4')]).toEqual([1, 4, 5]);
    const c = substepCoefs(dyn(3, 0.5, 10, 0.1, 'suzuki4'), 2, 0.1);
    expect(c[2].tm).toBeCloseTo(2.05, 14);
    expect(c[2].drift).toBeLessThan(0);
    expect(c[2].damp).toBeGreaterThan(1); // the backward substep undoes damping, exactly
    expect(c[0].tm + c[4].tm).toBeCloseTo(2 * 2.05, 14);
  });

  it('fourth order against the reference (error / 16 per halving of h), second for rotation', () => {
    const prob = randomQuartic(5, 3, 11);
    const init = initialStates(prob, { count: 4, seed: 3, spread: 0.5 });
    const T = 6;
    const ref = Array.from({ length: 4 }, (_, i) => fineTrajectory(prob, dyn(4, 0.4, T, 0.01, 'rk4'), init, i, [T]).y);
    const err = (integrator: Integrator, h: number): number => {
      const fr = runPrimalDualReference(prob, dyn(4, 0.4, T, h, integrator), init, 2);
      let s = 0;
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 5; j++) s += (fr.x[(4 + i) * 5 + j] - prob.kkt.x[j] - ref[i][j]) ** 2;
        for (let j = 0; j < 3; j++) s += (fr.lambda[(4 + i) * 3 + j] - prob.kkt.lambda[j] - ref[i][5 + j]) ** 2;
      }
      return Math.sqrt(s / 4);
    };
    const orders: Record<string, number[]> = {};
    for (const integrator of ['rotation', 'suzuki4'] as const) {
      const e = [0.04, 0.02, 0.01].map((h) => err(integrator, h));
      orders[integrator] = [Math.log2(e[0] / e[1]), Math.log2(e[1] / e[2])];
      console.log(`${integrator}: errors ${e.map((v) => v.toExponential(2)).join(', ')}; observed orders ${orders[integrator].map((o) => o.toFixed(2)).join(', ')}`);
    }
    for (const o of orders.suzuki4) expect(o).toBeGreaterThanOrEqual(3.6);
    for (const o of orders.rotation) expect(o).toBeGreaterThanOrEqual(1.8);
  });
});

describe('suzuki4: the targets (issue 12 item 5)', () => {
  // "Within 1%": trackingError's envelope measure, |q_h(t) - q_ref(t)| <= 1% of the largest q_ref
  // over the last period of the slowest gyration mode, at every one of the 61 recorded frames on
  // [1, 40] (q = G and ||Ax - b||); at h = 0.002 also pointwise (1% of q_ref(t) itself).
  const CASES = [
    { alpha: 3, theta: 0.5 },
    { alpha: 5, theta: 1 / 3 },
  ];
  for (const seed of [1, 2, 3]) {
    for (const c of CASES) {
      it(`random 3 x 5 quartic (seed ${seed}), alpha ${c.alpha}: G and ||Ax - b|| within 1% up to t = 40 at h = 0.002 and 0.02`, () => {
        const prob = randomQuartic(5, 3, seed);
        const init = initialStates(prob, {});
        const lines: string[] = [];
        const measure = (integrator: Integrator, h: number) => {
          const params = dyn(c.alpha, c.theta, 40, h, integrator);
          const r = trackingError(prob, params, init, runPrimalDualReference(prob, params, init, 61), 0);
          lines.push(
            `${integrator} h ${h}: G ${r.gapPointwise.toExponential(1)} (envelope ${r.gapEnvelope.toExponential(1)}), ` +
              `||Ax-b|| ${r.feasibilityPointwise.toExponential(1)} (envelope ${r.feasibilityEnvelope.toExponential(1)})`,
          );
          return r;
        };
        const fine = measure('suzuki4', 0.002);
        const coarse = measure('suzuki4', 0.02);
        measure('rotation', 0.002);
        console.log(`seed ${seed}, alpha ${c.alpha}, relative error up to t = 40:\n  ${lines.join('\n  ')}`);
        expect(Math.max(fine.gapPointwise, fine.feasibilityPointwise)).toBeLessThan(1e-3);
        expect(Math.max(coarse.gapEnvelope, coarse.feasibilityEnvelope)).toBeLessThan(0.01);
      });
    }
  }
});

describe('suzuki4: stability', () => {
  /** Whether a run of 8 trajectories (cloud of spread 1) to T = 1000 stays finite. */
  const survives = (prob: PrimalDualProblem, alpha: number, theta: number, integrator: Integrator, h: number): boolean => {
    try {
      runPrimalDualReference(prob, dyn(alpha, theta, 1000, h, integrator), initialStates(prob, { count: 8, seed: 1, spread: 1 }), 2);
      return true;
    } catch (e) {
      if (/non-finite/.test((e as Error).message)) return false;
      throw e;
    }
  };
  const CASES = [
    { name: 'test instance', prob: testInstance, alpha: 3, theta: 0.5 },
    { name: 'random 3 x 5 (seed 1)', prob: randomQuartic(5, 3, 1), alpha: 3, theta: 0.5 },
    { name: 'random 3 x 5 (seed 2)', prob: randomQuartic(5, 3, 2), alpha: 5, theta: 1 / 3 },
  ];
  for (const c of CASES) {
    it(`${c.name}, alpha ${c.alpha}: survives T = 1000 at the h where the rotation step blows up; RK4 blows up below it`, () => {
      // Bisection (geometric) for the rotation step's stability edge on [0.05, 4].
      let lo = 0.05;
      let hi = 4;
      expect(survives(c.prob, c.alpha, c.theta, 'rotation', lo)).toBe(true);
      for (let i = 0; i < 8; i++) {
        const mid = Math.sqrt(lo * hi);
        if (survives(c.prob, c.alpha, c.theta, 'rotation', mid)) lo = mid;
        else hi = mid;
      }
      console.log(`${c.name}, alpha ${c.alpha}: rotation survives h = ${lo.toFixed(3)}, blows up at ${hi.toFixed(3)} (gyration per step at T: ${(hi * c.theta * 1000 * c.prob.sigmaMax).toFixed(0)} rad)`);
      expect(survives(c.prob, c.alpha, c.theta, 'suzuki4', lo)).toBe(true);
      expect(survives(c.prob, c.alpha, c.theta, 'suzuki4', hi)).toBe(true);
      expect(survives(c.prob, c.alpha, c.theta, 'rk4', lo)).toBe(false);
    });
  }
});
