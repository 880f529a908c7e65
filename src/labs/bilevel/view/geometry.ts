// Where the map sits on the stage: the rectangle of the x-box in CSS pixels (equal scales on x1
// and x2, so the picture keeps the box's true aspect), leaving room for the axes on the left and
// bottom and for the legend on the right when the stage is wide enough. Shared by the canvas,
// the SVG overlay and the pointer handlers, so every layer agrees to the pixel.

import type { GridConfig } from '../types';

const LEFT = 48;
const BOTTOM = 38;
const TOP = 26;
const RIGHT = 14;
/** Width kept for the legend right of the map when the stage is at least WIDE px wide. */
export const LEGEND_W = 230;
const WIDE = 620;

export class MapFrame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** The legend sits right of the map (true) or over its top-right corner (false). */
  readonly legendOutside: boolean;

  constructor(
    readonly grid: GridConfig,
    readonly stageWidth: number,
    readonly stageHeight: number,
  ) {
    this.legendOutside = stageWidth >= WIDE;
    const availW = Math.max(20, stageWidth - LEFT - RIGHT - (this.legendOutside ? LEGEND_W : 0));
    const availH = Math.max(20, stageHeight - TOP - BOTTOM);
    const aspect = (grid.x1[1] - grid.x1[0]) / (grid.x2[1] - grid.x2[0]);
    let w = availW;
    let h = w / aspect;
    if (h > availH) {
      h = availH;
      w = h * aspect;
    }
    this.width = w;
    this.height = h;
    this.left = LEFT + (availW - w) / 2;
    this.top = TOP + (availH - h) / 2;
  }

  get right(): number {
    return this.left + this.width;
  }
  get bottom(): number {
    return this.top + this.height;
  }

  /** x1 -> CSS px (horizontal). */
  sx(x1: number): number {
    const [lo, hi] = this.grid.x1;
    return this.left + ((x1 - lo) / (hi - lo)) * this.width;
  }

  /** x2 -> CSS px (vertical, up). */
  sy(x2: number): number {
    const [lo, hi] = this.grid.x2;
    return this.bottom - ((x2 - lo) / (hi - lo)) * this.height;
  }

  dataX1(px: number): number {
    const [lo, hi] = this.grid.x1;
    return lo + ((px - this.left) / this.width) * (hi - lo);
  }

  dataX2(py: number): number {
    const [lo, hi] = this.grid.x2;
    return lo + ((this.bottom - py) / this.height) * (hi - lo);
  }

  contains(px: number, py: number): boolean {
    return px >= this.left && px <= this.right && py >= this.top && py <= this.bottom;
  }

  /** The pixel [i1, i2] holding x (clamped to the grid). */
  pixelOf(x: readonly [number, number]): [number, number] {
    const { n, x1, x2 } = this.grid;
    const i1 = Math.floor(((x[0] - x1[0]) / (x1[1] - x1[0])) * n);
    const i2 = Math.floor(((x[1] - x2[0]) / (x2[1] - x2[0])) * n);
    return [Math.min(n - 1, Math.max(0, i1)), Math.min(n - 1, Math.max(0, i2))];
  }

  /** x clamped into the grid's box. */
  clamp(x: readonly [number, number]): [number, number] {
    const { x1, x2 } = this.grid;
    return [Math.min(x1[1], Math.max(x1[0], x[0])), Math.min(x2[1], Math.max(x2[0], x[1]))];
  }

  /** Pixel spacing in x1 and x2. */
  get spacing(): [number, number] {
    const { n, x1, x2 } = this.grid;
    return [(x1[1] - x1[0]) / n, (x2[1] - x2[0]) / n];
  }
}
