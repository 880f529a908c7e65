// One run of the score-mixing convergence study: a config (steps and integrator already replaced,
// record 2) from given initial particles to its final state, on the GPU when options.gpu is set
// (runOnGpu, float32) else on the float64 reference (runReference). Only the final frame is kept.

import type { HeadlessOptions } from '../headless-options';
import { runSetup } from './config';
import { runReference } from './reference';
import { runOnGpu } from './simulation';
import type { ScoreMixingConfig } from './types';

/** Drift evaluations per step of each fixed-step integrator (stages). */
export const STAGES = { exp: 1, heun: 2, rk4: 4 } as const;
export type FixedIntegrator = keyof typeof STAGES;

/**
 * X(tMin) of `config` started from x0 (count*d; the config's own particles are ignored). The
 * config is not re-validated: the study builds it from a validated one and checks the steps itself
 * (a fine SDE reference may exceed the steps parameter's range on purpose).
 */
export async function finalState(
  config: ScoreMixingConfig,
  x0: Float64Array,
  options: HeadlessOptions,
  onProgress?: (fraction: number) => void,
): Promise<Float32Array | Float64Array> {
  const { opts } = runSetup({ ...config, record: 2 });
  const frame = x0.length;
  if (options.gpu) {
    const r = await runOnGpu(options.gpu, opts, x0, 2, onProgress);
    return r.x.subarray(frame, 2 * frame);
  }
  return runReference(opts, x0, 2, onProgress).x.subarray(frame, 2 * frame);
}

/**
 * Progress over a whole study: each part is planned with its cost (particle-atom drift
 * evaluations), reports its own fraction, and the study reports the weighted total.
 */
export class StudyProgress {
  private done = 0;
  private last = 0;

  constructor(
    private readonly total: number,
    private readonly report?: (fraction: number) => void,
  ) {}

  /** A progress callback for the next part, of cost `units`; call finish(units) after it. */
  part(units: number): ((fraction: number) => void) | undefined {
    if (!this.report) return undefined;
    return (f) => this.emit(this.done + Math.min(1, Math.max(0, f)) * units);
  }

  finish(units: number): void {
    this.done += units;
    this.emit(this.done);
  }

  /** The whole study is done (parts outside the plan, e.g. the initialisation error, included). */
  complete(): void {
    if (this.report && this.last < 1) this.report((this.last = 1));
  }

  /** Planned parts report at most 0.99: 1 is complete()'s, reported once, at the very end. */
  private emit(units: number): void {
    const f = this.total > 0 ? Math.min(0.99, units / this.total) : 0;
    if (this.report && f > this.last) this.report((this.last = f));
  }
}
