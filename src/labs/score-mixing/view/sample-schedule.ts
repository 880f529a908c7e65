// When a page run stops to copy its state: fixed sets of grid steps, each a SampleSchedule. The
// distance chart samples at steps evenly spaced in tau = -log t (recordSteps), step 0 and the last
// step included, at most MAX_SAMPLES of them; the trajectory the export holds is recorded at the
// config's record steps (recordSteps(steps, record), the CLI's frames, which may repeat a step when
// record - 1 > steps). Both page runs (GPU and CPU) split each frame's steps at the steps of every
// schedule they follow (planStops) and copy the state there, so each scheduled copy is taken
// exactly once whatever the speed or the frame rate (design: determinism). Pure: no DOM, no GPU.

import { recordSteps } from '../../../math/timegrid';

/** Samples per run at most (the chart's resolution in t). */
export const MAX_SAMPLES = 96;
/** Particles per sample: the first ones in the buffer (i.i.d. draws, contiguous). */
export const SAMPLE_PARTICLES = 512;

export class SampleSchedule {
  /** Non-decreasing grid steps in [0, K] (the chart's: strictly increasing, steps[0] = 0, steps[last] = K). */
  readonly steps: readonly number[];

  /**
   * `max`: at most this many steps evenly spaced in tau (the chart's schedule); or the steps
   * themselves (a record schedule: non-decreasing integers in [0, K]).
   */
  constructor(
    readonly K: number,
    max: number | readonly number[] = MAX_SAMPLES,
  ) {
    if (typeof max !== 'number') {
      max.forEach((k, j) => {
        if (!(Number.isInteger(k) && k >= 0 && k <= K && (j === 0 || k >= max[j - 1]))) {
          throw new Error(`SampleSchedule: steps must be non-decreasing integers in [0, ${K}], got ${k} at ${j}`);
        }
      });
      this.steps = [...max];
      return;
    }
    if (!(Number.isInteger(max) && max >= 2)) throw new Error(`SampleSchedule: max must be an integer >= 2, got ${max}`);
    // With S <= K + 1 the spacing K / (S - 1) is >= 1, so the rounded steps never repeat.
    this.steps = recordSteps(K, Math.min(K + 1, max));
  }

  /** The frames the CLI records for `record` (recordSteps: first and last step included). */
  static recording(K: number, record: number): SampleSchedule {
    return new SampleSchedule(K, recordSteps(K, record));
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

/** Advance `steps` grid steps, or copy the current state into slot `sample` of schedule `of`. */
export type StopOp = { steps: number } | { sample: number; of: number };

/** Advance `steps` grid steps, or copy the current state into history slot `sample`. */
export type FrameOp = { steps: number } | { sample: number };

/**
 * Splits advancing from step k by n steps (clamped at K) at the steps of every schedule.
 * `next[i]` is the first slot of schedules[i] not taken yet; a slot whose step equals the current
 * step is taken before stepping on (every such slot: a record schedule may repeat a step), so
 * n = 0 still takes the pending copies of the current state (step 0 before the first frame, the
 * restored step after a restore). Returns the operations in order and the new `next`. Slots whose
 * step lies behind k (never the case when `next` is kept consistently) are skipped: a copy is never
 * taken at the wrong time. The schedules must share K.
 */
export function planStops(schedules: readonly SampleSchedule[], next: readonly number[], k: number, n: number): { ops: StopOp[]; next: number[] } {
  const K = Math.min(...schedules.map((s) => s.K));
  const end = Math.min(K, k + Math.max(0, Math.floor(n)));
  const at = [...next];
  const ops: StopOp[] = [];
  for (;;) {
    let target = end;
    schedules.forEach((schedule, i) => {
      const s = schedule.steps;
      while (at[i] < s.length && s[at[i]] < k) at[i]++;
      while (at[i] < s.length && s[at[i]] === k) ops.push({ sample: at[i]++, of: i });
      if (at[i] < s.length) target = Math.min(target, s[at[i]]);
    });
    if (k >= end) break;
    ops.push({ steps: target - k });
    k = target;
  }
  return { ops, next: at };
}

/** planStops for one schedule (the distance chart's). */
export function planAdvance(schedule: SampleSchedule, next: number, k: number, n: number): { ops: FrameOp[]; next: number } {
  const plan = planStops([schedule], [next], k, n);
  return { ops: plan.ops.map((op) => ('steps' in op ? op : { sample: op.sample })), next: plan.next[0] };
}
