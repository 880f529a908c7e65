// What `flowlab run`, `sweep` and `convergence` share on the way in: the raw config from --config
// (a JSON file or a .json snapshot) or --preset, with --set applied; the memory budget of
// --max-memory; the output format of --out / --format. Every failure is a UsageError or a
// FieldError naming the flag or field (exit code 2).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatFromPath, EXPORT_FORMATS, type ExportFormat } from '../io/export';
import { checkJsonTree, parseJsonText } from '../io/input';
import { UsageError, parseSetValue, setPath, type ParsedArgs } from './args';
import { memoryBudget } from '../api/budget';
import { FieldError } from '../io/field-error';
import type { MemoryBudget } from '../labs/budget';
import { configOfSnapshotValue, isSnapshotValue } from '../api/snapshot-input';
import type { LabDefinition } from '../labs/lab';

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
export function cliMemoryBudget(flag: string | undefined): MemoryBudget {
  try {
    return memoryBudget({ maxMemory: flag, field: '--max-memory', raise: 'raise it with --max-memory (e.g. --max-memory 32GiB)' });
  } catch (e) {
    if (e instanceof FieldError) throw new UsageError(e.message);
    throw e;
  }
}

export function outputFormat(out: string, explicit: string | undefined): ExportFormat {
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

/** The --out path, checked: given, and its directory exists. */
export function outPath(args: ParsedArgs, command: string, expected: string): string {
  const out = args.flags.get('out');
  if (!out) throw new UsageError(`flowlab ${command}: --out <${expected}> is required`);
  const outDir = dirname(resolve(out));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new UsageError(`--out: directory does not exist: ${outDir}`);
  return out;
}

/** The raw (unvalidated) config of --config or --preset, with every --set applied in order. */
export function rawConfigOf(args: ParsedArgs, lab: LabDefinition<unknown>, command: string): Record<string, unknown> {
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
    throw new UsageError(`flowlab ${command} ${lab.id}: --config <file.json> is required (or --preset <id>; see \`flowlab labs ${lab.id}\`)`);
  }
  for (const { path, value } of args.sets) setPath(raw, path, parseSetValue(value, path));
  return raw;
}
