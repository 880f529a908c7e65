// The float64 reference of the bilevel lab: the lower-level problem of each family solved exactly
// at one upper-level x, with its multipliers, active set and the three regularity margins
// (NUMERICS.md has the math). shaders/bilevel/solve.wgsl does the same per pixel in float32; the
// GPU tests compare the two, and the CPU backend (CLI --backend cpu, the page without WebGPU) runs
// this file.
//
//   qp    min 1/2 |y - p(x)|^2 + q^T y  s.t. a_i^T y <= b_i(x) + d_i (i = 1..4)
//   lp    min (cos phi(x), sin phi(x))^T y + q^T y over the same polygon
//   disk  min 1/2 |y - x|^2 + q^T y     s.t. |y|^2 - 1 <= d_1
//   abs   min 1/2 (y + 3)^2 + q_1 y     s.t. x1 - y <= d_1, -x1 - y <= d_2       (y in R)
//   cusp  min y^4/4 + x1 y^2/2 + (x2 + q_1) y                                    (y in R)
//
// Polygon families enumerate the candidate active sets (empty, singles and non-parallel pairs for
// the QP; vertices for the LP) and keep the one with the least KKT violation; the others have
// closed forms (the cusp's cubic by a cancellation-free Cardano form plus Newton polish).

import { flagThreshold, perturbationOf, pixelCentres } from './config';
import type { BilevelConfig, BilevelMap, Family, PixelSolution, Perturbation } from './types';
import { FAMILY_DIMS } from './types';

// ---- the polygon shared by qp and lp ----

/** Constraint normals a_i (rows) of the polygon: floor, right roof, left roof, ceiling. */
export const POLYGON_NORMALS: readonly (readonly [number, number])[] = [
  [0, -1],
  [1, 1],
  [-1, 1],
  [0, 1],
];

/** Right-hand sides b_i(x): 1, 1, 1 and the moving ceiling 0.6 + 0.3 x2 + 0.2 x1^2. */
export function polygonRhs(x1: number, x2: number): [number, number, number, number] {
  return [1, 1, 1, 0.6 + 0.3 * x2 + 0.2 * x1 * x1];
}

/** The QP's target p(x) = (2 x1 + 0.5 sin(1.5 x2), 2 x2 + 0.25 x1^2 - 0.5). */
export function qpTarget(x1: number, x2: number): [number, number] {
  return [2 * x1 + 0.5 * Math.sin(1.5 * x2), 2 * x2 + 0.25 * x1 * x1 - 0.5];
}

/** The LP's cost angle phi(x) = 2 x1 + x2 + 0.3 x1 x2. */
export function lpAngle(x1: number, x2: number): number {
  return 2 * x1 + x2 + 0.3 * x1 * x2;
}

/** Candidate active sets of the QP in the kernel's order; {1, 4} is left out (a1 = -a4: no vertex). */
export const QP_CANDIDATES: readonly (readonly number[])[] = [[], [0], [1], [2], [3], [0, 1], [0, 2], [1, 2], [1, 3], [2, 3]];
/** The LP's candidates: the vertices (non-parallel pairs). */
export const LP_CANDIDATES: readonly (readonly number[])[] = QP_CANDIDATES.filter((s) => s.length === 2);

/** Human names of the constraints, by family (legends, hover). */
export const CONSTRAINT_NAMES: Record<Family, readonly string[]> = {
  qp: ['floor −y₂ ≤ 1', 'right roof y₁ + y₂ ≤ 1', 'left roof −y₁ + y₂ ≤ 1', 'ceiling y₂ ≤ b₄(x)'],
  lp: ['floor −y₂ ≤ 1', 'right roof y₁ + y₂ ≤ 1', 'left roof −y₁ + y₂ ≤ 1', 'ceiling y₂ ≤ b₄(x)'],
  disk: ['disk |y|² ≤ 1'],
  abs: ['x₁ − y ≤ 0', '−x₁ − y ≤ 0'],
  cusp: [],
};

interface Candidate {
  y: [number, number];
  mu: number[];
  active: number;
}

function solvePolygonCandidate(set: readonly number[], c: readonly number[], y0: readonly [number, number], lp: boolean, w: readonly [number, number]): Candidate {
  const mu = [0, 0, 0, 0];
  let active = 0;
  for (const i of set) active |= 1 << i;
  if (set.length === 0) return { y: [y0[0], y0[1]], mu, active };
  if (set.length === 1) {
    const i = set[0];
    const [ax, ay] = POLYGON_NORMALS[i];
    const t = (ax * y0[0] + ay * y0[1] - c[i]) / (ax * ax + ay * ay);
    mu[i] = t;
    return { y: [y0[0] - t * ax, y0[1] - t * ay], mu, active };
  }
  const [i, j] = set;
  const [aix, aiy] = POLYGON_NORMALS[i];
  const [ajx, ajy] = POLYGON_NORMALS[j];
  const det = aix * ajy - aiy * ajx;
  const y: [number, number] = [(c[i] * ajy - c[j] * aiy) / det, (aix * c[j] - ajx * c[i]) / det];
  // Stationarity: (QP) y0 - y = mu_i a_i + mu_j a_j; (LP) -w = mu_i a_i + mu_j a_j.
  const rx = lp ? -w[0] : y0[0] - y[0];
  const ry = lp ? -w[1] : y0[1] - y[1];
  mu[i] = (rx * ajy - ry * ajx) / det;
  mu[j] = (aix * ry - aiy * rx) / det;
  return { y, mu, active };
}

function polygonSlacks(y: readonly number[], c: readonly number[]): number[] {
  return POLYGON_NORMALS.map(([ax, ay], i) => c[i] - (ax * y[0] + ay * y[1]));
}

/** max(0, -min slack, -min mu): zero exactly for a KKT point of the candidate's active set. */
function kktViolation(slack: readonly number[], mu: readonly number[]): number {
  let v = 0;
  for (const s of slack) v = Math.max(v, -s);
  for (const u of mu) v = Math.max(v, -u);
  return v;
}

function solvePolygon(lp: boolean, x1: number, x2: number, p: Perturbation): PixelSolution {
  const b = polygonRhs(x1, x2);
  const c = b.map((bi, i) => bi + p.d[i]);
  const target = qpTarget(x1, x2);
  const y0: [number, number] = [target[0] - p.q[0], target[1] - p.q[1]];
  const phi = lpAngle(x1, x2);
  const w: [number, number] = [Math.cos(phi) + p.q[0], Math.sin(phi) + p.q[1]];
  let best: Candidate | null = null;
  let bestSlack: number[] = [];
  let bestViolation = Infinity;
  for (const set of lp ? LP_CANDIDATES : QP_CANDIDATES) {
    const cand = solvePolygonCandidate(set, c, y0, lp, w);
    // Active constraints have zero slack by construction; the rounding of a_i^T y is not a slack.
    const slack = polygonSlacks(cand.y, c).map((s, i) => ((cand.active >> i) & 1 ? 0 : s));
    const v = kktViolation(slack, cand.mu);
    if (v < bestViolation) {
      best = cand;
      bestSlack = slack;
      bestViolation = v;
    }
  }
  const sol = best as Candidate;
  const grads = POLYGON_NORMALS.map((a) => [a[0], a[1]]);
  const sosc = lp ? minActiveMu(sol.mu, sol.active) : 1;
  return {
    y: [sol.y[0], sol.y[1]],
    mu: sol.mu,
    slack: bestSlack,
    active: sol.active,
    margins: [licqMargin(bestSlack, grads, 2), scscMargin(sol.mu, bestSlack), sosc],
  };
}

function minActiveMu(mu: readonly number[], active: number): number {
  let m = Infinity;
  for (let i = 0; i < mu.length; i++) if ((active >> i) & 1) m = Math.min(m, mu[i]);
  return Math.max(0, m);
}

// ---- margins ----

/**
 * The |S|-th largest singular value of the |S| x ny matrix of rows `rows` (0 when |S| > ny):
 * positive exactly when the rows are linearly independent. Sizes here: |S| <= 2, ny <= 2.
 */
export function rowRankSigma(rows: readonly (readonly number[])[], ny: number): number {
  if (rows.length > ny) return 0;
  if (rows.length === 1) return Math.hypot(...rows[0]);
  // 2 x 2: sigma_min = sqrt(lambda_min(M M^T)) = |det| / sigma_max, computed without cancellation.
  const [a, b] = rows[0];
  const [c, d] = rows[1];
  const det = Math.abs(a * d - b * c);
  const fro2 = a * a + b * b + c * c + d * d;
  const disc = Math.sqrt(Math.max(0, fro2 * fro2 - 4 * det * det));
  const sMax = Math.sqrt((fro2 + disc) / 2);
  return sMax === 0 ? 0 : det / sMax;
}

/**
 * LICQ margin: min over non-empty constraint subsets S of max(max_{i in S} s_i, sigma_|S|(J_S)).
 * Zero exactly when some set of active constraints has dependent gradients; for gradients in
 * general position it is the (ny + 1)-th smallest slack (the spec's form). +Infinity with m = 0.
 */
export function licqMargin(slack: readonly number[], grads: readonly (readonly number[])[], ny: number): number {
  const m = slack.length;
  let margin = Infinity;
  for (let set = 1; set < 1 << m; set++) {
    const rows: (readonly number[])[] = [];
    let maxSlack = 0;
    for (let i = 0; i < m; i++) {
      if ((set >> i) & 1) {
        rows.push(grads[i]);
        maxSlack = Math.max(maxSlack, slack[i]);
      }
    }
    margin = Math.min(margin, Math.max(maxSlack, rowRankSigma(rows, ny)));
  }
  return margin;
}

/** SCSC margin: min_i (mu_i + s_i); zero exactly where an active constraint has mu_i = 0. */
export function scscMargin(mu: readonly number[], slack: readonly number[]): number {
  let margin = Infinity;
  for (let i = 0; i < mu.length; i++) margin = Math.min(margin, mu[i] + slack[i]);
  return margin;
}

// ---- closed-form families ----

function solveDisk(x1: number, x2: number, p: Perturbation): PixelSolution {
  const radius2 = 1 + p.d[0];
  const radius = Math.sqrt(radius2);
  const zx = x1 - p.q[0];
  const zy = x2 - p.q[1];
  const r = Math.hypot(zx, zy);
  let y: [number, number];
  let mu = 0;
  let slack = 0;
  let active = 0;
  if (r < radius) {
    y = [zx, zy];
    slack = radius2 - r * r;
  } else {
    y = [(zx * radius) / r, (zy * radius) / r];
    mu = (r / radius - 1) / 2;
    active = 1;
  }
  const grad = [2 * y[0], 2 * y[1]];
  return {
    y,
    mu: [mu],
    slack: [slack],
    active,
    margins: [licqMargin([slack], [grad], 2), mu + slack, 1 + 2 * mu],
  };
}

function solveAbs(x1: number, _x2: number, p: Perturbation): PixelSolution {
  const y0 = -3 - p.q[0];
  const lo1 = x1 - p.d[0];
  const lo2 = -x1 - p.d[1];
  const y = Math.max(y0, lo1, lo2);
  const s1 = y - lo1;
  const s2 = y - lo2;
  // Stationarity: (y + 3 + q1) - mu1 - mu2 = 0; at the tie lo1 = lo2 the multipliers are not
  // unique (LICQ fails) and the minimum-norm pair is reported.
  const g = y + 3 + p.q[0];
  let mu: [number, number] = [0, 0];
  let active = 0;
  if (y > y0) {
    if (lo1 > lo2) {
      mu = [g, 0];
      active = 1;
    } else if (lo2 > lo1) {
      mu = [0, g];
      active = 2;
    } else {
      mu = [g / 2, g / 2];
      active = 3;
    }
  }
  const slack = [(active & 1) ? 0 : s1, (active & 2) ? 0 : s2];
  return {
    y: [y],
    mu,
    slack,
    active,
    margins: [licqMargin(slack, [[-1], [-1]], 1), scscMargin(mu, slack), 1],
  };
}

/**
 * The largest real root of z^3 + a z - c = 0 for c >= 0 (the global minimiser of the cusp, up to
 * sign). One real root: z = A - B with A^3 = c/2 + sqrt(D), B = a/(3A), written as
 * c / (A^2 + AB + B^2) when a > 0 so that nothing cancels (z -> c/a as c -> 0). Three real roots
 * (D < 0): the trigonometric form. Then Newton steps while they reduce |f| (f' = 3z^2 + a > 0 at
 * the largest root except at a = c = 0).
 */
export function largestCubicRoot(a: number, c: number): number {
  const D = (c * c) / 4 + (a * a * a) / 27;
  let z: number;
  if (D >= 0) {
    const A = Math.cbrt(c / 2 + Math.sqrt(D));
    if (A === 0) return 0;
    const B = a / (3 * A);
    z = a > 0 ? c / (A * A + A * B + B * B) : A - B;
  } else {
    const r = Math.sqrt(-a / 3);
    const cosTheta = Math.min(1, c / 2 / (r * r * r));
    z = 2 * r * Math.cos(Math.acos(cosTheta) / 3);
  }
  for (let k = 0; k < 3; k++) {
    const f = z * z * z + a * z - c;
    const fp = 3 * z * z + a;
    if (!(fp > 0)) break;
    const next = z - f / fp;
    if (!(Math.abs(next * next * next + a * next - c) < Math.abs(f))) break;
    z = next;
  }
  return z;
}

/** The cusp's objective g(y) = y^4/4 + x1 y^2/2 + b y (b = x2 + q1). */
export function cuspObjective(y: number, x1: number, b: number): number {
  return (y * y * y * y) / 4 + (x1 * y * y) / 2 + b * y;
}

function solveCusp(x1: number, x2: number, p: Perturbation): PixelSolution {
  const b = x2 + p.q[0];
  // y^3 + x1 y + b = 0; with y = -sign(b) z the global minimiser is the largest root z of
  // z^3 + x1 z - |b| = 0. At b = 0, x1 < 0 (the Maxwell set) both +-sqrt(-x1) are global minimisers;
  // the negative one is reported.
  const z = largestCubicRoot(x1, Math.abs(b));
  const y = b >= 0 ? -z : z;
  return { y: [y], mu: [], slack: [], active: 0, margins: [Infinity, Infinity, Math.max(0, 3 * y * y + x1)] };
}

/** Solve the lower level of `family` at x = (x1, x2) with perturbation p (q: dim y, d: m). */
export function solvePixel(family: Family, x1: number, x2: number, p: Perturbation): PixelSolution {
  switch (family) {
    case 'qp':
      return solvePolygon(false, x1, x2, p);
    case 'lp':
      return solvePolygon(true, x1, x2, p);
    case 'disk':
      return solveDisk(x1, x2, p);
    case 'abs':
      return solveAbs(x1, x2, p);
    case 'cusp':
      return solveCusp(x1, x2, p);
  }
}

/** The unperturbed problem (q = 0, d = 0). */
export function nominal(family: Family): Perturbation {
  const { ny, m } = FAMILY_DIMS[family];
  return { q: new Array<number>(ny).fill(0), d: new Array<number>(m).fill(0) };
}

// ---- whole maps ----

/** Failure flags (margin < tau) and fractions of a map's three margin arrays. */
export function flagsOf(
  margins: BilevelMap['margins'],
  tau: number,
): { fails: BilevelMap['fails']; fraction: BilevelMap['fraction'] } {
  const count = margins[0].length;
  const fails = margins.map((mg) => {
    const f = new Uint8Array(count);
    for (let i = 0; i < count; i++) f[i] = mg[i] < tau ? 1 : 0;
    return f;
  }) as BilevelMap['fails'];
  const fraction = fails.map((f) => (count === 0 ? 0 : f.reduce((s, v) => s + v, 0) / count)) as BilevelMap['fraction'];
  return { fails, fraction };
}

/**
 * The whole N x N map in float64, rows i1 in [rowStart, rowEnd) (the page fills it a band at a
 * time; the default is every row). `into` continues a partial map.
 */
export function solveMapReference(config: BilevelConfig, rowStart = 0, rowEnd = config.grid.n, into?: BilevelMap): BilevelMap {
  const { n } = config.grid;
  const { ny, m } = FAMILY_DIMS[config.family];
  const p = perturbationOf(config);
  const map: BilevelMap = into ?? {
    n,
    ny,
    m,
    x1: pixelCentres(config.grid.x1, n),
    x2: pixelCentres(config.grid.x2, n),
    y: new Float64Array(n * n * ny),
    mu: new Float64Array(n * n * m),
    active: new Int32Array(n * n),
    margins: [new Float64Array(n * n), new Float64Array(n * n), new Float64Array(n * n)],
    fails: [new Uint8Array(n * n), new Uint8Array(n * n), new Uint8Array(n * n)],
    fraction: [0, 0, 0],
  };
  for (let i1 = rowStart; i1 < rowEnd; i1++) {
    for (let i2 = 0; i2 < n; i2++) {
      const k = i1 * n + i2;
      const s = solvePixel(config.family, map.x1[i1], map.x2[i2], p);
      for (let j = 0; j < ny; j++) map.y[k * ny + j] = s.y[j];
      for (let j = 0; j < m; j++) map.mu[k * m + j] = s.mu[j];
      map.active[k] = s.active;
      for (let c = 0; c < 3; c++) map.margins[c][k] = s.margins[c];
    }
  }
  if (rowEnd >= n) {
    const { fails, fraction } = flagsOf(map.margins, flagThreshold(config));
    map.fails = fails;
    map.fraction = fraction;
  }
  return map;
}
