// shaders/score-mixing/mixed-score.wgsl (and lib/denoise.wgsl) against the float64 reference:
// m1, m2, m_lam, the mixed score and log u1, log u2 over random configurations with d in
// {1, 2, 3, 8}, t from 1 down to 1e-6, lambda in {0, 1, 0.3, 3, 7.5}, coincident atoms, queries on
// atoms, on ties (midpoints) and far away (|x| ~ 1e3), and a measure spanning several tiles; the
// split path (mixed-score-split.wgsl: atom chunks over workgroups, merged per query) at forced and
// automatic chunk counts, including empty chunks; the register-blocked path (two queries per
// invocation) on the same cases as the one-query path. Tolerances: src/labs/score-mixing/error-model.ts (per query, from the softmax's conditioning; shared
// with the self-test).

import { describe, expect, it } from 'vitest';
import { denoise } from '../../src/math/heat';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { autoSplit, evaluateMixedScore } from '../../src/labs/score-mixing/score-kernel';
import type { Measure } from '../../src/labs/score-mixing/types';
import { GpuLimitError } from '../../src/gpu/limits';
import { mixedScoreQuery, mixedScoreRatios, roundMeasure } from '../../src/labs/score-mixing/error-model';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Random atoms in [-2, 2]^d with random weights; `coincident` repeats atom 0 twice (other weights). */
function randomMeasure(rand: () => number, d: number, n: number, coincident: boolean, shared?: Measure): Measure {
  const points: number[][] = [];
  for (let j = 0; j < n; j++) points.push(Array.from({ length: d }, () => 4 * rand() - 2));
  if (coincident && n >= 3) points[1] = points[2] = [...points[0]];
  if (shared) points[n - 1] = Array.from(shared.points.subarray(0, d)); // an atom of the other measure
  return toMeasure({ points, weights: points.map(() => 0.2 + rand()) });
}

/** Queries near atoms (at the scale sqrt(2t)), on atoms, on midpoints (ties), in the box and far away. */
function queries(rand: () => number, mu1: Measure, mu2: Measure, t: number, count: number): Float64Array {
  const d = mu1.d;
  const atom = (m: Measure): number[] => {
    const j = Math.floor(rand() * m.n);
    return Array.from(m.points.subarray(j * d, (j + 1) * d));
  };
  const out = new Float64Array(count * d);
  for (let q = 0; q < count; q++) {
    const kind = q % 10;
    const m = rand() < 0.5 ? mu1 : mu2;
    let x: number[];
    if (kind < 4) x = atom(m).map((v) => v + Math.sqrt(2 * t) * gauss(rand));
    else if (kind === 4) x = atom(m);
    else if (kind < 7) {
      const a = atom(m);
      const b = atom(rand() < 0.5 ? mu1 : mu2);
      x = a.map((v, i) => 0.5 * (v + b[i]) + 1e-7 * gauss(rand));
    } else if (kind < 9) x = Array.from({ length: d }, () => 6 * rand() - 3);
    else {
      const dir = Array.from({ length: d }, () => gauss(rand));
      const norm = Math.hypot(...dir);
      x = dir.map((v) => (1e3 * v) / norm);
    }
    out.set(x, q * d);
  }
  return out;
}


describe.skipIf(!env.gpu)(`mixed-score.wgsl on ${env.note}`, () => {
  for (const qpi of [1, 2] as const) {
    gpuIt(env, `m1, m2, m_lam, score and log u match the float64 reference within the f32 error model (${qpi} quer${qpi === 1 ? 'y' : 'ies'} per invocation)`, async (gpu) => {
      const rand = testRandom(2024);
      let blockedVsSingle = 0;
      const lambdas = [0, 1, 0.3, 3, 7.5];
      const worst = { m1: 0, m2: 0, mLam: 0, score: 0, logU1: 0, logU2: 0 };
      let config = 0;
      const cases: { d: number; t: number; n1: number; n2: number }[] = [];
      for (const d of [1, 2, 3, 8]) for (const t of [1, 1e-2, 1e-4, 1e-6]) cases.push({ d, t, n1: 7 + d, n2: 12 });
      cases.push({ d: 2, t: 1e-2, n1: 300, n2: 530 }, { d: 3, t: 1e-4, n1: 257, n2: 5 }); // several tiles of 256
      for (const { d, t, n1, n2 } of cases) {
        const lambda = lambdas[config++ % lambdas.length];
        const coincident = config % 2 === 0;
        const mu1 = randomMeasure(rand, d, n1, coincident);
        const mu2 = randomMeasure(rand, d, n2, !coincident, mu1);
        const count = 100;
        const x = queries(rand, mu1, mu2, t, count);
        const gpuOut = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x, { split: 1, queriesPerInvocation: qpi });
        expect(gpuOut.queriesPerInvocation).toBe(qpi);
        if (qpi === 2) {
          // 100 queries: the one workgroup's invocations 36..63 have an idle second query.
            const single = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x, { split: 1 });
          for (const key of ['m1', 'm2', 'mLam', 'score', 'logU1', 'logU2'] as const) {
            gpuOut[key].forEach((v, k) => (blockedVsSingle = Math.max(blockedVsSingle, Math.abs(v - single[key][k]))));
          }
        }
        // Expected values at the inputs the GPU actually sees.
        const [r1, r2] = [roundMeasure(mu1), roundMeasure(mu2)];
        const t32 = Math.fround(t);
        const x32 = Float64Array.from(x, Math.fround);
        for (let q = 0; q < count; q++) {
          const xq = x32.subarray(q * d, (q + 1) * d);
          const ratios = mixedScoreRatios(r1, r2, lambda, t32, xq, mixedScoreQuery(gpuOut, q, d));
          for (const [key, r] of Object.entries(ratios) as [keyof typeof worst, number][]) {
            const where = `${key} d=${d} t=${t} lambda=${lambda} n=(${n1},${n2}) query ${q} (kind ${q % 10})`;
            expect(Number.isNaN(r), where).toBe(false);
            if (r > worst[key]) worst[key] = r;
            expect(r, where).toBeLessThan(1);
          }
        }
      }
      console.log(
        `mixed-score (${qpi} q/inv) worst error / tolerance: ` +
          Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ') +
          (qpi === 2 ? `; max |output(2 q/inv) - output(1 q/inv)| over every output = ${blockedVsSingle.toExponential(2)}` : ''),
      );
    });
  }

  gpuIt(env, 'lambda 0 and 1 select one measure exactly; typical queries are accurate to 1e-5 of the atom spread', async (gpu) => {
    const rand = testRandom(99);
    const mu1 = randomMeasure(rand, 2, 20, false);
    const mu2 = randomMeasure(rand, 2, 30, false);
    const x = new Float64Array(2 * 64).map(() => 3 * rand() - 1.5);
    for (const lambda of [0, 1]) {
      const r = await evaluateMixedScore(gpu, mu1, mu2, lambda, 0.5, x);
      expect(Array.from(r.mLam)).toEqual(Array.from(lambda === 1 ? r.m1 : r.m2));
    }
    // At t = 0.5 every atom contributes and nothing is ill-conditioned: a plain absolute check
    // (atoms in [-2, 2]^2, spread 4) that does not depend on the error model.
    const r = await evaluateMixedScore(gpu, mu1, mu2, 3, 0.5, x);
    const m = new Float64Array(2);
    let worst = 0;
    for (let q = 0; q < 64; q++) {
      denoise(mu1, 0.5, x.subarray(2 * q, 2 * q + 2), m);
      worst = Math.max(worst, Math.abs(r.m1[2 * q] - m[0]), Math.abs(r.m1[2 * q + 1] - m[1]));
    }
    expect(worst).toBeLessThan(4e-5);
  });

  gpuIt(env, 'the split path (atom chunks merged per query) matches float64 within the model replaying its chunks and merges', async (gpu) => {
    const rand = testRandom(4321);
    const worst = { m1: 0, m2: 0, mLam: 0, score: 0, logU1: 0, logU2: 0 };
    const lines: string[] = [];
    // n1 = 1500 with split 3 gives chunks of 512: the smaller measure (n2 = 600) has an empty chunk.
    for (const [d, t, n1, n2, split, lambda] of [[2, 1e-2, 1500, 600, 3, 0.3], [3, 1e-4, 700, 1100, 5, 3], [8, 1, 300, 300, 2, 0.5], [2, 1e-3, 2048, 3000, autoSplit(70, 64, 2048, 3000), 0.5]] as const) {
      const mu1 = randomMeasure(rand, d, n1, true);
      const mu2 = randomMeasure(rand, d, n2, false, mu1);
      const count = 70;
      const x = queries(rand, mu1, mu2, t, count);
      const out = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x, { split });
      expect(out.split).toBe(split);
      expect(out.split).toBeGreaterThan(1);
      const single = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x, { split: 1 });
      expect(single.split).toBe(1);
      const [r1, r2] = [roundMeasure(mu1), roundMeasure(mu2)];
      const t32 = Math.fround(t);
      const x32 = Float64Array.from(x, Math.fround);
      let maxDiff = 0;
      for (let q = 0; q < count; q++) {
        const xq = x32.subarray(q * d, (q + 1) * d);
        const ratios = mixedScoreRatios(r1, r2, lambda, t32, xq, mixedScoreQuery(out, q, d), out.chunk);
        for (const [key, r] of Object.entries(ratios) as [keyof typeof worst, number][]) {
          const where = `${key} d=${d} t=${t} split=${out.split} chunk=${out.chunk} query ${q} (kind ${q % 10})`;
          expect(Number.isNaN(r), where).toBe(false);
          expect(r, where).toBeLessThan(1);
          worst[key] = Math.max(worst[key], r);
        }
        for (let c = 0; c < d; c++) maxDiff = Math.max(maxDiff, Math.abs(out.m1[q * d + c] - single.m1[q * d + c]));
      }
      lines.push(`d=${d} t=${t} split=${out.split} chunk=${out.chunk}: max |m1(split) - m1(single)| = ${maxDiff.toExponential(2)}`);
    }
    console.log('mixed-score split:\n  ' + lines.join('\n  ') + '\n  worst error / tolerance: ' +
      Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
    // Left to itself, the split is autoSplit's on a hardware adapter and 1 on a software one.
    const mu = randomMeasure(rand, 2, 2048, false);
    const auto = await evaluateMixedScore(gpu, mu, mu, 0.5, 1, new Float64Array(2));
    expect(auto.split).toBe(gpu.isSoftware ? 1 : autoSplit(1, 64, 2048, 2048));
    // Two queries per invocation is the one-pass kernel: no split unless one is forced (refused).
    expect((await evaluateMixedScore(gpu, mu, mu, 0.5, 1, new Float64Array(2), { queriesPerInvocation: 2 })).split).toBe(1);
    await expect(evaluateMixedScore(gpu, randomMeasure(rand, 2, 4, false), randomMeasure(rand, 2, 4, false), 1, 1, new Float64Array(2), { split: 0 })).rejects.toThrow(/split must be an integer in \[1, 64\], got 0/);
    const [a, b] = [randomMeasure(rand, 2, 4, false), randomMeasure(rand, 2, 4, false)];
    await expect(evaluateMixedScore(gpu, a, b, 1, 1, new Float64Array(2), { queriesPerInvocation: 3 })).rejects.toThrow(/queriesPerInvocation must be 1 or 2, got 3/);
    await expect(evaluateMixedScore(gpu, a, b, 1, 1, new Float64Array(2), { split: 2, queriesPerInvocation: 2 })).rejects.toThrow(/one-pass kernel only, got split 2/);
  });

  it('autoSplit: one chunk when the query blocks fill the GPU or the measures are small, else enough chunks of >= 1,024 atoms', () => {
    expect(autoSplit(65536, 64, 1024, 1024)).toBe(1); // 1,024 query blocks
    expect(autoSplit(4096, 64, 65536, 65536)).toBe(4); // 64 blocks x 2 measures x 4 = 512 workgroups
    expect(autoSplit(64, 64, 65536, 100)).toBe(64); // capped at MAX_SPLIT
    expect(autoSplit(64, 64, 1500, 100)).toBe(1); // one chunk of >= 1,024 atoms only
    expect(autoSplit(64, 64, 2048, 100)).toBe(2);
  });

  gpuIt(env, 'sizes beyond the kernels are refused with an error naming the field', async (gpu) => {
    const rand = testRandom(5);
    const mu = randomMeasure(rand, 2, 4, false);
    const nine = toMeasure({ points: [[0, 0, 0, 0, 0, 0, 0, 0, 0]] });
    await expect(evaluateMixedScore(gpu, nine, nine, 1, 1, new Float64Array(9))).rejects.toThrow(/mu1\.d/);
    const huge: Measure = { d: 2, n: 2 ** 31, points: new Float64Array(0), weights: new Float64Array(0) };
    const err = await evaluateMixedScore(gpu, huge, mu, 1, 1, new Float64Array(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuLimitError);
    expect((err as GpuLimitError).field).toBe('mu1.points');
  });
});
