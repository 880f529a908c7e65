// "Canvas as PNG": the picture the user sees on the stage, i.e. the lab's canvas (WebGPU or 2-D)
// with the lab's SVG overlay (contours, cells, atoms, critical points, arrows, labels) on top.
//
// Two phases, because a WebGPU canvas can only be read in the task that rendered it:
//   captureStage(canvas, overlay)   synchronous, right after a rendered frame (FrameLoop.whenFramed):
//                                   copies the canvas into a 2-D canvas and serialises the overlay's
//                                   SVG (with the computed styles that affect painting inlined, so
//                                   stylesheet rules survive the trip through an <img>);
//   capture.toPng()                 asynchronous: decodes the SVG as an image, draws it on top and
//                                   encodes the PNG.
// The PNG has the canvas's pixel size (CSS size x devicePixelRatio); the SVG is scaled to match.
// HTML elements in the overlay are not drawn (none of the labs paints with them); the HUD and the
// banners (stage overlay) are deliberately left out.
//
// The video recording (stage-recorder.ts, overlay-raster.ts) composes its frames from the same
// pieces: drawStageCanvas each frame, serialiseOverlay + svgImage when the overlay changed.

/** Computed properties inlined into the serialised SVG: those that change how it paints. */
const PAINT_PROPERTIES = [
  'display',
  'visibility',
  'opacity',
  'fill',
  'fill-opacity',
  'fill-rule',
  'stroke',
  'stroke-opacity',
  'stroke-width',
  'stroke-dasharray',
  'stroke-dashoffset',
  'stroke-linecap',
  'stroke-linejoin',
  'paint-order',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'letter-spacing',
] as const;

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface SvgLayer {
  /** Standalone SVG document text. */
  text: string;
  /** Where it goes, in canvas pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface StageCapture {
  toPng(): Promise<Blob>;
}

/** Copies the canvas and serialises the overlay now; toPng() composes them later. */
export function captureStage(canvas: HTMLCanvasElement, overlay: HTMLElement | null): StageCapture {
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context for the PNG');
  drawStageCanvas(ctx, canvas, { x: 0, y: 0, width: out.width, height: out.height });
  const layers = overlay ? serialiseOverlay(overlay, canvas) : [];
  return {
    async toPng() {
      for (const layer of layers) ctx.drawImage(await svgImage(layer), layer.x, layer.y, layer.width, layer.height);
      return new Promise<Blob>((resolve, reject) =>
        out.toBlob((b) => (b ? resolve(b) : reject(new Error('the picture could not be encoded as PNG'))), 'image/png'),
      );
    },
  };
}

/** A rectangle in the pixels of the picture being composed. */
export interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The stage's background over the whole picture, then the lab's canvas into `at`. A WebGPU canvas
 * must be read in the task that rendered it (right after a frame).
 */
export function drawStageCanvas(ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement, at: Placement): void {
  // What shows through a transparent canvas on screen: the stage's background.
  const bg = canvas.parentElement ? getComputedStyle(canvas.parentElement).backgroundColor : '';
  const { width, height } = ctx.canvas;
  if (bg && bg !== 'transparent' && bg !== 'rgba(0, 0, 0, 0)') {
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, width, height);
  } else ctx.clearRect(0, 0, width, height);
  ctx.drawImage(canvas, at.x, at.y, at.width, at.height);
}

/** The overlay's outermost visible <svg> elements, as standalone documents placed over the canvas. */
export function serialiseOverlay(overlay: HTMLElement, canvas: HTMLCanvasElement): SvgLayer[] {
  const c = canvas.getBoundingClientRect();
  if (c.width <= 0 || c.height <= 0) return [];
  const sx = canvas.width / c.width;
  const sy = canvas.height / c.height;
  const layers: SvgLayer[] = [];
  for (const svg of Array.from(overlay.querySelectorAll('svg'))) {
    if (svg.parentElement?.closest('svg')) continue; // nested: drawn with its outermost svg
    const r = svg.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || getComputedStyle(svg).display === 'none') continue;
    const width = Math.max(1, Math.round(r.width * sx));
    const height = Math.max(1, Math.round(r.height * sy));
    layers.push({ text: standaloneSvg(svg, width, height), x: (r.left - c.left) * sx, y: (r.top - c.top) * sy, width, height });
  }
  return layers;
}

/** A copy of `svg` with painting styles inlined and an explicit pixel size (viewBox kept). */
function standaloneSvg(svg: SVGSVGElement, width: number, height: number): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const copies = [copy, ...Array.from(copy.querySelectorAll('*'))];
  originals.forEach((el, i) => {
    const target = copies[i] as SVGElement;
    const cs = getComputedStyle(el);
    // Layout styles of the page (position, width: 100%, cursor) mean nothing inside an image.
    target.removeAttribute('style');
    target.removeAttribute('class');
    const style = PAINT_PROPERTIES.map((p) => [p, cs.getPropertyValue(p)] as const)
      .filter(([, v]) => v !== '')
      .map(([p, v]) => `${p}:${v}`)
      .join(';');
    // Through the CSSOM: a style attribute set as text is refused by the Content-Security-Policy.
    if (style) target.style.cssText = style;
  });
  copy.setAttribute('xmlns', SVG_NS);
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  if (!copy.hasAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${svg.clientWidth || width} ${svg.clientHeight || height}`);
  return new XMLSerializer().serializeToString(copy);
}

/** One layer decoded as an image of its pixel size. */
export async function svgImage(layer: SvgLayer): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(new Blob([layer.text], { type: 'image/svg+xml' }));
  try {
    const img = new Image(layer.width, layer.height);
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}
