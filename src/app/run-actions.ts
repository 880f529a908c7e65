// What the run controls and their shortcuts do — play / pause, single step, reset, speed — and what
// the shell does after each drawn frame: stop at the end of the run or on a halt (with the halt
// banner), and update the HUD and the play button from the page's status.

import type { CurrentLab } from './current-lab';
import { DURATIONS, SPEEDS } from './frame-loop';
import { RateMeter, type Hud } from './hud';
import type { AnyPage, ShellParts } from './shell-parts';

/** The aria-live summary is announced at most this often (a screen reader cannot follow every frame). */
const ANNOUNCE_EVERY_MS = 5000;
/** Paused or done: the last results arrive a little after the last step, so look again soon. */
const SETTLED_EVERY_MS = 500;

export class RunActions {
  private readonly rate = new RateMeter();
  private lastAnnounced = -Infinity;

  constructor(
    private readonly shell: ShellParts,
    private readonly current: CurrentLab,
    private readonly hud: Hud,
  ) {}

  playPause(): void {
    const { loop, notices, layout } = this.shell;
    const page = this.current.page;
    if (!page) return;
    if (loop.playing) {
      loop.playing = false;
      return;
    }
    const s = page.status();
    if (s.haltedReason) {
      notices.show({ level: 'warn', text: `The run is halted (${s.haltedReason}). Reset it or change a parameter to run again.` });
      return;
    }
    layout.showHint(false);
    if (s.done) {
      void this.reset().then(() => (loop.playing = true));
      return;
    }
    loop.playing = true;
  }

  step(): void {
    const { loop, layout } = this.shell;
    const page = this.current.page;
    if (!page) return;
    loop.playing = false;
    layout.showHint(false);
    const s = page.status();
    if (!s.done && !s.haltedReason) loop.step(1);
  }

  reset(): Promise<void> {
    const { loop, notices, halt } = this.shell;
    loop.playing = false;
    return this.current.enqueue(async () => {
      const page = this.current.page;
      if (!page) return;
      try {
        await loop.hold(() => page.reset());
      } catch (e) {
        notices.error(e, 'Reset failed');
      }
      halt.clear();
    });
  }

  /** Snapped to the nearest SPEEDS entry (frame-loop.ts snapSpeed); the select shows the same. */
  setSpeed(s: number): void {
    this.shell.loop.speed = s;
    this.shell.controls.showSpeed(this.shell.loop.speed);
  }

  /** Pace by wall-clock time: the whole run in `seconds`. */
  setDuration(seconds: number): void {
    this.shell.loop.duration = seconds;
    this.shell.controls.showDuration(seconds);
  }

  /** + / -: the next pace up or down, in the unit in use (a shorter time to the end is faster). */
  nudgeSpeed(dir: 1 | -1): void {
    const { loop } = this.shell;
    if (loop.duration !== null) {
      const i = DURATIONS.indexOf(loop.duration as (typeof DURATIONS)[number]);
      const j = Math.max(0, Math.min(DURATIONS.length - 1, (i < 0 ? DURATIONS.length - 1 : i) - dir));
      this.setDuration(DURATIONS[j]);
      return;
    }
    const i = SPEEDS.indexOf(loop.speed);
    const j = Math.max(0, Math.min(SPEEDS.length - 1, i + dir));
    this.setSpeed(SPEEDS[j]);
  }

  /** The frame loop's after-frame hook. */
  afterFrame(now: number): void {
    const { loop, halt, session, controls } = this.shell;
    const page = this.current.page;
    if (!page) return;
    const s = page.status();
    if (s.haltedReason) {
      loop.playing = false;
      halt.show(s.haltedReason);
    } else if (halt.isShown) halt.clear();
    if (s.done && loop.playing) loop.playing = false;
    const measured = this.rate.sample(now, s.step);
    this.hud.update(s, session.backend, session.adapter, measured, loop.playing);
    controls.showPlaying(loop.playing, s.done);
    this.announce(now, page, s.done || !loop.playing);
  }

  /**
   * The lab's key metric into the aria-live region when it changed: asked of the page (which may
   * sort or fit to say it) at most every ANNOUNCE_EVERY_MS while running, every SETTLED_EVERY_MS
   * once paused or done, never every frame.
   */
  private announce(now: number, page: AnyPage, settled: boolean): void {
    if (now - this.lastAnnounced < (settled ? SETTLED_EVERY_MS : ANNOUNCE_EVERY_MS)) return;
    this.lastAnnounced = now;
    const summary = page.summary?.();
    const live = this.shell.layout.liveSummary;
    if (summary && summary !== live.textContent) live.textContent = summary;
  }
}
