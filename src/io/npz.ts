// .npz: a zip archive with one .npy member per array, as numpy.savez writes it, plus a
// `meta.json` member. numpy.load(path)["x"] returns the array; ["meta.json"] returns its bytes.

import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { decodeNpy, encodeNpy } from './npy';
import type { NdArray } from './snapshot-types';

export const NPZ_META_MEMBER = 'meta.json';

/** Zip `arrays` as `<name>.npy` members and `meta` as meta.json. `compress`: deflate (smaller, slower). */
export function encodeNpz(arrays: Record<string, NdArray>, meta: unknown, compress = false): Uint8Array {
  const files: Zippable = {};
  for (const [name, a] of Object.entries(arrays)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`array name ${JSON.stringify(name)} is not a valid npz key`);
    files[`${name}.npy`] = encodeNpy(a);
  }
  files[NPZ_META_MEMBER] = strToU8(JSON.stringify(meta, null, 2));
  return zipSync(files, { level: compress ? 6 : 0 });
}

export interface DecodedNpz {
  arrays: Record<string, NdArray>;
  meta: unknown;
}

/** Read an .npz made by encodeNpz (tests, re-import). */
export function decodeNpz(bytes: Uint8Array): DecodedNpz {
  const files = unzipSync(bytes);
  const arrays: Record<string, NdArray> = {};
  let meta: unknown = null;
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('.npy')) arrays[name.slice(0, -4)] = decodeNpy(data);
    else if (name === NPZ_META_MEMBER) meta = JSON.parse(strFromU8(data));
  }
  return { arrays, meta };
}
