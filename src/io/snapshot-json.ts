// The .json snapshot: config + meta + every array with its dtype and shape + the lab's resume
// state, so importing it continues the run exactly. Numbers are written so they parse back to the
// same float64 (JavaScript's shortest round-trip form); float32 data is written as the float64 of
// each float32 value, so it reloads bit-exactly. JSON has no NaN/Infinity: those are written as
// the strings "NaN", "Infinity", "-Infinity".
//
//   { "format": "flowlab-snapshot", "version": 1, "lab": "score-mixing", "config": {...},
//     "meta": {...}, "arrays": { "t": { "dtype": "f64", "shape": [41], "data": [...] }, ... },
//     "resume": {...} }

import { FieldError } from './field-error';
import { checkJsonTree, parseJsonText } from './input';
import { checkKey } from './input';
import { checkNdArray, elementCount, typedArrayOf } from './npy';
import type { DType, NdArray, Snapshot, TypedArrayOf } from './snapshot-types';

export const SNAPSHOT_FORMAT = 'flowlab-snapshot';
export const SNAPSHOT_VERSION = 1;
const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'u32', 'u8'];

const CHUNK = 1 << 16;

/** The JSON text of `data`, in pieces of CHUNK values. */
function* dataJsonChunks(data: TypedArrayOf): Generator<string> {
  yield '[';
  for (let start = 0; start < data.length; start += CHUNK) {
    const part = data.subarray(start, Math.min(data.length, start + CHUNK));
    // join() writes -0 as "0": values that are not finite or are -0 take the slow path ("-0" parses back to -0).
    let plain = true;
    for (let i = 0; i < part.length; i++) {
      if (!Number.isFinite(part[i]) || Object.is(part[i], -0)) {
        plain = false;
        break;
      }
    }
    const text = plain
      ? part.join(',')
      : Array.from(part, (v) => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? String(v) : JSON.stringify(String(v)))).join(',');
    yield (start > 0 ? ',' : '') + text;
  }
  yield ']';
}

/** JSON.stringify, except that -0 stays -0 (a config or resume value must read back exactly). */
function stringifyExact(v: unknown): string {
  let token: string | null = null;
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (!Object.is(x, -0)) return x;
    token ??= `__flowlab_negative_zero_${Math.random().toString(36).slice(2)}__`;
    return token;
  });
  return token === null ? text : text.split(`"${token}"`).join('-0');
}

/** Serialise a snapshot in pieces (arrays stream as text; no intermediate number[] copies). */
export function* snapshotJsonChunks(s: Snapshot): Generator<string> {
  const head = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    lab: s.lab,
    config: s.config,
    meta: s.meta,
  };
  yield stringifyExact(head).slice(0, -1) + ',"arrays":{';
  let first = true;
  for (const [name, a] of Object.entries(s.arrays)) {
    checkNdArray(name, a);
    yield `${first ? '' : ','}${JSON.stringify(name)}:{"dtype":${JSON.stringify(a.dtype)},"shape":${JSON.stringify(a.shape)},"data":`;
    yield* dataJsonChunks(a.data);
    yield '}';
    first = false;
  }
  yield '}';
  if (s.resume !== undefined) yield `,"resume":${stringifyExact(s.resume)}`;
  yield '}\n';
}

export function snapshotToJson(s: Snapshot): string {
  return [...snapshotJsonChunks(s)].join('');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseArray(name: string, raw: unknown): NdArray {
  const field = `arrays.${name}`;
  if (!isRecord(raw)) throw new FieldError(field, raw, 'an object {dtype, shape, data}');
  const dtype = raw.dtype;
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype as DType)) {
    throw new FieldError(`${field}.dtype`, dtype, `one of ${DTYPES.map((d) => JSON.stringify(d)).join(', ')}`);
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || (s as number) < 0)) {
    throw new FieldError(`${field}.shape`, shape, 'an array of non-negative integers');
  }
  const n = elementCount(shape as number[]);
  const values = raw.data;
  if (!Array.isArray(values) || values.length !== n) {
    throw new FieldError(`${field}.data`, Array.isArray(values) ? `${values.length} values` : values, `an array of ${n} numbers (shape [${shape}])`);
  }
  const data: TypedArrayOf = typedArrayOf(dtype as DType, n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const num = typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : undefined;
    if (num === undefined) throw new FieldError(`${field}.data[${i}]`, v, 'a number (or "NaN", "Infinity", "-Infinity")');
    if ((dtype === 'i32' || dtype === 'u32' || dtype === 'u8') && !Number.isInteger(num)) throw new FieldError(`${field}.data[${i}]`, v, `an integer (${dtype})`);
    data[i] = num;
  }
  return { dtype: dtype as DType, shape: shape as number[], data };
}

/**
 * Parse and structurally validate a .json snapshot. Checking it against its lab (config, array
 * names, shapes, finite state, resume) is src/labs/snapshot-check.ts's validateSnapshot, which
 * every caller runs next, so io stays independent of labs.
 */
export function parseSnapshotJson(text: string): Snapshot {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError('snapshot', `invalid JSON (${(e as Error).message})`, 'a .json snapshot written by flowlab');
  }
  checkJsonTree(raw); // nesting depth, no __proto__ / constructor / prototype keys (fields named from the top: config.mu1...)
  return parseSnapshotValue(raw);
}

/** parseSnapshotJson of an already parsed JSON value (a --config file, a script's JSON.parse). */
export function parseSnapshotValue(raw: unknown): Snapshot {
  if (!isRecord(raw)) throw new FieldError('snapshot', raw, 'a JSON object');
  if (raw.format !== SNAPSHOT_FORMAT) throw new FieldError('format', raw.format, JSON.stringify(SNAPSHOT_FORMAT));
  if (raw.version !== SNAPSHOT_VERSION) throw new FieldError('version', raw.version, `${SNAPSHOT_VERSION} (this flowlab reads version ${SNAPSHOT_VERSION})`);
  if (typeof raw.lab !== 'string' || raw.lab.length === 0) throw new FieldError('lab', raw.lab, 'a lab id, e.g. "score-mixing"');
  if (!('config' in raw)) throw new FieldError('config', undefined, 'the run config object');
  const meta = raw.meta === undefined ? {} : raw.meta;
  if (!isRecord(meta)) throw new FieldError('meta', meta, 'an object');
  if (!isRecord(raw.arrays)) throw new FieldError('arrays', raw.arrays, 'an object of named arrays');
  const arrays: Record<string, NdArray> = {};
  for (const [name, a] of Object.entries(raw.arrays)) {
    checkKey(name, `arrays.${name}`); // arrays["__proto__"] = ... would set the prototype
    arrays[name] = parseArray(name, a);
  }
  const s: Snapshot = { lab: raw.lab, config: raw.config, arrays, meta };
  if (raw.resume !== undefined) s.resume = raw.resume;
  return s;
}
