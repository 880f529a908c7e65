// Heat-flow primitives (src/math/heat.ts, logsumexp.ts, timegrid.ts) against the score-mixing
// lab's checks R1-R3 (R1: the score grad log u = -(x - m)/(2t) with m the Tweedie mean; R2: u
// solves the heat equation d_t u = Laplacian u; R3: Laplace-Varadhan, -4t log u -> d^2 as t -> 0)
// and the conformance-style edge cases: tiny t, far-away points, coincident atoms, d in {1, 2, 3, 8}.

import { describe, expect, it } from 'vitest';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import type { Measure } from '../../src/math/measure';
import { denoise, heatPotential, logHeat, scoreOf, sqDistToSupport } from '../../src/math/heat';
import { logSumExp, OnlineLogSumExp } from '../../src/math/logsumexp';
import { normal } from '../../src/math/rng';
import { geometricGrid, recordSteps } from '../../src/math/timegrid';

/** The spec's reference data set (R1-R3). */
const A = toMeasure({ points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [0.2, 0.3, 0.5] });
const X = [0.3, -0.4];

/** Naive float64 u(t,x) straight from the definition, for moderate t where nothing underflows. */
function naiveHeat(m: Measure, t: number, x: ArrayLike<number>): { u: number; mean: number[] } {
  let u = 0;
  const mean = new Array<number>(m.d).fill(0);
  for (let j = 0; j < m.n; j++) {
    let r2 = 0;
    for (let i = 0; i < m.d; i++) r2 += (x[i] - m.points[j * m.d + i]) ** 2;
    const g = (m.weights[j] * Math.exp(-r2 / (4 * t))) / (4 * Math.PI * t) ** (m.d / 2);
    u += g;
    for (let i = 0; i < m.d; i++) mean[i] += g * m.points[j * m.d + i];
  }
  return { u, mean: mean.map((v) => v / u) };
}

/**
 * Accuracy floor of a softmax over direct-form logits of size r2/(4t): each logit carries an
 * absolute rounding error ~ |logit| eps, which becomes a relative error of the probabilities.
 */
const logitEps = (t: number, r2: number) => 4 * Number.EPSILON * (1 + r2 / (4 * t));

/** Random measure in R^d with n atoms, deterministic via the project RNG. */
function randomMeasure(d: number, n: number, seed: number): Measure {
  const points = Array.from({ length: n }, (_, j) => Array.from({ length: d }, (_, i) => normal(seed, j, 0, i)));
  const weights = Array.from({ length: n }, (_, j) => 0.5 + Math.abs(normal(seed, j, 1, 0)));
  return toMeasure({ points, weights });
}

describe('logsumexp', () => {
  it('matches the naive formula where it does not overflow, and survives where it would', () => {
    const l = [0.3, -1.2, 2.5, 0.0];
    expect(logSumExp(l)).toBeCloseTo(Math.log(l.reduce((s, v) => s + Math.exp(v), 0)), 14);
    expect(logSumExp([-1e11, -1e11])).toBe(-1e11 + Math.log(2));
    expect(logSumExp([1000, 1000 + Math.log(3)])).toBeCloseTo(1000 + Math.log(4), 10);
    expect(logSumExp([])).toBe(-Infinity);
  });
  it('reports rescale factors so side sums stay relative to the running max', () => {
    const acc = new OnlineLogSumExp();
    let v = 0; // sum exp(l - max) * y
    const terms: [number, number][] = [[-5, 1], [3, 2], [1, 4], [7, -1]];
    for (const [l, y] of terms) {
      const e = acc.add(l);
      v = v * acc.scale + e * y;
    }
    const z = terms.reduce((s, [l]) => s + Math.exp(l), 0);
    expect(v / acc.sum).toBeCloseTo(terms.reduce((s, [l, y]) => s + Math.exp(l) * y, 0) / z, 14);
  });
});

describe('R1 score', () => {
  it('grad log u at t = 0.01 and t = 1', () => {
    const s = new Float64Array(2);
    scoreOf(A, 0.01, X, s);
    expect(s[0]).toBeCloseTo(34.999929, 5);
    expect(s[1]).toBeCloseTo(44.999982, 5);
    scoreOf(A, 1, X, s);
    expect(s[0]).toBeCloseTo(-0.066061, 6);
    expect(s[1]).toBeCloseTo(0.57505, 5);
  });
  it('equals the finite-difference gradient of logHeat', () => {
    for (const t of [0.01, 0.3, 1]) {
      const s = new Float64Array(2);
      scoreOf(A, t, X, s);
      const h = 1e-6;
      for (let i = 0; i < 2; i++) {
        const p = [...X];
        const q = [...X];
        p[i] += h;
        q[i] -= h;
        const fd = (logHeat(A, t, p) - logHeat(A, t, q)) / (2 * h);
        expect(Math.abs(fd - s[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(s[i])));
      }
    }
  });
});

describe('R2 heat equation at t = 0.3', () => {
  const u = (t: number, x: number[]) => Math.exp(logHeat(A, t, x));
  const t = 0.3;
  // Exact Laplacian of sum w G_t(x-y): G (|x-y|^2/(4t^2) - d/(2t)); it equals u_t analytically.
  let exact = 0;
  for (let j = 0; j < 3; j++) {
    const r2 = (X[0] - A.points[2 * j]) ** 2 + (X[1] - A.points[2 * j + 1]) ** 2;
    exact += ((A.weights[j] * Math.exp(-r2 / (4 * t))) / (4 * Math.PI * t)) * (r2 / (4 * t * t) - 1 / t);
  }

  it('central differences: u_t (h = 1e-5) and Laplacian (h = 1e-3) match the spec values', () => {
    const ht = 1e-5;
    const ut = (u(t + ht, X) - u(t - ht, X)) / (2 * ht);
    const hx = 1e-3;
    let lap = 0;
    for (let i = 0; i < 2; i++) {
      const p = [...X];
      const q = [...X];
      p[i] += hx;
      q[i] -= hx;
      lap += (u(t, p) - 2 * u(t, X) + u(t, q)) / (hx * hx);
    }
    // Spec digits are rounded to 1e-8 (half-unit 5e-9); O(h^2) truncation adds < 5e-9 here.
    expect(Math.abs(ut - 0.07017185)).toBeLessThan(1e-8);
    expect(Math.abs(lap - 0.07017182)).toBeLessThan(1e-8);
    // Both differences approach the same exact value (the spec's 3e-8 gap is the Laplacian's h^2 error).
    expect(Math.abs(ut - exact)).toBeLessThan(1e-9);
    expect(Math.abs(lap - exact)).toBeLessThan(5e-8);
  });
});

describe('R3 Laplace-Varadhan', () => {
  it('-4t log u approaches d^2 = 1.3', () => {
    const expected: [number, number][] = [
      [1e-2, 1.26519305],
      [1e-3, 1.28730897],
      [1e-4, 1.29780986],
      [1e-5, 1.29968888],
    ];
    for (const [t, v] of expected) expect(Math.abs(heatPotential(A, t, X) - v)).toBeLessThan(5e-9);
    expect(sqDistToSupport(A, X)).toBeCloseTo(1.3, 14);
    // Below 1e-5 the gap keeps shrinking like t log t.
    expect(Math.abs(heatPotential(A, 1e-8, X) - 1.3)).toBeLessThan(1e-6);
  });
});

describe('denoise / logHeat against the definition, d in {1, 2, 3, 8}', () => {
  for (const d of [1, 2, 3, 8]) {
    it(`d = ${d}`, () => {
      const m = randomMeasure(d, 7, 100 + d);
      const out = new Float64Array(d);
      for (let p = 0; p < 20; p++) {
        const x = Array.from({ length: d }, (_, i) => 1.5 * normal(7, p, 2, i));
        for (const t of [0.05, 0.5, 2]) {
          const naive = naiveHeat(m, t, x);
          const lu = denoise(m, t, x, out);
          expect(Math.abs(lu - Math.log(naive.u))).toBeLessThan(1e-12 * Math.max(1, Math.abs(lu)));
          for (let i = 0; i < d; i++) expect(Math.abs(out[i] - naive.mean[i])).toBeLessThan(1e-12);
          expect(logHeat(m, t, x)).toBe(lu);
          expect(heatPotential(m, t, x)).toBe(-4 * t * lu);
        }
      }
    });
  }
});

describe('edge cases', () => {
  it('t down to 1e-6: no NaN, the denoiser is the nearest atom', () => {
    const out = new Float64Array(2);
    for (const t of [1e-4, 1e-5, 1e-6]) {
      const lu = denoise(A, t, X, out);
      expect(Number.isFinite(lu)).toBe(true);
      expect(out[0]).toBe(1);
      expect(out[1]).toBe(0.5);
      const s = new Float64Array(2);
      scoreOf(A, t, X, s);
      expect(s[0]).toBeCloseTo(0.7 / (2 * t), 6);
      expect(s[1]).toBeCloseTo(0.9 / (2 * t), 6);
    }
    // Exactly on an atom at t = 1e-6: the potential is ~ -4t log(w (4 pi t)^-1) -> 0.
    const onAtom = heatPotential(A, 1e-6, [0, 1.5]);
    expect(onAtom).toBeCloseTo(-4e-6 * (Math.log(0.5) - Math.log(4 * Math.PI * 1e-6)), 15);
    // On the bisector of two atoms the denoiser is their weighted average, even at t = 1e-6. The
    // logits are ~ -3.7e5 there, so their rounding (|logit| eps ~ 1e-10) bounds the accuracy.
    const sym = toMeasure({ points: [[-1, 0], [1, 0]], weights: [1, 3] });
    denoise(sym, 1e-6, [0, 0.7], out);
    expect(Math.abs(out[0] - 0.5)).toBeLessThan(logitEps(1e-6, 1.49));
    expect(out[1]).toBe(0);
  });

  it('far-away points (|x| = 1e3) at t from 1e-6 to 1: finite, nearest atom, potential ~ d^2', () => {
    const out = new Float64Array(2);
    for (const x of [[1e3, 0], [0, -1e3], [-707.1, 707.1]]) {
      const d2 = sqDistToSupport(A, x);
      for (const t of [1e-6, 1e-2, 1]) {
        const lu = denoise(A, t, x, out);
        expect(Number.isFinite(lu)).toBe(true);
        expect(out.every(Number.isFinite)).toBe(true);
        // The gap between the two nearest d^2 is >= ~1e3, so the softmax is one-hot (to 1e-75) for t <= 1.
        let nearest = 0;
        for (let j = 1; j < 3; j++) {
          const dj = (x[0] - A.points[2 * j]) ** 2 + (x[1] - A.points[2 * j + 1]) ** 2;
          if (dj < (x[0] - A.points[2 * nearest]) ** 2 + (x[1] - A.points[2 * nearest + 1]) ** 2) nearest = j;
        }
        expect(out[0]).toBeCloseTo(A.points[2 * nearest], 10);
        expect(out[1]).toBeCloseTo(A.points[2 * nearest + 1], 10);
        // phi = d^2 - 4t log w_near + 2 d t log(4 pi t) up to exponentially small terms (d = 2).
        const phi = heatPotential(A, t, x);
        const predicted = d2 - 4 * t * Math.log(A.weights[nearest]) + 4 * t * Math.log(4 * Math.PI * t);
        expect(Math.abs(phi - predicted)).toBeLessThan(1e-9 * d2);
      }
    }
  });

  it('coincident atoms behave as one atom carrying their summed weight', () => {
    const split = toMeasure({ points: [[0, 0], [2, 1], [0, 0], [2, 1]], weights: [0.1, 0.2, 0.3, 0.4] });
    const merged = toMeasure({ points: [[0, 0], [2, 1]], weights: [0.4, 0.6] });
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    for (const t of [1e-6, 1e-3, 0.1, 3]) {
      for (const x of [[0.3, 0.1], [1, 0.5], [5, -2], [0, 0]]) {
        const la = denoise(split, t, x, a);
        const lb = denoise(merged, t, x, b);
        expect(Math.abs(la - lb)).toBeLessThan(1e-12 * Math.max(1, Math.abs(la)));
        // (1, 0.5) is on the atoms' bisector, where logit rounding shows in the softmax.
        const r2 = Math.max(sqDistToSupport(merged, x), 1);
        expect(Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1])).toBeLessThan(logitEps(t, r2) * 4);
      }
    }
    // All atoms at one point: the denoiser is that point for every x and t.
    const stacked = toMeasure({ points: [[1, 2], [1, 2], [1, 2]] });
    denoise(stacked, 1e-6, [40, -3], a);
    expect([...a]).toEqual([1, 2]);
  });

  it('a single atom is a Gaussian: log u and score in closed form', () => {
    const one = toMeasure({ points: [[0.5, -1, 2]] });
    const s = new Float64Array(3);
    const x = [1, 1, 1];
    const r2 = 0.25 + 4 + 1;
    for (const t of [1e-6, 0.01, 1]) {
      expect(logHeat(one, t, x)).toBeCloseTo(-r2 / (4 * t) - 1.5 * Math.log(4 * Math.PI * t), 6);
      scoreOf(one, t, x, s);
      expect(s[0]).toBeCloseTo(-0.5 / (2 * t), 6);
    }
  });
});

describe('time grid', () => {
  it('geometricGrid: pinned endpoints, uniform in log t', () => {
    const g = geometricGrid(1, 1e-4, 100);
    expect(g.length).toBe(101);
    expect(g[0]).toBe(1);
    expect(g[100]).toBe(1e-4);
    const h = Math.log(1e4) / 100;
    for (let k = 0; k < 100; k++) expect(Math.log(g[k] / g[k + 1])).toBeCloseTo(h, 12);
    const g2 = geometricGrid(3.7, 2.2e-6, 7);
    expect([g2[0], g2[7]]).toEqual([3.7, 2.2e-6]);
    expect(() => geometricGrid(1, 0, 10)).toThrow(/tMin/);
    expect(() => geometricGrid(1, 1e-3, 0)).toThrow(/steps/);
  });
  it('recordSteps: round(j K/(R-1)), first and last included', () => {
    expect(recordSteps(100, 2)).toEqual([0, 100]);
    expect(recordSteps(100, 5)).toEqual([0, 25, 50, 75, 100]);
    expect(recordSteps(10, 4)).toEqual([0, 3, 7, 10]); // 3.33, 6.67
    expect(recordSteps(5, 3)).toEqual([0, 3, 5]); // 2.5 rounds up
    expect(recordSteps(2, 5)).toEqual([0, 1, 1, 2, 2]); // R - 1 > K repeats steps
    expect(() => recordSteps(10, 1)).toThrow(/record/);
  });
});
