// Where tokens go in the trajectory picture (DOM-free; shared by the three.js scene, the Canvas 2D
// fallback and the SVG overlay so every layer agrees). A token's path through depth is the
// polyline X^0_i -> X^1_i -> ... -> X^L_i; each vertex becomes a 3-D picture point:
//   d = 1          (x, s·D)        in the plane: depth as the vertical axis
//   d = 2, colour  (x0, x1)        in the plane, depth shown by colour only (tokens editable here)
//   d = 2, axis    (x0, x1, s·D)   3-D (orbit), depth as the third axis
//   d >= 3         (x0, x1, x2)    3-D (orbit), the first three coordinates (said in the label)
// s = l/L is the depth time in [0, 1] and D stretches it to the data's extent so the box is not flat.

export type DepthMode = 'colour' | 'axis';

export interface PictureLayout {
  dims: 2 | 3;
  /** Picture axes x, y, z: a token coordinate, or DEPTH. z is unused when dims = 2. */
  axes: [number, number, number];
  /** Depth time s in [0, 1] is drawn as s * depthScale. */
  depthScale: number;
  /** What the picture shows, for its label. */
  label: string;
  /** Tokens of the selected sequence can be dragged (2-D pictures of the plane only). */
  editable: boolean;
}

export const DEPTH = -1;

export function pictureLayout(d: number, mode: DepthMode, spread: number): PictureLayout {
  const depthScale = 4 * (Number.isFinite(spread) && spread > 0 ? spread : 1);
  if (d === 1) return { dims: 2, axes: [0, DEPTH, DEPTH], depthScale, label: 'x (horizontal) against depth s (vertical), d = 1', editable: false };
  if (d === 2 && mode === 'colour') return { dims: 2, axes: [0, 1, DEPTH], depthScale, label: 'x₀, x₁; depth s as colour', editable: true };
  if (d === 2) return { dims: 3, axes: [0, 1, DEPTH], depthScale, label: 'x₀, x₁ and depth s as the third axis (drag to orbit)', editable: false };
  const more = d > 3 ? ` of d = ${d} (the first three coordinates)` : '';
  return { dims: 3, axes: [0, 1, 2], depthScale, label: `x₀, x₁, x₂${more}; depth s as colour (drag to orbit)`, editable: false };
}

/** Index of the picture point of (layer l, sequence b, row r) in picturePoints' output. */
export const pointIndex = (l: number, b: number, r: number, batch: number, rows: number): number => (l * batch + b) * rows + r;

/**
 * Picture points of every (layer, sequence, row): (L+1) x batch x rows x 3 floats. `states` is the
 * flow state (L+1) x batch x rows x d in the simulation's layout.
 */
export function picturePoints(states: ArrayLike<number>, L: number, batch: number, rows: number, d: number, layout: PictureLayout): Float32Array {
  const count = (L + 1) * batch * rows;
  const out = new Float32Array(count * 3);
  for (let l = 0; l <= L; l++) {
    const s = L > 0 ? l / L : 0;
    for (let q = 0; q < batch * rows; q++) {
      const src = (l * batch * rows + q) * d;
      const dst = (l * batch * rows + q) * 3;
      for (let a = 0; a < 3; a++) {
        const ax = layout.axes[a];
        out[dst + a] = a >= layout.dims ? 0 : ax === DEPTH ? s * layout.depthScale : states[src + ax];
      }
    }
  }
  return out;
}

export interface Box {
  min: [number, number, number];
  max: [number, number, number];
}

/** Bounding box of the finite points (a unit box around 0 when there are none). */
export function boundingBox(points: Float32Array): Box {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i + 2 < points.length; i += 3) {
    const x = points[i];
    const y = points[i + 1];
    const z = points[i + 2];
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) continue;
    if (x < min[0]) min[0] = x;
    if (y < min[1]) min[1] = y;
    if (z < min[2]) min[2] = z;
    if (x > max[0]) max[0] = x;
    if (y > max[1]) max[1] = y;
    if (z > max[2]) max[2] = z;
  }
  if (!(min[0] <= max[0])) return { min: [-1, -1, -1], max: [1, 1, 1] };
  return { min, max };
}

