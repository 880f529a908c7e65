// The map on the CPU (no WebGPU): the float64 reference, solved a row (x1 index) at a time within
// a time budget per frame, on a grid capped at CPU_MAX_N (the page says so). Each solved band is
// turned into the same per-pixel codes the GPU kernel writes (active bitmask | fail bit 8 + c for
// margin_c < kappa h) and handed to `onRows` synchronously.

import { flagThreshold } from '../config';
import { flagsOf, solveMapReference } from '../reference';
import type { BilevelConfig, BilevelMap } from '../types';
import type { RowsListener } from './run-gpu';

/** Largest grid side run on the CPU (65 536 float64 solves: well under a second). */
export const CPU_MAX_N = 256;

/** The config the CPU fallback runs: grid.n capped at CPU_MAX_N. */
export function cpuConfig(config: BilevelConfig): BilevelConfig {
  if (config.grid.n <= CPU_MAX_N) return config;
  return { ...config, grid: { ...config.grid, n: CPU_MAX_N } };
}

/** Per-pixel codes of rows [r0, r1) of a (partial) map. */
export function codesOf(map: BilevelMap, r0: number, r1: number, tau: number): Uint32Array {
  const n = map.n;
  const out = new Uint32Array((r1 - r0) * n);
  for (let k = r0 * n; k < r1 * n; k++) {
    let code = map.active[k] & 15;
    for (let c = 0; c < 3; c++) if (map.margins[c][k] < tau) code |= 1 << (8 + c);
    out[k - r0 * n] = code;
  }
  return out;
}

export class CpuMapRun {
  readonly n: number;
  rows = 0;
  private partial: BilevelMap;
  private readonly tau: number;

  constructor(
    readonly config: BilevelConfig,
    private readonly onRows: RowsListener,
  ) {
    this.n = config.grid.n;
    this.tau = flagThreshold(config);
    this.partial = solveMapReference(config, 0, 0);
  }

  get done(): boolean {
    return this.rows >= this.n;
  }

  get settled(): boolean {
    return true;
  }

  /** Up to `steps` rows, stopping early after `budgetMs`. Returns rows done. */
  frame(steps: number, budgetMs = Infinity): number {
    const start = performance.now();
    const r0 = this.rows;
    const target = Math.min(this.n, r0 + Math.max(0, Math.floor(steps)));
    while (this.rows < target) {
      solveMapReference(this.config, this.rows, this.rows + 1, this.partial);
      this.rows++;
      if (performance.now() - start > budgetMs) break;
    }
    if (this.rows > r0) this.onRows(r0, this.rows, codesOf(this.partial, r0, this.rows, this.tau));
    return this.rows - r0;
  }

  advanceTo(step: number): void {
    this.frame(Math.min(step, this.n) - this.rows);
  }

  restart(): void {
    this.rows = 0;
    this.partial = solveMapReference(this.config, 0, 0);
  }

  /** The whole map for an export (the rest is solved now if the run is not finished). */
  async map(): Promise<BilevelMap> {
    if (!this.done) return solveMapReference(this.config);
    const { fails, fraction } = flagsOf(this.partial.margins, this.tau);
    return { ...this.partial, fails, fraction };
  }

  dispose(): void {}
}
