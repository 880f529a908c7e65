// Pure geometry of a parameter window (schema ParamWindow) on a panel slider: where the band sits
// on the track as fractions of its width (linear or log mapping, as the slider itself), and
// whether a value lies outside. No DOM, so it is unit-tested in Node; panel.ts draws the result.

import type { NumberParam, ParamValues, ParamWindow } from '../labs/schema';

/** A band on the slider track: `left` and `width` as fractions of the track, in [0, 1]. */
export interface WindowBand {
  left: number;
  width: number;
  /** The window is a single point (from == to): drawn as a tick. */
  point: boolean;
}

export interface WindowState {
  window: ParamWindow;
  /** null when the window is empty or lies entirely outside the slider's range. */
  band: WindowBand | null;
  outside: boolean;
}

/** Relative slack at the ends, so a value computed as 1/(alpha-1) is not flagged by rounding. */
const REL_TOL = 1e-9;

function tolerance(w: ParamWindow): number {
  return REL_TOL * Math.max(1, Math.abs(w.from), Math.abs(w.to));
}

/** Position of `v` on the slider of `spec`, in [0, 1] (log sliders map log10; v <= 0 is the left end). */
export function sliderFraction(spec: Pick<NumberParam, 'min' | 'max' | 'scale'>, v: number): number {
  let f: number;
  if (spec.scale === 'log') {
    if (!(v > 0)) return 0;
    const lo = Math.log10(spec.min);
    const hi = Math.log10(spec.max);
    f = (Math.log10(v) - lo) / (hi - lo);
  } else f = (v - spec.min) / (spec.max - spec.min);
  return Number.isNaN(f) ? 0 : Math.min(1, Math.max(0, f));
}

/** The band of `w` on the track of `spec`, clipped to the slider's range; null if nothing of it is on the track. */
export function windowBand(spec: Pick<NumberParam, 'min' | 'max' | 'scale'>, w: ParamWindow): WindowBand | null {
  if (!Number.isFinite(w.from) || !Number.isFinite(w.to) || w.from > w.to + tolerance(w)) return null;
  if (w.to < spec.min || w.from > spec.max) return null;
  const a = sliderFraction(spec, Math.max(w.from, spec.min));
  const b = sliderFraction(spec, Math.min(w.to, spec.max));
  return { left: a, width: Math.max(0, b - a), point: Math.abs(w.to - w.from) <= tolerance(w) };
}

/** Is `value` outside `w` (with a tiny relative slack at the ends)? An empty window has everything outside. */
export function outsideWindow(value: number, w: ParamWindow): boolean {
  const eps = tolerance(w);
  return !(value >= w.from - eps && value <= w.to + eps);
}

/** Evaluate a spec's window for the current values; null when the spec has none or it returns null. */
export function windowState(spec: NumberParam, values: ParamValues): WindowState | null {
  const w = spec.window?.(values);
  if (!w) return null;
  const v = values[spec.key];
  return { window: w, band: windowBand(spec, w), outside: typeof v === 'number' && outsideWindow(v, w) };
}

/** The tooltip line for a window: its label, and the warning when the value is outside. */
export function windowTooltip(state: WindowState): string {
  const { window: w, outside } = state;
  if (!outside) return `Admissible: ${w.label}.`;
  return `Outside the admissible ${w.label}: ${w.warning ?? 'the results are not covered by the theory'}.`;
}
