// Colours and names of the bilevel map: one colour per active-set bitmask (d3's Tableau10,
// qualitative and colour-blind aware), fixed by the bitmask itself so that the same active set
// has the same colour in every family, config and export; one hatch per failing condition.

import { QUALITATIVE_10 } from '../../shared/view/palette';
import type { Condition, Family } from '../types';
import { CONSTRAINT_NAMES } from '../reference';

/**
 * Bitmask (bit k: constraint k + 1 active) -> colour. The ten sets the polygon families can
 * produce (empty, singles, non-parallel pairs) get the ten Tableau10 colours; the interior {} is
 * the neutral grey. Degenerate sets (three active constraints, {1, 4}) share darker fallbacks.
 */
const T10 = QUALITATIVE_10;
const SET_COLOURS: Record<number, string> = {
  0: T10[9],
  1: T10[0],
  2: T10[1],
  4: T10[4],
  8: T10[3],
  3: T10[2],
  5: T10[5],
  6: T10[6],
  10: T10[7],
  12: T10[8],
};
/** Darker fallbacks for degenerate sets, which appear only on measure-zero pixels. */
const FALLBACK = ['#2f4b7c', '#8c510a', '#01665e', '#7f3b08', '#542788', '#1b7837'];

export function setColour(bits: number): string {
  return SET_COLOURS[bits] ?? FALLBACK[bits % FALLBACK.length];
}

/** [r, g, b] of setColour(bits), cached. */
const rgbCache = new Map<number, [number, number, number]>();
export function setRgb(bits: number): [number, number, number] {
  let c = rgbCache.get(bits);
  if (!c) {
    const hex = setColour(bits);
    c = [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
    rgbCache.set(bits, c);
  }
  return c;
}

/** Constraint numbers of a bitmask, as in the spec (bit k = constraint k + 1). */
export function setMembers(bits: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) if ((bits >> i) & 1) out.push(i + 1);
  return out;
}

/** "floor −y₂ ≤ 1" -> "floor"; a name that is only a formula ("x₁ − y ≤ 0") stays whole. */
export function shortName(name: string): string {
  const words: string[] = [];
  for (const w of name.split(' ')) {
    if (!/^[A-Za-z]+$/.test(w) || w.length < 2) break;
    words.push(w);
  }
  return words.length ? words.join(' ') : name;
}

/** "interior" or the short names of the active constraints, e.g. "right roof + ceiling". */
export function setDescription(family: Family, bits: number): string {
  if (bits === 0) return 'interior';
  const names = CONSTRAINT_NAMES[family];
  return setMembers(bits)
    .map((i) => (names[i - 1] ? shortName(names[i - 1]) : `#${i}`))
    .join(' + ');
}

/** Full names of the active constraints ("" for the interior). */
export function setFullNames(family: Family, bits: number): string {
  const names = CONSTRAINT_NAMES[family];
  return setMembers(bits)
    .map((i) => `${i}: ${names[i - 1] ?? '?'}`)
    .join('; ');
}

export const CONDITION_LABELS: Record<Condition, string> = { licq: 'LICQ', scsc: 'SCSC', sosc: 'SOSC' };

/** How each failure set is drawn over the map: stripe colour, direction and a translucent fill. */
export interface Hatch {
  colour: string;
  fill: string;
  /** Stripe directions: '/' rising, '\\' falling. */
  strokes: ('/' | '\\')[];
}

export const HATCHES: Record<Condition, Hatch> = {
  licq: { colour: '#ffffff', fill: 'rgba(255,255,255,0.45)', strokes: ['/'] },
  scsc: { colour: '#000000', fill: 'rgba(0,0,0,0.45)', strokes: ['\\'] },
  sosc: { colour: '#ff00ff', fill: 'rgba(255,0,255,0.35)', strokes: ['/', '\\'] },
};

/** A square tile of the hatch (period `size` device pixels), for createPattern and swatches. */
export function hatchTile(h: Hatch, size: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = h.fill;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = h.colour;
  ctx.lineWidth = Math.max(1, size / 5);
  ctx.beginPath();
  for (const s of h.strokes) {
    // Three segments so the stripe wraps seamlessly across tile edges.
    for (const o of [-size, 0, size]) {
      if (s === '/') {
        ctx.moveTo(o, size);
        ctx.lineTo(o + size, 0);
      } else {
        ctx.moveTo(o, 0);
        ctx.lineTo(o + size, size);
      }
    }
  }
  ctx.stroke();
  return c;
}
