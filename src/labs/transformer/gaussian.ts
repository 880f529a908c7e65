// Closed-form depth dynamics of Gaussian token distributions (Castin et al.), the sharpest test of
// the forward solver. For y ~ N(m, S) the attention weights exp(<Qx, Ky>) = exp(<K^T Q x, y>) tilt
// the Gaussian to N(m + S K^T Q x, S), so one head's velocity is affine,
//   A_theta[mu](x) = V (m + S A x),   A = K^T Q  (d x d),
// and the mean over the heads of a layer is v(x) = b + M x with
//   b = (1/H) sum_h V_h m,   M = (1/H) sum_h V_h S A_h.
// An affine velocity keeps the law Gaussian: m' = b + M m, S' = M S + S M^T (NUMERICS.md
// "Gaussian closed form"). The discrete Euler/Heun steps of the particle flow are affine maps too,
// so with infinitely many tokens they push N(m, S) forward exactly: gaussianDiscrete.

import { cholesky, matMul, symmetricEigen, transpose } from '../../math/linalg';
import type { Heads, Stepper, TokenBatch } from './types';

export interface GaussianState {
  m: Float64Array;
  /** d x d covariance, row-major. */
  S: Float64Array;
}

/** v(x) = b + M x of layer l for the token law N(m, S). */
export function gaussianField(heads: Heads, l: number, g: GaussianState): { b: Float64Array; M: Float64Array } {
  const { H, k, d } = heads;
  const b = new Float64Array(d);
  const M = new Float64Array(d * d);
  for (let h = 0; h < H; h++) {
    const p = l * H + h;
    const Qh = heads.Q.subarray(p * k * d, (p + 1) * k * d);
    const Kh = heads.K.subarray(p * k * d, (p + 1) * k * d);
    const Vh = heads.V.subarray(p * d * d, (p + 1) * d * d);
    const A = matMul(transpose(Kh, k, d), Qh, d, k, d);
    const VSA = matMul(matMul(Vh, g.S, d, d, d), A, d, d, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        b[i] += (Vh[i * d + j] * g.m[j]) / H;
        M[i * d + j] += VSA[i * d + j] / H;
      }
    }
  }
  return { b, M };
}

/** (m', S') = (b + M m, M S + S M^T). */
function derivative(heads: Heads, l: number, g: GaussianState): GaussianState {
  const d = heads.d;
  const { b, M } = gaussianField(heads, l, g);
  const MS = matMul(M, g.S, d, d, d);
  const m = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    m[i] = b[i];
    for (let j = 0; j < d; j++) m[i] += M[i * d + j] * g.m[j];
  }
  return { m, S: MS.map((v, i) => v + MS[(i % d) * d + Math.floor(i / d)]) };
}

const axpy = (g: GaussianState, a: number, dg: GaussianState): GaussianState => ({
  m: g.m.map((v, i) => v + a * dg.m[i]),
  S: g.S.map((v, i) => v + a * dg.S[i]),
});

/**
 * The continuous-depth ODE (theta piecewise constant per layer), classical RK4 with `substeps`
 * per layer. Returns the states at s = l/L, l = 0..L.
 */
export function gaussianOde(heads: Heads, g0: GaussianState, substeps = 64): GaussianState[] {
  const out = [g0];
  const h = 1 / (heads.L * substeps);
  let g = g0;
  for (let l = 0; l < heads.L; l++) {
    for (let s = 0; s < substeps; s++) {
      const k1 = derivative(heads, l, g);
      const k2 = derivative(heads, l, axpy(g, h / 2, k1));
      const k3 = derivative(heads, l, axpy(g, h / 2, k2));
      const k4 = derivative(heads, l, axpy(g, h, k3));
      g = {
        m: g.m.map((v, i) => v + (h / 6) * (k1.m[i] + 2 * k2.m[i] + 2 * k3.m[i] + k4.m[i])),
        S: g.S.map((v, i) => v + (h / 6) * (k1.S[i] + 2 * k2.S[i] + 2 * k3.S[i] + k4.S[i])),
      };
    }
    out.push(g);
  }
  return out;
}

/** Push N(m, S) through x -> c + T x. */
function pushAffine(g: GaussianState, c: Float64Array, T: Float64Array, d: number): GaussianState {
  const m = Float64Array.from(c);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i] += T[i * d + j] * g.m[j];
  const S = matMul(matMul(T, g.S, d, d, d), transpose(T, d, d), d, d, d);
  return { m, S: S.map((v, i) => 0.5 * (v + S[(i % d) * d + Math.floor(i / d)])) };
}

/**
 * The law of the particle flow's discrete steps with infinitely many tokens: Euler
 * x -> x + dt (b + M x); Heun x -> x + dt/2 (v1(x) + v2(x + dt v1(x))), v2 the field of the
 * predictor's law. Both are affine, so N(m, S) is pushed forward exactly.
 */
export function gaussianDiscrete(heads: Heads, g0: GaussianState, stepper: Stepper): GaussianState[] {
  const d = heads.d;
  const dt = 1 / heads.L;
  const out = [g0];
  let g = g0;
  const eye = (a: number, M: Float64Array): Float64Array => M.map((v, i) => a * v + (i % (d + 1) === 0 ? 1 : 0));
  for (let l = 0; l < heads.L; l++) {
    const f1 = gaussianField(heads, l, g);
    const T1 = eye(dt, f1.M);
    const c1 = f1.b.map((v) => dt * v);
    if (stepper === 'euler') g = pushAffine(g, c1, T1, d);
    else {
      const f2 = gaussianField(heads, l, pushAffine(g, c1, T1, d));
      // x + dt/2 (b1 + M1 x + b2 + M2 (c1 + T1 x))
      const M2T1 = matMul(f2.M, T1, d, d, d);
      const T = eye(dt / 2, f1.M.map((v, i) => v + M2T1[i]));
      const c = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let t = f1.b[i] + f2.b[i];
        for (let j = 0; j < d; j++) t += f2.M[i * d + j] * c1[j];
        c[i] = (dt / 2) * t;
      }
      g = pushAffine(g, c, T, d);
    }
    out.push(g);
  }
  return out;
}

/** Gauss-Hermite rule for N(0, 1) by Golub-Welsch: nodes, weights (sum 1), exact to degree 2n-1. */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  const J = new Float64Array(n * n);
  for (let i = 0; i + 1 < n; i++) J[i * n + i + 1] = J[(i + 1) * n + i] = Math.sqrt(i + 1);
  const { values, vectors } = symmetricEigen(J, n);
  return { nodes: values, weights: Float64Array.from(values, (_, j) => vectors[j] ** 2) };
}

/**
 * One "sequence" whose tokens are the tensor Gauss-Hermite nodes m + chol(S) xi (nPerDim^d of
 * them) with log pi = log of the product weights: the particle flow on it computes every
 * softmax mean to quadrature accuracy, so its weighted moments track the closed form.
 */
export function gaussianQuadratureBatch(g: GaussianState, nPerDim: number): TokenBatch {
  const d = g.m.length;
  const C = cholesky(g.S, d);
  if (!C) throw new Error('gaussianQuadratureBatch: S is not positive definite');
  const { nodes, weights } = gaussHermite(nPerDim);
  const n = nPerDim ** d;
  const x = new Float64Array(n * d);
  const logPi = new Float64Array(n);
  const xi = new Float64Array(d);
  for (let t = 0; t < n; t++) {
    let rest = t;
    let lw = 0;
    for (let c = 0; c < d; c++) {
      const q = rest % nPerDim;
      rest = Math.floor(rest / nPerDim);
      xi[c] = nodes[q];
      lw += Math.log(weights[q]);
    }
    for (let i = 0; i < d; i++) {
      let v = g.m[i];
      for (let j = 0; j <= i; j++) v += C[i * d + j] * xi[j];
      x[t * d + i] = v;
    }
    logPi[t] = lw;
  }
  return { batch: 1, n, d, x, logPi, query: null };
}

/** pi-weighted mean and covariance of sequence b of a flow state (batch x rows x d). */
export function weightedMoments(tb: TokenBatch, rows: number, X: Float64Array, b = 0): GaussianState {
  const { n, d } = tb;
  const m = new Float64Array(d);
  const S = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const w = Math.exp(tb.logPi[b * n + i]);
    for (let c = 0; c < d; c++) m[c] += w * X[(b * rows + i) * d + c];
  }
  for (let i = 0; i < n; i++) {
    const w = Math.exp(tb.logPi[b * n + i]);
    for (let r = 0; r < d; r++)
      for (let c = 0; c < d; c++) S[r * d + c] += w * (X[(b * rows + i) * d + r] - m[r]) * (X[(b * rows + i) * d + c] - m[c]);
  }
  return { m, S };
}
