// Which recorded frames a page run holds, for the export (DOM-free, no GPU): the slots of the
// config's record schedule (SampleSchedule.recording: the CLI's frames, recordSteps(steps, record))
// that the run has passed, [first, next), and possibly a lead frame before them. The data live in
// the runs (a GPU buffer in view/run-gpu.ts, host arrays in view/run-cpu.ts); this only keeps the
// indices, so both runs restart, rewind and list their frames the same way.
//
// A run from t = T holds slots 0.. as it passes their steps: exactly the CLI's frames. When a run
// continues from a state it was handed (a snapshot file, a device loss) the file's frames are kept
// when they are this config's recorded frames up to that step (a CLI or page export); otherwise the
// trajectory starts at that step: from the slot there, or, when the step is not a recorded one,
// with the state itself as a lead frame at its own t (the frames before it are not known). A live
// lambda change starts it over at the current step too (earlier frames belong to another config).
// A halt within the run rewinds to the restored step: slots before it stay valid.

import { SampleSchedule } from './sample-schedule';

/** Relative tolerance of a file's frame time against the grid time of its recorded step (as snapshot-spec.ts). */
const T_REL_TOL = 1e-6;

export class TrajectoryLog {
  readonly schedule: SampleSchedule;
  /** First slot the run holds. */
  first = 0;
  /** First slot not filled yet (first <= next <= size). */
  next = 0;
  /** Step of the lead frame (a state off the record schedule the trajectory starts with), or null. */
  leadStep: number | null = null;

  constructor(
    K: number,
    record: number,
    private readonly grid: Float64Array,
  ) {
    this.schedule = SampleSchedule.recording(K, record);
  }

  get size(): number {
    return this.schedule.size;
  }

  /** Frames held: the lead (if any), then slots first..next-1. */
  get frames(): number {
    return (this.leadStep === null ? 0 : 1) + this.next - this.first;
  }

  /** The grid step of each frame held, in order. */
  steps(): number[] {
    const out = this.leadStep === null ? [] : [this.leadStep];
    for (let j = this.first; j < this.next; j++) out.push(this.schedule.steps[j]);
    return out;
  }

  /** The run went back to step k of this same trajectory (a halt): frames at steps >= k are retaken. */
  rewind(k: number): void {
    const j = this.schedule.slotAtOrAfter(k);
    this.next = Math.max(this.first, Math.min(this.next, j));
  }

  /**
   * The run continues from a state at step k it did not compute itself. `fileT` holds the times of
   * the frames that came with it (a snapshot's arrays.t), or null. Returns how many of those frames
   * the trajectory keeps as its slots 0.. (the caller copies them in): all the slots before k when
   * the file's first frames are exactly those (their t the grid times of the recorded steps), else
   * 0, and the trajectory starts at k (with a lead frame when k is not a recorded step; the caller
   * stores the state there).
   */
  adopt(k: number, fileT: ArrayLike<number> | null): number {
    const j = this.schedule.slotAtOrAfter(k);
    if (fileT && fileT.length >= j && this.recordedPrefix(fileT, j)) {
      this.first = 0;
      this.next = j;
      this.leadStep = null;
      return j;
    }
    this.restartAt(k);
    return 0;
  }

  /** Starts the trajectory over at step k (a live config change; a state without its frames). True when k needs a lead frame. */
  restartAt(k: number): boolean {
    const j = this.schedule.slotAtOrAfter(k);
    this.first = this.next = j;
    this.leadStep = j < this.size && this.schedule.steps[j] === k ? null : k;
    // At step 0 nothing is missing: slot 0 is step 0.
    return this.leadStep !== null;
  }

  private recordedPrefix(t: ArrayLike<number>, n: number): boolean {
    for (let i = 0; i < n; i++) {
      const want = this.grid[this.schedule.steps[i]];
      if (!(Math.abs(t[i] - want) <= T_REL_TOL * want)) return false;
    }
    return true;
  }
}
