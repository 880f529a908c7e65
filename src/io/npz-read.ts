// A strict reader of .npz files that come from outside (`flowlab merge` reads the shards of a
// sweep, which may have travelled through a cluster's file system or been edited): every member is
// checked before it is used, and anything this app does not write is refused with a FieldError
// naming the file, the member and what is allowed.
//
//  * The archive: stored or deflated members only; at most `maxMembers` of them; their declared
//    uncompressed sizes summed stay under `maxBytes` (checked from the central directory before
//    anything is inflated, so a zip bomb costs nothing); no member twice.
//  * Member names: `meta.json`, or `<name>.npy` with name a Python identifier that is not
//    __proto__ / constructor / prototype; no directories, no "..", nothing else.
//  * .npy: magic, version 1.0, 2.0 or 3.0, a header that is exactly numpy's dict with the keys
//    descr, fortran_order and shape (each once); descr one of the five dtypes snapshots use
//    (<f4 <f8 <i4 <u4 |u1); fortran_order False (C order); a shape of at most MAX_NPY_DIMS
//    non-negative integers whose product times the item size is exactly the data's length.
//  * meta.json: UTF-8 JSON, at most MAX_META_BYTES, checked by checkJsonTree (depth, no
//    prototype keys).
// The results are fresh, aligned typed arrays in a prototype-less record.
//
// src/io/npz.ts decodeNpz stays the lenient reader of our own files (tests, re-import).

import { strFromU8, unzipSync } from 'fflate';
import { FieldError } from './field-error';
import { FORBIDDEN_KEYS, checkJsonTree } from './input';
import { NPZ_META_MEMBER } from './npz';
import { DTYPE_BYTES, typedArrayOf } from './npy';
import type { DType, NdArray } from './snapshot-types';

/** numpy allows 64 dimensions; snapshots (a sweep's stacked arrays included) need far fewer. */
export const MAX_NPY_DIMS = 32;
/** The largest .npy header accepted (numpy's own v1 limit is 65535 bytes). */
export const MAX_NPY_HEADER_BYTES = 1 << 20;
/** The largest meta.json accepted (a sweep of 4096 points repeats every run's config in it). */
export const MAX_META_BYTES = 256 * 2 ** 20;

const DTYPES: Record<string, DType> = { '<f4': 'f32', '<f8': 'f64', '<i4': 'i32', '<u4': 'u32', '|u1': 'u8' };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const NPY_MEMBER = /^([A-Za-z_][A-Za-z0-9_]*)\.npy$/;

export interface NpzReadLimits {
  /** The file's name in messages. */
  source: string;
  /** Most bytes all members may hold once unpacked. */
  maxBytes: number;
  /** Most members the archive may have. */
  maxMembers: number;
}

export interface ReadNpz {
  /** name (member without .npy) -> array; a prototype-less record. */
  arrays: Record<string, NdArray>;
  /** The parsed meta.json, or undefined when the archive has none. */
  meta: unknown;
}

/** Read and check an .npz from outside; FieldError (field "<source>" or "<source>: <member>") on anything unexpected. */
export function readNpzStrict(bytes: Uint8Array, limits: NpzReadLimits): ReadNpz {
  const { source } = limits;
  const seen = new Set<string>();
  let declared = 0;
  const check = (info: { name: string; originalSize: number; compression: number }): boolean => {
    const field = `${source}: ${info.name}`;
    if (seen.has(info.name)) throw new FieldError(field, 'a second member of that name', 'each member once');
    seen.add(info.name);
    if (seen.size > limits.maxMembers) throw new FieldError(source, `more than ${limits.maxMembers} members`, `at most ${limits.maxMembers}`);
    const m = NPY_MEMBER.exec(info.name);
    if (info.name !== NPZ_META_MEMBER && (!m || FORBIDDEN_KEYS.has(m[1]))) {
      throw new FieldError(field, info.name, `${NPZ_META_MEMBER} or <name>.npy with name a Python identifier (no directories), as flowlab writes`);
    }
    if (info.compression !== 0 && info.compression !== 8) throw new FieldError(field, `compression method ${info.compression}`, 'stored (0) or deflate (8)');
    if (!Number.isSafeInteger(info.originalSize) || info.originalSize < 0) throw new FieldError(field, info.originalSize, 'a member size');
    if (info.name === NPZ_META_MEMBER && info.originalSize > MAX_META_BYTES) throw new FieldError(field, `${info.originalSize} bytes`, `at most ${MAX_META_BYTES} bytes`);
    declared += info.originalSize;
    if (declared > limits.maxBytes) throw new FieldError(source, `members of more than ${limits.maxBytes} bytes unpacked`, `at most ${limits.maxBytes} bytes (the memory budget)`);
    return true;
  };
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: check });
  } catch (e) {
    if (e instanceof FieldError) throw e;
    throw new FieldError(source, `not a readable .npz (${(e as Error).message})`, 'a zip archive of .npy members and meta.json, as flowlab writes');
  }
  const arrays: Record<string, NdArray> = Object.create(null);
  let meta: unknown;
  for (const name of seen) {
    const data = files[name];
    if (data === undefined) throw new FieldError(`${source}: ${name}`, 'a member without data', 'a complete archive');
    if (name === NPZ_META_MEMBER) meta = parseMeta(data, `${source}: ${name}`);
    else arrays[name.slice(0, -'.npy'.length)] = readNpyStrict(data, `${source}: ${name}`);
  }
  return { arrays, meta };
}

function parseMeta(data: Uint8Array, field: string): unknown {
  let meta: unknown;
  try {
    meta = JSON.parse(strFromU8(data));
  } catch (e) {
    throw new FieldError(field, `not JSON (${(e as Error).message})`, 'the meta.json flowlab writes');
  }
  checkJsonTree(meta, field);
  return meta;
}

/** One .npy member, checked as the header comment says. */
export function readNpyStrict(bytes: Uint8Array, field: string): NdArray {
  const fail = (value: unknown, allowed: string): FieldError => new FieldError(field, value, allowed);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('no .npy magic', 'a .npy file (\\x93NUMPY)');
  const [major, minor] = [bytes[6], bytes[7]];
  if (!(major >= 1 && major <= 3) || minor !== 0) throw fail(`version ${major}.${minor}`, '.npy version 1.0, 2.0 or 3.0');
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw fail('a truncated header', 'a complete .npy header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_NPY_HEADER_BYTES || start + headerLength > bytes.length) throw fail(`a header of ${headerLength} bytes`, `a header of at most ${MAX_NPY_HEADER_BYTES} bytes inside the member`);
  const headerBytes = bytes.subarray(start, start + headerLength);
  if (major < 3 && headerBytes.some((b) => b > 0x7f)) throw fail('a non-ASCII header', 'an ASCII header (.npy 1.0 and 2.0)');
  const { descr, fortran, shape } = parseHeader(new TextDecoder('utf-8', { fatal: false }).decode(headerBytes), fail);
  const dtype = DTYPES[descr];
  if (!dtype) throw fail(`dtype ${descr}`, `one of ${Object.keys(DTYPES).join(' ')}`);
  if (fortran) throw fail('fortran_order True', 'C order (fortran_order False)');
  const dataBytes = bytes.length - start - headerLength;
  let count = 1;
  for (const s of shape) count *= s;
  if (!(count * DTYPE_BYTES[dtype] === dataBytes)) {
    throw fail(`shape (${shape.join(', ')}) of ${descr} with ${dataBytes} data bytes`, `exactly ${DTYPE_BYTES[dtype]} bytes per element of the shape`);
  }
  // A copy: aligned for the typed array and independent of the archive's buffer.
  const data = typedArrayOf(dtype, new Uint8Array(bytes.subarray(start + headerLength)).buffer);
  return { dtype, shape, data };
}

interface Header {
  descr: string;
  fortran: boolean;
  shape: number[];
}

/** numpy's header: a Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and a newline. */
function parseHeader(text: string, fail: (value: unknown, allowed: string) => FieldError): Header {
  const allowed = "numpy's header {'descr': ..., 'fortran_order': ..., 'shape': (...)}";
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1];
  if (body === undefined) throw fail(text.slice(0, 200), allowed);
  const entry = /\s*'(descr|fortran_order|shape)'\s*:\s*('[^']*'|True|False|\([^()]*\))\s*(,|$)/y;
  const values = new Map<string, string>();
  let at = 0;
  while (at < body.length && body.slice(at).trim() !== '') {
    entry.lastIndex = at;
    const m = entry.exec(body);
    if (!m || values.has(m[1])) throw fail(text.slice(0, 200), allowed);
    values.set(m[1], m[2]);
    at = entry.lastIndex;
    if (m[3] === '') break;
  }
  if (body.slice(at).trim() !== '') throw fail(text.slice(0, 200), allowed);
  const descr = values.get('descr');
  const fortran = values.get('fortran_order');
  const shapeText = values.get('shape');
  if (descr === undefined || !descr.startsWith("'") || (fortran !== 'True' && fortran !== 'False') || shapeText === undefined || !shapeText.startsWith('(')) {
    throw fail(text.slice(0, 200), allowed);
  }
  return { descr: descr.slice(1, -1), fortran: fortran === 'True', shape: parseShape(shapeText, fail) };
}

function parseShape(text: string, fail: (value: unknown, allowed: string) => FieldError): number[] {
  const allowed = `a tuple of at most ${MAX_NPY_DIMS} non-negative integers`;
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  const items = inner.split(',').map((s) => s.trim());
  // "(3,)" has one trailing empty item; "(3, 4)" none; anything else empty is malformed.
  if (items[items.length - 1] === '' && items.length > 1) items.pop();
  if (items.length > MAX_NPY_DIMS || items.some((s) => !/^(0|[1-9]\d{0,15})$/.test(s))) throw fail(`shape ${text}`, allowed);
  const shape = items.map(Number);
  if (shape.some((s) => !Number.isSafeInteger(s))) throw fail(`shape ${text}`, allowed);
  if (items.length === 1 && !/,\s*\)$/.test(text)) throw fail(`shape ${text}`, `${allowed} ("(n,)" for one dimension)`);
  return shape;
}
