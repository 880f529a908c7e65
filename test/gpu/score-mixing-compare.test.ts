// Compare mode of score-mixing on WebGPU (generate.wgsl and generate-adaptive.wgsl with B batches
// of N particles, lambda per batch): a batched run equals the single runs of each batch's lambda
// bit for bit on the same adapter (every particle's arithmetic is a single run's: same x0, same
// per-step constants, same noise keyed by the index within the batch, lambda from the batch's
// entry; a measure whose coefficient is 0 in one batch adds 0 * its finite mean), for the
// exponential ODE and SDE, RK4 and the adaptive integrator, with batches straddling workgroups.
// Also: blow-ups name the batch, setLambda per batch, and runLab's snapshot of a compared config.

import { describe, expect } from 'vitest';
import { initialParticles, type SamplerOptions } from '../../src/labs/score-mixing/reference';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { ScoreMixingSimulation, runOnGpu } from '../../src/labs/score-mixing/simulation';
import { runHeadless } from '../../src/labs/score-mixing/headless';
import { parseConfig } from '../../src/labs/score-mixing/config';
import type { Integrator, Sampler } from '../../src/labs/score-mixing/types';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

/** N = 100 particles per batch: with workgroups of 64 every batch boundary falls inside a workgroup. */
const N = 100;
const LAMBDAS = [0.5, 0, 1, 2.5];

function options(sampler: Sampler, integrator: Integrator, beta = 0): SamplerOptions {
  return {
    mu1: toMeasure({ points: [[-1, 0.5], [1, 1], [0, -1]] }),
    mu2: toMeasure({ points: [[-1, 0], [1, 0], [0.5, 1.5], [0, -2]], weights: [1, 2, 1, 1] }),
    lambda: LAMBDAS[0],
    T: 2,
    tMin: 1e-3,
    steps: 24,
    sampler,
    beta,
    integrator,
    seed: 4242,
    tol: 1e-3,
  };
}

const CASES: { name: string; opts: SamplerOptions }[] = [
  { name: 'exponential ODE', opts: options('ode', 'exp') },
  { name: 'exponential SDE (beta 1): the noise is shared by the batches', opts: options('sde', 'exp', 1) },
  { name: 'RK4', opts: options('ode', 'rk4') },
  { name: 'adaptive (Bogacki-Shampine)', opts: options('ode', 'adaptive') },
];

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

describe.skipIf(!env.gpu)(`compare mode of generate*.wgsl on ${env.note}`, () => {
  for (const c of CASES) {
    gpuIt(env, `${c.name}: B = ${LAMBDAS.length} batches in one buffer equal the single runs bit for bit`, async (gpu) => {
      const x0 = initialParticles(2, c.opts.T, { count: N, seed: 7 });
      const record = 3;
      const batched = await runOnGpu(gpu, c.opts, x0, record, undefined, LAMBDAS);
      const frame = N * 2;
      expect(batched.x.length).toBe(record * LAMBDAS.length * frame);
      for (const [b, lambda] of LAMBDAS.entries()) {
        const single = await runOnGpu(gpu, { ...c.opts, lambda }, x0, record);
        for (let f = 0; f < record; f++) {
          const got = batched.x.subarray((f * LAMBDAS.length + b) * frame, (f * LAMBDAS.length + b + 1) * frame);
          const want = single.x.subarray(f * frame, (f + 1) * frame);
          expect(bitsEqual(got, want), `batch ${b} (lambda = ${lambda}), frame ${f}`).toBe(true);
        }
      }
      // The batches differ (lambda matters), so equality above is not vacuous.
      const last = (record - 1) * LAMBDAS.length * frame;
      expect(bitsEqual(batched.x.subarray(last, last + frame), batched.x.subarray(last + 3 * frame, last + 4 * frame))).toBe(false);
    });
  }

  gpuIt(env, 'a non-finite particle is named with its batch and lambda; setLambda changes one batch', async (gpu) => {
    const opts = options('ode', 'exp');
    const x0 = initialParticles(2, opts.T, { count: N, seed: 8 });
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0, {}, [0.5, 2.5]);
    expect([sim.count, sim.batchSize, sim.batches]).toEqual([2 * N, N, 2]);
    sim.step(2);
    const state = await sim.readState();
    const x = Float32Array.from(state.x);
    x[2 * (N + 5)] = NaN;
    sim.restoreState({ ...state, x });
    expect(await sim.checkFinite()).toEqual({ ok: false, firstBad: N + 5, reason: 'particle 5 of batch 1 (lambda = 2.5) became non-finite' });
    expect(() => sim.setLambda(1, 2)).toThrow(/batch 2 is outside 0..1/);
    // Batch 1 from batch 0's state and with its lambda: the two batches then stay identical.
    const same = Float32Array.from(state.x);
    same.copyWithin(2 * N, 0, 2 * N);
    sim.restoreState({ ...state, x: same });
    sim.setLambda(0.5, 1);
    sim.step(4);
    const after = await sim.readState();
    expect(bitsEqual(after.x.subarray(0, 2 * N) as Float32Array, after.x.subarray(2 * N) as Float32Array)).toBe(true);
    sim.dispose();
  });

  gpuIt(env, 'runHeadless of a compared config: x (B, frames, N, d), each batch the single run of its lambda', async (gpu) => {
    const config = parseConfig({
      mu1: { points: [[-1, 0.5], [1, 1]] },
      mu2: { points: [[-1, 0], [1, 0], [0, -2]] },
      lambda: 0.5,
      steps: 20,
      record: 3,
      particles: { count: 40, seed: 2 },
      compare: { key: 'lambda', values: [2.5, 1] },
    });
    const snap = await runHeadless(config, { backend: 'webgpu-swiftshader', gpu });
    expect(snap.arrays.x.shape).toEqual([3, 3, 40, 2]);
    expect(snap.arrays.critical_points.shape[0]).toBe(3);
    expect(snap.arrays.critical_counts.shape).toEqual([3]);
    expect(snap.meta.compare).toEqual({ key: 'lambda', values: [0.5, 2.5, 1] });
    const frameBlock = 3 * 40 * 2;
    for (const [b, lambda] of [0.5, 2.5, 1].entries()) {
      const { compare: _, ...rest } = config;
      const single = await runHeadless({ ...rest, lambda }, { backend: 'webgpu-swiftshader', gpu });
      expect(bitsEqual((snap.arrays.x.data as Float32Array).subarray(b * frameBlock, (b + 1) * frameBlock), single.arrays.x.data as Float32Array)).toBe(true);
      const count = (snap.arrays.critical_counts.data as Int32Array)[b];
      expect(count).toBe(single.arrays.critical_points.shape[0]);
      const kmax = snap.arrays.critical_points.shape[1];
      expect(Array.from(snap.arrays.critical_points.data.subarray(b * kmax * 2, (b * kmax + count) * 2))).toEqual(Array.from(single.arrays.critical_points.data));
    }
  });
});
