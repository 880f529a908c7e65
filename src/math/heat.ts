// Heat flow of an empirical measure, u(t,x) = sum_j w_j G_t(x - y_j) with
// G_t(x) = (4 pi t)^(-d/2) exp(-|x|^2/(4t)) (d_t u = Laplacian u), in float64. This is the ground
// truth the GPU denoiser kernels are tested against, so it follows NUMERICS.md literally: direct
// form logits log w_j - |x - y_j|^2/(4t), online log-sum-exp, log u in the log domain.

import type { Measure } from './measure';
import { OnlineLogSumExp } from './logsumexp';

/**
 * Tweedie mean and log u at one point, reading x at x[xOff..] and writing the mean to out[outOff..].
 * Offsets let the samplers work on flat particle arrays without a subarray view per query.
 * `acc` is optional scratch so hot loops avoid one allocation per call.
 */
export function denoiseAt(
  m: Measure,
  t: number,
  x: ArrayLike<number>,
  xOff: number,
  out: Float64Array,
  outOff: number,
  acc: OnlineLogSumExp = new OnlineLogSumExp(),
): number {
  const { d, n, points, weights, logWeights } = m;
  const inv4t = 1 / (4 * t);
  acc.reset();
  for (let i = 0; i < d; i++) out[outOff + i] = 0;
  for (let j = 0; j < n; j++) {
    const base = j * d;
    let dist2 = 0;
    for (let i = 0; i < d; i++) {
      const diff = x[xOff + i] - points[base + i];
      dist2 += diff * diff;
    }
    const e = acc.add((logWeights ? logWeights[j] : Math.log(weights[j])) - dist2 * inv4t);
    const s = acc.scale;
    for (let i = 0; i < d; i++) out[outOff + i] = out[outOff + i] * s + e * points[base + i];
  }
  const inv = 1 / acc.sum;
  for (let i = 0; i < d; i++) out[outOff + i] *= inv;
  return acc.value - (d / 2) * Math.log(4 * Math.PI * t);
}

/**
 * Writes the Tweedie mean m(t,x) = E[Y | X_t = x] into out (length d) and returns log u(t,x),
 * normalising constant -(d/2) log(4 pi t) included. One pass gives both because they share the
 * softmax; callers needing the score or potential get it for free.
 */
export function denoise(m: Measure, t: number, x: ArrayLike<number>, out: Float64Array): number {
  return denoiseAt(m, t, x, 0, out, 0);
}

/** log u(t,x): kept in the log domain because u itself underflows to 0 at small t. */
export function logHeat(m: Measure, t: number, x: ArrayLike<number>): number {
  return denoise(m, t, x, new Float64Array(m.d));
}

/**
 * phi^t(x) = -4t log u(t,x), the heat-kernel potential; it tends to the squared distance to the
 * support as t -> 0 (Laplace-Varadhan), which is what the small-time analysis studies.
 */
export function heatPotential(m: Measure, t: number, x: ArrayLike<number>): number {
  return -4 * t * logHeat(m, t, x);
}

/** min_j |x - y_j|^2: the t -> 0 limit of heatPotential, used for the limit landscape Phi_lam. */
export function sqDistToSupport(m: Measure, x: ArrayLike<number>): number {
  const { d, n, points } = m;
  let best = Infinity;
  for (let j = 0; j < n; j++) {
    let dist2 = 0;
    for (let i = 0; i < d; i++) {
      const diff = x[i] - points[j * d + i];
      dist2 += diff * diff;
    }
    if (dist2 < best) best = dist2;
  }
  return best;
}

/**
 * grad log u = -(x - m(t,x))/(2t), written through the denoiser rather than by differentiating
 * log u, so it stays accurate where u underflows (small t, far-away x).
 */
export function scoreOf(m: Measure, t: number, x: ArrayLike<number>, out: Float64Array): void {
  denoise(m, t, x, out);
  const inv2t = 1 / (2 * t);
  for (let i = 0; i < m.d; i++) out[i] = -(x[i] - out[i]) * inv2t;
}
