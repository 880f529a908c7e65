// The initialisation error of the score-mixing sampler: the lab starts the flow at t = T from
// X(T) = sqrt(2T) z (the heat flow of a point mass at 0) instead of from the heat flow of the data,
// and this is what that costs at tMin, as a function of T. For each T, with the same normals z
// (initialParticles and sampleHeatFlow draw them from the same counters):
//   X(T) = sqrt(2T) z,   Y(T) = a + sqrt(2T) z,   a drawn by weight from the start measure nu,
// both carried to tMin by the float64 reference flow of the lab's ODE (convergence-reference.ts);
// the error is the rms over particles of |X(tMin) - Y(tMin)|, an upper bound on W2 of the two
// generated samples through this coupling.
// The start measure nu: for 0 <= lambda <= 1, the mixture lambda mu1 + (1 - lambda) mu2, whose heat
// flow lambda u1 + (1 - lambda) u2 is the mixture the theory's mixed score approximates; for
// lambda > 1 (guidance) that combination has negative weights, so nu = mu1 (the conditional
// measure guidance is applied to). Float64 on the CPU at a small particle count.

import { referenceFlow, rmsDistance } from './convergence-reference';
import { initialParticles, sampleHeatFlow } from './reference';
import type { Measure } from './types';

/** T values: the config's T times 2^j, j = -4..4, kept within the T parameter's range and above 2 tMin. */
export const INIT_T_FACTORS = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16];
/** Particles of the initialisation error (at most; fewer when the config has fewer). */
export const INIT_PARTICLES = 128;
/** Its flows need far less accuracy than the study's reference: errors here are >= ~1e-6. */
export const INIT_RTOL = 1e-9;

export interface InitErrorProblem {
  mu1: Measure;
  mu2: Measure;
  lambda: number;
  T: number;
  tMin: number;
  /** Range of the T parameter (params.ts). */
  TRange: [number, number];
  count: number;
  seed: number;
}

export interface InitErrorResult {
  T: Float64Array;
  error: Float64Array;
  startMeasure: string;
  particles: number;
}

/** The start measure nu described in the header, zero-weight atoms dropped. */
export function startMeasure(mu1: Measure, mu2: Measure, lambda: number): { measure: Measure; name: string } {
  if (lambda > 1 || lambda === 1) return { measure: mu1, name: lambda === 1 ? 'mu1' : 'mu1 (lambda > 1: guidance)' };
  if (lambda === 0) return { measure: mu2, name: 'mu2' };
  const d = mu1.d;
  const n = mu1.n + mu2.n;
  const points = new Float64Array(n * d);
  points.set(mu1.points, 0);
  points.set(mu2.points, mu1.n * d);
  const weights = new Float64Array(n);
  for (let j = 0; j < mu1.n; j++) weights[j] = lambda * mu1.weights[j];
  for (let j = 0; j < mu2.n; j++) weights[mu1.n + j] = (1 - lambda) * mu2.weights[j];
  return { measure: { d, n, points, weights }, name: 'lambda mu1 + (1 - lambda) mu2' };
}

/** The T values of the study for a config's T, tMin and the T parameter's range. */
export function initTimes(T: number, tMin: number, range: [number, number]): number[] {
  return INIT_T_FACTORS.map((f) => T * f).filter((t) => t >= range[0] && t <= range[1] && t > 2 * tMin);
}

export function initialisationError(p: InitErrorProblem, onT?: (done: number, total: number) => void): InitErrorResult {
  const times = initTimes(p.T, p.tMin, p.TRange);
  const count = Math.min(p.count, INIT_PARTICLES);
  const { measure, name } = startMeasure(p.mu1, p.mu2, p.lambda);
  const d = p.mu1.d;
  const error = new Float64Array(times.length);
  times.forEach((T, k) => {
    const x = initialParticles(d, T, { count, seed: p.seed });
    const y = sampleHeatFlow(measure, T, count, p.seed);
    const flow = { mu1: p.mu1, mu2: p.mu2, lambda: p.lambda, T, tMin: p.tMin };
    error[k] = rmsDistance(referenceFlow(flow, x, INIT_RTOL).x, referenceFlow(flow, y, INIT_RTOL).x, d);
    onT?.(k + 1, times.length);
  });
  return { T: Float64Array.from(times), error, startMeasure: name, particles: count };
}
