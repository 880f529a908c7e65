// The limit objects of the bilevel lab, in float64 (DOM-free; the page, the CLI's meta and the
// tests use them):
//  * the rigidity witness: two upper-level points whose strict active sets I(x) = {i : mu_i > 0}
//    differ, the straight path between them, and where it crosses a failure set (located by
//    bisection on the change of I along the path, named by the smallest margin there);
//  * the spec's 1-D gap demo: lower level min 1/2 (y - x)^2 s.t. y <= 0 (y* = min(x, 0); SCSC
//    fails at x = 0), upper level F(x) = 1/2 (y*(x) - 1)^2 + (eps/2) x^2, minimised exactly at
//    x = 0 where the hypergradient jumps from -1 to 0;
//  * grid-refinement levels and active-set labels.

import { clampToGrid } from './config';
import { solvePixel } from './reference';
import { CONDITIONS, type BilevelConfig, type Condition, type Family, type Perturbation, type PixelSolution } from './types';

/** Bitmask of the strictly active constraints {i : mu_i > 0} (bit i = constraint i + 1). */
export function strictSet(sol: PixelSolution): number {
  let bits = 0;
  sol.mu.forEach((u, i) => {
    if (u > 0 && (sol.active >> i) & 1) bits |= 1 << i;
  });
  return bits;
}

/** "{}" or "{1, 4}": constraint numbers as in the spec (bit k = constraint k + 1). */
export function activeSetLabel(_family: Family, bits: number): string {
  const members: number[] = [];
  for (let i = 0; i < 4; i++) if ((bits >> i) & 1) members.push(i + 1);
  return `{${members.join(', ')}}`;
}

/** Default witness endpoints of each family, pulled inside the grid's range. */
export function defaultWitnessPoints(config: BilevelConfig): [[number, number], [number, number]] {
  const raw: Record<Family, [[number, number], [number, number]]> = {
    qp: [[0, 0], [2, 2]],
    lp: [[0, 0], [1.2, 0]],
    disk: [[0, 0], [1.5, 1.5]],
    abs: [[-1, 0.5], [1, 0.5]],
    cusp: [[-1, -0.5], [-1, 0.5]],
  };
  const [a, b] = raw[config.family];
  return [clampToGrid(config.grid, a), clampToGrid(config.grid, b)];
}

export interface WitnessSample {
  t: number;
  x: [number, number];
  strict: number;
  margins: [number, number, number];
}

export interface WitnessCrossing {
  /** Position on the path, x = a + t (b - a). */
  t: number;
  x: [number, number];
  /** The condition with the smallest margin at the crossing (the one that fails there). */
  condition: Condition;
  margin: number;
  /** Every condition whose margin vanishes there (to 1e-9): the LP loses SCSC and SOSC together. */
  conditions: Condition[];
  /** Strict active sets just before and after. */
  from: number;
  to: number;
}

export interface RigidityWitness {
  a: { x: [number, number]; strict: number };
  b: { x: [number, number]; strict: number };
  /** I(a) != I(b): then LICQ + SCSC cannot both hold along any path between them. */
  differ: boolean;
  path: WitnessSample[];
  crossings: WitnessCrossing[];
}

/** A margin this small at a located crossing counts as zero (bisection leaves ~1e-13). */
const CROSSING_MARGIN = 1e-9;

const along = (a: readonly number[], b: readonly number[], t: number): [number, number] => [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];

/**
 * Sample the segment a -> b (`samples` points), and locate every change of the strict active set
 * to 1e-12 in t by bisection; at each change the smallest margin names the failing condition.
 */
export function rigidityWitness(
  family: Family,
  perturbation: Perturbation,
  a: readonly [number, number],
  b: readonly [number, number],
  samples = 401,
): RigidityWitness {
  const solve = (x: [number, number]) => solvePixel(family, x[0], x[1], perturbation);
  const path: WitnessSample[] = [];
  for (let k = 0; k < samples; k++) {
    const t = samples === 1 ? 0 : k / (samples - 1);
    const x = along(a, b, t);
    const s = solve(x);
    path.push({ t, x, strict: strictSet(s), margins: [...s.margins] as [number, number, number] });
  }
  const crossings: WitnessCrossing[] = [];
  for (let k = 1; k < path.length; k++) {
    if (path[k].strict === path[k - 1].strict) continue;
    let lo = path[k - 1].t;
    let hi = path[k].t;
    const from = path[k - 1].strict;
    for (let it = 0; it < 60 && hi - lo > 1e-13; it++) {
      const mid = (lo + hi) / 2;
      if (strictSet(solve(along(a, b, mid))) === from) lo = mid;
      else hi = mid;
    }
    const t = (lo + hi) / 2;
    const x = along(a, b, t);
    const margins = solve(x).margins;
    let c = 0;
    for (let j = 1; j < 3; j++) if (margins[j] < margins[c]) c = j;
    const vanishing = CONDITIONS.filter((_, j) => margins[j] <= CROSSING_MARGIN);
    crossings.push({ t, x, condition: CONDITIONS[c], margin: margins[c], conditions: vanishing.length > 0 ? vanishing : [CONDITIONS[c]], from, to: path[k].strict });
  }
  const first = path[0];
  const last = path[path.length - 1];
  return {
    a: { x: [a[0], a[1]], strict: first.strict },
    b: { x: [b[0], b[1]], strict: last.strict },
    differ: first.strict !== last.strict,
    path,
    crossings,
  };
}

export interface GapDemo {
  x: Float64Array;
  yStar: Float64Array;
  /** F(x) = 1/2 (y*(x) - 1)^2 + (eps/2) x^2. */
  value: Float64Array;
  /** dF/dx = (y* - 1) (d y-star / dx) + eps x; NaN at x = 0, where y* has no derivative. */
  hypergradient: Float64Array;
  /** The minimiser of F: 0, on the SCSC failure point of the lower level. */
  xMin: number;
  /** Left and right limits of the hypergradient at 0: -1 and 0. */
  jump: [number, number];
}

/** The spec's 1-D gap demo on `count` points of `range` (an odd count puts a sample on x = 0). */
export function gapDemo(eps: number, count = 401, range: [number, number] = [-1.5, 1.5]): GapDemo {
  const x = new Float64Array(count);
  const yStar = new Float64Array(count);
  const value = new Float64Array(count);
  const hypergradient = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const xi = count === 1 ? 0 : range[0] + ((range[1] - range[0]) * k) / (count - 1);
    const xs = Math.abs(xi) < 1e-15 ? 0 : xi;
    x[k] = xs;
    yStar[k] = Math.min(xs, 0);
    value[k] = 0.5 * (yStar[k] - 1) ** 2 + 0.5 * eps * xs * xs;
    hypergradient[k] = xs === 0 ? NaN : (xs < 0 ? yStar[k] - 1 : 0) + eps * xs;
  }
  return { x, yStar, value, hypergradient, xMin: 0, jump: [-1, 0] };
}

/**
 * Grid sides for the refinement study: n, 2n, 4n, halving n first while 4n > maxN (never below 4).
 */
export function refinementLevels(n: number, maxN: number): number[] {
  let start = Math.max(1, n);
  while (4 * start > maxN && start > 4) start = Math.floor(start / 2);
  return [start, 2 * start, 4 * start].filter((v) => v <= Math.max(maxN, start));
}

/** Distinct active-set bitmasks of a map, sorted. */
export function activeRegions(active: ArrayLike<number>): number[] {
  return [...new Set(Array.from(active))].sort((p, q) => p - q);
}
