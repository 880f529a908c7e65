// A k-d tree order of points in R^d: the points are split recursively at a median of the node's
// widest coordinate, into halves whose sizes are whole numbers of leaves (and of `group` leaves
// above that size), so that consecutive runs of `leaf` points (tiles) and of leaf * group points
// (groups of tiles) are the points of one tree node each: compact, non-overlapping boxes. Only the
// last leaf can be short. Used to cut a measure into tiles for the small-t culling
// (src/labs/score-mixing/cull-tiles.ts) and to group GPU queries by workgroup.
//
// Why not a Morton (Z-order) sort: a run of a fixed number of Morton-consecutive points that
// straddles a jump of the Z curve has a box spanning two distant cells; at 64-point tiles and
// 1,024-point groups in 2-D many runs do, and their large, overlapping boxes keep tiles that hold
// nothing near the query. Why not a library: kdbush (the well-kept static k-d index) is 2-D only
// and splits at index midpoints, not at multiples of a tile size.

/** The permutation (order[k] = index of the k-th point) of n points (n*d, row-major). */
export function kdOrder(points: ArrayLike<number>, d: number, leaf: number, group = 1): Uint32Array {
  if (!(Number.isInteger(d) && d >= 1)) throw new Error(`kd-order: d must be a positive integer, got ${d}`);
  if (!(Number.isInteger(leaf) && leaf >= 1)) throw new Error(`kd-order: leaf must be a positive integer, got ${leaf}`);
  if (!(Number.isInteger(group) && group >= 1)) throw new Error(`kd-order: group must be a positive integer, got ${group}`);
  if (points.length % d !== 0) throw new Error(`kd-order: points has length ${points.length}, not a multiple of d = ${d}`);
  const n = points.length / d;
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) throw new Error(`kd-order: point ${Math.floor(i / d)} coordinate ${i % d} is ${points[i]}, expected a finite number`);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Explicit stack of [lo, hi) nodes (the depth is about log2(n / leaf)).
  const stack: [number, number][] = [[0, n]];
  while (stack.length > 0) {
    const [lo, hi] = stack.pop()!;
    const leaves = Math.ceil((hi - lo) / leaf);
    if (leaves <= 1) continue;
    const leftLeaves = leaves > group ? group * Math.ceil(Math.ceil(leaves / group) / 2) : Math.ceil(leaves / 2);
    const mid = lo + leftLeaves * leaf;
    select(points, d, order, lo, hi, mid, widestAxis(points, d, order, lo, hi));
    stack.push([lo, mid], [mid, hi]);
  }
  return order;
}

function widestAxis(points: ArrayLike<number>, d: number, order: Uint32Array, lo: number, hi: number): number {
  let axis = 0;
  let widest = -1;
  for (let c = 0; c < d; c++) {
    let min = Infinity;
    let max = -Infinity;
    for (let k = lo; k < hi; k++) {
      const v = points[order[k] * d + c];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min > widest) {
      widest = max - min;
      axis = c;
    }
  }
  return axis;
}

/**
 * Rearranges order[lo, hi) so that the entries before `mid` have coordinate `axis` <= those from
 * `mid` on (quickselect with a median-of-three pivot and Hoare partition; expected linear time).
 * The keys are copied out once so the partition loops read one typed array, not points[order[k]].
 */
function select(points: ArrayLike<number>, d: number, order: Uint32Array, lo: number, hi: number, mid: number, axis: number): void {
  const keys = new Float64Array(hi - lo);
  for (let k = lo; k < hi; k++) keys[k - lo] = points[order[k] * d + axis];
  const idx = order.subarray(lo, hi);
  const swap = (a: number, b: number): void => {
    const t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
    const v = keys[a];
    keys[a] = keys[b];
    keys[b] = v;
  };
  const target = mid - lo;
  let left = 0;
  let right = hi - lo - 1;
  while (right > left) {
    // Median of three as the pivot, moved to `left`.
    const m = (left + right) >>> 1;
    if (keys[m] < keys[left]) swap(m, left);
    if (keys[right] < keys[left]) swap(right, left);
    if (keys[right] < keys[m]) swap(right, m);
    swap(m, left);
    const pivot = keys[left];
    let i = left;
    let j = right + 1;
    for (;;) {
      do i++;
      while (i <= right && keys[i] < pivot);
      do j--;
      while (keys[j] > pivot);
      if (i >= j) break;
      swap(i, j);
    }
    swap(left, j);
    // Now [left, j) <= pivot = keys[j] <= (j, right].
    if (j === target) return;
    if (j < target) left = j + 1;
    else right = j - 1;
  }
}
