// src/labs/compare.ts (config.compare: key, values, batches, meta) and the csv writer's batch
// columns for a compared run's x (batches, frames, particles, d).

import { describe, expect, it } from 'vitest';
import { MAX_COMPARE_VALUES, batchCount, batchValues, compareMeta, parseCompare } from '../../src/labs/compare';
import { schemaReader } from '../../src/labs/config-fields';
import { FieldError, type ParamSpec } from '../../src/labs/schema';
import { trajectoryCsv } from '../../src/io/csv';

const PARAMS: ParamSpec[] = [
  { kind: 'number', key: 'alpha', label: 'alpha', min: 3, max: 1000, default: 3, help: '' },
  { kind: 'number', key: 'beta', label: 'beta', min: 0, max: 10, default: 1, help: '' },
];
const schema = schemaReader('test', PARAMS);
const own = (key: string): number => (key === 'alpha' ? 3 : 1);
const parse = (raw: unknown) => parseCompare(raw, ['alpha', 'beta'], schema, own);

function fieldOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FieldError) return e.field;
    throw e;
  }
  throw new Error('no FieldError');
}

describe('config.compare', () => {
  it('absent: one batch; present: the config value first, then the compared ones', () => {
    expect(parse(undefined)).toBeUndefined();
    expect(batchCount(undefined)).toBe(1);
    const c = parse({ key: 'alpha', values: [4, 8] })!;
    expect(c).toEqual({ key: 'alpha', values: [4, 8] });
    expect(batchValues(3, c)).toEqual([3, 4, 8]);
    expect(batchCount(c)).toBe(3);
    expect(compareMeta(3, c)).toEqual({ key: 'alpha', values: [3, 4, 8] });
    expect(compareMeta(3, undefined)).toBeNull();
  });

  it("leaves the config's own value out (batch 0 runs it), and compare out when nothing else is left", () => {
    expect(parse({ key: 'alpha', values: [3, 4] })).toEqual({ key: 'alpha', values: [4] });
    expect(parse({ key: 'alpha', values: [4, 3, 8] })).toEqual({ key: 'alpha', values: [4, 8] });
    expect(parse({ key: 'alpha', values: [3] })).toBeUndefined();
    // The cap counts the values besides the own one.
    const eight = [3, ...Array.from({ length: MAX_COMPARE_VALUES }, (_, i) => 4 + i)];
    expect(parse({ key: 'alpha', values: eight })!.values).toHaveLength(MAX_COMPARE_VALUES);
  });

  it('refuses, naming the field: not an object, unknown keys, a key the lab cannot batch, bad or repeated values', () => {
    expect(fieldOf(() => parse([1]))).toBe('compare');
    expect(fieldOf(() => parse({ key: 'alpha', values: [4], extra: 1 }))).toBe('compare.extra');
    expect(fieldOf(() => parse({ key: 'h', values: [0.1] }))).toBe('compare.key');
    expect(fieldOf(() => parse({ key: '__proto__', values: [1] }))).toBe('compare.key');
    expect(fieldOf(() => parse({ key: 'alpha', values: [] }))).toBe('compare.values');
    expect(fieldOf(() => parse({ key: 'alpha', values: Array.from({ length: MAX_COMPARE_VALUES + 1 }, (_, i) => 4 + i) }))).toBe('compare.values');
    expect(fieldOf(() => parse({ key: 'alpha', values: [4, 2] }))).toBe('compare.values[1]');
    expect(fieldOf(() => parse({ key: 'alpha', values: [4, '5'] }))).toBe('compare.values[1]');
    expect(fieldOf(() => parse({ key: 'alpha', values: [4, 4] }))).toBe('compare.values[1]');
    expect(() => parse({ key: 'alpha', values: [2] })).toThrow(/compare\.values\[0\]: got 2; allowed: a number in \[3, 1000\]/);
  });
});

describe('csv of a compared run', () => {
  it('writes batch and the compared value in front of every row, batches outermost', () => {
    const t = { dtype: 'f64' as const, shape: [2], data: Float64Array.of(1, 2) };
    // 2 batches x 2 frames x 1 particle x d 2
    const x = { dtype: 'f64' as const, shape: [2, 2, 1, 2], data: Float64Array.of(0, 1, 2, 3, 10, 11, 12, 13) };
    const csv = trajectoryCsv(t, x, { key: 'alpha', values: [3, 4.5] });
    expect(csv.trim().split('\n')).toEqual(['batch,alpha,frame,t,particle,x0,x1', '0,3,0,1,0,0,1', '0,3,1,2,0,2,3', '1,4.5,0,1,0,10,11', '1,4.5,1,2,0,12,13']);
    expect(() => trajectoryCsv(t, x, { key: 'alpha', values: [3] })).toThrow(/2 batches but meta.compare names 1/);
  });
});

describe("the shell's compare values field", () => {
  it('splits on commas, spaces and semicolons; numbers as numbers, anything else kept as text for the config check to name', async () => {
    const { parseCompareValues } = await import('../../src/app/compare-control');
    expect(parseCompareValues('4, 8 1e-2;0.5')).toEqual([4, 8, 0.01, 0.5]);
    expect(parseCompareValues(' -3 , +2.5 ')).toEqual([-3, 2.5]);
    expect(parseCompareValues('4, 0x10, abc')).toEqual([4, '0x10', 'abc']);
    expect(parseCompareValues('')).toEqual([]);
    expect(parseCompareValues('4,,8')).toEqual([4, 8]);
  });
});
