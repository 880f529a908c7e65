// Untrusted input, read safely. Every path that turns outside text into values goes through here:
// the URL state, `--set`, the panel, config files, the page's file imports and snapshots.
//
//  * setPathSafe: the one path setter. Keys __proto__, constructor and prototype are refused (with
//    a FieldError naming the path) before anything is written, so nothing writes through a
//    prototype; objects it creates on the way have no prototype at all. Array steps must be
//    indices up to the array's length (`points[999999999]` or `points.length` would make a huge
//    sparse array that later loops walk element by element).
//  * readJsonText / checkJsonTree: JSON documents with a UTF-8 BOM accepted, nesting capped (a
//    20,000-deep document is refused with a FieldError, not a stack overflow in later code) and
//    the forbidden keys refused (JSON.parse makes "__proto__" an own property that a later
//    Object.assign or spread-into-setter would turn into a prototype). The check walks the tree
//    with an explicit stack, never by recursion. Objects from JSON.parse keep Object.prototype:
//    with the forbidden keys refused no key reaches it, and later code may rely on ordinary objects.
//  * strictNumber: a number field in a config or `--set` takes a JSON number, never a string.
//  * decimalLiteral: URL values are text; a number there is a plain decimal literal (no hex, no
//    padding, no blank, no Infinity).
//  * readFileText: a file's size is checked before it is read whole (the page's imports).

import { FieldError } from './field-error';

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
export const FORBIDDEN_ALLOWED = 'a field name other than __proto__, constructor or prototype';

/** Deepest nesting a JSON document (config, snapshot, import) may have; real ones stay below 10. */
export const MAX_JSON_DEPTH = 64;

export type PathPart = string | number;

/** "mu1.points[2][1]" from ["mu1", "points", 2, 1] (numbers are array indices). */
export function pathText(parts: readonly PathPart[], prefix = ''): string {
  let s = prefix;
  for (const p of parts) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

/**
 * The inverse of pathText: "mu1.points[2][1]" -> ["mu1", "points", 2, 1]. Anything else (empty
 * parts, "a..b", an unclosed "[") is a FieldError naming `field` (`--set`'s and `--vary`'s keys,
 * runSweep's axes).
 */
export function splitPathText(path: string, field: string): PathPart[] {
  const parts: PathPart[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  const bad = (): FieldError => new FieldError(field, path, 'a config path such as lambda, particles.count or mu1.points[0][1]');
  let consumed = 0;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    const between = path.slice(consumed, m.index);
    if (between !== '' && between !== '.') throw bad();
    parts.push(m[1] !== undefined ? m[1] : Number(m[2]));
    consumed = re.lastIndex;
  }
  if (parts.length === 0 || consumed !== path.length) throw bad();
  return parts;
}

/** Throws a FieldError when `key` is one of the keys that reach a prototype. */
export function checkKey(key: PathPart, field: string): void {
  if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) throw new FieldError(field, key, FORBIDDEN_ALLOWED);
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

function isContainer(v: unknown): v is Record<PathPart, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Set `value` at `path` in `root` (mutates): a dotted string ("particles.count", URL state and the
 * panel) or parts with numbers for array indices (`--set mu1.points[2][1]`). Missing or non-object
 * steps are replaced by new objects (prototype-less) or arrays (when the next part is a number).
 * Every part is checked before anything is written, so a refused path leaves `root` untouched.
 * `field` names the path in messages (default: the path itself).
 */
export function setPathSafe(root: Record<string, unknown>, path: string | readonly PathPart[], value: unknown, field?: string): void {
  const parts: readonly PathPart[] = typeof path === 'string' ? path.split('.') : path;
  const name = field ?? (typeof path === 'string' ? path : pathText(path));
  if (parts.length === 0) throw new FieldError(name, '', 'a field path');
  for (const part of parts) checkKey(part, name);
  // Walk once without writing to check array steps against the arrays there (or to be created).
  let probe: unknown = root;
  for (const part of parts) {
    if (isContainer(probe)) {
      checkArrayStep(probe, part, name);
      probe = Object.hasOwn(probe, part) ? probe[part] : undefined;
    } else {
      // A container is created here: an empty array when `part` is an index, which must then be 0.
      if (typeof part === 'number' && part !== 0) throw new FieldError(name, part, 'an array index in [0, 0] (a new, empty array)');
      probe = undefined;
    }
  }
  let node = root as Record<PathPart, unknown>;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    let next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (!isContainer(next)) {
      next = typeof parts[i + 1] === 'number' ? [] : Object.create(null);
      node[key] = next;
    }
    node = next as Record<PathPart, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** In an array only an index up to its length (replace or append) may be written. */
function checkArrayStep(node: object, key: PathPart, field: string): void {
  if (!Array.isArray(node)) return;
  const index = typeof key === 'number' ? key : ARRAY_INDEX.test(key) ? Number(key) : NaN;
  if (!Number.isInteger(index) || index < 0 || index > node.length) {
    throw new FieldError(field, key, `an array index in [0, ${node.length}] (the array has ${node.length} entries)`);
  }
}

/** The text without a leading UTF-8 byte order mark (editors on Windows write one). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** JSON.parse after stripping a BOM; throws JSON.parse's SyntaxError (callers word the message). */
export function parseJsonText(text: string): unknown {
  return JSON.parse(stripBom(text));
}

interface Frame {
  node: object;
  depth: number;
  key: PathPart;
  parent: Frame | null;
}

function framePath(f: Frame | null, extra?: PathPart): PathPart[] {
  const parts: PathPart[] = extra === undefined ? [] : [extra];
  for (let c = f; c !== null && c.parent !== null; c = c.parent) parts.push(c.key);
  return parts.reverse();
}

/** A field path for messages, its middle cut when it is long (deep nesting). */
function shortPath(parts: readonly PathPart[], prefix: string): string {
  if (parts.length <= 8) return pathText(parts, prefix);
  const tail = pathText(parts.slice(-2), 'x').slice(1);
  return `${pathText(parts.slice(0, 4), prefix)}...${tail.startsWith('.') ? tail.slice(1) : tail}`;
}

/**
 * Checks a parsed JSON value (or a plain object given to the library API) without recursion:
 * nesting at most `maxDepth` containers deep, no key __proto__, constructor or prototype.
 * `field` prefixes the paths in messages ('' for a config, whose fields are top-level names).
 * A container seen twice (shared or cyclic, possible in library API objects) is checked once.
 */
export function checkJsonTree(value: unknown, field = '', maxDepth = MAX_JSON_DEPTH): void {
  if (!isContainer(value)) return;
  const seen = new Set<object>();
  const stack: Frame[] = [{ node: value, depth: 1, key: '', parent: null }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f.node)) continue;
    seen.add(f.node);
    if (f.depth > maxDepth) {
      const path = framePath(f);
      throw new FieldError(shortPath(path, field) || field || 'value', `nested more than ${maxDepth} levels deep`, `JSON nested at most ${maxDepth} levels deep`);
    }
    if (Array.isArray(f.node)) {
      const a = f.node as unknown[];
      for (let i = a.length - 1; i >= 0; i--) {
        const c = a[i];
        if (isContainer(c)) stack.push({ node: c, depth: f.depth + 1, key: i, parent: f });
      }
    } else {
      const keys = Object.keys(f.node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        const c = (f.node as Record<string, unknown>)[k];
        if (FORBIDDEN_KEYS.has(k)) throw new FieldError(shortPath(framePath(f, k), field), c, FORBIDDEN_ALLOWED);
        if (isContainer(c)) stack.push({ node: c, depth: f.depth + 1, key: k, parent: f });
      }
    }
  }
}

/**
 * A JSON document from untrusted text: BOM stripped, parsed, checked by checkJsonTree. Invalid
 * JSON is a FieldError naming `field` with `allowed` (what the document should be).
 */
export function readJsonText(text: string, field: string, allowed: string, maxDepth = MAX_JSON_DEPTH): unknown {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError(field, `invalid JSON (${(e as Error).message})`, allowed);
  }
  checkJsonTree(raw, '', maxDepth);
  return raw;
}

/** A finite JSON number (configs, `--set`): strings such as "0.5" are refused, naming the field. */
export function strictNumber(value: unknown, field: string, allowed: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new FieldError(field, value, allowed);
  return value;
}

const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * The finite number a plain decimal literal spells ("-0", "0.5", "1e-3", "+2."), or undefined:
 * no hex, no whitespace, no blank, no Infinity or NaN (URL values are text).
 */
export function decimalLiteral(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

// ---- files (the page's imports) ----

const MiB = 1 << 20;

/** Largest file each of the page's imports reads, checked on File.size before reading it. */
export const FILE_LIMITS = {
  /** A .json snapshot (recorded frames of a run). */
  snapshot: 64 * MiB,
  /** A point set: at most 16,384 points in R^8, about 3.5 MB of JSON or CSV. */
  pointSet: 8 * MiB,
  /** A transformer token batch. */
  tokens: 8 * MiB,
  /** A primal-dual problem {A, b, objective} (n <= 16). */
  problem: 1 * MiB,
} as const;

/** What readFileText needs of a File (browsers' File and Node's Blob-based File both fit). */
export interface SizedFile {
  name: string;
  size: number;
  text(): Promise<string>;
}

export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < MiB ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Throws a FieldError naming the file when it is larger than `maxBytes`. */
export function checkFileSize(file: Pick<SizedFile, 'name' | 'size'>, maxBytes: number, what: string): void {
  if (!(file.size <= maxBytes)) throw new FieldError(file.name, formatBytes(file.size), `${what} of at most ${formatBytes(maxBytes)}`);
}

/** The file's text, after checking its size (refused before anything is read). */
export async function readFileText(file: SizedFile, maxBytes: number, what: string): Promise<string> {
  checkFileSize(file, maxBytes, what);
  return file.text();
}
