// src/math/morton.ts: keys interleave the coordinates' bits (checked by hand in d = 2), the order
// is a permutation, and it makes tiles spatially compact (the point of sorting).

import { describe, expect, it } from 'vitest';
import { mortonBits, mortonKeys, mortonOrder } from '../../src/math/morton';
import { mulberry32 } from '../../src/math/mulberry32';

describe('morton', () => {
  it('interleaves the top bits of each coordinate, x first (d = 2, 16 bits each)', () => {
    // Box [0, 1]^2: (0,0) -> cell 0; (1,1) -> the top cell (all ones); (0.5, 0) -> x's top bit only.
    const keys = mortonKeys([0, 0, 1, 1, 0.5, 0, 0, 0.5], 2);
    expect(keys[0]).toBe(0);
    expect(keys[1]).toBe(0xffffffff);
    expect(keys[2]).toBe(0x80000000);
    expect(keys[3]).toBe(0x40000000);
    expect(mortonBits(2)).toBe(16);
    expect(mortonBits(8)).toBe(4);
  });

  it('orders the four quadrants in Z order (x the more significant bit) and breaks ties by index', () => {
    const pts = [0.9, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1];
    expect(Array.from(mortonOrder(pts, 2))).toEqual([1, 4, 3, 2, 0]);
  });

  it('is a permutation, and tiles of consecutive points are compact (d = 2 and 8)', () => {
    for (const d of [2, 8]) {
      const rand = mulberry32(7 + d);
      const n = 4096;
      const pts = Float64Array.from({ length: n * d }, () => rand());
      const order = mortonOrder(pts, d);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      // Mean bounding-box volume of tiles of 64 points: sorted far below unsorted.
      const meanVolume = (idx: ArrayLike<number>): number => {
        let total = 0;
        for (let s = 0; s < n; s += 64) {
          let vol = 1;
          for (let c = 0; c < d; c++) {
            let lo = Infinity;
            let hi = -Infinity;
            for (let k = s; k < s + 64; k++) {
              const v = pts[idx[k] * d + c];
              lo = Math.min(lo, v);
              hi = Math.max(hi, v);
            }
            vol *= hi - lo;
          }
          total += vol;
        }
        return total / (n / 64);
      };
      const identity = Array.from({ length: n }, (_, i) => i);
      expect(meanVolume(order)).toBeLessThan(0.2 * meanVolume(identity));
    }
  });

  it('refuses bad input naming what is wrong', () => {
    expect(() => mortonKeys([0, Number.NaN], 2)).toThrow(/coordinate 1 is NaN/);
    expect(() => mortonKeys([0, 1, 2], 2)).toThrow(/multiple of d = 2/);
    expect(() => mortonBits(0)).toThrow(/d must be/);
  });
});
