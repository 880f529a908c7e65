// `flowlab run <lab> --config <file.json> [--preset id] [--set key=value ...] --out <file>`:
// build the config, validate it, run it through the library (src/api/run.ts: backend choice,
// headless run), write the snapshot.

import { existsSync, readFileSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { exportSnapshotParts, formatFromPath, EXPORT_FORMATS, type ExportFormat } from '../io/export';
import { checkJsonTree, parseJsonText } from '../io/input';
import { getLab } from '../labs/registry';
import { UsageError, parseSetValue, setPath, type ParsedArgs } from './args';
import { memoryBudget } from '../api/budget';
import { runParsedLab } from '../api/run';
import { FieldError } from '../io/field-error';
import type { MemoryBudget } from '../labs/budget';
import { configOfSnapshotValue, isSnapshotValue } from '../api/snapshot-input';
import type { LabDefinition } from '../labs/lab';
import { backendRequest, type BackendChoice } from './backend';
import { ProgressReporter } from './progress';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

function readConfigFile(path: string, lab: LabDefinition<unknown>): Record<string, unknown> {
  if (!existsSync(path)) throw new UsageError(`--config: file not found: ${path}`);
  let raw: unknown;
  try {
    raw = parseJsonText(readFileSync(path, 'utf8')); // a UTF-8 BOM is accepted
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
  checkJsonTree(raw); // FieldError (exit 2): nesting deeper than 64, a __proto__ / constructor / prototype key
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`--config ${path}: expected a JSON object`);
  const obj = raw as Record<string, unknown>;
  // A .json snapshot works as a config: its full config reproduces the run. The whole snapshot is
  // checked first (version, arrays, shapes, finite state, resume: src/labs/snapshot-check.ts).
  if (isSnapshotValue(obj)) {
    if (obj.lab !== lab.id) throw new UsageError(`--config ${path}: a snapshot of lab ${JSON.stringify(obj.lab)}, not ${JSON.stringify(lab.id)}`);
    return configOfSnapshotValue(obj, lab) as Record<string, unknown>;
  }
  return obj;
}

/** --max-memory (bytes or 512MiB, 8GiB, ...), else 3/4 of this machine's memory (api/budget.ts). */
function cliMemoryBudget(flag: string | undefined): MemoryBudget {
  try {
    return memoryBudget({ maxMemory: flag, field: '--max-memory', raise: 'raise it with --max-memory (e.g. --max-memory 32GiB)' });
  } catch (e) {
    if (e instanceof FieldError) throw new UsageError(e.message);
    throw e;
  }
}

function outputFormat(out: string, explicit: string | undefined): ExportFormat {
  if (explicit !== undefined) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(explicit)) {
      throw new UsageError(`--format: got ${JSON.stringify(explicit)}; allowed: one of ${EXPORT_FORMATS.join(', ')}`);
    }
    return explicit as ExportFormat;
  }
  const f = formatFromPath(out);
  if (!f) throw new UsageError(`--out: got ${JSON.stringify(out)}; allowed: a file name ending in ${EXPORT_FORMATS.map((e) => `.${e}`).join(', ')} (or give --format)`);
  return f;
}

function writeParts(path: string, parts: Uint8Array[]): number {
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

function human(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export async function runCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const labId = args.positionals[0];
  if (!labId) throw new UsageError('flowlab run: missing <lab> (see `flowlab labs`)');
  if (args.positionals.length > 1) throw new UsageError(`flowlab run: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const lab = getLab(labId);

  const out = args.flags.get('out');
  if (!out) throw new UsageError('flowlab run: --out <file.npz|.json|.csv> is required');
  const format = outputFormat(out, args.flags.get('format'));
  const outDir = dirname(resolve(out));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new UsageError(`--out: directory does not exist: ${outDir}`);

  const configPath = args.flags.get('config');
  const presetId = args.flags.get('preset');
  let raw: Record<string, unknown>;
  if (configPath) {
    if (presetId) throw new UsageError('give either --config or --preset, not both');
    raw = readConfigFile(configPath, lab);
  } else if (presetId) {
    const preset = lab.presets.find((p) => p.id === presetId);
    if (!preset) throw new UsageError(`--preset: got ${JSON.stringify(presetId)}; allowed: one of ${lab.presets.map((p) => p.id).join(', ')}`);
    raw = structuredClone(preset.config) as Record<string, unknown>;
  } else {
    throw new UsageError(`flowlab run ${lab.id}: --config <file.json> is required (or --preset <id>; see \`flowlab labs ${lab.id}\`)`);
  }
  for (const { path, value } of args.sets) setPath(raw, path, parseSetValue(value, path));

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
