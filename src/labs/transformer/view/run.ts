// What the transformer page needs from a training run, whether it trains on the GPU
// (run-gpu.ts, TransformerTrainer) or with the float64 reference (run-cpu.ts). Runs
// report through events (risk slices, pictures of states + heads, a halt) so the page never awaits
// inside a frame; only the export-time methods (exact*) are async.

import type { Heads, TokenBatch, TransformerModel } from '../types';

/** The flow state of the current heads and the heads themselves, at an iteration. */
export interface PictureData {
  iteration: number;
  /** (L+1) x batch x rows x d. */
  states: Float32Array | Float64Array;
  heads: Heads;
}

export interface RunEvents {
  /** risk[from + i] = values[i] (risk after i updates). */
  risk(from: number, values: ArrayLike<number>): void;
  picture(p: PictureData): void;
  /** Training stopped itself: the risk of `haltIteration` was not finite; the heads are those of `iteration`. */
  halted(haltIteration: number, iteration: number): void;
}

export interface TfRun {
  readonly kind: 'gpu' | 'cpu';
  /** The model as the run sees it: tokens and targets follow edits; heads are the initial ones. */
  readonly model: TransformerModel;
  /** Updates applied (encoded, on the GPU: some may still be running). */
  readonly iteration: number;
  /**
   * Updates known to be finished: on the GPU the latest iteration whose risk, status or picture came
   * back; on the CPU the same as `iteration`. What the page counts (status().step) and captions.
   */
  readonly completed: number;
  readonly halted: boolean;
  /** Most updates (the config's iterations). */
  target: number;
  /** Advance by up to `steps` updates (fewer at the target, on a halt, or when the GPU lags). Never awaits. */
  frame(steps: number, now: number): number;
  setTau(tau: number): void;
  /** New tokens (and targets, recomputed by the caller) of the same shape; training state kept. */
  setData(tokens: TokenBatch, targets: Float64Array | null): void;
  /** Continue from these heads after `iteration` updates (restore, device loss); clears a halt. */
  continueFrom(heads: Heads, iteration: number): void;
  /** Ask for a picture soon (after an edit, a restore, a new selection). */
  requestPicture(): void;
  /**
   * How long the page took to draw the last picture (ms): the run spaces later pictures so that
   * drawing takes at most ~1/8 of the main thread (picture points, overlay and charts are built on the CPU).
   */
  pictureCost(ms: number): void;
  /** Current heads, states and the risk of iterations 0..iteration known to the run (export). */
  exactHeads(): Promise<{ Q: Float32Array | Float64Array; K: Float32Array | Float64Array; V: Float32Array | Float64Array }>;
  exactStates(): Promise<Float32Array | Float64Array>;
  /** Risk of iterations `from`..iteration as the run holds it (the GPU: from its history buffer). */
  exactRisk(from: number): Promise<Float32Array | Float64Array>;
  dispose(): void;
}
