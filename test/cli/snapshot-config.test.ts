// A .json snapshot given as `flowlab run <lab> --config snapshot.json`, to runLab as a parsed file,
// or to readSnapshot: the whole snapshot passes the one validator (src/labs/snapshot-check.ts)
// before its config reruns. The hostile snapshots of issue 10 — version 99, arrays null or "NaN",
// a negative resume.t, a frame past the end, NaN positions, a particle count that disagrees with
// the config — exit 2 naming the field. In-process (runCli, the CLI's entry without the bin
// wrapper), CPU backend, so no build and no GPU are needed.

import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli';
import { FieldError, readSnapshot, runLab } from '../../src/index';

const dir = mkdtempSync(join(tmpdir(), 'flowlab-snapshot-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = {
  mu1: { points: [[-1, 0], [1, 0.5]] },
  mu2: { points: [[0.5, -1]] },
  lambda: 0.5,
  particles: { count: 16, seed: 1 },
  steps: 20,
  record: 5,
};

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { FLOWLAB_BACKEND: 'cpu' } });
  return { code, stderr };
}

let snapshotText = '';

beforeAll(async () => {
  const out = join(dir, 'run.json');
  const r = await cli(['run', 'score-mixing', '--config', write('config.json', CONFIG), '--out', out, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  snapshotText = readFileSync(out, 'utf8');
}, 60_000);

function write(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

function edited(patch: (s: any) => void): any {
  const s = JSON.parse(snapshotText);
  patch(s);
  return s;
}

const HOSTILE: [string, (s: any) => void, string][] = [
  ['version 99', (s) => (s.version = 99), 'version'],
  ['arrays null', (s) => (s.arrays = null), 'arrays'],
  ['arrays "NaN"', (s) => (s.arrays = 'NaN'), 'arrays'],
  ['an array null', (s) => (s.arrays.x = null), 'arrays.x'],
  ['data "NaN"', (s) => (s.arrays.x.data = 'NaN'), 'arrays.x.data'],
  ['NaN positions', (s) => (s.arrays.x.data[5] = 'NaN'), 'arrays.x.data[5]'],
  ['a negative t', (s) => (s.resume.t = -1), 'resume.t'],
  ['a frame past the end', (s) => (s.resume.frame = 5), 'resume.frame'],
  ['a particle count that disagrees with the config', (s) => (s.config.particles.count = 17), 'arrays.x.shape'],
];

describe('flowlab run --config snapshot.json', () => {
  it('a snapshot the CLI wrote reruns (exit 0)', async () => {
    const out = join(dir, 'again.json');
    const r = await cli(['run', 'score-mixing', '--config', write('good.json', snapshotText), '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).arrays.x.data).toEqual(JSON.parse(snapshotText).arrays.x.data);
  });

  for (const [what, patch, field] of HOSTILE) {
    it(`${what}: exit 2 naming ${field}, nothing written`, async () => {
      const out = join(dir, `bad-${field}.json`);
      const r = await cli(['run', 'score-mixing', '--config', write(`bad-${field}-in.json`, edited(patch)), '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${field}: got`);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("another lab's snapshot: exit 2", async () => {
    const r = await cli(['run', 'bilevel', '--config', write('other-lab.json', snapshotText), '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a snapshot of lab "score-mixing", not "bilevel"/);
  });
});

describe('the library API', () => {
  it('runLab with a parsed snapshot file validates the whole snapshot first', async () => {
    for (const [, patch, field] of HOSTILE) {
      const err = await runLab('score-mixing', edited(patch), { backend: 'cpu' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, field).toBeInstanceOf(FieldError);
      expect((err as FieldError).field).toBe(field);
    }
    const snap = await runLab('score-mixing', JSON.parse(snapshotText), { backend: 'cpu' });
    expect(Array.from(snap.arrays.x.data)).toEqual(JSON.parse(snapshotText).arrays.x.data);
  });

  it('readSnapshot: typed arrays and the parsed config, or a FieldError naming the field', () => {
    const s = readSnapshot(snapshotText);
    expect(s.arrays.x.shape).toEqual([5, 16, 2]);
    expect(s.arrays.x.data).toBeInstanceOf(Float64Array);
    expect(() => readSnapshot(snapshotText, 'bilevel')).toThrow(/^lab: got "score-mixing"/);
    expect(() => readSnapshot('\uFEFF' + snapshotText)).not.toThrow();
    for (const [, patch, field] of HOSTILE) {
      expect(() => readSnapshot(JSON.stringify(edited(patch))), field).toThrow(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: got`));
    }
  });
});
