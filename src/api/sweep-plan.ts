// The plan of a sweep, made and checked before anything runs: its axes (config paths and values),
// the flat indices of the Cartesian product (row-major: the first axis is the outermost), the
// shard's share of them, every point's config built from the base and validated by the lab, and
// the memory budget of the shard (each run's peak, plus everything the sweep holds for its output).
//
// Messages name the caller's fields: `--vary` / `--shard` for the CLI, `options.vary` /
// `options.shard` for runSweep. A point whose config the lab refuses is a SweepPointError naming
// the axis and value that broke it, e.g.
//   --vary lambda[2] = -1: lambda: got -1; allowed: a number in [0, 100]
// or, when no single axis is the culprit (record > steps), every axis value of the point.
//
// Shards: 1 <= index <= count <= the number of points. A count above the number of points would
// leave shards with nothing to do; that is a mis-sized job array, so it is refused up front
// rather than written as empty files that merge would have to accept.

import { FieldError, formatValue } from '../io/field-error';
import { checkJsonTree, pathText, setPathSafe, splitPathText, type PathPart } from '../io/input';
import { MAX_ARRAY_ELEMENTS, MemoryBudgetError, checkMemoryBudget, encodedBytes, encodedLargestArray, type MemoryBudget, type MemoryEstimate } from '../labs/budget';
import type { LabDefinition } from '../labs/lab';
import type { SweepShard } from './public';

/** The most points one sweep may have (all shards together): each is a whole run. */
export const MAX_SWEEP_POINTS = 4096;

/** How the caller names the axes and the shard in messages. */
export interface SweepNames {
  vary: string;
  shard: string;
}
export const CLI_SWEEP_NAMES: SweepNames = { vary: '--vary', shard: '--shard' };
export const LIBRARY_SWEEP_NAMES: SweepNames = { vary: 'options.vary', shard: 'options.shard' };

export interface PlannedAxis {
  /** The key as given (and as meta.json records it). */
  key: string;
  path: PathPart[];
  values: unknown[];
}

export interface SweepPoint<Config> {
  /** Flat (row-major) index in the whole sweep. */
  index: number;
  config: Config;
}

export interface SweepPlan<Config> {
  /** The base config (before the axes' values), as given. */
  base: Record<string, unknown>;
  axes: PlannedAxis[];
  /** Number of values of each axis. */
  shape: number[];
  /** Points of the whole sweep. */
  total: number;
  shard: SweepShard | null;
  /** This shard's points (all of them when unsharded), by increasing index. */
  points: SweepPoint<Config>[];
}

/** A point the lab refuses: the FieldError of its config, prefixed with the axis value(s) that made it. */
export class SweepPointError extends FieldError {
  constructor(
    label: string,
    readonly inner: FieldError,
  ) {
    super(label, inner.value, inner.allowed);
    this.name = 'SweepPointError';
    this.message = `${label}: ${inner.message}`;
  }
}

function checkAxes(axes: unknown, names: SweepNames): PlannedAxis[] {
  if (!Array.isArray(axes) || axes.length === 0) throw new FieldError(names.vary, axes === undefined ? '(none)' : axes, 'at least one axis: key=v1,v2,... (a config path and its values)');
  const planned = axes.map((axis: unknown, i): PlannedAxis => {
    const field = `${names.vary}[${i}]`;
    if (typeof axis !== 'object' || axis === null) throw new FieldError(field, axis, '{ key, values }');
    const { key, values } = axis as { key?: unknown; values?: unknown };
    if (typeof key !== 'string' || key.trim() === '') throw new FieldError(`${names.vary}`, key ?? '(no key)', 'key=v1,v2,... with a config path as key (lambda, particles.count, mu1.points[0][1])');
    const path = splitPathText(key.trim(), `${names.vary} ${key}`);
    if (!Array.isArray(values) || values.length === 0) throw new FieldError(`${names.vary} ${key}`, '(no values)', 'a non-empty list of values, key=v1,v2,...');
    values.forEach((v, j) => {
      if (v === undefined) throw new FieldError(`${names.vary} ${key}[${j}]`, '(empty)', 'a JSON value');
      checkJsonTree(v, `${names.vary} ${key}[${j}]`);
    });
    return { key: key.trim(), path, values: values.map((v) => structuredClone(v)) };
  });
  // The same field twice, or a field inside another axis's value (mu1 and mu1.points), would make
  // one axis silently overwrite another.
  for (const [i, a] of planned.entries()) {
    for (const b of planned.slice(i + 1)) {
      const [short, long] = a.path.length <= b.path.length ? [a, b] : [b, a];
      if (short.path.every((p, k) => String(p) === String(long.path[k]))) {
        throw new FieldError(`${names.vary} ${b.key}`, b.key, `a key given once and not inside another axis (${a.key} is already an axis)`);
      }
    }
  }
  return planned;
}

function checkShard(shard: unknown, total: number, names: SweepNames): SweepShard | null {
  if (shard === undefined || shard === null) return null;
  const allowed = `i/n with integers 1 <= i <= n <= ${total} (the number of points)`;
  const { index, count } = (typeof shard === 'object' ? shard : {}) as { index?: unknown; count?: unknown };
  const shown = typeof shard === 'object' ? `${formatValue(index)}/${formatValue(count)}` : shard;
  if (!Number.isInteger(index) || !Number.isInteger(count)) throw new FieldError(names.shard, shown, allowed);
  const [i, n] = [index as number, count as number];
  if (n < 1 || i < 1 || i > n || n > total) throw new FieldError(names.shard, shown, allowed);
  return { index: i, count: n };
}

/** Row-major coordinates of flat index k (first axis outermost). */
export function coordsOf(k: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    coords[a] = k % shape[a];
    k = Math.floor(k / shape[a]);
  }
  return coords;
}

/** The flat indices shard `shard` runs: k % count == index - 1 (all of them when null). */
export function shardIndices(total: number, shard: SweepShard | null): number[] {
  const out: number[] = [];
  for (let k = 0; k < total; k++) if (shard === null || k % shard.count === shard.index - 1) out.push(k);
  return out;
}

/** The label of point k in messages: the axis that the lab's error names, else every axis value. */
function pointLabel(axes: readonly PlannedAxis[], coords: readonly number[], k: number, inner: FieldError, names: SweepNames): string {
  const named = (a: number): string => `${axes[a].key}[${coords[a]}] = ${formatValue(axes[a].values[coords[a]])}`;
  let best = -1;
  axes.forEach((axis, a) => {
    const key = pathText(axis.path);
    const hit = inner.field === key || inner.field.startsWith(`${key}.`) || inner.field.startsWith(`${key}[`);
    if (hit && (best < 0 || key.length > pathText(axes[best].path).length)) best = a;
  });
  if (best >= 0) return `${names.vary} ${named(best)}`;
  return `${names.vary} point ${k} (${axes.map((_, a) => named(a)).join(', ')})`;
}

/**
 * Check the axes and the shard, build and validate every point's config (all points, not only the
 * shard's: every job of an array refuses a bad sweep alike). Throws FieldError / SweepPointError.
 */
export function planSweep<Config>(lab: LabDefinition<Config>, base: unknown, axes: unknown, shard: unknown, names: SweepNames): SweepPlan<Config> {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new FieldError('config', base, 'a JSON object (the base config of the sweep)');
  const planned = checkAxes(axes, names);
  const shape = planned.map((a) => a.values.length);
  const total = shape.reduce((p, n) => p * n, 1);
  if (total > MAX_SWEEP_POINTS) {
    throw new FieldError(names.vary, `${shape.join(' x ')} = ${total} points`, `at most ${MAX_SWEEP_POINTS} points in one sweep (split it into several sweeps)`);
  }
  const share = checkShard(shard, total, names);
  const mine = new Set(shardIndices(total, share));
  const points: SweepPoint<Config>[] = [];
  for (let k = 0; k < total; k++) {
    const coords = coordsOf(k, shape);
    const raw = structuredClone(base) as Record<string, unknown>;
    planned.forEach((axis, a) => setPathSafe(raw, axis.path, structuredClone(axis.values[coords[a]]), `${names.vary} ${axis.key}`));
    let config: Config;
    try {
      config = lab.parseConfig(raw);
    } catch (e) {
      if (e instanceof FieldError) throw new SweepPointError(pointLabel(planned, coords, k, e, names), e);
      throw e;
    }
    if (mine.has(k)) points.push({ index: k, config });
  }
  return { base: structuredClone(base) as Record<string, unknown>, axes: planned, shape, total, shard: share, points };
}

/** Bytes one run's configuration takes in meta.json (runs[].config), for the output estimate. */
function configBytes(config: unknown): number {
  return 2 * JSON.stringify(config).length;
}

/** Arrays per run assumed for the .npy headers' overhead (snapshots have 3 to 15). */
const ARRAYS_PER_RUN = 32;

/**
 * The shard's memory: every run alone within the budget (a run over it is named by its point), and
 * the largest run's peak plus what the sweep holds for its output — the runs' arrays, the stacked
 * copies, the .npy members and the zip (about 3x the recorded bytes, budget.ts encodedBytes) and
 * the configs in meta.json — within it too. Throws MemoryBudgetError naming the fields.
 */
export function checkSweepBudget<Config>(lab: LabDefinition<Config>, plan: SweepPlan<Config>, budget: MemoryBudget, names: SweepNames): MemoryEstimate {
  let peak: MemoryEstimate | null = null;
  let recorded = 0;
  let meta = 0;
  for (const p of plan.points) {
    let estimate: MemoryEstimate;
    try {
      estimate = checkMemoryBudget(lab, p.config, budget, {});
    } catch (e) {
      // Stays a MemoryBudgetError (callers catch that, with its estimate); the message names the point.
      if (e instanceof MemoryBudgetError) e.message = `${pointLabel(plan.axes, coordsOf(p.index, plan.shape), p.index, e, names)}: ${e.message}`;
      throw e;
    }
    if (peak === null || estimate.bytes > peak.bytes) peak = estimate;
    recorded += estimate.parts.recorded ?? 0;
    meta += configBytes(p.config);
  }
  if (peak === null) throw new Error('a sweep plan without points'); // checkShard makes every shard non-empty
  const size = { bytes: recorded, values: 0, arrays: ARRAYS_PER_RUN * plan.points.length, csvRows: 0 };
  const output = recorded + encodedBytes('npz', size) + meta;
  const countText = `${plan.points.length} points${plan.shard ? ` (shard ${plan.shard.index}/${plan.shard.count} of ${plan.total})` : ''}`;
  const outputFirst = output >= peak.bytes;
  const drivers = outputFirst ? [names.vary, ...peak.drivers] : [...peak.drivers, names.vary];
  const estimate: MemoryEstimate = {
    bytes: peak.bytes + output,
    drivers,
    values: { ...peak.values, [names.vary]: countText },
    parts: Object.fromEntries(Object.entries({ 'sweep output': output, ...peak.parts }).sort((a, b) => b[1] - a[1])),
    largestArray: Math.max(peak.largestArray, encodedLargestArray('npz', size)),
  };
  if (!(estimate.bytes <= budget.bytes)) throw new MemoryBudgetError(estimate, budget, 'budget');
  if (!(estimate.largestArray <= MAX_ARRAY_ELEMENTS)) throw new MemoryBudgetError(estimate, budget, 'array');
  return estimate;
}
