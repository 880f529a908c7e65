// The requestAnimationFrame loop. Each frame it calls page.frame(stepsThisFrame) — synchronously,
// never awaiting a GPU -> CPU readback — then runs the one-shot "after frame" hooks (a PNG capture
// of a WebGPU canvas must happen in the same task as the render that produced it).
//
// Two paces. Steps per frame (`speed`): fractional speeds accumulate (0.25 = one step every 4
// frames) and the count depends only on the speed and the frame count. Time to the end
// (`duration`, seconds): the loop issues the run's total steps / duration steps per second of
// wall-clock time, so any lab reaches T (or its last iteration or row) in about that time whatever
// its step count; a frame's share is capped (MAX_PACED_STEPS, and a frame gap of at most
// MAX_PACED_GAP_MS counts) so a slow machine runs slower rather than in bursts. Either way the
// steps themselves are the run's fixed time grid: the pace changes how many are drawn per frame,
// never the result. While paused, the page is redrawn only when something changed (or a few times
// a second), to keep the CPU quiet on software renderers.

export interface FrameTarget {
  frame(steps: number): void;
  /** Where the run is: the loop paces `duration` mode from the total. */
  status?(): { step: number; steps: number };
}

/** Times to the end of the run offered by the speed control, seconds. */
export const DURATIONS = [5, 15, 30, 60, 120] as const;
/** The pace a page opens with: the whole run in this many seconds. */
export const DEFAULT_DURATION = 15;
/** At most this many steps in one paced frame. */
export const MAX_PACED_STEPS = 4096;
/** A longer gap between frames (a background tab, a slow frame) counts as this long. */
export const MAX_PACED_GAP_MS = 100;

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64] as const;
export type Speed = (typeof SPEEDS)[number];

/**
 * The SPEEDS entry nearest to `s` in ratio (SPEEDS are powers of two; a tie such as 3 goes up).
 * Every speed the loop runs at passes through here, so the header's speed select can always show
 * what the loop does. Not a finite positive number: 1.
 */
export function snapSpeed(s: number): Speed {
  if (!Number.isFinite(s) || s <= 0) return 1;
  let best: Speed = SPEEDS[0];
  for (const c of SPEEDS) if (Math.abs(Math.log(s / c)) <= Math.abs(Math.log(s / best)) + 1e-12) best = c;
  return best;
}

export class FrameLoop {
  playing = false;
  private speedValue: Speed = 1;
  /** Seconds to the end of the run (pace by wall-clock time), or null: `speed` steps per frame. */
  private durationValue: number | null = DEFAULT_DURATION;
  private lastTick = 0;
  /** Frames drawn (for tests and the HUD). */
  frames = 0;
  /** Steps handed to page.frame in total. */
  stepsIssued = 0;
  private target: FrameTarget | null = null;
  private pendingSteps = 0;
  private accumulator = 0;
  private dirty = true;
  private lastIdleDraw = 0;
  private handle = 0;
  private blocked = 0;
  /** page.frame threw: no more frames until the page is replaced, reset or reconfigured. */
  private broken = false;
  private readonly afterFrame: (() => void)[] = [];
  /**
   * Called every animation frame while a hold() is in flight, when no page frame submits
   * anything: the app keeps the GPU device flushing there (an awaited pipeline or mapAsync
   * sometimes never resolved in Chromium while nothing else was submitted).
   */
  whileHeld: (() => void) | null = null;

  constructor(
    private readonly onFrame: (now: number) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Steps per frame: always a SPEEDS entry (setting another value snaps it, see snapSpeed). */
  get speed(): Speed {
    return this.speedValue;
  }

  /** Setting a speed switches to steps-per-frame pacing. */
  set speed(s: number) {
    this.speedValue = snapSpeed(s);
    this.durationValue = null;
  }

  /** Seconds to reach the end of the run, or null when pacing by steps per frame. */
  get duration(): number | null {
    return this.durationValue;
  }

  /** Pace by wall-clock time to the end of the run (a positive, finite number of seconds). */
  set duration(seconds: number) {
    if (!(Number.isFinite(seconds) && seconds > 0)) throw new RangeError(`duration must be a positive number of seconds, got ${seconds}`);
    this.durationValue = seconds;
  }

  start(): void {
    if (this.handle) return;
    const tick = (now: number): void => {
      this.handle = requestAnimationFrame(tick);
      this.tick(now);
    };
    this.handle = requestAnimationFrame(tick);
  }

  stop(): void {
    cancelAnimationFrame(this.handle);
    this.handle = 0;
  }

  setTarget(target: FrameTarget | null): void {
    this.target = target;
    this.broken = false;
    this.accumulator = 0;
    this.pendingSteps = 0;
    this.dirty = true;
  }

  /** Hold frames while an async page operation (setConfig, reset, restore) is in flight. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.blocked++;
    try {
      return await work();
    } finally {
      this.blocked--;
      this.broken = false;
      this.dirty = true;
    }
  }

  get busy(): boolean {
    return this.blocked > 0;
  }

  step(n = 1): void {
    this.pendingSteps += n;
  }

  invalidate(): void {
    this.dirty = true;
  }

  /** Run `fn` right after the next page.frame (same task as the render). */
  whenFramed(fn: () => void): void {
    this.afterFrame.push(fn);
    this.dirty = true;
  }

  /** Steps this frame owes: `speed`, or the run's rate to end in `duration` seconds times the frame gap. */
  private stepsDue(gapMs: number): number {
    if (this.durationValue === null) return this.speed;
    const total = this.target?.status?.().steps ?? 0;
    return total > 0 ? (total / this.durationValue) * (gapMs / 1000) : this.speed;
  }

  private tick(now: number): void {
    if (this.blocked > 0) {
      this.whileHeld?.();
      return;
    }
    if (!this.target || this.broken) return;
    let steps = this.pendingSteps;
    this.pendingSteps = 0;
    const gap = Math.min(Math.max(now - this.lastTick, 0), MAX_PACED_GAP_MS);
    this.lastTick = now;
    if (this.playing) {
      this.accumulator += this.stepsDue(gap);
      const whole = Math.min(Math.floor(this.accumulator), MAX_PACED_STEPS);
      this.accumulator = Math.min(this.accumulator - whole, 1);
      steps += whole;
    }
    const idle = steps === 0 && !this.playing && !this.dirty && this.afterFrame.length === 0;
    if (idle && now - this.lastIdleDraw < 250) return;
    if (idle) this.lastIdleDraw = now;
    this.dirty = false;
    try {
      this.target.frame(steps);
      this.frames++;
      this.stepsIssued += steps;
      for (const fn of this.afterFrame.splice(0)) fn();
      this.onFrame(now);
    } catch (e) {
      this.playing = false;
      this.broken = true;
      this.onError(e);
    }
  }
}
