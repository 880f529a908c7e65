// Colour and contour lines of one channel of a FieldGrid. The colour scale is shared by the map,
// the contour levels and the legend; for Phi_lam^t and Phi_lam it is fixed by the limit channel's
// range, so scrubbing t changes the picture only where -4t log u still differs from d^2.
// Values are mapped through a square root (potentials grow quadratically away from the atoms,
// and the interesting structure sits near them); contour levels are equally spaced in that scale.

import { contours as d3contours, type ContourMultiPolygon } from 'd3';
import { sequential } from '../../shared/view/palette';
import type { FieldGrid } from './field';

export type FieldChannel = 0 | 1 | 2 | 3;
export const CHANNEL_NAMES = ['φ1ᵗ = −4t log u1', 'φ2ᵗ = −4t log u2', 'Φλᵗ (at scrub t)', 'Φλ limit (t → 0)'] as const;

export interface ColourDomain {
  min: number;
  max: number;
}

export function channelRange(grid: FieldGrid, channel: number): ColourDomain {
  let min = Infinity;
  let max = -Infinity;
  const v = grid.values;
  for (let i = channel; i < v.length; i += 4) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (!(max > min)) max = min + 1;
  return { min, max };
}

/** Domain for a channel: the limit's range for Phi channels (stable under t scrubbing). */
export function domainFor(grid: FieldGrid, channel: FieldChannel): ColourDomain {
  return channelRange(grid, channel >= 2 ? 3 : channel);
}

function normalised(v: number, dom: ColourDomain): number {
  const f = (v - dom.min) / (dom.max - dom.min);
  return Math.sqrt(Math.min(1, Math.max(0, f)));
}

/** 256-entry RGBA lookup table of the pages' sequential map (viridis). */
function sequentialLut(): Uint8Array {
  const lut = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const c = sequential(i / 255);
    const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(c);
    const hex = /#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(c);
    const rgb = m ? [+m[1], +m[2], +m[3]] : hex ? [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)] : [0, 0, 0];
    lut.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  }
  return lut;
}

const LUT = sequentialLut();

/** RGBA8 pixels, row 0 at the bottom (the grid's layout); `dim` darkens for legibility of overlays. */
export function colourise(grid: FieldGrid, channel: FieldChannel, dom: ColourDomain, dim = 0.85): Uint8Array {
  const lut = LUT;
  const n = grid.width * grid.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const v = grid.values[i * 4 + channel];
    const k = Number.isFinite(v) ? Math.round(normalised(v, dom) * 255) * 4 : -1;
    if (k < 0) {
      out.set([255, 0, 255, 255], i * 4);
      continue;
    }
    out[i * 4] = lut[k] * dim;
    out[i * 4 + 1] = lut[k + 1] * dim;
    out[i * 4 + 2] = lut[k + 2] * dim;
    out[i * 4 + 3] = 255;
  }
  return out;
}

export function contourLevels(dom: ColourDomain, count = 12): number[] {
  const levels: number[] = [];
  for (let k = 1; k <= count; k++) levels.push(dom.min + (dom.max - dom.min) * (k / (count + 1)) ** 2);
  return levels;
}

/** Contour multipolygons in grid coordinates ([0, width] x [0, height], y up like the grid rows). */
export function contourLines(grid: FieldGrid, channel: FieldChannel, levels: number[]): ContourMultiPolygon[] {
  const n = grid.width * grid.height;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = grid.values[i * 4 + channel];
    values[i] = Number.isFinite(v) ? v : 1e30;
  }
  return d3contours().size([grid.width, grid.height]).thresholds(levels)(Array.from(values));
}
