// `flowlab run <lab> --config <file.json> [--preset id] [--set key=value ...] --out <file>`:
// build the config, validate it, run it through the library (src/api/run.ts: backend choice,
// headless run), write the snapshot.

import { writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { exportSnapshotParts } from '../io/export';
import { getLab } from '../labs/registry';
import { UsageError, type ParsedArgs } from './args';
import { runParsedLab } from '../api/run';
import { cliMemoryBudget, outPath, outputFormat, rawConfigOf } from './config-input';
import { backendRequest, type BackendChoice } from './backend';
import { ProgressReporter } from './progress';

const ALLOWED_FLAGS = new Set(['config', 'preset', 'out', 'format', 'backend', 'max-memory', 'quiet']);

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

export function writeParts(path: string, parts: Uint8Array[]): number {
  if (parts.length === 1) {
    writeFileSync(path, parts[0]);
    return parts[0].length;
  }
  const fd = openSync(path, 'w');
  let n = 0;
  try {
    for (const p of parts) n += writeSync(fd, p);
  } finally {
    closeSync(fd);
  }
  return n;
}

export function human(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export async function runCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const labId = args.positionals[0];
  if (!labId) throw new UsageError('flowlab run: missing <lab> (see `flowlab labs`)');
  if (args.positionals.length > 1) throw new UsageError(`flowlab run: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const lab = getLab(labId);
  for (const flag of args.flags.keys()) {
    if (!ALLOWED_FLAGS.has(flag)) throw new UsageError(`flowlab run: --${flag} does not apply (options: ${[...ALLOWED_FLAGS].map((f) => `--${f}`).join(', ')}, --set)`);
  }
  if (args.varies.length > 0) throw new UsageError('flowlab run: --vary does not apply (a sweep is `flowlab sweep`)');

  const out = outPath(args, 'run', 'file.npz|.json|.csv');
  const format = outputFormat(out, args.flags.get('format'));

  const raw = rawConfigOf(args, lab, 'run');

  // Validate before touching the GPU: bad input fails fast with a FieldError; a run over the
  // memory budget too (runParsedLab checks it, with the output format, before any allocation).
  const budget = cliMemoryBudget(args.flags.get('max-memory'));
  const config = lab.parseConfig(raw);

  const quiet = args.flags.has('quiet');
  const progress = new ProgressReporter(`flowlab ${lab.id}`, io.stderr, !quiet);
  // The run itself is the library's (runLab's): same backend selection, same snapshot.
  let chosen: BackendChoice | undefined;
  const snapshot = await runParsedLab(lab, config, {
    backend: backendRequest(args.flags.get('backend'), io.env.FLOWLAB_BACKEND),
    onBackend: (choice) => {
      chosen = choice;
      if (!quiet) io.stderr.write(`flowlab: backend ${choice.backend}: ${choice.note}\n`);
    },
    onProgress: (f) => progress.update(f),
    budget,
    output: format,
  });
  progress.done();
  const bytes = writeParts(out, exportSnapshotParts(snapshot, format));
  if (!quiet) {
    const shapes = Object.entries(snapshot.arrays)
      .map(([k, a]) => `${k} ${a.shape.join('x')} ${a.dtype}`)
      .join(', ');
    const timings = snapshot.meta.timings as { totalMs?: number } | undefined;
    const secs = timings?.totalMs !== undefined ? ` in ${(timings.totalMs / 1000).toFixed(2)} s` : '';
    // The lab may have fallen back (e.g. a variant the GPU path lacks): report what actually ran.
    const ran = typeof snapshot.meta.backend === 'string' ? snapshot.meta.backend : chosen?.backend;
    io.stderr.write(`flowlab: wrote ${out} (${human(bytes)}; ${shapes})${secs} on ${ran}\n`);
  }
  return 0;
}
