// The KKT point (x*, lambda*) of min f(x) s.t. Ax = b, in float64 (NUMERICS.md "KKT point"):
//   grad f(x*) + A^T lambda* = 0,  A x* = b.
// Both implementations integrate in error coordinates about this point, so it must be accurate
// to ~1e-15: every method ends with primal-dual Newton polish on the full KKT system.
//   - A is checked first (pivoted QR of A^T): rank < m means either no solution (b not in the
//     range of A) or a non-unique lambda*; both are refused with a KktError naming the field.
//   - quadratic: solved exactly by the null-space method, Q checked symmetric PSD and positive
//     definite on null(A).
//   - quartic, holder: damped Newton on the dual, x(lambda) = c - cbrt(A^T lambda) (quartic;
//     robust at flat minima x*_i = c_i, where the primal Hessian is singular) or
//     c - u|u| (Hölder, whose primal Hessian is unbounded at x_i = c_i).
//   - exp: null-space Newton x = A^+ b + Z w with Armijo backtracking on f,
//     lambda* = -(A A^T)^-1 A grad f(x*).
//
// API: solveKkt(problem): KktPoint; class KktError (field, reason); problemFromInput(...).

import {
  choleskySolve,
  cholesky,
  matMul,
  matTVec,
  matVec,
  norm2,
  rowSpaceSplit,
  solveDense,
  symmetricEigen,
  transpose,
} from '../../math/linalg';
import { objectiveFromInput, objectiveGradient, objectiveHessian, objectiveValue } from './objectives';
import type { ObjectiveInput, Problem } from './types';

/** Largest n the GPU kernels are specialised for (MAXN in shaders/primal-dual/dynamics.wgsl). */
export const MAX_N = 16;

export type KktFailure = 'bad-input' | 'infeasible' | 'rank-deficient' | 'unbounded' | 'not-converged';

export class KktError extends Error {
  constructor(
    /** Config field at fault: 'A', 'b', 'objective', 'objective.Q', ... */
    readonly field: string,
    readonly reason: KktFailure,
    message: string,
  ) {
    super(message);
    this.name = 'KktError';
  }
}

export interface KktPoint {
  x: Float64Array;
  lambda: Float64Array;
  fStar: number;
  /** max_i |grad f(x*) + A^T lambda*|_i */
  stationarity: number;
  /** max_i |A x* - b|_i */
  feasibility: number;
  /** max(stationarity, feasibility): the KKT residual shown to the user. */
  residual: number;
  method: string;
  iterations: number;
}

/** Validates A (m x n, 1 <= m < n <= maxN), b and the objective; field names as in the config. */
export function problemFromInput(A: number[][], b: number[], objective: ObjectiveInput, maxN = MAX_N): Problem {
  if (!Array.isArray(A) || A.length < 1) throw new KktError('A', 'bad-input', 'A must be a non-empty m x n matrix (array of rows)');
  const m = A.length;
  const n = Array.isArray(A[0]) ? A[0].length : 0;
  if (!(n > m)) throw new KktError('A', 'bad-input', `A is ${m} x ${n}; need 1 <= m < n (more unknowns than constraints)`);
  if (n > maxN) throw new KktError('A', 'bad-input', `A has n = ${n} columns; at most ${maxN} are supported`);
  const Af = new Float64Array(m * n);
  A.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) throw new KktError('A', 'bad-input', `A[${i}] has length ${row?.length}, expected n = ${n}`);
    row.forEach((a, j) => {
      if (typeof a !== 'number' || !Number.isFinite(a)) throw new KktError('A', 'bad-input', `A[${i}][${j}] = ${a} is not a finite number`);
      Af[i * n + j] = a;
    });
  });
  if (!Array.isArray(b) || b.length !== m) throw new KktError('b', 'bad-input', `b must have m = ${m} entries, got ${b?.length}`);
  b.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new KktError('b', 'bad-input', `b[${i}] = ${v} is not a finite number`);
  });
  let obj;
  try {
    obj = objectiveFromInput(objective, n);
  } catch (e) {
    throw new KktError('objective', 'bad-input', (e as Error).message);
  }
  return { n, m, A: Af, b: Float64Array.from(b), objective: obj };
}

const maxAbs = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
  return s;
};

function residuals(p: Problem, x: Float64Array, lambda: Float64Array): { rs: Float64Array; rp: Float64Array } {
  const rs = objectiveGradient(p.objective, x);
  const atl = matTVec(p.A, p.m, p.n, lambda);
  for (let i = 0; i < p.n; i++) rs[i] += atl[i];
  const rp = matVec(p.A, p.m, p.n, x);
  for (let i = 0; i < p.m; i++) rp[i] -= p.b[i];
  return { rs, rp };
}

/** lambda = -(A A^T)^-1 A grad f(x): the least-squares multiplier. */
function multiplierFor(p: Problem, x: Float64Array): Float64Array {
  const { A, m, n } = p;
  const g = objectiveGradient(p.objective, x);
  const AAt = matMul(A, transpose(A, m, n), m, n, m);
  const rhs = matVec(A, m, n, g).map((v) => -v);
  try {
    return solveDense(AAt, m, rhs);
  } catch (e) {
    // A passed the rank test, but A A^T (condition number squared) is singular in float64: badly
    // scaled rows (found by the property tests: an entry 2^31 beside entries of order 1).
    throw new KktError('A', 'rank-deficient', `A is numerically rank-deficient: A A^T is singular in float64 (${(e as Error).message}); rescale the rows of A`);
  }
}

/**
 * Primal-dual Newton on the KKT system [[H, A^T], [A, 0]] (d) = -(r_s, r_p), accepting a step only
 * when it reduces the residual; stops at rounding level. Returns the iterations used.
 */
function polish(p: Problem, x: Float64Array, lambda: Float64Array, maxIter = 30): number {
  const { n, m, A } = p;
  const N = n + m;
  const size = (): number => {
    const { rs, rp } = residuals(p, x, lambda);
    return Math.max(maxAbs(rs), maxAbs(rp));
  };
  let r = size();
  let it = 0;
  for (; it < maxIter && r > 0; it++) {
    const { rs, rp } = residuals(p, x, lambda);
    const H = objectiveHessian(p.objective, x);
    const K = new Float64Array(N * N);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * N + j] = H[i * n + j];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        K[(n + i) * N + j] = A[i * n + j];
        K[j * N + n + i] = A[i * n + j];
      }
    const rhs = new Float64Array(N);
    for (let i = 0; i < n; i++) rhs[i] = -rs[i];
    for (let i = 0; i < m; i++) rhs[n + i] = -rp[i];
    let d: Float64Array;
    try {
      d = solveDense(K, N, rhs);
    } catch {
      break;
    }
    const x1 = Float64Array.from(x, (v, i) => v + d[i]);
    const l1 = Float64Array.from(lambda, (v, i) => v + d[n + i]);
    const { rs: rs1, rp: rp1 } = residuals(p, x1, l1);
    const r1 = Math.max(maxAbs(rs1), maxAbs(rp1));
    if (!(r1 < r)) break;
    x.set(x1);
    lambda.set(l1);
    r = r1;
  }
  return it;
}

/** Rank and feasibility of A x = b; throws the refusals. Returns the null-space split. */
function checkConstraints(p: Problem): ReturnType<typeof rowSpaceSplit> {
  const split = rowSpaceSplit(p.A, p.m, p.n, p.b, 1e-10);
  if (split.rank < p.m) {
    const scale = maxAbs(p.A) * (norm2(split.xMin) + 1) + norm2(p.b);
    if (split.residual > 1e-9 * scale) {
      throw new KktError(
        'b',
        'infeasible',
        `infeasible: A has rank ${split.rank} < m = ${p.m} and b is not in its range (least-squares residual ` +
          `||Ax - b|| = ${split.residual.toExponential(3)}), so Ax = b has no solution`,
      );
    }
    throw new KktError(
      'A',
      'rank-deficient',
      `A is rank-deficient (rank ${split.rank} < m = ${p.m}): Ax = b is solvable but the multiplier lambda* is not ` +
        `unique (the rows of A are linearly dependent); remove the redundant rows`,
    );
  }
  return split;
}

/** The KKT point of `p` to ~1e-15, with its residual. Throws KktError for bad or unsolvable input. */
export function solveKkt(p: Problem): KktPoint {
  const split = checkConstraints(p);
  let x: Float64Array;
  let lambda: Float64Array;
  let iterations = 0;
  let method: string;
  switch (p.objective.kind) {
    case 'quadratic':
      ({ x, lambda } = solveQuadratic(p, split.Z, split.xMin));
      method = 'null-space (exact)';
      break;
    case 'quartic':
    case 'holder': {
      const r = solveSeparableDual(p);
      x = r.x;
      lambda = r.lambda;
      iterations = r.iterations;
      method = 'dual damped Newton + primal-dual Newton polish';
      break;
    }
    default: {
      const r = nullSpaceNewton(p, split.Z, split.xMin);
      x = r.x;
      lambda = multiplierFor(p, x);
      iterations = r.iterations;
      method = 'null-space Newton + primal-dual Newton polish';
    }
  }
  iterations += polish(p, x, lambda);
  const { rs, rp } = residuals(p, x, lambda);
  const stationarity = maxAbs(rs);
  const feasibility = maxAbs(rp);
  const scale = 1 + maxAbs(objectiveGradient(p.objective, x)) + maxAbs(p.b);
  if (!(Math.max(stationarity, feasibility) <= 1e-8 * scale)) {
    throw new KktError(
      'objective',
      'not-converged',
      `the KKT solve did not converge (residual ${Math.max(stationarity, feasibility).toExponential(2)}); ` +
        `f may have no minimizer on {Ax = b}`,
    );
  }
  return { x, lambda, fStar: objectiveValue(p.objective, x), stationarity, feasibility, residual: Math.max(stationarity, feasibility), method, iterations };
}

function solveQuadratic(p: Problem, Z: Float64Array, x0: Float64Array): { x: Float64Array; lambda: Float64Array } {
  if (p.objective.kind !== 'quadratic') throw new Error('unreachable');
  const { n } = p;
  const { Q } = p.objective;
  let big = 0;
  let asym = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      big = Math.max(big, Math.abs(Q[i * n + j]));
      asym = Math.max(asym, Math.abs(Q[i * n + j] - Q[j * n + i]));
    }
  if (asym > 1e-12 * big) throw new KktError('objective.Q', 'bad-input', `objective.Q must be symmetric (|Q - Q^T| = ${asym.toExponential(2)})`);
  const eig = symmetricEigen(Q, n);
  if (eig.values[n - 1] < -1e-12 * big) {
    throw new KktError('objective.Q', 'bad-input', `objective.Q must be positive semidefinite (f convex); its smallest eigenvalue is ${eig.values[n - 1].toExponential(3)}`);
  }
  const r = n - p.m;
  const QZ = matMul(Q, Z, n, n, r);
  const H = matMul(transpose(Z, n, r), QZ, r, n, r);
  const L = cholesky(H, r);
  if (!L || !(Math.min(...Array.from({ length: r }, (_, i) => L[i * r + i])) > 1e-7 * Math.sqrt(big || 1))) {
    throw new KktError('objective.Q', 'unbounded', 'objective.Q is singular on the null space of A: f has no unique minimizer on {Ax = b}');
  }
  const g0 = objectiveGradient(p.objective, x0);
  const w = choleskySolve(L, r, matTVec(Z, n, r, g0).map((v) => -v));
  const x = Float64Array.from(x0, (v, i) => v + matVec(Z, n, r, w)[i]);
  return { x, lambda: multiplierFor(p, x) };
}

/**
 * Separable power objectives by damped Newton on the dual: minimise
 *   phi(lambda) = sum_i f_i^*(-u_i) + <b, lambda>,  u = A^T lambda,
 * whose gradient is -(A x(lambda) - b) with the explicit primal map
 *   quartic: x = c - cbrt(u),  f^*(y) = <c, y> + (3/4) |y|^(4/3),  Hessian weight |u|^(-2/3)/3
 *   holder:  x = c - u |u|,    f^*(y) = <c, y> + |y|^3 / 3,        Hessian weight 2 |u|
 * with Armijo backtracking (weights clamped to [1e-12, 1e12] where u_i ~ 0).
 */
function solveSeparableDual(p: Problem): { x: Float64Array; lambda: Float64Array; iterations: number } {
  const obj = p.objective;
  if (obj.kind !== 'quartic' && obj.kind !== 'holder') throw new Error('unreachable');
  const quartic = obj.kind === 'quartic';
  const { A, b, m, n } = p;
  const c = obj.c;
  const Ac = matVec(A, m, n, c);
  const xOf = (lam: Float64Array): Float64Array => {
    const u = matTVec(A, m, n, lam);
    return Float64Array.from(u, (v, i) => c[i] - (quartic ? Math.cbrt(v) : v * Math.abs(v)));
  };
  const phi = (lam: Float64Array): number => {
    const u = matTVec(A, m, n, lam);
    let s = 0;
    for (let i = 0; i < n; i++) s += quartic ? 0.75 * Math.abs(u[i]) ** (4 / 3) : Math.abs(u[i]) ** 3 / 3;
    for (let i = 0; i < m; i++) s -= (Ac[i] - b[i]) * lam[i];
    return s;
  };
  let lam = new Float64Array(m);
  let it = 0;
  for (; it < 200; it++) {
    const x = xOf(lam);
    const grad = matVec(A, m, n, x).map((v, i) => -(v - b[i]));
    if (maxAbs(grad) <= 1e-14 * (1 + maxAbs(b))) break;
    const u = matTVec(A, m, n, lam);
    const D = Float64Array.from(u, (v) => Math.min(1e12, Math.max(1e-12, quartic ? Math.abs(v) ** (-2 / 3) / 3 : 2 * Math.abs(v))));
    const H = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += A[i * n + k] * D[k] * A[j * n + k];
        H[i * m + j] = s;
      }
    let dir: Float64Array;
    try {
      dir = solveDense(H, m, grad.map((v) => -v));
    } catch {
      dir = grad.map((v) => -v);
    }
    const f0 = phi(lam);
    const slope = dir.reduce((s, v, i) => s + v * grad[i], 0);
    let step = 1;
    let next = lam;
    for (let ls = 0; ls < 80; ls++, step /= 2) {
      const cand = Float64Array.from(lam, (v, i) => v + step * dir[i]);
      if (phi(cand) <= f0 + 1e-4 * step * slope) {
        next = cand;
        break;
      }
    }
    if (next === lam) break;
    lam = next;
  }
  return { x: xOf(lam), lambda: lam, iterations: it };
}

/** Newton on w for f(x0 + Z w) with Armijo backtracking. */
function nullSpaceNewton(p: Problem, Z: Float64Array, x0: Float64Array): { x: Float64Array; iterations: number } {
  const { n, m } = p;
  const r = n - m;
  const f = (w: Float64Array): number => objectiveValue(p.objective, xOf(w));
  const xOf = (w: Float64Array): Float64Array => {
    const zw = matVec(Z, n, r, w);
    return Float64Array.from(x0, (v, i) => v + zw[i]);
  };
  let w = new Float64Array(r);
  let it = 0;
  for (; it < 300; it++) {
    const x = xOf(w);
    if (!(maxAbs(x) < 1e8)) {
      throw new KktError('objective', 'unbounded', `f has no minimizer on {Ax = b}: the Newton iterates run off to |x| = ${maxAbs(x).toExponential(2)}` + (p.objective.kind === 'exp' ? ' (exp: a minimizer needs some lambda with w - A^T lambda > 0)' : ''));
    }
    const g = matTVec(Z, n, r, objectiveGradient(p.objective, x));
    if (maxAbs(g) <= 1e-14 * (1 + maxAbs(objectiveGradient(p.objective, x)))) break;
    const H = objectiveHessian(p.objective, x);
    const HZ = matMul(H, Z, n, n, r);
    const RH = matMul(transpose(Z, n, r), HZ, r, n, r);
    const L = cholesky(RH, r);
    const dir = L ? choleskySolve(L, r, g.map((v) => -v)) : g.map((v) => -v);
    const f0 = f(w);
    const slope = dir.reduce((s, v, i) => s + v * g[i], 0);
    if (!(slope < 0)) break;
    let step = 1;
    let next = w;
    for (let ls = 0; ls < 80; ls++, step /= 2) {
      const cand = Float64Array.from(w, (v, i) => v + step * dir[i]);
      if (f(cand) <= f0 + 1e-4 * step * slope) {
        next = cand;
        break;
      }
    }
    if (next === w) break;
    w = next;
  }
  return { x: xOf(w), iterations: it };
}
