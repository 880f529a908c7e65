// A finitely supported (empirical) probability measure in the flat layout the float64 references
// and the GPU packers read: the heat flow u(t, x) = sum_j w_j G_t(x - y_j) of such a measure is
// what src/math/heat.ts evaluates.

/** A validated, flattened empirical measure: n atoms in R^d, weights summing to 1. */
export interface Measure {
  d: number;
  n: number;
  /** n*d, row-major. */
  points: Float64Array;
  /** n, positive, sum 1. */
  weights: Float64Array;
}
