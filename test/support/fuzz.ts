// Shared pieces of the property tests (fast-check) over every input path: run counts and seed,
// hostile values (numeric strings, hex, padding, non-finite numbers, __proto__ keys, deep
// nesting), mutations of valid configs, and the two invariants every path keeps: nothing throws
// anything but a FieldError, and no prototype gains a property.
//
// 10,000 cases per path by default with a fixed seed (reproducible in CI); more in an opt-in run:
//   FLOWLAB_FUZZ_RUNS=200000 npx vitest run test/unit/*fuzz*
//   FLOWLAB_FUZZ_SEED=7 ... picks another seed (a failure prints the seed and path to replay).

import fc from 'fast-check';
import { expect } from 'vitest';
import { FieldError } from '../../src/io/field-error';

export const FUZZ_RUNS = Math.max(1, Number(process.env.FLOWLAB_FUZZ_RUNS) || 10_000);
export const FUZZ_SEED = Number.isFinite(Number(process.env.FLOWLAB_FUZZ_SEED)) && process.env.FLOWLAB_FUZZ_SEED ? Number(process.env.FLOWLAB_FUZZ_SEED) : 20_251_010;

/** fc.assert parameters: the run count, the fixed seed. */
export function fuzzParams(runs = FUZZ_RUNS): fc.Parameters<unknown> {
  return { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true };
}

/** The time one property may take (the whole suite stays within about a minute on 2 cores). */
export const FUZZ_TIMEOUT_MS = Math.max(120_000, FUZZ_RUNS * 20);

// ---- invariants ----

const PROTOS: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
];
const baseline = new Map(PROTOS.map(([name, p]) => [name, Reflect.ownKeys(p).map(String).sort().join(',')]));

/** Fails when any built-in prototype gained (or lost) a property, or {} gained a prototype property. */
export function expectCleanPrototypes(): void {
  for (const [name, p] of PROTOS) {
    const now = Reflect.ownKeys(p).map(String).sort().join(',');
    if (now !== baseline.get(name)) throw new Error(`${name} was changed: ${now}`);
  }
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'x', 'a', 'isAdmin', '0']) if (probe[k] !== undefined) throw new Error(`({}).${k} is ${String(probe[k])}`);
}

/**
 * Runs `fn`: its value, or undefined when it threw a FieldError (whose message must name the
 * field). Anything else thrown fails the property, with the error as the reason.
 */
export function fieldErrorOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FieldError) {
      if (typeof e.field !== 'string' || !e.message.startsWith(`${e.field}: got `)) throw new Error(`malformed FieldError: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

/** Same for async paths. */
export async function fieldErrorOrAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FieldError) return undefined;
    throw e;
  }
}

// ---- hostile values ----

/** Texts that look like numbers to Number() but are not plain decimals, and other traps. */
export const TRAP_TEXTS = [
  '0x10', '0X1F', '0b11', '0o7', ' ', '', '\t', ' 0.5 ', '0.5 ', ' 1', '\u00a01', '1\n', '1_000', '1e', 'e5', '--1', '+-1', '1e400', '-1e400',
  'Infinity', '-Infinity', '+Infinity', 'NaN', 'null', 'true', 'false', 'True', '[]', '{}', '[1]', '"0.5"', '0.5', '-0', '+1', '.5', '5.', '1e-3',
  '__proto__', 'constructor', 'prototype', '__proto__.polluted', 'toString', 'hasOwnProperty', 'valueOf', '~', '~e30', '~W10', '~eyJfX3Byb3RvX18iOjF9',
] as const;

export const trapText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TRAP_TEXTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 70000 }).map(String) },
);

export const trapNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-0, 0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 32, 2 ** 53 + 1, 1e-300, 1e300, 1e6, 1e9),
  fc.double(),
  fc.integer({ min: -10, max: 70000 }),
);

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

/** Object keys: the forbidden three, the given field names (to reach real checks) and noise. */
export function trapKey(names: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...FORBIDDEN) },
    { weight: names.length > 0 ? 4 : 0, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('x') },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  );
}

/** An object with exactly these own entries; a "__proto__" entry stays an own property (as JSON.parse makes it). */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** JSON-like values (NaN and Infinity included, since the library API takes objects) with trap keys. */
export function trapValue(names: readonly string[] = [], maxDepth = 4): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(trapNumber, trapText, fc.boolean(), fc.constant(null));
  const { value } = fc.letrec<{ value: unknown; arr: unknown[]; obj: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth, withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
    arr: fc.array(tie('value'), { maxLength: 4 }),
    obj: fc.array(fc.tuple(trapKey(names), tie('value')), { maxLength: 4 }).map(ownObject),
  }));
  return value;
}

/** `depth` arrays (or objects) nested in each other, as JSON text (cheap to build at any depth). */
export function nestedText(depth: number, objects = false): string {
  return objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/**
 * JSON text that is hostile as text: JSON of trapValue (own "__proto__" keys survive JSON.stringify),
 * a BOM, deep nesting, truncation, or random characters.
 */
export function trapJsonText(names: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: trapValue(names).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: trapValue(names).map((v) => `\ufeff${JSON.stringify(v) ?? 'null'}`) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 60, max: 20_000 }), fc.boolean()).map(([d, o]) => nestedText(d, o)) },
    { weight: 1, arbitrary: trapValue(names).map((v) => (JSON.stringify(v) ?? 'null').slice(0, -1)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

// ---- mutations of valid values ----

export type Path = (string | number)[];

/** Every path inside `v` (the root included), arrays cut to their first few entries. */
export function pathsOf(v: unknown, maxPerArray = 3): Path[] {
  const out: Path[] = [];
  const stack: [unknown, Path][] = [[v, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    out.push(path);
    if (Array.isArray(node)) node.slice(0, maxPerArray).forEach((c, i) => stack.push([c, [...path, i]]));
    else if (typeof node === 'object' && node !== null) for (const [k, c] of Object.entries(node)) stack.push([c, [...path, k]]);
  }
  return out;
}

export interface Mutation {
  path: Path;
  op: 'set' | 'delete' | 'add';
  key: string;
  value: unknown;
}

/** Applies mutations to a clone of `base` (a "set" at the root replaces it). */
export function mutate(base: unknown, mutations: readonly Mutation[]): unknown {
  let root = structuredClone(base);
  for (const m of mutations) {
    if (m.path.length === 0 && m.op === 'set') {
      root = m.value;
      continue;
    }
    let node: unknown = root;
    const parentPath = m.op === 'add' ? m.path : m.path.slice(0, -1);
    for (const p of parentPath) node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[p] : undefined;
    if (typeof node !== 'object' || node === null) continue;
    const target = node as Record<string | number, unknown>;
    const last = m.path[m.path.length - 1];
    if (m.op === 'add') {
      if (!Array.isArray(target)) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
    else if (m.op === 'delete') delete target[last];
    else target[last] = m.value;
  }
  return root;
}

/** One to three mutations of one of `bases`, with values and keys drawn from trapValue / trapKey(names). */
export function mutatedConfig(bases: readonly unknown[], names: readonly string[] = []): fc.Arbitrary<unknown> {
  return fc.integer({ min: 0, max: bases.length - 1 }).chain((b) => {
    const paths = pathsOf(bases[b]);
    const mutation = fc.record({
      path: fc.constantFrom(...paths),
      op: fc.constantFrom<Mutation['op']>('set', 'set', 'set', 'delete', 'add'),
      key: trapKey(names),
      value: trapValue(names, 3),
    });
    return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => mutate(bases[b], ms));
  });
}

/** Counts the valid and refused cases of a property, so a test can tell it was not vacuous. */
export class Tally {
  valid = 0;
  refused = 0;
  add(ok: boolean): void {
    if (ok) this.valid++;
    else this.refused++;
  }
  /** At least `fraction` of the cases were each kind (both paths exercised). */
  expectBoth(fraction = 0.02): void {
    const n = this.valid + this.refused;
    expect(this.valid, `valid cases of ${n}`).toBeGreaterThanOrEqual(Math.floor(n * fraction));
    expect(this.refused, `refused cases of ${n}`).toBeGreaterThanOrEqual(Math.floor(n * fraction));
  }
}
