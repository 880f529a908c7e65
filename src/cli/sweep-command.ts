// `flowlab sweep <lab> --config base.json [--set k=v ...] --vary key=v1,v2,... [--vary ...]
//   --out sweep.npz [--shard i/n]`: a thin layer over the library's sweep (src/api/sweep.ts): parse
// the axes and the shard, build the base config as `flowlab run` does (--config / --preset, --set),
// run, write the .npz (only .npz: a sweep's arrays would be huge as text).
//
// --vary key=v1,v2,...: key is a config path exactly like --set's; the values are split on commas
// at the top level only (commas inside [], {} or "..." do not split, so
// --vary 'mu1.points=[[0,0],[1,1]],[[0,0],[2,2]]' has two values) and each is parsed like a --set
// value (JSON when it parses, else a string). No '=', an empty key, list or item, unbalanced
// brackets or quotes: a UsageError naming --vary (exit 2); so are the library's refusals of the
// axes and the shard (the same key twice, more than MAX_SWEEP_POINTS points, --shard out of range).
// A point the lab refuses names its axis and value (exit 2, "invalid config").

import { formatFromPath, exportSnapshotParts } from '../io/export';
import { FieldError } from '../io/field-error';
import type { Snapshot } from '../io/snapshot-types';
import { getLab } from '../labs/registry';
import { MemoryBudgetError } from '../labs/budget';
import type { SweepAxis, SweepShard } from '../api/public';
import { runParsedSweep } from '../api/sweep';
import { CLI_SWEEP_NAMES, SweepPointError } from '../api/sweep-plan';
import { UsageError, parseSetValue, type ParsedArgs } from './args';
import { backendRequest } from './backend';
import { cliMemoryBudget, outPath, rawConfigOf } from './config-input';
import { ProgressReporter } from './progress';
import { human, writeParts, type CliIo } from './run-command';

const ALLOWED_FLAGS = new Set(['config', 'preset', 'out', 'shard', 'backend', 'max-memory', 'quiet']);
const OPENERS: Record<string, string> = { '[': ']', '{': '}' };

/** "a,[1,2],{"b":3},"x,y"" -> ['a', '[1,2]', '{"b":3}', '"x,y"']: commas split only outside brackets and strings. */
export function splitTopLevel(text: string, flag = '--vary'): string[] {
  const items: string[] = [];
  const closers: string[] = [];
  let inString = false;
  let start = 0;
  const bad = (why: string): UsageError => new UsageError(`${flag}: got ${JSON.stringify(text)}; ${why}`);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c in OPENERS) closers.push(OPENERS[c]);
    else if (c === ']' || c === '}') {
      if (closers.pop() !== c) throw bad(`allowed: balanced brackets (an unexpected ${c} at character ${i + 1})`);
    } else if (c === ',' && closers.length === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (inString) throw bad('allowed: closed "..." strings');
  if (closers.length > 0) throw bad(`allowed: balanced brackets (a missing ${closers[closers.length - 1]})`);
  items.push(text.slice(start));
  return items.map((s) => s.trim());
}

/** One `--vary key=v1,v2,...` as an axis. */
export function parseVary(raw: string): SweepAxis {
  const eq = raw.indexOf('=');
  const usage = 'allowed: key=v1,v2,... (e.g. --vary lambda=0.5,1,2 or --vary particles.count=100,1000)';
  if (eq < 0) throw new UsageError(`--vary: got ${JSON.stringify(raw)}; ${usage}`);
  const key = raw.slice(0, eq).trim();
  if (key === '') throw new UsageError(`--vary: got ${JSON.stringify(raw)} (no key); ${usage}`);
  const list = raw.slice(eq + 1);
  if (list.trim() === '') throw new UsageError(`--vary ${key}: got an empty list; ${usage}`);
  const items = splitTopLevel(list, `--vary ${key}`);
  items.forEach((item, j) => {
    if (item === '') throw new UsageError(`--vary ${key}: got ${JSON.stringify(list)} (value ${j + 1} is empty); ${usage}, none empty`);
  });
  return { key, values: items.map((item, j) => parseSetValue(item, `--vary ${key}[${j}]`)) };
}

/** `--shard i/n` as two integers (the range, 1 <= i <= n <= points, is the library's check). */
export function parseShard(text: string): SweepShard {
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard: got ${JSON.stringify(text)}; allowed: i/n with integers 1 <= i <= n (e.g. --shard 2/8)`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

function summary(out: string, bytes: number, snapshot: Snapshot): string {
  const sweep = snapshot.meta.sweep as { shape: number[]; points: number[] };
  const arrays = Object.entries(snapshot.arrays);
  const stacked = arrays.filter(([k]) => !k.includes('__')).map(([k, a]) => `${k} ${a.shape.join('x')} ${a.dtype}`);
  const perRun = arrays.length - stacked.length;
  const timings = snapshot.meta.timings as { totalMs: number };
  const backends = (snapshot.meta.backends as string[]).join(', ');
  const parts = [...stacked, ...(perRun > 0 ? [`${perRun} per-run arrays <name>__<k>`] : [])].join(', ');
  return `flowlab: wrote ${out} (${human(bytes)}; ${sweep.points.length} of ${sweep.shape.join('x')} points; ${parts}) in ${(timings.totalMs / 1000).toFixed(2)} s on ${backends}\n`;
}

export async function sweepCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const labId = args.positionals[0];
  if (!labId) throw new UsageError('flowlab sweep: missing <lab> (see `flowlab labs`)');
  if (args.positionals.length > 1) throw new UsageError(`flowlab sweep: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const lab = getLab(labId);
  for (const flag of args.flags.keys()) {
    if (!ALLOWED_FLAGS.has(flag)) throw new UsageError(`flowlab sweep: --${flag} does not apply (options: ${[...ALLOWED_FLAGS].map((f) => `--${f}`).join(', ')}, --set, --vary)`);
  }
  const out = outPath(args, 'sweep', 'sweep.npz');
  if (formatFromPath(out) !== 'npz') throw new UsageError(`--out: got ${JSON.stringify(out)}; allowed: a .npz file (a sweep is written as .npz only)`);
  if (args.varies.length === 0) throw new UsageError(`flowlab sweep ${lab.id}: --vary key=v1,v2,... is required (one per axis)`);
  const axes = args.varies.map(parseVary);
  const shardText = args.flags.get('shard');
  const shard = shardText !== undefined ? parseShard(shardText) : undefined;
  const raw = rawConfigOf(args, lab, 'sweep');
  const budget = cliMemoryBudget(args.flags.get('max-memory'));
  const backend = backendRequest(args.flags.get('backend'), io.env.FLOWLAB_BACKEND);

  const quiet = args.flags.has('quiet');
  const progress = new ProgressReporter(`flowlab sweep ${lab.id}`, io.stderr, !quiet);
  let snapshot: Snapshot;
  try {
    snapshot = await runParsedSweep(lab, raw, axes, shard, {
      backend,
      budget,
      names: CLI_SWEEP_NAMES,
      onPlan: (plan) => {
        if (!quiet) io.stderr.write(`flowlab: sweep of ${plan.shape.join(' x ')} = ${plan.total} points${plan.shard ? `, shard ${plan.shard.index}/${plan.shard.count}: ${plan.points.length} of them` : ''}\n`);
      },
      onBackend: (choice) => {
        if (!quiet) io.stderr.write(`flowlab: backend ${choice.backend}: ${choice.note}\n`);
      },
      onProgress: (f) => progress.update(f),
    });
  } catch (e) {
    // The axes and the shard are flags: their refusals are usage errors naming --vary / --shard.
    // A point's config (SweepPointError) and the memory budget stay config errors.
    if (e instanceof FieldError && !(e instanceof SweepPointError) && !(e instanceof MemoryBudgetError) && /^--(vary|shard)\b/.test(e.field)) throw new UsageError(e.message);
    throw e;
  }
  progress.done();
  const bytes = writeParts(out, exportSnapshotParts(snapshot, 'npz'));
  if (!quiet) io.stderr.write(summary(out, bytes, snapshot));
  return 0;
}
