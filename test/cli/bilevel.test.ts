// `flowlab run bilevel` through the built CLI: a small map on the GPU path (WebGPU, SwiftShader
// included; skipped without an adapter unless CI is set) and on the float64 CPU path, written as
// .npz and read by numpy (every contract array with its shape and dtype), GPU and CPU maps agreeing
// away from the failure sets, and bad configs refused with field-named messages (exit 2, no file).

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpz } from '../../src/io/npz';
import { cliHarness, gpuMissing, hasNumpy, type RunBackend } from './harness';

const { dir, flowlab, writeConfig, python, cachedRun } = cliHarness('flowlab-bilevel-cli-');

const small = { family: 'qp', grid: { n: 40, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0.2, seed: 5 }, kappa: 2 };
const smallRun = (backend: RunBackend) => cachedRun('bilevel', small, backend);

const numpyCheck = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
N = 40
want = {"x1": (N,), "x2": (N,), "y": (N, N, 2), "mu": (N, N, 4), "active": (N, N),
        "margin_licq": (N, N), "margin_scsc": (N, N), "margin_sosc": (N, N),
        "fail_licq": (N, N), "fail_scsc": (N, N), "fail_sosc": (N, N), "fraction": (3,), "q": (2,), "d": (4,)}
for k, shape in want.items():
    assert z[k].shape == shape, (k, z[k].shape, shape)
meta = json.loads(bytes(z["meta.json"]))
dtype = np.float64 if meta["backend"] == "cpu-float64" else np.float32
for k in ("y", "mu", "margin_licq", "margin_scsc", "margin_sosc"):
    assert z[k].dtype == dtype, (k, z[k].dtype)
assert z["active"].dtype == np.int32
for k in ("fail_licq", "fail_scsc", "fail_sosc"):
    assert z[k].dtype == np.uint8
assert np.allclose(z["x1"], -2 + (np.arange(N) + 0.5) * 4 / N)
h = 4 / N
for c, k in enumerate(("licq", "scsc", "sosc")):
    assert np.array_equal(z["fail_" + k], (z["margin_" + k] < 2 * h).astype(np.uint8)), k
    assert abs(z["fraction"][c] - z["fail_" + k].mean()) < 1e-12, k
assert np.all(np.abs(z["q"]) <= 0.2) and np.all(np.abs(z["d"]) <= 0.2)
# active sets: bit k of active[i1, i2] set <=> mu > 0 or slack 0; y at (x1[0], x2[0]) is a polygon point
assert len(np.unique(z["active"])) >= 5
assert meta["lab"] == "bilevel" and meta["config"]["family"] == "qp"
for k in ("backend", "adapter", "appVersion", "timings", "seed", "config", "perturbation", "witness"):
    assert k in meta, k
print(json.dumps({"backend": meta["backend"], "dtype": str(z["y"].dtype)}))
`;

describe('flowlab run bilevel', () => {
  it('flowlab labs bilevel lists its parameters and presets', () => {
    const r = flowlab(['labs', 'bilevel']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/grid\.n\s+integer 1 \.\. 2048\s+default 256/);
    expect(r.stdout).toContain('"qp" | "disk" | "abs" | "cusp" | "lp"');
    expect(r.stdout).toContain('qp-perturbed');
    expect(flowlab(['labs']).stdout).toMatch(/bilevel/);
  });

  for (const backend of ['gpu', 'cpu'] as const) {
    it.runIf(hasNumpy)(`FLOWLAB_BACKEND=${backend}: numpy.load sees every array with its shape and meta.json`, (ctx) => {
      const r = smallRun(backend);
      if (backend === 'gpu' && gpuMissing(r)) ctx.skip();
      expect(r.code, r.stderr).toBe(0);
      const p = python(numpyCheck, [r.out]);
      expect(p.code, p.stderr).toBe(0);
      expect(JSON.parse(p.stdout.trim()).dtype).toBe(backend === 'cpu' ? 'float64' : 'float32');
    });
  }

  it('GPU (float32) and CPU (float64) maps agree: the same active sets off the flagged pixels, y within 2e-5', (ctx) => {
    const g = smallRun('gpu');
    if (gpuMissing(g)) ctx.skip();
    const c = smallRun('cpu');
    expect(g.code, g.stderr).toBe(0);
    expect(c.code, c.stderr).toBe(0);
    const ga = decodeNpz(readFileSync(g.out)).arrays;
    const ca = decodeNpz(readFileSync(c.out)).arrays;
    const n2 = 40 * 40;
    let compared = 0;
    for (let k = 0; k < n2; k++) {
      const flagged = ca.fail_licq.data[k] || ca.fail_scsc.data[k] || ca.fail_sosc.data[k];
      if (flagged) continue;
      compared++;
      expect(ga.active.data[k], `pixel ${k}`).toBe(ca.active.data[k]);
      for (let j = 0; j < 2; j++) {
        const want = ca.y.data[2 * k + j];
        expect(Math.abs(ga.y.data[2 * k + j] - want)).toBeLessThan(2e-5 * (1 + Math.abs(want)));
      }
    }
    expect(compared).toBeGreaterThan(0.8 * n2);
    expect(Array.from(ga.q.data)).toEqual(Array.from(ca.q.data));
  });

  it('--preset and --set run the disk family; SCSC fails on a ring', () => {
    const out = join(dir, 'disk.npz');
    const r = flowlab(['run', 'bilevel', '--preset', 'disk', '--set', 'grid.n=32', '--out', out], { FLOWLAB_BACKEND: 'cpu' });
    expect(r.code, r.stderr).toBe(0);
    const { arrays } = decodeNpz(readFileSync(out));
    expect(arrays.y.shape).toEqual([32, 32, 2]);
    expect(arrays.mu.shape).toEqual([32, 32, 1]);
    expect(arrays.fraction.data[1]).toBeGreaterThan(0);
    expect(arrays.fraction.data[0]).toBe(0);
  });
});

describe('bad bilevel configs exit 2 naming the field, value and allowed range', () => {
  const cases: [string, (c: any) => void, RegExp][] = [
    ['n = 0', (c) => (c.grid.n = 0), /grid\.n: got 0; allowed: an integer in \[1, 2048\]/],
    ['n too large', (c) => (c.grid.n = 4096), /grid\.n: got 4096; allowed: an integer in \[1, 2048\]/],
    ['unknown family', (c) => (c.family = 'saddle'), /family: got "saddle"; allowed: one of "qp", "disk", "abs", "cusp", "lp"/],
    ['kappa = 0', (c) => (c.kappa = 0), /kappa: got 0; allowed: a number in \[0\.001, 100\]/],
    ['kappa < 0', (c) => (c.kappa = -2), /kappa: got -2; allowed: a number in \[0\.001, 100\]/],
    ['q of the wrong length', (c) => (c.perturbation = { q: [0.1, 0.1, 0.1], d: [0, 0, 0, 0] }), /perturbation\.q: got "3 entries"; allowed: 2 entries \(dim y = 2 for family "qp"\)/],
    ['d entry too large', (c) => (c.perturbation = { q: [0, 0], d: [0, 0, 1, 0] }), /perturbation\.d\[2\]: got 1; allowed: a number in \[-0\.3, 0\.3\]/],
    ['explicit and drawn', (c) => (c.perturbation = { q: [0, 0], eps: 0.1 }), /perturbation: got .*; allowed: either/],
    ['range upside down', (c) => (c.grid.x1 = [1, -1]), /grid\.x1: got \[1,-1\]; allowed: \[lo, hi\] with -3 <= lo < hi <= 3/],
    ['unknown key', (c) => (c.lambda = 1), /lambda: got 1; allowed: no such field/],
  ];
  for (const [name, patch, message] of cases) {
    it(name, () => {
      const c = structuredClone(small) as any;
      patch(c);
      const out = join(dir, 'bad.npz');
      rmSync(out, { force: true });
      const r = flowlab(['run', 'bilevel', '--config', writeConfig('bad.json', c), '--out', out], { FLOWLAB_BACKEND: 'cpu' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
