// Transformer sequence generators: deterministic in (seed, token), inside their supports, with the
// right moments (4-sigma bounds from the sample size), uniform weights summing to 1.

import { describe, expect, it } from 'vitest';
import { gaussianBatch, mixtureBatch, uniformBoxBatch } from '../../src/labs/transformer/data';
import { initialState } from '../../src/labs/transformer/reference';

describe('transformer data', () => {
  it('Gaussian batches are reproducible and N(0, scale^2 I)', () => {
    const a = gaussianBatch({ batch: 20, n: 100, d: 2, seed: 4, query: true }, 2);
    const b = gaussianBatch({ batch: 20, n: 100, d: 2, seed: 4, query: true }, 2);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    const N = a.x.length;
    const mean = a.x.reduce((s, v) => s + v, 0) / N;
    const varr = a.x.reduce((s, v) => s + v * v, 0) / N;
    expect(Math.abs(mean)).toBeLessThan((4 * 2) / Math.sqrt(N));
    expect(Math.abs(varr - 4)).toBeLessThan(4 * 4 * Math.sqrt(2 / N));
    expect(a.query?.length).toBe(40);
    const pi = Array.from(a.logPi.subarray(0, 100), Math.exp).reduce((s, v) => s + v, 0);
    expect(Math.abs(pi - 1)).toBeLessThan(1e-14);
    // Flow layout: query token in row n.
    const Z = initialState(a);
    expect(Z[(1 * 101 + 100) * 2]).toBe(a.query?.[2]);
  });

  it('uniform boxes stay inside [-half, half]^d with variance half^2/3', () => {
    const u = uniformBoxBatch({ batch: 10, n: 200, d: 3, seed: 1 }, 0.5);
    expect(Math.max(...u.x.map(Math.abs))).toBeLessThanOrEqual(0.5);
    const varr = u.x.reduce((s, v) => s + v * v, 0) / u.x.length;
    expect(Math.abs(varr - 0.25 / 3)).toBeLessThan(4 * Math.sqrt((0.5 ** 4 / 5 - (0.25 / 3) ** 2) / u.x.length));
  });

  it('mixture tokens pick components by weight', () => {
    const mix = { kind: 'gaussianMixture' as const, d: 1, weights: Float64Array.of(0.25, 0.75), means: Float64Array.of(-10, 10), covs: Float64Array.of(0.01, 0.01) };
    const t = mixtureBatch({ batch: 1, n: 4000, d: 1, seed: 9 }, mix);
    const frac = t.x.filter((v) => v < 0).length / 4000;
    expect(Math.abs(frac - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / 4000));
  });
});
