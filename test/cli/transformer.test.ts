// `flowlab run transformer` through the built CLI: a small teacher-student run on the GPU path
// (skipped without an adapter unless CI is set) and on the float64 CPU path, written as .npz and
// read by numpy (shape of every array, meta.json), lambda_min tracking (ntkEvery: ntk_lambda_min and
// ntk_lambda_iteration), the preset + --set route, and bad configs refused with field-named
// messages (exit code 2, no output file).

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpz } from '../../src/io/npz';
import { cliHarness, gpuMissing, hasNumpy, type RunBackend } from './harness';

const { dir, flowlab, writeConfig, python, cachedRun } = cliHarness('flowlab-tf-cli-');

/**
 * Teacher (L = 4, H = 2) -> student (L = 2, H = 4), 4 sequences of 5 tokens in d = 2, 5 steps, NTK on,
 * lambda_min of the empirical NTK tracked at iterations 0, 2, 4, 5.
 */
const small = {
  d: 2,
  sequences: { kind: 'gaussian', count: 4, n: 5, seed: 2, scale: 1 },
  L: 2,
  H: 4,
  k: 2,
  integrator: 'heun',
  init: { kind: 'gaussian', qk: 0.5, v: 0, seed: 3, clip: 3 },
  task: { kind: 'teacher', L: 4, H: 2, seed: 1, qk: 1, v: 1, readout: 'token' },
  tau: 1,
  iterations: 5,
  ntk: true,
  ntkEvery: 2,
  record: 3,
};

const smallRun = (backend: RunBackend) => cachedRun('transformer', small, backend);

const numpyCheck = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
meta = json.loads(bytes(z["meta.json"]))
want = {"tokens": (3, 4, 5, 2), "risk": (6,), "Q": (2, 4, 2, 2), "K": (2, 4, 2, 2), "V": (2, 4, 2, 2),
        "ntk_ratio": (), "ntk_dependency": (4,), "ntk_lambda_min": (4,), "ntk_lambda_iteration": (4,)}
for k, shape in want.items():
    assert z[k].shape == shape, (k, z[k].shape, shape)
    assert np.isfinite(z[k]).all(), k
dtype = np.float64 if meta["backend"] == "cpu-float64" else np.float32
for k in ("tokens", "Q", "K", "V", "risk"):
    assert z[k].dtype == dtype, (k, z[k].dtype)
assert z["risk"][-1] < z["risk"][0], z["risk"]
# V = 0 at initialisation: only dV is nonzero, 32 parameters for 40 outputs, so lambda_min(0) = 0;
# training makes V nonzero and lambda_min positive.
lam = z["ntk_lambda_min"]
assert lam.dtype == np.float64 and (lam >= 0).all() and lam[0] < 1e-12 * lam[-1] and lam[-1] > 0, lam
assert z["ntk_lambda_iteration"].tolist() == [0, 2, 4, 5], z["ntk_lambda_iteration"]
assert 0 < float(z["ntk_ratio"]) < 1
assert meta["lab"] == "transformer" and meta["config"]["L"] == 2
for k in ("backend", "adapter", "appVersion", "timings", "seeds", "ntk", "recordLayers"):
    assert k in meta, k
assert meta["ntk"]["independent"] is True
assert meta["recordLayers"] == [0, 1, 2]
print(json.dumps({"backend": meta["backend"], "dtype": str(z["tokens"].dtype), "risk": z["risk"].tolist()}))
`;

describe('flowlab run transformer', () => {
  it('flowlab labs lists the transformer lab with its parameters and presets', () => {
    expect(flowlab(['labs']).stdout).toMatch(/primal-dual[\s\S]*transformer/);
    const r = flowlab(['labs', 'transformer']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('teacher-student');
    expect(r.stdout).toContain('iterations');
  });

  for (const backend of ['gpu', 'cpu'] as const) {
    it(`FLOWLAB_BACKEND=${backend}: writes tokens, risk, Q, K, V, the NTK arrays and the tracked lambda_min`, (ctx) => {
      const r = smallRun(backend);
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const { arrays, meta } = decodeNpz(readFileSync(r.out));
      expect((meta as { backend: string }).backend).toMatch(backend === 'cpu' ? /^cpu-float64$/ : /^webgpu(-swiftshader)?$/);
      const dt = backend === 'cpu' ? 'f64' : 'f32';
      const shapes = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, [a.dtype, ...a.shape]]));
      expect(shapes).toEqual({
        tokens: [dt, 3, 4, 5, 2],
        // The recorded layers and their depth times l / L (the CSV's layer and depth columns).
        layer: ['i32', 3],
        depth: ['f64', 3],
        risk: [dt, 6],
        Q: [dt, 2, 4, 2, 2],
        K: [dt, 2, 4, 2, 2],
        V: [dt, 2, 4, 2, 2],
        ntk_ratio: ['f64'],
        ntk_dependency: ['f64', 4],
        ntk_lambda_min: ['f64', 4],
        ntk_lambda_iteration: ['f64', 4],
      });
      expect(Array.from(arrays.ntk_lambda_iteration.data)).toEqual([0, 2, 4, 5]);
      expect(String((meta as { precision: string }).precision)).toMatch(backend === 'cpu' ? /^float64$/ : /risk is f32/);
    });

    it.runIf(hasNumpy)(`FLOWLAB_BACKEND=${backend}: numpy.load sees every array with its shape and meta.json`, (ctx) => {
      const r = smallRun(backend);
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const p = python(numpyCheck, [r.out]);
      expect(p.code, p.stderr).toBe(0);
      expect(JSON.parse(p.stdout.trim()).dtype).toBe(backend === 'cpu' ? 'float64' : 'float32');
    });
  }

  it('GPU (float32) and CPU (float64) risk curves agree', (ctx) => {
    const g = smallRun('gpu');
    if (gpuMissing(g)) ctx.skip();
    const c = smallRun('cpu');
    expect(g.code, g.stderr).toBe(0);
    expect(c.code, c.stderr).toBe(0);
    const rg = decodeNpz(readFileSync(g.out)).arrays.risk.data;
    const rc = decodeNpz(readFileSync(c.out)).arrays.risk.data;
    for (let i = 0; i < rc.length; i++) expect(Math.abs(rg[i] - rc[i]) / rc[i], `iteration ${i}`).toBeLessThan(1e-5);
    // lambda_min from the GPU's f32 heads (float64 NTK) vs the CPU's float64 heads, relative to the
    // curve's scale (lambda_min(0) = 0: V = 0 at initialisation leaves J rank deficient).
    const lg = decodeNpz(readFileSync(g.out)).arrays.ntk_lambda_min.data;
    const lc = decodeNpz(readFileSync(c.out)).arrays.ntk_lambda_min.data;
    const scale = Math.max(...lc);
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < lc.length; i++) expect(Math.abs(lg[i] - lc[i]) / scale, `lambda_min ${i}: ${lg[i]} vs ${lc[i]}`).toBeLessThan(1e-3);
  });

  it('--preset teacher-student --set iterations=3 (CPU): risk has iterations + 1 entries', () => {
    const out = join(dir, 'preset.npz');
    const r = flowlab(['run', 'transformer', '--preset', 'teacher-student', '--set', 'iterations=3', '--out', out], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code, r.stderr).toBe(0);
    const { arrays } = decodeNpz(readFileSync(out));
    expect(arrays.risk.shape).toEqual([4]);
    expect(arrays.tokens.shape).toEqual([9, 16, 8, 2]);
    expect(arrays.V.shape).toEqual([8, 16, 2, 2]);
  });
});

describe('lambda_min tracking beyond MAX_NTK_OUTPUTS', () => {
  it('runs, skips the tracking and says why (stderr and meta.ntkTrackingSkipped)', () => {
    const c = structuredClone(small) as any;
    Object.assign(c, { ntk: false, ntkEvery: 1, iterations: 1, sequences: { kind: 'gaussian', count: 64, n: 8, seed: 2 } });
    const out = join(dir, 'skip.json');
    const r = flowlab(['run', 'transformer', '--config', writeConfig('skip-config.json', c), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ntkEvery = 1 ignored: 1024 readout outputs exceed 512/);
    const snap = JSON.parse(readFileSync(out, 'utf8'));
    expect(snap.meta.ntkTrackingSkipped).toMatch(/1024 readout outputs/);
    expect(Object.keys(snap.arrays)).not.toContain('ntk_lambda_min');
  });
});

describe('bad transformer configs exit 2 naming the field', () => {
  const cases: [string, (c: any) => void, RegExp][] = [
    ['d too large', (c) => (c.d = 9), /d: got 9; allowed:/],
    ['unknown key', (c) => (c.gamma = 1), /gamma: got 1; allowed: no such field/],
    ['bad integrator', (c) => (c.integrator = 'rk4'), /integrator: got "rk4"; allowed:/],
    ['bad readout', (c) => (c.task.readout = 'mean'), /task\.readout: got "mean"; allowed:/],
    ['record beyond L + 1', (c) => (c.record = 7), /record: got 7; allowed: an integer in \[2, L \+ 1\]/],
    ['negative tau', (c) => (c.tau = -1), /tau: got -1; allowed:/],
    ['negative ntkEvery', (c) => (c.ntkEvery = -1), /ntkEvery: got -1; allowed: an integer in \[0, 100000\]/],
  ];
  for (const [name, patch, message] of cases) {
    it(name, () => {
      const c = structuredClone(small) as any;
      patch(c);
      const out = join(dir, 'bad.npz');
      rmSync(out, { force: true });
      const r = flowlab(['run', 'transformer', '--config', writeConfig('bad.json', c), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
