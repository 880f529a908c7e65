// `flowlab merge a.npz b.npz ... --out all.npz`: join the shards of one sweep (`flowlab sweep
// --shard i/n`, given in any order, e.g. a shell glob part-*.npz) into the file the unsharded
// sweep writes, through the library (src/api/sweep-merge.ts). The files' sizes are checked against
// the memory budget (--max-memory) before they are read. Any problem with a file — not a sweep,
// another sweep's shard, a point missing or twice — exits 2 naming the file and the points.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { formatFromPath, exportSnapshotParts } from '../io/export';
import { FieldError } from '../io/field-error';
import { checkMergeBudget, mergeSweepFiles } from '../api/sweep-merge';
import { CLI_SWEEP_NAMES } from '../api/sweep-plan';
import { UsageError, type ParsedArgs } from './args';
import { cliMemoryBudget, outPath } from './config-input';
import { human, writeParts, type CliIo } from './run-command';

const ALLOWED_FLAGS = new Set(['out', 'max-memory', 'quiet']);

export async function mergeCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  for (const flag of args.flags.keys()) {
    if (!ALLOWED_FLAGS.has(flag)) throw new UsageError(`flowlab merge: --${flag} does not apply (options: --out, --max-memory, --quiet)`);
  }
  if (args.sets.length > 0) throw new UsageError('flowlab merge: --set does not apply (the shards carry their config)');
  if (args.varies.length > 0) throw new UsageError('flowlab merge: --vary does not apply (the shards carry their axes)');
  const paths = args.positionals;
  if (paths.length === 0) throw new UsageError('flowlab merge: give the shards to join: flowlab merge part-*.npz --out all.npz');
  const out = outPath(args, 'merge', 'all.npz');
  if (formatFromPath(out) !== 'npz') throw new UsageError(`--out: got ${JSON.stringify(out)}; allowed: a .npz file (a sweep is written as .npz only)`);
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isFile()) throw new UsageError(`flowlab merge: file not found: ${p}`);
  }
  if (new Set(paths).size !== paths.length) throw new UsageError(`flowlab merge: a file is given twice: ${paths.find((p, i) => paths.indexOf(p) !== i)}`);
  const budget = cliMemoryBudget(args.flags.get('max-memory'));
  let bytes: number;
  let points: number;
  try {
    checkMergeBudget(paths.map((p) => ({ name: p, size: statSync(p).size })), budget);
    const snapshot = mergeSweepFiles(paths.map((p) => ({ name: p, bytes: readFileSync(p) })), budget, CLI_SWEEP_NAMES);
    points = (snapshot.meta.sweep as { points: number[] }).points.length;
    bytes = writeParts(out, exportSnapshotParts(snapshot, 'npz'));
  } catch (e) {
    // A bad shard is bad input (exit 2), but not a config: say which file.
    if (e instanceof FieldError) throw new UsageError(`merge: ${e.message}`);
    throw e;
  }
  if (!args.flags.has('quiet')) io.stderr.write(`flowlab: merged ${paths.length} files (${points} points) into ${out} (${human(bytes)})\n`);
  return 0;
}
