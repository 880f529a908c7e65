// A sweep's runs -> one snapshot (the .npz `flowlab sweep` writes), used by runSweep and by
// mergeSweeps alike so that merged shards are exactly the unsharded sweep:
//
//  * Unsharded, an array `name` that every run has with the same dtype and shape is stacked:
//    shape (n1, n2, ..., *run_shape), run k's data at flat index k (row-major, first axis
//    outermost). Any other array, and every array of a shard, is stored once per run as
//    `<name>__<k>` (k the flat index in the whole sweep).
//  * meta (meta.json, after the exporter's lab and config, the base config): appVersion;
//    sweep { axes [{ key, values }], shape, points (the flat indices in this file), shard
//    ({ index, count } or null) }; backends (the distinct meta.backend of the runs); runs [{ index,
//    config (the run's full validated config), meta (the run's own meta: backend, adapter,
//    timings, ...) }]; timings { totalMs }.

import type { NdArray, Snapshot } from '../io/snapshot-types';
import type { SweepShard } from './public';

/** Separator of per-run members: `<name>__<flat index>`. */
export const RUN_MEMBER_SEPARATOR = '__';

export interface SweepRun {
  index: number;
  config: unknown;
  arrays: Record<string, NdArray>;
  meta: Record<string, unknown>;
}

export interface SweepLayout {
  lab: string;
  appVersion: string;
  base: unknown;
  axes: { key: string; values: unknown[] }[];
  shape: number[];
  shard: SweepShard | null;
}

/** The array name of run `index`'s array `name` when it is not stacked. */
export function runMemberName(name: string, index: number): string {
  return `${name}${RUN_MEMBER_SEPARATOR}${index}`;
}

function sameLayout(a: NdArray, b: NdArray): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((s, i) => s === b.shape[i]);
}

/** Run k's arrays stacked along leading sweep axes (runs in flat-index order, complete). */
function stack(shape: readonly number[], arrays: NdArray[]): NdArray {
  const first = arrays[0];
  const per = first.data.length;
  const Ctor = first.data.constructor as new (n: number) => NdArray['data'];
  const data = new Ctor(per * arrays.length);
  arrays.forEach((a, k) => data.set(a.data as never, k * per));
  return { dtype: first.dtype, shape: [...shape, ...first.shape], data };
}

/** The snapshot of a sweep (or of a shard of it) from its runs; `runs` sorted by index. */
export function assembleSweep(layout: SweepLayout, runs: readonly SweepRun[], totalMs: number): Snapshot {
  for (const run of runs) {
    for (const name of Object.keys(run.arrays)) {
      // A lab array named like a per-run member would be ambiguous in the file.
      if (name.includes(RUN_MEMBER_SEPARATOR)) throw new Error(`lab ${layout.lab}: array ${JSON.stringify(name)} contains "${RUN_MEMBER_SEPARATOR}", reserved for a sweep's per-run members`);
    }
  }
  const total = layout.shape.reduce((p, n) => p * n, 1);
  const complete = layout.shard === null && runs.length === total && runs.every((r, k) => r.index === k);
  const names: string[] = [];
  for (const run of runs) for (const name of Object.keys(run.arrays)) if (!names.includes(name)) names.push(name);
  const stacked = new Set(
    complete ? names.filter((name) => runs.every((r) => r.arrays[name] !== undefined && sameLayout(r.arrays[name], runs[0].arrays[name]))) : [],
  );
  const arrays: Record<string, NdArray> = {};
  for (const name of names) if (stacked.has(name)) arrays[name] = stack(layout.shape, runs.map((r) => r.arrays[name]));
  for (const run of runs) {
    for (const [name, a] of Object.entries(run.arrays)) if (!stacked.has(name)) arrays[runMemberName(name, run.index)] = a;
  }
  const backends = [...new Set(runs.map((r) => r.meta.backend).filter((b): b is string => typeof b === 'string'))].sort();
  return {
    lab: layout.lab,
    config: layout.base,
    arrays,
    meta: {
      appVersion: layout.appVersion,
      sweep: { axes: layout.axes.map((a) => ({ key: a.key, values: a.values })), shape: layout.shape, points: runs.map((r) => r.index), shard: layout.shard },
      backends,
      runs: runs.map((r) => ({ index: r.index, config: r.config, meta: r.meta })),
      timings: { totalMs },
    },
  };
}
