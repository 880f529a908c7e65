// No-WebGPU fallback picture (shared by the labs): the same layers as particle-scene.ts (colour map, trails, particles)
// drawn with Canvas 2D from CPU arrays. Used only when host.gpu is null, where the float64
// reference runs at reduced particle count, so per-frame CPU drawing is affordable.

import type { BatchColours } from './particle-scene';
import { ScreenMap, type Bounds } from './screen-map';

export class CanvasPicture {
  private readonly ctx: CanvasRenderingContext2D;
  private field: HTMLCanvasElement | null = null;
  private fieldBounds: Bounds | null = null;
  private bounds: Bounds = { xMin: -1, xMax: 1, yMin: -1, yMax: 1 };
  showTrails = true;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('Canvas 2D is not available for the no-WebGPU fallback');
    this.ctx = ctx;
  }

  resize(width: number, height: number): void {
    const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
  }

  setBounds(b: Bounds): void {
    this.bounds = b;
  }

  setFieldImage(rgba: Uint8Array, width: number, height: number, b: Bounds): void {
    const c = this.field ?? document.createElement('canvas');
    c.width = width;
    c.height = height;
    const img = new ImageData(width, height);
    // Grid row 0 is the bottom; ImageData row 0 is the top.
    for (let r = 0; r < height; r++) img.data.set(rgba.subarray((height - 1 - r) * width * 4, (height - r) * width * 4), r * width * 4);
    c.getContext('2d')!.putImageData(img, 0, 0);
    this.field = c;
    this.fieldBounds = b;
  }

  /**
   * positions: count*2 picture coordinates; trail: ring of past frames (newest first), each
   * count*2. NaN coordinates are skipped. `batches` (compare mode): consecutive batches of particles,
   * each drawn (particles and trails) in its own colour, as ParticleScene does.
   */
  draw(positions: Float32Array, trail: Float32Array[], batches?: BatchColours): void {
    const { ctx, canvas } = this;
    const map = new ScreenMap(this.bounds, canvas.width, canvas.height);
    ctx.fillStyle = '#101018';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (this.field && this.fieldBounds) {
      const fb = this.fieldBounds;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.field, map.sx(fb.xMin), map.sy(fb.yMax), map.sx(fb.xMax) - map.sx(fb.xMin), map.sy(fb.yMin) - map.sy(fb.yMax));
    }
    const n = positions.length / 2;
    // Particle ranges and their colours: one range without batches.
    const split = batches && batches.colours.length > 1;
    const ranges = split
      ? batches.colours.map((colour, b) => ({ from: b * batches.size, to: Math.min(n, (b + 1) * batches.size), colour: b === 0 ? null : colour }))
      : [{ from: 0, to: n, colour: null as string | null }];
    if (this.showTrails && trail.length > 1) {
      ctx.lineWidth = 1;
      for (const range of ranges) {
        for (let age = 0; age + 1 < trail.length; age++) {
          const a = trail[age];
          const b = trail[age + 1];
          const alpha = 0.5 * (1 - age / trail.length) ** 2;
          ctx.strokeStyle = range.colour ?? (split ? `rgba(255,237,191,${alpha})` : `rgba(140,217,255,${alpha})`);
          ctx.globalAlpha = range.colour ? alpha : 1;
          ctx.beginPath();
          for (let i = range.from; i < range.to; i++) {
            const x0 = a[2 * i], y0 = a[2 * i + 1], x1 = b[2 * i], y1 = b[2 * i + 1];
            if (!Number.isFinite(x0 + y0 + x1 + y1)) continue;
            ctx.moveTo(map.sx(x0), map.sy(y0));
            ctx.lineTo(map.sx(x1), map.sy(y1));
          }
          ctx.stroke();
        }
      }
      ctx.globalAlpha = 1;
    }
    const r = 1.5 * Math.min(2, globalThis.devicePixelRatio || 1);
    for (const range of ranges) {
      ctx.fillStyle = range.colour ?? 'rgba(255,237,191,0.9)';
      ctx.globalAlpha = range.colour ? 0.9 : 1;
      for (let i = range.from; i < range.to; i++) {
        const x = positions[2 * i];
        const y = positions[2 * i + 1];
        if (!Number.isFinite(x + y)) continue;
        ctx.fillRect(map.sx(x) - r, map.sy(y) - r, 2 * r, 2 * r);
      }
    }
    ctx.globalAlpha = 1;
  }
}
