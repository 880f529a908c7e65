// The primal-dual convergence study on the float64 CPU path (src/labs/primal-dual/convergence.ts):
// `flowlab convergence primal-dual` in-process on the test-instance preset with the issue's
// resolutions (arrays, shapes, meta, fitted orders: rotation >= 1.8, rk4 and suzuki4 >= 3.6 where
// stable, a blown-up RK4 point is NaN and left out of the fit, so are saturated points), the T
// cap of the study, cost per trajectory, and the refusal that names its flag.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli';
import { FieldError } from '../../src/io/field-error';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import type { Snapshot } from '../../src/io/snapshot-types';
import { parseConfig, runSetup } from '../../src/labs/primal-dual/config';
import { MAX_STUDY_TRAJECTORIES, STUDY_RADIANS, primalDualConvergence, studyEndTime } from '../../src/labs/primal-dual/convergence';
import { PRIMAL_DUAL_PRESETS } from '../../src/labs/primal-dual/params';

const CPU = { gpu: null, backend: 'cpu-float64' as const };
const dir = mkdtempSync(join(tmpdir(), 'pd-convergence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (s: Snapshot, name: string, i: number): number[] => {
  const a = s.arrays[name];
  const k = a.shape[1];
  return Array.from(a.data.subarray(i * k, (i + 1) * k), Number);
};

function captureIo(): { io: Parameters<typeof runCli>[1]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) }, env: { ...process.env } } as Parameters<typeof runCli>[1],
    out: () => out,
    err: () => err,
  };
}

describe('flowlab convergence primal-dual (float64 CPU)', () => {
  it('test-instance, --integrators rotation,rk4,suzuki4 --h 0.04,0.02,0.01,0.005: orders 2, 4, 4 up to the capped T', async () => {
    const file = join(dir, 'conv.json');
    const cap = captureIo();
    const argv = ['convergence', 'primal-dual', '--preset', 'test-instance', '--integrators', 'rotation,rk4,suzuki4', '--h', '0.04,0.02,0.01,0.005', '--backend', 'cpu', '--out', file];
    const rc = await runCli(argv, cap.io);
    expect(rc, cap.err()).toBe(0);
    const snap = parseSnapshotJson(readFileSync(file, 'utf8'));
    console.log(cap.err());
    expect(snap.meta.integrators).toEqual(['rotation', 'rk4', 'suzuki4']);
    // The gyration cap: theta sigma_max (Ts^2 - 1)/2 = 150 rad (T = 50 in the preset).
    const Ts = snap.meta.T as number;
    const { prob } = runSetup(PRIMAL_DUAL_PRESETS[0].config);
    expect(snap.meta.configT).toBe(50);
    expect(Ts).toBeCloseTo(Math.sqrt((2 * STUDY_RADIANS) / (0.5 * prob.sigmaMax) + 1), 12);
    expect(Ts).toBe(studyEndTime(prob, runSetup(PRIMAL_DUAL_PRESETS[0].config).params));
    const K = [0.04, 0.02, 0.01, 0.005].map((h) => Math.ceil((Ts - 1) / h - 1e-9));
    expect(Array.from(snap.arrays.steps.data)).toEqual(K);
    Array.from(snap.arrays.h.data).forEach((h, j) => expect(h).toBeCloseTo((Ts - 1) / K[j], 14));
    expect(snap.arrays.error.shape).toEqual([3, 4]);
    expect(snap.arrays.evaluations.shape).toEqual([3, 4]);
    expect(snap.arrays.order.shape).toEqual([3]);
    // The preset's cloud has 128 trajectories; the study integrates the first 16.
    expect(snap.meta.trajectories).toBe(MAX_STUDY_TRAJECTORIES);
    expect(snap.meta.trajectoriesInConfig).toBe(128);
    expect(row(snap, 'evaluations', 0)).toEqual(K);
    expect(row(snap, 'evaluations', 1)).toEqual(K.map((k) => 4 * k));
    expect(row(snap, 'evaluations', 2)).toEqual(K.map((k) => 5 * k));
    const [rot, rk4, suz] = [0, 1, 2].map((i) => row(snap, 'error', i));
    const order = Array.from(snap.arrays.order.data);
    // rotation at h = 0.04 is past the saturation ceiling 0.1 |(e, l)| (error ratio 2.3 to h = 0.02): not fitted.
    expect([0, 1, 2].map((i) => row(snap, 'fit_used', i))).toEqual([[0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]);
    expect(order[0]).toBeGreaterThanOrEqual(1.8);
    expect(order[1]).toBeGreaterThanOrEqual(3.6);
    expect(order[2]).toBeGreaterThanOrEqual(3.6);
    // suzuki4 beats RK4 at every h (at 5/4 of its evaluations), and rotation by orders of magnitude.
    for (let j = 0; j < 4; j++) expect(suz[j]).toBeLessThan(rk4[j]);
    expect(suz[3]).toBeLessThan(1e-3 * rot[3]);
  });

  it('a blown-up run is NaN and left out of the fit; saturated points too', async () => {
    // h = 0.5 on [1, ~10]: RK4's h theta t sigma_max reaches ~7 (stable below ~2.8); the rotation
    // step and suzuki4 survive it. At h = 0.5 rotation has lost the phase (error > 0.1 |(e, l)|).
    const config = parseConfig({ ...structuredClone(PRIMAL_DUAL_PRESETS[0].config), initial: { count: 4, seed: 1, spread: 1 } });
    const snap = await primalDualConvergence.run(config, { integrators: ['rotation', 'rk4', 'suzuki4'], resolutions: [0.5, 0.01, 0.005] }, CPU);
    const rk4 = row(snap, 'error', 1);
    console.log(`h = 0.5, 0.01, 0.005: errors ${Array.from(snap.arrays.error.data, (e) => e.toExponential(2)).join(' ')}; fit_used ${Array.from(snap.arrays.fit_used.data).join('')}`);
    expect(rk4[0]).toBeNaN();
    expect(row(snap, 'fit_used', 1)).toEqual([0, 1, 1]);
    expect(Number.isFinite(row(snap, 'error', 0)[0]) && Number.isFinite(row(snap, 'error', 2)[0])).toBe(true);
    expect(row(snap, 'fit_used', 0)[0]).toBe(0);
    expect(snap.arrays.order.data[1]).toBeGreaterThanOrEqual(3.6);
  });

  it('defaults on alpha 4 from zero data (one trajectory): orders ~2, 4, 4', async () => {
    const config = parseConfig(structuredClone(PRIMAL_DUAL_PRESETS[1].config));
    const snap = await primalDualConvergence.run(
      config,
      { integrators: [...primalDualConvergence.defaultIntegrators], resolutions: [...primalDualConvergence.defaultResolutions] },
      CPU,
    );
    expect(snap.meta.trajectories).toBe(1);
    const order = Array.from(snap.arrays.order.data);
    console.log(`alpha 4, zero data, T ${(snap.meta.T as number).toFixed(2)}: orders ${order.map((o) => o.toFixed(2)).join(', ')}; errors ${Array.from(snap.arrays.error.data, (e) => e.toExponential(1)).join(' ')}`);
    // rotation is pre-asymptotic at h = 0.04 here (error ratio 2.8 to h = 0.02, then 3.7, 4.0).
    expect(order[0]).toBeGreaterThanOrEqual(1.7);
    expect(order[1]).toBeGreaterThanOrEqual(3.6);
    expect(order[2]).toBeGreaterThanOrEqual(3.6);
  });

  it('refuses a step with more than MAX_STEPS steps, naming --h[i]', async () => {
    const config = parseConfig(structuredClone(PRIMAL_DUAL_PRESETS[1].config));
    const run = (h: number[]) => primalDualConvergence.run(config, { integrators: ['rotation'], resolutions: h }, CPU);
    await expect(run([0.01, 1e-7])).rejects.toThrow(FieldError);
    await expect(run([0.01, 1e-7])).rejects.toThrow(/^--h\[1\]: got 1e-7/);
  });
});
