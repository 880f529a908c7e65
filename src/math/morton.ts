// Morton (Z-order) sort of points in R^d, 1 <= d <= 32: each coordinate is scaled to the points'
// bounding box, quantised to floor(32 / d) bits, and the bits are interleaved (most significant
// first) into one 32-bit key, so points close in the key order are close in space. Used to cut an
// empirical measure into spatially compact tiles and to group GPU queries so that a workgroup's
// queries are near each other (src/labs/score-mixing/culled-score.ts). For d > 3 each coordinate
// gets fewer bits (4 at d = 8): coarser, but tiles stay compact in every coordinate.

/** Bits per coordinate of the Morton key in R^d (floor(32 / d)). */
export function mortonBits(d: number): number {
  if (!(Number.isInteger(d) && d >= 1 && d <= 32)) throw new Error(`morton: d must be an integer in [1, 32], got ${d}`);
  return Math.floor(32 / d);
}

/** Morton keys (unsigned 32-bit) of n points (n*d, row-major), scaled to their bounding box. */
export function mortonKeys(points: ArrayLike<number>, d: number): Uint32Array {
  const bits = mortonBits(d);
  if (points.length % d !== 0) throw new Error(`morton: points has length ${points.length}, not a multiple of d = ${d}`);
  const n = points.length / d;
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      const v = points[i * d + c];
      if (!Number.isFinite(v)) throw new Error(`morton: point ${i} coordinate ${c} is ${v}, expected a finite number`);
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
  }
  const levels = 2 ** bits;
  const cell = new Uint32Array(d);
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) {
      const span = hi[c] - lo[c];
      // A flat coordinate (span 0) contributes zeros; the top cell is closed on the right.
      const q = span > 0 ? Math.floor(((points[i * d + c] - lo[c]) / span) * levels) : 0;
      cell[c] = Math.min(levels - 1, Math.max(0, q));
    }
    let key = 0;
    for (let b = bits - 1; b >= 0; b--) {
      for (let c = 0; c < d; c++) key = key * 2 + ((cell[c] >>> b) & 1);
    }
    keys[i] = key;
  }
  return keys;
}

/** The permutation that sorts the points by Morton key (ties by index): order[k] = original index. */
export function mortonOrder(points: ArrayLike<number>, d: number): Uint32Array {
  const keys = mortonKeys(points, d);
  const order = Uint32Array.from({ length: keys.length }, (_, i) => i);
  order.sort((a, b) => keys[a] - keys[b] || a - b);
  return order;
}
