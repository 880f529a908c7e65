// Regression tests of issue 10's hostile-input findings (each case as found, through the entry
// point that failed): prototype pollution through a link and `--set`, numbers given as strings,
// 20,000-deep nesting, a UTF-8 BOM, oversized files on the page. The property tests over the same
// paths are test/unit/*-fuzz.test.ts; the score-mixing weights case is
// test/unit/score-mixing-log-weights.test.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeConfig, readUrlFields, base64urlEncode } from '../../src/app/url-state';
import { runCli } from '../../src/cli/cli';
import { parseSetValue, setPath } from '../../src/cli/args';
import { runLab } from '../../src/index';
import { FieldError, formatValue } from '../../src/io/field-error';
import { FILE_LIMITS, checkJsonTree, decimalLiteral, readFileText, readJsonText, setPathSafe, strictNumber } from '../../src/io/input';
import { parseMatrixJson } from '../../src/io/matrix';
import { parseSnapshotJson, snapshotToJson } from '../../src/io/snapshot-json';
import { getLab } from '../../src/labs/registry';
import { checkParam, checkParamText, type NumberParam } from '../../src/labs/schema';
import { importProblemJson } from '../../src/labs/primal-dual/config';
import { parsePointSetFile } from '../../src/labs/score-mixing/point-sets';
import { withImportedTokens } from '../../src/labs/transformer/view/edit';
import { expectCleanPrototypes, nestedText } from '../support/fuzz';

const dir = mkdtempSync(join(tmpdir(), 'flowlab-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scoreMixing = getLab('score-mixing');
const tiny = { mu1: { points: [[0, 0], [1, 0]] }, mu2: { points: [[0, 1]] }, lambda: 0.5, steps: 2, record: 2, particles: { count: 4, seed: 1 } };

/** runCli in-process with captured output. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; ms: number }> {
  let stderr = '';
  const t0 = performance.now();
  const code = await runCli(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stderr, ms: performance.now() - t0 };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function fieldErrorOf(fn: () => unknown): FieldError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return e as FieldError;
  }
  throw new Error('expected a FieldError');
}

describe('prototype pollution (issue 10)', () => {
  it('a link with __proto__.polluted=yes is rejected, pollutes nothing, and later parsing blames no innocent field', () => {
    for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'mu1.__proto__.polluted', 'prototype']) {
      const { config, rejected } = decodeConfig(scoreMixing, readUrlFields(`?v=1&lab=score-mixing&${encodeURIComponent(key)}=yes&lambda=0.25`));
      expectCleanPrototypes();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(rejected.map((e) => e.field)).toEqual([key]);
      expect(rejected[0].message).toMatch(/allowed: a field name other than __proto__, constructor or prototype/);
      expect((config as { lambda: number }).lambda).toBe(0.25); // the valid field of the same link is kept
      expect(() => scoreMixing.parseConfig(scoreMixing.defaultConfig())).not.toThrow();
    }
  });

  it('a link whose JSON field carries a "__proto__" key is rejected naming the path', () => {
    const mu1 = `~${base64urlEncode('{"points":[[0,0]],"__proto__":{"polluted":1}}')}`;
    const { rejected } = decodeConfig(scoreMixing, readUrlFields(`?v=1&lab=score-mixing&mu1=${mu1}`));
    expectCleanPrototypes();
    expect(rejected.map((e) => e.field)).toEqual(['mu1.__proto__']);
  });

  it('--set __proto__.x=1 (and constructor.prototype.x) exits 2 naming the path; nothing is polluted', async () => {
    for (const path of ['__proto__.x', 'constructor.prototype.x', 'mu1.__proto__.x', 'mu1.points[0].__proto__']) {
      const r = await cli(['run', 'score-mixing', '--preset', 'three-vs-one', '--set', `${path}=1`, '--out', join(dir, 'x.json')]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`invalid config: ${path}: got `);
      expectCleanPrototypes();
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('--set refuses array steps that would make huge sparse arrays (index past the end, length)', () => {
    const raw = structuredClone(tiny) as Record<string, unknown>;
    expect(fieldErrorOf(() => setPath(raw, 'mu1.points[99999999]', [0, 0])).message).toMatch(/^mu1\.points\[99999999\]: got 99999999; allowed: an array index in \[0, 2\]/);
    expect(fieldErrorOf(() => setPath(raw, 'mu1.points.length', 1e9)).field).toBe('mu1.points.length');
    expect(raw).toEqual(tiny); // untouched
    setPath(raw, 'mu1.points[2]', [2, 2]); // appending is fine
    expect((raw.mu1 as { points: number[][] }).points).toHaveLength(3);
  });

  it('a --set JSON value or config file with a "__proto__" key is refused naming the path', async () => {
    expect(fieldErrorOf(() => parseSetValue('{"__proto__":{"x":1}}', 'mu1')).field).toBe('mu1.__proto__');
    const p = write('proto.json', '{"lambda":0.5,"mu1":{"points":[[0,0]],"__proto__":{"x":1}},"mu2":{"points":[[1,1]]}}');
    const r = await cli(['run', 'score-mixing', '--config', p, '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid config: mu1.__proto__: got {"x":1}; allowed: a field name other than __proto__');
    expectCleanPrototypes();
  });

  it('objects the setter creates have no prototype (and still compare, clone and serialise as plain ones)', () => {
    const root: Record<string, unknown> = {};
    setPathSafe(root, 'particles.count', 5);
    expect(Object.getPrototypeOf(root.particles)).toBeNull();
    expect(root).toEqual({ particles: { count: 5 } });
    expect(JSON.stringify(structuredClone(root))).toBe('{"particles":{"count":5}}');
    expect(fieldErrorOf(() => setPathSafe(root, ['a', '__proto__'], 1)).message).toBe('a.__proto__: got "__proto__"; allowed: a field name other than __proto__, constructor or prototype');
  });
});

describe('numbers given as strings (issue 10)', () => {
  const lambda = scoreMixing.params.find((p) => p.key === 'lambda') as NumberParam;

  it('config files and the library API take JSON numbers only: "0x10", " ", " 0.5 " and "0.5" are refused naming the field', () => {
    for (const v of ['0x10', ' ', ' 0.5 ', '0.5', '']) {
      const e = fieldErrorOf(() => scoreMixing.parseConfig({ ...tiny, lambda: v }));
      expect(e.field).toBe('lambda');
      expect(e.message).toBe(`lambda: got ${JSON.stringify(v)}; allowed: a number in [0, 10]`);
      expect(fieldErrorOf(() => checkParam(lambda, v)).field).toBe('lambda');
    }
    // Integer fields read outside the schema (record) too.
    expect(fieldErrorOf(() => scoreMixing.parseConfig({ ...tiny, record: '2' })).field).toBe('record');
    expect(fieldErrorOf(() => scoreMixing.parseConfig({ ...tiny, particles: { count: '0x10', seed: 1 } })).field).toBe('particles.count');
    expect(fieldErrorOf(() => strictNumber('1', 'f', 'a number')).message).toBe('f: got "1"; allowed: a number');
  });

  it('URL values must be plain decimal literals: 0x10, blank and padded values are rejected, 0.5 and 1e-3 read', () => {
    for (const text of ['0x10', ' ', ' 0.5 ', '', 'Infinity', '1_0', '0b1']) {
      const { config, rejected } = decodeConfig(scoreMixing, readUrlFields(`?v=1&lab=score-mixing&lambda=${encodeURIComponent(text)}`));
      expect(rejected.map((e) => e.field)).toEqual(['lambda']);
      expect(rejected[0].message).toContain('written as a plain decimal number');
      expect((config as { lambda: number }).lambda).toBe(lambda.default);
    }
    expect(checkParamText(lambda, '0.5')).toBe(0.5);
    expect(checkParamText(lambda, '1e-3')).toBe(0.001);
    expect(Object.is(checkParamText(lambda, '-0'), -0)).toBe(true);
    expect([decimalLiteral('0x10'), decimalLiteral(' 0.5 '), decimalLiteral(' '), decimalLiteral('.5'), decimalLiteral('+2.')]).toEqual([undefined, undefined, undefined, 0.5, 2]);
  });

  it('--set lambda=0.5 is a JSON number and works; --set lambda="0.5" (a JSON string) and lambda=0x10 are refused', () => {
    const apply = (text: string) => {
      const raw = structuredClone(tiny) as Record<string, unknown>;
      setPath(raw, 'lambda', parseSetValue(text, 'lambda'));
      return scoreMixing.parseConfig(raw) as { lambda: number };
    };
    expect(apply('0.5').lambda).toBe(0.5);
    expect(apply('2').lambda).toBe(2);
    for (const text of ['"0.5"', '" 0.5 "', '0x10', '" "']) expect(fieldErrorOf(() => apply(text)).field).toBe('lambda');
  });
});

describe('deep nesting (issue 10)', () => {
  const deep = nestedText(20_000, true); // {"a":{"a":...1...}}

  it('a config nested 20,000 deep exits 2 with a FieldError, not a stack overflow, and fast', async () => {
    const p = write('deep.json', `{"mu1":${deep}}`);
    const r = await cli(['run', 'score-mixing', '--config', p, '--out', join(dir, 'x.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^flowlab: invalid config: mu1\.a\.a\.a\.\.\.a\.a: got "nested more than 64 levels deep"; allowed: JSON nested at most 64 levels deep\n$/);
    expect(r.stderr).not.toMatch(/Maximum call stack/);
    expect(r.ms).toBeLessThan(2000);
  });

  it('the same through the library API, --set, a link, a snapshot and each file import', async () => {
    const value = JSON.parse(deep);
    await expect(runLab('score-mixing', { ...tiny, mu1: value }, { backend: 'cpu' })).rejects.toThrow(/nested more than 64 levels deep/);
    expect(fieldErrorOf(() => parseSetValue(deep, 'mu1')).field).toMatch(/^mu1\.a\.a/);
    const { rejected } = decodeConfig(scoreMixing, readUrlFields(`?v=1&lab=score-mixing&mu1=~${base64urlEncode(deep)}`));
    expect(rejected[0].message).toContain('nested more than 64 levels deep');
    expect(fieldErrorOf(() => parseSnapshotJson(`{"format":"flowlab-snapshot","version":1,"lab":"score-mixing","config":${deep}}`)).field).toMatch(/^config\.a\.a/);
    expect(fieldErrorOf(() => parsePointSetFile('p.json', deep)).field).toMatch(/^p\.json\.a/);
    expect(fieldErrorOf(() => parseMatrixJson(nestedText(20_000), 'A')).field).toMatch(/^A\[0\]\[0\]/);
    const pd = getLab('primal-dual');
    expect(fieldErrorOf(() => importProblemJson(deep, pd.defaultConfig(), 'problem.json')).field).toMatch(/^a\.a/);
    const tf = getLab('transformer');
    expect(fieldErrorOf(() => withImportedTokens(tf.defaultConfig(), deep)).field).toMatch(/^tokens file\.a/);
  });

  it('a deep value handed straight to a parser (no JSON text) is described without recursion', () => {
    const value = JSON.parse(deep);
    const t0 = performance.now();
    const e = fieldErrorOf(() => scoreMixing.parseConfig({ ...tiny, mu1: value }));
    expect(e.field).toBe('mu1.a');
    expect(formatValue(value)).toBe(`${'{"a":'.repeat(11)}{"...`);
    expect(formatValue(JSON.parse(nestedText(20_000)))).toBe(`${'['.repeat(57)}...`);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(() => checkJsonTree(value)).toThrow(FieldError);
  });

  it('a cyclic object given to the library API is refused, not looped over', async () => {
    const cyclic: Record<string, unknown> = { ...tiny };
    cyclic.self = cyclic;
    await expect(runLab('score-mixing', cyclic, { backend: 'cpu' })).rejects.toThrow(/self: got .*no such field/);
  });
});

describe('UTF-8 BOM (issue 10)', () => {
  const BOM = '\ufeff';

  it('a config file starting with a BOM is read (flowlab run exits 0)', async () => {
    const p = write('bom.json', BOM + JSON.stringify(tiny));
    const r = await cli(['run', 'score-mixing', '--config', p, '--out', join(dir, 'bom-out.json'), '--quiet'], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('file imports with a BOM: point sets (JSON, CSV), matrices, problems, tokens, snapshots', () => {
    expect(parsePointSetFile('p.json', `${BOM}[[0,1],[2,3]]`).points).toEqual([[0, 1], [2, 3]]);
    expect(parsePointSetFile('p.csv', `${BOM}x,y\n0,1\n2,3\n`).points).toEqual([[0, 1], [2, 3]]);
    expect(parseMatrixJson(`${BOM}[[1,2]]`, 'A')).toEqual([[1, 2]]);
    expect(readJsonText(`${BOM}{"a":1}`, 'f', 'JSON')).toEqual({ a: 1 });
    const pd = getLab('primal-dual');
    const c = pd.defaultConfig() as { A: number[][]; b: number[] };
    expect(importProblemJson(BOM + JSON.stringify({ A: c.A, b: c.b }), pd.defaultConfig()).A).toEqual(c.A);
    const tf = getLab('transformer');
    expect(withImportedTokens(tf.defaultConfig(), `${BOM}[[[0.5,0.25],[1,0]]]`).sequences).toEqual([[[0.5, 0.25], [1, 0]]]);
    const snap = { lab: 'score-mixing', config: tiny, meta: {}, arrays: { t: { dtype: 'f64' as const, shape: [2], data: Float64Array.of(1, 0.5) } } };
    expect(parseSnapshotJson(BOM + snapshotToJson(snap)).config).toEqual(tiny);
  });
});

describe('oversized files are refused before they are read (issue 10)', () => {
  /** A File stand-in whose text() must not be called. */
  const huge = (name: string, size: number) => ({
    name,
    size,
    text: () => {
      throw new Error('read');
    },
  });

  it('each import has a cap; over it the FieldError names the file, the size and the cap', async () => {
    await expect(readFileText(huge('run.json', 65 * 2 ** 20), FILE_LIMITS.snapshot, 'a .json snapshot')).rejects.toThrow(
      'run.json: got "65.0 MiB"; allowed: a .json snapshot of at most 64.0 MiB',
    );
    await expect(readFileText(huge('mu1.csv', FILE_LIMITS.pointSet + 1), FILE_LIMITS.pointSet, 'a point-set file')).rejects.toThrow(/^mu1\.csv: got "8\.0 MiB"/);
    await expect(readFileText(huge('t.json', Infinity), FILE_LIMITS.tokens, 'a token file')).rejects.toThrow(FieldError);
    await expect(readFileText(huge('p.json', NaN), FILE_LIMITS.problem, 'a problem file')).rejects.toThrow(FieldError);
    expect(await readFileText(new File(['[[1]]'], 'ok.json'), FILE_LIMITS.problem, 'a problem file')).toBe('[[1]]');
  });
});
