// Command-line parsing for `flowlab`, small enough not to need a library. Flags take a value as
// `--flag value` or `--flag=value`; `--set` repeats. Errors are UsageError (exit code 2).

import { FieldError } from '../io/field-error';
import { checkJsonTree, setPathSafe, splitPathText } from '../io/input';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  /** Last value of each flag (booleans: 'true'). */
  flags: Map<string, string>;
  /** All `--set key=value` assignments, in order. */
  sets: { path: string; value: string }[];
  /** All `--vary key=v1,v2,...` values (flowlab sweep), raw and in order: the first is the outermost axis. */
  varies: string[];
}

const VALUE_FLAGS = new Set(['config', 'out', 'set', 'vary', 'shard', 'integrators', 'steps', 'h', 'tols', 'backend', 'preset', 'format', 'max-memory', 'lab']);
const BOOLEAN_FLAGS = new Set(['help', 'version', 'json', 'quiet']);
const SHORT: Record<string, string> = { h: 'help', c: 'config', o: 'out', q: 'quiet', V: 'version' };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  const sets: { path: string; value: string }[] = [];
  const varies: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = SHORT[arg[1]];
      if (!name) throw new UsageError(`unknown option ${arg}`);
    }
    if (name === undefined) {
      positionals.push(arg);
      continue;
    }
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, 'true');
      continue;
    }
    if (!VALUE_FLAGS.has(name)) {
      throw new UsageError(`unknown option --${name} (known: ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(', ')})`);
    }
    let value = inline;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (name === 'set') {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new UsageError(`--set expects key=value (e.g. --set lambda=2 or --set particles.count=1000), got ${JSON.stringify(value)}`);
      sets.push({ path: value.slice(0, eq).trim(), value: value.slice(eq + 1) });
    } else if (name === 'vary') {
      varies.push(value);
    } else {
      flags.set(name, value);
    }
  }
  return { command: positionals[0], positionals: positionals.slice(1), flags, sets, varies };
}

/**
 * `--set` values: JSON when they parse as JSON (numbers, arrays, objects, true), else the raw
 * string. A number field then takes only a JSON number: `--set alpha=0.5` works, while
 * `--set 'alpha="0.5"'` (a JSON string) and `--set alpha=0x10` (not JSON: the string "0x10") are
 * refused by the config check. JSON values are checked like config files (nesting depth, no
 * __proto__ / constructor / prototype keys); `path` names the field in those messages.
 */
export function parseSetValue(text: string, path = '--set'): unknown {
  const trimmed = text.trim();
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
  checkJsonTree(value, path);
  return value;
}

/** Split "a.b[2].c" into ["a", "b", 2, "c"] (src/io/input.ts splitPathText, as a UsageError). */
export function splitPath(path: string): (string | number)[] {
  try {
    return splitPathText(path, '--set');
  } catch (e) {
    if (e instanceof FieldError) throw new UsageError(`bad --set key ${JSON.stringify(path)}`);
    throw e;
  }
}

/**
 * Set `value` at `path` inside a plain JSON value, creating objects/arrays on the way (src/io/input.ts's
 * setPathSafe: __proto__, constructor and prototype are refused with a FieldError naming the path).
 */
export function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  setPathSafe(root, splitPath(path), value, path);
}
