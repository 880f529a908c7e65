// Property test of every lab's snapshot validator (validateSnapshot against the lab's
// snapshot-spec.ts) with the arrays the page's trajectory exports added: a real snapshot of a small
// run (runLab on the CPU) is mutated — an array dropped, reshaped, retyped or filled with hostile
// values, one of the optional arrays (score-mixing resume_state, primal-dual Q and resume_state,
// transformer layer / depth) added with arbitrary contents, a resume field changed — and the
// validator must either accept it or throw a FieldError; never another error.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DType, NdArray, Snapshot } from '../../src/io/snapshot-types';
import { runLab } from '../../src/index';
import { getLab } from '../../src/labs/registry';
import { FieldError } from '../../src/labs/schema';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import { FUZZ_TIMEOUT_MS, fuzzParams } from '../support/fuzz';

/** Small runs, and the optional arrays each lab's page may add to its export. */
const CASES = [
  { lab: 'score-mixing', config: { particles: { count: 16, seed: 1 }, steps: 8, record: 3 }, optional: ['resume_state'] },
  { lab: 'primal-dual', config: { T: 2, h: 0.1, record: 3, initial: { count: 4, seed: 1, spread: 1 } }, optional: ['Q', 'resume_state'] },
  { lab: 'transformer', config: { iterations: 2, record: 2 }, optional: ['layer', 'depth'] },
  { lab: 'bilevel', config: { grid: { n: 8, x1: [-2, 2], x2: [-2, 2] } }, optional: [] },
];

const DTYPES: DType[] = ['f32', 'f64', 'i32', 'u32', 'u8'];
const hostile = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308, 2 ** 31));

function makeArray(dtype: DType, shape: number[], values: number[]): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const make = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array }[dtype];
  const data = new make(n);
  for (let i = 0; i < n; i++) data[i] = values[i % Math.max(1, values.length)] ?? 0;
  return { dtype, shape, data } as NdArray;
}

describe('every lab\'s snapshot validator on mutated real snapshots', () => {
  const base = new Map<string, Snapshot>();
  beforeAll(async () => {
    for (const c of CASES) base.set(c.lab, await runLab(c.lab, { ...(getLab(c.lab).defaultConfig() as object), ...c.config }, { backend: 'cpu' }));
  }, 120_000);

  for (const c of CASES) {
    it(`${c.lab}: accepts the snapshot, and every mutation is accepted or refused with a FieldError`, () => {
      const snap = base.get(c.lab)!;
      const lab = getLab(c.lab);
      expect(() => validateSnapshot(snap, lab)).not.toThrow();
      const names = [...Object.keys(snap.arrays), ...c.optional];
      const mutation = fc.record({
        name: fc.constantFrom(...names),
        kind: fc.constantFrom('drop', 'reshape', 'retype', 'fill', 'resume'),
        dtype: fc.constantFrom(...DTYPES),
        shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }),
        values: fc.array(hostile, { minLength: 1, maxLength: 8 }),
        resume: fc.oneof(fc.integer({ min: -3, max: 50 }), hostile, fc.constant(undefined)),
      });
      fc.assert(
        fc.property(mutation, (m) => {
          const arrays: Record<string, NdArray> = { ...snap.arrays };
          const old = arrays[m.name];
          if (m.kind === 'drop') delete arrays[m.name];
          else if (m.kind === 'reshape') arrays[m.name] = makeArray(old?.dtype ?? m.dtype, m.shape, m.values);
          else if (m.kind === 'retype') arrays[m.name] = makeArray(m.dtype, old?.shape ?? m.shape, m.values);
          else if (m.kind === 'fill') arrays[m.name] = makeArray(old?.dtype ?? m.dtype, old?.shape ?? m.shape, m.values);
          const resume = m.kind === 'resume' && snap.resume ? { ...snap.resume, step: m.resume } : snap.resume;
          try {
            validateSnapshot({ ...snap, arrays, resume }, lab);
          } catch (e) {
            if (!(e instanceof FieldError)) throw e;
          }
        }),
        fuzzParams(2000),
      );
    }, FUZZ_TIMEOUT_MS);
  }
});
