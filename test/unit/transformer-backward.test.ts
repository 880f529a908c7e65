// Transformer reference: the backward pass (exact discrete adjoint, softmax recomputed) against
// central finite differences of the risk, for Q, K, V and the input tokens, Euler and Heun, every
// readout, with and without sphere normalisation. Step h = 1e-5: truncation ~h^2 |R'''| ~ 1e-10 and
// rounding ~eps |R| / h ~ 1e-11, both far below the 1e-6 relative tolerance on the gradient vector.

import { describe, expect, it } from 'vitest';
import { gaussianBatch } from '../../src/labs/transformer/data';
import { initHeads } from '../../src/labs/transformer/heads';
import { forward, riskAndCotangent, riskGradient } from '../../src/labs/transformer/reference';
import type { FlowOptions, Heads, Readout, ReadoutKind, Stepper, TokenBatch } from '../../src/labs/transformer/types';
import { normal } from '../../src/math/rng';
import { norm2 } from '../../src/math/linalg';

const H_FD = 1e-5;

function setup(kind: ReadoutKind, d: number): { heads: Heads; tb: TokenBatch; readout: Readout; Y: Float64Array } {
  const heads = initHeads({ L: 3, H: 2, k: 2, d, seed: 11, qkScale: 0.7, vScale: 0.8, clip: 3 });
  const tb = gaussianBatch({ batch: 2, n: 4, d, seed: 5, query: kind === 'query' }, 1);
  // Non-uniform weights: log pi = normalised random logits.
  for (let b = 0; b < tb.batch; b++) {
    const w = Array.from({ length: tb.n }, (_, i) => Math.exp(0.5 * normal(9, b * tb.n + i, 0, 0)));
    const s = w.reduce((a, c) => a + c, 0);
    w.forEach((v, i) => (tb.logPi[b * tb.n + i] = Math.log(v / s)));
  }
  const e = 2;
  const readout: Readout = { kind, e, B: Float64Array.from({ length: e * d }, (_, i) => normal(3, i, 0, 0)) };
  const P = kind === 'token' ? tb.batch * tb.n * e : tb.batch * e;
  const Y = Float64Array.from({ length: P }, (_, i) => normal(4, i, 0, 0));
  return { heads, tb, readout, Y };
}

const riskOf = (heads: Heads, tb: TokenBatch, r: Readout, Y: Float64Array, opts: FlowOptions): number =>
  riskAndCotangent(r, tb, forward(heads, tb, opts).states[heads.L], Y).risk;

/** Central differences of f over every entry of arr (perturbed in place and restored). */
function fdGradient(arr: Float64Array, f: () => number): Float64Array {
  const g = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    arr[i] = x + H_FD;
    const fp = f();
    arr[i] = x - H_FD;
    const fm = f();
    arr[i] = x;
    g[i] = (fp - fm) / (2 * H_FD);
  }
  return g;
}

const relErr = (a: Float64Array, b: Float64Array): number => norm2(a.map((v, i) => v - b[i])) / norm2(b);

const cases: { kind: ReadoutKind; stepper: Stepper; sphere: boolean; d: number }[] = [
  { kind: 'token', stepper: 'euler', sphere: false, d: 2 },
  { kind: 'token', stepper: 'heun', sphere: false, d: 3 },
  { kind: 'pooled', stepper: 'euler', sphere: false, d: 3 },
  { kind: 'pooled', stepper: 'heun', sphere: false, d: 2 },
  { kind: 'query', stepper: 'heun', sphere: false, d: 2 },
  { kind: 'token', stepper: 'heun', sphere: true, d: 3 },
  { kind: 'query', stepper: 'euler', sphere: true, d: 3 },
];

describe('transformer backward vs central finite differences (h = 1e-5, rel. error < 1e-6)', () => {
  for (const c of cases) {
    it(`${c.kind} readout, ${c.stepper}${c.sphere ? ', sphere' : ''}, d = ${c.d}`, () => {
      const { heads, tb, readout, Y } = setup(c.kind, c.d);
      const opts: FlowOptions = { stepper: c.stepper, sphere: c.sphere };
      const { grads } = riskGradient(heads, tb, readout, Y, opts);
      const f = (): number => riskOf(heads, tb, readout, Y, opts);
      const checks: [string, Float64Array, Float64Array][] = [
        ['Q', heads.Q, grads.dQ],
        ['K', heads.K, grads.dK],
        ['V', heads.V, grads.dV],
        ['X', tb.x, grads.dX],
      ];
      if (tb.query && grads.dQuery) checks.push(['query', tb.query, grads.dQuery]);
      for (const [name, arr, g] of checks) {
        const fd = fdGradient(arr, f);
        expect(norm2(fd), name).toBeGreaterThan(1e-4);
        expect(relErr(g, fd), name).toBeLessThan(1e-6);
      }
    });
  }
});
