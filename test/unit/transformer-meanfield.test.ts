// Transformer reference: the mean-field scalings. Duplicating every head leaves the flow and the
// L*H-scaled gradients unchanged (exactly, up to summation order: 1e-12); refining the layers
// (each layer twice) makes the scaled gradients converge at O(1/L), rate fitted on L = 8..64
// (difference between L and 2L, max over heads and entries).

import { describe, expect, it } from 'vitest';
import { gaussianBatch } from '../../src/labs/transformer/data';
import { duplicateHeads, initHeads, refineLayers } from '../../src/labs/transformer/heads';
import { riskGradient } from '../../src/labs/transformer/reference';
import type { FlowOptions, Gradients, Heads, Readout, Stepper } from '../../src/labs/transformer/types';
import { normal } from '../../src/math/rng';
import { fitLogLogSlope } from '../../src/math/slope';

const d = 2;
const tb = gaussianBatch({ batch: 2, n: 5, d, seed: 21 }, 1);
const readout: Readout = { kind: 'token', e: d, B: Float64Array.from([1, 0.3, -0.2, 1]) };
const Y = Float64Array.from({ length: tb.batch * tb.n * d }, (_, i) => 0.5 * normal(8, i, 0, 0));
const base = initHeads({ L: 2, H: 2, k: 2, d, seed: 4, qkScale: 0.8, vScale: 0.8, clip: 3 });

/** Scaled gradient L H dR/dtheta of head p, flattened (Q, K, V). */
function scaledHead(heads: Heads, g: Gradients, p: number): number[] {
  const kd = heads.k * heads.d;
  const dd = heads.d * heads.d;
  const f = heads.L * heads.H;
  return [...g.dQ.subarray(p * kd, (p + 1) * kd), ...g.dK.subarray(p * kd, (p + 1) * kd), ...g.dV.subarray(p * dd, (p + 1) * dd)].map((v) => f * v);
}

const maxAbs = (a: ArrayLike<number>): number => Math.max(...Array.from(a, Math.abs));

describe('transformer mean-field scalings', () => {
  for (const stepper of ['euler', 'heun'] as Stepper[]) {
    it(`head duplication leaves the flow and the L*H-scaled gradients unchanged (${stepper})`, () => {
      const opts: FlowOptions = { stepper, sphere: false };
      const a = riskGradient(base, tb, readout, Y, opts);
      const dup = duplicateHeads(base);
      const b = riskGradient(dup, tb, readout, Y, opts);
      const XA = a.traj.states[base.L];
      const XB = b.traj.states[dup.L];
      expect(maxAbs(XA.map((v, i) => v - XB[i]))).toBeLessThan(1e-12 * maxAbs(XA));
      expect(Math.abs(a.risk - b.risk)).toBeLessThan(1e-12 * a.risk);
      const scale = maxAbs(scaledHead(base, a.grads, 0));
      for (let l = 0; l < base.L; l++)
        for (let h = 0; h < dup.H; h++) {
          const ga = scaledHead(base, a.grads, l * base.H + (h % base.H));
          const gb = scaledHead(dup, b.grads, l * dup.H + h);
          expect(maxAbs(ga.map((v, i) => v - gb[i]))).toBeLessThan(1e-12 * scale);
        }
      // dX is a plain gradient (no scaling): unchanged too.
      expect(maxAbs(a.grads.dX.map((v, i) => v - b.grads.dX[i]))).toBeLessThan(1e-12 * maxAbs(a.grads.dX));
    });

    it(`layer refinement: scaled gradients converge at O(1/L) (${stepper})`, () => {
      const opts: FlowOptions = { stepper, sphere: false };
      const Ls: number[] = [];
      const diffs: number[] = [];
      let heads = refineLayers(base); // L = 4
      let prev = riskGradient(heads, tb, readout, Y, opts);
      let prevHeads = heads;
      while (heads.L < 128) {
        heads = refineLayers(heads);
        const cur = riskGradient(heads, tb, readout, Y, opts);
        // Fine layer l lies in coarse layer floor(l/2): compare the scaled gradients there.
        let diff = 0;
        for (let l = 0; l < heads.L; l++)
          for (let h = 0; h < heads.H; h++) {
            const gc = scaledHead(prevHeads, prev.grads, Math.floor(l / 2) * heads.H + h);
            const gf = scaledHead(heads, cur.grads, l * heads.H + h);
            diff = Math.max(diff, maxAbs(gc.map((v, i) => v - gf[i])));
          }
        Ls.push(prevHeads.L);
        diffs.push(diff);
        prev = cur;
        prevHeads = heads;
      }
      // Pre-asymptotic at L = 4 (Euler's ratio there is 1.63): fit L = 8..64 (measured slopes
      // -0.94 Euler, -1.05 Heun) and check the last halving's ratio (measured 1.96, 2.03).
      const fit = fitLogLogSlope(Ls.slice(1), diffs.slice(1));
      expect(fit.slope).toBeGreaterThan(-1.1);
      expect(fit.slope).toBeLessThan(-0.9);
      const last = diffs[diffs.length - 2] / diffs[diffs.length - 1];
      expect(last).toBeGreaterThan(1.85);
      expect(last).toBeLessThan(2.15);
    });
  }
});
