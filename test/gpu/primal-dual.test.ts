// shaders/primal-dual/dynamics.wgsl through PrimalDualSimulation / runPrimalDualOnGpu against
// the float64 PrimalDualReference on random small problems: every objective kind, alpha = 3
// exactly (theta = 1/2), theta at both ends of the window [1/(alpha-1), 1/2], p > 0, all three
// integrators (rotation, rk4, suzuki4). Plus struct layouts, Q(t) and the identity defect on the
// GPU, the stepping mechanics (chunking, restore), blow-up detection and leaks, and suzuki4's
// target in float32: G and ||Ax - b|| within 1% of the float64 Dormand–Prince reference up to
// t = 40 at the default h = 0.02 (test/unit/primal-dual-step.test.ts has the float64 twin).
// Compare mode: one batched run (B x N trajectories, per-batch PdBatch and StepCoef blocks, one
// dispatch per step range) equals B separate single runs bit for bit — each trajectory reads the
// same float32 constants and does the same arithmetic in either — and each batch matches the
// float64 reference of its parameters; a blow-up is named with its batch and value.

import { describe, expect, it } from 'vitest';
import { shaderSource } from '../../src/gpu/shaders';
import { problemFromInput } from '../../src/labs/primal-dual/kkt';
import { parseConfig } from '../../src/labs/primal-dual/config';
import { primalDualConvergence } from '../../src/labs/primal-dual/convergence';
import { trackingError } from '../../src/labs/primal-dual/fine-reference';
import { PRIMAL_DUAL_PRESETS } from '../../src/labs/primal-dual/params';
import {
  PrimalDualReference,
  initialStates,
  preparePrimalDualProblem,
  runPrimalDualReference,
  type PrimalDualProblem,
} from '../../src/labs/primal-dual/reference';
import { PdBatchLayout, PdParamsLayout, PdStepCoefLayout, PrimalDualSimulation, runPrimalDualOnGpu } from '../../src/labs/primal-dual/simulation';
import { batchParams, trajectoryName } from '../../src/labs/primal-dual/batches';
import { batchFrames } from '../../src/labs/primal-dual/reference';
import { STATE_TOL, dynamicsComparisons } from '../../src/labs/primal-dual/tolerances';
import type { DynamicsParams, Integrator, ObjectiveInput, ObjectiveKind } from '../../src/labs/primal-dual/types';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

/** A random problem with a well-conditioned A and a KKT point of moderate size. */
function randomProblem(kind: ObjectiveKind, n: number, m: number, seed: number): PrimalDualProblem {
  const rand = testRandom(seed);
  const u = (a: number, b: number): number => a + (b - a) * rand();
  const A = Array.from({ length: m }, () => Array.from({ length: n }, () => u(-1, 1)));
  const xs = Array.from({ length: n }, () => u(-1, 1));
  const b = A.map((row) => row.reduce((s, a, j) => s + a * xs[j], 0));
  let objective: ObjectiveInput;
  if (kind === 'exp') {
    // w = exp(xs) + A^T lambda_s makes (xs, lambda_s) the KKT point.
    const ls = Array.from({ length: m }, () => u(-0.5, 0.5));
    objective = { kind, w: xs.map((x, j) => Math.exp(x) + A.reduce((s, row, i) => s + row[j] * ls[i], 0)) };
  } else if (kind === 'quadratic') {
    const B = Array.from({ length: n }, () => Array.from({ length: n }, () => u(-1, 1)));
    const Q = B.map((_, i) => B.map((_, j) => B[i].reduce((s, v, k) => s + v * B[j][k], 0) + (i === j ? 0.5 : 0)));
    objective = { kind, Q, c: xs.map(() => u(-1, 1)) };
  } else {
    objective = { kind, c: xs.map(() => u(-1.5, 1.5)) };
  }
  return preparePrimalDualProblem(problemFromInput(A, b, objective));
}

interface Case {
  name: string;
  kind: ObjectiveKind;
  n: number;
  m: number;
  alpha: number;
  theta: number;
  p: number;
  integrator: Integrator;
  h: number;
  steps: number;
}

const CASES: Case[] = [
  { name: 'quartic, alpha 3, theta 1/2, rotation', kind: 'quartic', n: 4, m: 2, alpha: 3, theta: 0.5, p: 0, integrator: 'rotation', h: 0.02, steps: 300 },
  { name: 'holder, alpha 4, theta 1/3 (window start), rotation', kind: 'holder', n: 5, m: 2, alpha: 4, theta: 1 / 3, p: 0, integrator: 'rotation', h: 0.02, steps: 300 },
  { name: 'exp, alpha 4, theta 1/2 (window end), rotation', kind: 'exp', n: 3, m: 1, alpha: 4, theta: 0.5, p: 0, integrator: 'rotation', h: 0.02, steps: 300 },
  { name: 'quadratic, alpha 5, theta 0.3, p 1, rotation', kind: 'quadratic', n: 6, m: 3, alpha: 5, theta: 0.3, p: 1, integrator: 'rotation', h: 0.01, steps: 300 },
  { name: 'quartic, alpha 4, theta 1/3, rk4', kind: 'quartic', n: 4, m: 3, alpha: 4, theta: 1 / 3, p: 0, integrator: 'rk4', h: 0.01, steps: 300 },
  { name: 'exp, alpha 3, theta 1/2, p 0, rk4', kind: 'exp', n: 6, m: 4, alpha: 3, theta: 0.5, p: 0, integrator: 'rk4', h: 0.01, steps: 200 },
  { name: 'quartic 5x3, alpha 3, theta 1/2, suzuki4', kind: 'quartic', n: 5, m: 3, alpha: 3, theta: 0.5, p: 0, integrator: 'suzuki4', h: 0.02, steps: 300 },
  { name: 'holder, alpha 5, theta 1/3, p 1, suzuki4', kind: 'holder', n: 4, m: 2, alpha: 5, theta: 1 / 3, p: 1, integrator: 'suzuki4', h: 0.01, steps: 200 },
];

const COUNT = 96;

const paramsOf = (c: Case): DynamicsParams => ({
  alpha: c.alpha,
  theta: c.theta,
  beta: 1,
  p: c.p,
  t0: 1,
  T: 1 + c.steps * c.h,
  h: c.h,
  integrator: c.integrator,
});

// Tolerances (float32 error reasoning): src/labs/primal-dual/tolerances.ts, shared with the self-test.

function maxErr(a: ArrayLike<number>, b: ArrayLike<number>, tol: (i: number) => number): { ratio: number; abs: number; at: number } {
  let ratio = 0;
  let abs = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    const r = Number.isNaN(d) ? Infinity : d / tol(i);
    abs = Math.max(abs, d);
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, abs, at };
}

describe('primal-dual struct layouts', () => {
  for (const layout of [PdParamsLayout, PdBatchLayout, PdStepCoefLayout]) {
    it(`${layout.name} in primal-dual/dynamics.wgsl is the layout the host packs`, () => {
      expect(shaderSource('primal-dual/dynamics.wgsl')).toContain(layout.wgsl());
    });
  }
});

describe.skipIf(!env.gpu)(`dynamics.wgsl on ${env.note}`, () => {
  CASES.forEach((c, ci) => {
    gpuIt(env, `${c.name}: runPrimalDualOnGpu matches runPrimalDualReference`, async (gpu) => {
      const prob = randomProblem(c.kind, c.n, c.m, 1000 + ci);
      const params = paramsOf(c);
      const init = initialStates(prob, { count: COUNT, seed: 7 + ci, spread: 0.5 });
      const record = 4;
      const want = runPrimalDualReference(prob, params, init, record);
      let progress = 0;
      const got = await runPrimalDualOnGpu(gpu, prob, params, init, record, (f) => {
        expect(f).toBeGreaterThan(progress);
        progress = f;
      });
      expect(progress).toBe(1);
      expect(got.steps).toEqual(want.steps);
      expect(Array.from(got.t)).toEqual(Array.from(want.t));
      const checks = dynamicsComparisons(got, want);
      const lines: string[] = [];
      for (const [name, a, b, tol] of checks) {
        const r = maxErr(a, b, tol);
        lines.push(`${name} ${r.abs.toExponential(1)}`);
        expect(r.ratio, `${name}: worst |gpu - ref| / tol at index ${r.at}`).toBeLessThanOrEqual(1);
      }
      console.log(`${c.name} (${c.n}x${c.m}, ${want.steps.at(-1)} steps): max |gpu - ref|: ${lines.join(', ')}`);
    });
  });

  const COMPARE_CASES = [
    { key: 'alpha', values: [3, 6], integrator: 'rotation' },
    { key: 'theta', values: [1 / 3, 0.5], integrator: 'rk4' },
    { key: 'beta', values: [0, 4], integrator: 'suzuki4' },
    { key: 'p', values: [0.25, 0.5], integrator: 'rotation' },
  ] as const;
  COMPARE_CASES.forEach((c, ci) => {
    gpuIt(env, `compare ${c.key} (${c.integrator}): one batched run equals separate single runs bit for bit, each batch its reference`, async (gpu) => {
      const prob = randomProblem('quartic', 4, 2, 300 + ci);
      // 70 trajectories per batch: batches straddle workgroups of 64.
      const init = initialStates(prob, { count: 70, seed: 11 + ci, spread: 0.5 });
      const base: DynamicsParams = { alpha: 4, theta: 0.4, beta: 1, p: 0, t0: 1, T: 2.5, h: 0.02, integrator: c.integrator };
      const batches = batchParams(base, { key: c.key, values: [...c.values] }, false);
      const all = await runPrimalDualOnGpu(gpu, prob, batches, init, 3, undefined, {}, c.key);
      expect(all.batches).toBe(3);
      for (const [b, params] of batches.entries()) {
        const one = await runPrimalDualOnGpu(gpu, prob, params, init, 3);
        const got = batchFrames(all, b);
        for (const key of ['x', 'lambda', 'energy', 'gap', 'feasibility', 'objective', 'defect', 'Q'] as const) {
          expect(Array.from(got[key]), `batch ${b} ${key}`).toEqual(Array.from(one[key]));
        }
        const want = runPrimalDualReference(prob, params, init, 3);
        for (const [name, a, w, tol] of dynamicsComparisons(got, want)) {
          expect(maxErr(a, w, tol).ratio, `batch ${b} ${name} vs reference`).toBeLessThanOrEqual(1);
        }
      }
    });
  });

  gpuIt(env, 'compare mode: a non-finite trajectory is named with its batch and value; dispose frees the batch buffers', async (gpu) => {
    const prob = randomProblem('quartic', 4, 2, 8);
    const base: DynamicsParams = { alpha: 4, theta: 0.4, beta: 1, p: 0, t0: 1, T: 2, h: 0.1, integrator: 'rotation' };
    const batches = batchParams(base, { key: 'beta', values: [2, 5] }, false);
    const sim = await PrimalDualSimulation.create(gpu, prob, batches, initialStates(prob, { count: 10, seed: 1, spread: 1 }));
    expect(sim.count).toBe(30);
    expect(sim.perBatch).toBe(10);
    sim.step(2);
    const s = await sim.readState();
    const raw = Float32Array.from(s.raw);
    raw[sim.stateStride * 23 + 2] = NaN;
    sim.restoreState({ step: s.step, raw });
    sim.step(1);
    const r = await sim.checkFinite();
    expect(r).toEqual({ ok: false, firstBad: 23 });
    expect(trajectoryName(r.firstBad!, sim.perBatch, 'beta', sim.batchParams)).toBe('trajectory 3 of batch 2 (beta = 5)');
    sim.dispose();
    expect(env.liveBuffers()).toEqual([]);
  });

  gpuIt(env, 'alpha 3, theta 1/2: Q(t) stays flat and the identity defect small on the GPU', async (gpu) => {
    const prob = randomProblem('quartic', 4, 2, 77);
    const params: DynamicsParams = { alpha: 3, theta: 0.5, beta: 1, p: 0, t0: 1, T: 6, h: 0.005, integrator: 'rotation' };
    const init = initialStates(prob, { count: 32, seed: 5, spread: 0.5 });
    const got = await runPrimalDualOnGpu(gpu, prob, params, init, 3);
    const F = got.t.length;
    let qDrift = 0;
    let defect = 0;
    for (let i = 0; i < 32; i++) {
      for (let j = 0; j < 2; j++) qDrift = Math.max(qDrift, Math.abs(got.Q[((F - 1) * 32 + i) * 2 + j] - got.Q[i * 2 + j]));
      defect = Math.max(defect, Math.abs(got.defect[(F - 1) * 32 + i]) / got.energy[i]);
    }
    console.log(`GPU, alpha 3: max |Q(T) - Q(t0)| = ${qDrift.toExponential(2)}, max |defect| / E(t0) = ${defect.toExponential(2)}`);
    // Reference at this h: drift ~h^2-level (unit test); f32 adds ~1e-6.
    expect(qDrift).toBeLessThan(2e-3);
    expect(defect).toBeLessThan(2e-3);
  });

  // The bench's baseline (shaders/bench/primal-dual-dynamics.wgsl, the kernel before issue 13's
  // occupancy work) and today's kernel do the same float operations in the same order: on this
  // adapter their trajectories agree bit for bit (the README's claim), for every objective and
  // integrator.
  gpuIt(env, 'today\'s kernel reproduces the bench baseline (shaders/bench/primal-dual-dynamics.wgsl) bit for bit', async (gpu) => {
    for (const kind of ['quartic', 'holder', 'exp', 'quadratic'] as const) {
      for (const integrator of ['rotation', 'rk4', 'suzuki4'] as const) {
        const prob = randomProblem(kind, 4, 2, 7);
        const params: DynamicsParams = { alpha: 3, theta: 0.4, beta: 1, p: 0, t0: 1, T: 1.4, h: 0.02, integrator };
        const init = initialStates(prob, { count: 16, seed: 3, spread: 0.5 });
        const states = [];
        for (const shader of ['primal-dual/dynamics.wgsl', 'bench/primal-dual-dynamics.wgsl']) {
          const sim = await PrimalDualSimulation.create(gpu, prob, params, init, { shader });
          sim.step(1000);
          states.push(Array.from((await sim.readState()).raw));
          sim.dispose();
        }
        expect(states[0], `${kind} ${integrator}`).toEqual(states[1]);
      }
    }
  });

  for (const integrator of ['rotation', 'suzuki4'] as const) gpuIt(env, `${integrator}: chunked encodes and restoreState reproduce one straight run bit for bit; segments match the reference`, async (gpu) => {
    const prob = randomProblem('quartic', 4, 2, 99);
    const params: DynamicsParams = { alpha: 4, theta: 0.4, beta: 1, p: 0, t0: 1, T: 3, h: 0.02, integrator };
    const init = initialStates(prob, { count: 70, seed: 2, spread: 0.5 });
    const a = await PrimalDualSimulation.create(gpu, prob, params, init);
    a.step(1000);
    expect(a.done).toBe(true);
    const straight = await a.readState();
    const b = await PrimalDualSimulation.create(gpu, prob, params, init, { stepsPerDispatch: 3 });
    const enc = gpu.device.createCommandEncoder({ label: 'Test.encoder' });
    expect(b.encodeSteps(enc, 7) + b.encodeSteps(enc, 11)).toBe(18);
    gpu.device.queue.submit([enc.finish()]);
    b.step(2);
    const mid = await b.readState();
    expect(mid.step).toBe(20);
    b.step(13);
    b.restoreState(mid);
    expect(b.k).toBe(20);
    b.step(1000);
    const chunked = await b.readState();
    expect(Array.from(chunked.raw)).toEqual(Array.from(straight.raw));
    // From the GPU's mid state, 20 reference steps agree to STATE_TOL.
    const ref = new PrimalDualReference(prob, params, init);
    while (ref.k < 20) ref.step();
    const r = maxErr(mid.e, ref.e, () => STATE_TOL);
    expect(r.ratio).toBeLessThanOrEqual(1);
    const diag = await a.readDiagnostics();
    expect(diag.t).toBe(3);
    expect(diag.energy.length).toBe(70);
    a.dispose();
    b.dispose();
  });

  gpuIt(env, 'non-finite trajectories are detected and the first one is named; dispose frees every buffer', async (gpu) => {
    const prob = randomProblem('holder', 3, 1, 5);
    const params: DynamicsParams = { alpha: 3, theta: 0.5, beta: 0, p: 0, t0: 1, T: 2, h: 0.1, integrator: 'rk4' };
    const sim = await PrimalDualSimulation.create(gpu, prob, params, initialStates(prob, { count: 40, seed: 1, spread: 1 }));
    expect(await sim.checkFinite()).toEqual({ ok: true });
    sim.step(2);
    const s = await sim.readState();
    const raw = Float32Array.from(s.raw);
    raw[sim.stateStride * 13 + 1] = NaN;
    raw[sim.stateStride * 30] = Infinity;
    sim.restoreState({ step: s.step, raw });
    expect(await sim.checkFinite()).toEqual({ ok: false, firstBad: 13 });
    sim.step(3);
    expect(await sim.checkFinite()).toEqual({ ok: false, firstBad: 13 });
    expect(env.liveBuffers().length).toBeGreaterThan(0);
    sim.dispose();
    expect(env.liveBuffers()).toEqual([]);
    expect(() => sim.step(1)).toThrow(/disposed/);
  });

  gpuIt(env, 'suzuki4 past its stability edge: the blow-up is detected and named, runPrimalDualOnGpu refuses', async (gpu) => {
    // h = 3 from a cloud of spread 1: the quartic force's own (slow) stiffness, h^2 f'' >> 1, is
    // beyond any explicit kick (suzuki4 survives h ~1.1-1.6 on such problems, the rotation step ~0.5-1).
    const prob = randomProblem('quartic', 5, 3, 1);
    const params: DynamicsParams = { alpha: 3, theta: 0.5, beta: 1, p: 0, t0: 1, T: 400, h: 3, integrator: 'suzuki4' };
    const init = initialStates(prob, { count: 8, seed: 1, spread: 1 });
    const sim = await PrimalDualSimulation.create(gpu, prob, params, init);
    sim.step(sim.K);
    const finite = await sim.checkFinite();
    sim.dispose();
    expect(finite.ok).toBe(false);
    expect(finite.firstBad).toBeGreaterThanOrEqual(0);
    expect(finite.firstBad).toBeLessThan(8);
    expect(() => runPrimalDualReference(prob, params, init, 2)).toThrow(/non-finite/);
    await expect(runPrimalDualOnGpu(gpu, prob, params, init, 2)).rejects.toThrow(/non-finite \(integrator suzuki4/);
  });

  gpuIt(env, 'the convergence study on the GPU: the float64 study\'s errors above the float32 floor, orders 2, 4, 4', async (gpu) => {
    const config = parseConfig({ ...structuredClone(PRIMAL_DUAL_PRESETS[0].config), initial: { count: 4, seed: 1, spread: 1 } });
    const request = { integrators: ['rotation', 'rk4', 'suzuki4'], resolutions: [0.04, 0.02, 0.01, 0.005] };
    const onGpu = await primalDualConvergence.run(config, request, { gpu, backend: 'webgpu-swiftshader' });
    const onCpu = await primalDualConvergence.run(config, request, { gpu: null, backend: 'cpu-float64' });
    const e32 = Array.from(onGpu.arrays.error.data);
    const e64 = Array.from(onCpu.arrays.error.data);
    const fitted = Array.from(onGpu.arrays.fit_used.data);
    const floor = Array.from(onGpu.arrays.floor.data);
    console.log(`GPU study: errors ${e32.map((e) => e.toExponential(2)).join(' ')}; fit_used ${fitted.join('')}; floor ${floor.map((f) => f.toExponential(1)).join(' ')}; orders ${Array.from(onGpu.arrays.order.data, (o) => o.toFixed(2)).join(', ')}`);
    expect(onGpu.meta.precision).toBe('float32');
    e32.forEach((e, i) => expect(Math.abs(e - e64[i]), `entry ${i}`).toBeLessThanOrEqual(0.05 * e64[i] + floor[i]));
    const order = Array.from(onGpu.arrays.order.data);
    expect(order[0]).toBeGreaterThanOrEqual(1.8);
    expect(order[1]).toBeGreaterThanOrEqual(3.6);
    expect(order[2]).toBeGreaterThanOrEqual(3.6);
  });

  gpuIt(env, 'suzuki4 in float32: G and ||Ax - b|| within 1% (envelope) of the float64 reference up to t = 40 at h = 0.02', async (gpu) => {
    // Random 3 x 5 quartic (seed 1, the worst of the unit test's three), alpha 3, zero data, 61 frames.
    const prob = randomProblem('quartic', 5, 3, 1);
    const params: DynamicsParams = { alpha: 3, theta: 0.5, beta: 1, p: 0, t0: 1, T: 40, h: 0.02, integrator: 'suzuki4' };
    const init = initialStates(prob, {});
    const got = await runPrimalDualOnGpu(gpu, prob, params, init, 61);
    const r = trackingError(prob, params, init, got, 0);
    const r64 = trackingError(prob, params, init, runPrimalDualReference(prob, params, init, 61), 0);
    console.log(
      `suzuki4, h 0.02, t <= 40, float32: G ${r.gapPointwise.toExponential(1)} (envelope ${r.gapEnvelope.toExponential(1)}), ` +
        `||Ax-b|| ${r.feasibilityPointwise.toExponential(1)} (envelope ${r.feasibilityEnvelope.toExponential(1)}); float64 envelope ${r64.gapEnvelope.toExponential(1)}, ${r64.feasibilityEnvelope.toExponential(1)}`,
    );
    expect(Math.max(r.gapEnvelope, r.feasibilityEnvelope)).toBeLessThan(0.01);
  });
});
