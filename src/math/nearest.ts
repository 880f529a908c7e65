// Brute-force nearest-atom queries in any dimension. The labs hold tens to a few hundred atoms, so
// a spatial index would cost more than it saves and brute force has no degenerate cases.

/** Squared distance between row i of `points` (n*d, row-major) and x (read from offset xo). */
export function dist2(points: ArrayLike<number>, i: number, d: number, x: ArrayLike<number>, xo = 0): number {
  let s = 0;
  const o = i * d;
  for (let k = 0; k < d; k++) {
    const v = points[o + k] - x[xo + k];
    s += v * v;
  }
  return s;
}

/**
 * Index of the row of `points` nearest to x; ties go to the smallest index, so coincident atoms
 * always resolve to their first copy (the convention voronoi-overlay and analysis share).
 * Returns -1 for an empty set.
 */
export function nearestIndex(points: Float64Array, d: number, x: ArrayLike<number>): number {
  const n = d > 0 ? Math.floor(points.length / d) : 0;
  let best = -1;
  let bestD = Infinity;
  for (let i = 0; i < n; i++) {
    const s = dist2(points, i, d, x);
    if (s < bestD) {
      bestD = s;
      best = i;
    }
  }
  return best;
}

/**
 * rep[i] = the smallest j whose row coincides with row i (squared distance <= tol2; tol2 = 0 means
 * bit-equal). Coincident atoms are one site for every geometric question asked of them.
 */
export function coincidentRepresentatives(points: Float64Array, d: number, tol2 = 0): Int32Array {
  const n = d > 0 ? Math.floor(points.length / d) : 0;
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    rep[i] = i;
    for (let j = 0; j < i; j++) {
      if (rep[j] === j && dist2(points, j, d, points, i * d) <= tol2) {
        rep[i] = j;
        break;
      }
    }
  }
  return rep;
}
