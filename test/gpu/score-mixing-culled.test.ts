// shaders/score-mixing/mixed-score-culled.wgsl (src/labs/score-mixing/culled-score.ts) against the
// float64 reference and the dense kernel (mixed-score.wgsl): t in {1e-4, 1e-3, 1e-2, 1}, d in
// {2, 8}, uniform and clustered atoms (several tiles per measure), queries near atoms, on atoms,
// on ties, in the box and far away. The tolerance of m_k and log u_k is the dense kernel's f32
// error model (error-model.ts, on the k-d sorted measure the kernel walks) plus the stated
// culling bound n eps diam (resp. n eps). The visited-tile counter proves tiles are skipped at
// small t and that nothing is skipped at t = 1 (the dense fallback).

import { describe, expect } from 'vitest';
import { denoise } from '../../src/math/heat';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { evaluateMixedScore } from '../../src/labs/score-mixing/score-kernel';
import { evaluateMixedScoreCulled } from '../../src/labs/score-mixing/culled-score';
import { culledMeanBound, cullSorted } from '../../src/labs/score-mixing/cull-tiles';
import { denoiseErrorBound, roundMeasure } from '../../src/labs/score-mixing/error-model';
import type { Measure } from '../../src/labs/score-mixing/types';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** n atoms in [-2, 2]^d (uniform) or around 8 centres with spread 0.05 (clustered), random weights. */
function atoms(rand: () => number, d: number, n: number, clustered: boolean): Measure {
  const centres = Array.from({ length: 8 }, () => Array.from({ length: d }, () => 3 * rand() - 1.5));
  const points: number[][] = [];
  for (let j = 0; j < n; j++) {
    if (clustered) points.push(centres[j % 8].map((c) => c + 0.05 * gauss(rand)));
    else points.push(Array.from({ length: d }, () => 4 * rand() - 2));
  }
  return toMeasure({ points, weights: points.map(() => 0.2 + rand()) });
}

/** Queries: near atoms (scale sqrt(2t)), on atoms, on midpoints of two atoms (ties), in the box, far. */
function queries(rand: () => number, mu1: Measure, mu2: Measure, t: number, count: number): Float64Array {
  const d = mu1.d;
  const atom = (): number[] => {
    const m = rand() < 0.5 ? mu1 : mu2;
    const j = Math.floor(rand() * m.n);
    return Array.from(m.points.subarray(j * d, (j + 1) * d));
  };
  const out = new Float64Array(count * d);
  for (let q = 0; q < count; q++) {
    const kind = q % 10;
    let x: number[];
    if (kind < 4) x = atom().map((v) => v + Math.sqrt(2 * t) * gauss(rand));
    else if (kind === 4) x = atom();
    else if (kind < 7) {
      const b = atom();
      x = atom().map((v, i) => 0.5 * (v + b[i]));
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

describe.skipIf(!env.gpu)(`mixed-score-culled.wgsl on ${env.note}`, () => {
  gpuIt(env, 'matches the float64 reference within the f32 model plus the culling bound; at t = 1 every tile is loaded', async (gpu) => {
    const rand = testRandom(1313);
    const n = 2048; // 8 tiles per measure
    const count = 128; // 2 workgroups
    const lambda = 0.3;
    const lines: string[] = [];
    for (const d of [2, 8]) {
      for (const clustered of [false, true]) {
        const mu1 = atoms(rand, d, n, clustered);
        const mu2 = atoms(rand, d, n, clustered);
        const s1 = roundMeasure(cullSorted(mu1));
        const s2 = roundMeasure(cullSorted(mu2));
        for (const t of [1e-4, 1e-3, 1e-2, 1]) {
          const x = queries(rand, mu1, mu2, t, count);
          const culled = await evaluateMixedScoreCulled(gpu, mu1, mu2, lambda, t, x);
          const dense = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x);
          const cull1 = culledMeanBound(s1, culled.eps);
          const cull2 = culledMeanBound(s2, culled.eps);
          const t32 = Math.fround(t);
          let worst = 0;
          let worstDense = 0;
          for (let q = 0; q < count; q++) {
            const xq = Float64Array.from(x.subarray(q * d, (q + 1) * d), Math.fround);
            for (const [k, s, cull] of [[1, s1, cull1], [2, s2, cull2]] as const) {
              const m = new Float64Array(d);
              const logU = denoise(s, t32, xq, m);
              const bound = denoiseErrorBound(s, t32, xq);
              const got = (k === 1 ? culled.m1 : culled.m2).subarray(q * d, (q + 1) * d);
              const err = Math.hypot(...Array.from(got, (v, i) => v - m[i]));
              const logErr = Math.abs((k === 1 ? culled.logU1 : culled.logU2)[q] - logU);
              const where = `d=${d} ${clustered ? 'clustered' : 'uniform'} t=${t} m${k} query ${q} (kind ${q % 10})`;
              const ratio = Math.max(err / (bound.mean + cull), logErr / (bound.logU + s.n * culled.eps));
              expect(Number.isNaN(ratio), where).toBe(false);
              expect(ratio, where).toBeLessThan(1);
              worst = Math.max(worst, ratio);
              const dm = (k === 1 ? dense.m1 : dense.m2).subarray(q * d, (q + 1) * d);
              const denseErr = Math.hypot(...Array.from(dm, (v, i) => v - m[i]));
              worstDense = Math.max(worstDense, denseErr / bound.mean);
            }
          }
          const loaded = culled.atomsLoaded / culled.denseAtoms;
          const pairs = culled.pairs / culled.densePairs;
          lines.push(`d=${d} ${clustered ? 'clustered' : 'uniform  '} t=${t}: loaded ${culled.tilesLoaded}/${culled.denseTiles} tiles (atoms ${loaded.toFixed(2)}, pairs ${pairs.toFixed(2)})${culled.dense ? ' [dense kernel]' : ''}, worst err/tol culled ${worst.toExponential(2)} dense ${worstDense.toExponential(2)}`);
          expect(culled.denseTiles).toBe(2 * 2 * 32); // 2 workgroups x 64 tiles of 64 atoms
          expect(culled.pairs).toBeLessThanOrEqual(culled.densePairs);
          if (t === 1) {
            // Some queries are 1e3 away (they skip far tiles themselves), but every tile is needed by
            // a query of each workgroup, so the loads are the dense kernel's.
            expect(culled.tilesLoaded, `t = 1 loads every tile (d=${d})`).toBe(culled.denseTiles);
            expect(culled.atomsLoaded).toBe(culled.denseAtoms);
          }
        }
      }
    }
    console.log('mixed-score-culled:\n  ' + lines.join('\n  '));
  });

  // 1024 queries (16 workgroups, each a compact k-d leaf) against 4096 + 1000 atoms: at small t
  // a workgroup's queries are far from most tiles.
  gpuIt(env, 'loads under 30% of the atoms and computes under 10% of the pairs at t = 1e-4 (35% and 15% at 1e-3); runs the dense kernel at t = 1; agrees with the dense kernel to 1e-5 of the spread, in the caller order', async (gpu) => {
    const rand = testRandom(77);
    const d = 2;
    const mu1 = atoms(rand, d, 4096, false);
    const mu2 = atoms(rand, d, 1000, true);
    // Queries near atoms only (well-conditioned softmax), in random order: the unsort is checked too.
    const count = 1024;
    const x = new Float64Array(count * d);
    for (let q = 0; q < count; q++) {
      const m = q % 2 ? mu1 : mu2;
      const j = Math.floor(rand() * m.n);
      for (let c = 0; c < d; c++) x[q * d + c] = m.points[j * d + c] + 0.01 * gauss(rand);
    }
    const spread = 4 * Math.SQRT2;
    const lines: string[] = [];
    for (const t of [1e-4, 1e-3, 1]) {
      const culled = await evaluateMixedScoreCulled(gpu, mu1, mu2, 0.5, t, x);
      const dense = await evaluateMixedScore(gpu, mu1, mu2, 0.5, t, x);
      let worst = 0;
      for (let i = 0; i < count * d; i++) worst = Math.max(worst, Math.abs(culled.mLam[i] - dense.mLam[i]) / spread);
      expect(worst, `t=${t}`).toBeLessThan(1e-5);
      expect(culled.denseTiles).toBe(16 * (64 + 16));
      const [loaded, pairs] = t === 1e-4 ? [0.3, 0.1] : [0.35, 0.15];
      if (t < 1) {
        expect(culled.dense, `t=${t}`).toBe(false);
        expect(culled.atomsLoaded, `t=${t}`).toBeLessThan(loaded * culled.denseAtoms);
        expect(culled.pairs, `t=${t}`).toBeLessThan(pairs * culled.densePairs);
      } else {
        // Every query is within the atoms' box: at t = 1 the extents show nothing can be skipped.
        expect(culled.dense).toBe(true);
        expect(worst).toBe(0);
      }
      lines.push(`t=${t}: atoms loaded ${(culled.atomsLoaded / culled.denseAtoms).toFixed(3)}, pairs ${(culled.pairs / culled.densePairs).toFixed(3)} of dense${culled.dense ? ' [dense kernel]' : ''}, max |m_lam - dense| / spread ${worst.toExponential(2)}`);
    }
    console.log('mixed-score-culled vs dense:\n  ' + lines.join('\n  '));
    await expect(evaluateMixedScoreCulled(gpu, mu1, mu2, 0.5, 1e-4, x, { eps: 0 })).rejects.toThrow(/eps must be in/);
  });
});
