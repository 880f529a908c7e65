import { describe, expect, it } from 'vitest';
import { clipConvex, polygonArea, polygonCentroid, type Point2 } from '../../src/math/convex-clip';
import { nearestIndex } from '../../src/math/nearest';
import { overlayCells, voronoiPolygons, type Bounds } from '../../src/math/voronoi-overlay';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randomPoints = (r: () => number, n: number, [x0, y0, x1, y1]: Bounds) =>
  Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? x0 + (x1 - x0) * r() : y0 + (y1 - y0) * r()));

const boxArea = ([x0, y0, x1, y1]: Bounds) => (x1 - x0) * (y1 - y0);

describe('nearestIndex', () => {
  it('brute force in any d, ties to the smallest index', () => {
    const P = Float64Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 5, 5, 5]);
    expect(nearestIndex(P, 3, [0.9, 1, 1])).toBe(1);
    expect(nearestIndex(P, 3, [0, 0, 0])).toBe(0);
    expect(nearestIndex(P, 3, [2.5, 2.5, 2.5])).toBe(1);
    expect(nearestIndex(new Float64Array(0), 2, [0, 0])).toBe(-1);
  });
});

describe('convex clip', () => {
  it('intersects squares of either orientation and computes area and centroid', () => {
    const sq: Point2[] = [[0, 0], [2, 0], [2, 2], [0, 2]];
    const sh: Point2[] = [[1, 1], [1, 3], [3, 3], [3, 1]]; // clockwise
    const out = clipConvex(sq, sh);
    expect(Math.abs(polygonArea(out))).toBeCloseTo(1, 14);
    expect(polygonCentroid(out)).toEqual([1.5, 1.5]);
    expect(clipConvex(sq, [[5, 5], [6, 5], [6, 6]])).toEqual([]);
  });
});

describe('voronoiPolygons', () => {
  const bounds: Bounds = [-1, -2, 3, 2];
  it('partitions the box; each centroid is nearest its own site', () => {
    const r = rng(1);
    for (const n of [1, 2, 3, 10, 60]) {
      const P = randomPoints(r, n, [-1.5, -2.5, 3.5, 2.5]); // some sites outside the box
      const cells = voronoiPolygons(P, bounds);
      let area = 0;
      cells.forEach((c, i) => {
        if (!c) return;
        expect(polygonArea(c)).toBeGreaterThan(0); // counter-clockwise
        area += polygonArea(c);
        expect(nearestIndex(P, 2, polygonCentroid(c))).toBe(i);
      });
      expect(Math.abs(area - boxArea(bounds))).toBeLessThan(1e-9 * boxArea(bounds));
    }
  });

  it('collinear sites get exact bisectors', () => {
    const cells = voronoiPolygons(Float64Array.from([1, 5, 3, 5, 6, 5, 9, 5]), [0, 0, 10, 10]);
    const xs = cells.map((c) => [Math.min(...c!.map((p) => p[0])), Math.max(...c!.map((p) => p[0]))]);
    expect(xs).toEqual([[0, 2], [2, 4.5], [4.5, 7.5], [7.5, 10]]);
    const diag = voronoiPolygons(Float64Array.from([1, 1, 2, 2, 3, 3, 4, 4]), [0, 0, 10, 10]);
    expect(diag.reduce((s, c) => s + polygonArea(c!), 0)).toBeCloseTo(100, 12);
    // Site 1's cell is the strip 3 <= x + y <= 5.
    for (const [x, y] of diag[1]!) expect(Math.abs(x + y - 4)).toBeLessThanOrEqual(1 + 1e-12);
  });

  it('coincident sites: the first copy owns the cell', () => {
    const cells = voronoiPolygons(Float64Array.from([1, 1, 5, 5, 1, 1, 1, 1]), [0, 0, 10, 10]);
    expect(cells[2]).toBeNull();
    expect(cells[3]).toBeNull();
    expect(polygonArea(cells[0]!) + polygonArea(cells[1]!)).toBeCloseTo(100, 12);
    const one = voronoiPolygons(Float64Array.from([2, 2, 2, 2]), [0, 0, 10, 10]);
    expect(polygonArea(one[0]!)).toBe(100);
    expect(one[1]).toBeNull();
  });

  it('cocircular lattice sites', () => {
    const P: number[] = [];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) P.push(i, j);
    const cells = voronoiPolygons(Float64Array.from(P), [-0.5, -0.5, 5.5, 5.5]);
    cells.forEach((c) => expect(polygonArea(c!)).toBeCloseTo(1, 12));
  });
});

describe('overlayCells', () => {
  it('partitions the box; each centroid has the right nearest atoms', () => {
    const r = rng(2);
    const bounds: Bounds = [-2, -1, 2, 1.5];
    for (const [n1, n2] of [[1, 1], [1, 5], [4, 7], [25, 40]]) {
      const A = randomPoints(r, n1, bounds);
      const B = randomPoints(r, n2, bounds);
      const cells = overlayCells(A, B, bounds);
      let area = 0;
      const seen = new Set<string>();
      for (const { a, b, polygon } of cells) {
        const ar = polygonArea(polygon);
        expect(ar).toBeGreaterThan(0);
        area += ar;
        const c = polygonCentroid(polygon);
        expect(nearestIndex(A, 2, c)).toBe(a);
        expect(nearestIndex(B, 2, c)).toBe(b);
        expect(seen.has(`${a},${b}`)).toBe(false);
        seen.add(`${a},${b}`);
      }
      expect(Math.abs(area - boxArea(bounds))).toBeLessThan(1e-9 * boxArea(bounds));
    }
  });

  it('handles duplicates and collinear atoms, and A = B', () => {
    const bounds: Bounds = [0, 0, 4, 4];
    const A = Float64Array.from([1, 1, 1, 1, 3, 3, 2, 2]); // collinear with a duplicate
    const B = Float64Array.from([1, 3, 3, 1]);
    const cells = overlayCells(A, B, bounds);
    expect(cells.every((c) => c.a !== 1)).toBe(true);
    expect(cells.reduce((s, c) => s + polygonArea(c.polygon), 0)).toBeCloseTo(16, 12);
    for (const { a, b, polygon } of cells) {
      const c = polygonCentroid(polygon);
      expect([nearestIndex(A, 2, c), nearestIndex(B, 2, c)]).toEqual([a, b]);
    }
    const same = overlayCells(B, B, bounds);
    expect(same.map((c) => [c.a, c.b])).toEqual([[0, 0], [1, 1]]);
  });
});
