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

import type { Measure } from './types';

export interface Bounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

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

/**
 * Data bounds covering the given 2-D points with a margin, widened to the canvas aspect ratio
 * (d >= 2, equal scales so circles stay round). For d = 1 the vertical range is the t axis [0, 1].
 */
export function fitBounds(xs: number[], ys: number[], aspect: number, oneD: boolean): Bounds {
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (!Number.isFinite(xMin) || !Number.isFinite(xMax)) [xMin, xMax] = [-1, 1];
  if (oneD) {
    const pad = Math.max(0.5, 0.15 * (xMax - xMin));
    return { xMin: xMin - pad, xMax: xMax + pad, yMin: -0.06, yMax: 1.04 };
  }
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [-1, 1];
  const pad = Math.max(0.5, 0.2 * Math.max(xMax - xMin, yMax - yMin));
  xMin -= pad;
  xMax += pad;
  yMin -= pad;
  yMax += pad;
  const cx = (xMin + xMax) / 2;
  const cy = (yMin + yMax) / 2;
  let w = xMax - xMin;
  let h = yMax - yMin;
  if (w / h < aspect) w = h * aspect;
  else h = w / aspect;
  return { xMin: cx - w / 2, xMax: cx + w / 2, yMin: cy - h / 2, yMax: cy + h / 2 };
}

/** Data <-> CSS pixel mapping of the canvas/overlay (y down on screen). */
export class ScreenMap {
  constructor(
    readonly bounds: Bounds,
    readonly width: number,
    readonly height: number,
  ) {}

  sx(x: number): number {
    return ((x - this.bounds.xMin) / (this.bounds.xMax - this.bounds.xMin)) * this.width;
  }

  sy(y: number): number {
    return ((this.bounds.yMax - y) / (this.bounds.yMax - this.bounds.yMin)) * this.height;
  }

  dataX(px: number): number {
    return this.bounds.xMin + (px / this.width) * (this.bounds.xMax - this.bounds.xMin);
  }

  dataY(py: number): number {
    return this.bounds.yMax - (py / this.height) * (this.bounds.yMax - this.bounds.yMin);
  }

  /** Data units per CSS pixel, horizontally. */
  get unitsPerPixel(): number {
    return (this.bounds.xMax - this.bounds.xMin) / this.width;
  }
}
