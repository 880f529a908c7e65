// `flowlab convergence score-mixing`, in-process (runCli, float64 CPU backend; no spawned CLI and
// so no shared dist-cli rebuild): the command writes an .npz numpy reads (steps, error,
// order, evaluations, floor, fit_used, init_T, init_error; meta.json naming the integrators and the
// reference), a summary row per integrator on stderr, and bad requests exit 2 naming their flag:
// an unknown integrator, --steps 0 and 2.5, --tols without 'adaptive' or with a bad value, --h on
// score-mixing, --out .csv.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli';
import { hasNumpy } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'flowlab-convergence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'c.json');
writeFileSync(
  config,
  JSON.stringify({
    mu1: { points: [[-1, 0], [1, 0.5], [0, 1.2]], weights: [0.2, 0.3, 0.5] },
    mu2: { points: [[0.5, -0.5], [-0.8, 0.9]] },
    lambda: 0.5,
    T: 1,
    tMin: 1e-2,
    particles: { count: 32, seed: 3 },
  }),
);

async function flowlab(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { ...process.env, FLOWLAB_BACKEND: 'cpu' } });
  return { code, stderr };
}

const numpyCheck = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
meta = json.loads(bytes(z["meta.json"]))
steps, error, order = z["steps"], z["error"], z["order"]
assert list(steps) == [4, 8, 16, 32], steps
assert error.shape == (3, 4) and error.dtype == np.float64, error.shape
assert order.shape == (3,)
assert z["evaluations"].shape == (3, 4) and list(z["evaluations"][2]) == [16, 32, 64, 128]
assert z["floor"].shape == (3, 4) and z["fit_used"].shape == (3, 4)
assert z["init_T"].shape == z["init_error"].shape and z["init_T"].size >= 5
assert np.all(np.diff(np.log(error), axis=1) < 0), error
assert meta["integrators"] == ["exp", "heun", "rk4"], meta["integrators"]
assert meta["lab"] == "score-mixing" and meta["config"]["lambda"] == 0.5
assert meta["reference"]["rtol"] <= 1e-12 and "Dormand-Prince" in meta["reference"]["method"]
assert "backendNote" in meta
print(json.dumps({"order": [float(o) for o in order]}))
`;

describe('flowlab convergence score-mixing (in-process, CPU)', () => {
  it('writes an .npz numpy reads: error (integrators, steps) falling, orders near 1, 2, 4', async () => {
    const out = join(dir, 'conv.npz');
    const r = await flowlab(['convergence', 'score-mixing', '--config', config, '--integrators', 'exp,heun,rk4', '--steps', '4,8,16,32', '--out', out]);
    expect(r.stderr).toMatch(/backend cpu-float64/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}exp +order 1\.\d\d {3}error /m);
    expect(r.stderr).toMatch(/^ {2}rk4 +order [34]\.\d\d {3}error /m);
    expect(existsSync(out)).toBe(true);
    if (!hasNumpy) return;
    const py = spawnSync('python3', ['-c', numpyCheck, out], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const { order } = JSON.parse(py.stdout) as { order: number[] };
    expect(order[0]).toBeGreaterThan(0.8);
    expect(order[1]).toBeGreaterThan(1.7);
    expect(order[2]).toBeGreaterThan(3.3); // 4..32 steps start before RK4's asymptotic range
  });

  it('writes a .json study too (default integrators and steps)', async () => {
    const out = join(dir, 'conv.json');
    const r = await flowlab(['convergence', 'score-mixing', '--config', config, '--out', out, '--quiet']);
    expect(r).toEqual({ code: 0, stderr: '' });
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/"integrators":\s*\[\s*"exp",\s*"heun",\s*"rk4"\s*\]/);
  });

  it.each([
    [['--integrators', 'exp,euler', '--steps', '4,8'], /^flowlab: --integrators\[1\]: got "euler"; allowed: one of exp, heun, rk4, adaptive/],
    [['--steps', '0,4'], /^flowlab: --steps\[0\]: got 0; allowed: an integer >= 1/],
    [['--steps', '2.5'], /^flowlab: --steps\[0\]: got 2\.5; allowed: an integer >= 1/],
    [['--steps', '4,8', '--tols', '1e-3'], /^flowlab: --tols: got "0\.001"; allowed: no value unless --integrators includes adaptive/],
    [['--integrators', 'adaptive', '--tols', '1e-3,0'], /^flowlab: --tols\[1\]: got 0; allowed: a finite number > 0/],
    [['--h', '0.1'], /--h does not apply; this study's resolutions are --steps/],
  ])('refuses %j with exit 2, naming the flag', async (flags, message) => {
    const out = join(dir, 'bad.npz');
    const r = await flowlab(['convergence', 'score-mixing', '--config', config, ...flags, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses --out .csv (a study has arrays of several shapes)', async () => {
    const r = await flowlab(['convergence', 'score-mixing', '--config', config, '--out', join(dir, 'conv.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out: got ".*conv\.csv"; allowed: a \.npz or \.json file/);
  });
});
