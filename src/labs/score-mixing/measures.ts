// Conversion of user point sets (config, import) into the flat Measure the math works on.

import { OnlineLogSumExp } from '../../math/logsumexp';
import type { Measure, PointSetInput } from './types';

/** The smallest normal float64 (below it w_j / total loses precision, then underflows). */
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * Flattens points row-major and normalises the weights to sum 1 (uniform when absent), because
 * every formula in NUMERICS.md assumes probability weights. Input is assumed validated upstream
 * (point-sets.ts): non-empty, rectangular, finite, weights positive.
 */
export function toMeasure(input: PointSetInput): Measure {
  const n = input.points.length;
  const d = input.points[0].length;
  const points = new Float64Array(n * d);
  for (let j = 0; j < n; j++) for (let i = 0; i < d; i++) points[j * d + i] = input.points[j][i];
  const weights = new Float64Array(n);
  if (!input.weights) {
    weights.fill(1 / n);
    return { d, n, points, weights };
  }
  let total = 0;
  for (let j = 0; j < n; j++) total += input.weights[j];
  for (let j = 0; j < n; j++) weights[j] = input.weights[j] / total;
  if (weights.every((w) => w >= MIN_NORMAL)) return { d, n, points, weights };
  // Weights spanning more than the float64 range ([1e-300, 1, 1e300]): w_j / total underflows
  // (here 1e-600 -> 0, whose log would make the log-sum-exp NaN). The denoisers then read log
  // weights formed in the log domain, log w_j - log sum w, finite for every positive w_j; where
  // w_j / total is normal they equal log(w_j / total), the value used otherwise, bit for bit.
  const acc = new OnlineLogSumExp();
  for (let j = 0; j < n; j++) acc.add(Math.log(input.weights[j]));
  const logTotal = acc.value;
  const logWeights = Float64Array.from(weights, (w, j) => (w >= MIN_NORMAL ? Math.log(w) : Math.log(input.weights![j]) - logTotal));
  return { d, n, points, weights, logWeights };
}
