// A finitely supported (empirical) probability measure in the flat layout the float64 references
// and the GPU packers read: the heat flow u(t, x) = sum_j w_j G_t(x - y_j) of such a measure is
// what src/math/heat.ts evaluates.

/** A validated, flattened empirical measure: n atoms in R^d, weights summing to 1. */
export interface Measure {
  d: number;
  n: number;
  /** n*d, row-major. */
  points: Float64Array;
  /** n, positive, sum 1 (a weight below ~1e-308 of the total underflows to 0 here). */
  weights: Float64Array;
  /**
   * n, log of the normalised weights formed in the log domain (log w_j - log sum w), finite for
   * every positive input weight; present only where some entry of `weights` underflowed
   * ([1e-300, 1, 1e300]). The denoisers (float64 and the GPU packer) read this when present,
   * else log(weights[j]).
   */
  logWeights?: Float64Array;
}
