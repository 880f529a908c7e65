// Speeds off the SPEEDS list snap to the nearest entry, in the loop and in the header select alike.

import { describe, expect, it } from 'vitest';
import { DEFAULT_DURATION, DURATIONS, FrameLoop, MAX_PACED_GAP_MS, MAX_PACED_STEPS, SPEEDS, snapSpeed } from '../../src/app/frame-loop';

describe('snapSpeed', () => {
  it('keeps every SPEEDS entry', () => {
    for (const s of SPEEDS) expect(snapSpeed(s)).toBe(s);
  });

  it('snaps to the nearest entry in ratio, ties upwards, and clamps at the ends', () => {
    expect(snapSpeed(200)).toBe(64);
    expect(snapSpeed(1e9)).toBe(64);
    expect(snapSpeed(0.01)).toBe(0.25);
    expect(snapSpeed(3)).toBe(4);
    expect(snapSpeed(2.7)).toBe(2);
    expect(snapSpeed(5)).toBe(4);
    expect(snapSpeed(0.3)).toBe(0.25);
  });

  it('non-finite or non-positive: 1', () => {
    for (const s of [NaN, Infinity, -Infinity, 0, -2]) expect(snapSpeed(s)).toBe(1);
  });

  it('the loop runs at the snapped value', () => {
    const loop = new FrameLoop(() => undefined, () => undefined);
    loop.speed = 200;
    expect(loop.speed).toBe(64);
    loop.speed = 0.3;
    expect(loop.speed).toBe(0.25);
  });
});

describe('pacing by time to the end of the run', () => {
  /** A loop driven by hand: `tick(now)` stands in for requestAnimationFrame. */
  function paced(total: number) {
    const issued: number[] = [];
    let step = 0;
    const loop = new FrameLoop(() => undefined, () => undefined);
    loop.setTarget({ frame: (n) => (issued.push(n), (step += n)), status: () => ({ step, steps: total }) });
    loop.playing = true;
    const tick = (now: number) => (loop as unknown as { tick(now: number): void }).tick(now);
    return { loop, issued, tick, step: () => step };
  }

  it('opens in time-to-end mode and reaches the end in about the chosen time at any frame rate', () => {
    for (const fps of [30, 60, 144]) {
      const { loop, tick, step } = paced(9000);
      expect(loop.duration).toBe(DEFAULT_DURATION);
      loop.duration = 30;
      const dt = 1000 / fps;
      for (let i = 0; i <= 30 * fps; i++) tick(i * dt);
      // 30 s at 9000 / 30 = 300 steps/s: within one frame's share of 9000.
      expect(Math.abs(step() - 9000)).toBeLessThanOrEqual(Math.ceil(300 / fps) + 1);
    }
  });

  it('a long frame gap counts as MAX_PACED_GAP_MS and a frame never issues more than MAX_PACED_STEPS', () => {
    const { loop, issued, tick } = paced(1e9);
    loop.duration = 5;
    tick(0);
    tick(10_000); // a background tab: 10 s later
    expect(issued[1]).toBe(MAX_PACED_STEPS);
    const slow = paced(1000);
    slow.loop.duration = 10;
    slow.tick(0);
    slow.tick(5000);
    expect(slow.issued[1]).toBe(Math.floor((1000 / 10) * (MAX_PACED_GAP_MS / 1000)));
  });

  it('setting a speed switches to steps per frame; a bad duration is refused', () => {
    const { loop, issued, tick } = paced(1000);
    loop.speed = 4;
    expect(loop.duration).toBeNull();
    tick(0);
    tick(1000);
    expect(issued).toEqual([4, 4]);
    expect(() => (loop.duration = 0)).toThrow(RangeError);
    expect(() => (loop.duration = NaN)).toThrow(RangeError);
    expect(DURATIONS).toContain(DEFAULT_DURATION);
  });
});

describe('while a page operation holds the loop', () => {
  it('no frame is drawn and whileHeld runs every animation frame (the app flushes the GPU device there)', async () => {
    const loop = new FrameLoop(() => undefined, () => undefined);
    const frames: number[] = [];
    let held = 0;
    loop.setTarget({ frame: (n) => frames.push(n), status: () => ({ step: 0, steps: 100 }) });
    loop.whileHeld = () => held++;
    const tick = (now: number) => (loop as unknown as { tick(now: number): void }).tick(now);
    let release!: () => void;
    const hold = loop.hold(() => new Promise<void>((r) => (release = r)));
    tick(0);
    tick(16);
    expect(frames).toEqual([]);
    expect(held).toBe(2);
    release();
    await hold;
    tick(32);
    expect(frames.length).toBe(1);
    expect(held).toBe(2);
  });
});
