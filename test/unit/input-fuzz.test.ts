// Property tests (fast-check) of the lab-independent input paths: src/io/input.ts (JSON text,
// the safe path setter, decimal literals), formatValue, the matrix reader and the .json snapshot
// import, including the snapshot export/import round trip. Each lab's own paths (config, URL,
// --set, its file imports) are in test/unit/<lab>-fuzz.test.ts. 10,000 cases per path, fixed
// seed; FLOWLAB_FUZZ_RUNS raises the count (test/support/fuzz.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FieldError, formatValue } from '../../src/io/field-error';
import { FORBIDDEN_KEYS, MAX_JSON_DEPTH, decimalLiteral, readJsonText, setPathSafe } from '../../src/io/input';
import { parseMatrixJson } from '../../src/io/matrix';
import { parseSnapshotJson, snapshotToJson } from '../../src/io/snapshot-json';
import type { DType, NdArray, Snapshot } from '../../src/io/snapshot-types';
import { typedArrayOf } from '../../src/io/npy';
import { FUZZ_TIMEOUT_MS, Tally, expectCleanPrototypes, fieldErrorOr, fuzzParams, mutatedConfig, ownObject, trapJsonText, trapKey, trapText, trapValue } from '../support/fuzz';

/** Depth of containers and whether a forbidden key is an own key anywhere (explicit stack). */
function shape(v: unknown): { depth: number; forbidden: boolean } {
  let depth = 0;
  let forbidden = false;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    depth = Math.max(depth, d);
    for (const k of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(k)) forbidden = true;
      stack.push([(node as Record<string, unknown>)[k], d + 1]);
    }
  }
  return { depth, forbidden };
}

/** JSON values a real snapshot holds: finite numbers (-0 included), strings, no forbidden keys. */
const safeKey = fc.string({ maxLength: 6 }).filter((k) => !FORBIDDEN_KEYS.has(k));
const jsonSafe: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(-0, 0, 1e-300, 5e-324),
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(safeKey, tie('value')), { maxLength: 3 }).map(ownObject),
  ),
})).value;

const ELEMENT: Record<DType, fc.Arbitrary<number>> = {
  f64: fc.oneof(fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity)),
  f32: fc.float(),
  i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  u32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  u8: fc.integer({ min: 0, max: 255 }),
};

const ndArray: fc.Arbitrary<NdArray> = fc
  .tuple(fc.constantFrom<DType>('f64', 'f32', 'i32', 'u32', 'u8'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, dims]) => {
    const n = dims.reduce((a, b) => a * b, 1);
    return fc.array(ELEMENT[dtype], { minLength: n, maxLength: n }).map((values) => {
      const data = typedArrayOf(dtype, n);
      data.set(values);
      return { dtype, shape: dims, data } as NdArray;
    });
  });

const snapshot: fc.Arbitrary<Snapshot> = fc
  .record({
    lab: fc.constantFrom('score-mixing', 'primal-dual', 'transformer', 'bilevel'),
    config: jsonSafe,
    arrays: fc.array(fc.tuple(safeKey, ndArray), { maxLength: 4 }).map(ownObject),
    meta: fc.array(fc.tuple(safeKey, jsonSafe), { maxLength: 3 }).map(ownObject),
    resume: fc.option(jsonSafe, { nil: undefined }),
  })
  .map((r) => {
    const s: Snapshot = { lab: r.lab, config: r.config, arrays: r.arrays as Record<string, NdArray>, meta: r.meta };
    if (r.resume !== undefined && r.resume !== null) s.resume = r.resume;
    return s;
  });

/** Exact comparison: -0 and NaN included (JSON text with -0 kept is the witness). */
function exact(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (Object.is(x, -0) ? '-0!' : typeof x === 'number' && !Number.isFinite(x) ? `${x}!` : x));
}

describe('io input properties', () => {
  it('readJsonText: only FieldErrors; what it accepts is at most 64 deep with no __proto__/constructor/prototype key', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(trapJsonText(['a', 'points']), (text) => {
        const v = fieldErrorOr(() => readJsonText(text, 'file.json', 'JSON'));
        expectCleanPrototypes();
        tally.add(v !== undefined);
        if (v === undefined) return;
        const s = shape(v);
        expect(s.depth).toBeLessThanOrEqual(MAX_JSON_DEPTH);
        expect(s.forbidden).toBe(false);
      }),
      fuzzParams(),
    );
    tally.expectBoth();
  }, FUZZ_TIMEOUT_MS);

  it('setPathSafe: only FieldErrors, prototypes untouched; an accepted path reads back the value', () => {
    const part = fc.oneof(trapKey(['a', 'b', 'points']), fc.constantFrom('0', '1', '5', 'length'), fc.integer({ min: 0, max: 5 }), fc.constantFrom(2 ** 32, 99_999_999));
    fc.assert(
      fc.property(trapValue(['a', 'b', 'points'], 3), fc.array(part, { minLength: 1, maxLength: 4 }), fc.anything(), (start, path, value) => {
        const root = (typeof start === 'object' && start !== null && !Array.isArray(start) ? start : { a: start }) as Record<string, unknown>;
        const ok = fieldErrorOr(() => (setPathSafe(root, path, value), true));
        expectCleanPrototypes();
        if (!ok) return;
        let node: unknown = root;
        for (const p of path) node = (node as Record<string | number, unknown>)[p];
        expect(node).toBe(value);
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);

  it('decimalLiteral: every finite double reads back from String(x); texts it accepts are plain decimals equal to Number(text)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), trapText, (x, text) => {
        expect(Object.is(decimalLiteral(Object.is(x, -0) ? '-0' : String(x)), x)).toBe(true);
        const n = decimalLiteral(text);
        if (n === undefined) return;
        expect(n).toBe(Number(text));
        expect(text).toMatch(/^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/);
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);

  it('formatValue: JSON.stringify cut at 60 characters, without recursion', () => {
    fc.assert(
      fc.property(fc.oneof(trapValue(['a'], 4), fc.anything()), (v) => {
        let expected: string;
        if (typeof v === 'string') expected = v.length > 1000 ? '' : JSON.stringify(v);
        else if (typeof v === 'number') expected = String(v);
        else {
          let s: string | undefined;
          try {
            s = JSON.stringify(v);
          } catch {
            return; // BigInt and friends: formatValue falls back to String(v)
          }
          if (s === undefined) return;
          expected = s.length > 60 ? `${s.slice(0, 57)}...` : s;
        }
        if (expected !== '') expect(formatValue(v)).toBe(expected);
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);

  it('parseMatrixJson: only FieldErrors; accepted matrices are rectangular and finite', () => {
    const tally = new Tally();
    const matrices = [[[1, 2], [3, 4]], [[0.5, -1, 2]], { A: [[1]] }];
    fc.assert(
      fc.property(fc.oneof(mutatedConfig(matrices).map((v) => JSON.stringify(v) ?? 'null'), trapJsonText()), (text) => {
        const A = fieldErrorOr(() => parseMatrixJson(text, 'A', { maxRows: 16, maxCols: 16 }));
        expectCleanPrototypes();
        tally.add(A !== undefined);
        if (A === undefined) return;
        for (const row of A) {
          expect(row.length).toBe(A[0].length);
          for (const v of row) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      fuzzParams(),
    );
    tally.expectBoth(0.01);
  }, FUZZ_TIMEOUT_MS);

  it('snapshot import: hostile and mutated .json snapshots throw only FieldErrors', () => {
    const valid = fc.sample(snapshot, { numRuns: 8, seed: 1 }).map((s) => JSON.parse(snapshotToJson(s)));
    const names = ['format', 'version', 'lab', 'config', 'meta', 'arrays', 'resume', 'dtype', 'shape', 'data'];
    const tally = new Tally();
    fc.assert(
      fc.property(fc.oneof(mutatedConfig(valid, names).map((v) => JSON.stringify(v) ?? 'null'), trapJsonText(names)), (text) => {
        const s = fieldErrorOr(() => parseSnapshotJson(text));
        expectCleanPrototypes();
        tally.add(s !== undefined);
      }),
      fuzzParams(),
    );
    tally.expectBoth(0.01);
  }, FUZZ_TIMEOUT_MS);

  it('snapshot export/import round-trips exactly (dtypes, shapes, NaN, -0, config, meta, resume)', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const back = parseSnapshotJson(snapshotToJson(s));
        expect(back.lab).toBe(s.lab);
        expect(exact(back.config)).toBe(exact(s.config));
        expect(exact(back.meta)).toBe(exact(s.meta));
        expect(exact(back.resume)).toBe(exact(s.resume));
        expect(Object.keys(back.arrays)).toEqual(Object.keys(s.arrays));
        for (const [name, a] of Object.entries(s.arrays)) {
          const b = back.arrays[name];
          expect(b.dtype).toBe(a.dtype);
          expect(b.shape).toEqual(a.shape);
          expect(b.data.constructor).toBe(a.data.constructor);
          expect(exact(Array.from(b.data))).toBe(exact(Array.from(a.data)));
        }
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);

  it('the FieldError of every path names a field (the invariant the helpers check)', () => {
    expect(fieldErrorOr(() => readJsonText('{', 'f.json', 'JSON'))).toBeUndefined();
    expect(() => fieldErrorOr(() => JSON.parse('{'))).toThrow(SyntaxError);
    expect(new FieldError('a', 1, 'b').message).toBe('a: got 1; allowed: b');
  });
});
