// The bilevel lab's float64 reference (src/labs/bilevel/reference.ts) against closed forms and an
// independent QP solver, margins on the known failure sets, the spec's expected numbers, the
// rigidity witness under random perturbations and the 1-D gap demo (analysis.ts).

import { describe, expect, it } from 'vitest';
import { activeRegions, defaultWitnessPoints, gapDemo, refinementLevels, rigidityWitness, strictSet } from '../../src/labs/bilevel/analysis';
import { perturbationOf } from '../../src/labs/bilevel/config';
import { defaultBilevelConfig } from '../../src/labs/bilevel/params';
import {
  POLYGON_NORMALS,
  cuspObjective,
  largestCubicRoot,
  lpAngle,
  nominal,
  polygonRhs,
  qpTarget,
  solveMapReference,
  solvePixel,
} from '../../src/labs/bilevel/reference';
import type { BilevelConfig, Family, Perturbation } from '../../src/labs/bilevel/types';
import { mulberry32 } from '../../src/math/mulberry32';

/** mulberry32: deterministic test inputs. */
const random = mulberry32;

const config = (family: Family, n: number, patch: Partial<BilevelConfig> = {}): BilevelConfig => ({
  ...defaultBilevelConfig(),
  family,
  grid: { n, x1: [-2, 2], x2: [-2, 2] },
  ...patch,
});

/**
 * Hildreth's dual coordinate ascent for min 1/2|y - y0|^2 s.t. a_i^T y <= c_i: an iterative
 * solver that shares nothing with the reference's active-set enumeration.
 */
function hildreth(y0: [number, number], c: number[]): { y: [number, number]; mu: number[] } {
  const mu = [0, 0, 0, 0];
  const y: [number, number] = [y0[0], y0[1]];
  for (let sweep = 0; sweep < 20000; sweep++) {
    let change = 0;
    for (let i = 0; i < 4; i++) {
      const [ax, ay] = POLYGON_NORMALS[i];
      const viol = (ax * y[0] + ay * y[1] - c[i]) / (ax * ax + ay * ay);
      const next = Math.max(0, mu[i] + viol);
      const dm = next - mu[i];
      mu[i] = next;
      y[0] -= dm * ax;
      y[1] -= dm * ay;
      change = Math.max(change, Math.abs(dm));
    }
    if (change < 1e-15) break;
  }
  return { y, mu };
}

describe('closed forms', () => {
  const rand = random(7);
  const u = (a: number, b: number) => a + (b - a) * rand();

  it('disk: y* = x / max(1, |x|), mu = (|x| - 1)/2 outside', () => {
    for (let k = 0; k < 500; k++) {
      const x: [number, number] = [u(-3, 3), u(-3, 3)];
      const r = Math.hypot(...x);
      const s = solvePixel('disk', x[0], x[1], nominal('disk'));
      expect(s.y[0]).toBeCloseTo(x[0] / Math.max(1, r), 14);
      expect(s.y[1]).toBeCloseTo(x[1] / Math.max(1, r), 14);
      expect(s.mu[0]).toBeCloseTo(Math.max(0, (r - 1) / 2), 14);
      expect(s.active).toBe(r >= 1 ? 1 : 0);
    }
  });

  it('abs: y* = |x1|, the active constraint carries mu = y + 3', () => {
    for (let k = 0; k < 500; k++) {
      const x1 = u(-3, 3);
      const s = solvePixel('abs', x1, u(-3, 3), nominal('abs'));
      expect(s.y[0]).toBe(Math.abs(x1));
      expect(s.active).toBe(x1 > 0 ? 1 : 2);
      expect(s.mu[0] + s.mu[1]).toBeCloseTo(Math.abs(x1) + 3, 14);
    }
  });

  it('cusp: the minimiser beats a dense 1-D search and is a root of y^3 + x1 y + x2', () => {
    const ys = Array.from({ length: 60001 }, (_, i) => -3 + (6 * i) / 60000);
    for (let k = 0; k < 300; k++) {
      const x1 = u(-3, 3);
      const x2 = k < 20 ? 0 : k < 40 ? u(-1e-6, 1e-6) : u(-3, 3);
      const y = solvePixel('cusp', x1, x2, nominal('cusp')).y[0];
      const best = Math.min(...ys.map((v) => cuspObjective(v, x1, x2)));
      expect(cuspObjective(y, x1, x2)).toBeLessThanOrEqual(best + 1e-12);
      expect(Math.abs(y ** 3 + x1 * y + x2)).toBeLessThan(1e-12 * (1 + Math.abs(x2)));
    }
  });

  it('cusp: the stable cubic loses nothing to cancellation (x1 > 0, x2 -> 0: y ~ -x2/x1)', () => {
    for (const x2 of [1e-3, 1e-8, 1e-14]) {
      const y = solvePixel('cusp', 2, x2, nominal('cusp')).y[0];
      expect(Math.abs(y / (-x2 / 2) - 1)).toBeLessThan(1e-6);
    }
    expect(largestCubicRoot(0, 0)).toBe(0);
    expect(largestCubicRoot(-3, 2)).toBeCloseTo(2, 14); // on the fold: z^3 - 3z - 2 = (z - 2)(z + 1)^2
  });
});

describe('the QP and the LP over the polygon', () => {
  it('agrees with an independent iterative QP solver at random x (active sets and y)', () => {
    const rand = random(11);
    let compared = 0;
    for (let k = 0; k < 400; k++) {
      const x1 = -3 + 6 * rand();
      const x2 = -3 + 6 * rand();
      const p: Perturbation = k % 2 ? nominal('qp') : { q: [0.6 * rand() - 0.3, 0.6 * rand() - 0.3], d: [0, 1, 2, 3].map(() => 0.6 * rand() - 0.3) };
      const s = solvePixel('qp', x1, x2, p);
      const t = qpTarget(x1, x2);
      const c = polygonRhs(x1, x2).map((b, i) => b + p.d[i]);
      const h = hildreth([t[0] - p.q[0], t[1] - p.q[1]], c);
      expect(Math.abs(s.y[0] - h.y[0]) + Math.abs(s.y[1] - h.y[1])).toBeLessThan(1e-9);
      // Strict active sets agree wherever no multiplier or slack is near zero (off the failure set).
      if (s.margins[1] > 1e-6) {
        const strictH = h.mu.reduce((bits, mu, i) => (mu > 1e-9 ? bits | (1 << i) : bits), 0);
        expect(strictSet(s)).toBe(strictH);
        expect(s.active).toBe(strictH);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(350);
  });

  it('LP: y* is the vertex of least cost among the polygon vertices', () => {
    const rand = random(5);
    for (let k = 0; k < 300; k++) {
      const x1 = -3 + 6 * rand();
      const x2 = -3 + 6 * rand();
      const s = solvePixel('lp', x1, x2, nominal('lp'));
      const phi = lpAngle(x1, x2);
      const cost = (y: number[]) => Math.cos(phi) * y[0] + Math.sin(phi) * y[1];
      const b4 = polygonRhs(x1, x2)[3];
      const apexY = Math.min(1, b4);
      // The polygon's vertices: floor corners, ceiling corners (or the apex).
      const vertices = [[-2, -1], [2, -1], [1 - apexY, apexY], [apexY - 1, apexY]];
      const best = Math.min(...vertices.map(cost));
      expect(cost(s.y)).toBeCloseTo(best, 12);
      expect(s.mu.every((m) => m >= -1e-12)).toBe(true);
    }
  });
});

describe('margins are zero exactly on the known failure sets', () => {
  it('disk: SCSC on the unit circle only', () => {
    for (const x of [[1, 0], [0, 1], [-1, 0], [0, -1]] as const) expect(solvePixel('disk', x[0], x[1], nominal('disk')).margins[1]).toBe(0);
    expect(solvePixel('disk', 0.5, 0.5, nominal('disk')).margins[1]).toBeGreaterThan(0.4);
    expect(solvePixel('disk', 2, 0, nominal('disk')).margins).toEqual([expect.any(Number), 0.5, 2]);
  });

  it('abs: LICQ on x1 = 0 (margin 2|x1|)', () => {
    expect(solvePixel('abs', 0, 1, nominal('abs')).margins[0]).toBe(0);
    expect(solvePixel('abs', 0.25, 1, nominal('abs')).margins[0]).toBeCloseTo(0.5, 15);
    expect(solvePixel('abs', -0.25, 1, nominal('abs')).margins[0]).toBeCloseTo(0.5, 15);
  });

  it('cusp: SOSC at the origin only; LICQ and SCSC cannot fail', () => {
    const s = solvePixel('cusp', 0, 0, nominal('cusp'));
    expect(s.margins).toEqual([Infinity, Infinity, 0]);
    expect(solvePixel('cusp', -1, 0, nominal('cusp')).margins[2]).toBeCloseTo(2, 12);
    // On the fold (4 x1^3 + 27 x2^2 = 0) the global minimiser is still non-degenerate.
    expect(solvePixel('cusp', -3, 2, nominal('cusp')).margins[2]).toBeGreaterThan(1);
  });

  it('qp: LICQ where the ceiling passes the apex (0, 1) with y* at the apex', () => {
    const s = solvePixel('qp', 0, 4 / 3, nominal('qp'));
    expect(s.y[0]).toBeCloseTo(0, 12);
    expect(s.y[1]).toBeCloseTo(1, 12);
    expect(s.margins[0]).toBeLessThan(1e-12);
    expect(s.margins[2]).toBe(1);
  });

  it('qp: SCSC at the crossings of the witness path, and nowhere a margin is negative', () => {
    const w = rigidityWitness('qp', nominal('qp'), [0, 0], [2, 2]);
    expect(w.crossings.length).toBeGreaterThan(0);
    for (const c of w.crossings) expect(c.margin).toBeLessThan(1e-9);
    for (const s of w.path) for (const m of s.margins) expect(m).toBeGreaterThanOrEqual(0);
  });
});

describe('the spec’s QP numbers', () => {
  it('ten active-set regions and no SOSC failure on [-2, 2]^2', () => {
    const map = solveMapReference(config('qp', 200));
    expect(activeRegions(map.active)).toHaveLength(10);
    expect(map.fraction[2]).toBe(0);
  });

  it('failure fractions at 200^2 with kappa h = 0.02: LICQ 0.60 %, SCSC 2.77 % (the spec)', () => {
    const map = solveMapReference(config('qp', 200, { kappa: 1 }));
    expect(map.fraction[0] * 100).toBeCloseTo(0.6, 1);
    expect(Math.abs(map.fraction[1] * 100 - 2.77)).toBeLessThan(0.02);
  });

  it('fractions halve under refinement (N = 200, 400, 800, kappa = 2)', () => {
    const f = [200, 400, 800].map((n) => solveMapReference(config('qp', n)).fraction);
    for (const c of [0, 1]) {
      expect(f[0][c] / f[1][c]).toBeGreaterThan(1.85);
      expect(f[0][c] / f[1][c]).toBeLessThan(2.15);
      expect(f[1][c] / f[2][c]).toBeGreaterThan(1.85);
      expect(f[1][c] / f[2][c]).toBeLessThan(2.15);
    }
  }, 60_000);

  it('rigidity: I(0,0) = {} and I(2,2) = {2} under 100 random perturbations with eps = 0.2', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const p = perturbationOf(config('qp', 8, { perturbation: { eps: 0.2, seed } }));
      expect(Math.max(...p.q.map(Math.abs), ...p.d.map(Math.abs))).toBeLessThanOrEqual(0.2);
      const w = rigidityWitness('qp', p, [0, 0], [2, 2], 101);
      expect(w.a.strict).toBe(0);
      expect(w.b.strict).toBe(0b0010);
      expect(w.crossings.length).toBeGreaterThan(0);
    }
  });
});

describe('analysis', () => {
  it('gap demo: F is minimised at x = 0, where the hypergradient jumps from -1 to 0', () => {
    const g = gapDemo(0.1, 301);
    const iMin = g.value.indexOf(Math.min(...g.value));
    expect(g.x[iMin]).toBe(0);
    expect(Number.isNaN(g.hypergradient[150])).toBe(true);
    expect(g.hypergradient[149]).toBeCloseTo(-0.01 - 1 + 0.1 * -0.01, 12);
    expect(g.hypergradient[151]).toBeCloseTo(0.1 * 0.01, 12);
    expect(g.jump).toEqual([-1, 0]);
  });

  it('refinement levels stay within the cap', () => {
    expect(refinementLevels(200, 2048)).toEqual([200, 400, 800]);
    expect(refinementLevels(1024, 2048)).toEqual([512, 1024, 2048]);
    expect(refinementLevels(256, 256)).toEqual([64, 128, 256]);
  });

  it('perturbation draws are deterministic, within [-eps, eps], exactly zero at eps = 0', () => {
    const c = config('lp', 4, { perturbation: { eps: 0.3, seed: 42 } });
    const p1 = perturbationOf(c);
    expect(perturbationOf(c)).toEqual(p1);
    expect(p1.q).toHaveLength(2);
    expect(p1.d).toHaveLength(4);
    expect(new Set([...p1.q, ...p1.d]).size).toBe(6);
    expect(perturbationOf(config('lp', 4, { perturbation: { eps: 0, seed: 42 } }))).toEqual({ q: [0, 0], d: [0, 0, 0, 0] });
  });
});

describe('witness defaults', () => {
  it('every constrained family’s default endpoints have different strict active sets', () => {
    for (const family of ['qp', 'lp', 'disk', 'abs'] as const) {
      const c = config(family, 8);
      const [a, b] = defaultWitnessPoints(c);
      const w = rigidityWitness(family, nominal(family), a, b);
      expect(w.differ, family).toBe(true);
      expect(w.crossings.length, family).toBeGreaterThan(0);
    }
    // The LP loses SCSC and SOSC at the same vertex switch.
    const [a, b] = defaultWitnessPoints(config('lp', 8));
    expect(rigidityWitness('lp', nominal('lp'), a, b).crossings[0].conditions).toEqual(['scsc', 'sosc']);
  });
});
