// The trajectory picture's contract (three.js scene or Canvas 2D fallback) and the line segments
// they draw (DOM-free): per token, the segments X^l -> X^{l+1} of its path through depth, with the
// colour of the depth at each end. The Canvas 2D picture builds them here; the three.js scene gets
// the same ones from a GPU kernel that follows segmentPlan (segments-gpu.ts). Three parts,
// drawn in order: the other sequences (dim, thinned beyond MAX_OTHER_SEGMENTS), the selected
// sequence's tokens (viridis by depth), and the selected sequence's query/CLS token (vermillion to
// orange, so it reads as different from every token; palette.ts).

import type { ScreenMap } from '../../shared/view/screen-map';
import { pointIndex, type Box, type PictureLayout } from './geometry';
import { depthColour, queryColour } from './palette';

export interface SegmentSpec {
  /** Picture points, (L+1) x batch x rows x 3 (geometry.ts picturePoints). */
  points: Float32Array;
  L: number;
  batch: number;
  rows: number;
  /** Token rows per sequence (rows = n + 1 with a query token). */
  n: number;
  selected: number;
  showOthers: boolean;
  layout: PictureLayout;
}

export interface SegmentPart {
  name: 'others' | 'selected' | 'query';
  /** 2 vertices x 3 per segment. */
  positions: Float32Array;
  colours: Float32Array;
  /** Depth layer l of each segment (X^l -> X^{l+1}). */
  layer: Uint16Array;
  count: number;
  opacity: number;
  order: number;
}

export interface TrajectoryPicture {
  resize(width: number, height: number): void;
  /** New segments; 2-D layouts draw on `map`'s bounds; keepView keeps a 3-D camera where the user left it. */
  setData(spec: SegmentSpec, box: Box, map: ScreenMap | null, keepView: boolean): void;
  /** Picture point -> CSS pixels (null when not visible). */
  project(x: number, y: number, z: number): [number, number] | null;
  render(): void;
  /** Called when the user orbits or zooms (the overlay follows). */
  onViewChange(listener: () => void): void;
  dispose(): void;
}

/** Segments of the other sequences at most (sequences are thinned by stride beyond). */
export const MAX_OTHER_SEGMENTS = 300_000;

/** What one part draws: every segment of rows rowFrom..rowTo-1 of each sequence in seqs, in that order. */
export interface PartPlan {
  name: SegmentPart['name'];
  seqs: number[];
  rowFrom: number;
  rowTo: number;
  colour: (s: number) => [number, number, number];
  /** Colour factor (the others are dimmed). */
  dim: number;
  opacity: number;
  order: number;
}

/**
 * Which sequences and rows each part draws (shared by the CPU segments below and the GPU kernel,
 * segments-gpu.ts, so both pictures thin and order the same way).
 */
export function segmentPlan(spec: Omit<SegmentSpec, 'points' | 'layout'>): PartPlan[] {
  const { L, batch, rows, n, selected } = spec;
  const others: number[] = [];
  if (spec.showOthers && batch > 1) {
    const stride = Math.max(1, Math.ceil(((batch - 1) * rows * L) / MAX_OTHER_SEGMENTS));
    for (let b = 0; b < batch; b += stride) if (b !== selected) others.push(b);
  }
  const parts: PartPlan[] = [
    { name: 'others', seqs: others, rowFrom: 0, rowTo: rows, colour: depthColour, dim: 0.8, opacity: 0.22, order: 1 },
    { name: 'selected', seqs: [selected], rowFrom: 0, rowTo: n, colour: depthColour, dim: 1, opacity: 1, order: 2 },
  ];
  if (rows > n) parts.push({ name: 'query', seqs: [selected], rowFrom: n, rowTo: rows, colour: queryColour, dim: 1, opacity: 1, order: 3 });
  return parts;
}

export function trajectorySegments(spec: SegmentSpec): SegmentPart[] {
  const { points, L, batch, rows } = spec;
  const build = ({ name, seqs, rowFrom, rowTo, colour, dim, opacity, order }: PartPlan): SegmentPart => {
    const max = seqs.length * (rowTo - rowFrom) * L;
    const positions = new Float32Array(max * 6);
    const colours = new Float32Array(max * 6);
    const layer = new Uint16Array(max);
    let count = 0;
    for (const b of seqs)
      for (let r = rowFrom; r < rowTo; r++)
        for (let l = 0; l < L; l++) {
          const a = pointIndex(l, b, r, batch, rows) * 3;
          const z = pointIndex(l + 1, b, r, batch, rows) * 3;
          let finite = true;
          for (let c = 0; c < 3; c++) finite &&= Number.isFinite(points[a + c]) && Number.isFinite(points[z + c]);
          if (!finite) continue;
          const ca = colour(l / L);
          const cz = colour((l + 1) / L);
          for (let c = 0; c < 3; c++) {
            positions[count * 6 + c] = points[a + c];
            positions[count * 6 + 3 + c] = points[z + c];
            colours[count * 6 + c] = dim * ca[c];
            colours[count * 6 + 3 + c] = dim * cz[c];
          }
          layer[count] = l;
          count++;
        }
    return { name, positions: positions.subarray(0, count * 6), colours: colours.subarray(0, count * 6), layer: layer.subarray(0, count), count, opacity, order };
  };
  return segmentPlan(spec).map(build);
}

/** Layer l's point of (sequence b, row r) from a picture-points array. */
export function pointAt(points: Float32Array, l: number, b: number, r: number, batch: number, rows: number): [number, number, number] {
  const o = pointIndex(l, b, r, batch, rows) * 3;
  return [points[o], points[o + 1], points[o + 2]];
}
