// How a headless run (runHeadless, a convergence study) is told where to run: its own file so that
// lab.ts and convergence.ts both use it without importing each other.

import type { GpuContext } from '../gpu/device';

export type Backend = 'webgpu' | 'webgpu-swiftshader' | 'cpu-float64';

export interface HeadlessOptions {
  /** null: run the float64 reference on the CPU. */
  gpu: GpuContext | null;
  backend: Backend;
  /** Called with the completed fraction in [0, 1]. */
  onProgress?: (fraction: number) => void;
}
