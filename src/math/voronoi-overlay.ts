// 2-D Voronoi cells and the overlay V1(a) ∩ V2(b) of two Voronoi diagrams, clipped to a box: the
// cells on which the small-time limit Phi_lam of the score-mixing lab is one quadratic.
//
// Cells are built as the box clipped by the bisector half-planes of each site's Delaunay neighbours
// (from d3-delaunay) rather than read from d3's cellPolygon: for collinear sites d3 triangulates a
// jittered copy and its cell vertices are then off by ~1e-7, while our bisectors come from the
// exact coordinates. Coincident sites are merged first (the first copy owns the cell).

import { Delaunay } from 'd3-delaunay';
import { clipConvex, clipHalfPlane, polygonArea, type Point2 } from './convex-clip';
import { coincidentRepresentatives } from './nearest';

export type Bounds = [number, number, number, number];

function boxPolygon([x0, y0, x1, y1]: Bounds): Point2[] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

/** The cell of site i: box ∩ {x : |x - p_i| <= |x - p_j|} over the given j. */
function cellFromNeighbours(xs: Float64Array, i: number, js: Iterable<number>, box: Point2[]): Point2[] {
  let poly = box;
  const px = xs[2 * i];
  const py = xs[2 * i + 1];
  for (const j of js) {
    if (j === i) continue;
    const qx = xs[2 * j];
    const qy = xs[2 * j + 1];
    // |x-p|^2 <= |x-q|^2  <=>  (q-p).x <= (q-p).(p+q)/2
    const nx = qx - px;
    const ny = qy - py;
    poly = clipHalfPlane(poly, nx, ny, (nx * (px + qx) + ny * (py + qy)) / 2);
    if (poly.length === 0) break;
  }
  return poly;
}

/**
 * Voronoi cell of every point (n*2 row-major) clipped to bounds [xmin, ymin, xmax, ymax], as an
 * open counter-clockwise vertex list. null for a later copy of a coincident site (its first copy
 * owns the cell) and for a cell that misses the box.
 */
export function voronoiPolygons(points: Float64Array, bounds: Bounds): (Point2[] | null)[] {
  const n = Math.floor(points.length / 2);
  const rep = coincidentRepresentatives(points, 2);
  const sites: number[] = [];
  for (let i = 0; i < n; i++) if (rep[i] === i) sites.push(i);
  const m = sites.length;
  const xs = new Float64Array(2 * m);
  sites.forEach((s, k) => {
    xs[2 * k] = points[2 * s];
    xs[2 * k + 1] = points[2 * s + 1];
  });
  const box = boxPolygon(bounds);
  const boxArea = polygonArea(box);
  const all = Array.from({ length: m }, (_, k) => k);
  const build = (useDelaunay: boolean): Point2[][] => {
    // d3 jitters collinear input in place: hand it a copy.
    const del = useDelaunay ? new Delaunay(xs.slice()) : null;
    return all.map((k) => cellFromNeighbours(xs, k, del ? del.neighbors(k) : all, box));
  };
  // Delaunay neighbours suffice in exact arithmetic; a float-misjudged near-cocircular flip could
  // drop one, leaving overlapping cells, which the area sum exposes: then use every site (O(m^2)).
  let cells = build(m > 2);
  if (m > 2) {
    const total = cells.reduce((s, c) => s + (c.length >= 3 ? polygonArea(c) : 0), 0);
    if (Math.abs(total - boxArea) > 1e-9 * Math.abs(boxArea)) cells = build(false);
  }
  const out: (Point2[] | null)[] = new Array(n).fill(null);
  sites.forEach((s, k) => {
    const c = cells[k];
    out[s] = c.length >= 3 && polygonArea(c) > 0 ? c : null;
  });
  return out;
}

export interface OverlayCell {
  /** Index in A of the cell's nearest A-atom (first copy of coincident atoms). */
  a: number;
  /** Index in B of the cell's nearest B-atom. */
  b: number;
  /** Open counter-clockwise vertex list of V1(a) ∩ V2(b) ∩ box. */
  polygon: Point2[];
}

/**
 * Non-empty cells V1(a) ∩ V2(b) of the overlay of the Voronoi diagrams of A and B (n*2 each),
 * clipped to bounds. Intersections of area <= 1e-14 of the box (shared edges or vertices) are
 * dropped. O(n1 n2) convex clips: fine for the lab's atom counts.
 */
export function overlayCells(A: Float64Array, B: Float64Array, bounds: Bounds): OverlayCell[] {
  const pa = voronoiPolygons(A, bounds);
  const pb = voronoiPolygons(B, bounds);
  const minArea = 1e-14 * Math.abs((bounds[2] - bounds[0]) * (bounds[3] - bounds[1]));
  const bbox = (p: Point2[]) => {
    const xs = p.map((v) => v[0]);
    const ys = p.map((v) => v[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  const bbA = pa.map((p) => (p ? bbox(p) : null));
  const bbB = pb.map((p) => (p ? bbox(p) : null));
  const out: OverlayCell[] = [];
  for (let a = 0; a < pa.length; a++) {
    const polyA = pa[a];
    const ba = bbA[a];
    if (!polyA || !ba) continue;
    for (let b = 0; b < pb.length; b++) {
      const polyB = pb[b];
      const bb = bbB[b];
      if (!polyB || !bb) continue;
      if (ba[0] > bb[2] || bb[0] > ba[2] || ba[1] > bb[3] || bb[1] > ba[3]) continue;
      const poly = clipConvex(polyA, polyB);
      if (poly.length >= 3 && polygonArea(poly) > minArea) out.push({ a, b, polygon: poly });
    }
  }
  return out;
}

export { nearestIndex } from './nearest';
