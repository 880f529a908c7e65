// NumPy .npy format, version 1.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic "\x93NUMPY", version (1, 0), a little-endian u16 header length, an ASCII Python-dict
// header padded with spaces to a 64-byte boundary and ending in '\n', then the raw C-order data.
// The reader exists for tests and for re-importing our own files; it accepts only what we write
// plus big-endian/fortran flags rejected with a clear message.

import type { DType, NdArray, TypedArrayOf } from './snapshot-types';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<DType, string> = { f32: '<f4', f64: '<f8', i32: '<i4', u32: '<u4', u8: '|u1' };
const FROM_DESCR: Record<string, DType> = { '<f4': 'f32', '<f8': 'f64', '<i4': 'i32', '<u4': 'u32', '|u1': 'u8' };
/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, u32: 4, u8: 1 };

/** A zero-filled typed array of `dtype` over `n` elements, or over a copy of `raw` bytes. */
export function typedArrayOf(dtype: DType, source: number | ArrayBuffer): TypedArrayOf {
  switch (dtype) {
    case 'f32':
      return typeof source === 'number' ? new Float32Array(source) : new Float32Array(source);
    case 'f64':
      return typeof source === 'number' ? new Float64Array(source) : new Float64Array(source);
    case 'i32':
      return typeof source === 'number' ? new Int32Array(source) : new Int32Array(source);
    case 'u32':
      return typeof source === 'number' ? new Uint32Array(source) : new Uint32Array(source);
    case 'u8':
      return typeof source === 'number' ? new Uint8Array(source) : new Uint8Array(source);
  }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws when data length and shape disagree (a bug in the producer, named by `name`). */
export function checkNdArray(name: string, a: NdArray): void {
  const n = elementCount(a.shape);
  if (a.shape.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`array ${name}: bad shape [${a.shape}]`);
  if (a.data.length !== n) throw new Error(`array ${name}: shape [${a.shape}] needs ${n} values, data has ${a.data.length}`);
}

function headerText(a: NdArray): string {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  return `{'descr': '${DESCR[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
}

/** Encode one array as a .npy file (little-endian, C order). */
export function encodeNpy(a: NdArray): Uint8Array {
  checkNdArray('npy', a);
  let header = headerText(a);
  // magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const dataBytes = a.data.byteLength;
  const out = new Uint8Array(10 + header.length + dataBytes);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are in platform byte order; every platform Node and browsers run on is little-endian.
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, dataBytes), 10 + header.length);
  return out;
}

/** Decode a .npy file written by encodeNpy (or by numpy with one of our five dtypes). */
export function decodeNpy(bytes: Uint8Array): NdArray {
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw new Error('not a .npy file (bad magic)');
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
    start = 12;
  } else {
    throw new Error(`unsupported .npy version ${major}`);
  }
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`bad .npy header: ${header}`);
  const dtype = FROM_DESCR[descr];
  if (!dtype) throw new Error(`unsupported .npy dtype ${descr} (supported: ${Object.keys(FROM_DESCR).join(', ')})`);
  if (fortran === 'True') throw new Error('fortran-order .npy files are not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const n = elementCount(shape);
  const offset = start + headerLen;
  const width = DTYPE_BYTES[dtype];
  if (bytes.length - offset < n * width) throw new Error(`truncated .npy data: need ${n * width} bytes, have ${bytes.length - offset}`);
  // Copy so the result is aligned and independent of the input buffer.
  const raw = bytes.slice(offset, offset + n * width).buffer;
  const data = typedArrayOf(dtype, raw);
  return { dtype, shape, data };
}
