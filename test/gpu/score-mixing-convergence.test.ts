// The score-mixing convergence study on WebGPU (float32 runs of shaders/score-mixing/generate.wgsl
// against the float64 Dormand–Prince reference): exp exact on a single atom up to the f32 floor
// (its errors below the study's floor estimate, no order fitted); fitted orders on a mixture with
// step counts whose errors stay above the f32 floor (exp >= 0.8, Heun >= 1.7, RK4 >= 3.6); the
// SDE part on the GPU; progress over the whole study; no buffer left behind (gpuIt).

import { describe, expect } from 'vitest';
import { scoreMixingConvergence } from '../../src/labs/score-mixing/convergence';
import { parseConfig } from '../../src/labs/score-mixing/config';
import type { Snapshot } from '../../src/io/snapshot-types';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

const row = (s: Snapshot, name: string, i: number): number[] => {
  const a = s.arrays[name];
  const k = a.shape[1];
  return Array.from(a.data.subarray(i * k, (i + 1) * k), Number);
};

const SINGLE = parseConfig({
  mu1: { points: [[1.5, -0.5]] },
  mu2: { points: [[1.5, -0.5]] },
  lambda: 0.5,
  T: 1,
  tMin: 1e-2,
  particles: { count: 48, seed: 3 },
});

const MIXTURE = parseConfig({
  mu1: { points: [[-1, 0], [1, 0.5], [0, 1.2]], weights: [0.2, 0.3, 0.5] },
  mu2: { points: [[0.5, -0.5], [-0.8, 0.9]] },
  lambda: 0.5,
  T: 1,
  tMin: 1e-2,
  particles: { count: 48, seed: 3 },
});

describe.skipIf(!env.gpu)('score-mixing convergence study on WebGPU', () => {
  gpuIt(env, 'exp is exact on a single atom: its f32 error stays below the floor estimate, no order fitted', async (gpu) => {
    const s = await scoreMixingConvergence.run(SINGLE, { integrators: ['exp'], resolutions: [4, 16, 64] }, { gpu, backend: 'webgpu-swiftshader' });
    expect(s.meta.precision).toBe('float32');
    const error = row(s, 'error', 0);
    const floor = row(s, 'floor', 0);
    error.forEach((e, k) => {
      expect(e).toBeGreaterThan(0); // float32 rounding is there...
      expect(e).toBeLessThan(floor[k]); // ...and within the floor the study assumes
      expect(e).toBeLessThan(1e-5);
    });
    expect(row(s, 'fit_used', 0)).toEqual([0, 0, 0]);
    expect(Number.isNaN(s.arrays.order.data[0])).toBe(true);
  });

  gpuIt(env, 'fits orders >= 0.8 (exp), 1.7 (Heun), 3.6 (RK4) on a mixture over the points above the f32 floor', async (gpu) => {
    const fractions: number[] = [];
    const steps = [2, 4, 8, 16, 32];
    const s = await scoreMixingConvergence.run(
      MIXTURE,
      { integrators: ['exp', 'heun', 'rk4'], resolutions: steps },
      { gpu, backend: 'webgpu-swiftshader', onProgress: (f) => fractions.push(f) },
    );
    const [exp, heun, rk4] = Array.from(s.arrays.order.data, Number);
    expect(exp).toBeGreaterThan(0.8);
    expect(heun).toBeGreaterThan(1.7);
    expect(rk4).toBeGreaterThan(3.6);
    const used = (s.meta.fit as { usedSteps: Record<string, number[]> }).usedSteps;
    expect(used.exp).toEqual(steps);
    expect(used.rk4.length).toBeGreaterThanOrEqual(3);
    // Points left out of a fit are exactly those near the floor.
    for (let i = 0; i < 3; i++) {
      const e = row(s, 'error', i);
      const f = row(s, 'floor', i);
      row(s, 'fit_used', i).forEach((u, k) => expect(u).toBe(e[k] > 10 * f[k] ? 1 : 0));
    }
    expect(fractions.length).toBeGreaterThan(3);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]);
    expect(fractions[fractions.length - 1]).toBe(1);
  });

  gpuIt(env, 'an SDE config also runs its sampler on the GPU: weak errors and standard errors', async (gpu) => {
    const cfg = { ...SINGLE, mu1: MIXTURE.mu1, lambda: 1, sampler: 'sde' as const, beta: 1, particles: { count: 4096, seed: 2 } };
    const s = await scoreMixingConvergence.run(cfg, { integrators: ['exp'], resolutions: [1, 4] }, { gpu, backend: 'webgpu-swiftshader' });
    const moment = Array.from(s.arrays.sde_moment_error.data, Number);
    const se = Array.from(s.arrays.sde_moment_standard_error.data, Number);
    expect(moment[1]).toBeLessThan(moment[0]);
    expect(moment[0]).toBeGreaterThan(4 * se[0]);
    expect((s.meta.sde as { reference: string }).reference).toMatch(/exact moments/);
  });
});
