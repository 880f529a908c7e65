// shaders/transformer/attention-forward.wgsl (one workgroup per (sequence, head, row tile)) and
// attention-forward-sum.wgsl (mean over heads, the step) through TransformerSimulation against the float64
// reference forward() (src/labs/transformer/reference.ts), layer by layer: random sizes including
// n = 1, H = 1, d in {2, 3, 8}, k != d, non-uniform weights, query tokens, key/row counts that
// are not multiples of the workgroup (several tiles), logits of a few hundred (a naive exp(l)
// overflows f32 above 88.7), Euler and Heun, the sphere variant; all inside the harness's
// validation scopes with the leak check. The key tiles and the online softmax live in
// lib/attention-tile.wgsl, shared with the VJP row pass: the several-tile cases (n > WG, n not a
// multiple of WG) are its tile-boundary tests.

import { describe, expect, it } from 'vitest';
import { ReadbackPool } from '../../src/gpu/readback';
import { shaderSource } from '../../src/gpu/shaders';
import { gaussianBatch } from '../../src/labs/transformer/data';
import { initHeads } from '../../src/labs/transformer/heads';
import { forward } from '../../src/labs/transformer/reference';
import { TfParamsLayout, TransformerSimulation } from '../../src/labs/transformer/simulation';
import { EPS, forwardTolerance, maxLogit } from '../../src/labs/transformer/tolerances';
import type { Heads, Stepper, TokenBatch } from '../../src/labs/transformer/types';
import { acquireTestGpu, gpuIt, testRandom, worstRatio } from './harness';

const env = await acquireTestGpu();

interface Case {
  name: string;
  batch: number;
  n: number;
  d: number;
  k: number;
  L: number;
  H: number;
  stepper: Stepper;
  sphere?: boolean;
  query?: boolean;
  /** Logits beyond f32's exp range (asserted: max |l| > 88.8). */
  largeLogits?: boolean;
  /** Random (non-uniform) token weights. */
  weights?: boolean;
  qkScale: number;
  vScale: number;
  workgroupSize?: number;
}

const CASES: Case[] = [
  { name: 'n 1, H 1, d 2, Euler', batch: 3, n: 1, d: 2, k: 2, L: 3, H: 1, stepper: 'euler', qkScale: 1, vScale: 1 },
  { name: 'd 3, k 4, H 3, weights, 3x3 tiles, Euler', batch: 2, n: 37, d: 3, k: 4, L: 4, H: 3, stepper: 'euler', weights: true, qkScale: 0.8, vScale: 1, workgroupSize: 16 },
  { name: 'd 8, k 5, H 2, Heun', batch: 2, n: 20, d: 8, k: 5, L: 2, H: 2, stepper: 'heun', qkScale: 0.5, vScale: 1 },
  { name: 'd 2, H 1, query, sphere, Heun, 2 tiles', batch: 2, n: 50, d: 2, k: 2, L: 3, H: 1, stepper: 'heun', sphere: true, query: true, qkScale: 1.5, vScale: 2, workgroupSize: 32 },
  { name: 'larger, B 4, n 128, d 4, H 2, L 4, Euler', batch: 4, n: 128, d: 4, k: 4, L: 4, H: 2, stepper: 'euler', qkScale: 0.7, vScale: 1 },
  { name: 'large logits, d 3, H 2, Euler', batch: 2, n: 40, d: 3, k: 3, L: 2, H: 2, stepper: 'euler', qkScale: 1.8, vScale: 0.5, workgroupSize: 16, largeLogits: true },
  { name: 'large logits, d 3, H 1, query, Heun', batch: 2, n: 33, d: 3, k: 3, L: 2, H: 1, stepper: 'heun', query: true, qkScale: 1.8, vScale: 0.5, workgroupSize: 16, largeLogits: true },
];

function setup(c: Case, seed: number): { heads: Heads; tb: TokenBatch } {
  const heads = initHeads({ L: c.L, H: c.H, k: c.k, d: c.d, seed, qkScale: c.qkScale, vScale: c.vScale, clip: 3 });
  const tb = gaussianBatch({ batch: c.batch, n: c.n, d: c.d, seed: seed + 1, query: c.query });
  if (c.weights) {
    const rand = testRandom(seed);
    for (let b = 0; b < c.batch; b++) {
      const w = Array.from({ length: c.n }, () => 0.1 + rand());
      const s = w.reduce((a, x) => a + x, 0);
      for (let i = 0; i < c.n; i++) tb.logPi[b * c.n + i] = Math.log(w[i] / s);
    }
  }
  return { heads, tb };
}

// Tolerance (float32 error argument, C = 16): src/labs/transformer/tolerances.ts, shared with the self-test.

describe('transformer struct layouts', () => {
  it('TfParams in transformer/attention-forward.wgsl and attention-forward-sum.wgsl is the layout the host packs, declared once (lib/transformer-forward-params.wgsl)', () => {
    expect(shaderSource('lib/transformer-forward-params.wgsl')).toContain(TfParamsLayout.wgsl());
    for (const name of ['attention-forward', 'attention-forward-sum']) {
      expect(shaderSource(`transformer/${name}.wgsl`)).toContain(TfParamsLayout.wgsl());
      expect(shaderSource(`transformer/${name}.wgsl`).split('struct TfParams').length - 1).toBe(1);
    }
  });

  it('the forward and the VJP row pass share one key-tile loader and softmax fold (lib/attention-tile.wgsl)', () => {
    const lib = shaderSource('lib/attention-tile.wgsl');
    for (const f of ['loadKeyTile', 'keyLogit', 'foldKeyTile', 'emptySoftmax']) expect(lib).toContain(`fn ${f}(`);
    for (const kernel of ['transformer/attention-forward.wgsl', 'transformer/attention-vjp-rows.wgsl']) {
      const src = shaderSource(kernel);
      expect(src, kernel).toContain('// ---- begin lib/attention-tile.wgsl');
      // Defined once (by the lib), used by the kernel: no private copy of the tile loop.
      expect(src.split('fn foldKeyTile(').length - 1, kernel).toBe(1);
      expect(src.split('var<workgroup> tileK').length - 1, kernel).toBe(1);
      // The lib's own foldKeyTile calls keyLogit once; the kernel folds a tile or forms logits itself.
      expect(src.split('foldKeyTile(&').length - 1 + src.split('keyLogit(').length - 1, kernel).toBeGreaterThan(2);
    }
  });
});

describe.skipIf(!env.gpu)(`attention-forward.wgsl on ${env.note}`, () => {
  CASES.forEach((c, ci) => {
    gpuIt(env, `${c.name}: every layer matches reference.forward`, async (gpu) => {
      const { heads, tb } = setup(c, 100 + 17 * ci);
      const opts = { stepper: c.stepper, sphere: c.sphere ?? false };
      const want = forward(heads, tb, opts);
      const sim = await TransformerSimulation.create(gpu, heads, tb, { ...opts, workgroupSize: c.workgroupSize });
      const t0 = performance.now();
      sim.forward();
      const got = await sim.readStates();
      const ms = performance.now() - t0;
      const tokens = await sim.readTokens();
      sim.dispose();

      const flat = new Float64Array(got.length);
      want.states.forEach((s, l) => flat.set(s, l * s.length));
      const lambda = maxLogit(heads, tb, want.states);
      const xMax = flat.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const tol = forwardTolerance(lambda, xMax);
      let absErr = 0;
      for (let i = 0; i < flat.length; i++) absErr = Math.max(absErr, Math.abs(got[i] - flat[i]));
      const { ratio, index } = worstRatio(got, flat, () => tol);
      console.log(
        `${c.name}: max|logit| ${lambda.toFixed(1)}, max|gpu - ref| ${absErr.toExponential(2)}, ` +
          `tol ${tol.toExponential(2)} (ratio ${ratio.toExponential(2)}), forward+read ${ms.toFixed(0)} ms`,
      );
      console.log(`  c = max|gpu - ref| / (eps (1 + Lambda) Xmax) = ${(absErr / (EPS * (1 + lambda) * xMax)).toFixed(3)}`);
      expect(ratio, `worst |gpu - ref| / tol at index ${index}`).toBeLessThanOrEqual(1);
      if (c.largeLogits) expect(lambda).toBeGreaterThan(88.8);

      // readTokens: the token rows of every state.
      const rows = want.rows;
      expect(tokens.length).toBe((c.L + 1) * c.batch * c.n * c.d);
      for (let s = 0; s < (c.L + 1) * c.batch; s++)
        for (let e = 0; e < c.n * c.d; e++) expect(tokens[s * c.n * c.d + e]).toBe(got[s * rows * c.d + e]);
    });
  });

  gpuIt(env, 'V = 0 is the identity flow exactly; forward twice is idempotent; dispose frees every buffer', async (gpu) => {
    const c = CASES[1];
    const { heads, tb } = setup({ ...c, vScale: 0 }, 5);
    const sim = await TransformerSimulation.create(gpu, heads, tb, { stepper: 'heun', sphere: false });
    sim.forward();
    const a = await sim.readStates();
    sim.forward();
    const b = await sim.readStates();
    expect(Array.from(b)).toEqual(Array.from(a));
    const x0 = Float32Array.from(tb.x);
    for (let l = 0; l <= c.L; l++) expect(Array.from(a.subarray(l * x0.length, (l + 1) * x0.length))).toEqual(Array.from(x0));
    expect(env.liveBuffers().length).toBeGreaterThan(0);
    sim.dispose();
    expect(env.liveBuffers()).toEqual([]);
    expect(() => sim.forward()).toThrow(/disposed/);
  });

  gpuIt(env, 'heads in the grid: the kept a_i and LSE2_i of every (layer, stage, sequence, head, row) match float64; one slot gives the same states bit for bit', async (gpu) => {
    const c: Case = { name: '', batch: 2, n: 37, d: 3, k: 2, L: 2, H: 3, stepper: 'heun', query: true, qkScale: 1.5, vScale: 1, workgroupSize: 16 };
    const { heads, tb } = setup(c, 41);
    const opts = { stepper: c.stepper, sphere: false, workgroupSize: c.workgroupSize };
    const sim = await TransformerSimulation.create(gpu, heads, tb, opts);
    expect(sim.savesHeadStates).toBe(true);
    sim.forward();
    const states = await sim.readStates();
    const pool = new ReadbackPool(gpu.device, 'Test.readback');
    const kept = new Float32Array(await pool.read(sim.buffers.headStates, 0, 4 * 2 * c.L * sim.headSlotLength));
    // The Heun corrector attends Xt: recomputed here in float64 from the GPU's own X^l (so only one
    // stage's rounding is measured), as the predictor's sum pass forms it.
    const rows = sim.rows;
    const S = c.batch * rows * c.d;
    const { d, k, H } = heads;
    let worstLse = 0;
    let worstA = 0;
    for (let l = 0; l < c.L; l++) {
      const X = Float64Array.from(states.subarray(l * S, (l + 1) * S));
      const Xt = new Float64Array(S);
      const v = new Float64Array(S);
      for (let stage = 0; stage < 2; stage++) {
        const Z = stage === 0 ? X : Xt;
        const lambda = maxLogit({ ...heads, L: 1, Q: heads.Q.subarray(l * H * k * d), K: heads.K.subarray(l * H * k * d) }, tb, [Z]);
        const zMax = Z.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        const off = sim.headStateOffset(l, stage);
        for (let b = 0; b < c.batch; b++)
          for (let h = 0; h < H; h++)
            for (let i = 0; i < rows; i++) {
              const p = l * H + h;
              const proj = (M: Float64Array, row: number): number[] =>
                Array.from({ length: k }, (_, r) => {
                  let acc = 0;
                  for (let cc = 0; cc < d; cc++) acc += M[(p * k + r) * d + cc] * Z[(b * rows + row) * d + cc];
                  return acc;
                });
              const qz = proj(heads.Q, i);
              const lg = Array.from({ length: c.n }, (_, j) => tb.logPi[b * c.n + j] + proj(heads.K, j).reduce((acc, kz, r) => acc + kz * qz[r], 0));
              const m = Math.max(...lg);
              const lse = m + Math.log(lg.reduce((acc, x) => acc + Math.exp(x - m), 0));
              const o = off + ((b * H + h) * rows + i) * (d + 1);
              worstLse = Math.max(worstLse, Math.abs(kept[o + d] / Math.LOG2E - lse) / forwardTolerance(lambda, 1));
              for (let cc = 0; cc < d; cc++) {
                let a = 0;
                for (let j = 0; j < c.n; j++) a += Math.exp(lg[j] - lse) * Z[(b * rows + j) * d + cc];
                worstA = Math.max(worstA, Math.abs(kept[o + cc] - a) / forwardTolerance(lambda, zMax));
                if (stage === 0) {
                  for (let r = 0; r < d; r++) v[(b * rows + i) * d + r] += (heads.V[(p * d + r) * d + cc] * a) / H;
                }
              }
            }
        if (stage === 0) for (let e = 0; e < S; e++) Xt[e] = X[e] + v[e] / c.L;
      }
    }
    console.log(`kept head states: worst |LSE2 / log2 e - LSE| / tol ${worstLse.toExponential(2)}, |a - ref| / tol ${worstA.toExponential(2)}`);
    expect(worstLse).toBeLessThanOrEqual(1);
    expect(worstA).toBeLessThanOrEqual(1);

    const one = await TransformerSimulation.create(gpu, heads, tb, { ...opts, saveHeadStates: false });
    expect(one.savesHeadStates).toBe(false);
    expect(one.headStateOffset(1, 1)).toBe(0);
    one.forward();
    const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    expect(bits(await one.readStates())).toEqual(bits(states));
    pool.dispose();
    one.dispose();
    sim.dispose();
  });

  gpuIt(env, 'sizes beyond the kernel limits are refused with the field named, before any allocation', async (gpu) => {
    const base: Case = { name: '', batch: 1, n: 4, d: 9, k: 2, L: 1, H: 1, stepper: 'euler', qkScale: 1, vScale: 1 };
    const big = setup(base, 1);
    await expect(TransformerSimulation.create(gpu, big.heads, big.tb)).rejects.toThrow(/^d = 9 exceeds/);
    const wide = setup({ ...base, d: 2, k: 17 }, 1);
    await expect(TransformerSimulation.create(gpu, wide.heads, wide.tb)).rejects.toThrow(/^k = 17 exceeds/);
    expect(env.liveBuffers()).toEqual([]);
  });
});
