// Planar polygon helpers for the overlay-Voronoi diagram: Sutherland–Hodgman clipping against a
// convex polygon or a half-plane. Every polygon here is convex (Voronoi cells, boxes and their
// intersections), for which Sutherland–Hodgman is exact up to rounding and never creates
// spurious edges.

export type Point2 = [number, number];

/** Signed area (shoelace), positive for counter-clockwise vertex order with y up. */
export function polygonArea(poly: readonly Point2[]): number {
  let s = 0;
  for (let i = 0, n = poly.length; i < n; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % n];
    s += p[0] * q[1] - q[0] * p[1];
  }
  return s / 2;
}

/** Area centroid; falls back to the vertex mean for a degenerate (zero-area) polygon. */
export function polygonCentroid(poly: readonly Point2[]): Point2 {
  const n = poly.length;
  if (n === 0) return [NaN, NaN];
  // Shift to the first vertex so far-from-origin polygons keep their digits.
  const [ox, oy] = poly[0];
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) {
    const px = poly[i][0] - ox;
    const py = poly[i][1] - oy;
    const qx = poly[(i + 1) % n][0] - ox;
    const qy = poly[(i + 1) % n][1] - oy;
    const c = px * qy - qx * py;
    a += c;
    cx += (px + qx) * c;
    cy += (py + qy) * c;
  }
  if (a === 0) {
    let mx = 0;
    let my = 0;
    for (const p of poly) {
      mx += p[0];
      my += p[1];
    }
    return [mx / n, my / n];
  }
  return [ox + cx / (3 * a), oy + cy / (3 * a)];
}

/**
 * Keep the part of `poly` where nx*x + ny*y <= c (one Sutherland–Hodgman pass). Vertices on the
 * line count as inside, so a shared edge yields a zero-area sliver that callers filter by area.
 */
export function clipHalfPlane(poly: readonly Point2[], nx: number, ny: number, c: number): Point2[] {
  const out: Point2[] = [];
  const n = poly.length;
  for (let i = 0; i < n; i++) {
    const p = poly[i];
    const q = poly[(i + 1) % n];
    const fp = nx * p[0] + ny * p[1] - c;
    const fq = nx * q[0] + ny * q[1] - c;
    if (fp <= 0) out.push(p);
    // Proper crossing only (strict signs), so no duplicate vertex is emitted at a touching vertex.
    if ((fp < 0 && fq > 0) || (fp > 0 && fq < 0)) {
      const s = fp / (fp - fq);
      out.push([p[0] + s * (q[0] - p[0]), p[1] + s * (q[1] - p[1])]);
    }
  }
  return out;
}

/** Intersection of `subject` with the convex polygon `clip` (either orientation). */
export function clipConvex(subject: readonly Point2[], clip: readonly Point2[]): Point2[] {
  const m = clip.length;
  if (m < 3 || subject.length < 3) return [];
  const orient = polygonArea(clip) >= 0 ? 1 : -1;
  let out: Point2[] = subject.slice();
  for (let i = 0; i < m && out.length > 0; i++) {
    const e0 = clip[i];
    const e1 = clip[(i + 1) % m];
    const ex = e1[0] - e0[0];
    const ey = e1[1] - e0[1];
    if (ex === 0 && ey === 0) continue;
    // Inside of a CCW edge is its left side: cross(e, p - e0) >= 0, i.e. (ey, -ex).p <= (ey, -ex).e0.
    const nx = orient * ey;
    const ny = -orient * ex;
    out = clipHalfPlane(out, nx, ny, nx * e0[0] + ny * e0[1]);
  }
  return out;
}
