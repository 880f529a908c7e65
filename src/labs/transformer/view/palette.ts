// Colour roles of the transformer page, from the shared palette (../../shared/view/palette.ts):
// depth is viridis (the sequential map) in the picture and in the head chart; the selected token
// and the query/CLS token have categorical Okabe-Ito colours of their own; chart series are the
// shared SERIES in order (the main series, then the selected sequence). Backgrounds, frames and
// text stay neutral greys.

import { rgb } from 'd3';
import { OKABE_ITO, SERIES, sequential } from '../../shared/view/palette';

/** The dark trajectory picture (three.js scene and Canvas 2D fallback) and its SVG overlay. */
export const PICTURE = {
  background: '#101018',
  /** The data box around the 3-D picture. */
  box: '#445066',
  label: '#ddd',
  /** Markers of the selected sequence's tokens (inputs hollow, outputs filled). */
  token: '#cfd8e3',
  /** The selected token's ring and its attention lines. */
  selected: OKABE_ITO.yellow,
  /** The query/CLS token's markers (its trajectory: queryColour). */
  query: OKABE_ITO.vermillion,
} as const;

/** The charts (light background). */
export const CHART = {
  /** The main series: the risk, batch means, the attention bars. */
  primary: SERIES[0],
  /** The selected sequence, the selected token's own attention bar. */
  selected: SERIES[1],
  /** The weights pi of the keys over the attention bars. */
  weights: OKABE_ITO.bluishGreen,
  /** lambda_min of the empirical NTK. */
  lambdaMin: OKABE_ITO.reddishPurple,
  /** Warnings and skip notes. */
  warning: OKABE_ITO.vermillion,
} as const;

/** The NTK injectivity verdict in the controls. */
export const VERDICT = { dependent: OKABE_ITO.vermillion, independent: OKABE_ITO.bluishGreen, unknown: '#888' } as const;

type Rgb = [number, number, number];

/** A CSS colour as 0..1 RGB. */
function toRgb(css: string): Rgb {
  const c = rgb(css);
  return [c.r / 255, c.g / 255, c.b / 255];
}

/** The sequential map sampled once at load time (0..1 RGB, 256 stops), for per-segment colours. */
const STOPS = 256;
const RAMP = Float32Array.from({ length: 3 * STOPS }, (_, i) => toRgb(sequential(Math.floor(i / 3) / (STOPS - 1)))[i % 3]);

/** The sequential map at t in [0, 1] as 0..1 RGB, linearly interpolated between its stops. */
function sequentialRgb(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (STOPS - 1);
  const i = Math.min(STOPS - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => RAMP[3 * i + c] + f * (RAMP[3 * (i + 1) + c] - RAMP[3 * i + c])) as Rgb;
}

/**
 * Colour of depth fraction s in [0, 1] as 0..1 RGB: viridis from 0.12 (purple, the input; its
 * darkest end would vanish on the dark background) to 1 (yellow, the output).
 */
export function depthColour(s: number): Rgb {
  return sequentialRgb(0.12 + 0.88 * Math.min(1, Math.max(0, Number.isFinite(s) ? s : 0)));
}

const QUERY_FROM = toRgb(OKABE_ITO.vermillion);
const QUERY_TO = toRgb(OKABE_ITO.orange);

/** Colour of the query/CLS token's trajectory at depth s: vermillion (input) to orange (output). */
export function queryColour(s: number): Rgb {
  const f = Math.min(1, Math.max(0, Number.isFinite(s) ? s : 0));
  return [0, 1, 2].map((c) => QUERY_FROM[c] + f * (QUERY_TO[c] - QUERY_FROM[c])) as Rgb;
}

export function cssColour(c: Rgb, alpha = 1): string {
  const [r, g, b] = c.map((v) => Math.round(255 * v));
  return alpha >= 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;
}
