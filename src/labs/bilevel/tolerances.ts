// Float32 error model of shaders/bilevel/solve.wgsl (and lib/sincos.wgsl) against the float64
// reference, shared by test/gpu/bilevel-solve.test.ts and the self-test (selftest.ts): one copy.
//
//  * The GPU sees the pixel centres, q, d and tau rounded once to f32 (relative 2^-24 = EPS;
//    |x| <= 3, |q|, |d| <= 0.3).
//  * Every output is a short closed form: O(10) flops on values of size O(1..10) (p(x) <= ~7.5, the
//    ceiling <= ~3.6, the LP angle phi <= ~12, whose rounding (~1e-6 absolute) moves cos/sin phi by
//    as much). With sin/cos from lib/sincos.wgsl (a few ulps), each of y, mu, slacks and therefore
//    the min/max-built LICQ/SCSC margins is off by at most ~20 flops x 12 x EPS ~ 1.4e-5 absolute
//    in the worst linear accumulation (typically ~1e-6): TOL = 2e-5 (1 + |value|) holds it.
//  * Conditioning: where the active set is the same, the formulas are Lipschitz in their inputs
//    with constants O(1), except the cusp, whose root z of f(z) = z^3 + x1 z - |b| moves by
//    delta f / f'(z), f' = 3 y^2 + x1 = the SOSC margin: TOL for the cusp's y is multiplied by
//    max(1, 1 / margin_sosc) (margin_sosc >= tau at unflagged pixels), and its SOSC margin's by
//    6 |y| on top.
//  * Where a margin is within rounding of 0 the solution is not determined to f32 (two candidate
//    active sets KKT to rounding, the disk's inside/outside test): those pixels are flagged by the
//    float64 reference itself (margin < tau), so y, mu, margins and the active set are compared
//    only at pixels the reference does not flag (any condition). Flags: the GPU's flags must
//    equal the reference's except where the reference margin lies within TOL-noise of tau.
//  * sincos.wgsl: 2 ulp(value) relative, plus the absolute error of the reduced argument near a
//    zero of sin or cos (|k| 2e-15 from the three-part pi/2 and ~1 ulp of r, below 1e-13 for
//    |x| <= 16).

import { flagThreshold, perturbationOf } from './config';
import { cuspObjective } from './reference';
import type { BilevelConfig, BilevelMap, Family } from './types';

export const TOL = 2e-5;
export const EPS = 2 ** -24;

/** Tolerance of margin c (0 LICQ, 1 SCSC, 2 SOSC) at pixel k. */
export function marginTol(family: Family, c: number, want: BilevelMap, k: number): number {
  const mg = want.margins[c][k];
  const base = TOL * (1 + (Number.isFinite(mg) ? Math.abs(mg) : 0));
  if (family !== 'cusp' || c !== 2) return base;
  const y = want.y[k];
  return base * (1 + 6 * Math.abs(y)) * Math.max(1, 1 / Math.max(mg, 1e-30));
}

export interface MapComparison {
  /** Worst |gpu - f64| / tol per quantity over the compared (unflagged) pixels. */
  y: number;
  mu: number;
  margins: number;
  compared: number;
  flagged: number;
  /** Pixels whose GPU flags differ from the reference's (each within noise of tau). */
  flagMismatches: number;
  /** Flagged pixels whose GPU active set differs from the reference's. */
  activeMismatches: number;
  /** What breaks the model: a value beyond its tolerance, a flag or active set that should agree. */
  problems: string[];
}

/** Compares a GPU map with the float64 one under the model above. */
export function compareBilevelMaps(config: BilevelConfig, got: BilevelMap, want: BilevelMap, label: string): MapComparison {
  const { n, ny, m } = want;
  const family = config.family;
  const tau = flagThreshold(config);
  const b0 = perturbationOf(config).q[0] ?? 0;
  const r: MapComparison = { y: 0, mu: 0, margins: 0, compared: 0, flagged: 0, flagMismatches: 0, activeMismatches: 0, problems: [] };
  const problem = (what: string): void => {
    if (r.problems.length < 20) r.problems.push(`${label}: ${what}`);
  };
  const worse = (key: 'y' | 'mu' | 'margins', gotV: number, wantV: number, tol: number, what: string): void => {
    const ratio = gotV === wantV ? 0 : Math.abs(gotV - wantV) / tol;
    if (!(ratio <= 1)) problem(`${what}: GPU ${gotV} vs float64 ${wantV} (tol ${tol.toExponential(2)})`);
    r[key] = Number.isNaN(ratio) ? Infinity : Math.max(r[key], ratio);
  };
  for (let i1 = 0; i1 < n; i1++) {
    for (let i2 = 0; i2 < n; i2++) {
      const k = i1 * n + i2;
      const at = `pixel (${i1}, ${i2}) x = (${want.x1[i1]}, ${want.x2[i2]})`;
      // Every flag agrees unless the reference margin is within noise of tau.
      for (let c = 0; c < 3; c++) {
        const mg = want.margins[c][k];
        if (got.fails[c][k] !== want.fails[c][k]) {
          r.flagMismatches++;
          const noise = marginTol(family, c, want, k);
          if (!(Math.abs(mg - tau) <= noise)) problem(`${at}: flag ${c} differs but margin ${mg} is not within ${noise} of tau ${tau}`);
        }
      }
      if (want.fails[0][k] || want.fails[1][k] || want.fails[2][k]) {
        r.flagged++;
        if (got.active[k] !== want.active[k]) r.activeMismatches++;
        for (let j = 0; j < ny; j++) if (!Number.isFinite(got.y[k * ny + j])) problem(`${at}: y[${j}] = ${got.y[k * ny + j]} is not finite`);
        continue;
      }
      r.compared++;
      if (got.active[k] !== want.active[k]) problem(`${at}: active set ${got.active[k]}, float64 ${want.active[k]}`);
      const cuspCond = family === 'cusp' ? Math.max(1, 1 / want.margins[2][k]) : 1;
      const x1 = want.x1[i1];
      const b = want.x2[i2] + b0;
      if (family === 'cusp' && x1 < 0 && Math.abs(b) <= 8 * EPS * (Math.abs(want.x2[i2]) + Math.abs(b0))) {
        // The Maxwell set b = 0, x1 < 0: two global minimisers +-sqrt(-x1); which one a rounding
        // of b picks is arbitrary, so compare the objective values (the margins do not depend on the sign).
        const g = cuspObjective(got.y[k], x1, b);
        const gw = cuspObjective(want.y[k], x1, b);
        worse('y', g, gw, TOL * (1 + Math.abs(gw)), `${at}: g(y)`);
      } else
        for (let j = 0; j < ny; j++) {
          const w = want.y[k * ny + j];
          worse('y', got.y[k * ny + j], w, TOL * (1 + Math.abs(w)) * cuspCond, `${at}: y[${j}]`);
        }
      for (let j = 0; j < m; j++) {
        const w = want.mu[k * m + j];
        worse('mu', got.mu[k * m + j], w, TOL * (1 + Math.abs(w)), `${at}: mu[${j}]`);
      }
      for (let c = 0; c < 3; c++) worse('margins', got.margins[c][k], want.margins[c][k], marginTol(family, c, want, k), `${at}: margin ${c}`);
    }
  }
  return r;
}

/** One unit in the last place of an f32 value v. */
export function f32Ulp(v: number): number {
  return Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

/** Tolerance of lib/sincos.wgsl's sin or cos whose float64 value is `want`: 2 ulp + 1e-13. */
export function sinCosTolerance(want: number): number {
  return 2 * f32Ulp(want) + 1e-13;
}
