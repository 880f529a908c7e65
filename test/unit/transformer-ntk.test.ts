// Transformer NTK checks. The log-sum-exp independence test (ntk.ts) on the outcomes the theory
// predicts: generic discrete sequences, generic Gaussian mixtures and uniform boxes of distinct sizes
// pass (r > 1e-8); a translated copy (dependency ~ e_i - e_j), a convolution (F_{mu*nu} = F_mu + F_nu),
// a Dirac (affine by itself), Gaussians with equal covariance and more than d(d+1)/2 Gaussians fail.
// Plus the empirical NTK of the simulated model and its degeneracy on duplicated sequences, and its
// lambda_min tracked during training (config ntkEvery, headless.ts) against a replay.

import { describe, expect, it } from 'vitest';
import { convolveDiscrete, gaussianBatch, randomDiscrete, translate } from '../../src/labs/transformer/data';
import { parseConfig } from '../../src/labs/transformer/config';
import { toModel } from '../../src/labs/transformer/model';
import { initHeads } from '../../src/labs/transformer/heads';
import { ntkIterations, runHeadless } from '../../src/labs/transformer/headless';
import { empiricalNtk, lseIndependence, logSumExpFeature } from '../../src/labs/transformer/ntk';
import { trainStep } from '../../src/labs/transformer/reference';
import type { Readout, TokenDistribution } from '../../src/labs/transformer/types';
import { logSumExp } from '../../src/math/logsumexp';
import { normal } from '../../src/math/rng';

const d = 2;
const gauss = (m: number[], S: number[]): TokenDistribution => ({ kind: 'gaussianMixture', d, weights: Float64Array.of(1), means: Float64Array.from(m), covs: Float64Array.from(S) });
const box = (lo: number[], hi: number[]): TokenDistribution => ({ kind: 'uniformBox', d, lo: Float64Array.from(lo), hi: Float64Array.from(hi) });
const discrete = Array.from({ length: 5 }, (_, i) => randomDiscrete(17, i, 6, d));
const report = (name: string, r: { ratio: number; dependency: Float64Array }): void => {
  if (process.env.FLOWLAB_VERBOSE) console.log(name, r.ratio.toExponential(2), Array.from(r.dependency, (v) => +v.toFixed(4)));
};

describe('log-sum-exp independence modulo affine functions', () => {
  it('features: closed forms agree with sampled log-sum-exp and box quadrature', () => {
    const z = [0.7, -1.3];
    const mu = discrete[0] as Extract<TokenDistribution, { kind: 'discrete' }>;
    const direct = logSumExp(Array.from({ length: 6 }, (_, i) => Math.log(mu.weights[i]) + z[0] * mu.points[2 * i] + z[1] * mu.points[2 * i + 1]));
    expect(Math.abs(logSumExpFeature(mu, z) - direct)).toBeLessThan(1e-14);
    // Box [0.2, 1.7] x [-1, 0.5]: midpoint rule with 20000 cells per axis (error ~1e-9).
    const B = box([0.2, -1], [1.7, 0.5]);
    const mids = (lo: number, hi: number, zz: number): number => {
      let s = 0;
      const N = 20000;
      for (let i = 0; i < N; i++) s += Math.exp(zz * (lo + ((i + 0.5) * (hi - lo)) / N));
      return Math.log(s / N);
    };
    expect(Math.abs(logSumExpFeature(B, z) - mids(0.2, 1.7, z[0]) - mids(-1, 0.5, z[1]))).toBeLessThan(1e-8);
    expect(Math.abs(logSumExpFeature(B, [1e-300, 0]))).toBeLessThan(1e-15);
    expect(Number.isFinite(logSumExpFeature(B, [900, -900]))).toBe(true);
  });

  it('generic discrete sequences pass', () => {
    const r = lseIndependence(discrete);
    report('discrete', r);
    expect(r.independent).toBe(true);
    expect(r.ratio).toBeGreaterThan(1e-8);
  });

  it('generic Gaussian mixtures pass', () => {
    const mixes: TokenDistribution[] = Array.from({ length: 4 }, (_, i) => {
      const n = (j: number): number => normal(23, i, 0, j);
      const cov = (j: number): number[] => {
        const a = 0.3 + 0.2 * Math.abs(n(j));
        const b = 0.3 + 0.2 * Math.abs(n(j + 1));
        const c = 0.1 * n(j + 2);
        return [a, c, c, b];
      };
      return { kind: 'gaussianMixture', d, weights: Float64Array.of(0.4, 0.6), means: Float64Array.from([n(0), n(1), n(2), n(3)]), covs: Float64Array.from([...cov(4), ...cov(7)]) };
    });
    const r = lseIndependence(mixes);
    report('mixtures', r);
    expect(r.independent).toBe(true);
  });

  it('uniform boxes of distinct sizes pass', () => {
    const r = lseIndependence([box([-1, -1], [1, 1]), box([-0.5, -2], [0.5, 2]), box([0, 0], [3, 1]), box([-2, -0.3], [2, 0.3])]);
    report('boxes', r);
    expect(r.independent).toBe(true);
  });

  it('a translated copy fails with dependency e_i - e_j', () => {
    const r = lseIndependence([discrete[0], discrete[1], discrete[2], translate(discrete[1], [0.4, -0.7])]);
    report('translate', r);
    expect(r.independent).toBe(false);
    expect(r.ratio).toBeLessThan(1e-12);
    const s = Math.SQRT1_2;
    const expected = [0, s, 0, -s];
    const sign = Math.sign(r.dependency[1]);
    expected.forEach((v, i) => expect(Math.abs(sign * r.dependency[i] - v)).toBeLessThan(1e-6));
  });

  it('a convolution fails: F_{mu*nu} - F_mu - F_nu = 0', () => {
    const mu = randomDiscrete(31, 0, 3, d);
    const nu = randomDiscrete(31, 1, 2, d);
    const r = lseIndependence([mu, nu, convolveDiscrete(mu, nu), discrete[3]]);
    report('convolution', r);
    expect(r.independent).toBe(false);
    expect(r.ratio).toBeLessThan(1e-12);
    // c proportional to (1, 1, -1, 0).
    const c = r.dependency;
    expect(Math.abs(c[0] - c[1])).toBeLessThan(1e-6);
    expect(Math.abs(c[0] + c[2])).toBeLessThan(1e-6);
    expect(Math.abs(c[3])).toBeLessThan(1e-6);
  });

  it('a Dirac is flagged as affine by itself', () => {
    const dirac: TokenDistribution = { kind: 'discrete', d, points: Float64Array.of(0.3, -1.2), weights: Float64Array.of(1) };
    const r = lseIndependence([discrete[0], dirac, discrete[1]]);
    expect(r.independent).toBe(false);
    expect(r.diracs).toEqual([1]);
    expect(Array.from(r.dependency)).toEqual([0, 1, 0]);
  });

  it('Gaussians with equal covariance, or more than d(d+1)/2 Gaussians, fail', () => {
    const S = [0.5, 0.1, 0.1, 0.3];
    const eq = lseIndependence([gauss([0, 0], S), gauss([1, 0.5], S), discrete[0]]);
    report('equal covariance', eq);
    expect(eq.independent).toBe(false);
    expect(eq.ratio).toBeLessThan(1e-12);
    const four = [gauss([0, 0], [1, 0, 0, 1]), gauss([1, 0], [0.5, 0.2, 0.2, 1]), gauss([0, 1], [2, -0.3, -0.3, 0.4]), gauss([-1, 1], [0.7, 0.1, 0.1, 0.9])];
    expect(lseIndependence(four.slice(0, 3)).independent).toBe(true);
    const r = lseIndependence(four);
    report('four Gaussians', r);
    expect(r.independent).toBe(false);
    expect(r.ratio).toBeLessThan(1e-12);
  });
});

describe('empirical NTK of the simulated model', () => {
  const heads = initHeads({ L: 2, H: 2, k: 2, d, seed: 2, qkScale: 0.7, vScale: 0.7, clip: 3 });
  const readout: Readout = { kind: 'token', e: d, B: Float64Array.of(1, 0, 0, 1) };
  const opts = { stepper: 'heun' as const, sphere: false };

  it('is symmetric positive definite on distinct sequences', () => {
    const tb = gaussianBatch({ batch: 2, n: 3, d, seed: 6 });
    const { K, P, lambdaMin } = empiricalNtk(heads, tb, readout, opts);
    expect(P).toBe(12);
    for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) expect(K[p * P + q]).toBe(K[q * P + p]);
    const traceMean = Array.from({ length: P }, (_, p) => K[p * P + p]).reduce((a, b) => a + b, 0) / P;
    expect(lambdaMin).toBeGreaterThan(1e-6 * traceMean);
  });

  it('is singular when two sequences are exact duplicates', () => {
    const tb = gaussianBatch({ batch: 2, n: 3, d, seed: 6 });
    tb.x.copyWithin(3 * d, 0, 3 * d);
    const { K, P, lambdaMin } = empiricalNtk(heads, tb, readout, opts);
    const traceMean = Array.from({ length: P }, (_, p) => K[p * P + p]).reduce((a, b) => a + b, 0) / P;
    expect(lambdaMin).toBeLessThan(1e-12 * traceMean);
  });
});

describe('lambda_min tracking during training (config ntkEvery, headless CPU path)', () => {
  // Teacher (L = 2, H = 2) -> student (L = 2, H = 2), 2 sequences of 3 tokens, pooled readout:
  // P = 4 outputs, so every evaluation is 4 float64 backward passes.
  const config = parseConfig({
    d,
    sequences: { kind: 'gaussian', count: 2, n: 3, seed: 4, scale: 1 },
    L: 2,
    H: 2,
    init: { qk: 0.5, v: 0.3, seed: 3, clip: 3 },
    task: { kind: 'teacher', L: 2, H: 2, seed: 1, qk: 1, v: 1, readout: 'pooled' },
    tau: 0.5,
    iterations: 7,
    ntkEvery: 3,
    record: 2,
  });

  it('ntkIterations: 0, every, 2 every, ... and the last, each once', () => {
    expect(ntkIterations(7, 3)).toEqual([0, 3, 6, 7]);
    expect(ntkIterations(6, 3)).toEqual([0, 3, 6]);
    expect(ntkIterations(2, 10)).toEqual([0, 2]);
    expect(ntkIterations(0, 4)).toEqual([0]);
    expect(ntkIterations(5, 0)).toEqual([]);
  });

  it('ntk_lambda_min[j] is empiricalNtk(heads after ntk_lambda_iteration[j] steps).lambdaMin, bit for bit', async () => {
    const s = await runHeadless(config, { gpu: null, backend: 'cpu-float64' });
    const its = Array.from(s.arrays.ntk_lambda_iteration.data);
    expect(its).toEqual([0, 3, 6, 7]);
    expect(s.arrays.ntk_lambda_min.shape).toEqual([4]);
    expect(s.arrays.ntk_lambda_min.dtype).toBe('f64');
    expect(s.arrays.ntk_lambda_iteration.dtype).toBe('f64');
    // Replay: the reference training loop, evaluating the NTK at the same iterations.
    const m = toModel(config);
    const want: number[] = [];
    for (let it = 0; it <= m.iterations; it++) {
      if (its.includes(it)) want.push(empiricalNtk(m.heads, m.tokens, m.readout, m.flow).lambdaMin);
      if (it < m.iterations) trainStep(m.heads, m.tokens, m.readout, m.targets as Float64Array, m.flow, m.tau);
    }
    expect(Array.from(s.arrays.ntk_lambda_min.data)).toEqual(want);
    expect(want.every((l) => l > 0)).toBe(true);
    // Training moves the heads, so lambda_min moves too (the evaluations are not all of the initial heads).
    expect(new Set(want).size).toBe(4);
    expect(Array.from(s.arrays.Q.data)).toEqual(Array.from(m.heads.Q));
  });

  it('no tracking arrays with ntkEvery 0 or without a task', async () => {
    const off = await runHeadless(parseConfig({ ...config, ntkEvery: 0 }), { gpu: null, backend: 'cpu-float64' });
    expect(off.arrays.ntk_lambda_min).toBeUndefined();
    const none = await runHeadless(parseConfig({ ...config, task: { kind: 'none', readout: 'pooled' }, iterations: 0 }), { gpu: null, backend: 'cpu-float64' });
    expect(none.arrays.ntk_lambda_min).toBeUndefined();
    expect(none.arrays.ntk_lambda_iteration).toBeUndefined();
  });
});
