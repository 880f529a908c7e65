// The no-WebGPU trajectory picture: the same segments as the three.js scene (picture.ts),
// drawn with Canvas 2D, one path per depth layer (its mid-depth colour). 2-D layouts use the shared
// ScreenMap; 3-D layouts an orthographic orbit about the data's centre (z up): drag to turn, wheel
// to zoom. Used with the float64 CPU fallback, whose reduced sizes keep per-frame drawing cheap.

import type { ScreenMap } from '../../shared/view/screen-map';
import type { Box } from './geometry';
import { cssColour, depthColour, PICTURE, queryColour } from './palette';
import { trajectorySegments, type SegmentPart, type SegmentSpec, type TrajectoryPicture } from './picture';

export class CanvasTrajectories implements TrajectoryPicture {
  private readonly ctx: CanvasRenderingContext2D;
  private parts: SegmentPart[] = [];
  private L = 1;
  private dims: 2 | 3 = 2;
  private map: ScreenMap | null = null;
  private width = 1;
  private height = 1;
  private yaw = -0.7;
  private pitch = 0.45;
  private zoom = 1;
  private centre: [number, number, number] = [0, 0, 0];
  private radius = 1;
  private drag: { x: number; y: number } | null = null;
  private listener: (() => void) | null = null;
  private readonly off: (() => void)[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('Canvas 2D is not available for the no-WebGPU fallback');
    this.ctx = ctx;
    const on = <K extends keyof HTMLElementEventMap>(type: K, f: (e: HTMLElementEventMap[K]) => void, opts?: AddEventListenerOptions) => {
      canvas.addEventListener(type, f as EventListener, opts);
      this.off.push(() => canvas.removeEventListener(type, f as EventListener));
    };
    on('pointerdown', (e) => {
      if (this.dims !== 3) return;
      this.drag = { x: e.clientX, y: e.clientY };
      canvas.setPointerCapture(e.pointerId);
    });
    on('pointermove', (e) => {
      if (!this.drag) return;
      this.yaw -= (e.clientX - this.drag.x) * 0.01;
      this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + (e.clientY - this.drag.y) * 0.01));
      this.drag = { x: e.clientX, y: e.clientY };
      this.listener?.();
    });
    on('pointerup', () => (this.drag = null));
    on('pointercancel', () => (this.drag = null));
    on(
      'wheel',
      (e) => {
        if (this.dims !== 3) return;
        e.preventDefault();
        this.zoom = Math.max(0.2, Math.min(20, this.zoom * Math.exp(-e.deltaY * 0.001)));
        this.listener?.();
      },
      { passive: false },
    );
  }

  onViewChange(listener: () => void): void {
    this.listener = listener;
  }

  resize(width: number, height: number): void {
    const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
  }

  setData(spec: SegmentSpec, box: Box, map: ScreenMap | null, keepView: boolean): void {
    if (!keepView || spec.layout.dims !== this.dims) {
      this.yaw = -0.7;
      this.pitch = 0.45;
      this.zoom = 1;
    }
    this.parts = trajectorySegments(spec);
    this.L = spec.L;
    this.dims = spec.layout.dims;
    this.map = map;
    this.centre = [0, 1, 2].map((i) => (box.min[i] + box.max[i]) / 2) as [number, number, number];
    this.radius = 0.5 * Math.hypot(...[0, 1, 2].map((i) => box.max[i] - box.min[i])) || 1;
  }

  project(x: number, y: number, z: number): [number, number] | null {
    if (this.dims === 2 && this.map) return [this.map.sx(x), this.map.sy(y)];
    const [cx, cy, cz] = this.centre;
    const px = x - cx;
    const py = y - cy;
    const pz = z - cz;
    const X = Math.cos(this.yaw) * px - Math.sin(this.yaw) * py;
    const Yd = Math.sin(this.yaw) * px + Math.cos(this.yaw) * py;
    const Y = pz * Math.cos(this.pitch) + Yd * Math.sin(this.pitch);
    const s = (this.zoom * Math.min(this.width, this.height)) / (2.2 * this.radius);
    if (!Number.isFinite(X) || !Number.isFinite(Y)) return null;
    return [this.width / 2 + X * s, this.height / 2 - Y * s];
  }

  render(): void {
    const { ctx, canvas } = this;
    const k = canvas.width / this.width;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = PICTURE.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(k, 0, 0, k, 0, 0);
    ctx.lineWidth = 1;
    for (const part of this.parts) {
      const colour = part.name === 'query' ? queryColour : depthColour;
      // One path per depth layer, stroked in its mid-depth colour.
      const paths = Array.from({ length: this.L }, () => new Path2D());
      for (let s = 0; s < part.count; s++) {
        const a = this.project(part.positions[6 * s], part.positions[6 * s + 1], part.positions[6 * s + 2]);
        const b = this.project(part.positions[6 * s + 3], part.positions[6 * s + 4], part.positions[6 * s + 5]);
        if (!a || !b) continue;
        const path = paths[part.layer[s]];
        path.moveTo(a[0], a[1]);
        path.lineTo(b[0], b[1]);
      }
      paths.forEach((p, l) => {
        const c = colour((l + 0.5) / this.L).map((v) => v * (part.name === 'others' ? 0.8 : 1)) as [number, number, number];
        ctx.strokeStyle = cssColour(c, part.opacity);
        ctx.stroke(p);
      });
    }
  }

  dispose(): void {
    for (const f of this.off) f();
    this.listener = null;
  }
}
