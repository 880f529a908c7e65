// Where things go on screen: the 2-D picture of points in R^d, shared by the three.js scene, the
// SVG overlay, the canvas fallback and the pointer handlers, so all layers agree to the pixel.
//
// d >= 2: the picture is the plane through `origin` spanned by the coordinate axes ax, ay (the user
// picks them). Particles and atoms are drawn by their (x_ax, x_ay) coordinates (an orthogonal
// projection); the potential and the score are evaluated on the slice origin + u e_ax + v e_ay,
// with origin = the centroid of all atoms (for d = 2 the slice is the whole plane).
// d = 1: horizontal axis x, vertical axis t on a log scale (t = T at the top, tMin at the bottom):
// each particle sits at the current t, its trail is its trajectory, and the colour map is the
// potential over the (x, t) plane. Chosen over "particle index" because it shows the quantity the
// lab is about: how -4t log u sharpens into d^2 and where trajectories go as t -> 0.

import type { Measure } from '../types';

// Bounds, ScreenMap and fitBounds are shared with other labs' pictures (src/labs/shared/view/screen-map.ts).
export { fitBounds, ScreenMap, type Bounds } from '../../shared/view/screen-map';

export interface Projection {
  d: number;
  ax: number;
  ay: number;
  /** Slice origin in R^d (the coordinates the picture does not show). */
  origin: Float64Array;
}

export function makeProjection(mu1: Measure, mu2: Measure, ax: number, ay: number): Projection {
  const d = mu1.d;
  const origin = new Float64Array(d);
  const n = mu1.n + mu2.n;
  for (const m of [mu1, mu2]) for (let j = 0; j < m.n; j++) for (let i = 0; i < d; i++) origin[i] += m.points[j * d + i] / n;
  const axc = d === 1 ? 0 : Math.min(Math.max(0, ax), d - 1);
  let ayc = d === 1 ? 0 : Math.min(Math.max(0, ay), d - 1);
  if (d > 1 && ayc === axc) ayc = axc === 0 ? 1 : 0;
  return { d, ax: axc, ay: ayc, origin };
}

/** t in [tMin, T] -> [0, 1] linear in tau = -log t; 1 at t = T (top), 0 at tMin. */
export function timeToY(t: number, T: number, tMin: number): number {
  return Math.log(t / tMin) / Math.log(T / tMin);
}

export function yToTime(y: number, T: number, tMin: number): number {
  return tMin * Math.pow(T / tMin, y);
}

/** 2-D picture coordinates of point j of a flat row-major array. */
export function projectPoint(p: Projection, x: ArrayLike<number>, j: number, yFor1d = 0): [number, number] {
  const base = j * p.d;
  if (p.d === 1) return [x[base], yFor1d];
  return [x[base + p.ax], x[base + p.ay]];
}

/** The slice point origin + u e_ax + v e_ay in R^d (d >= 2), written into out. */
export function slicePoint(p: Projection, u: number, v: number, out: Float64Array): Float64Array {
  out.set(p.origin);
  out[p.ax] = u;
  if (p.d > 1) out[p.ay] = v;
  return out;
}
