// The library's sweep (runSweep, mergeSweeps; src/api/sweep*.ts) on the float64 CPU backend, and the
// strict .npz reader merge uses (src/io/npz-read.ts) on hostile files. Stacking over two axes,
// per-run members when shapes differ, shards merged equal to the unsharded sweep, each point equal
// to runLab's snapshot of its config byte for byte, progress, and refusals naming the field.
// The CLI's side (flags, files, one GPU case) is test/cli/sweep.test.ts.

import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { FieldError, MemoryBudgetError, encodeSnapshot, mergeSweeps, runLab, runSweep, type Snapshot, type SweepFile } from '../../src/index';
import { encodeNpy } from '../../src/io/npy';
import { readNpzStrict, readNpyStrict } from '../../src/io/npz-read';
import type { NdArray } from '../../src/io/snapshot-types';
import { MAX_SWEEP_POINTS, coordsOf, shardIndices } from '../../src/api/sweep-plan';

/** Small score-mixing runs (3 + 2 atoms, 16 particles, 20 steps, 5 frames): milliseconds on the CPU. */
const base = {
  mu1: { points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [0.2, 0.3, 0.5] },
  mu2: { points: [[0.5, -1], [2, 2]] },
  lambda: 0.5,
  steps: 20,
  record: 5,
  particles: { count: 16, seed: 3 },
};
const cpu = { backend: 'cpu' as const };

const bytesOf = (a: NdArray): Uint8Array => new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);

/** Run k's slice of a stacked array. */
function slice(a: NdArray, lead: number, k: number): NdArray {
  const runShape = a.shape.slice(lead);
  const per = runShape.reduce((p, n) => p * n, 1);
  return { dtype: a.dtype, shape: runShape, data: a.data.subarray(k * per, (k + 1) * per) };
}

/** Every array of `run` equals the sweep's (stacked slice or per-run member): dtype, shape, bytes. */
function expectPointEquals(sweep: Snapshot, k: number, run: Snapshot): void {
  const lead = (sweep.meta.sweep as { shape: number[] }).shape.length;
  for (const [name, a] of Object.entries(run.arrays)) {
    const member = sweep.arrays[`${name}__${k}`];
    const got = member ?? slice(sweep.arrays[name], lead, k);
    expect({ name, k, dtype: got.dtype, shape: got.shape }).toEqual({ name, k, dtype: a.dtype, shape: a.shape });
    expect(Buffer.from(bytesOf(got)).equals(Buffer.from(bytesOf(a))), `${name} of point ${k}`).toBe(true);
  }
}

/** Meta without wall-clock fields (timings, createdAt), for comparing a merge with the unsharded sweep. */
function withoutClock(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'timings' || k === 'createdAt' ? undefined : x)));
}

describe('runSweep', () => {
  it('stacks arrays over two axes (first axis outermost); each point is runLab of its config, byte for byte', async () => {
    const vary = [
      { key: 'lambda', values: [0.5, 2] },
      { key: 'particles.seed', values: [1, 2, 3] },
    ];
    const progress: number[] = [];
    const sweep = await runSweep('score-mixing', base, { ...cpu, vary, onProgress: (f) => progress.push(f) });
    expect(sweep.arrays.x.shape).toEqual([2, 3, 5, 16, 2]);
    expect(sweep.arrays.t.shape).toEqual([2, 3, 5]);
    const meta = sweep.meta as { sweep: { axes: unknown; shape: number[]; points: number[]; shard: unknown }; runs: { index: number; config: unknown }[]; backends: string[] };
    expect(meta.sweep).toEqual({ axes: vary, shape: [2, 3], points: [0, 1, 2, 3, 4, 5], shard: null });
    expect(meta.backends).toEqual(['cpu-float64']);
    expect(sweep.config).toEqual(base);
    for (let k = 0; k < 6; k++) {
      const [i, j] = coordsOf(k, [2, 3]);
      const config = { ...base, lambda: vary[0].values[i], particles: { count: 16, seed: vary[1].values[j] } };
      const run = await runLab('score-mixing', config, cpu);
      expectPointEquals(sweep, k, run);
      expect(meta.runs[k]).toMatchObject({ index: k, config: run.config });
    }
    // Progress over the whole sweep: never decreasing, reaching 1 at the end.
    expect(progress.length).toBeGreaterThan(6);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]))).toBe(true);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.filter((f) => f < 0.5).length).toBeGreaterThan(0);
  });

  it('stores arrays whose shapes differ between runs once per run as <name>__<k>', async () => {
    const sweep = await runSweep('score-mixing', base, { ...cpu, vary: [{ key: 'particles.count', values: [8, 16] }] });
    expect(sweep.arrays.x).toBeUndefined();
    expect(sweep.arrays.x__0.shape).toEqual([5, 8, 2]);
    expect(sweep.arrays.x__1.shape).toEqual([5, 16, 2]);
    expect(sweep.arrays.t.shape).toEqual([2, 5]); // same shape in every run: still stacked
    expectPointEquals(sweep, 1, await runLab('score-mixing', { ...base, particles: { count: 16, seed: 3 } }, cpu));
  });

  it('shards 1/3, 2/3, 3/3 hold k % 3 == i - 1 per run, and merged (any order) equal the unsharded sweep', async () => {
    const vary = [
      { key: 'lambda', values: [0.5, 1] },
      { key: 'steps', values: [10, 20] },
    ];
    const whole = await runSweep('score-mixing', base, { ...cpu, vary });
    const shards: SweepFile[] = [];
    for (const index of [1, 2, 3]) {
      const s = await runSweep('score-mixing', base, { ...cpu, vary, shard: { index, count: 3 } });
      const points = shardIndices(4, { index, count: 3 });
      expect((s.meta.sweep as { points: number[] }).points).toEqual(points);
      expect(Object.keys(s.arrays).every((n) => points.some((k) => n.endsWith(`__${k}`)))).toBe(true);
      shards.push({ name: `part-${index}.npz`, bytes: encodeSnapshot(s, 'npz') });
    }
    const merged = mergeSweeps([shards[2], shards[0], shards[1]]);
    expect(Object.keys(merged.arrays).sort()).toEqual(Object.keys(whole.arrays).sort());
    for (const [name, a] of Object.entries(whole.arrays)) {
      const b = merged.arrays[name];
      expect({ name, dtype: b.dtype, shape: b.shape }).toEqual({ name, dtype: a.dtype, shape: a.shape });
      expect(Buffer.from(bytesOf(b)).equals(Buffer.from(bytesOf(a))), name).toBe(true);
    }
    expect(withoutClock({ lab: merged.lab, config: merged.config, ...merged.meta })).toEqual(withoutClock({ lab: whole.lab, config: whole.config, ...whole.meta }));
    // The unsharded file itself merges to the same arrays (its stacked arrays are split per run).
    const again = mergeSweeps([{ name: 'all.npz', bytes: encodeSnapshot(whole, 'npz') }]);
    expect(Object.keys(again.arrays).sort()).toEqual(Object.keys(whole.arrays).sort());

    // Missing and repeated shards are named with their points.
    expect(() => mergeSweeps([shards[0], shards[2]])).toThrow(/merge inputs: got "points 1 of 0..3 missing"/);
    expect(() => mergeSweeps([shards[0], shards[1], shards[2], { name: 'copy.npz', bytes: shards[1].bytes }])).toThrow(/copy\.npz: got "point 1 \(lambda=0.5, steps=20\), also in part-2\.npz"/);
    // Another sweep's shard: its axes differ.
    const other = await runSweep('score-mixing', base, { ...cpu, vary: [vary[0], { key: 'steps', values: [10, 30] }], shard: { index: 2, count: 3 } });
    expect(() => mergeSweeps([shards[0], { name: 'other.npz', bytes: encodeSnapshot(other, 'npz') }, shards[2]])).toThrow(/other\.npz: meta\.json sweep\.axes: .*allowed: the same as in part-1\.npz/);
    // A plain run is not a sweep.
    const run = await runLab('score-mixing', base, cpu);
    expect(() => mergeSweeps([{ name: 'run.npz', bytes: encodeSnapshot(run, 'npz') }])).toThrow(/run\.npz: meta\.json sweep: .*this file is not a sweep/);
  });

  it('refuses bad axes, shards and points before running, naming options.vary / options.shard and the axis value', async () => {
    const sweep = (options: object) => runSweep('score-mixing', base, { ...cpu, vary: [{ key: 'lambda', values: [1, 2] }], ...options });
    await expect(sweep({ vary: [] })).rejects.toThrow(/^options\.vary: got \[\]; allowed: at least one axis/);
    await expect(sweep({ vary: [{ key: 'lambda', values: [] }] })).rejects.toThrow(/^options\.vary lambda: got "\(no values\)"/);
    await expect(sweep({ vary: [{ key: 'a..b', values: [1] }] })).rejects.toThrow(/^options\.vary a\.\.b: got "a\.\.b"; allowed: a config path/);
    await expect(sweep({ vary: [{ key: 'lambda', values: [1] }, { key: 'lambda', values: [2] }] })).rejects.toThrow(/options\.vary lambda: .*a key given once/);
    await expect(sweep({ vary: [{ key: 'mu1', values: [{}] }, { key: 'mu1.points', values: [[[0, 0]]] }] })).rejects.toThrow(/options\.vary mu1\.points: .*mu1 is already an axis/);
    await expect(sweep({ vary: [{ key: 'lambda', values: [1, -1, 2] }] })).rejects.toThrow(/^options\.vary lambda\[1\] = -1: lambda: got -1; allowed: /);
    await expect(sweep({ vary: [{ key: 'bogus', values: [1] }] })).rejects.toThrow(/^options\.vary bogus\[0\] = 1: bogus: got 1; allowed: no such field/);
    // No single axis at fault (record > steps + 1): every axis value of the point is named.
    await expect(sweep({ vary: [{ key: 'steps', values: [20, 2] }, { key: 'seed', values: [0] }] })).rejects.toThrow(/^options\.vary point 1 \(steps\[1\] = 2, seed\[0\] = 0\): record: /);
    const many = Array.from({ length: 65 }, (_, i) => i + 1);
    await expect(sweep({ vary: [{ key: 'seed', values: many }, { key: 'particles.seed', values: many }] })).rejects.toThrow(new RegExp(`options\\.vary: got "65 x 65 = 4225 points"; allowed: at most ${MAX_SWEEP_POINTS}`));
    for (const shard of [{ index: 0, count: 2 }, { index: 3, count: 2 }, { index: 1, count: 0 }, { index: 1, count: 3 }, { index: 1.5, count: 2 }]) {
      await expect(sweep({ shard })).rejects.toThrow(/^options\.shard: got .*; allowed: i\/n with integers 1 <= i <= n <= 2/);
    }
    await expect(sweep({ maxMemory: '1MiB' })).rejects.toThrow(MemoryBudgetError);
    await expect(sweep({ maxMemory: '1MiB' })).rejects.toThrow(/^options\.vary point 0 \(lambda\[0\] = 1\): particles\.count: .*allowed: at most 1 MiB/);
  });

  it('counts the sweep output against the memory budget: a budget that fits one run refuses many', async () => {
    const one = { ...base, particles: { count: 20_000, seed: 1 }, steps: 4, record: 5 };
    const seeds = Array.from({ length: 400 }, (_, i) => i);
    // One run: 20,000 x 2 x 5 frames of float64 = 1.6 MB recorded; 400 of them held, stacked and zipped: ~2 GB.
    const err = await runSweep('score-mixing', one, { ...cpu, vary: [{ key: 'particles.seed', values: seeds }], maxMemory: '1GiB' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as FieldError).field).toBe('options.vary');
    expect((err as Error).message).toMatch(/^options\.vary: 400 points .* needs about .* \(sweep output /);
  });
});

/** An .npz of the given members (name -> bytes), stored. */
const zip = (members: Record<string, Uint8Array>): Uint8Array => zipSync(members, { level: 0 });
const npy = (a: NdArray): Uint8Array => encodeNpy(a);
const f64 = (n: number): NdArray => ({ dtype: 'f64', shape: [n], data: new Float64Array(n).map((_, i) => i) });
const limits = { source: 'in.npz', maxBytes: 1 << 20, maxMembers: 8 };

/** A .npy with its header text replaced (padding kept valid). */
function withHeader(header: string, data = new Uint8Array(16)): Uint8Array {
  let h = header;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  out.set(strToU8(h), 10);
  out.set(data, 10 + h.length);
  return out;
}

describe('readNpzStrict (hostile files)', () => {
  it('reads what flowlab writes: arrays bit-equal, meta parsed, numpy-style headers accepted', () => {
    const { arrays, meta } = readNpzStrict(zip({ 'x.npy': npy(f64(3)), 'meta.json': strToU8('{"a": 1}') }), limits);
    expect(Array.from(arrays.x.data)).toEqual([0, 1, 2]);
    expect(meta).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(arrays)).toBeNull();
    const numpy = readNpyStrict(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"), 'x');
    expect(numpy.shape).toEqual([2]);
    expect(readNpyStrict(withHeader("{'shape': (1, 2), 'fortran_order': False, 'descr': '<f8'}"), 'x').shape).toEqual([1, 2]);
    expect(readNpyStrict(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", new Uint8Array(8)), 'x').shape).toEqual([]);
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ['not a zip', strToU8('hello, world, this is not a zip file at all'), /^in\.npz: got "not a readable \.npz/],
    ['a path in a member name', zip({ '../x.npy': npy(f64(1)) }), /^in\.npz: \.\.\/x\.npy: got "\.\.\/x\.npy"; allowed: meta\.json or <name>\.npy/],
    ['a directory', zip({ 'a/x.npy': npy(f64(1)) }), /a\/x\.npy: got/],
    ['__proto__', zip({ '__proto__.npy': npy(f64(1)) }), /__proto__\.npy: got/],
    ['another member', zip({ 'x.txt': strToU8('x') }), /x\.txt: got/],
    ['too many members', zip(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}.npy`, npy(f64(1))]))), /^in\.npz: got "more than 8 members"/],
    ['more bytes than allowed', zip({ 'x.npy': npy(f64(200_000)) }), /^in\.npz: got "members of more than 1048576 bytes unpacked"/],
    ['bad magic', zip({ 'x.npy': strToU8('NUMPY and more bytes here') }), /x\.npy: got "no \.npy magic"/],
    ['big-endian', zip({ 'x.npy': withHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }") }), /x\.npy: got "dtype >f8"; allowed: one of <f4 <f8 <i4 <u4 \|u1/],
    ['an object dtype', zip({ 'x.npy': withHeader("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }") }), /dtype \|O/],
    ['Fortran order', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2,), }") }), /fortran_order True/],
    ['data shorter than the shape', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }") }), /shape \(3\) of <f8 with 16 data bytes/],
    ['data longer than the shape', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }") }), /shape \(1\) of <f8 with 16 data bytes/],
    ['a huge shape', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }") }), /shape \(99999999999, 99999999999\)/],
    ['a negative dimension', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }") }), /shape \(-2,\)/],
    ['an extra key', zip({ 'x.npy': withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}") }), /allowed: numpy's header/],
    ['a key twice', zip({ 'x.npy': withHeader("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}") }), /allowed: numpy's header/],
    ['code in the header', zip({ 'x.npy': withHeader("__import__('os').system('x')") }), /allowed: numpy's header/],
    ['meta.json not JSON', zip({ 'meta.json': strToU8('{nope') }), /meta\.json: got "not JSON/],
    ['meta.json with __proto__', zip({ 'meta.json': strToU8('{"__proto__": {"x": 1}}') }), /__proto__/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what} with a FieldError naming the file and member`, () => {
      expect(() => readNpzStrict(bytes, limits)).toThrow(FieldError);
      expect(() => readNpzStrict(bytes, limits)).toThrow(message);
    });
  }
});
