// src/math/linalg.ts: small dense float64 linear algebra against exact constructions.

import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskySolve,
  matMul,
  matVec,
  norm2,
  pseudoInverse,
  qrPivoted,
  rank,
  rowSpaceSplit,
  solveDense,
  svdJacobi,
  symmetricEigen,
  transpose,
} from '../../src/math/linalg';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}
const randMat = (r: () => number, rows: number, cols: number) => Float64Array.from({ length: rows * cols }, r);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('linalg', () => {
  it('cholesky solves SPD systems and rejects indefinite ones', () => {
    const r = rng(1);
    const B = randMat(r, 5, 5);
    const S = matMul(B, transpose(B, 5, 5), 5, 5, 5);
    for (let i = 0; i < 5; i++) S[i * 5 + i] += 0.1;
    const x = randMat(r, 5, 1);
    const L = cholesky(S, 5);
    expect(L).not.toBeNull();
    expect(maxDiff(choleskySolve(L as Float64Array, 5, matVec(S, 5, 5, x)), x)).toBeLessThan(1e-12);
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });

  it('solveDense (partial pivoting) solves an indefinite KKT system; singular throws', () => {
    const K = Float64Array.from([2, 0, 1, 0, 0, 1, 1, 1, 0]); // [[H, a], [a^T, 0]], H singular
    const x = Float64Array.from([0.3, -1.2, 0.7]);
    expect(maxDiff(solveDense(K, 3, matVec(K, 3, 3, x)), x)).toBeLessThan(1e-14);
    expect(() => solveDense(Float64Array.from([1, 2, 2, 4]), 2, [1, 1])).toThrow(/singular/);
  });

  it('pivoted QR is orthogonal, reproduces M P and reveals the rank', () => {
    const r = rng(2);
    const M = matMul(randMat(r, 6, 3), randMat(r, 3, 5), 6, 3, 5); // rank 3
    const qr = qrPivoted(M, 6, 5);
    expect(qr.rank).toBe(3);
    const QtQ = matMul(transpose(qr.Q, 6, 6), qr.Q, 6, 6, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(Math.abs(QtQ[i * 6 + j] - (i === j ? 1 : 0))).toBeLessThan(1e-14);
    const QR = matMul(qr.Q, qr.R, 6, 6, 5);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 5; j++) expect(Math.abs(QR[i * 5 + j] - M[i * 5 + qr.perm[j]])).toBeLessThan(1e-14);
    expect(rank(randMat(r, 4, 7), 4, 7)).toBe(4);
  });

  it('rowSpaceSplit: null-space basis, minimum-norm solution, consistency residual', () => {
    const r = rng(3);
    const A = randMat(r, 3, 7);
    const b = randMat(r, 3, 1);
    const s = rowSpaceSplit(A, 3, 7, b);
    expect(s.rank).toBe(3);
    expect(s.residual).toBeLessThan(1e-14);
    expect(norm2(matMul(A, s.Z, 3, 7, 4))).toBeLessThan(1e-14);
    // Minimum norm: xMin is orthogonal to the null space.
    expect(norm2(matVec(transpose(s.Z, 7, 4), 4, 7, s.xMin))).toBeLessThan(1e-14);
    // Dependent rows, inconsistent b.
    const D = Float64Array.from([1, 2, 3, 2, 4, 6]);
    expect(rowSpaceSplit(D, 2, 3, [1, 2]).residual).toBeLessThan(1e-14);
    expect(rowSpaceSplit(D, 2, 3, [1, 3]).residual).toBeGreaterThan(0.1);
    expect(rowSpaceSplit(D, 2, 3, [1, 3]).rank).toBe(1);
  });

  it('symmetricEigen (Jacobi): S V = V diag, V orthogonal, eigenvalues descending and accurate', () => {
    const r = rng(4);
    const B = randMat(r, 6, 6);
    const S = matMul(B, transpose(B, 6, 6), 6, 6, 6);
    const { values, vectors } = symmetricEigen(S, 6);
    for (let k = 1; k < 6; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    const SV = matMul(S, vectors, 6, 6, 6);
    for (let i = 0; i < 6; i++) for (let k = 0; k < 6; k++) expect(Math.abs(SV[i * 6 + k] - values[k] * vectors[i * 6 + k])).toBeLessThan(1e-13 * values[0]);
    const VtV = matMul(transpose(vectors, 6, 6), vectors, 6, 6, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(Math.abs(VtV[i * 6 + j] - (i === j ? 1 : 0))).toBeLessThan(1e-14);
    expect(Array.from(symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2).values)).toEqual([3, 1].map((v) => expect.closeTo(v, 14)));
  });

  it('pseudoInverse satisfies the Penrose conditions on a rank-deficient matrix', () => {
    const r = rng(5);
    const M = matMul(randMat(r, 4, 2), randMat(r, 2, 5), 4, 2, 5);
    const P = pseudoInverse(M, 4, 5, 1e-10);
    const MPM = matMul(matMul(M, P, 4, 5, 4), M, 4, 4, 5);
    expect(maxDiff(MPM, M)).toBeLessThan(1e-12);
    const PMP = matMul(matMul(P, M, 5, 4, 5), P, 5, 5, 4);
    expect(maxDiff(PMP, P)).toBeLessThan(1e-10);
  });
});

describe('svdJacobi', () => {
  it('reconstructs tall and wide matrices with orthonormal factors', () => {
    const r = rng(7);
    // 9 x 4, 4 x 9 and 120 x 30 take the QR-first path (rows >= 2 cols), 6 x 4 the direct one;
    // the 120 x 30 case has a zero column (H_j = I, sigma = 0).
    for (const [m, n] of [[9, 4], [4, 9], [6, 4], [120, 30]]) {
      const M = randMat(r, m, n);
      if (n === 30) for (let i = 0; i < m; i++) M[i * n + 7] = 0;
      const { values, U, V } = svdJacobi(M, m, n);
      const p = Math.min(m, n);
      const US = Float64Array.from(U, (u, i) => u * values[i % p]);
      expect(maxDiff(matMul(US, transpose(V, n, p), m, p, n), M)).toBeLessThan(1e-14);
      const I = new Float64Array(p * p);
      for (let i = 0; i < p; i++) I[i * p + i] = 1;
      // U's column of a zero singular value is 0 (Svd contract), so compare U^T U with I minus that entry.
      const Iu = Float64Array.from(I, (v, i) => (v === 1 && values[i % p] === 0 ? 0 : v));
      expect(maxDiff(matMul(transpose(U, m, p), U, p, m, p), Iu)).toBeLessThan(1e-14);
      expect(maxDiff(matMul(transpose(V, n, p), V, p, n, p), I)).toBeLessThan(1e-14);
      for (let i = 1; i < p; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
    }
  });

  it('resolves singular values far below sqrt(eps) relative (the Gram matrix cannot)', () => {
    // M = U diag(1, 1e-3, 1e-10, 1e-13) W^T with exact orthogonal factors (Householder reflections).
    const m = 40;
    const n = 4;
    const sig = [1, 1e-3, 1e-10, 1e-13];
    const r = rng(3);
    const u = randMat(r, m, 1);
    const w = randMat(r, n, 1);
    const uu = u.reduce((a, b) => a + b * b, 0);
    const ww = w.reduce((a, b) => a + b * b, 0);
    const M = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += ((i === k ? 1 : 0) - (2 * u[i] * u[k]) / uu) * sig[k] * ((j === k ? 1 : 0) - (2 * w[j] * w[k]) / ww);
        M[i * n + j] = s;
      }
    const { values } = svdJacobi(M, m, n);
    // Entries of M carry ~1e-16 absolute rounding, so sigma is accurate to ~1e-16 absolute.
    sig.forEach((s, i) => expect(Math.abs(values[i] - s)).toBeLessThan(1e-15 + 1e-13 * s));
  });
});
