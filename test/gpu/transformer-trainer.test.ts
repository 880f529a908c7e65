// The GPU-resident training loop (TransformerTrainer, trainer.ts: forward, readout-risk.wgsl,
// backward, guarded head-update.wgsl trainStep) against the float64 reference trainStep curve for
// token, pooled and query readouts (Euler and Heun, one sphere case, non-uniform weights, e != d);
// a blow-up (huge tau) that halts at the first non-finite risk and leaves the last finite heads;
// the setters (tokens, targets, heads, iteration, tau) as round trips; the refusals.

import { describe, expect, it } from 'vitest';
import { shaderSource } from '../../src/gpu/shaders';
import { gaussianBatch } from '../../src/labs/transformer/data';
import { MAX_BATCH, MAX_HEADS, MAX_LAYERS, MAX_TOKENS } from '../../src/labs/transformer/params';
import { initHeads } from '../../src/labs/transformer/heads';
import { forward, onSphere, outputCount, readoutOutputs, riskAndCotangent, trainStep } from '../../src/labs/transformer/reference';
import { ReadoutParamsLayout, RestoreParamsLayout, TransformerTrainer, type TrainerSetup } from '../../src/labs/transformer/trainer';
import { RISK_C, maxLogit, riskTolerance } from '../../src/labs/transformer/tolerances';
import type { Heads, ReadoutKind, Stepper } from '../../src/labs/transformer/types';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

interface Case {
  name: string;
  kind: ReadoutKind;
  batch: number;
  n: number;
  d: number;
  e: number;
  L: number;
  H: number;
  stepper: Stepper;
  sphere?: boolean;
  weights?: boolean;
  tau: number;
  iterations: number;
  /** Iterations per encodeIterations call (several submits, so chunk boundaries are covered). */
  chunks: number[];
}

const CASES: Case[] = [
  { name: 'token, Euler, B 3, n 5, d 2', kind: 'token', batch: 3, n: 5, d: 2, e: 2, L: 2, H: 2, stepper: 'euler', tau: 0.5, iterations: 6, chunks: [2, 4] },
  { name: 'pooled, Heun, weights, d 3, e 2', kind: 'pooled', batch: 4, n: 6, d: 3, e: 2, L: 2, H: 2, stepper: 'heun', weights: true, tau: 0.5, iterations: 6, chunks: [1, 5] },
  { name: 'query, Euler, d 2, e 1', kind: 'query', batch: 3, n: 4, d: 2, e: 1, L: 3, H: 1, stepper: 'euler', tau: 0.5, iterations: 6, chunks: [3, 3] },
  { name: 'token, sphere, Heun, d 3', kind: 'token', batch: 2, n: 5, d: 3, e: 3, L: 3, H: 1, stepper: 'heun', sphere: true, tau: 0.5, iterations: 5, chunks: [5] },
];

// Tolerance of riskHistory[i] (float32 error argument, C = 2): riskTolerance in
// src/labs/transformer/tolerances.ts, shared with the self-test.

function makeSetup(c: Case, seed: number): TrainerSetup {
  const heads = initHeads({ L: c.L, H: c.H, k: c.d, d: c.d, seed, qkScale: 0.7, vScale: 0.3, clip: 3 });
  let tokens = gaussianBatch({ batch: c.batch, n: c.n, d: c.d, seed: seed + 1, query: c.kind === 'query' });
  if (c.sphere) tokens = onSphere(tokens);
  const rand = testRandom(seed);
  if (c.weights) {
    for (let b = 0; b < c.batch; b++) {
      const w = Array.from({ length: c.n }, () => 0.2 + rand());
      const s = w.reduce((a, x) => a + x, 0);
      for (let i = 0; i < c.n; i++) tokens.logPi[b * c.n + i] = Math.log(w[i] / s);
    }
  }
  const B = Float64Array.from({ length: c.e * c.d }, () => 2 * rand() - 1);
  const readout = { kind: c.kind, e: c.e, B };
  const targets = Float64Array.from({ length: outputCount(readout, tokens) }, () => 2 * rand() - 1);
  return { heads, tokens, flow: { stepper: c.stepper, sphere: c.sphere ?? false }, readout, targets, tau: c.tau, capacity: c.iterations };
}

const cloneHeads = (h: Heads): Heads => ({ ...h, Q: Float64Array.from(h.Q), K: Float64Array.from(h.K), V: Float64Array.from(h.V) });

/** The float64 curve: risk before each of `steps` reference trainSteps and after the last. */
function referenceCurve(s: TrainerSetup, steps: number): { risk: Float64Array; heads: Heads } {
  const heads = cloneHeads(s.heads);
  const risk = new Float64Array(steps + 1);
  const Y = s.targets as Float64Array;
  for (let i = 0; i < steps; i++) risk[i] = trainStep(heads, s.tokens, s.readout, Y, s.flow, s.tau);
  risk[steps] = riskAndCotangent(s.readout, s.tokens, forward(heads, s.tokens, s.flow).states[heads.L], Y).risk;
  return { risk, heads };
}

/** Encodes `count` iterations in one encoder and submits it. */
function run(gpu: { device: GPUDevice }, t: TransformerTrainer, count: number): void {
  const encoder = gpu.device.createCommandEncoder({ label: 'Test.trainerEncoder' });
  t.encodeIterations(encoder, count);
  gpu.device.queue.submit([encoder.finish()]);
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('transformer trainer struct layouts', () => {
  it('ReadoutParams in transformer/readout-risk.wgsl is the layout the host packs', () => {
    expect(shaderSource('transformer/readout-risk.wgsl')).toContain(ReadoutParamsLayout.wgsl());
  });
  it('RestoreParams in transformer/halt-restore.wgsl is the layout the host packs', () => {
    expect(shaderSource('transformer/halt-restore.wgsl')).toContain(RestoreParamsLayout.wgsl());
  });
});

describe.skipIf(!env.gpu)(`transformer trainer on ${env.note}`, () => {
  CASES.forEach((c, ci) => {
    gpuIt(env, `${c.name}: the risk history follows the float64 trainStep curve`, async (gpu) => {
      const setup = makeSetup(c, 500 + 7 * ci);
      const want = referenceCurve(setup, c.iterations);
      const traj = forward(setup.heads, setup.tokens, setup.flow);
      const lambda = maxLogit(setup.heads, setup.tokens, traj.states);
      const xMax = traj.states.reduce((m, s) => s.reduce((a, x) => Math.max(a, Math.abs(x)), m), 0);
      let bNorm = 0;
      for (const v of setup.readout.B) bNorm += v * v;
      bNorm = Math.sqrt(bNorm);

      const t = await TransformerTrainer.create(gpu, setup);
      expect(t.hasTargets).toBe(true);
      const t0 = performance.now();
      for (const n of c.chunks) run(gpu, t, n);
      expect(t.iterationsEncoded).toBe(c.iterations);
      const got = await t.readRisk(c.iterations + 1);
      const ms = performance.now() - t0;
      const status = await t.readStatus();
      expect(status).toEqual({ iteration: c.iterations, halted: false, haltIteration: 0 });

      let worst = 0;
      for (let i = 0; i <= c.iterations; i++) {
        const R = want.risk[i];
        const tol = riskTolerance(i, R, lambda, bNorm, xMax);
        const err = Math.abs(got[i] - R);
        worst = Math.max(worst, (RISK_C * err) / tol);
        expect(err, `riskHistory[${i}] = ${got[i]} vs ${R}`).toBeLessThanOrEqual(tol);
      }
      expect(want.risk[c.iterations]).toBeLessThan(want.risk[0]);
      // sim.states holds the forward pass of the trained heads.
      const states = await t.sim.readStates();
      const ref = forward(want.heads, setup.tokens, setup.flow).states;
      const S = ref[0].length;
      let stateErr = 0;
      for (let l = 0; l <= c.L; l++) for (let j = 0; j < S; j++) stateErr = Math.max(stateErr, Math.abs(states[l * S + j] - ref[l][j]));
      expect(stateErr).toBeLessThan(1e-4);
      console.log(
        `${c.name}: risk ${want.risk[0].toExponential(3)} -> ${want.risk[c.iterations].toExponential(3)}, max|logit| ${lambda.toFixed(1)}, ` +
          `worst c_i ${worst.toFixed(3)}, states after training ${stateErr.toExponential(1)}; ${c.iterations} iterations + read ${ms.toFixed(0)} ms`,
      );
      t.dispose();
    });
  });

  gpuIt(env, 'blow-up: halts at the first non-finite risk, restores the last finite heads, later iterations are no-ops', async (gpu) => {
    const setup = { ...makeSetup(CASES[0], 900), tau: 300, capacity: 40 };
    const t = await TransformerTrainer.create(gpu, setup);
    const headsAfter: { Q: Float32Array; K: Float32Array; V: Float32Array }[] = [await t.readHeads()];
    let status = await t.readStatus();
    let halted = -1;
    for (let i = 1; i <= 30 && halted < 0; i++) {
      run(gpu, t, 1);
      status = await t.readStatus();
      if (status.halted) halted = status.haltIteration;
      headsAfter.push(await t.readHeads());
    }
    expect(halted, 'the run should blow up within 30 iterations').toBeGreaterThanOrEqual(1);
    const risk = await t.readRisk(halted + 1);
    for (let i = 0; i < halted; i++) expect(Number.isFinite(risk[i]), `riskHistory[${i}] = ${risk[i]}`).toBe(true);
    expect(Number.isFinite(risk[halted]), `riskHistory[${halted}] = ${risk[halted]}`).toBe(false);
    // The heads are those after halted - 1 updates (the last with a finite risk), bit for bit.
    expect(status).toEqual({ iteration: halted - 1, halted: true, haltIteration: halted });
    const now = await t.readHeads();
    for (const k of ['Q', 'K', 'V'] as const) expect(bits(now[k]), k).toEqual(bits(headsAfter[halted - 1][k]));
    // Later iterations change nothing: heads, status, risk history.
    run(gpu, t, 3);
    expect(await t.readStatus()).toEqual(status);
    const later = await t.readHeads();
    for (const k of ['Q', 'K', 'V'] as const) expect(bits(later[k]), k).toEqual(bits(now[k]));
    expect(bits(await t.readRisk(halted + 1))).toEqual(bits(risk));
    // The states are the forward pass of the restored heads: their risk is riskHistory[halted - 1].
    const states = await t.sim.readStates();
    const S = setup.tokens.batch * setup.tokens.n * setup.tokens.d;
    const XL = Float64Array.from(states.subarray(setup.heads.L * S));
    const r = riskAndCotangent(setup.readout, setup.tokens, XL, setup.targets as Float64Array).risk;
    expect(Math.abs(r - risk[halted - 1]) / risk[halted - 1]).toBeLessThan(1e-5);
    // setIteration clears the halt; with tau = 0 the run goes on from the restored heads, whose
    // risk is recomputed bit for bit.
    t.setIteration(halted - 1);
    t.setTau(0);
    run(gpu, t, 2);
    const resumed = await t.readStatus();
    expect(resumed).toEqual({ iteration: halted + 1, halted: false, haltIteration: 0 });
    const after = await t.readRisk(halted + 2);
    expect(bits(after.subarray(0, halted))).toEqual(bits(risk.subarray(0, halted)));
    for (let i = halted; i <= halted + 1; i++) expect(after[i], `riskHistory[${i}] after resuming`).toBe(risk[halted - 1]);
    console.log(`blow-up (tau 300): risk ${Array.from(risk).map((x) => x.toExponential(2)).join(', ')}; halted at ${halted}`);
    t.dispose();
    // The same run in one chunk (the halt found by an in-loop readout, restored by the update
    // kernel, the following iterations no-ops) ends in the same state, bit for bit.
    const one = await TransformerTrainer.create(gpu, setup);
    run(gpu, one, halted + 5);
    expect(await one.readStatus()).toEqual(status);
    const oneHeads = await one.readHeads();
    for (const k of ['Q', 'K', 'V'] as const) expect(bits(oneHeads[k]), k).toEqual(bits(now[k]));
    expect(bits(await one.readRisk(halted + 1))).toEqual(bits(risk));
    expect(bits(await one.sim.readStates())).toEqual(bits(states));
    one.dispose();
  });

  gpuIt(env, 'round trips: setHeads + setIteration replays a run bit for bit; setTokens, setTargets, setTau match a fresh trainer', async (gpu) => {
    const c = CASES[1];
    const setup = makeSetup(c, 31);
    const t = await TransformerTrainer.create(gpu, { ...setup, capacity: 8 });
    run(gpu, t, 3);
    const heads3 = await t.readHeads();
    const risk3 = await t.readRisk(4);
    // Restore the initial heads and iteration 0: the same three iterations give the same bits.
    t.setHeads(setup.heads);
    t.setIteration(0);
    expect(t.iterationsEncoded).toBe(0);
    run(gpu, t, 3);
    const again = await t.readHeads();
    for (const k of ['Q', 'K', 'V'] as const) expect(bits(again[k]), k).toEqual(bits(heads3[k]));
    expect(bits(await t.readRisk(4))).toEqual(bits(risk3));
    expect(await t.readStatus()).toEqual({ iteration: 3, halted: false, haltIteration: 0 });

    // New tokens, targets and tau on the restored heads == a fresh trainer created with them.
    const other = makeSetup(c, 77);
    const fresh = { ...setup, tokens: other.tokens, targets: other.targets, tau: 0.25, capacity: 8 };
    t.setHeads(setup.heads);
    t.setIteration(0);
    t.setTokens(fresh.tokens);
    t.setTargets(fresh.targets as Float64Array);
    t.setTau(fresh.tau);
    run(gpu, t, 2);
    const u = await TransformerTrainer.create(gpu, fresh);
    run(gpu, u, 2);
    expect(bits(await t.readRisk(3))).toEqual(bits(await u.readRisk(3)));
    const [ht, hu] = [await t.readHeads(), await u.readHeads()];
    for (const k of ['Q', 'K', 'V'] as const) expect(bits(ht[k]), k).toEqual(bits(hu[k]));
    expect(bits(await t.sim.readStates())).toEqual(bits(await u.sim.readStates()));
    // And they match the reference at the new inputs.
    const want = referenceCurve(fresh, 2).risk;
    const got = await u.readRisk(3);
    for (let i = 0; i < 3; i++) expect(Math.abs(got[i] - want[i]) / want[i]).toBeLessThan(1e-5);
    u.dispose();
    t.dispose();
  });

  gpuIt(env, 'forward only without targets; refusals (training without targets, capacity, shapes, batch > 64) leak nothing', async (gpu) => {
    const c = CASES[2];
    const setup = makeSetup(c, 5);
    const t = await TransformerTrainer.create(gpu, { ...setup, targets: null, capacity: 0 });
    expect(t.hasTargets).toBe(false);
    const encoder = gpu.device.createCommandEncoder();
    expect(() => t.encodeIterations(encoder, 1)).toThrow(/no targets/);
    t.encodeIterations(encoder, 0);
    gpu.device.queue.submit([encoder.finish()]);
    const states = await t.sim.readStates();
    const ref = forward(setup.heads, setup.tokens, setup.flow).states;
    const S = ref[0].length;
    for (let j = 0; j < S; j++) expect(Math.abs(states[c.L * S + j] - ref[c.L][j])).toBeLessThan(1e-5);
    expect(() => t.setTargets(setup.targets as Float64Array)).toThrow(/without targets/);
    t.dispose();
    expect(() => t.encodeIterations(gpu.device.createCommandEncoder(), 0)).toThrow(/disposed/);

    const u = await TransformerTrainer.create(gpu, { ...setup, capacity: 2 });
    const e2 = gpu.device.createCommandEncoder();
    u.encodeIterations(e2, 2);
    expect(() => u.encodeIterations(e2, 1)).toThrow(/capacity 2/);
    gpu.device.queue.submit([e2.finish()]);
    expect(() => u.setTargets(new Float64Array(1))).toThrow(/expected 3 entries/);
    expect(() => u.setHeads({ ...setup.heads, L: 1 })).toThrow(/L, H, k, d/);
    expect(() => u.setTokens({ ...setup.tokens, n: 3 })).toThrow(/batch, n, d/);
    expect(() => u.setIteration(3)).toThrow(/outside 0..2/);
    u.dispose();

    const wide = gaussianBatch({ batch: 65, n: 1, d: 2, seed: 1 });
    const readout = { kind: 'token' as const, e: 2, B: Float64Array.of(1, 0, 0, 1) };
    await expect(
      TransformerTrainer.create(gpu, { ...setup, tokens: wide, readout, targets: readoutOutputs(readout, wide, wide.x) }),
    ).rejects.toThrow(/^batch = 65 exceeds/);
    await expect(TransformerTrainer.create(gpu, { ...setup, targets: new Float64Array(2) })).rejects.toThrow(/targets: expected 3/);
  });
});

describe.skipIf(!env.gpu)('TransformerTrainer at the largest accepted size', () => {
  // B = 64, n = 256, L = 64, H = 256, d = k = 2 (params.ts caps): every buffer fits this device's
  // limits (the backward's row quantities are ~170 MB, over WebGPU's default 128 MiB binding, so
  // this also checks that devices ask for the adapter's buffer limits) and every bind group
  // validates. Nothing is dispatched: one iteration takes minutes on SwiftShader (see npm run bench
  // for the timing on a real GPU).
  gpuIt(env, 'creates every buffer and bind group without a validation error', async (gpu) => {
    const heads = initHeads({ L: MAX_LAYERS, H: MAX_HEADS, k: 2, d: 2, seed: 1, qkScale: 0.5, vScale: 0.5, clip: 4 });
    const tokens = gaussianBatch({ batch: MAX_BATCH, n: MAX_TOKENS, d: 2, seed: 1 });
    const readout = { kind: 'token' as const, e: 2, B: Float64Array.of(1, 0, 0, 1) };
    const t = await TransformerTrainer.create(gpu, { heads, tokens, flow: { stepper: 'heun', sphere: true }, readout, targets: new Float64Array(outputCount(readout, tokens)), tau: 0.1, capacity: 10 });
    t.dispose();
  }, 120_000);
});
