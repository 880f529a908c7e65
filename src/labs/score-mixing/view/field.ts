// The potential landscape behind the particles: Phi_lam^t and its limit on a grid over the
// picture, recomputed when t (the scrubber), lambda, the atoms or the axes change. On WebGPU the
// lab's PotentialField kernel fills the grid and the result comes back through an async readback
// that the frame loop never awaits; without WebGPU the float64 heat.ts functions fill it on the CPU
// at a resolution sized to a fixed work budget. For d = 1 the grid is the (x, t) plane (see
// view/geometry.ts) and is always computed on the CPU (one row per t).

import type { GpuContext } from '../../../gpu/device';
import type { GpuProfiler } from '../../../gpu/profiler';
import { heatPotential, sqDistToSupport } from '../../../math/heat';
import { PotentialField } from '../simulation';
import type { Measure } from '../types';
import { slicePoint, yToTime, type Bounds, type Projection } from './geometry';

/** vec4 per pixel (phi1^t, phi2^t, Phi_lam^t, Phi_lam), row-major, row 0 at yMin (bottom). */
export interface FieldGrid {
  width: number;
  height: number;
  bounds: Bounds;
  values: Float32Array;
  t: number;
  lambda: number;
}

export interface FieldRequest {
  mu1: Measure;
  mu2: Measure;
  lambda: number;
  t: number;
  T: number;
  tMin: number;
  projection: Projection;
  bounds: Bounds;
}

/** Grid size for the CPU path: about `budget` kernel evaluations per recompute. */
function cpuSize(atoms: number, aspect: number, budget = 1.5e6): [number, number] {
  const pixels = Math.max(24 * 24, Math.min(128 * 128, budget / Math.max(1, atoms)));
  const h = Math.round(Math.sqrt(pixels / aspect));
  return [Math.max(16, Math.round(h * aspect)), Math.max(16, h)];
}

export class FieldLayer {
  private gpuField: PotentialField | null = null;
  private gpuMeasures: [Measure, Measure] | null = null;
  private pending: FieldRequest | null = null;
  private busy = false;
  private disposed = false;
  /** Last error, reported once by the page. */
  error: string | null = null;
  /** Times the GPU field pass as 'field' when set (the page's profiler, same device). */
  profiler: GpuProfiler | null = null;

  constructor(
    private gpu: GpuContext | null,
    private readonly onField: (grid: FieldGrid) => void,
    readonly gpuWidth = 192,
    readonly gpuHeight = 192,
  ) {}

  /** Ask for a recompute; only the latest request is kept. */
  request(r: FieldRequest): void {
    this.pending = r;
  }

  /** Start the pending recompute if none is in flight. Never waits for the GPU. */
  pump(): void {
    if (this.busy || !this.pending || this.disposed) return;
    const r = this.pending;
    this.pending = null;
    if (this.gpu && r.projection.d >= 2) {
      this.busy = true;
      this.runGpu(r)
        .then((g) => {
          if (g && !this.disposed) this.onField(g);
        })
        .catch((e: unknown) => {
          this.error = `potential field: ${(e as Error).message}`;
        })
        .finally(() => {
          this.busy = false;
        });
    } else {
      try {
        this.onField(this.runCpu(r));
      } catch (e) {
        this.error = `potential field: ${(e as Error).message}`;
      }
    }
  }

  private async runGpu(r: FieldRequest): Promise<FieldGrid | null> {
    const gpu = this.gpu!;
    if (!this.gpuField) {
      this.gpuField = await PotentialField.create(gpu, r.mu1, r.mu2, this.gpuWidth, this.gpuHeight);
      this.gpuMeasures = [r.mu1, r.mu2];
    } else if (!this.gpuMeasures || this.gpuMeasures[0] !== r.mu1 || this.gpuMeasures[1] !== r.mu2) {
      this.gpuField.setMeasures(r.mu1, r.mu2);
      this.gpuMeasures = [r.mu1, r.mu2];
    }
    const { projection: p, bounds: b } = r;
    const e1 = new Array<number>(p.d).fill(0);
    const e2 = new Array<number>(p.d).fill(0);
    e1[p.ax] = 1;
    e2[p.ay] = 1;
    const origin = Array.from(p.origin);
    origin[p.ax] = 0;
    origin[p.ay] = 0;
    const field = this.gpuField;
    const encoder = gpu.device.createCommandEncoder({ label: 'ScoreMixingView.fieldEncoder' });
    const plane = { t: r.t, lambda: r.lambda, origin, e1, e2, uMin: b.xMin, uMax: b.xMax, vMin: b.yMin, vMax: b.yMax };
    // Encoded and submitted in one go (no await in between), so it never interleaves with a
    // frame's use of the shared profiler. PotentialField.encode takes no timestampWrites: timeSpan.
    const profiler = this.profiler;
    if (profiler) {
      profiler.beginFrame();
      profiler.timeSpan(encoder, 'field', () => field.encode(encoder, plane));
      profiler.resolve(encoder);
    } else field.encode(encoder, plane);
    gpu.device.queue.submit([encoder.finish()]);
    profiler?.submitted();
    const values = await field.read();
    if (this.disposed) return null;
    return { width: this.gpuWidth, height: this.gpuHeight, bounds: b, values, t: r.t, lambda: r.lambda };
  }

  private runCpu(r: FieldRequest): FieldGrid {
    const { projection: p, bounds: b, mu1, mu2, lambda } = r;
    const aspect = (b.xMax - b.xMin) / (b.yMax - b.yMin);
    const [w, h] = p.d === 1 ? cpuSize(mu1.n + mu2.n, 2.5) : cpuSize(mu1.n + mu2.n, aspect);
    const values = new Float32Array(w * h * 4);
    const x = new Float64Array(p.d);
    for (let row = 0; row < h; row++) {
      const v = b.yMin + ((row + 0.5) / h) * (b.yMax - b.yMin);
      // d = 1: each row is its own t (clamped to [tMin, T]); d >= 2: one t for the whole slice.
      const t = p.d === 1 ? yToTime(Math.min(1, Math.max(0, v)), r.T, r.tMin) : r.t;
      for (let col = 0; col < w; col++) {
        const u = b.xMin + ((col + 0.5) / w) * (b.xMax - b.xMin);
        slicePoint(p, u, v, x);
        const p1 = heatPotential(mu1, t, x);
        const p2 = heatPotential(mu2, t, x);
        const o = (row * w + col) * 4;
        values[o] = p1;
        values[o + 1] = p2;
        values[o + 2] = lambda * p1 + (1 - lambda) * p2;
        values[o + 3] = lambda * sqDistToSupport(mu1, x) + (1 - lambda) * sqDistToSupport(mu2, x);
      }
    }
    return { width: w, height: h, bounds: b, values, t: r.t, lambda };
  }

  /** The device was replaced (device lost): GPU objects are rebuilt lazily. */
  setGpu(gpu: GpuContext | null): void {
    this.gpuField?.dispose();
    this.gpuField = null;
    this.gpuMeasures = null;
    this.gpu = gpu;
    this.busy = false;
  }

  dispose(): void {
    this.disposed = true;
    this.gpuField?.dispose();
    this.gpuField = null;
  }
}
