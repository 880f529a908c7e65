// Trajectory .csv in long format: one row per (frame, particle), header
//   frame,t,particle,x0,x1,...,x{d-1}
// t is written with full float64 precision; float32 coordinates with the fewest digits (at most 9)
// that round-trip the float32 exactly, float64 ones with full precision. Pure data, no comment lines, so
// pandas.read_csv / d3.csvParse read it as is.

import type { NdArray } from './snapshot-types';

/** Short text that parses back to the same float32: the fewest of 6..9 significant digits that do. */
export function formatF32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  for (let p = 6; p < 9; p++) {
    const r = Number(v.toPrecision(p));
    if (Math.fround(r) === v) return String(r);
  }
  return String(Number(v.toPrecision(9)));
}

/** Number -> text that parses back to the same float64. */
export function formatF64(v: number): string {
  return String(v);
}

/**
 * CSV text of a trajectory: `t` (frames) and `x` (frames, particles, d), yielded one frame at a
 * time so a large run never needs one giant string (JS strings top out near 512 MB).
 */
export function* trajectoryCsvChunks(t: NdArray, x: NdArray): Generator<string> {
  if (t.shape.length !== 1) throw new Error(`csv export: t must be 1-D (frames), got shape [${t.shape}]`);
  if (x.shape.length !== 3) throw new Error(`csv export: x must be (frames, particles, d), got shape [${x.shape}]`);
  const [frames, count, d] = x.shape;
  if (frames !== t.shape[0]) throw new Error(`csv export: x has ${frames} frames but t has ${t.shape[0]}`);
  const fmt = x.dtype === 'f32' ? formatF32 : formatF64;
  yield ['frame', 't', 'particle', ...Array.from({ length: d }, (_, j) => `x${j}`)].join(',') + '\n';
  const xs = x.data;
  for (let f = 0; f < frames; f++) {
    const prefix = `${f},${formatF64(t.data[f])},`;
    const lines: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      let line = prefix + i;
      const base = (f * count + i) * d;
      for (let j = 0; j < d; j++) line += ',' + fmt(xs[base + j]);
      lines[i] = line;
    }
    if (count > 0) yield lines.join('\n') + '\n';
  }
}

/** The whole CSV as one string (small runs, tests). */
export function trajectoryCsv(t: NdArray, x: NdArray): string {
  return [...trajectoryCsvChunks(t, x)].join('');
}

/** Split one CSV line on commas, honouring double quotes ("a,b" and "" escapes). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
