// Small dense float64 linear algebra for the labs' CPU side (KKT points, rank checks, the
// eigendecomposition the GPU's Cayley solve uses). Sizes are tiny (<= 32), so clarity and
// accuracy win over speed: Householder QR with column pivoting for ranks, null spaces and
// least squares; cyclic Jacobi for symmetric eigenproblems (accurate to a few ulps of the norm);
// Cholesky for SPD solves; Gaussian elimination with partial pivoting for indefinite systems
// (KKT matrices; LDL^T without pivoting is unstable there).
//
// Matrices are row-major Float64Array with explicit dimensions: M[i * cols + j].

export type Vec = Float64Array;

export function matVec(M: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, out: Float64Array = new Float64Array(rows)): Float64Array {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += M[i * cols + j] * x[j];
    out[i] = s;
  }
  return out;
}

/** M^T x for M rows x cols. */
export function matTVec(M: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, out: Float64Array = new Float64Array(cols)): Float64Array {
  out.fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += M[i * cols + j] * x[i];
  return out;
}

export function transpose(M: ArrayLike<number>, rows: number, cols: number): Vec {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = M[i * cols + j];
  return T;
}

/** A B for A (r x k), B (k x c). */
export function matMul(A: ArrayLike<number>, B: ArrayLike<number>, r: number, k: number, c: number): Vec {
  const C = new Float64Array(r * c);
  for (let i = 0; i < r; i++)
    for (let l = 0; l < k; l++) {
      const a = A[i * k + l];
      if (a !== 0) for (let j = 0; j < c; j++) C[i * c + j] += a * B[l * c + j];
    }
  return C;
}

export function norm2(x: ArrayLike<number>): number {
  let scale = 0;
  let ssq = 1;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a === 0) continue;
    if (scale < a) {
      ssq = 1 + ssq * (scale / a) ** 2;
      scale = a;
    } else ssq += (a / scale) ** 2;
  }
  return scale * Math.sqrt(ssq);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Lower-triangular L with S = L L^T, or null when S (n x n, symmetric) is not positive definite. */
export function cholesky(S: ArrayLike<number>, n: number): Vec | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = S[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] ** 2;
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = S[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** Solves L L^T x = b given the Cholesky factor L. */
export function choleskySolve(L: ArrayLike<number>, n: number, b: ArrayLike<number>): Vec {
  const y = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) y[i] -= L[i * n + k] * y[k];
    y[i] /= L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) y[i] -= L[k * n + i] * y[k];
    y[i] /= L[i * n + i];
  }
  return y;
}

/**
 * Solves M x = b (M n x n, any nonsingular) by Gaussian elimination with partial pivoting.
 * Throws when a pivot is exactly zero or below 1e-14 of the largest entry (numerically singular).
 */
export function solveDense(M: ArrayLike<number>, n: number, b: ArrayLike<number>): Vec {
  const a = Float64Array.from(M);
  const x = Float64Array.from(b);
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    const piv = a[p * n + c];
    if (!(Math.abs(piv) > 1e-14 * big)) throw new Error(`solveDense: matrix is numerically singular (pivot ${piv} at column ${c})`);
    if (p !== c) {
      for (let j = 0; j < n; j++) [a[c * n + j], a[p * n + j]] = [a[p * n + j], a[c * n + j]];
      [x[c], x[p]] = [x[p], x[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / piv;
      if (f === 0) continue;
      for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
      x[r] -= f * x[c];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= a[i * n + j] * x[j];
    x[i] = s / a[i * n + i];
  }
  return x;
}

export interface PivotedQR {
  rows: number;
  cols: number;
  /** rows x rows orthogonal. */
  Q: Vec;
  /** rows x cols upper triangular (of the permuted matrix), |R_00| >= |R_11| >= ... */
  R: Vec;
  /** M[:, perm[j]] is column j of the factored matrix: M P = Q R. */
  perm: number[];
  /** Numerical rank: diagonal entries |R_kk| > rtol * |R_00|. */
  rank: number;
}

/**
 * Householder QR in compact form, the one factorisation behind qrPivoted and svdJacobi's tall path.
 * Column j of the (permuted) matrix is A[j*m .. (j+1)*m) (contiguous); after step j its entries
 * above the diagonal are R's column j, and A[j*m + j .. (j+1)*m) holds the reflector
 * v_j = x - r_jj e_j with H_j = I - beta_j v_j v_j^T (r_jj = -sign(x_j) |x|: no cancellation in
 * x_j - r_jj; v^T v = 2 |x| (|x| + |x_j|)). A zero column gives H_j = I, r_jj = 0 (beta_j = 0).
 * With `pivot`, step j first swaps in the remaining column of largest norm (Businger-Golub).
 */
interface CompactQR {
  m: number;
  steps: number;
  A: Float64Array;
  beta: Float64Array;
  rdiag: Float64Array;
  /** Column j of the factored matrix is column perm[j] of M. */
  perm: number[];
}

function householderQR(M: ArrayLike<number>, m: number, n: number, pivot: boolean): CompactQR {
  const A = transpose(M, m, n);
  const steps = Math.min(m, n);
  const beta = new Float64Array(steps);
  const rdiag = new Float64Array(steps);
  const perm = Array.from({ length: n }, (_, j) => j);
  const tailNorm2 = (c: number, from: number): number => {
    let t = 0;
    for (let i = from; i < m; i++) t += A[c * m + i] ** 2;
    return t;
  };
  for (let j = 0; j < steps; j++) {
    if (pivot) {
      let best = j;
      let bestNorm = -1;
      for (let c = j; c < n; c++) {
        const t = tailNorm2(c, j);
        if (t > bestNorm) [best, bestNorm] = [c, t];
      }
      if (best !== j) {
        const tmp = A.slice(j * m, (j + 1) * m);
        A.copyWithin(j * m, best * m, (best + 1) * m);
        A.set(tmp, best * m);
        [perm[j], perm[best]] = [perm[best], perm[j]];
      }
    }
    const o = j * m;
    const alpha = Math.sqrt(tailNorm2(j, j));
    if (alpha === 0) continue;
    const xj = A[o + j];
    const r = xj > 0 ? -alpha : alpha;
    A[o + j] = xj - r;
    rdiag[j] = r;
    beta[j] = 1 / (alpha * (alpha + Math.abs(xj)));
    for (let k = j + 1; k < n; k++) {
      const ok = k * m;
      let t = 0;
      for (let i = j; i < m; i++) t += A[o + i] * A[ok + i];
      t *= beta[j];
      for (let i = j; i < m; i++) A[ok + i] -= t * A[o + i];
    }
  }
  return { m, steps, A, beta, rdiag, perm };
}

/** x <- Q x = H_0 H_1 .. H_{steps-1} x (length m). */
function applyQ(qr: CompactQR, x: Float64Array): void {
  const { m, A, beta } = qr;
  for (let j = qr.steps - 1; j >= 0; j--) {
    if (beta[j] === 0) continue;
    const o = j * m;
    let t = 0;
    for (let i = j; i < m; i++) t += A[o + i] * x[i];
    t *= beta[j];
    for (let i = j; i < m; i++) x[i] -= t * A[o + i];
  }
}

/** R (rows x cols, row-major, upper triangular) of a compact QR of a rows x cols matrix. */
function upperR(qr: CompactQR, rows: number, cols: number): Vec {
  const R = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < Math.min(j, rows); i++) R[i * cols + j] = qr.A[j * qr.m + i];
    if (j < qr.steps) R[j * cols + j] = qr.rdiag[j];
  }
  return R;
}

/** Householder QR with column pivoting (Businger-Golub): M P = Q R, rank-revealing. */
export function qrPivoted(M: ArrayLike<number>, rows: number, cols: number, rtol = 1e-12): PivotedQR {
  const qr = householderQR(M, rows, cols, true);
  const R = upperR(qr, rows, cols);
  const Q = new Float64Array(rows * rows);
  const e = new Float64Array(rows);
  for (let c = 0; c < rows; c++) {
    e.fill(0);
    e[c] = 1;
    applyQ(qr, e);
    for (let i = 0; i < rows; i++) Q[i * rows + c] = e[i];
  }
  const steps = qr.steps;
  const r0 = steps > 0 ? Math.abs(R[0]) : 0;
  let rank = 0;
  while (rank < steps && Math.abs(R[rank * cols + rank]) > rtol * r0 && r0 > 0) rank++;
  return { rows, cols, Q, R, perm: qr.perm, rank };
}

/** Numerical rank of M (rows x cols). */
export function rank(M: ArrayLike<number>, rows: number, cols: number, rtol = 1e-12): number {
  return qrPivoted(M, rows, cols, rtol).rank;
}

export interface RowSpaceSplit {
  /** Rank of A. */
  rank: number;
  /** n x (n - rank): orthonormal basis of null(A), row-major. */
  Z: Vec;
  /** Minimum-norm least-squares solution of A x = b. */
  xMin: Vec;
  /** ||A xMin - b||: zero (to rounding) iff b is in the range of A. */
  residual: number;
}

/**
 * For A (m x n): rank, an orthonormal null-space basis Z and the minimum-norm least-squares
 * solution of A x = b, from the pivoted QR of A^T (A^T P = Q R; range(A^T) = span Q[:, :r]).
 */
export function rowSpaceSplit(A: ArrayLike<number>, m: number, n: number, b: ArrayLike<number>, rtol = 1e-12): RowSpaceSplit {
  const qr = qrPivoted(transpose(A, m, n), n, m, rtol);
  const r = qr.rank;
  const Z = new Float64Array(n * (n - r));
  for (let i = 0; i < n; i++) for (let j = r; j < n; j++) Z[i * (n - r) + (j - r)] = qr.Q[i * n + j];
  // A P^T... : rows perm[j] of A equal (Q R[:, j])^T, so the equations for the pivoted rows j < r
  // read R[:r, j]^T y = b[perm[j]] with y = Q1^T x: forward substitution on R11^T.
  const y = new Float64Array(r);
  for (let j = 0; j < r; j++) {
    let s = b[qr.perm[j]];
    for (let i = 0; i < j; i++) s -= qr.R[i * m + j] * y[i];
    y[j] = s / qr.R[j * m + j];
  }
  const xMin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < r; j++) s += qr.Q[i * n + j] * y[j];
    xMin[i] = s;
  }
  const res = matVec(A, m, n, xMin);
  for (let i = 0; i < m; i++) res[i] -= b[i];
  return { rank: r, Z, xMin, residual: norm2(res) };
}

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  values: Vec;
  /** n x n, column j is the eigenvector of values[j] (row-major storage: V[i * n + j]). */
  vectors: Vec;
}

/** Cyclic Jacobi eigendecomposition of a symmetric S (n x n): S = V diag(values) V^T. */
export function symmetricEigen(S: ArrayLike<number>, n: number): SymmetricEigen {
  const a = Float64Array.from(S);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    if (off <= 1e-32 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

/**
 * Moore-Penrose pseudo-inverse (cols x rows) of M (rows x cols) via the eigendecomposition of
 * M^T M. Eigenvalues of M^T M are accurate to ~eps * sigma_max^2 only, so singular values below
 * max(rtol, 1e-7) * sigma_max count as zero (use qrPivoted for sharper rank decisions).
 */
export function pseudoInverse(M: ArrayLike<number>, rows: number, cols: number, rtol = 1e-7): Vec {
  const Mt = transpose(M, rows, cols);
  const { values, vectors } = symmetricEigen(matMul(Mt, M, cols, rows, cols), cols);
  const cut = Math.max(rtol * rtol, 1e-14) * Math.max(values[0], 0);
  // pinv = V diag(1/s^2) V^T M^T, restricted to s^2 > cut (rtol on singular values).
  const W = new Float64Array(cols * cols);
  for (let k = 0; k < cols; k++) {
    if (!(values[k] > cut) || values[k] <= 0) continue;
    const inv = 1 / values[k];
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) W[i * cols + j] += vectors[i * cols + k] * inv * vectors[j * cols + k];
  }
  return matMul(W, Mt, cols, cols, rows);
}

export interface Svd {
  /** Singular values, descending (min(rows, cols) of them). */
  values: Vec;
  /** rows x p (p = min(rows, cols)), orthonormal columns (row-major); a column is 0 where its value is 0. */
  U: Vec;
  /** cols x p, orthonormal columns (row-major): M = U diag(values) V^T. */
  V: Vec;
}

/**
 * Thin SVD by one-sided (Hestenes) Jacobi. Unlike the eigendecomposition of M^T M, which squares
 * the condition number (sigma_min below ~1e-8 sigma_max is lost), one-sided Jacobi rotates the
 * columns of M itself and computes every singular value with an error of a few ulps relative to
 * the column norms (Demmel-Veselic 1992): the tool for rank and independence tests. Wide M is
 * done via M^T; tall M (rows >= 2 cols) is reduced to its R factor first (svdViaQr), so the cost
 * is O(rows cols^2) for the QR plus O(sweeps cols^3) for the rotations.
 */
export function svdJacobi(M: ArrayLike<number>, rows: number, cols: number): Svd {
  if (rows < cols) {
    const t = svdJacobi(transpose(M, rows, cols), cols, rows);
    return { values: t.values, U: t.V, V: t.U };
  }
  if (rows >= 2 * cols && cols > 1) return svdViaQr(M, rows, cols);
  return jacobiColumns(M, rows, cols);
}

/**
 * Tall M (rows >= 2 cols): Householder QR first, M = Q R, then one-sided Jacobi on the cols x cols
 * R, U = Q U_R. Same singular values (Householder QR is backward stable column by column, which is
 * what keeps Jacobi's relative accuracy: Drmac-Veselic's preconditioning), and every Jacobi sweep
 * streams columns of length cols instead of rows: for the empirical NTK's 1536 x 256 J^T, ~6x faster.
 */
function svdViaQr(M: ArrayLike<number>, m: number, n: number): Svd {
  const qr = householderQR(M, m, n, false);
  const inner = jacobiColumns(upperR(qr, n, n), n, n);
  // U = Q [U_R; 0].
  const U = new Float64Array(m * n);
  const col = new Float64Array(m);
  for (let c = 0; c < n; c++) {
    col.fill(0);
    for (let i = 0; i < n; i++) col[i] = inner.U[i * n + c];
    applyQ(qr, col);
    for (let i = 0; i < m; i++) U[i * n + c] = col[i];
  }
  return { values: inner.values, U, V: inner.V };
}

/** One-sided Jacobi on the columns of M (rows >= cols). */
function jacobiColumns(M: ArrayLike<number>, rows: number, cols: number): Svd {
  const m = rows;
  const n = cols;
  // Column j of M is row j of A (contiguous), so each rotation streams two rows.
  const A = transpose(M, rows, cols);
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) W[i * n + i] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const ap = A[p * m + i];
          const aq = A[q * m + i];
          alpha += ap * ap;
          beta += aq * aq;
          gamma += ap * aq;
        }
        // Rotate only while the pair is not orthogonal to working precision.
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const ap = A[p * m + i];
          const aq = A[q * m + i];
          A[p * m + i] = c * ap - s * aq;
          A[q * m + i] = s * ap + c * aq;
        }
        for (let i = 0; i < n; i++) {
          const wp = W[p * n + i];
          const wq = W[q * n + i];
          W[p * n + i] = c * wp - s * wq;
          W[q * n + i] = s * wp + c * wq;
        }
      }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => norm2(A.subarray(j * m, (j + 1) * m)));
  const order = Array.from({ length: n }, (_, j) => j).sort((i, j) => norms[j] - norms[i]);
  const values = Float64Array.from(order, (j) => norms[j]);
  const U = new Float64Array(m * n);
  const V = new Float64Array(n * n);
  order.forEach((src, dst) => {
    const s = norms[src];
    for (let i = 0; i < m; i++) U[i * n + dst] = s > 0 ? A[src * m + i] / s : 0;
    for (let i = 0; i < n; i++) V[i * n + dst] = W[src * n + i];
  });
  return { values, U, V };
}
