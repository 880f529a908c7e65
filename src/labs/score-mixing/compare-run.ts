// Compare mode of the score-mixing lab (src/labs/compare.ts; NUMERICS.md "Compare mode"): lambda
// at B values side by side. The GPU steps all batches in one buffer (simulation.ts); this file
// holds what the runs around it share: the float64 reference per batch, the batch-major layout of
// the recorded frames, and the critical points per batch.
//
// Snapshot layout of a compared run (headless.ts, the page's export alike):
//   x                (B, frames, N, d)  f32 (GPU) | f64 (CPU)
//   critical_points  (B, Kmax, d) f64   batch b's stable critical points in rows [0, counts[b]),
//                                       the rest NaN (their number differs per lambda; Kmax is the
//                                       largest count, at least 1 so the array is never empty-shaped)
//   critical_counts  (B) i32            how many rows of critical_points[b] are points
// so numpy users read batch b's points as critical_points[b, :critical_counts[b]].

import { runReference, type SamplerOptions } from './reference';
import { stableCriticalPoints, type CriticalPoint } from './analysis';
import type { AdaptiveStats } from './adaptive';
import type { Measure } from './types';

/** (frames, B, N, d) row-major (one GPU frame holds every batch) to (B, frames, N, d). */
export function toBatchMajor<A extends Float32Array | Float64Array>(x: A, frames: number, batches: number, frameSize: number): A {
  if (x.length !== frames * batches * frameSize) throw new Error(`x has length ${x.length}, expected frames*batches*N*d = ${frames * batches * frameSize}`);
  if (batches === 1) return x;
  const out = new (x.constructor as new (n: number) => A)(x.length);
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < batches; b++) {
      const from = (f * batches + b) * frameSize;
      out.set(x.subarray(from, from + frameSize), (b * frames + f) * frameSize);
    }
  }
  return out;
}

function addStats(total: AdaptiveStats | null, s: AdaptiveStats | null): AdaptiveStats | null {
  if (!s) return total;
  if (!total) return { ...s };
  total.acceptedSteps += s.acceptedSteps;
  total.rejectedSteps += s.rejectedSteps;
  total.driftEvaluations += s.driftEvaluations;
  total.lockstepEvaluations += s.lockstepEvaluations;
  return total;
}

/**
 * The float64 reference of each batch (opts with lambda = lambdas[b], from the same x0 and seed),
 * x laid out (B, frames, N, d); stats summed over batches. onProgress gets the fraction of all batches.
 */
export function runReferenceBatches(
  opts: SamplerOptions,
  x0: Float64Array,
  record: number,
  lambdas: readonly number[],
  onProgress?: (f: number) => void,
): { t: Float64Array; x: Float64Array; steps: number[]; stats: AdaptiveStats | null } {
  const B = lambdas.length;
  const runs = lambdas.map((lambda, b) => {
    try {
      return runReference({ ...opts, lambda }, x0, record, onProgress && ((f) => onProgress((b + f) / B)));
    } catch (e) {
      // The reference's blow-up names the particle and lambda; add the batch.
      if (B > 1 && e instanceof Error) e.message = `batch ${b}: ${e.message}`;
      throw e;
    }
  });
  const x = new Float64Array(B * runs[0].x.length);
  runs.forEach((r, b) => x.set(r.x, b * r.x.length));
  const stats = runs.reduce<AdaptiveStats | null>((total, r) => addStats(total, r.stats), null);
  return { t: runs[0].t, x, steps: runs[0].steps, stats };
}

export interface BatchCriticalPoints {
  /** Per batch, stableCriticalPoints at its lambda. */
  perBatch: CriticalPoint[][];
  /** (B, kmax, d), NaN-padded. */
  points: Float64Array;
  /** (B) */
  counts: Int32Array;
  kmax: number;
}

/** The stable critical points of Phi_lambda for every batch's lambda, in the padded layout above. */
export function batchCriticalPoints(mu1: Measure, mu2: Measure, lambdas: readonly number[], d: number): BatchCriticalPoints {
  const perBatch = lambdas.map((lambda) => stableCriticalPoints(mu1, mu2, lambda));
  const kmax = Math.max(1, ...perBatch.map((c) => c.length));
  const points = new Float64Array(lambdas.length * kmax * d).fill(NaN);
  perBatch.forEach((cps, b) => cps.forEach((c, k) => points.set(c.x.subarray(0, d), (b * kmax + k) * d)));
  return { perBatch, points, counts: Int32Array.from(perBatch, (c) => c.length), kmax };
}
