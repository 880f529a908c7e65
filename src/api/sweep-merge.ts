// Shards of one sweep -> the unsharded sweep (mergeSweeps in src/index.ts, `flowlab merge`).
// Every file is read strictly (src/io/npz-read.ts) and checked before anything is joined:
//
//  * its meta.json is a sweep's (lab, base config, appVersion, sweep { axes, shape, points,
//    shard }, runs) and agrees with the first file's lab, base config, axes and appVersion;
//  * every run's recorded config is the one the base and the axes give for its point (the plan is
//    rebuilt and validated by the lab, as the sweep did);
//  * its arrays are `<name>__<k>` for points k of that file (or stacked arrays of a complete,
//    unsharded file);
//  * the files' points are disjoint and together every point of the sweep.
// The runs are then assembled by the same code as an unsharded sweep (sweep-assemble.ts), so the
// merged arrays are bit-equal to the unsharded sweep's and its meta equal but for timings.
// Problems are FieldErrors naming the file and the field, the point indices missing or twice.

import { FieldError } from '../io/field-error';
import { readNpzStrict } from '../io/npz-read';
import type { NdArray, Snapshot } from '../io/snapshot-types';
import { formatBytes, type MemoryBudget } from '../labs/budget';
import { getLab } from '../labs/registry';
import type { SweepFile } from './public';
import { RUN_MEMBER_SEPARATOR, assembleSweep, type SweepRun } from './sweep-assemble';
import { MAX_SWEEP_POINTS, coordsOf, planSweep, type SweepNames } from './sweep-plan';

/** Copies of the input a merge holds at its peak: the files, unpacked members, joined arrays, the output zip. */
const MERGE_COPIES = 4;
/** Members one shard may have: every point of a sweep times a generous number of arrays per run. */
const MAX_MEMBERS = MAX_SWEEP_POINTS * 64 + 1;

interface ShardFile {
  name: string;
  lab: string;
  appVersion: string;
  base: unknown;
  axes: { key: string; values: unknown[] }[];
  shape: number[];
  points: number[];
  runs: { index: number; config: unknown; meta: Record<string, unknown> }[];
  totalMs: number;
  arrays: Record<string, NdArray>;
}

/** The files' bytes, MERGE_COPIES times, within the budget (checked before they are read, by the CLI, and again here). */
export function checkMergeBudget(files: readonly { name: string; size: number }[], budget: MemoryBudget): void {
  const bytes = files.reduce((s, f) => s + f.size, 0);
  if (!(MERGE_COPIES * bytes <= budget.bytes)) {
    throw new FieldError(
      'merge inputs',
      `${files.length} files of ${formatBytes(bytes)} need about ${formatBytes(MERGE_COPIES * bytes)} of memory (read, unpacked, joined, written)`,
      `at most ${formatBytes(budget.bytes)}, the memory budget (${budget.source}); ${budget.raise}`,
    );
  }
}

/** Canonical JSON (sorted keys) for comparing values read from different files. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isIndex = (v: unknown, total: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < total;

/** A file's meta.json as a sweep's, checked field by field. */
function readShard(file: SweepFile, maxBytes: number): ShardFile {
  const { arrays, meta } = readNpzStrict(file.bytes, { source: file.name, maxBytes, maxMembers: MAX_MEMBERS });
  const field = (f: string): string => `${file.name}: meta.json ${f}`;
  if (!isRecord(meta)) throw new FieldError(`${file.name}: meta.json`, meta === undefined ? '(missing)' : meta, 'the meta.json of a flowlab sweep');
  const { lab, config, appVersion, sweep, runs, timings } = meta;
  if (typeof lab !== 'string') throw new FieldError(field('lab'), lab, 'a lab id');
  if (typeof appVersion !== 'string') throw new FieldError(field('appVersion'), appVersion, 'a version string');
  if (!isRecord(sweep)) throw new FieldError(field('sweep'), sweep ?? '(missing)', 'the sweep record of `flowlab sweep` (this file is not a sweep)');
  const { axes, shape, points } = sweep;
  if (!Array.isArray(axes) || axes.length === 0 || !axes.every((a) => isRecord(a) && typeof a.key === 'string' && Array.isArray(a.values) && a.values.length > 0)) {
    throw new FieldError(field('sweep.axes'), axes, 'a non-empty list of { key, values }');
  }
  const axisList = axes as { key: string; values: unknown[] }[];
  if (!Array.isArray(shape) || shape.length !== axisList.length || !shape.every((n, a) => n === axisList[a].values.length)) {
    throw new FieldError(field('sweep.shape'), shape, `the axes' lengths [${axisList.map((a) => a.values.length).join(', ')}]`);
  }
  const total = axisList.reduce((p, a) => p * a.values.length, 1);
  if (total > MAX_SWEEP_POINTS) throw new FieldError(field('sweep.shape'), shape, `at most ${MAX_SWEEP_POINTS} points`);
  if (!Array.isArray(points) || points.length === 0 || !points.every((k, i) => isIndex(k, total) && (i === 0 || k > points[i - 1]))) {
    throw new FieldError(field('sweep.points'), points, `increasing flat indices in [0, ${total - 1}]`);
  }
  if (!Array.isArray(runs) || runs.length !== points.length || !runs.every((r, i) => isRecord(r) && r.index === points[i] && isRecord(r.config) && isRecord(r.meta))) {
    throw new FieldError(field('runs'), Array.isArray(runs) ? `${runs.length} entries` : runs, `one { index, config, meta } per point of sweep.points, in order (${points.length})`);
  }
  const totalMs = isRecord(timings) && typeof timings.totalMs === 'number' && Number.isFinite(timings.totalMs) ? timings.totalMs : 0;
  return { name: file.name, lab, appVersion, base: config, axes: axisList, shape: shape as number[], points: points as number[], runs: runs as ShardFile['runs'], totalMs, arrays };
}

/** Split a shard's arrays into its runs' arrays: `<name>__<k>`, or stacked arrays of a complete file. */
function runArrays(shard: ShardFile, total: number): Map<number, Record<string, NdArray>> {
  const byRun = new Map<number, Record<string, NdArray>>(shard.points.map((k) => [k, {}]));
  const complete = shard.points.length === total;
  for (const [name, a] of Object.entries(shard.arrays)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*?)__(0|[1-9]\d*)$/.exec(name);
    if (m) {
      const run = byRun.get(Number(m[2]));
      if (!run) throw new FieldError(`${shard.name}: ${name}.npy`, name, `a member of a point of this file (sweep.points: ${shard.points.join(', ')})`);
      run[m[1]] = a;
      continue;
    }
    if (name.includes(RUN_MEMBER_SEPARATOR) || !complete || shard.shape.some((n, i) => a.shape[i] !== n)) {
      throw new FieldError(`${shard.name}: ${name}.npy`, `shape (${a.shape.join(', ')})`, `<name>__<k> per point, or an array stacked over the sweep's shape (${shard.shape.join(', ')}, ...) in a complete sweep`);
    }
    const runShape = a.shape.slice(shard.shape.length);
    const per = runShape.reduce((p, n) => p * n, 1);
    for (let k = 0; k < total; k++) byRun.get(k)![name] = { dtype: a.dtype, shape: [...runShape], data: a.data.slice(k * per, (k + 1) * per) };
  }
  return byRun;
}

/** Join the shards (any order) into the snapshot of the whole sweep; FieldError naming the file on any mismatch. */
export function mergeSweepFiles(files: readonly SweepFile[], budget: MemoryBudget, names: SweepNames): Snapshot {
  if (files.length === 0) throw new FieldError('merge inputs', '(none)', 'one or more .npz shards of one sweep');
  checkMergeBudget(files.map((f) => ({ name: f.name, size: f.bytes.length })), budget);
  const shards = files.map((f) => readShard(f, budget.bytes));
  const first = shards[0];
  for (const s of shards.slice(1)) {
    const same = (what: string, a: unknown, b: unknown): void => {
      if (canonical(a) !== canonical(b)) throw new FieldError(`${s.name}: meta.json ${what}`, b, `the same as in ${first.name} (shards of one sweep)`);
    };
    same('lab', first.lab, s.lab);
    same('appVersion', first.appVersion, s.appVersion);
    same('config', first.base, s.base);
    same('sweep.axes', first.axes, s.axes);
  }
  const lab = getLab(first.lab);
  const total = first.shape.reduce((p, n) => p * n, 1);
  const owner = new Map<number, string>();
  for (const s of shards) {
    for (const k of s.points) {
      const other = owner.get(k);
      if (other !== undefined) throw new FieldError(s.name, `point ${k} (${describePoint(first, k)}), also in ${other}`, 'shards with disjoint points (each shard of one --shard i/n once)');
      owner.set(k, s.name);
    }
  }
  const missing = [...Array(total).keys()].filter((k) => !owner.has(k));
  if (missing.length > 0) {
    const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? `, ... (${missing.length} in all)` : '');
    throw new FieldError('merge inputs', `points ${shown} of 0..${total - 1} missing`, 'every point of the sweep: add the shards that hold them');
  }
  // The recorded configs must be the ones the sweep's plan gives (it also re-validates them).
  const plan = planSweep(lab, first.base, first.axes, null, names);
  const runs: SweepRun[] = [];
  for (const s of shards) {
    const arrays = runArrays(s, total);
    for (const r of s.runs) {
      if (canonical(r.config) !== canonical(plan.points[r.index].config)) {
        throw new FieldError(`${s.name}: meta.json runs[${s.points.indexOf(r.index)}].config`, r.config, `the config of point ${r.index} (${describePoint(first, r.index)}) built from the base config and the axes`);
      }
      runs.push({ index: r.index, config: r.config, meta: r.meta, arrays: arrays.get(r.index)! });
    }
  }
  runs.sort((a, b) => a.index - b.index);
  const layout = { lab: first.lab, appVersion: first.appVersion, base: first.base, axes: first.axes, shape: first.shape, shard: null };
  return assembleSweep(layout, runs, shards.reduce((s, f) => s + f.totalMs, 0));
}

function describePoint(shard: Pick<ShardFile, 'axes' | 'shape'>, k: number): string {
  const coords = coordsOf(k, shard.shape);
  return shard.axes.map((a, i) => `${a.key}=${JSON.stringify(a.values[coords[i]])}`).join(', ');
}
