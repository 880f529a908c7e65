// The property tests every lab shares (fast-check; see fuzz.ts for run counts and seed), over the
// lab's config parser, its URL state and `--set`:
//   * parseConfig of mutated configs throws nothing but a FieldError; what it accepts it accepts
//     again unchanged; no prototype is touched;
//   * decoding a hostile link never throws (bad fields are reported), yields a valid config and
//     touches no prototype;
//   * valid configs (scalars drawn in range) survive URL encode/decode exactly, nothing rejected;
//   * `--set path=value` (the CLI's own parseSetValue + setPath) then parseConfig throws nothing
//     but a FieldError (or a UsageError for a path that is not path syntax, also exit 2).

import fc from 'fast-check';
import { expect, it } from 'vitest';
import { base64urlEncode, decodeConfig, encodeUrlState, readUrlFields, stringifyExact } from '../../src/app/url-state';
import { UsageError, parseSetValue, setPath } from '../../src/cli/args';
import type { LabDefinition } from '../../src/labs/lab';
import type { ParamSpec } from '../../src/labs/schema';
import { FUZZ_TIMEOUT_MS, Tally, expectCleanPrototypes, fieldErrorOr, fuzzParams, mutatedConfig, trapText, trapValue } from './fuzz';

/**
 * The default config and every preset's: the starting points of mutations; for a lab with a
 * compare mode also the default comparing its first batchable key at that parameter's largest
 * value, so mutations, links and --set reach config.compare too (no preset carries it).
 */
export function basesOf(lab: LabDefinition<any>): unknown[] {
  const bases: unknown[] = [lab.defaultConfig(), ...lab.presets.map((p) => structuredClone(p.config))];
  const key = lab.compare?.keys[0];
  const spec = lab.params.find((p) => p.key === key);
  if (key && spec?.kind === 'number') bases.push({ ...lab.defaultConfig(), compare: { key, values: [spec.max] } });
  return bases;
}

/** Top-level keys and schema keys (their parts too): mutations and links reach real checks with them. */
export function namesOf(lab: LabDefinition<any>): string[] {
  const names = new Set<string>();
  for (const b of basesOf(lab)) if (typeof b === 'object' && b !== null) for (const k of Object.keys(b)) names.add(k);
  for (const p of lab.params) for (const part of p.key.split('.')) names.add(part);
  return [...names];
}

/** A value in range for one schema parameter. */
function validScalar(p: ParamSpec): fc.Arbitrary<number | string | boolean> {
  switch (p.kind) {
    case 'number':
      if (p.integer) return fc.integer({ min: Math.ceil(p.min), max: Math.floor(p.max) });
      return fc.oneof(
        fc.double({ min: p.min, max: p.max, noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(p.min, p.max, p.default),
        fc.integer({ min: 0, max: 1000 }).map((i) => p.min + ((p.max - p.min) * i) / 1000),
      );
    case 'choice':
      return fc.constantFrom(...p.options);
    case 'boolean':
      return fc.boolean();
  }
}

/** Configs the lab accepts: a base with a random subset of its scalars redrawn in range (null when refused). */
function validConfig(lab: LabDefinition<any>): fc.Arbitrary<unknown> {
  const bases = basesOf(lab);
  const draws = fc.array(
    fc.integer({ min: 0, max: lab.params.length - 1 }).chain((i) => validScalar(lab.params[i]).map((v) => [lab.params[i].key, v] as const)),
    { maxLength: lab.params.length },
  );
  return fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), draws).map(([b, ds]) => {
    const raw = structuredClone(bases[b]) as Record<string, unknown>;
    for (const [key, v] of ds) {
      try {
        setPath(raw, key, v);
      } catch {
        return null;
      }
    }
    return fieldErrorOr(() => lab.parseConfig(raw)) ?? null;
  });
}

/** A link's query: version and lab mostly right, fields from the schema, the config and traps. */
function hostileQuery(lab: LabDefinition<any>, names: readonly string[]): fc.Arbitrary<string> {
  const keys = [...new Set([...lab.params.map((p) => p.key), ...names, '__proto__.polluted', 'constructor.prototype.polluted', 'mu1.__proto__.x', 'a.prototype', 'particles.constructor'])];
  const key = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  const value = fc.oneof(
    { weight: 4, arbitrary: trapText },
    { weight: 2, arbitrary: trapValue(names, 3).map((v) => `~${base64urlEncode(JSON.stringify(v) ?? 'null')}`) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 3000 }).map((d) => `~${base64urlEncode(`${'['.repeat(d)}${']'.repeat(d)}`)}`) },
  );
  const head = fc.constantFrom(`v=1&lab=${lab.id}`, `lab=${lab.id}`, 'v=2&lab=x', `v=1&lab=${lab.id}&v=1`);
  return fc.tuple(head, fc.array(fc.tuple(key, value), { maxLength: 5 })).map(
    ([h, fields]) => `${h}&${fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`,
  );
}

/** `--set` assignments: schema and config paths, forbidden keys, indices (huge ones too), syntax noise. */
function hostileSets(lab: LabDefinition<any>, names: readonly string[]): fc.Arbitrary<{ path: string; value: string }[]> {
  const part = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'length') },
    { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 3, 99_999_999, 2 ** 32).map((i) => `[${i}]`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  );
  const path = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...lab.params.map((p) => p.key)) },
    { weight: 4, arbitrary: fc.array(part, { minLength: 1, maxLength: 4 }).map((ps) => ps.map((p, i) => (i === 0 || p.startsWith('[') ? p : `.${p}`)).join('')) },
  );
  const value = fc.oneof(
    { weight: 3, arbitrary: trapText },
    { weight: 2, arbitrary: trapValue(names, 3).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 3000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`) },
  );
  return fc.array(fc.record({ path, value }), { minLength: 1, maxLength: 3 });
}

/** Registers the shared properties of `lab` in the calling describe block. */
export function labInputProperties(lab: LabDefinition<any>): void {
  const bases = basesOf(lab);
  const names = namesOf(lab);

  it(`${lab.id}: parseConfig of mutated configs throws only FieldErrors; accepted configs parse again unchanged`, () => {
    const tally = new Tally();
    fc.assert(
      fc.property(mutatedConfig(bases, names), (raw) => {
        const parsed = fieldErrorOr(() => lab.parseConfig(raw));
        expectCleanPrototypes();
        tally.add(parsed !== undefined);
        if (parsed !== undefined) expect(lab.parseConfig(structuredClone(parsed))).toEqual(parsed);
      }),
      fuzzParams(),
    );
    tally.expectBoth();
  }, FUZZ_TIMEOUT_MS);

  it(`${lab.id}: hostile links decode without throwing, to a valid config, reporting what they rejected`, () => {
    fc.assert(
      fc.property(hostileQuery(lab, names), (query) => {
        const { config, rejected } = decodeConfig(lab, readUrlFields(query));
        expectCleanPrototypes();
        expect(lab.parseConfig(structuredClone(config))).toEqual(config);
        for (const e of rejected) expect(e.message.startsWith(`${e.field}: got `)).toBe(true);
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);

  it(`${lab.id}: valid configs round-trip through URL encode/decode exactly`, () => {
    const tally = new Tally();
    fc.assert(
      fc.property(validConfig(lab), (config) => {
        tally.add(config !== null);
        if (config === null) return;
        const { config: back, rejected } = decodeConfig(lab, readUrlFields(encodeUrlState(lab, config)));
        expect(rejected.map((e) => e.message)).toEqual([]);
        expect(stringifyExact(back)).toBe(stringifyExact(config)); // -0 and key order included
        expect(back).toEqual(config);
      }),
      fuzzParams(),
    );
    expect(tally.valid).toBeGreaterThan(tally.refused / 4);
  }, FUZZ_TIMEOUT_MS);

  it(`${lab.id}: --set assignments then parseConfig throw only FieldErrors (UsageError for bad path syntax)`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), hostileSets(lab, names), (b, sets) => {
        const raw = structuredClone(bases[b]) as Record<string, unknown>;
        try {
          fieldErrorOr(() => {
            for (const { path, value } of sets) setPath(raw, path, parseSetValue(value, path));
            return lab.parseConfig(raw);
          });
        } catch (e) {
          if (!(e instanceof UsageError && /^bad --set key/.test(e.message))) throw e;
        }
        expectCleanPrototypes();
      }),
      fuzzParams(),
    );
  }, FUZZ_TIMEOUT_MS);
}
