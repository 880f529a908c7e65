// src/math/ode.ts: the Dormand–Prince 5(4) solver against closed forms (linear, rotation, a
// non-autonomous scalar ODE), its order (error / 32 per halving of a fixed step), tolerance
// proportionality, exact landing on output times, and its refusals.

import { describe, expect, it } from 'vitest';
import { dopri5 } from '../../src/math/ode';

describe('dopri5', () => {
  it('solves y\' = -y and a rotation to the tolerance, landing on every output time', () => {
    const ts = [0.1, 0.5, 1, 2, 5];
    const { y, stats } = dopri5((_t, u, out) => (out[0] = -u[0]), 0, [1], ts, { rtol: 1e-12, atol: 1e-14 });
    ts.forEach((t, j) => expect(Math.abs(y[j] - Math.exp(-t))).toBeLessThan(1e-12));
    expect(stats.accepted).toBeGreaterThan(5);
    const rot = dopri5((_t, u, out) => {
      out[0] = -u[1];
      out[1] = u[0];
    }, 0, [1, 0], [10], { rtol: 1e-11, atol: 1e-13 });
    expect(Math.abs(rot.y[0] - Math.cos(10))).toBeLessThan(1e-9);
    expect(Math.abs(rot.y[1] - Math.sin(10))).toBeLessThan(1e-9);
  });

  it('solves a non-autonomous equation backwards in time: y\' = -2 t y, y = exp(-t^2)', () => {
    const ts = [1.5, 1, 0];
    const { y } = dopri5((t, u, out) => (out[0] = -2 * t * u[0]), 2, [Math.exp(-4)], ts, { rtol: 1e-12, atol: 1e-15 });
    ts.forEach((t, j) => expect(Math.abs(y[j] - Math.exp(-t * t)) / Math.exp(-t * t)).toBeLessThan(1e-10));
  });

  it('is fifth order: a fixed step (rtol huge) halved divides the error by ~32', () => {
    const f = (t: number, u: Float64Array, out: Float64Array): void => {
      out[0] = Math.cos(t) * u[0];
    };
    const exact = Math.exp(Math.sin(4));
    const err = (h: number): number => Math.abs(dopri5(f, 0, [1], [4], { rtol: 1e9, atol: 1e9, h0: h, hMax: h }).y[0] - exact);
    const ratio = err(0.1) / err(0.05);
    expect(ratio).toBeGreaterThan(25);
    expect(ratio).toBeLessThan(40);
  });

  it('error falls with the tolerance and steps grow as tol^(-1/5)', () => {
    const f = (t: number, u: Float64Array, out: Float64Array): void => {
      out[0] = Math.cos(t) * u[0];
    };
    const exact = Math.exp(Math.sin(20));
    const run = (tol: number) => dopri5(f, 0, [1], [20], { rtol: tol, atol: tol });
    const a = run(1e-6);
    const b = run(1e-10);
    expect(Math.abs(a.y[0] - exact)).toBeLessThan(1e-4);
    expect(Math.abs(b.y[0] - exact)).toBeLessThan(1e-8);
    const growth = b.stats.accepted / a.stats.accepted;
    expect(growth).toBeGreaterThan(3); // 10^(4/5) = 6.3 in the asymptotic regime
    expect(growth).toBeLessThan(12);
    expect(b.stats.evaluations).toBe(1 + 6 * (b.stats.accepted + b.stats.rejected));
  });

  it('refuses bad tolerances, non-monotone output times and a blow-up', () => {
    const f = (_t: number, u: Float64Array, out: Float64Array): void => {
      out[0] = u[0];
    };
    expect(() => dopri5(f, 0, [1], [1], { rtol: 0, atol: 0 })).toThrow(/rtol/);
    expect(() => dopri5(f, 0, [1], [1, 0.5], { rtol: 1e-6, atol: 1e-9 })).toThrow(/monotone/);
    const blow = (_t: number, u: Float64Array, out: Float64Array): void => {
      out[0] = u[0] * u[0];
    };
    expect(() => dopri5(blow, 0, [1], [2], { rtol: 1e-8, atol: 1e-8, maxSteps: 1e5 })).toThrow(/steps|non-finite/);
  });
});
