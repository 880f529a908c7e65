// Trajectory .csv in long format: one row per (frame, particle), header
//   frame,t,particle,x0,x1,...,x{d-1}
// A compared run (src/labs/compare.ts: x of shape (batches, frames, particles, d)) adds the batch
// and its value of the compared parameter in front: batch,<key>,frame,t,particle,x0,...
// Token trajectories through depth (depthCsvChunks): one row per (recorded frame, sequence, token),
//   frame,layer,depth,sequence,token,x0,...,x{d-1}
// Grid maps (gridCsvChunks): one row per grid point.
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

/** The batches of a compared run: the compared key and its value per batch (meta.compare). */
export interface CsvBatches {
  key: string;
  values: readonly number[];
}

/**
 * CSV text of a trajectory: `t` (frames) and `x` (frames, particles, d) — or, with `batches`,
 * x (batches, frames, particles, d) —, yielded one frame at a time so a large run never needs one
 * giant string (JS strings top out near 512 MB).
 */
export function* trajectoryCsvChunks(t: NdArray, x: NdArray, batches?: CsvBatches): Generator<string> {
  if (t.shape.length !== 1) throw new Error(`csv export: t must be 1-D (frames), got shape [${t.shape}]`);
  const rank = batches ? 4 : 3;
  if (x.shape.length !== rank) throw new Error(`csv export: x must be (${batches ? 'batches, ' : ''}frames, particles, d), got shape [${x.shape}]`);
  const [nb, frames, count, d] = batches ? x.shape : [1, ...x.shape];
  if (batches && nb !== batches.values.length) throw new Error(`csv export: x has ${nb} batches but meta.compare names ${batches.values.length}`);
  if (frames !== t.shape[0]) throw new Error(`csv export: x has ${frames} frames but t has ${t.shape[0]}`);
  const fmt = x.dtype === 'f32' ? formatF32 : formatF64;
  const head = batches ? ['batch', batches.key] : [];
  yield [...head, 'frame', 't', 'particle', ...Array.from({ length: d }, (_, j) => `x${j}`)].join(',') + '\n';
  const xs = x.data;
  for (let b = 0; b < nb; b++) {
    const batchPrefix = batches ? `${b},${formatF64(batches.values[b])},` : '';
    for (let f = 0; f < frames; f++) {
      const prefix = `${batchPrefix}${f},${formatF64(t.data[f])},`;
      const lines: string[] = new Array(count);
      for (let i = 0; i < count; i++) {
        let line = prefix + i;
        const base = ((b * frames + f) * count + i) * d;
        for (let j = 0; j < d; j++) line += ',' + fmt(xs[base + j]);
        lines[i] = line;
      }
      if (count > 0) yield lines.join('\n') + '\n';
    }
  }
}

/** The whole CSV as one string (small runs, tests). */
export function trajectoryCsv(t: NdArray, x: NdArray, batches?: CsvBatches): string {
  return [...trajectoryCsvChunks(t, x, batches)].join('');
}

/**
 * CSV text of token states recorded through depth: `depth` (frames) the depth time of each recorded
 * frame, `tokens` (frames, sequences, tokens, d), and optionally `layer` (frames) the layer index of
 * each frame (absent: the frame index). One row per (frame, sequence, token), yielded one frame at a
 * time; header frame,layer,depth,sequence,token,x0,...,x{d-1}.
 */
export function* depthCsvChunks(depth: NdArray, tokens: NdArray, layer?: NdArray): Generator<string> {
  if (depth.shape.length !== 1) throw new Error(`csv export: depth must be 1-D (frames), got shape [${depth.shape}]`);
  if (tokens.shape.length !== 4) throw new Error(`csv export: tokens must be (frames, sequences, tokens, d), got shape [${tokens.shape}]`);
  const [frames, batch, n, d] = tokens.shape;
  if (frames !== depth.shape[0]) throw new Error(`csv export: tokens has ${frames} frames but depth has ${depth.shape[0]}`);
  if (layer && (layer.shape.length !== 1 || layer.shape[0] !== frames)) throw new Error(`csv export: layer must be 1-D with ${frames} frames, got shape [${layer.shape}]`);
  const fmt = tokens.dtype === 'f32' ? formatF32 : formatF64;
  yield ['frame', 'layer', 'depth', 'sequence', 'token', ...Array.from({ length: d }, (_, j) => `x${j}`)].join(',') + '\n';
  const xs = tokens.data;
  for (let f = 0; f < frames; f++) {
    const lines: string[] = new Array(batch * n);
    const prefix = `${f},${layer ? layer.data[f] : f},${formatF64(depth.data[f])},`;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < n; i++) {
        let line = `${prefix}${b},${i}`;
        const base = ((f * batch + b) * n + i) * d;
        for (let j = 0; j < d; j++) line += ',' + fmt(xs[base + j]);
        lines[b * n + i] = line;
      }
    }
    if (lines.length > 0) yield lines.join('\n') + '\n';
  }
}

/**
 * CSV text of a map over a 2-D grid in long format: one row per grid point (i1, i2), header
 *   i1,i2,x1,x2,<name>,... (<name>0, <name>1, ... for arrays with a trailing axis)
 * from the axis arrays `x1`, `x2` (N1, N2) and every array shaped (N1, N2) or (N1, N2, k), in the
 * order given. Float32 values with the fewest round-trip digits, float64 in full, integers as is.
 */
export function* gridCsvChunks(x1: NdArray, x2: NdArray, fields: [string, NdArray][]): Generator<string> {
  if (x1.shape.length !== 1 || x2.shape.length !== 1) throw new Error('csv export: x1 and x2 must be 1-D grid axes');
  const [n1, n2] = [x1.shape[0], x2.shape[0]];
  const cols = fields
    .filter(([, a]) => a.shape[0] === n1 && a.shape[1] === n2 && (a.shape.length === 2 || a.shape.length === 3))
    .map(([name, a]) => ({ name, a, k: a.shape.length === 3 ? a.shape[2] : 1, fmt: a.dtype === 'f32' ? formatF32 : formatF64 }));
  const header = ['i1', 'i2', 'x1', 'x2'];
  for (const c of cols) {
    if (c.a.shape.length === 2) header.push(c.name);
    else for (let j = 0; j < c.k; j++) header.push(`${c.name}${j}`);
  }
  yield header.join(',') + '\n';
  for (let i1 = 0; i1 < n1; i1++) {
    const lines: string[] = new Array(n2);
    for (let i2 = 0; i2 < n2; i2++) {
      const p = i1 * n2 + i2;
      let line = `${i1},${i2},${formatF64(x1.data[i1])},${formatF64(x2.data[i2])}`;
      for (const c of cols) for (let j = 0; j < c.k; j++) line += ',' + c.fmt(c.a.data[p * c.k + j]);
      lines[i2] = line;
    }
    yield lines.join('\n') + '\n';
  }
}
