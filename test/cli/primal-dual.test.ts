// `flowlab run primal-dual` through the built CLI: a small run (16 trajectories, T = 20) on the GPU
// path (WebGPU, SwiftShader included; skipped without an adapter unless CI is set) and on the float64
// CPU path, each written as .npz and read by numpy (the shape of every array), a compared run
// (config.compare: the batch axis in front, meta.compare, its csv with batch and alpha columns) on
// both paths, and bad configs refused with field-named messages (exit code 2, no output file).

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import { cliHarness, gpuMissing, hasNumpy, type RunBackend } from './harness';

const { dir, flowlab, writeConfig, python, cachedRun } = cliHarness('flowlab-pd-cli-');

/** The test instance (NUMERICS.md) at alpha = 4, theta = 5/12, a cloud of 16 trajectories up to T = 20. */
const small = {
  objective: { kind: 'quartic', c: [1, -0.5, 0.3, 2] },
  A: [
    [1, 2, -1, 0.5],
    [0, 1, 1, -2],
  ],
  b: [1, -2],
  alpha: 4,
  theta: 5 / 12,
  beta: 1,
  T: 20,
  h: 0.01,
  integrator: 'rotation',
  initial: { count: 16, seed: 7, spread: 0.5 },
  record: 9,
};

const smallRun = (backend: RunBackend) => cachedRun('primal-dual', small, backend);

const numpyCheck = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
F, N, n, m = 9, 16, 4, 2
want = {"t": (F,), "x": (F, N, n), "lambda": (F, N, m), "energy": (F, N), "gap": (F, N),
        "feasibility": (F, N), "objective": (F, N), "defect": (F, N), "Q": (F, N, m),
        "x_star": (n,), "lambda_star": (m,)}
for k, shape in want.items():
    assert z[k].shape == shape, (k, z[k].shape, shape)
    assert np.isfinite(z[k]).all(), k
meta = json.loads(bytes(z["meta.json"]))
dtype = np.float64 if meta["backend"] == "cpu-float64" else np.float32
for k in ("x", "lambda", "energy", "gap", "feasibility", "objective", "defect", "Q"):
    assert z[k].dtype == dtype, (k, z[k].dtype)
t = z["t"]
assert t.dtype == np.float64 and t[0] == 1.0 and t[-1] == 20.0 and np.all(np.diff(t) > 0), t
assert np.allclose(z["x_star"], [1.110258, -0.009658, 0.784702, 1.387522], atol=5e-7)
assert np.allclose(z["lambda_star"], [-0.00134, -0.115214], atol=5e-6)
# x(t) -> x*: the last frame is closer to x* than the cloud it started from
d0 = np.linalg.norm(z["x"][0] - z["x_star"], axis=1)
d1 = np.linalg.norm(z["x"][-1] - z["x_star"], axis=1)
assert np.all(d1 < d0), (d0, d1)
assert np.all(z["energy"][-1] < z["energy"][0])
assert meta["lab"] == "primal-dual" and meta["config"]["theta"] == 5 / 12
assert meta["kkt"]["residual"] < 1e-14
for k in ("backend", "adapter", "appVersion", "timings", "seed", "config", "kkt"):
    assert k in meta, k
print(json.dumps({"backend": meta["backend"], "dtype": str(z["x"].dtype)}))
`;

describe('flowlab run primal-dual', () => {
  it('flowlab labs primal-dual lists its parameters, presets and a default config', () => {
    const r = flowlab(['labs', 'primal-dual']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/alpha\s+number 3 \.\. 12\s+default 3/);
    expect(r.stdout).toContain('"rotation" | "rk4"');
    expect(r.stdout).toContain('test-instance-alpha4');
    expect(r.stdout).toContain('"A": [');
    expect(flowlab(['labs']).stdout).toMatch(/score-mixing[\s\S]*primal-dual/);
  });

  for (const backend of ['gpu', 'cpu'] as const) {
    it(`FLOWLAB_BACKEND=${backend}: writes every array to .npz`, (ctx) => {
      const r = smallRun(backend);
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const { arrays, meta } = decodeNpz(readFileSync(r.out));
      const m = meta as { backend: string };
      expect(m.backend).toMatch(backend === 'cpu' ? /^cpu-float64$/ : /^webgpu(-swiftshader)?$/);
      expect(r.stderr).toContain(`backend ${m.backend}`);
      const dt = backend === 'cpu' ? 'f64' : 'f32';
      const shapes = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, [a.dtype, ...a.shape]]));
      expect(shapes).toEqual({
        t: ['f64', 9],
        x: [dt, 9, 16, 4],
        lambda: [dt, 9, 16, 2],
        energy: [dt, 9, 16],
        gap: [dt, 9, 16],
        feasibility: [dt, 9, 16],
        objective: [dt, 9, 16],
        defect: [dt, 9, 16],
        Q: [dt, 9, 16, 2],
        x_star: ['f64', 4],
        lambda_star: ['f64', 2],
      });
    });

    it.runIf(hasNumpy)(`FLOWLAB_BACKEND=${backend}: numpy.load sees every array with its shape and meta.json`, (ctx) => {
      const r = smallRun(backend);
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const p = python(numpyCheck, [r.out]);
      expect(p.code, p.stderr).toBe(0);
      const info = JSON.parse(p.stdout.trim());
      expect(info.dtype).toBe(backend === 'cpu' ? 'float64' : 'float32');
    });
  }

  it('GPU (float32) and CPU (float64) runs agree', (ctx) => {
    const g = smallRun('gpu');
    if (gpuMissing(g)) ctx.skip();
    const c = smallRun('cpu');
    expect(g.code, g.stderr).toBe(0);
    expect(c.code, c.stderr).toBe(0);
    const ga = decodeNpz(readFileSync(g.out)).arrays;
    const ca = decodeNpz(readFileSync(c.out)).arrays;
    for (const k of ['x', 'lambda']) {
      const a = ga[k].data;
      const b = ca[k].data;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      expect(worst, k).toBeLessThan(1e-4);
    }
    const [E0, E1] = [ga.energy.data, ca.energy.data];
    for (let i = 0; i < E0.length; i++) expect(Math.abs(E0[i] - E1[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(E1[i])));
  });

  it('--preset and --set; allowOutsideWindow lets theta leave the window; .json reruns identically', () => {
    // With compare alphas [4, 8] and alpha set to 4, the config's own value leaves the compared
    // list: batches 4 and 8. The preset itself compares nothing.
    const json = join(dir, 'pd.json');
    const r = flowlab(
      ['run', 'primal-dual', '--preset', 'test-instance', '--set', 'compare={"key":"alpha","values":[4,8]}', '--set', 'alpha=4', '--set', 'theta=0.3', '--set', 'allowOutsideWindow=true', '--set', 'T=5', '--set', 'record=4', '--out', json],
      { FLOWLAB_BACKEND: 'cpu' },
    );
    expect(r.code, r.stderr).toBe(0);
    const snap = parseSnapshotJson(readFileSync(json, 'utf8'));
    expect(snap.config).toMatchObject({ alpha: 4, theta: 0.3, allowOutsideWindow: true, T: 5, initial: { count: 128, seed: 1, spread: 1 }, compare: { key: 'alpha', values: [8] } });
    expect(snap.arrays.x.shape).toEqual([2, 4, 128, 4]);
    // allowOutsideWindow: the compared alpha keeps the config's theta.
    expect(snap.meta.batches).toEqual([
      { alpha: 4, theta: 0.3, p: 0, beta: 1 },
      { alpha: 8, theta: 0.3, p: 0, beta: 1 },
    ]);
    expect((snap.meta as { insideWindow: boolean }).insideWindow).toBe(false);
    const again = join(dir, 'pd-again.json');
    expect(flowlab(['run', 'primal-dual', '--config', json, '--out', again], { FLOWLAB_BACKEND: 'cpu' }).code).toBe(0);
    expect(Array.from(parseSnapshotJson(readFileSync(again, 'utf8')).arrays.x.data)).toEqual(Array.from(snap.arrays.x.data));
  });
});

describe('flowlab run primal-dual with config.compare', () => {
  const compared = { ...small, T: 5, record: 4, compare: { key: 'beta', values: [0, 4] } };
  for (const backend of ['gpu', 'cpu'] as const) {
    it(`FLOWLAB_BACKEND=${backend}: every per-run array with the batch axis, t and the KKT point shared; csv rows per batch`, (ctx) => {
      const out = join(dir, `cmp-${backend}.npz`);
      const r = flowlab(['run', 'primal-dual', '--config', writeConfig(`cmp-${backend}.json`, compared), '--out', out], { FLOWLAB_BACKEND: backend });
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const { arrays, meta } = decodeNpz(readFileSync(out));
      const shapes = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.shape]));
      expect(shapes).toEqual({
        t: [4],
        x: [3, 4, 16, 4],
        lambda: [3, 4, 16, 2],
        energy: [3, 4, 16],
        gap: [3, 4, 16],
        feasibility: [3, 4, 16],
        objective: [3, 4, 16],
        defect: [3, 4, 16],
        Q: [3, 4, 16, 2],
        x_star: [4],
        lambda_star: [2],
      });
      expect((meta as { compare: unknown }).compare).toEqual({ key: 'beta', values: [1, 0, 4] });
      const csv = join(dir, `cmp-${backend}.csv`);
      expect(flowlab(['run', 'primal-dual', '--config', writeConfig(`cmp-${backend}.json`, compared), '--out', csv], { FLOWLAB_BACKEND: backend }).code).toBe(0);
      const rows = readFileSync(csv, 'utf8').trim().split('\n');
      expect(rows[0]).toBe('batch,beta,frame,t,particle,x0,x1,x2,x3');
      expect(rows.length).toBe(1 + 3 * 4 * 16);
      expect(rows[1 + 2 * 4 * 16].startsWith('2,4,0,1,0,')).toBe(true);
    });
  }

  it('a compared value outside its window is refused naming compare.values[i] (exit 2, no output)', () => {
    const out = join(dir, 'cmp-bad.npz');
    const r = flowlab(['run', 'primal-dual', '--config', writeConfig('cmp-bad.json', { ...compared, compare: { key: 'theta', values: [0.45, 0.2] } }), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compare\.values\[1\]: got 0\.2; allowed: a theta in the energy window/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bad primal-dual configs exit 2 naming the field, value and allowed range', () => {
  const cases: [string, (c: any) => void, RegExp][] = [
    ['b does not match A', (c) => (c.b = [1, 2, 3]), /b: got "3 entries"; allowed: 2 entries \(m = 2, the rows of A\)/],
    ['ragged A', (c) => (c.A[1] = [0, 1, 1]), /A\[1\]: got "3 entries"; allowed: 4 entries/],
    ['square A', (c) => ((c.A = [[1, 0], [0, 1]]), (c.b = [1, 1])), /A: got "2 x 2 matrix"; allowed: an m x n matrix with 1 <= m < n <= 16/],
    ['objective.c does not match A', (c) => (c.objective.c = [1, 2, 3]), /objective\.c: got "3 entries"; allowed: 4 entries \(n = 4, the columns of A\)/],
    ['Q entry', (c) => (c.objective = { kind: 'quadratic', Q: [[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 'x']] }), /objective\.Q\[3\]\[3\]: got "x"; allowed: a finite number/],
    ['initial.x does not match A', (c) => (c.initial = { x: [0, 0] }), /initial\.x: got "2 entries"; allowed: 4 entries/],
    ['alpha < 3', (c) => (c.alpha = 2), /alpha: got 2; allowed: a number in \[3, 12\]/],
    ['theta outside the window', (c) => (c.theta = 0.3), /theta: got 0\.3; allowed: a number in the energy window \[1\/\(alpha-1\), 1\/2\] = \[0\.333333333333, 0\.5\] for alpha = 4; set "allowOutsideWindow": true/],
    ['p outside its window', (c) => (c.p = 1), /p: got 1; allowed: 0 <= p <= \(1 - 2 theta\)\/theta = 0\.4 for theta = 0\.416666666667/],
    ['non-numeric A entry', (c) => (c.A[1][3] = 'two'), /A\[1\]\[3\]: got "two"; allowed: a finite number/],
    ['rank-deficient A', (c) => ((c.A = [[1, 2, 3, 4], [2, 4, 6, 8]]), (c.b = [1, 2])), /A: got \[\[1,2,3,4\],\[2,4,6,8\]\]; allowed: .*rank-deficient \(rank 1 < m = 2\)/],
    ['infeasible', (c) => ((c.A = [[1, 2, 3, 4], [2, 4, 6, 8]]), (c.b = [1, 3])), /b: got \[1,3\]; allowed: .*infeasible/],
    ['T <= t0', (c) => (c.T = 1), /T: got 1; allowed: a number in \(t0, 100000\] with t0 = 1/],
    ['unknown key', (c) => (c.gamma = 1), /gamma: got 1; allowed: no such field/],
    ['compare key', (c) => (c.compare = { key: 'h', values: [0.1] }), /compare\.key: got "h"; allowed: one of "alpha", "theta", "beta", "p"/],
  ];
  for (const [name, patch, message] of cases) {
    it(name, () => {
      const c = structuredClone(small) as any;
      patch(c);
      const out = join(dir, 'bad.npz');
      rmSync(out, { force: true });
      const r = flowlab(['run', 'primal-dual', '--config', writeConfig('bad.json', c), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('non-finite numbers (1e999 in the JSON file reads as Infinity)', () => {
    const text = JSON.stringify(small).replace('"b":[1,-2]', '"b":[1,-1e999]').replace('"beta":1', '"beta":1e999');
    expect(text).toContain('-1e999');
    const r = flowlab(['run', 'primal-dual', '--config', writeConfig('inf.json', text), '--out', join(dir, 'inf.npz')], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/b\[1\]: got -Infinity; allowed: a finite number/);
    const r2 = flowlab(['run', 'primal-dual', '--config', writeConfig('inf2.json', JSON.stringify(small).replace('"beta":1', '"beta":1e999')), '--out', join(dir, 'inf.npz')], { FLOWLAB_BACKEND: 'cpu' });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/beta: got Infinity; allowed: a number in \[0, 100\]/);
  });
});
