import { describe, expect, it } from 'vitest';
import {
  fitLogLogSlope,
  guidanceMinimiser,
  lambdaIntervals,
  nearestCriticalDistances,
  stableCriticalPoints,
  type CriticalPoint,
} from '../../src/labs/score-mixing/analysis';
import type { Measure } from '../../src/labs/score-mixing/types';

function measure(points: number[][]): Measure {
  const n = points.length;
  const d = points[0].length;
  return { d, n, points: Float64Array.from(points.flat()), weights: new Float64Array(n).fill(1 / n) };
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMeasure(r: () => number, n: number, d: number): Measure {
  return measure(Array.from({ length: n }, () => Array.from({ length: d }, () => 2 * r() - 1)));
}

const d2 = (p: ArrayLike<number>, po: number, x: ArrayLike<number>, d: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += (p[po + k] - x[k]) ** 2;
  return s;
};

/** min_i |x - y_i|^2 and its (first) argmin. */
function nearest(mu: Measure, x: ArrayLike<number>): [number, number] {
  let best = Infinity;
  let arg = -1;
  for (let i = 0; i < mu.n; i++) {
    const s = d2(mu.points, i * mu.d, x, mu.d);
    if (s < best) [best, arg] = [s, i];
  }
  return [best, arg];
}

/** The small-time potential Phi_lam = lambda d1^2 + (1-lambda) d2^2, straight from min distances. */
const phi = (mu1: Measure, mu2: Measure, lam: number, x: ArrayLike<number>) =>
  lam * nearest(mu1, x)[0] + (1 - lam) * nearest(mu2, x)[0];

/** Distance from x to the boundary of the Voronoi cell of atom k (as a half-plane bound). */
function cellClearance(mu: Measure, k: number, x: ArrayLike<number>): number {
  let r = Infinity;
  const dk = d2(mu.points, k * mu.d, x, mu.d);
  for (let j = 0; j < mu.n; j++) {
    const g = Math.sqrt(d2(mu.points, j * mu.d, mu.points.subarray(k * mu.d, k * mu.d + mu.d), mu.d));
    if (g === 0) continue;
    r = Math.min(r, (d2(mu.points, j * mu.d, x, mu.d) - dk) / (2 * g));
  }
  return r;
}

function gaussian(r: () => number) {
  return Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
}

describe('R5: one-dimensional closed form (a = 0, b = 1)', () => {
  const mu1 = measure([[0]]);
  const mu2 = measure([[1]]);
  for (const lam of [0, 0.25, 0.5, 0.9, 1, 1.5, 2, 3, 7.5]) {
    it(`lambda = ${lam}: the only critical point is 1 - lambda`, () => {
      const cps = stableCriticalPoints(mu1, mu2, lam);
      expect(cps).toHaveLength(1);
      expect(cps[0].x[0]).toBeCloseTo(1 - lam, 14);
      expect(cps[0].a).toBe(0);
      expect(cps[0].b).toEqual([0]);
      expect(cps[0].regime).toBe(lam <= 1 ? 'mixture' : 'guidance');
      expect(cps[0].value).toBeCloseTo(lam * (1 - lam), 13);
      // The spec's trajectory X(t) = c + (0.7 - c) sqrt t at t = 1e-4.
      const c = cps[0].x[0];
      const expected: Record<number, number> = { 0.25: 0.7495, 0.5: 0.502, 2: -0.983, 3: -1.973 };
      if (lam in expected) expect(c + (0.7 - c) * 1e-2).toBeCloseTo(expected[lam], 12);
    });
  }
});

describe('R10: cell identity Phi_lam = |x - c_ab|^2 + lambda(1-lambda)|a-b|^2', () => {
  it('holds to 1e-13 at random points and at every critical point', () => {
    const r = rng(10);
    for (const d of [1, 2, 3]) {
      const mu1 = randomMeasure(r, 5, d);
      const mu2 = randomMeasure(r, 7, d);
      for (const lam of [0, 0.3, 0.7, 1, 1.5, 3]) {
        for (let s = 0; s < 200; s++) {
          const x = Array.from({ length: d }, () => 2 * r() - 1);
          const ia = nearest(mu1, x)[1];
          const ib = nearest(mu2, x)[1];
          let xc = 0;
          let ab = 0;
          for (let k = 0; k < d; k++) {
            const a = mu1.points[ia * d + k];
            const b = mu2.points[ib * d + k];
            xc += (x[k] - (lam * a + (1 - lam) * b)) ** 2;
            ab += (a - b) ** 2;
          }
          expect(Math.abs(phi(mu1, mu2, lam, x) - (xc + lam * (1 - lam) * ab))).toBeLessThan(1e-13 * Math.max(1, lam) ** 2);
        }
        for (const cp of stableCriticalPoints(mu1, mu2, lam)) {
          expect(Math.abs(cp.value - phi(mu1, mu2, lam, cp.x))).toBeLessThan(1e-13 * Math.max(1, lam) ** 2);
        }
      }
    }
  });
});

describe('lambda in [0, 1]', () => {
  it('lambda = 0 and 1 return the atoms of mu2 and mu1, deduplicated', () => {
    const mu1 = measure([[0, 0], [2, 0], [2, 0], [0, 3]]);
    const mu2 = measure([[1, 1], [1, 1], [-1, 2]]);
    const at0 = stableCriticalPoints(mu1, mu2, 0);
    expect(at0.map((c) => Array.from(c.x))).toEqual([[1, 1], [-1, 2]]);
    expect(at0.map((c) => c.b)).toEqual([[0], [2]]); // the duplicate (1, 1) is reported as index 0
    expect(at0.map((c) => c.a)).toEqual([0, 3]); // (1, 1) is equidistant from A's 0 and 1: first wins
    const at1 = stableCriticalPoints(mu1, mu2, 1);
    expect(at1).toHaveLength(3);
    expect(at1.map((c) => c.a)).toEqual([0, 1, 3]); // the duplicate (2, 0) is reported as index 1
    expect(at1.map((c) => Array.from(c.x))).toEqual([[0, 0], [2, 0], [0, 3]]);
  });

  it('rejects a c_ab on a cell boundary (not a local minimiser)', () => {
    const mu1 = measure([[-1], [1]]);
    const mu2 = measure([[0], [3]]);
    // lambda = 1/2: c(-1,0) = -1/2, c(1,0) = 1/2, c(1,3) = 2 are inside; c(-1,3) = 1 is in V1(1).
    const cps = stableCriticalPoints(mu1, mu2, 0.5).map((c) => c.x[0]).sort((p, q) => p - q);
    expect(cps).toEqual([-0.5, 0.5, 2]);
    // lambda = 3/4: c(1,3) = 3/2 is on the bisector of B = {0, 3}: rejected.
    const at = stableCriticalPoints(mu1, mu2, 0.75);
    expect(at.find((c) => c.a === 1 && c.b[0] === 1)).toBeUndefined();
  });
});

describe('lambda > 1 (guidance)', () => {
  it('supp mu1 ⊂ supp mu2 returns exactly the conditional atoms', () => {
    const r = rng(9);
    for (const d of [1, 2, 3, 8]) {
      const mu2 = randomMeasure(r, 9, d);
      const pick = [7, 2, 4];
      const mu1 = measure(pick.map((i) => Array.from(mu2.points.subarray(i * d, i * d + d))));
      for (const lam of [1.5, 3, 7.5]) {
        const cps = stableCriticalPoints(mu1, mu2, lam);
        expect(cps.map((c) => c.a)).toEqual([0, 1, 2]);
        cps.forEach((c, k) => {
          expect(Array.from(c.x)).toEqual(Array.from(mu1.points.subarray(k * d, k * d + d)));
          expect(c.b).toEqual([pick[k]]);
          expect(c.value).toBe(0);
        });
      }
    }
  });

  it('two active b: the projection of c_ab onto the bisector (hand-derived)', () => {
    // a = 0, b1 = (1, 1), b2 = (1, -2); bisector y = -1/2. c1 = (-mu, -mu) is in its own cell
    // iff mu < 1/2; c2 = (-mu, 2mu) never is. So x* = (-mu, -mu) for lambda < 3/2 and (-mu, -1/2)
    // beyond, with theta2 = (mu - 1/2) / (3 mu). A far second atom a2 = (10, 0) gives (19, -1/2) at lambda 2.
    const mu1 = measure([[0, 0], [10, 0]]);
    const mu2 = measure([[1, 1], [1, -2]]);
    for (const lam of [1.6, 2, 3, 7.5]) {
      const mu = lam - 1;
      const cps = stableCriticalPoints(mu1, mu2, lam);
      expect(cps).toHaveLength(2);
      expect(cps[0].a).toBe(0);
      expect(cps[0].b).toEqual([0, 1]);
      expect(Math.abs(cps[0].x[0] + mu)).toBeLessThan(1e-13);
      expect(Math.abs(cps[0].x[1] + 0.5)).toBeLessThan(1e-13);
      expect(cps[0].value).toBeCloseTo(0.25 * (2 * mu - 1) ** 2 + lam * (1 - lam) * 2, 12);
      const g = guidanceMinimiser(mu1, mu2, 0, lam);
      const th2 = g.theta[g.support.indexOf(1)];
      expect(Math.abs(th2 - (mu - 0.5) / (3 * mu))).toBeLessThan(1e-13);
    }
    const at2 = stableCriticalPoints(mu1, mu2, 2)[1];
    expect(Math.abs(at2.x[0] - 19) + Math.abs(at2.x[1] + 0.5)).toBeLessThan(1e-13);
    const one = stableCriticalPoints(mu1, mu2, 1.3)[0];
    expect(one.b).toEqual([0]);
    expect(Math.abs(one.x[0] + 0.3) + Math.abs(one.x[1] + 0.3)).toBeLessThan(1e-15);
  });

  it('three active b: the circumcentre of B (hand-derived)', () => {
    // B = {(1,0), (0,1), (-1,-1)}, circumcentre (-1/6, -1/6); at lambda 2: theta = (7/18, 7/18, 2/9).
    const mu1 = measure([[0, 0]]);
    const mu2 = measure([[1, 0], [0, 1], [-1, -1]]);
    const cps = stableCriticalPoints(mu1, mu2, 2);
    expect(cps).toHaveLength(1);
    expect(cps[0].b).toEqual([0, 1, 2]);
    expect(Math.abs(cps[0].x[0] + 1 / 6) + Math.abs(cps[0].x[1] + 1 / 6)).toBeLessThan(1e-14);
    const g = guidanceMinimiser(mu1, mu2, 0, 2);
    const theta = [0, 1, 2].map((j) => g.theta[g.support.indexOf(j)]);
    [7 / 18, 7 / 18, 2 / 9].forEach((t, j) => expect(Math.abs(theta[j] - t)).toBeLessThan(1e-13));
  });

  it('the active-set solve is certified by a zero duality gap (d = 1..8)', () => {
    // Weak duality: for theta on the simplex, g(theta) = -|sum theta c|^2 + sum theta k <= min F_a
    // <= F_a(x). Equality, x = sum theta c and theta >= 0 certify x = argmin F_a exactly.
    const r = rng(4);
    for (const d of [1, 2, 3, 5, 8]) {
      for (let inst = 0; inst < 15; inst++) {
        const mu1 = randomMeasure(r, 3, d);
        const mu2 = randomMeasure(r, 2 + Math.floor(r() * 12), d);
        for (const lam of [1.05, 1.5, 3, 7.5]) {
          for (let a = 0; a < mu1.n; a++) {
            const { x, support, theta } = guidanceMinimiser(mu1, mu2, a, lam);
            const av = mu1.points.subarray(a * d, a * d + d);
            const c = support.map((j) => Array.from(av, (v, k) => v + (lam - 1) * (v - mu2.points[j * d + k])));
            const kk = support.map((j, i) => d2(c[i], 0, new Float64Array(d), d) + lam * (1 - lam) * d2(mu2.points, j * d, av, d));
            let fa = -Infinity;
            for (let j = 0; j < mu2.n; j++) fa = Math.max(fa, lam * d2(av, 0, x, d) - (lam - 1) * d2(mu2.points, j * d, x, d));
            const sc = Array.from({ length: d }, (_, k) => support.reduce((s, _j, i) => s + theta[i] * c[i][k], 0));
            const g = -d2(sc, 0, new Float64Array(d), d) + support.reduce((s, _j, i) => s + theta[i] * kk[i], 0);
            const scale = lam * lam;
            expect(Math.min(...theta)).toBeGreaterThan(-1e-12);
            expect(Math.abs(theta.reduce((s, t) => s + t, 0) - 1)).toBeLessThan(1e-13);
            expect(Math.abs(fa - g)).toBeLessThan(1e-12 * scale);
            expect(Math.sqrt(d2(sc, 0, x, d))).toBeLessThan(1e-12 * lam);
            expect(support.length).toBeLessThanOrEqual(d + 1);
          }
        }
      }
    }
  });
});

describe('degenerate inputs: lattices, cocircular sites, ties at a', () => {
  it('grid B with A on grid points, half-integers and centres: certified and locally minimal', () => {
    for (const d of [2, 3]) {
      const grid: number[][] = [];
      for (let i = 0; i < 3 ** d; i++) grid.push(Array.from({ length: d }, (_, k) => (Math.floor(i / 3 ** k) % 3) - 1));
      const mu2 = measure(grid);
      const mu1 = measure([new Array(d).fill(0), new Array(d).fill(0.5), [0.5, ...new Array(d - 1).fill(0)], new Array(d).fill(-1), [0.5, -0.5, ...new Array(d - 2).fill(0.25)]]);
      for (const lam of [1 + 1e-9, 1.25, 1.5, 2, 3, 7.5]) {
        for (let a = 0; a < mu1.n; a++) {
          const { x, theta, support } = guidanceMinimiser(mu1, mu2, a, lam);
          expect(Math.min(...theta)).toBeGreaterThan(-1e-9);
          expect(support.length).toBeLessThanOrEqual(d + 1);
          // F_a is strongly convex: F_a(x + delta) >= F_a(x) + |delta|^2 at the minimiser.
          const av = mu1.points.subarray(a * d, a * d + d);
          const F = (y: ArrayLike<number>) => lam * d2(av, 0, y, d) - (lam - 1) * nearest(mu2, y)[0];
          const f0 = F(x);
          const r = rng(a + 100 * lam);
          for (let s = 0; s < 200; s++) {
            const rad = [1e-6, 1e-3, 0.1, 1][s % 4];
            const dir = Array.from({ length: d }, () => gaussian(r));
            const nrm = Math.hypot(...dir);
            const y = Array.from(x, (v, k) => v + (rad * dir[k]) / nrm);
            expect(F(y) - f0).toBeGreaterThan(rad * rad * (1 - 1e-6) - 1e-13 * lam * lam);
          }
        }
        for (const cp of stableCriticalPoints(mu1, mu2, lam)) expect(Math.abs(cp.value - phi(mu1, mu2, lam, cp.x))).toBeLessThan(1e-12 * lam * lam);
      }
    }
  });
});

describe('every returned point is a local minimiser (random sampling)', () => {
  for (const d of [1, 2, 3, 8]) {
    for (const lam of [0, 0.3, 1, 1.5, 3, 7.5]) {
      it(`d = ${d}, lambda = ${lam}`, () => {
        const r = rng(1000 * d + 10 * lam);
        let checked = 0;
        for (let inst = 0; inst < 12; inst++) {
          const mu1 = randomMeasure(r, 1 + Math.floor(r() * 5), d);
          const mu2 = randomMeasure(r, 1 + Math.floor(r() * 6), d);
          const cps = stableCriticalPoints(mu1, mu2, lam);
          if (lam === 0) expect(cps).toHaveLength(mu2.n);
          if (lam === 1) expect(cps).toHaveLength(mu1.n);
          for (const cp of cps) {
            const f0 = phi(mu1, mu2, lam, cp.x);
            expect(Math.abs(f0 - cp.value)).toBeLessThan(1e-12 * Math.max(1, lam) ** 2);
            // Stay inside the cell whose piece of Phi is being minimised (A-cell unless lambda = 0,
            // B-cell too when 0 < lambda < 1; for lambda > 1 Phi = F_a on all of V1(a)).
            let R = 1;
            if (lam > 0) R = Math.min(R, cellClearance(mu1, cp.a, cp.x));
            if (lam < 1) R = Math.min(R, cellClearance(mu2, cp.b[0], cp.x));
            expect(R).toBeGreaterThan(0);
            for (let s = 0; s < 60; s++) {
              const dir = Array.from({ length: d }, () => gaussian(r));
              const norm = Math.hypot(...dir);
              const rad = R * [1e-4, 1e-2, 0.3, 0.95][s % 4];
              const y = Array.from(cp.x, (v, k) => v + (rad * dir[k]) / norm);
              // Hessian 2I and a zero subgradient: growth at least |delta|^2.
              expect(phi(mu1, mu2, lam, y) - f0).toBeGreaterThan(rad * rad * (1 - 1e-6) - 1e-12 * Math.max(1, lam) ** 2);
            }
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(0);
      });
    }
  }
});

describe('completeness: descent from random starts ends at a returned point', () => {
  // Jump to the minimiser of the current piece (c_ab for lambda <= 1, x_a* for lambda > 1): Phi never
  // increases, and the fixed points are exactly the points in their own cells.
  for (const lam of [0.3, 0.6, 1.5, 3]) {
    it(`d = 2, lambda = ${lam}`, () => {
      const r = rng(77 + lam * 10);
      for (let inst = 0; inst < 8; inst++) {
        const mu1 = randomMeasure(r, 4, 2);
        const mu2 = randomMeasure(r, 6, 2);
        const cps = stableCriticalPoints(mu1, mu2, lam);
        for (let s = 0; s < 20; s++) {
          let x = [3 * r() - 1.5, 3 * r() - 1.5];
          for (let it = 0; it < 100; it++) {
            const ia = nearest(mu1, x)[1];
            let nx: number[];
            if (lam <= 1) {
              const ib = nearest(mu2, x)[1];
              nx = [0, 1].map((k) => lam * mu1.points[2 * ia + k] + (1 - lam) * mu2.points[2 * ib + k]);
            } else nx = Array.from(guidanceMinimiser(mu1, mu2, ia, lam).x);
            const moved = Math.hypot(nx[0] - x[0], nx[1] - x[1]);
            x = nx;
            if (moved < 1e-14) break;
          }
          const { distance } = nearestCriticalDistances(Float64Array.from(x), 2, cps);
          expect(distance[0]).toBeLessThan(1e-12);
        }
      }
    });
  }
});

describe('lambdaIntervals', () => {
  it('hand case: exact mixture intervals and the guidance split at lambda = 3/2', () => {
    const mu1 = measure([[0, 0]]);
    const mu2 = measure([[1, 1], [1, -2]]);
    const iv = lambdaIntervals(mu1, mu2, 4);
    const mix = iv.filter((v) => v.regime === 'mixture');
    expect(mix).toEqual([
      { a: 0, b: 0, from: 0, to: 1, regime: 'mixture', active: [0] },
      { a: 0, b: 1, from: 0, to: 0.75, regime: 'mixture', active: [1] },
    ]);
    const gd = iv.filter((v) => v.regime === 'guidance');
    expect(gd).toHaveLength(2);
    expect(gd[0]).toMatchObject({ a: 0, b: 0, from: 1, active: [0] });
    expect(Math.abs(gd[0].to - 1.5)).toBeLessThan(1e-10);
    expect(gd[1]).toMatchObject({ a: 0, b: -1, to: 4, active: [0, 1] });
    expect(gd[1].from).toBe(gd[0].to);
  });

  it('agree with stableCriticalPoints at sample lambdas', () => {
    const r = rng(5);
    const key = (a: number, b: number[]) => `${a}:${b.join(',')}`;
    for (const d of [1, 2, 3]) {
      for (let inst = 0; inst < 5; inst++) {
        const mu1 = randomMeasure(r, 2 + Math.floor(r() * 4), d);
        const mu2 = randomMeasure(r, 2 + Math.floor(r() * 5), d);
        const iv = lambdaIntervals(mu1, mu2, 8, { samples: 200 });
        const ends = iv.flatMap((v) => [v.from, v.to]);
        let compared = 0;
        for (let s = 0; s < 40; s++) {
          const lam = 8 * r();
          if (ends.some((e) => Math.abs(e - lam) < 1e-6)) continue;
          const want = iv.filter((v) => v.from < lam && lam < v.to).map((v) => key(v.a, v.active)).sort();
          const got = stableCriticalPoints(mu1, mu2, lam).map((c) => key(c.a, c.b)).sort();
          expect(got).toEqual(want);
          compared++;
        }
        expect(compared).toBeGreaterThan(30);
      }
    }
  });
});

describe('nearestCriticalDistances', () => {
  it('finds the nearest point and its Euclidean distance', () => {
    const cps: CriticalPoint[] = [
      { x: Float64Array.from([0, 0]), a: 0, b: [0], value: 0, regime: 'mixture' },
      { x: Float64Array.from([3, 4]), a: 1, b: [0], value: 0, regime: 'mixture' },
    ];
    const { index, distance } = nearestCriticalDistances(Float64Array.from([0, 1, 3, 3, 6, 8]), 2, cps);
    expect(Array.from(index)).toEqual([0, 1, 1]);
    expect(Array.from(distance)).toEqual([1, 1, 5]);
    const none = nearestCriticalDistances(Float64Array.from([1, 1]), 2, []);
    expect(none.index[0]).toBe(-1);
    expect(none.distance[0]).toBe(Infinity);
  });
});

describe('fitLogLogSlope', () => {
  const t = Array.from({ length: 41 }, (_, i) => 10 ** (-i / 8));
  it('recovers 1/2 on exact sqrt data', () => {
    const fit = fitLogLogSlope(t, t.map((v) => 3 * Math.sqrt(v)));
    expect(Math.abs(fit.slope - 0.5)).toBeLessThan(1e-12);
    expect(Math.abs(fit.intercept - Math.log(3))).toBeLessThan(1e-12);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.n).toBe(41);
  });
  it('recovers 1/2 on noisy data, skipping bad samples and t > tMax', () => {
    const r = rng(3);
    const y = t.map((v) => 2 * Math.sqrt(v) * Math.exp(0.05 * gaussian(r)));
    y[3] = 0;
    y[5] = NaN;
    y[0] = 1e6; // t = 1 > tMax: must be skipped
    const fit = fitLogLogSlope(t, y, 0.5);
    expect(fit.n).toBe(41 - 5); // t = 1, 0.75, 0.56 > tMax, y = 0, y = NaN
    expect(Math.abs(fit.slope - 0.5)).toBeLessThan(0.01);
    expect(fit.r2).toBeGreaterThan(0.99);
  });
  it('returns NaN with fewer than two usable samples', () => {
    expect(fitLogLogSlope([1, 2], [1, -1]).slope).toBeNaN();
  });
});
