// Sample moments and their Monte Carlo standard errors for the SDE part of the score-mixing
// convergence study (convergence-sde.ts): the weak error of the first two moments,
//   |mean_h - mean_ref|  and  ||M2_h - M2_ref||_F,   M2 = E[X X^T],
// and, next to each, the standard error of that difference from the sample itself:
//   mean:  sqrt(sum_i Var(X_i) / N)          (the rms size of mean_h - E mean_h)
//   M2:    sqrt(sum_ij Var(X_i X_j) / N)     (the same for the entries of M2_h)
// A sampled reference adds its own (independent) standard error in quadrature.

import type { Measure } from './types';

export interface Moments {
  d: number;
  /** d */
  mean: Float64Array;
  /** d x d row-major, E[X X^T]. */
  second: Float64Array;
  /** Standard errors of mean and second as estimates (0 for exact moments). */
  meanSe: number;
  secondSe: number;
}

/** Sample mean, second moment and their standard errors of count*d row-major particles. */
export function sampleMoments(x: ArrayLike<number>, d: number): Moments {
  const n = x.length / d;
  const mean = new Float64Array(d);
  const second = new Float64Array(d * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i++) {
      const xi = x[p * d + i];
      mean[i] += xi;
      for (let j = 0; j < d; j++) second[i * d + j] += xi * x[p * d + j];
    }
  }
  for (let i = 0; i < d; i++) mean[i] /= n;
  for (let k = 0; k < d * d; k++) second[k] /= n;
  // Second pass for the variances (centred sums: one pass of raw sums loses digits).
  let varMean = 0;
  let varSecond = 0;
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i++) {
      const xi = x[p * d + i];
      varMean += (xi - mean[i]) ** 2;
      for (let j = 0; j < d; j++) varSecond += (xi * x[p * d + j] - second[i * d + j]) ** 2;
    }
  }
  const dof = Math.max(1, n - 1);
  return { d, mean, second, meanSe: Math.sqrt(varMean / dof / n), secondSe: Math.sqrt(varSecond / dof / n) };
}

/**
 * Exact moments of the heat flow u(t) = mu * G_t (G_t = N(0, 2t I)):
 * mean sum_j w_j a_j, second moment sum_j w_j a_j a_j^T + 2t I.
 */
export function heatFlowMoments(mu: Measure, t: number): Moments {
  const { d, n, points, weights } = mu;
  const mean = new Float64Array(d);
  const second = new Float64Array(d * d);
  for (let a = 0; a < n; a++) {
    const w = weights[a];
    for (let i = 0; i < d; i++) {
      mean[i] += w * points[a * d + i];
      for (let j = 0; j < d; j++) second[i * d + j] += w * points[a * d + i] * points[a * d + j];
    }
  }
  for (let i = 0; i < d; i++) second[i * d + i] += 2 * t;
  return { d, mean, second, meanSe: 0, secondSe: 0 };
}

export interface WeakError {
  mean: number;
  second: number;
  /** Standard errors of the two differences (quadrature sum of both sides'). */
  meanSe: number;
  secondSe: number;
}

/** |mean_a - mean_b|, ||M2_a - M2_b||_F and their standard errors. */
export function weakError(a: Moments, b: Moments): WeakError {
  let dm = 0;
  let ds = 0;
  for (let i = 0; i < a.d; i++) dm += (a.mean[i] - b.mean[i]) ** 2;
  for (let k = 0; k < a.d * a.d; k++) ds += (a.second[k] - b.second[k]) ** 2;
  return {
    mean: Math.sqrt(dm),
    second: Math.sqrt(ds),
    meanSe: Math.hypot(a.meanSe, b.meanSe),
    secondSe: Math.hypot(a.secondSe, b.secondSe),
  };
}
