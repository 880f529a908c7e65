// Conversion of user point sets (config, import) into the flat Measure the math works on.

import type { Measure, PointSetInput } from './types';

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
  if (input.weights) {
    let total = 0;
    for (let j = 0; j < n; j++) total += input.weights[j];
    for (let j = 0; j < n; j++) weights[j] = input.weights[j] / total;
  } else {
    weights.fill(1 / n);
  }
  return { d, n, points, weights };
}
