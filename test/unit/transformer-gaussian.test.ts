// Transformer reference: Gaussian token distributions vs the closed form (gaussian.ts).
// (1) The particle flow applied to a tensor Gauss-Hermite rule for N(m, S) (30^2 = 900 weighted
//     tokens) must reproduce the exact push-forward of the discrete Euler/Heun steps: the only error
//     is quadrature error in the softmax means, spectrally small (measured 2e-9 at 30 nodes per
//     axis, 6e-8 at 24, 5e-4 at 10), so the tolerance is 1e-8 on the moments (|m|, |S| ~ 0.1 .. 0.7).
// (2) Those discrete laws converge to the continuous-depth ODE at O(1/L) (Euler), O(1/L^2) (Heun).
// A Monte Carlo sample is not used: the tilt exp(<Ax, y>) makes the softmax means of tail tokens an
// importance-sampling estimate with heavy weights, so the error at n = 2000 was still ~0.05-0.1
// and did not shrink measurably from n = 500 (no clean sqrt(n) tolerance to state).

import { describe, expect, it } from 'vitest';
import { gaussianDiscrete, gaussianOde, gaussianQuadratureBatch, gaussHermite, weightedMoments, type GaussianState } from '../../src/labs/transformer/gaussian';
import { initHeads, refineLayers } from '../../src/labs/transformer/heads';
import { forward } from '../../src/labs/transformer/reference';
import type { Stepper } from '../../src/labs/transformer/types';
import { fitLogLogSlope } from '../../src/math/slope';

const heads = initHeads({ L: 4, H: 2, k: 2, d: 2, seed: 3, qkScale: 0.6, vScale: 1, clip: 3 });
const g0: GaussianState = { m: Float64Array.from([0.3, -0.2]), S: Float64Array.from([0.8, 0.2, 0.2, 0.5]) };
const dist = (a: GaussianState, b: GaussianState): number =>
  Math.max(...a.m.map((v, i) => Math.abs(v - b.m[i])), ...a.S.map((v, i) => Math.abs(v - b.S[i])));

describe('transformer Gaussian closed form', () => {
  it('Gauss-Hermite rule integrates N(0,1) moments exactly', () => {
    const { nodes, weights } = gaussHermite(12);
    const moment = (p: number): number => nodes.reduce((s, x, i) => s + weights[i] * x ** p, 0);
    expect(Math.abs(moment(0) - 1)).toBeLessThan(1e-13);
    expect(Math.abs(moment(2) - 1)).toBeLessThan(1e-13);
    expect(Math.abs(moment(4) - 3)).toBeLessThan(1e-12);
    expect(Math.abs(moment(10) - 945)).toBeLessThan(1e-9);
  });

  for (const stepper of ['euler', 'heun'] as Stepper[]) {
    it(`particle flow on a Gauss-Hermite rule matches the exact Gaussian push-forward (${stepper})`, () => {
      const tb = gaussianQuadratureBatch(g0, 30);
      const traj = forward(heads, tb, { stepper, sphere: false });
      const exact = gaussianDiscrete(heads, g0, stepper);
      for (let l = 0; l <= heads.L; l++) expect(dist(weightedMoments(tb, traj.rows, traj.states[l]), exact[l])).toBeLessThan(1e-8);
      // The flow really moved the law (the check is not vacuous).
      expect(dist(exact[heads.L], g0)).toBeGreaterThan(0.1);
    });

    it(`discrete Gaussian laws converge to the depth ODE (${stepper})`, () => {
      const Ls: number[] = [];
      const errs: number[] = [];
      let h = refineLayers(heads);
      for (let i = 0; i < 4; i++) {
        const ode = gaussianOde(h, g0, 512 / h.L)[h.L];
        Ls.push(h.L);
        errs.push(dist(gaussianDiscrete(h, g0, stepper)[h.L], ode));
        h = refineLayers(h);
      }
      const fit = fitLogLogSlope(Ls, errs);
      const order = stepper === 'euler' ? 1 : 2;
      expect(fit.slope).toBeLessThan(-order + 0.15);
      expect(fit.slope).toBeGreaterThan(-order - 0.3);
    });
  }
});
