import { describe, expect, it } from 'vitest';
import { fieldError } from '../support/field-errors';
import { decodeNpy, encodeNpy } from '../../src/io/npy';
import { decodeNpz, encodeNpz } from '../../src/io/npz';
import { depthCsvChunks, formatF32, trajectoryCsv } from '../../src/io/csv';
import { parseSnapshotJson, snapshotToJson } from '../../src/io/snapshot-json';
import { exportSnapshot, exportSnapshotParts, formatFromPath } from '../../src/io/export';
import type { NdArray, Snapshot } from '../../src/io/snapshot-types';

const fieldOf = (fn: () => unknown): string => fieldError(fn, undefined).field;

const sample = (): Snapshot => ({
  lab: 'score-mixing',
  config: { lambda: 2, mu1: { points: [[0, 1]] } },
  arrays: {
    t: { dtype: 'f64', shape: [3], data: new Float64Array([1, 0.1, 1e-4]) },
    x: { dtype: 'f32', shape: [3, 2, 2], data: new Float32Array([0.1, -0.2, 1 / 3, 4e-8, 1, 2, 3, 4, 5, 6, 7, 8.5]) },
    critical_points: { dtype: 'f64', shape: [1, 2], data: new Float64Array([Math.PI, -1 / 3]) },
  },
  meta: { backend: 'cpu-float64', timings: { totalMs: 1.5 } },
  resume: { step: 40, t: 1e-4, frame: 2 },
});

describe('npy', () => {
  it('writes a v1.0 header padded to 64 bytes and reads it back', () => {
    for (const a of [
      { dtype: 'f32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { dtype: 'f64', shape: [4], data: new Float64Array([0.1, -2, 1e-300, 5]) },
      { dtype: 'i32', shape: [1, 1, 2], data: new Int32Array([-7, 9]) },
      { dtype: 'u32', shape: [0, 2], data: new Uint32Array([]) },
    ] as NdArray[]) {
      const bytes = encodeNpy(a);
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
      const headerLen = bytes[8] | (bytes[9] << 8);
      expect((10 + headerLen) % 64).toBe(0);
      expect(String.fromCharCode(bytes[10 + headerLen - 1])).toBe('\n');
      const back = decodeNpy(bytes);
      expect(back.dtype).toBe(a.dtype);
      expect(back.shape).toEqual(a.shape);
      expect(Array.from(back.data)).toEqual(Array.from(a.data));
    }
  });

  it('writes 1-D shapes as Python 1-tuples', () => {
    const bytes = encodeNpy({ dtype: 'f64', shape: [3], data: new Float64Array(3) });
    expect(new TextDecoder().decode(bytes.subarray(10, 80))).toContain("'shape': (3,)");
  });

  it('rejects data that does not match the shape', () => {
    expect(() => encodeNpy({ dtype: 'f64', shape: [2, 2], data: new Float64Array(3) })).toThrow(/needs 4 values/);
  });
});

describe('npz', () => {
  it('stores each array as <name>.npy plus meta.json', () => {
    const s = sample();
    const bytes = encodeNpz(s.arrays, { lab: s.lab, hello: 'world' });
    const back = decodeNpz(bytes);
    expect(Object.keys(back.arrays).sort()).toEqual(['critical_points', 't', 'x']);
    expect(Array.from(back.arrays.x.data)).toEqual(Array.from(s.arrays.x.data));
    expect(back.arrays.x.shape).toEqual([3, 2, 2]);
    expect(back.meta).toEqual({ lab: 'score-mixing', hello: 'world' });
  });

  it('export npz puts lab and config into meta.json', () => {
    const back = decodeNpz(exportSnapshot(sample(), 'npz'));
    expect(back.meta).toMatchObject({ lab: 'score-mixing', config: { lambda: 2 }, backend: 'cpu-float64' });
  });
});

describe('csv', () => {
  it('writes the long format frame,t,particle,x0..', () => {
    const s = sample();
    const text = trajectoryCsv(s.arrays.t, s.arrays.x);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('frame,t,particle,x0,x1');
    expect(lines).toHaveLength(1 + 3 * 2);
    expect(lines[1]).toBe('0,1,0,0.1,-0.2');
    expect(lines[6]).toBe('2,0.0001,1,7,8.5');
    // float32 values round-trip through the short text
    const v = Number(lines[2].split(',')[3]);
    expect(Math.fround(v)).toBe(s.arrays.x.data[2]);
    expect(lines[2]).toBe("0,1,1,0.33333334,4e-8");
  });

  it('formatF32 round-trips float32 values', () => {
    for (const v of [1 / 3, 1e-38, 3.4e38, -0.1, 123456.789, 2 ** -20]) {
      const f = Math.fround(v);
      expect(Math.fround(Number(formatF32(f)))).toBe(f);
    }
  });

  it('refuses snapshots without t and x', () => {
    const s = sample();
    delete (s.arrays as Record<string, NdArray>).x;
    expect(() => exportSnapshot(s, 'csv')).toThrow(/needs arrays "t" and "x"/);
  });
});

/** Token states through depth: 3 recorded layers (0, 2, 4 of L = 4) x 2 sequences x 2 tokens x d = 2. */
const depthSample = (): Snapshot => ({
  lab: 'any-depth-lab',
  config: {},
  arrays: {
    tokens: { dtype: 'f32', shape: [3, 2, 2, 2], data: Float32Array.from({ length: 24 }, (_, i) => (i === 1 ? 1 / 3 : i - 0.5)) },
    layer: { dtype: 'i32', shape: [3], data: Int32Array.of(0, 2, 4) },
    depth: { dtype: 'f64', shape: [3], data: Float64Array.of(0, 0.5, 1) },
    Q: { dtype: 'f32', shape: [1, 1, 1, 2], data: new Float32Array(2) },
  },
  meta: {},
});

describe('csv of token states through depth (depth + rank-4 tokens)', () => {
  it('writes frame,layer,depth,sequence,token,x0.. one row per (frame, sequence, token)', () => {
    const text = new TextDecoder().decode(exportSnapshot(depthSample(), 'csv'));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('frame,layer,depth,sequence,token,x0,x1');
    expect(lines).toHaveLength(1 + 3 * 2 * 2);
    expect(lines[1]).toBe('0,0,0,0,0,-0.5,0.33333334');
    expect(lines[2]).toBe('0,0,0,0,1,1.5,2.5');
    expect(lines[3]).toBe('0,0,0,1,0,3.5,4.5');
    expect(lines[5]).toBe('1,2,0.5,0,0,7.5,8.5');
    expect(lines[12]).toBe('2,4,1,1,1,21.5,22.5');
    expect(Math.fround(Number(lines[1].split(',')[6]))).toBe(Math.fround(1 / 3));
  });

  it('float64 tokens in full precision; without a layer array the layer is the frame index', () => {
    const s = depthSample();
    s.arrays.tokens = { dtype: 'f64', shape: [3, 2, 2, 2], data: Float64Array.from({ length: 24 }, (_, i) => i / 3) };
    delete (s.arrays as Record<string, NdArray>).layer;
    const lines = [...depthCsvChunks(s.arrays.depth, s.arrays.tokens)].join('').trimEnd().split('\n');
    expect(lines[1]).toBe(`0,0,0,0,0,0,${1 / 3}`);
    expect(lines[12]).toBe(`2,2,1,1,1,${22 / 3},${23 / 3}`);
  });

  it('names the mismatched shapes', () => {
    const s = depthSample();
    expect(() => [...depthCsvChunks({ dtype: 'f64', shape: [2], data: new Float64Array(2) }, s.arrays.tokens)]).toThrow(/tokens has 3 frames but depth has 2/);
    expect(() => [...depthCsvChunks(s.arrays.depth, s.arrays.tokens, { dtype: 'i32', shape: [2], data: new Int32Array(2) })]).toThrow(/layer must be 1-D with 3 frames/);
  });

  it('a trajectory (t, x) keeps its own format even beside depth and tokens', () => {
    const s = sample();
    const plain = new TextDecoder().decode(exportSnapshot(s, 'csv'));
    Object.assign(s.arrays, { depth: depthSample().arrays.depth, tokens: depthSample().arrays.tokens });
    expect(new TextDecoder().decode(exportSnapshot(s, 'csv'))).toBe(plain);
    expect(plain.split('\n')[0]).toBe('frame,t,particle,x0,x1');
  });
});

describe('json snapshot', () => {
  it('round-trips arrays bit-exactly (f32 and f64), config, meta and resume', () => {
    const s = sample();
    const back = parseSnapshotJson(snapshotToJson(s));
    expect(back.lab).toBe('score-mixing');
    expect(back.config).toEqual(s.config);
    expect(back.meta).toEqual(s.meta);
    expect(back.resume).toEqual(s.resume);
    for (const k of Object.keys(s.arrays)) {
      expect(back.arrays[k].dtype).toBe(s.arrays[k].dtype);
      expect(back.arrays[k].shape).toEqual(s.arrays[k].shape);
      expect(back.arrays[k].data).toEqual(s.arrays[k].data);
    }
  });

  it('writes NaN and infinities as strings and reads them back', () => {
    const s = sample();
    s.arrays.t.data[1] = NaN;
    s.arrays.x.data[0] = -Infinity;
    const text = snapshotToJson(s);
    expect(() => JSON.parse(text)).not.toThrow();
    const back = parseSnapshotJson(text);
    expect(back.arrays.t.data[1]).toBeNaN();
    expect(back.arrays.x.data[0]).toBe(-Infinity);
  });

  it('chunks large arrays without changing the text', () => {
    const n = 200_000;
    const s: Snapshot = { lab: 'l', config: {}, meta: {}, arrays: { t: { dtype: 'f64', shape: [n], data: new Float64Array(n).map((_, i) => i / 7) } } };
    const parts = exportSnapshotParts(s, 'json');
    const text = new TextDecoder().decode(exportSnapshot(s, 'json'));
    expect(parts.reduce((a, p) => a + p.length, 0)).toBe(text.length);
    expect(parseSnapshotJson(text).arrays.t.data[n - 1]).toBe((n - 1) / 7);
  });

  it('names the broken field', () => {
    const good = JSON.parse(snapshotToJson(sample()));
    const bad = (mutate: (o: any) => void) => {
      const o = structuredClone(good);
      mutate(o);
      return fieldOf(() => parseSnapshotJson(JSON.stringify(o)));
    };
    expect(bad((o) => (o.format = 'other'))).toBe('format');
    expect(bad((o) => (o.version = 99))).toBe('version');
    expect(bad((o) => delete o.lab)).toBe('lab');
    expect(bad((o) => (o.arrays.x.dtype = 'f16'))).toBe('arrays.x.dtype');
    expect(bad((o) => o.arrays.x.data.pop())).toBe('arrays.x.data');
    expect(bad((o) => (o.arrays.t.data[2] = 'x'))).toBe('arrays.t.data[2]');
    expect(fieldOf(() => parseSnapshotJson('{nope'))).toBe('snapshot');
  });
});

describe('export', () => {
  it('picks the format from the file name', () => {
    expect(formatFromPath('out/run.npz')).toBe('npz');
    expect(formatFromPath('RUN.JSON')).toBe('json');
    expect(formatFromPath('a.csv')).toBe('csv');
    expect(formatFromPath('a.npy')).toBeNull();
    expect(formatFromPath('noext')).toBeNull();
  });
});

describe('grid maps (u8 arrays, csv one row per grid point)', () => {
  const grid = (): Snapshot => ({
    lab: 'bilevel',
    config: {},
    arrays: {
      x1: { dtype: 'f64', shape: [2], data: new Float64Array([-0.5, 0.5]) },
      x2: { dtype: 'f64', shape: [3], data: new Float64Array([0, 1, 2]) },
      y: { dtype: 'f32', shape: [2, 3, 2], data: new Float32Array([0.1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) },
      active: { dtype: 'i32', shape: [2, 3], data: new Int32Array([0, 1, 2, 3, 4, 5]) },
      fail_scsc: { dtype: 'u8', shape: [2, 3], data: new Uint8Array([0, 1, 0, 0, 0, 1]) },
      fraction: { dtype: 'f64', shape: [3], data: new Float64Array([0, 1 / 3, 0]) },
    },
    meta: {},
  });

  it('u8 arrays round-trip through .npy (|u1), .npz and .json', () => {
    const a = grid().arrays.fail_scsc;
    const back = decodeNpy(encodeNpy(a));
    expect(back.dtype).toBe('u8');
    expect(Array.from(back.data)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(decodeNpz(exportSnapshot(grid(), 'npz')).arrays.fail_scsc.dtype).toBe('u8');
    const json = parseSnapshotJson(new TextDecoder().decode(exportSnapshot(grid(), 'json')));
    expect(json.arrays.fail_scsc.data).toBeInstanceOf(Uint8Array);
    expect(() => parseSnapshotJson(snapshotToJson(grid()).replace('"data":[0,1,0,0,0,1]', '"data":[0,1.5,0,0,0,1]'))).toThrow(/arrays\.fail_scsc\.data\[1\]/);
  });

  it('csv: one row per (i1, i2) with every grid-shaped array, trailing axes as numbered columns', () => {
    const text = new TextDecoder().decode(exportSnapshot(grid(), 'csv'));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('i1,i2,x1,x2,y0,y1,active,fail_scsc');
    expect(lines).toHaveLength(1 + 6);
    expect(lines[1]).toBe('0,0,-0.5,0,0.1,1,0,0');
    expect(lines[6]).toBe('1,2,0.5,2,10,11,5,1');
  });
});
