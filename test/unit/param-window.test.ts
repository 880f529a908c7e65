// The pure parts of a parameter window on a panel slider (src/app/param-window.ts): band geometry
// on linear and log tracks, clipping, single-point and empty windows, the outside test with its
// rounding slack, and the primal-dual theta / p windows that use it.

import { describe, expect, it } from 'vitest';
import { outsideWindow, sliderFraction, windowBand, windowState, windowTooltip } from '../../src/app/param-window';
import { PRIMAL_DUAL_PARAMS } from '../../src/labs/primal-dual/params';
import type { NumberParam, ParamValues, ParamWindow } from '../../src/labs/schema';

const win = (from: number, to: number): ParamWindow => ({ from, to, label: `[${from}, ${to}]` });
const linear = { min: 0, max: 10 };
const log = { min: 1e-3, max: 1e3, scale: 'log' as const };

describe('sliderFraction', () => {
  it('maps linearly and clamps to [0, 1]', () => {
    expect(sliderFraction(linear, 2.5)).toBe(0.25);
    expect(sliderFraction(linear, -4)).toBe(0);
    expect(sliderFraction(linear, 40)).toBe(1);
  });

  it('maps log10 on log sliders; non-positive values sit at the left end', () => {
    expect(sliderFraction(log, 1)).toBeCloseTo(0.5, 12);
    expect(sliderFraction(log, 1e-2)).toBeCloseTo(1 / 6, 12);
    expect(sliderFraction(log, 0)).toBe(0);
    expect(sliderFraction(log, -1)).toBe(0);
    expect(sliderFraction(log, 1e9)).toBe(1);
  });
});

describe('windowBand', () => {
  it('places a linear window', () => {
    const b = windowBand(linear, win(2, 5))!;
    expect(b.left).toBeCloseTo(0.2, 12);
    expect(b.width).toBeCloseTo(0.3, 12);
    expect(b.point).toBe(false);
  });

  it('places a log window by decades', () => {
    const b = windowBand(log, win(0.1, 10))!;
    expect(b.left).toBeCloseTo(2 / 6, 12);
    expect(b.width).toBeCloseTo(2 / 6, 12);
  });

  it('clips to the slider range (a log window from 0 starts at the left end)', () => {
    const b = windowBand(log, win(0, 1))!;
    expect(b.left).toBe(0);
    expect(b.width).toBeCloseTo(0.5, 12);
    const c = windowBand(linear, win(8, 30))!;
    expect(c.left).toBeCloseTo(0.8, 12);
    expect(c.left + c.width).toBe(1);
  });

  it('a single point is a zero-width band flagged as a point', () => {
    const b = windowBand({ min: 0.01, max: 1 }, win(0.5, 0.5))!;
    expect(b.point).toBe(true);
    expect(b.width).toBe(0);
    expect(b.left).toBeCloseTo(0.49 / 0.99, 12);
  });

  it('no band for an empty window, one off the track, or non-finite ends', () => {
    expect(windowBand(linear, win(0, -1))).toBeNull();
    expect(windowBand(linear, win(11, 12))).toBeNull();
    expect(windowBand(linear, win(-3, -1))).toBeNull();
    expect(windowBand(linear, win(NaN, 1))).toBeNull();
  });
});

describe('outsideWindow', () => {
  it('is inclusive at both ends, with rounding slack only', () => {
    const w = win(1 / 3, 0.5);
    expect(outsideWindow(1 / 3, w)).toBe(false);
    expect(outsideWindow(0.3333333333333333 * (1 - 1e-13), w)).toBe(false);
    expect(outsideWindow(0.5, w)).toBe(false);
    expect(outsideWindow(0.333, w)).toBe(true);
    expect(outsideWindow(0.5001, w)).toBe(true);
  });

  it('everything is outside an empty window', () => {
    expect(outsideWindow(0, win(0, -1))).toBe(true);
  });
});

describe('primal-dual theta and p windows', () => {
  const spec = (key: string) => PRIMAL_DUAL_PARAMS.find((p) => p.key === key) as NumberParam;
  const values = (v: ParamValues): ParamValues => ({ alpha: 3, theta: 0.5, p: 0, ...v });

  it('theta: [1/(alpha-1), 1/2], recomputed from alpha; a single point at alpha = 3', () => {
    const at3 = windowState(spec('theta'), values({}))!;
    expect(at3.window).toMatchObject({ from: 0.5, to: 0.5 });
    expect(at3.band!.point).toBe(true);
    expect(at3.outside).toBe(false);
    expect(at3.window.label).toMatch(/single point/);

    const at4 = windowState(spec('theta'), values({ alpha: 4, theta: 5 / 12 }))!;
    expect(at4.window.from).toBeCloseTo(1 / 3, 15);
    expect(at4.outside).toBe(false);
    expect(at4.band!.left).toBeCloseTo((1 / 3 - 0.01) / 0.99, 12);
    expect(at4.band!.width).toBeCloseTo((0.5 - 1 / 3) / 0.99, 12);

    const out = windowState(spec('theta'), values({ alpha: 4, theta: 0.3 }))!;
    expect(out.outside).toBe(true);
    expect(windowTooltip(out)).toMatch(/Outside .*not monotone.*no rate is guaranteed/);
  });

  it('p: [0, (1-2 theta)/theta], recomputed from theta; empty above theta = 1/2', () => {
    const p = spec('p');
    const s = windowState(p, values({ alpha: 4, theta: 1 / 3, p: 1 }))!;
    expect(s.window.to).toBeCloseTo(1, 12);
    expect(s.outside).toBe(false);
    expect(s.band!.width).toBeCloseTo(1 / 20, 12);
    expect(windowState(p, values({ theta: 1 / 3, p: 1.5 }))!.outside).toBe(true);
    const half = windowState(p, values({ theta: 0.5, p: 0 }))!;
    expect(half.band!.point).toBe(true);
    const empty = windowState(p, values({ theta: 0.6, p: 0 }))!;
    expect(empty.band).toBeNull();
    expect(empty.outside).toBe(true);
  });

  it('no window when the value it depends on is missing', () => {
    expect(windowState(spec('theta'), { theta: 0.5 })).toBeNull();
  });
});
