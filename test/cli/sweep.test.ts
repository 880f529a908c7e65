// `flowlab sweep` and `flowlab merge`, in-process through runCli (no dist-cli build): a primal-dual
// sweep over two axes written as .npz and read by numpy with the README's snippet; every point equal
// to `flowlab run` of its config byte for byte; shards 1/3, 2/3, 3/3 merged equal to the unsharded
// file; flags that are bad or do not apply refused with exit 2 naming the flag; and one case on the
// Node GPU (WebGPU through Dawn, SwiftShader included), skipped without an adapter unless CI is set.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli';
import { parseVary, splitTopLevel } from '../../src/cli/sweep-command';
import { UsageError } from '../../src/cli/args';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import { decodeNpz } from '../../src/io/npz';
import type { NdArray } from '../../src/io/snapshot-types';

const dir = mkdtempSync(join(tmpdir(), 'flowlab-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function flowlab(args: string[], env: Record<string, string> = { FLOWLAB_BACKEND: 'cpu' }): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { ...process.env, ...env } };
  const code = await runCli(args, io);
  return { code, stderr };
}

const file = (name: string): string => join(dir, name);
function writeJson(name: string, value: unknown): string {
  writeFileSync(file(name), JSON.stringify(value));
  return file(name);
}

/** The primal-dual test instance, 8 trajectories up to T = 5: milliseconds per run on the CPU. */
const small = {
  objective: { kind: 'quartic', c: [1, -0.5, 0.3, 2] },
  A: [
    [1, 2, -1, 0.5],
    [0, 1, 1, -2],
  ],
  b: [1, -2],
  alpha: 4,
  theta: 5 / 12,
  T: 5,
  h: 0.01,
  initial: { count: 8, seed: 7, spread: 0.5 },
  record: 5,
};
const config = writeJson('base.json', small);
const sweepArgs = ['sweep', 'primal-dual', '--config', config, '--set', 'record=4', '--vary', 'alpha=4,5', '--vary', 'h=0.02,0.01,0.005'];

const bytes = (a: NdArray): Buffer => Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
function expectSameArrays(got: Record<string, NdArray>, want: Record<string, NdArray>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, a] of Object.entries(want)) {
    expect({ name, dtype: got[name].dtype, shape: got[name].shape }).toEqual({ name, dtype: a.dtype, shape: a.shape });
    expect(bytes(got[name]).equals(bytes(a)), name).toBe(true);
  }
}

/** Run k's slice of a stacked array, or its <name>__k member. */
function pointArray(arrays: Record<string, NdArray>, name: string, lead: number, k: number): NdArray {
  const member = arrays[`${name}__${k}`];
  if (member) return member;
  const a = arrays[name];
  const shape = a.shape.slice(lead);
  const per = shape.reduce((p, n) => p * n, 1);
  return { dtype: a.dtype, shape, data: a.data.subarray(k * per, (k + 1) * per) };
}

/** Every point of a sweep file against `flowlab run` of its config (from meta.json runs[k].config). */
async function expectPointsEqualRuns(sweepFile: string, env: Record<string, string>, points?: number[]): Promise<void> {
  const { arrays, meta } = decodeNpz(readFileSync(sweepFile));
  const m = meta as { sweep: { shape: number[] }; runs: { index: number; config: unknown }[] };
  for (const run of m.runs.filter((r) => points === undefined || points.includes(r.index))) {
    const out = file(`run-${run.index}.npz`);
    const r = await flowlab(['run', 'primal-dual', '--config', writeJson(`point-${run.index}.json`, run.config), '--out', out, '--quiet'], env);
    expect(r.code, r.stderr).toBe(0);
    const single = decodeNpz(readFileSync(out)).arrays;
    const got = Object.fromEntries(Object.keys(single).map((name) => [name, pointArray(arrays, name, m.sweep.shape.length, run.index)]));
    expectSameArrays(got, single);
  }
}

const readmeNumpy = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
meta = json.loads(bytes(z["meta.json"]))
keys = [a["key"] for a in meta["sweep"]["axes"]]
alphas, hs = (a["values"] for a in meta["sweep"]["axes"])
x = z["x"]                                   # (alpha, h, frames, trajectories, n)
feas = z["feasibility"]                      # (alpha, h, frames, trajectories)
for i, alpha in enumerate(alphas):
    for j, h in enumerate(hs):
        assert meta["runs"][i * len(hs) + j]["config"]["h"] == h
print(json.dumps({"keys": keys, "x": list(x.shape), "feasibility": list(feas.shape), "shape": meta["sweep"]["shape"]}))
`;

describe('flowlab sweep', () => {
  const whole = file('sweep.npz');

  it('writes the Cartesian product stacked (alpha outermost), and numpy reads it as the README says', async () => {
    const r = await flowlab([...sweepArgs, '--out', whole]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sweep of 2 x 3 = 6 points/);
    expect(r.stderr).toMatch(/flowlab sweep primal-dual: 100%/);
    expect(r.stderr).toMatch(/wrote .*sweep\.npz .*6 of 2x3 points; t 2x3x4 f64, x 2x3x4x8x4 f64/);
    const { arrays, meta } = decodeNpz(readFileSync(whole));
    expect(arrays.x.shape).toEqual([2, 3, 4, 8, 4]);
    const m = meta as Record<string, any>;
    expect(m.lab).toBe('primal-dual');
    expect(m.config).toEqual({ ...small, record: 4 }); // the base after --set
    expect(m.sweep).toEqual({ axes: [{ key: 'alpha', values: [4, 5] }, { key: 'h', values: [0.02, 0.01, 0.005] }], shape: [2, 3], points: [0, 1, 2, 3, 4, 5], shard: null });
    expect(m.runs.map((run: any) => [run.config.alpha, run.config.h])).toEqual([[4, 0.02], [4, 0.01], [4, 0.005], [5, 0.02], [5, 0.01], [5, 0.005]]);
    expect(m.runs[0].meta.backend).toBe('cpu-float64');
    const py = spawnSync('python3', ['-c', readmeNumpy, whole], { encoding: 'utf8' });
    if (py.error || /No module named 'numpy'/.test(py.stderr)) return; // numpy is optional here
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({ keys: ['alpha', 'h'], x: [2, 3, 4, 8, 4], feasibility: [2, 3, 4, 8], shape: [2, 3] });
  });

  it('each point equals `flowlab run` of its config, byte for byte', async () => {
    await expectPointsEqualRuns(whole, { FLOWLAB_BACKEND: 'cpu' });
  });

  it('--shard 1/3, 2/3, 3/3 write <name>__<k>; flowlab merge (any order) writes the unsharded file', async () => {
    const parts: string[] = [];
    for (const i of [1, 2, 3]) {
      const out = file(`part-${i}.npz`);
      const r = await flowlab([...sweepArgs, '--shard', `${i}/3`, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`shard ${i}/3: 2 of them`));
      const { arrays, meta } = decodeNpz(readFileSync(out));
      const points = [i - 1, i + 2];
      expect((meta as any).sweep.points).toEqual(points);
      expect((meta as any).sweep.shard).toEqual({ index: i, count: 3 });
      expect(Object.keys(arrays).sort()).toContain(`x__${points[1]}`);
      expect(Object.keys(arrays).every((n) => points.some((k) => n.endsWith(`__${k}`)))).toBe(true);
      parts.push(out);
    }
    const merged = file('merged.npz');
    const r = await flowlab(['merge', parts[1], parts[2], parts[0], '--out', merged]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/merged 3 files \(6 points\)/);
    const a = decodeNpz(readFileSync(merged));
    const b = decodeNpz(readFileSync(whole));
    expectSameArrays(a.arrays, b.arrays);
    const clockless = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'timings' || k === 'createdAt' ? undefined : x)));
    expect(clockless(a.meta)).toEqual(clockless(b.meta));

    // A missing shard, a shard twice, another sweep's shard: exit 2 naming the file and points.
    const missing = await flowlab(['merge', parts[0], parts[2], '--out', file('bad.npz')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/flowlab: merge: merge inputs: got "points 1, 4 of 0\.\.5 missing"/);
    const other = file('other.npz');
    expect((await flowlab(['sweep', 'primal-dual', '--config', config, '--vary', 'alpha=4,5', '--vary', 'h=0.02,0.01,0.005', '--shard', '2/3', '--out', other, '--quiet'])).code).toBe(0);
    const mismatch = await flowlab(['merge', parts[0], other, parts[2], '--out', file('bad.npz')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/other\.npz: meta\.json config: .*allowed: the same as in .*part-1\.npz \(shards of one sweep\)/);
    const twice = await flowlab(['merge', parts[0], parts[1], parts[2], whole, '--out', file('bad.npz')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/sweep\.npz: got "point 0 \(alpha=4, h=0\.02\), also in .*part-1\.npz"/);
    expect(existsSync(file('bad.npz'))).toBe(false);
  });

  it('splits --vary values at top-level commas only, each parsed like --set', async () => {
    expect(splitTopLevel('[[0,0],[1,1]],[[0,0],[2,2]]')).toEqual(['[[0,0],[1,1]]', '[[0,0],[2,2]]']);
    expect(splitTopLevel('{"a":[1,2]}, "x,y" ,ode')).toEqual(['{"a":[1,2]}', '"x,y"', 'ode']);
    expect(parseVary('mu1.points=[[0,0],[1,1]],[[0,0],[2,2]]')).toEqual({ key: 'mu1.points', values: [[[0, 0], [1, 1]], [[0, 0], [2, 2]]] });
    expect(parseVary('sampler=ode,sde')).toEqual({ key: 'sampler', values: ['ode', 'sde'] });
    expect(() => splitTopLevel('[1,2')).toThrow(UsageError);
    expect(() => splitTopLevel('"a,b')).toThrow(/closed "\.\.\." strings/);
    // A sweep over explicit point sets of score-mixing (arrays as values) runs.
    const sm = writeJson('sm.json', { mu1: { points: [[-1, 0], [1, 0.5]] }, mu2: { points: [[0, 0]] }, lambda: 0.5, steps: 10, record: 3, particles: { count: 8, seed: 1 } });
    const out = file('sm.npz');
    const r = await flowlab(['sweep', 'score-mixing', '--config', sm, '--vary', 'mu2.points=[[0,0]],[[0,0],[2,2]]', '--out', out, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(decodeNpz(readFileSync(out)).arrays.x.shape).toEqual([2, 3, 8, 2]);
  });

  const refusals: [string, string[], RegExp][] = [
    ['no =', ['--vary', 'alpha'], /^flowlab: --vary: got "alpha"; allowed: key=v1,v2,\.\.\./],
    ['an empty key', ['--vary', '=1,2'], /^flowlab: --vary: got "=1,2" \(no key\)/],
    ['an empty list', ['--vary', 'alpha='], /^flowlab: --vary alpha: got an empty list/],
    ['an empty item', ['--vary', 'alpha=4,,5'], /^flowlab: --vary alpha: got "4,,5" \(value 2 is empty\)/],
    ['unbalanced brackets', ['--vary', 'A=[[1,2]'], /^flowlab: --vary A: got "\[\[1,2\]"; allowed: balanced brackets/],
    ['a bad key', ['--vary', 'a..b=1'], /^flowlab: --vary a\.\.b: got "a\.\.b"; allowed: a config path/],
    ['a key that is not a field', ['--vary', 'bogus=1,2'], /^flowlab: invalid config: --vary bogus\[0\] = 1: bogus: got 1; allowed: no such field/],
    ['an invalid value', ['--vary', 'alpha=4,-1'], /^flowlab: invalid config: --vary alpha\[1\] = -1: alpha: got -1; allowed: /],
    ['the same key twice', ['--vary', 'alpha=4', '--vary', 'alpha=5'], /^flowlab: --vary alpha: .*a key given once/],
    ['--shard 0/2', ['--vary', 'alpha=4,5', '--shard', '0/2'], /^flowlab: --shard: got "0\/2"; allowed: i\/n with integers 1 <= i <= n <= 2/],
    ['--shard 3/2', ['--vary', 'alpha=4,5', '--shard', '3/2'], /^flowlab: --shard: got "3\/2"/],
    ['--shard 1/0', ['--vary', 'alpha=4,5', '--shard', '1/0'], /^flowlab: --shard: got "1\/0"/],
    ['--shard 1/3 of 2 points', ['--vary', 'alpha=4,5', '--shard', '1/3'], /^flowlab: --shard: got "1\/3"; allowed: .*<= 2 \(the number of points\)/],
    ['--shard x/y', ['--vary', 'alpha=4,5', '--shard', 'x/y'], /^flowlab: --shard: got "x\/y"; allowed: i\/n with integers/],
    ['no --vary', [], /^flowlab: flowlab sweep primal-dual: --vary key=v1,v2,\.\.\. is required/],
    ['a flag of another command', ['--vary', 'alpha=4', '--integrators', 'rk4'], /^flowlab: flowlab sweep: --integrators does not apply/],
    ['--format', ['--vary', 'alpha=4', '--format', 'json'], /^flowlab: flowlab sweep: --format does not apply/],
  ];
  for (const [what, extra, message] of refusals) {
    it(`refuses ${what} (exit 2, the flag named, nothing written)`, async () => {
      const out = file('refused.npz');
      const r = await flowlab(['sweep', 'primal-dual', '--config', config, ...extra, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('refuses --out that is not .npz, and merge flags that do not apply', async () => {
    const csv = await flowlab(['sweep', 'primal-dual', '--config', config, '--vary', 'alpha=4', '--out', file('s.csv')]);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toMatch(/^flowlab: --out: got ".*s\.csv"; allowed: a \.npz file/);
    const set = await flowlab(['merge', file('part-1.npz'), '--set', 'alpha=4', '--out', file('m.npz')]);
    expect([set.code, set.stderr]).toEqual([2, 'flowlab: flowlab merge: --set does not apply (the shards carry their config)\n']);
    const backend = await flowlab(['merge', file('part-1.npz'), '--backend', 'cpu', '--out', file('m.npz')]);
    expect(backend.stderr).toMatch(/--backend does not apply/);
    const none = await flowlab(['merge', file('nope.npz'), '--out', file('m.npz')]);
    expect([none.code, none.stderr]).toEqual([2, `flowlab: flowlab merge: file not found: ${file('nope.npz')}\n`]);
    const notZip = writeJson('not.npz', { a: 1 });
    const bad = await flowlab(['merge', notZip, '--out', file('m.npz')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not\.npz: got "not a readable \.npz/);
    expect((await flowlab(['merge', whole, '--out', file('m.csv')])).stderr).toMatch(/--out: got .*allowed: a \.npz file/);
  });

  it('flowlab run refuses the sweep and study flags instead of ignoring them', async () => {
    const vary = await flowlab(['run', 'primal-dual', '--config', config, '--vary', 'alpha=4,5', '--out', file('r.npz')]);
    expect([vary.code, vary.stderr]).toEqual([2, 'flowlab: flowlab run: --vary does not apply (a sweep is `flowlab sweep`)\n']);
    const shard = await flowlab(['run', 'primal-dual', '--config', config, '--shard', '1/2', '--out', file('r.npz')]);
    expect(shard.code).toBe(2);
    expect(shard.stderr).toMatch(/^flowlab: flowlab run: --shard does not apply/);
    expect(existsSync(file('r.npz'))).toBe(false);
  });
});

describe('flowlab sweep on the Node GPU', async () => {
  const probe = await acquireNodeGpu({ label: 'SweepTest.probe' });
  probe.context?.device.destroy();
  if (!probe.context && process.env.CI) throw new Error(`the GPU case needs a WebGPU adapter in CI: ${probe.note}`);
  it.skipIf(!probe.context)('each point equals `flowlab run --backend gpu` of its config, byte for byte', async () => {
    const out = file('gpu.npz');
    const r = await flowlab(['sweep', 'primal-dual', '--config', config, '--vary', 'alpha=4,5', '--backend', 'gpu', '--out', out, '--quiet'], {});
    expect(r.code, r.stderr).toBe(0);
    const { arrays, meta } = decodeNpz(readFileSync(out));
    expect((meta as any).backends[0]).toMatch(/^webgpu/);
    expect(arrays.x.dtype).toBe('f32');
    await expectPointsEqualRuns(out, { FLOWLAB_BACKEND: 'gpu' });
  });
});
