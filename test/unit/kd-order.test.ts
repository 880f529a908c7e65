// src/math/kd-order.ts: the order is a permutation; it equals a naive k-d split (full sort along the
// widest axis at every node, sizes in whole leaves and groups) leaf for leaf; leaves and groups
// are tree nodes, so their boxes do not overlap; hostile input is refused.

import { describe, expect, it } from 'vitest';
import { kdOrder } from '../../src/math/kd-order';
import { mulberry32 } from '../../src/math/mulberry32';

/** The same tree by sorting every node (O(n log^2 n)): the leaves as sets of point indices. */
function naiveLeaves(points: Float64Array, d: number, leaf: number, group: number): number[][] {
  const out: number[][] = [];
  const split = (idx: number[]): void => {
    const leaves = Math.ceil(idx.length / leaf);
    if (leaves <= 1) {
      out.push([...idx].sort((a, b) => a - b));
      return;
    }
    let axis = 0;
    let widest = -1;
    for (let c = 0; c < d; c++) {
      const vs = idx.map((i) => points[i * d + c]);
      const w = Math.max(...vs) - Math.min(...vs);
      if (w > widest) [widest, axis] = [w, c];
    }
    const sorted = [...idx].sort((a, b) => points[a * d + axis] - points[b * d + axis]);
    const left = leaves > group ? group * Math.ceil(Math.ceil(leaves / group) / 2) : Math.ceil(leaves / 2);
    split(sorted.slice(0, left * leaf));
    split(sorted.slice(left * leaf));
  };
  split(Array.from({ length: points.length / d }, (_, i) => i));
  return out;
}

function boxes(points: Float64Array, d: number, order: Uint32Array, size: number): { lo: number[]; hi: number[] }[] {
  const out = [];
  for (let k = 0; k < order.length; k += size) {
    const lo = new Array<number>(d).fill(Infinity);
    const hi = new Array<number>(d).fill(-Infinity);
    for (let j = k; j < Math.min(order.length, k + size); j++) {
      for (let c = 0; c < d; c++) {
        lo[c] = Math.min(lo[c], points[order[j] * d + c]);
        hi[c] = Math.max(hi[c], points[order[j] * d + c]);
      }
    }
    out.push({ lo, hi });
  }
  return out;
}

describe('kdOrder', () => {
  it('is a permutation whose leaves equal the naive k-d split (d = 1, 2, 3, 8; n not a multiple of the leaf)', () => {
    for (const [d, n, leaf, group] of [[1, 300, 8, 1], [2, 1000, 16, 4], [3, 777, 8, 16], [8, 500, 16, 2], [2, 5, 64, 16]]) {
      const rand = mulberry32(11 * d + n);
      const pts = Float64Array.from({ length: n * d }, () => rand());
      const order = kdOrder(pts, d, leaf, group);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      const got: number[][] = [];
      for (let k = 0; k < n; k += leaf) got.push(Array.from(order.subarray(k, k + leaf)).sort((a, b) => a - b));
      expect(got, `d=${d} n=${n}`).toEqual(naiveLeaves(pts, d, leaf, group));
    }
  });

  it('makes tiles and groups of tiles tree nodes: their boxes do not overlap (clustered 2-D points)', () => {
    const rand = mulberry32(5);
    const d = 2;
    const n = 64 * 16 * 5 + 37;
    const pts = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const centre = i % 3;
      pts[i * d] = centre + 0.1 * rand();
      pts[i * d + 1] = 0.5 * centre + 0.1 * rand();
    }
    const order = kdOrder(pts, d, 64, 16);
    for (const size of [64, 1024]) {
      const bs = boxes(pts, d, order, size);
      for (let a = 0; a < bs.length; a++) {
        for (let b = a + 1; b < bs.length; b++) {
          const overlap = bs[a].lo.every((lo, c) => lo < bs[b].hi[c] && bs[b].lo[c] < bs[a].hi[c]);
          expect(overlap, `size ${size}: boxes ${a} and ${b} overlap`).toBe(false);
        }
      }
    }
  });

  it('keeps ties together deterministically and refuses bad input naming it', () => {
    const pts = new Float64Array(2 * 200).fill(1);
    expect(kdOrder(pts, 2, 16)).toEqual(kdOrder(pts, 2, 16));
    expect(() => kdOrder([0, Number.NaN], 2, 4)).toThrow(/point 0 coordinate 1 is NaN/);
    expect(() => kdOrder([0, 1, 2], 2, 4)).toThrow(/not a multiple of d = 2/);
    expect(() => kdOrder([0, 1], 2, 0)).toThrow(/leaf must be a positive integer/);
    expect(() => kdOrder([0, 1], 0, 4)).toThrow(/d must be a positive integer/);
  });
});
