// Limit objects of the score-mixing lab (float64, no DOM, no GPU): the local minimisers of the
// small-time potential Phi_lam = lambda d1^2 + (1-lambda) d2^2 that trajectories converge to, the
// lambda intervals where each exists, and rate fits.
//
// Conventions shared by every export:
// - Coincident atoms (within 1e-12 of the atoms' bounding-box diagonal S) are one site, named by the
//   smallest index of the group, like nearestIndex.
// - Ties. Distances are compared with tolerance tol2 = tieTol * S^2 * max(1, lambda)^2 (default
//   tieTol = 1e-12, ~1e4 roundings). A point counts as inside a cell only when it is strictly
//   nearer (by more than tol2) to its own site than to every other site. Points on a cell boundary
//   are rejected on purpose: for 0 < lambda < 1 a boundary point c_ab is never a local minimiser
//   (the neighbouring quadratic is active with a nonzero gradient there), and for lambda > 1 such
//   points form a null set of lambda, matching the open intervals of lambdaIntervals. The one
//   exception is a measure with weight zero in Phi_lam: at lambda = 0 the A-cell of c_ab = b does
//   not matter (a is taken to be b's nearest A-site), at lambda = 1 the B-cell of c_ab = a does not.

import { coincidentRepresentatives, dist2 } from '../../math/nearest';
import type { Measure } from './types';

export { fitLogLogSlope, type SlopeFit } from '../../math/slope';

export interface CriticalPoint {
  /** Position, length d. */
  x: Float64Array;
  /** Index in mu1 of the conditional atom. */
  a: number;
  /** Active mu2 indices, ascending: one for a cell centre c_ab, 2+ when x lies on a bisector of B. */
  b: number[];
  /** Phi_lam(x). */
  value: number;
  regime: 'mixture' | 'guidance';
}

export interface AnalysisOptions {
  /** Relative tie tolerance on squared distances (see the header). Default 1e-12. */
  tieTol?: number;
}

export interface LambdaInterval {
  a: number;
  /** The mu2 index of c_ab; for guidance the single active index, or -1 when 2+ are active. */
  b: number;
  from: number;
  to: number;
  regime: 'mixture' | 'guidance';
  /** Active mu2 indices on this interval (mixture: [b]). */
  active: number[];
}

export interface LambdaIntervalOptions extends AnalysisOptions {
  /** Grid cells of the lambda > 1 scan (default 400). */
  samples?: number;
}

/** Distinct sites of both measures, with the original index of each. */
interface Sites {
  d: number;
  A: Float64Array;
  aIdx: number[];
  B: Float64Array;
  bIdx: number[];
  /** S^2: squared bounding-box diagonal of all atoms. */
  scale2: number;
}

function sitesOf(mu1: Measure, mu2: Measure): Sites {
  if (mu1.d !== mu2.d) throw new Error(`mu1.d = ${mu1.d} differs from mu2.d = ${mu2.d}`);
  const d = mu1.d;
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (const mu of [mu1, mu2]) {
    for (let i = 0; i < mu.n * d; i++) {
      lo[i % d] = Math.min(lo[i % d], mu.points[i]);
      hi[i % d] = Math.max(hi[i % d], mu.points[i]);
    }
  }
  let scale2 = 0;
  for (let k = 0; k < d; k++) if (hi[k] > lo[k]) scale2 += (hi[k] - lo[k]) ** 2;
  const pick = (mu: Measure) => {
    const rep = coincidentRepresentatives(mu.points, d, 1e-24 * scale2);
    const idx: number[] = [];
    for (let i = 0; i < mu.n; i++) if (rep[i] === i) idx.push(i);
    const P = new Float64Array(idx.length * d);
    idx.forEach((i, k) => P.set(mu.points.subarray(i * d, i * d + d), k * d));
    return { P, idx };
  };
  const a = pick(mu1);
  const b = pick(mu2);
  return { d, A: a.P, aIdx: a.idx, B: b.P, bIdx: b.idx, scale2 };
}

const tolerance = (s: Sites, lambda: number, tieTol = 1e-12) => tieTol * s.scale2 * Math.max(1, lambda) ** 2;

const row = (P: Float64Array, i: number, d: number) => P.subarray(i * d, i * d + d);

/** min over j != k of |x - s_j|^2 minus |x - s_k|^2; Infinity with a single site. */
function margin(P: Float64Array, d: number, x: ArrayLike<number>, k: number): number {
  const m = P.length / d;
  let best = Infinity;
  for (let j = 0; j < m; j++) if (j !== k) best = Math.min(best, dist2(P, j, d, x));
  return best - dist2(P, k, d, x);
}

function nearestSite(P: Float64Array, d: number, x: ArrayLike<number>): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < P.length / d; j++) {
    const s = dist2(P, j, d, x);
    if (s < bestD) [best, bestD] = [j, s];
  }
  return best;
}

/** Sites within tol2 of the nearest squared distance, ascending. */
function tiedSites(P: Float64Array, d: number, x: ArrayLike<number>, tol2: number): number[] {
  const m = P.length / d;
  const ds = Array.from({ length: m }, (_, j) => dist2(P, j, d, x));
  const min = Math.min(...ds);
  return ds.flatMap((v, j) => (v <= min + tol2 ? [j] : []));
}

// ---------------------------------------------------------------- 0 <= lambda <= 1 (mixture)

function mixturePoints(s: Sites, lambda: number, tol2: number): CriticalPoint[] {
  const { d, A, B } = s;
  const out: CriticalPoint[] = [];
  const c = new Float64Array(d);
  for (let ia = 0; ia < A.length / d; ia++) {
    for (let ib = 0; ib < B.length / d; ib++) {
      // lambda a + (1-lambda) b is exact at both ends: c = b at lambda 0, c = a at lambda 1.
      for (let k = 0; k < d; k++) c[k] = lambda * A[ia * d + k] + (1 - lambda) * B[ib * d + k];
      const okA = lambda === 0 ? nearestSite(A, d, c) === ia : margin(A, d, c, ia) > tol2;
      const okB = lambda === 1 ? nearestSite(B, d, c) === ib : margin(B, d, c, ib) > tol2;
      if (!okA || !okB) continue;
      // Distinct sites make coincident valid c_ab impossible (each would lie strictly inside two
      // cells), so no dedupe is needed beyond the sites; lambda = 0, 1 are handled by okA/okB.
      const ab = dist2(A, ia, d, row(B, ib, d));
      out.push({ x: c.slice(), a: s.aIdx[ia], b: [s.bIdx[ib]], value: lambda * (1 - lambda) * ab, regime: 'mixture' });
    }
  }
  return out;
}

// ---------------------------------------------------------------- lambda > 1 (guidance)

/**
 * Projection of p onto the flat E_T = {x : |x - b| equal for all b in T} (sites T of B), by
 * modified Gram–Schmidt on U = [b_i - b_0]: x = p + U alpha with U^T U alpha = U^T (mid - p).
 * null when T is affinely dependent.
 */
function projectOnFlat(B: Float64Array, d: number, T: number[], p: Float64Array) {
  const k = T.length - 1;
  const b0 = row(B, T[0], d);
  const Q: Float64Array[] = [];
  const R = new Float64Array(k * k); // R[i*k + j], upper triangular
  const rhs = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const bi = row(B, T[i + 1], d);
    const u = new Float64Array(d);
    let un = 0;
    for (let l = 0; l < d; l++) {
      u[l] = bi[l] - b0[l];
      rhs[i] += u[l] * ((bi[l] + b0[l]) / 2 - p[l]);
      un += u[l] * u[l];
    }
    const q = u.slice();
    for (let pass = 0; pass < 2; pass++) {
      // Twice is enough (Kahan–Parlett) to keep Q orthonormal to working precision.
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let l = 0; l < d; l++) dot += Q[j][l] * q[l];
        R[j * k + i] += dot;
        for (let l = 0; l < d; l++) q[l] -= dot * Q[j][l];
      }
    }
    let qn = 0;
    for (let l = 0; l < d; l++) qn += q[l] * q[l];
    qn = Math.sqrt(qn);
    if (!(qn > 1e-10 * Math.sqrt(un))) return null;
    R[i * k + i] = qn;
    for (let l = 0; l < d; l++) q[l] /= qn;
    Q.push(q);
  }
  const z = new Float64Array(k); // R^T z = rhs
  for (let i = 0; i < k; i++) {
    let v = rhs[i];
    for (let j = 0; j < i; j++) v -= R[j * k + i] * z[j];
    z[i] = v / R[i * k + i];
  }
  const alpha = new Float64Array(k); // R alpha = z
  for (let i = k - 1; i >= 0; i--) {
    let v = z[i];
    for (let j = i + 1; j < k; j++) v -= R[i * k + j] * alpha[j];
    alpha[i] = v / R[i * k + i];
  }
  const x = p.slice();
  for (let i = 0; i < k; i++) for (let l = 0; l < d; l++) x[l] += z[i] * Q[i][l];
  return { x, alpha };
}

interface GuidanceSolution {
  x: Float64Array;
  /** Support sites T (indices into Sites.B) and their simplex weights theta. */
  T: number[];
  theta: number[];
}

/**
 * x_a* = argmin F_a, F_a(x) = max_b |x - c_ab|^2 + lambda(1-lambda)|a-b|^2, c_ab = a + mu (a - b),
 * mu = lambda - 1 > 0. Equal terms <=> equal distances to the b's, so with support T the minimiser
 * is the projection of c_{a b0} onto the bisector flat E_T, and it is optimal iff it is a convex
 * combination (theta >= 0) of the c_ab, b in T, and no other b is nearer (KKT of the dual QP on
 * the simplex). Active-set walk in the style of Fischer–Gärtner–Kutz's smallest-enclosing-ball
 * solver: move x toward the target of T inside E_T; a site that becomes as near as T's blocks the
 * move and joins T; at the target, drop the most negative theta. T stays affinely independent
 * (a site in aff T keeps its distance difference while x moves in E_T), so |T| <= d + 1, and the
 * returned x is recomputed from T alone: its error is that of one small least-squares solve.
 */
function solveGuidance(s: Sites, ia: number, lambda: number): GuidanceSolution {
  const { d, A, B } = s;
  const m = B.length / d;
  const mu = lambda - 1;
  const a = row(A, ia, d);
  const cOf = (j: number) => {
    const c = new Float64Array(d);
    for (let l = 0; l < d; l++) c[l] = a[l] + mu * (a[l] - B[j * d + l]); // exact when b = a
    return c;
  };
  // theta = -alpha/mu carries rounding / mu; a theta error e moves x by only e*mu*|a - b|.
  const thetaTol = 1e-12 / Math.min(1, mu);
  let x: Float64Array = a.slice();
  const T = [nearestSite(B, d, a)];
  let lastDropped = -1;
  let last: GuidanceSolution | null = null;
  for (let iter = 0; iter < 20 * (m + d) + 50; iter++) {
    const proj = projectOnFlat(B, d, T, cOf(T[0]));
    if (!proj) {
      T.pop(); // cannot happen in exact arithmetic; undo the last join
      continue;
    }
    const theta = [1 + proj.alpha.reduce((t, v) => t + v, 0) / mu, ...Array.from(proj.alpha, (v) => -v / mu)];
    last = { x: proj.x, T: T.slice(), theta };
    const v = new Float64Array(d);
    let vn = 0;
    for (let l = 0; l < d; l++) {
      v[l] = proj.x[l] - x[l];
      vn += v[l] * v[l];
    }
    vn = Math.sqrt(vn);
    const b0 = row(B, T[0], d);
    let sBest = 1;
    let jBest = -1;
    if (vn > 0) {
      const d0 = dist2(B, T[0], d, x);
      for (let j = 0; j < m; j++) {
        if (j === lastDropped || T.includes(j)) continue;
        let rate = 0; // d/ds of |x + s v - b_j|^2 - |x + s v - b_0|^2
        let gap = 0;
        for (let l = 0; l < d; l++) {
          rate += 2 * v[l] * (b0[l] - B[j * d + l]);
          gap += (b0[l] - B[j * d + l]) ** 2;
        }
        if (!(rate < -1e-13 * vn * Math.sqrt(gap))) continue;
        const sj = Math.max(0, dist2(B, j, d, x) - d0) / -rate;
        if (sj < sBest) [sBest, jBest] = [sj, j];
      }
    }
    lastDropped = -1;
    if (jBest >= 0) {
      for (let l = 0; l < d; l++) x[l] += sBest * v[l];
      T.push(jBest);
      continue;
    }
    x = proj.x;
    let iMin = 0;
    for (let i = 1; i < theta.length; i++) if (theta[i] < theta[iMin]) iMin = i;
    if (theta[iMin] >= -thetaTol) return last;
    lastDropped = T[iMin];
    T.splice(iMin, 1);
  }
  // Not reached in practice (cycling needs exact degeneracy); the last iterate is feasible.
  return last ?? { x, T: T.slice(), theta: [1] };
}

function guidancePoints(s: Sites, lambda: number, tol2: number): CriticalPoint[] {
  const { d, A, B } = s;
  const out: CriticalPoint[] = [];
  for (let ia = 0; ia < A.length / d; ia++) {
    const sol = solveGuidance(s, ia, lambda);
    if (!(margin(A, d, sol.x, ia) > tol2)) continue;
    out.push({
      x: sol.x,
      a: s.aIdx[ia],
      b: tiedSites(B, d, sol.x, tol2).map((j) => s.bIdx[j]),
      value: guidanceValue(s, ia, sol, lambda),
      regime: 'guidance',
    });
  }
  return out;
}

/** F_a(x) in the cell form |x - c_ab0|^2 + lambda(1-lambda)|a-b0|^2 (no cancellation of big terms). */
function guidanceValue(s: Sites, ia: number, sol: GuidanceSolution, lambda: number): number {
  const { d, A, B } = s;
  const j = sol.T[0];
  let xc = 0;
  for (let l = 0; l < d; l++) {
    const a = A[ia * d + l];
    const c = a + (lambda - 1) * (a - B[j * d + l]);
    xc += (sol.x[l] - c) ** 2;
  }
  return xc + lambda * (1 - lambda) * dist2(A, ia, d, row(B, j, d));
}

// ---------------------------------------------------------------- public API

/**
 * Local minimisers of Phi_lam (the t -> 0 limits of the generation flow), for lambda >= 0.
 * lambda in [0, 1]: the c_ab inside their own overlay cell (at most one per site pair; at lambda 0
 * and 1 they are the atoms of mu2, mu1). lambda > 1: per conditional site, x_a* = argmin F_a when
 * it lies inside V1(a). Tie handling: see the file header.
 */
export function stableCriticalPoints(mu1: Measure, mu2: Measure, lambda: number, opts: AnalysisOptions = {}): CriticalPoint[] {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`lambda = ${lambda} must be finite and >= 0`);
  if (mu1.n === 0 || mu2.n === 0) return [];
  const s = sitesOf(mu1, mu2);
  const tol2 = tolerance(s, lambda, opts.tieTol);
  return lambda <= 1 ? mixturePoints(s, lambda, tol2) : guidancePoints(s, lambda, tol2);
}

/**
 * Per conditional atom a: x_a* = argmin F_a for lambda > 1 (whether or not it lies in V1(a)), its
 * support in mu2 and simplex weights theta (x = sum theta_b c_ab), from the exact active-set solve.
 * For tests and diagnostics.
 */
export function guidanceMinimiser(mu1: Measure, mu2: Measure, a: number, lambda: number): { x: Float64Array; support: number[]; theta: number[] } {
  if (!(lambda > 1)) throw new Error(`lambda = ${lambda} must be > 1`);
  const s = sitesOf(mu1, mu2);
  const rep = coincidentRepresentatives(mu1.points, mu1.d, 1e-24 * s.scale2);
  const sol = solveGuidance(s, s.aIdx.indexOf(rep[a]), lambda);
  return { x: sol.x, support: sol.T.map((j) => s.bIdx[j]), theta: sol.theta };
}

/**
 * Where each critical point exists, for the "born and die" lambda plot.
 * Mixture (lambda in [0, 1]): c_ab(lambda) lies inside V1(a) ∩ V2(b) on the open interval
 * (from, to) cut out by linear constraints in lambda; exact (from = 0 also covers lambda = 0 when
 * a is b's nearest A-site, to = 1 covers lambda = 1 likewise).
 * Guidance (lambda in (1, lambdaMax]): where x_a* lies inside V1(a), split where its active set
 * changes. Found by sampling `samples` equal steps (plus 1 + 1e-7 (lambdaMax - 1), the piece next to
 * lambda = 1 starts at exactly 1), then bisection of every change to 1e-12 max(1, lambdaMax).
 * Resolution: a piece shorter than one grid step can be missed when the states at both ends of its
 * step agree; pieces narrower than 1e-8 max(1, lambdaMax)^2 (tie bands) are merged into a neighbour.
 */
export function lambdaIntervals(mu1: Measure, mu2: Measure, lambdaMax = 10, opts: LambdaIntervalOptions = {}): LambdaInterval[] {
  if (mu1.n === 0 || mu2.n === 0) return [];
  const s = sitesOf(mu1, mu2);
  const out = mixtureIntervals(s);
  if (lambdaMax > 1) {
    for (let ia = 0; ia < s.A.length / s.d; ia++) out.push(...guidanceIntervals(s, ia, lambdaMax, opts));
  }
  return out;
}

function mixtureIntervals(s: Sites): LambdaInterval[] {
  const { d, A, B } = s;
  const out: LambdaInterval[] = [];
  for (let ia = 0; ia < A.length / d; ia++) {
    const a = row(A, ia, d);
    for (let ib = 0; ib < B.length / d; ib++) {
      const b = row(B, ib, d);
      let from = 0;
      let to = 1;
      // g(lam) = |c - a'|^2 - |c - a|^2 is linear in lam, with g(1) = |a - a'|^2 > 0.
      for (let j = 0; j < A.length / d && from < to; j++) {
        if (j === ia) continue;
        const g0 = dist2(A, j, d, b) - dist2(A, ia, d, b);
        const g1 = dist2(A, j, d, a);
        if (g0 < 0) from = Math.max(from, -g0 / (g1 - g0));
      }
      // h(lam) = |c - b'|^2 - |c - b|^2, with h(0) = |b - b'|^2 > 0.
      for (let j = 0; j < B.length / d && from < to; j++) {
        if (j === ib) continue;
        const h0 = dist2(B, j, d, b);
        const h1 = dist2(B, j, d, a) - dist2(B, ib, d, a);
        if (h1 < 0) to = Math.min(to, h0 / (h0 - h1));
      }
      if (from < to) out.push({ a: s.aIdx[ia], b: s.bIdx[ib], from, to, regime: 'mixture', active: [s.bIdx[ib]] });
    }
  }
  return out;
}

function guidanceIntervals(s: Sites, ia: number, lambdaMax: number, opts: LambdaIntervalOptions): LambdaInterval[] {
  const N = Math.max(1, Math.floor(opts.samples ?? 400));
  const span = lambdaMax - 1;
  const state = (lam: number): string => {
    const tol2 = tolerance(s, lam, opts.tieTol);
    const sol = solveGuidance(s, ia, lam);
    if (!(margin(s.A, s.d, sol.x, ia) > tol2)) return '';
    return tiedSites(s.B, s.d, sol.x, tol2).join(',');
  };
  const res = 1e-12 * Math.max(1, lambdaMax);
  const grid = [1 + 1e-7 * span, ...Array.from({ length: N }, (_, i) => 1 + (span * (i + 1)) / N)];
  const runs: { state: string; from: number; to: number }[] = [];
  let cur = grid[0];
  let curState = state(cur);
  runs.push({ state: curState, from: 1, to: lambdaMax });
  for (let i = 1; i < grid.length; i++) {
    const right = grid[i];
    const rightState = state(right);
    // Several changes can share one grid step: peel them off left to right.
    for (let guard = 0; rightState !== curState && guard < 64; guard++) {
      let lo = cur;
      let hi = right;
      while (hi - lo > res) {
        const mid = (lo + hi) / 2;
        if (state(mid) === curState) lo = mid;
        else hi = mid;
      }
      runs[runs.length - 1].to = hi;
      cur = hi;
      curState = hi === right ? rightState : state(hi);
      runs.push({ state: curState, from: hi, to: lambdaMax });
    }
    cur = right;
  }
  const minWidth = 1e-8 * Math.max(1, lambdaMax) ** 2;
  const merged: typeof runs = [];
  for (const r of runs) {
    const last = merged[merged.length - 1];
    if (last && (r.to - r.from < minWidth || r.state === last.state)) last.to = r.to;
    else merged.push({ ...r });
  }
  return merged
    .filter((r) => r.state !== '')
    .map((r) => {
      const active = r.state.split(',').map((j) => s.bIdx[Number(j)]);
      return { a: s.aIdx[ia], b: active.length === 1 ? active[0] : -1, from: r.from, to: r.to, regime: 'guidance' as const, active };
    });
}

/** For each of `count` points (count*d row-major): the nearest critical point and its distance. */
export function nearestCriticalDistances(points: Float64Array, d: number, cps: CriticalPoint[]): { index: Int32Array; distance: Float64Array } {
  const count = d > 0 ? Math.floor(points.length / d) : 0;
  const index = new Int32Array(count).fill(-1);
  const distance = new Float64Array(count).fill(Infinity);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < cps.length; k++) {
      const s = dist2(cps[k].x, 0, d, points, i * d);
      if (s < distance[i]) {
        distance[i] = s;
        index[i] = k;
      }
    }
    distance[i] = Math.sqrt(distance[i]);
  }
  return { index, distance };
}
