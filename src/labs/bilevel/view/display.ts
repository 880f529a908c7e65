// The active-set map on the stage's canvas (Canvas 2D): the per-pixel codes (bits 0..3 active-set
// bitmask, bit 8 + c failure of condition c; from the GPU's `codes` buffer or the CPU reference)
// are painted into an N x N image, one colour per bitmask (palette.ts), and drawn scaled to the
// map rectangle without smoothing, so each grid pixel stays a crisp square. Failure sets are N x N
// masks drawn over it with a hatch per condition (LICQ white /, SCSC black \, SOSC magenta x).
// Also keeps what the legend and the toggles show: the bitmasks present and the failure counts.

import { CONDITIONS } from '../types';
import { HATCHES, hatchTile, setRgb } from './palette';
import type { MapFrame } from './geometry';

const MAP_BACKGROUND = '#1a1f27';

export class MapDisplay {
  private readonly ctx: CanvasRenderingContext2D;
  private n = 0;
  private image: ImageData | null = null;
  private readonly picture = document.createElement('canvas');
  private masks: ImageData[] = [];
  private readonly maskCanvases = CONDITIONS.map(() => document.createElement('canvas'));
  private readonly scratch = document.createElement('canvas');
  private codes = new Uint32Array(0);
  private setCounts = new Map<number, number>();
  private failCounts: [number, number, number] = [0, 0, 0];
  private patterns: (CanvasPattern | null)[] = [null, null, null];
  private patternDpr = 0;
  /** Rows (i1) painted so far. */
  rowsDrawn = 0;
  show: [boolean, boolean, boolean] = [true, true, true];

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('bilevel: Canvas 2D is not available for the map');
    this.ctx = ctx;
  }

  /** An empty N x N map. */
  reset(n: number): void {
    this.n = n;
    this.image = new ImageData(n, n);
    this.picture.width = this.picture.height = n;
    this.masks = CONDITIONS.map(() => new ImageData(n, n));
    this.codes = new Uint32Array(n * n);
    for (const c of this.maskCanvases) {
      c.width = c.height = n;
      c.getContext('2d')!.clearRect(0, 0, n, n);
    }
    this.picture.getContext('2d')!.clearRect(0, 0, n, n);
    this.setCounts = new Map();
    this.failCounts = [0, 0, 0];
    this.rowsDrawn = 0;
  }

  /** Paint rows [r0, r1) from their codes ((r1 - r0) * N u32, pixel (i1 - r0) * N + i2). */
  addRows(r0: number, r1: number, codes: Uint32Array): void {
    const { n, image } = this;
    if (!image || r1 <= r0) return;
    const px = image.data;
    this.codes.set(codes.subarray(0, (r1 - r0) * n), r0 * n);
    for (let i1 = r0; i1 < r1; i1++) {
      for (let i2 = 0; i2 < n; i2++) {
        const code = codes[(i1 - r0) * n + i2];
        const bits = code & 15;
        const at = ((n - 1 - i2) * n + i1) * 4;
        const [r, g, b] = setRgb(bits);
        px[at] = r;
        px[at + 1] = g;
        px[at + 2] = b;
        px[at + 3] = 255;
        this.setCounts.set(bits, (this.setCounts.get(bits) ?? 0) + 1);
        for (let c = 0; c < 3; c++) {
          const fail = (code >> (8 + c)) & 1;
          this.masks[c].data[at + 3] = fail ? 255 : 0;
          if (fail) this.failCounts[c]++;
        }
      }
    }
    const w = r1 - r0;
    this.picture.getContext('2d')!.putImageData(image, 0, 0, r0, 0, w, n);
    this.maskCanvases.forEach((c, k) => c.getContext('2d')!.putImageData(this.masks[k], 0, 0, r0, 0, w, n));
    this.rowsDrawn = Math.max(this.rowsDrawn, r1);
  }

  /** The code of pixel [i1, i2], null while its row is not painted. */
  codeAt(i1: number, i2: number): number | null {
    return i1 < this.rowsDrawn && i2 < this.n ? this.codes[i1 * this.n + i2] : null;
  }

  /** Bitmasks present so far with their pixel counts, most frequent first. */
  sets(): { bits: number; count: number }[] {
    return [...this.setCounts.entries()].map(([bits, count]) => ({ bits, count })).sort((a, b) => b.count - a.count || a.bits - b.bits);
  }

  /** Failure fractions over the pixels painted so far. */
  fractions(): [number, number, number] {
    const total = this.rowsDrawn * this.n;
    return this.failCounts.map((c) => (total ? c / total : 0)) as [number, number, number];
  }

  /** Canvas backing store for a stage of CSS size w x h. */
  resize(w: number, h: number): void {
    const dpr = this.dpr();
    const W = Math.max(1, Math.round(w * dpr));
    const H = Math.max(1, Math.round(h * dpr));
    if (this.canvas.width !== W) this.canvas.width = W;
    if (this.canvas.height !== H) this.canvas.height = H;
  }

  private dpr(): number {
    return Math.min(2, globalThis.devicePixelRatio || 1);
  }

  private pattern(c: number): CanvasPattern | null {
    const dpr = this.dpr();
    if (this.patternDpr !== dpr) {
      this.patterns = CONDITIONS.map((k) => this.ctx.createPattern(hatchTile(HATCHES[k], Math.round(6 * dpr)), 'repeat'));
      this.patternDpr = dpr;
    }
    return this.patterns[c];
  }

  draw(frame: MapFrame): void {
    const { ctx, canvas } = this;
    const dpr = canvas.width / Math.max(1, frame.stageWidth);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const x = Math.round(frame.left * dpr);
    const y = Math.round(frame.top * dpr);
    const w = Math.round(frame.right * dpr) - x;
    const h = Math.round(frame.bottom * dpr) - y;
    ctx.fillStyle = MAP_BACKGROUND;
    ctx.fillRect(x, y, w, h);
    if (!this.image) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.picture, x, y, w, h);
    const s = this.scratch;
    if (s.width !== canvas.width || s.height !== canvas.height) {
      s.width = canvas.width;
      s.height = canvas.height;
    }
    const sc = s.getContext('2d')!;
    // SOSC first: on the LP its set coincides with SCSC's, and the SCSC stripes stay visible over it.
    for (const c of [2, 1, 0]) {
      if (!this.show[c] || this.failCounts[c] === 0) continue;
      const pattern = this.pattern(c);
      if (!pattern) continue;
      sc.globalCompositeOperation = 'source-over';
      sc.clearRect(0, 0, s.width, s.height);
      sc.fillStyle = pattern;
      sc.fillRect(x, y, w, h);
      sc.globalCompositeOperation = 'destination-in';
      sc.imageSmoothingEnabled = false;
      sc.drawImage(this.maskCanvases[c], x, y, w, h);
      ctx.drawImage(s, 0, 0);
    }
  }
}
