// CPU-side geometry for the overlay: projected critical points, overlay-Voronoi cells (d = 2)
// and score arrows. Arrows show the drift direction of the probability-flow ODE, i.e. the
// direction of the score s = -(x - m_lam)/(2t); their length is 2t|s| = |m_lam - x| (the
// distance to the mixed denoiser, which stays O(1) as t -> 0 while |s| blows up), capped at
// 45% of the arrow grid spacing. For d = 1 arrows live in the (x, t) plane and follow
// (dx/dtau, dy/dtau) with dx/dtau = -(x - m_lam)/2, so they are tangent to the trajectories.

import { overlayCells } from '../../../math/voronoi-overlay';
import { mixedDenoise } from '../reference';
import type { CriticalPoint } from '../analysis';
import type { Measure } from '../types';
import { slicePoint, yToTime, type Projection, type ScreenMap } from './geometry';
import type { Arrow } from './overlay';

export function projectedCriticalPoints(cps: CriticalPoint[], p: Projection, y1d: number): [number, number][] {
  return cps.map((c) => (p.d === 1 ? [c.x[0], y1d] : [c.x[p.ax], c.x[p.ay]]));
}

export function cellPolygons(mu1: Measure, mu2: Measure, map: ScreenMap): [number, number][][] {
  if (mu1.d !== 2) return [];
  const b = map.bounds;
  return overlayCells(mu1.points, mu2.points, [b.xMin, b.yMin, b.xMax, b.yMax]).map((c) => c.polygon as [number, number][]);
}

export function scoreArrows(
  mu1: Measure,
  mu2: Measure,
  lambda: number,
  t: number,
  T: number,
  tMin: number,
  p: Projection,
  map: ScreenMap,
): Arrow[] {
  const spacingPx = 34;
  const cols = Math.max(4, Math.floor(map.width / spacingPx));
  const rows = Math.max(4, Math.floor(map.height / spacingPx));
  // Keep the CPU cost bounded for large atom sets.
  const budget = 4e6 / Math.max(1, (mu1.n + mu2.n) * p.d);
  const stride = Math.max(1, Math.ceil(Math.sqrt((cols * rows) / Math.max(16, budget))));
  const out: Arrow[] = [];
  const x = new Float64Array(p.d);
  const m = new Float64Array(p.d);
  const cap = 0.45 * spacingPx * stride;
  const b = map.bounds;
  for (let r = 0; r < rows; r += stride) {
    for (let c = 0; c < cols; c += stride) {
      const px = (c + 0.5) * (map.width / cols);
      const py = (r + 0.5) * (map.height / rows);
      const u = map.dataX(px);
      const v = map.dataY(py);
      let vx: number;
      let vy: number;
      if (p.d === 1) {
        if (v < 0 || v > 1) continue;
        const tt = yToTime(v, T, tMin);
        x[0] = u;
        mixedDenoise(mu1, mu2, lambda, tt, x, m);
        vx = -(u - m[0]) / 2;
        vy = -1 / Math.log(T / tMin);
      } else {
        slicePoint(p, u, v, x);
        mixedDenoise(mu1, mu2, lambda, t, x, m);
        vx = m[p.ax] - u;
        vy = m[p.ay] - v;
      }
      // To pixels (y up), cap, back to data units.
      const sx = (vx / (b.xMax - b.xMin)) * map.width;
      const sy = (vy / (b.yMax - b.yMin)) * map.height;
      const len = Math.hypot(sx, sy);
      if (!(len > 0) || !Number.isFinite(len)) continue;
      const lenPx = p.d === 1 ? cap : Math.min(cap, len);
      const k = lenPx / len;
      out.push({ x: u, y: v, dx: ((sx * k) / map.width) * (b.xMax - b.xMin), dy: ((sy * k) / map.height) * (b.yMax - b.yMin) });
    }
  }
  return out;
}
