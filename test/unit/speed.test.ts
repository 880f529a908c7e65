// Speeds off the SPEEDS list snap to the nearest entry, in the loop and in the header select alike.

import { describe, expect, it } from 'vitest';
import { FrameLoop, SPEEDS, snapSpeed } from '../../src/app/frame-loop';

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
