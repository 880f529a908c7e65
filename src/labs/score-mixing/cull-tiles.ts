// Host data of shaders/lib/cull.wgsl (small-t culling): measures in k-d tree order (so that every
// tile of CULL_TILE atoms and every group of GROUP_TILES tiles is one tree node: compact,
// non-overlapping boxes; src/math/kd-order.ts), the tile and group boxes, the default eps and its stated bound, and the test that tells when culling cannot skip
// anything (then the callers run the dense kernel). Shared by the culled mixed score
// (culled-score.ts) and the potential field (field-kernel.ts).

import { kdOrder } from '../../math/kd-order';
import { packAtoms } from './gpu-common';
import type { Measure } from './types';

/** Atoms per tile and tiles per group (CULL_TILE, GROUP_TILES in shaders/lib/cull.wgsl). */
export const CULL_TILE = 64;
export const GROUP_TILES = 16;

/** What a culled dispatch computed (cull.wgsl's counters), next to what the dense loop would. */
export interface CullWork {
  /** (workgroup, tile) loads; dense: workgroups x tiles. */
  tilesLoaded: number;
  denseTiles: number;
  /** Atoms loaded into workgroup memory; dense: workgroups x (n1 + n2). */
  atomsLoaded: number;
  denseAtoms: number;
  /** (query, atom) pairs computed; dense: queries x (n1 + n2). */
  pairs: number;
  densePairs: number;
}

/**
 * The counters [tiles, atoms, pairs] read back from cull.wgsl with the dense counts of `groups`
 * workgroups and `queries` queries; a counter is NaN when its dense count reaches 2^32 (the u32
 * may have wrapped).
 */
export function cullWork(counters: Uint32Array, groups: number, queries: number, n1: number, n2: number): CullWork {
  const dense = {
    denseTiles: groups * (Math.ceil(n1 / CULL_TILE) + Math.ceil(n2 / CULL_TILE)),
    denseAtoms: groups * (n1 + n2),
    densePairs: queries * (n1 + n2),
  };
  const value = (v: number, denseCount: number): number => (denseCount < 2 ** 32 ? v : NaN);
  return {
    tilesLoaded: value(counters[0], dense.denseTiles),
    atomsLoaded: value(counters[1], dense.denseAtoms),
    pairs: value(counters[2], dense.densePairs),
    ...dense,
  };
}

/** Default eps: the mean's culling bound n eps diam is then 1e-7 of the atom spread. */
export function defaultCullEps(mu1: Measure, mu2: Measure): number {
  return 1e-7 / Math.max(mu1.n, mu2.n);
}

/** The stated bound on |m - m(dense)| from culling alone: n eps diam(bounding box of the atoms). */
export function culledMeanBound(mu: Measure, eps: number): number {
  const { lo, hi } = extent(mu.points, mu.d, 0, mu.n);
  let diam2 = 0;
  for (let c = 0; c < mu.d; c++) diam2 += (hi[c] - lo[c]) ** 2;
  return mu.n * eps * Math.sqrt(diam2);
}

/** The measure with its atoms (points, weights, log weights) in the tiles' k-d order. */
export function cullSorted(mu: Measure): Measure {
  const { d, n } = mu;
  const order = kdOrder(mu.points, d, CULL_TILE, GROUP_TILES);
  const points = new Float64Array(n * d);
  const weights = new Float64Array(n);
  const logWeights = mu.logWeights ? new Float64Array(n) : undefined;
  order.forEach((j, k) => {
    points.set(mu.points.subarray(j * d, (j + 1) * d), k * d);
    weights[k] = mu.weights[j];
    if (logWeights && mu.logWeights) logWeights[k] = mu.logWeights[j];
  });
  return { d, n, points, weights, ...(logWeights ? { logWeights } : {}) };
}

/** Bounding box of atoms first..first+n-1 of a row-major point array. */
function extent(points: ArrayLike<number>, d: number, first: number, n: number): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(d).fill(Infinity);
  const hi = new Float64Array(d).fill(-Infinity);
  for (let a = first; a < first + n; a++) {
    for (let c = 0; c < d; c++) {
      const v = points[a * d + c];
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
  }
  return { lo, hi };
}

/**
 * Box descriptors of atoms [first, first + n) of the packed f32 arrays, `size` atoms per box:
 * lo[d], hi[d] (the f32 bounding box), the largest log w (2d + 1 floats per box).
 */
export function boxDescriptors(points: Float32Array, logW: Float32Array, first: number, n: number, d: number, size: number): Float32Array {
  const stride = 2 * d + 1;
  const nBoxes = Math.ceil(n / size);
  const out = new Float32Array(nBoxes * stride);
  for (let k = 0; k < nBoxes; k++) {
    const a0 = first + k * size;
    const cnt = Math.min(size, n - k * size);
    const { lo, hi } = extent(points, d, a0, cnt);
    out.set(lo, k * stride);
    out.set(hi, k * stride + d);
    let wMax = -Infinity;
    for (let a = a0; a < a0 + cnt; a++) wMax = Math.max(wMax, logW[a]);
    out[k * stride + 2 * d] = wMax;
  }
  return out;
}

/**
 * The boxes binding of cull.wgsl for two measures packed one after the other (atoms already in
 * cullSorted order): measure 1's tiles, measure 2's tiles, measure 1's groups, measure 2's groups.
 */
export function cullBoxes(points: Float32Array, logW: Float32Array, n1: number, n2: number, d: number): Float32Array {
  const parts = [
    boxDescriptors(points, logW, 0, n1, d, CULL_TILE),
    boxDescriptors(points, logW, n1, n2, d, CULL_TILE),
    boxDescriptors(points, logW, 0, n1, d, CULL_TILE * GROUP_TILES),
    boxDescriptors(points, logW, n1, n2, d, CULL_TILE * GROUP_TILES),
  ];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Fewest atoms in the larger measure for the generation kernels to cull (16 tiles). */
export const MIN_GENERATION_CULL_ATOMS = 16 * CULL_TILE;

/**
 * When the generation kernels cull (lib/score-mixing-generate.wgsl): below the grid time cullBelow
 * at which the cut-off radius sqrt(4t ln(1/eps)) is a quarter of the diagonal of the atoms' box
 * (above it a query keeps most tiles and the votes would cost more than they save), and only with
 * at least MIN_GENERATION_CULL_ATOMS atoms in a measure; cut = log2(1/eps), eps = defaultCullEps.
 * A speed choice only: culled steps are exact to the stated eps at any t.
 */
export function generationCulling(mu1: Measure, mu2: Measure): { cullBelow: number; cut: number } {
  const eps = defaultCullEps(mu1, mu2);
  if (Math.max(mu1.n, mu2.n) < MIN_GENERATION_CULL_ATOMS) return { cullBelow: 0, cut: Math.log2(1 / eps) };
  const a = extent(mu1.points, mu1.d, 0, mu1.n);
  const b = extent(mu2.points, mu2.d, 0, mu2.n);
  let diag2 = 0;
  for (let c = 0; c < mu1.d; c++) diag2 += (Math.max(a.hi[c], b.hi[c]) - Math.min(a.lo[c], b.lo[c])) ** 2;
  return { cullBelow: diag2 / 16 / (4 * Math.log(1 / eps)), cut: Math.log2(1 / eps) };
}

/**
 * Both measures as shaders/lib/cull.wgsl reads them: atoms in cullSorted order (measure 1 first)
 * with the tile and group boxes appended to the coordinates (`points`), the log weights (`logW`),
 * and the f32 coordinates alone (`atoms`, what cullingSkipsNothing and the error model see).
 */
export function packCulledAtoms(mu1: Measure, mu2: Measure): { points: Float32Array; logW: Float32Array; atoms: Float32Array } {
  const packed = packAtoms(cullSorted(mu1), cullSorted(mu2));
  const boxes = cullBoxes(packed.points, packed.logW, mu1.n, mu2.n, mu1.d);
  const points = new Float32Array(packed.points.length + boxes.length);
  points.set(packed.points);
  points.set(boxes, packed.points.length);
  return { points, logW: packed.logW, atoms: packed.points };
}

/**
 * True when culling provably skips nothing for any of the queries (count*d, row-major): for every
 * query and measure, the smallest tile bound (the smallest tile max log w, at the farthest corner
 * of the atoms' box) is within cut of the largest possible logit (the largest log w at the nearest
 * point of the box). Then the dense kernel gives the same result without the votes' cost.
 */
export function cullingSkipsNothing(
  queries: ArrayLike<number>,
  d: number,
  atoms: { points: Float32Array; logW: Float32Array },
  n1: number,
  n2: number,
  t: number,
  eps: number,
): boolean {
  const scale = Math.LOG2E / (4 * t);
  // A little slack on the cut: the kernel's f32 bounds may be a few ulps looser than these.
  const cut = Math.log2(1 / eps) * (1 - 1e-6);
  for (const [first, n] of [[0, n1], [n1, n2]] as const) {
    const { lo, hi } = extent(atoms.points, d, first, n);
    const tiles = boxDescriptors(atoms.points, atoms.logW, first, n, d, CULL_TILE);
    let wMax = -Infinity;
    let wMinTile = Infinity;
    for (let k = 0; k < tiles.length; k += 2 * d + 1) {
      wMax = Math.max(wMax, tiles[k + 2 * d]);
      wMinTile = Math.min(wMinTile, tiles[k + 2 * d]);
    }
    const weightSpread = (wMax - wMinTile) * Math.LOG2E;
    for (let i = 0; i < queries.length; i += d) {
      let near = 0;
      let far = 0;
      for (let c = 0; c < d; c++) {
        const x = queries[i + c];
        const gap = Math.max(lo[c] - x, x - hi[c], 0);
        const reach = Math.max(Math.abs(x - lo[c]), Math.abs(x - hi[c]));
        near += gap * gap;
        far += reach * reach;
      }
      if (weightSpread + (far - near) * scale > cut) return false;
    }
  }
  return true;
}
