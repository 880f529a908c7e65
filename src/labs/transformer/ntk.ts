// NTK injectivity (NUMERICS.md "NTK"): the paper's condition is that the log-sum-exp functions
// F_i(z) = log E_{mu_i} exp(<z, y>) of the input sequences are linearly independent modulo affine
// functions. Tested numerically by tabulating F_i at multi-scale query points, projecting out
// span{1, z}, normalising columns and taking s_min/s_max by one-sided Jacobi SVD (accurate to
// ~1e-15 relative; the Gram matrix would square the condition number and floor at ~1e-8, the very
// threshold). Plus the empirical NTK of the simulated model, K = sum_{l,h} L H J_{l,h} J_{l,h}^T.

import { norm2, svdJacobi } from '../../math/linalg';
import { logSumExp } from '../../math/logsumexp';
import { normal } from '../../math/rng';
import { backward, forward, outputCount, readoutVjp } from './reference';
import type { FlowOptions, Heads, Readout, TokenBatch, TokenDistribution } from './types';

/** log((e^{u} - 1)/u) for u = z w, stably on both signs (the log of an interval's mean exp, minus z lo). */
function logMeanExpUnit(u: number): number {
  if (u === 0) return 0;
  // u > 0: (e^u - 1)/u = e^u (1 - e^-u)/u; u < 0: expm1(u)/u is in (0, 1].
  return u > 0 ? u + Math.log(-Math.expm1(-u) / u) : Math.log(Math.expm1(u) / u);
}

/** F_mu(z) in closed form, stably (log domain throughout). */
export function logSumExpFeature(mu: TokenDistribution, z: ArrayLike<number>): number {
  const d = mu.d;
  if (mu.kind === 'uniformBox') {
    let f = 0;
    for (let c = 0; c < d; c++) f += z[c] * mu.lo[c] + logMeanExpUnit(z[c] * (mu.hi[c] - mu.lo[c]));
    return f;
  }
  const C = mu.weights.length;
  const logits = new Float64Array(C);
  for (let i = 0; i < C; i++) {
    let l = Math.log(mu.weights[i]);
    if (mu.kind === 'discrete') for (let c = 0; c < d; c++) l += z[c] * mu.points[i * d + c];
    else {
      for (let r = 0; r < d; r++) {
        l += z[r] * mu.means[i * d + r];
        for (let c = 0; c < d; c++) l += 0.5 * z[r] * mu.covs[(i * d + r) * d + c] * z[c];
      }
    }
    logits[i] = l;
  }
  return logSumExp(logits);
}

/** Root second moment sqrt(E|y|^2): the data scale R0 of the query points. */
export function rootSecondMoment(mu: TokenDistribution): number {
  const d = mu.d;
  let s = 0;
  if (mu.kind === 'uniformBox') for (let c = 0; c < d; c++) s += (mu.lo[c] ** 2 + mu.lo[c] * mu.hi[c] + mu.hi[c] ** 2) / 3;
  else
    for (let i = 0; i < mu.weights.length; i++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += mu.kind === 'discrete' ? mu.points[i * d + c] ** 2 : mu.means[i * d + c] ** 2 + mu.covs[(i * d + c) * d + c];
      s += mu.weights[i] * t;
    }
  return Math.sqrt(s);
}

export interface LseTestOptions {
  /** Number of query points (default 4000). */
  points?: number;
  /** Scales s: point k is N(0, (s_{k mod S} / R0)^2 I) (default [0.5, 1.5, 4]). */
  scales?: number[];
  seed?: number;
  /** Dependent when s_min/s_max < threshold (default 1e-8). */
  threshold?: number;
  /** A column whose projection keeps less than this fraction of its norm is affine by itself (default 1e-8). */
  diracTol?: number;
}

export interface LseTestResult {
  independent: boolean;
  /** s_min/s_max of the projected, column-normalised table (over the non-Dirac columns). */
  ratio: number;
  singularValues: Float64Array;
  /** c with sum_i c_i F_i ~ affine: unit 2-norm, largest |entry| positive (e_i for a Dirac-like i). */
  dependency: Float64Array;
  /** Sequences whose F is affine to within diracTol (Dirac-like). */
  diracs: number[];
  R0: number;
}

/** Subtracts from a (length N) its component in the orthonormal columns of Qb (N x nb), twice. */
function projectOut(a: Float64Array, Qb: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++)
    for (const q of Qb) {
      let t = 0;
      for (let i = 0; i < a.length; i++) t += q[i] * a[i];
      for (let i = 0; i < a.length; i++) a[i] -= t * q[i];
    }
}

export function lseIndependence(mus: TokenDistribution[], o: LseTestOptions = {}): LseTestResult {
  const N = o.points ?? 4000;
  const scales = o.scales ?? [0.5, 1.5, 4];
  const seed = o.seed ?? 1;
  const threshold = o.threshold ?? 1e-8;
  const diracTol = o.diracTol ?? 1e-8;
  const d = mus[0].d;
  const m = mus.length;
  const R0 = Math.max(...mus.map(rootSecondMoment));
  // Query points z_k = (s_{k mod S} / R0) normal(seed, k, 0, j).
  const Z = new Float64Array(N * d);
  for (let k = 0; k < N; k++) for (let j = 0; j < d; j++) Z[k * d + j] = (scales[k % scales.length] / R0) * normal(seed, k, 0, j);
  // Orthonormal basis of span{1, z_1..z_d} by modified Gram-Schmidt with reorthogonalisation.
  const Qb: Float64Array[] = [];
  for (let c = -1; c < d; c++) {
    const col = Float64Array.from({ length: N }, (_, k) => (c < 0 ? 1 : Z[k * d + c]));
    projectOut(col, Qb);
    const nrm = norm2(col);
    Qb.push(col.map((v) => v / nrm));
  }
  const cols: Float64Array[] = [];
  const keep: number[] = [];
  const colNorms: number[] = [];
  const diracs: number[] = [];
  for (let i = 0; i < m; i++) {
    const a = Float64Array.from({ length: N }, (_, k) => logSumExpFeature(mus[i], Z.subarray(k * d, (k + 1) * d)));
    const before = norm2(a);
    projectOut(a, Qb);
    const after = norm2(a);
    if (!(after > diracTol * before)) {
      diracs.push(i);
      continue;
    }
    cols.push(a.map((v) => v / after));
    keep.push(i);
    colNorms.push(after);
  }
  const dependency = new Float64Array(m);
  let singularValues: Float64Array = new Float64Array(0);
  let ratio = 0;
  if (cols.length > 0) {
    const M = new Float64Array(N * cols.length);
    cols.forEach((c, j) => c.forEach((v, k) => (M[k * cols.length + j] = v)));
    const svd = svdJacobi(M, N, cols.length);
    singularValues = svd.values;
    const p = cols.length;
    ratio = svd.values[p - 1] / svd.values[0];
    if (diracs.length === 0) keep.forEach((i, j) => (dependency[i] = svd.V[j * p + p - 1] / colNorms[j]));
  }
  if (diracs.length > 0) dependency[diracs[0]] = 1;
  const nrm = norm2(dependency);
  // Sign: the largest |entry| positive; near-ties (a translate's (e_i - e_j)/sqrt 2) go to the
  // first index, so round-off in the SVD cannot flip the vector.
  const top = Math.max(...Array.from(dependency, Math.abs));
  const big = Math.max(0, dependency.findIndex((v) => Math.abs(v) >= (1 - 1e-9) * top));
  const sign = dependency[big] < 0 ? -1 : 1;
  for (let i = 0; i < m; i++) dependency[i] = (sign * dependency[i]) / (nrm || 1);
  return { independent: diracs.length === 0 && ratio >= threshold, ratio, singularValues, dependency, diracs, R0 };
}

export interface EmpiricalNtk {
  /** Number of outputs P (readoutOutputs' length). */
  P: number;
  /** P x P, K = L H J J^T (J: P x #params). */
  K: Float64Array;
  /** Smallest eigenvalue of K: L H s_min(J)^2 (0 when P exceeds the parameter count). */
  lambdaMin: number;
}

/** Sequence b of a batch as a batch of one (same layouts; the flow treats sequences independently). */
function sequenceOf(tb: TokenBatch, b: number): TokenBatch {
  const { n, d } = tb;
  return {
    batch: 1,
    n,
    d,
    x: tb.x.slice(b * n * d, (b + 1) * n * d),
    logPi: tb.logPi.slice(b * n, (b + 1) * n),
    query: tb.query ? tb.query.slice(b * d, (b + 1) * d) : null,
  };
}

/**
 * K = sum_{l,h} L H J_{l,h} J_{l,h}^T, row p of J from one backward pass with the unit cotangent
 * e_p. Sequences do not interact, so output p of sequence b only needs sequence b's flow: each
 * backward runs on that one sequence (B times cheaper than on the whole batch, same numbers).
 */
export function empiricalNtk(heads: Heads, tb: TokenBatch, r: Readout, opts: FlowOptions): EmpiricalNtk {
  const P = outputCount(r, tb);
  const nq = heads.Q.length;
  const nv = heads.V.length;
  const np = 2 * nq + nv;
  const J = new Float64Array(P * np);
  const perSequence = P / tb.batch;
  const e = new Float64Array(perSequence);
  for (let b = 0; b < tb.batch; b++) {
    const one = sequenceOf(tb, b);
    const traj = forward(heads, one, opts);
    for (let q = 0; q < perSequence; q++) {
      e.fill(0);
      e[q] = 1;
      const g = backward(heads, one, opts, traj, readoutVjp(r, one, e));
      const p = b * perSequence + q;
      J.set(g.dQ, p * np);
      J.set(g.dK, p * np + nq);
      J.set(g.dV, p * np + 2 * nq);
    }
  }
  const LH = heads.L * heads.H;
  const K = new Float64Array(P * P);
  for (let p = 0; p < P; p++)
    for (let q = 0; q <= p; q++) {
      let t = 0;
      for (let i = 0; i < np; i++) t += J[p * np + i] * J[q * np + i];
      K[p * P + q] = K[q * P + p] = LH * t;
    }
  const s = svdJacobi(J, P, np).values;
  return { P, K, lambdaMin: P > np ? 0 : LH * s[P - 1] ** 2 };
}
