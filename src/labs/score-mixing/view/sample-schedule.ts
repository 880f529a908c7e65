// When the distance chart samples the run: a fixed set of grid steps, evenly spaced in
// tau = -log t (recordSteps), step 0 and the last step included. Both page runs (GPU and CPU)
// split each frame's steps at these steps and copy the sample there, so the chart gets every
// scheduled sample exactly once whatever the speed or the frame rate (design: determinism).
// Pure: no DOM, no GPU.

import { recordSteps } from '../../../math/timegrid';

/** Samples per run at most (the chart's resolution in t). */
export const MAX_SAMPLES = 96;
/** Particles per sample: the first ones in the buffer (i.i.d. draws, contiguous). */
export const SAMPLE_PARTICLES = 512;

export class SampleSchedule {
  /** Strictly increasing grid steps, steps[0] = 0, steps[last] = K. */
  readonly steps: readonly number[];

  constructor(
    readonly K: number,
    max = MAX_SAMPLES,
  ) {
    if (!(Number.isInteger(max) && max >= 2)) throw new Error(`SampleSchedule: max must be an integer >= 2, got ${max}`);
    // With S <= K + 1 the spacing K / (S - 1) is >= 1, so the rounded steps never repeat.
    this.steps = recordSteps(K, Math.min(K + 1, max));
  }

  get size(): number {
    return this.steps.length;
  }

  /** The first slot whose step is >= k (size when none): where a run restored at step k resumes. */
  slotAtOrAfter(k: number): number {
    let j = 0;
    while (j < this.steps.length && this.steps[j] < k) j++;
    return j;
  }
}

/** Advance `steps` grid steps, or copy the current state into history slot `sample`. */
export type FrameOp = { steps: number } | { sample: number };

/**
 * Splits advancing from step k by n steps (clamped at K) at the scheduled steps. `next` is the
 * first slot not sampled yet; a slot whose step equals the current step is sampled before
 * stepping on, so n = 0 still takes a pending sample of the current state (step 0 before the
 * first frame, the restored step after a restore). Returns the operations in order and the new
 * `next`. Slots whose step lies behind k (never the case when `next` is kept consistently) are
 * skipped: a sample is never taken at the wrong time.
 */
export function planAdvance(schedule: SampleSchedule, next: number, k: number, n: number): { ops: FrameOp[]; next: number } {
  const s = schedule.steps;
  const end = Math.min(schedule.K, k + Math.max(0, Math.floor(n)));
  const ops: FrameOp[] = [];
  for (;;) {
    while (next < s.length && s[next] < k) next++;
    if (next < s.length && s[next] === k) ops.push({ sample: next++ });
    if (k >= end) break;
    const target = next < s.length ? Math.min(s[next], end) : end;
    ops.push({ steps: target - k });
    k = target;
  }
  return { ops, next };
}
