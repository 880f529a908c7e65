// Where things go on screen for a 2-D picture: data bounds, the data <-> CSS pixel map shared by
// a lab's three.js scene, SVG overlay, Canvas 2D fallback and pointer handlers (so all layers agree
// to the pixel), and bounds fitted around a set of points at the canvas aspect ratio.

export interface Bounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
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
