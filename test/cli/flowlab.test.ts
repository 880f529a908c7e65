// The built CLI (bin/flowlab.js -> dist-cli/flowlab.js), spawned as a user would run it.
// Runs are small (3 + 2 atoms, 64 particles, 40 steps) so they finish in seconds on SwiftShader.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import { cliHarness, hasNumpy } from './harness';

const { dir, flowlab, writeConfig } = cliHarness('flowlab-cli-');

const small = {
  mu1: { points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [0.2, 0.3, 0.5] },
  mu2: { points: [[0.5, -1], [2, 2]] },
  lambda: 0.5,
  steps: 40,
  record: 5,
  particles: { count: 64, seed: 3 },
};

/** One run per backend request, shared by the tests that inspect its file. */
const runs = new Map<string, { out: string; code: number | null; stderr: string }>();
function smallRun(backend: 'auto' | 'cpu') {
  let r = runs.get(backend);
  if (!r) {
    const out = join(dir, `run-${backend}.npz`);
    const p = flowlab(['run', 'score-mixing', '--config', writeConfig('small.json', small), '--out', out], { FLOWLAB_BACKEND: backend });
    r = { out, code: p.code, stderr: p.stderr };
    runs.set(backend, r);
  }
  return r;
}

const numpyCheck = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
x, t, cp = z["x"], z["t"], z["critical_points"]
meta = json.loads(bytes(z["meta.json"]))
assert x.shape == (5, 64, 2), x.shape
assert t.shape == (5,) and t.dtype == np.float64
assert np.all(np.diff(t) < 0), t
assert abs(t[0] - 1.0) < 1e-12 and abs(t[-1] - 1e-4) < 1e-16
assert np.isfinite(x).all()
assert cp.ndim == 2 and cp.shape[1] == 2 and cp.shape[0] >= 1
assert meta["lab"] == "score-mixing" and meta["config"]["lambda"] == 0.5
for k in ("backend", "adapter", "appVersion", "timings", "seed", "config"):
    assert k in meta, k
print(json.dumps({"backend": meta["backend"], "dtype": str(x.dtype), "K": int(cp.shape[0])}))
`;

describe('flowlab run', () => {
  for (const backend of ['auto', 'cpu'] as const) {
    it(`FLOWLAB_BACKEND=${backend}: writes an .npz and says which backend ran`, () => {
      const r = smallRun(backend);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/backend (webgpu|webgpu-swiftshader|cpu-float64)/);
      const { arrays, meta } = decodeNpz(readFileSync(r.out));
      expect(arrays.x.shape).toEqual([5, 64, 2]);
      const m = meta as { backend: string };
      if (backend === 'cpu') {
        expect(m.backend).toBe('cpu-float64');
        expect(arrays.x.dtype).toBe('f64');
      } else {
        expect(m.backend).toMatch(/^(webgpu|webgpu-swiftshader|cpu-float64)$/);
        expect(arrays.x.dtype).toBe(m.backend === 'cpu-float64' ? 'f64' : 'f32');
      }
      expect(r.stderr).toContain(`backend ${m.backend}`);
    });

    it.runIf(hasNumpy)(`FLOWLAB_BACKEND=${backend}: numpy.load sees x (frames, particles, d), monotone t, meta.json`, () => {
      const r = smallRun(backend);
      expect(r.code, r.stderr).toBe(0);
      const p = spawnSync('python3', ['-c', numpyCheck, r.out], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      const info = JSON.parse(p.stdout.trim());
      expect(info.dtype).toBe(info.backend === 'cpu-float64' ? 'float64' : 'float32');
    });
  }

  it('--set overrides fields; .json output reloads as a config; .csv is long format', () => {
    const json = join(dir, 'run.json');
    const r = flowlab(['run', 'score-mixing', '--config', writeConfig('small.json', small), '--set', 'lambda=2', '--set', 'particles.count=16', '--out', json], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code, r.stderr).toBe(0);
    const snap = parseSnapshotJson(readFileSync(json, 'utf8'));
    expect(snap.config).toMatchObject({ lambda: 2, particles: { count: 16, seed: 3 }, T: 1, tMin: 1e-4 });
    expect(snap.arrays.x.shape).toEqual([5, 16, 2]);
    expect(snap.resume).toEqual({ step: 40, t: 1e-4, frame: 4 });

    // the snapshot as --config reruns the same run: identical float64 trajectories
    const csv = join(dir, 'rerun.csv');
    const r2 = flowlab(['run', 'score-mixing', '--config', json, '--out', csv], { FLOWLAB_BACKEND: 'cpu' });
    expect(r2.code, r2.stderr).toBe(0);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('frame,t,particle,x0,x1');
    expect(lines).toHaveLength(1 + 5 * 16);
    const last = lines[lines.length - 1].split(',').map(Number);
    expect(last.slice(0, 3)).toEqual([4, 1e-4, 15]);
    const x = snap.arrays.x.data;
    expect(last[3]).toBe(x[x.length - 2]);
    expect(last[4]).toBe(x[x.length - 1]);
  });
});

describe('bad input exits non-zero naming field, value and range', () => {
  const cases: [string, (c: any) => void, RegExp][] = [
    ['lambda out of range', (c) => (c.lambda = 12), /lambda: got 12; allowed: a number in \[0, 10\]/],
    ['non-finite point', (c) => (c.mu1.points[1][1] = 'x'), /mu1\.points\[1\]\[1\]: got "x"; allowed: a finite number/],
    ['ragged points', (c) => (c.mu2.points[1] = [1, 2, 3]), /mu2\.points\[1\]: got \[1,2,3\]; allowed: 2 coordinates/],
    ['zero weight', (c) => (c.mu1.weights = [1, 0, 1]), /mu1\.weights\[1\]: got 0; allowed: a finite number > 0/],
    ['record too large', (c) => (c.record = 100), /record: got 100; allowed: an integer in \[2, steps \+ 1\] = \[2, 41\]/],
    ['heun with sde', (c) => ((c.sampler = 'sde'), (c.integrator = 'heun')), /integrator: got "heun"; allowed: "exp" when sampler is "sde"/],
    ['too many particles', (c) => (c.particles = { count: 2_000_000, seed: 1 }), /particles\.count: got 2000000; allowed: an integer in \[1, 1000000\]/],
    ['unknown key', (c) => (c.lamda = 1), /lamda: got 1; allowed: no such field/],
  ];
  for (const [name, patch, message] of cases) {
    it(name, () => {
      const c = structuredClone(small) as any;
      patch(c);
      const out = join(dir, 'bad.npz');
      rmSync(out, { force: true });
      const r = flowlab(['run', 'score-mixing', '--config', writeConfig('bad.json', c), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('usage errors: unknown lab, bad --out, bad FLOWLAB_BACKEND, bad --set, missing file', () => {
    const cfg = writeConfig('small.json', small);
    const u1 = flowlab(['run', 'nope', '--config', cfg, '--out', 'a.npz']);
    expect(u1.code).toBe(2);
    expect(u1.stderr).toMatch(/unknown lab "nope"; known labs: score-mixing/);
    const u2 = flowlab(['run', 'score-mixing', '--config', cfg, '--out', 'a.txt']);
    expect(u2.code).toBe(2);
    expect(u2.stderr).toMatch(/--out: got "a.txt"; allowed: a file name ending in \.npz, \.json, \.csv/);
    const u3 = flowlab(['run', 'score-mixing', '--config', cfg, '--out', 'a.npz'], { FLOWLAB_BACKEND: 'tpu' });
    expect(u3.code).toBe(2);
    expect(u3.stderr).toMatch(/FLOWLAB_BACKEND: got "tpu"; allowed: one of auto, gpu, cpu/);
    const u4 = flowlab(['run', 'score-mixing', '--config', cfg, '--set', 'steps=0', '--out', 'a.npz']);
    expect(u4.code).toBe(2);
    expect(u4.stderr).toMatch(/steps: got 0; allowed: an integer in \[1, 100000\]/);
    const u5 = flowlab(['run', 'score-mixing', '--config', join(dir, 'missing.json'), '--out', 'a.npz']);
    expect(u5.code).toBe(2);
    expect(u5.stderr).toMatch(/file not found/);
    const u6 = flowlab(['frobnicate']);
    expect(u6.code).toBe(2);
  });
});
