// shaders/score-mixing/field.wgsl through PotentialField against heatPotential and
// sqDistToSupport (src/math/heat.ts): phi1, phi2, Phi_lam^t and the limit Phi_lam on planes in
// d = 2 (the plane itself) and d = 3, 8 (oblique planes), t from 1 to 1e-6, lambda in {0.5, 3}; the
// tolerance includes the culling's 4t n eps (shaders/lib/cull.wgsl). At small t with many atoms the
// work counters show the skipped tiles, and the image equals the float64 one all the same.

import { describe, expect } from 'vitest';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { PotentialField, type FieldPlane } from '../../src/labs/score-mixing/field';
import { cullSorted } from '../../src/labs/score-mixing/cull-tiles';
import type { Measure } from '../../src/labs/score-mixing/types';
import { fieldPixelExpectation, roundMeasure } from '../../src/labs/score-mixing/error-model';
import { acquireTestGpu, gpuIt, testRandom } from './harness';
import { DenseFieldBaseline } from '../../bench/field';

const env = await acquireTestGpu();

function randomMeasure(rand: () => number, d: number, n: number): Measure {
  const points = Array.from({ length: n }, () => Array.from({ length: d }, () => 4 * rand() - 2));
  points[1] = [...points[0]]; // coincident atoms
  return toMeasure({ points, weights: points.map(() => 0.2 + rand()) });
}

describe.skipIf(!env.gpu)(`field.wgsl on ${env.note}`, () => {
  gpuIt(env, 'phi1, phi2, Phi_lam^t and Phi_lam match the float64 potentials', async (gpu) => {
    const rand = testRandom(77);
    const W = 26; // not multiples of the 8 x 8 pixel blocks: the edge blocks are partial
    const H = 13;
    const worst = [0, 0, 0, 0];
    for (const d of [2, 3, 8]) {
      const mu1 = randomMeasure(rand, d, 5);
      const mu2 = randomMeasure(rand, d, 300); // five tiles of 64 atoms
      const field = await PotentialField.create(gpu, mu1, mu2, W, H);
      const oblique = (): number[] => Array.from({ length: d }, () => 2 * rand() - 1);
      for (const [t, lambda] of [[1, 0.5], [1e-2, 3], [1e-4, 0.5], [1e-6, 3]]) {
        const plane: FieldPlane =
          d === 2
            ? { t, lambda, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -3, uMax: 3, vMin: -2.5, vMax: 2.5 }
            : { t, lambda, origin: oblique(), e1: oblique(), e2: oblique(), uMin: -2, uMax: 2, vMin: -1.5, vMax: 1.5 };
        const encoder = gpu.device.createCommandEncoder({ label: 'Test.fieldEncoder' });
        field.encode(encoder, plane);
        gpu.device.queue.submit([encoder.finish()]);
        const out = await field.read();
        expect(out.length).toBe(4 * W * H);
        const [r1, r2] = [roundMeasure(cullSorted(mu1)), roundMeasure(cullSorted(mu2))];
        // Expected values and tolerances per pixel: src/labs/score-mixing/error-model.ts (shared with the self-test).
        for (let py = 0; py < H; py++) {
          for (let px = 0; px < W; px++) {
            const { want, tol: tols } = fieldPixelExpectation(r1, r2, plane, W, H, px, py, field.eps);
            for (let q = 0; q < 4; q++) {
              const r = Math.abs(out[4 * (py * W + px) + q] - want[q]) / tols[q];
              const where = `output ${q} d=${d} t=${t} lambda=${lambda} pixel (${px}, ${py}): got ${out[4 * (py * W + px) + q]}, want ${want[q]}`;
              expect(r, where).toBeLessThan(1);
              worst[q] = Math.max(worst[q], r);
            }
          }
        }
      }
      field.dispose();
    }
    console.log(`field worst error / tolerance: phi1 ${worst[0].toExponential(2)}, phi2 ${worst[1].toExponential(2)}, ` +
      `Phi_t ${worst[2].toExponential(2)}, Phi_limit ${worst[3].toExponential(2)}`);
  });

  gpuIt(env, 'skips most of the work at t = 1e-4 over 8,192 atoms (none at t = 1) and still matches float64 to its tolerance', async (gpu) => {
    const rand = testRandom(4096);
    const W = 32;
    const H = 24;
    const mu1 = randomMeasure(rand, 2, 4096);
    const mu2 = randomMeasure(rand, 2, 4096);
    const field = await PotentialField.create(gpu, mu1, mu2, W, H);
    const [r1, r2] = [roundMeasure(cullSorted(mu1)), roundMeasure(cullSorted(mu2))];
    const lines: string[] = [];
    for (const t of [1e-4, 1]) {
      const plane: FieldPlane = { t, lambda: 0.5, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -2.5, uMax: 2.5, vMin: -2, vMax: 2 };
      const encoder = gpu.device.createCommandEncoder({ label: 'Test.fieldEncoder' });
      field.encode(encoder, plane);
      gpu.device.queue.submit([encoder.finish()]);
      const out = await field.read();
      const work = await field.readWork();
      let worst = 0;
      // Every third pixel (the float64 reference walks all 8,192 atoms per pixel).
      for (let p = 0; p < W * H; p += 3) {
        const [px, py] = [p % W, Math.floor(p / W)];
        const { want, tol } = fieldPixelExpectation(r1, r2, plane, W, H, px, py, field.eps);
        for (let q = 0; q < 4; q++) {
          const r = Math.abs(out[4 * p + q] - want[q]) / tol[q];
          expect(r, `t=${t} output ${q} pixel (${px}, ${py})`).toBeLessThan(1);
          worst = Math.max(worst, r);
        }
      }
      expect(work.denseTiles).toBe(12 * 128); // 4 x 3 blocks, 2 x 64 tiles
      expect(work.densePairs).toBe(W * H * 8192);
      if (t === 1) {
        expect(work.tilesLoaded).toBe(work.denseTiles);
      } else {
        expect(work.atomsLoaded).toBeLessThan(0.3 * work.denseAtoms);
        expect(work.pairs).toBeLessThan(0.1 * work.densePairs);
      }
      lines.push(`t=${t}: tiles ${work.tilesLoaded}/${work.denseTiles}, atoms loaded ${(work.atomsLoaded / work.denseAtoms).toFixed(3)}, pairs ${(work.pairs / work.densePairs).toFixed(3)} of dense; worst err/tol ${worst.toExponential(2)}`);
    }
    console.log('field culling:\n  ' + lines.join('\n  '));
    field.dispose();
  });

  // The bench's baseline (shaders/bench/field-dense.wgsl, the dense field loop the culled one
  // replaced) is a correct field too: the same float64 potentials within the same model, for atoms
  // in their own order and no culling.
  gpuIt(env, 'the bench baseline (shaders/bench/field-dense.wgsl) matches the float64 potentials', async (gpu) => {
    const rand = testRandom(31);
    const W = 20;
    const mu1 = randomMeasure(rand, 2, 5);
    const mu2 = randomMeasure(rand, 2, 300);
    const dense = await DenseFieldBaseline.create(gpu, mu1, mu2, W);
    const [r1, r2] = [roundMeasure(mu1), roundMeasure(mu2)];
    for (const t of [1, 1e-4]) {
      const plane: FieldPlane = { t, lambda: 0.5, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -3, uMax: 3, vMin: -2.5, vMax: 2.5 };
      const encoder = gpu.device.createCommandEncoder({ label: 'Test.denseFieldEncoder' });
      dense.encode(encoder, plane);
      gpu.device.queue.submit([encoder.finish()]);
      const out = await dense.read();
      for (let p = 0; p < W * W; p++) {
        const { want, tol } = fieldPixelExpectation(r1, r2, plane, W, W, p % W, Math.floor(p / W), 0);
        for (let q = 0; q < 4; q++) expect(Math.abs(out[4 * p + q] - want[q]) / tol[q], `t=${t} output ${q} pixel ${p}`).toBeLessThan(1);
      }
    }
    dense.dispose();
  });

  gpuIt(env, 'Laplace-Varadhan: phi1 approaches d1^2 as t -> 0 (spec check R3 data)', async (gpu) => {
    const mu = toMeasure({ points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [0.2, 0.3, 0.5] });
    // One pixel at x = (0.3, -0.4): a 1x1 grid over [0.3, 0.3] x [-0.4, -0.4].
    const field = await PotentialField.create(gpu, mu, mu, 1, 1);
    const want: [number, number][] = [[1e-2, 1.26519305], [1e-3, 1.28730897], [1e-4, 1.29780986], [1e-5, 1.29968888]];
    for (const [t, phi] of want) {
      const encoder = gpu.device.createCommandEncoder({ label: 'Test.fieldEncoder' });
      field.encode(encoder, { t, lambda: 1, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: 0.3, uMax: 0.3, vMin: -0.4, vMax: -0.4 });
      gpu.device.queue.submit([encoder.finish()]);
      const out = await field.read();
      // f32: |x - y|^2 is exact to ~1e-7 relative; -4t log u adds 4t * (eps |log u|) ~ 1e-7 absolute.
      expect(Math.abs(out[0] - phi)).toBeLessThan(2e-6);
      expect(Math.abs(out[3] - 1.3)).toBeLessThan(1e-6);
    }
    // setMeasures swaps atoms without a new pipeline: a single atom at x gives d^2 = 0.
    field.setMeasures(toMeasure({ points: [[0.3, -0.4]] }), mu);
    const encoder = gpu.device.createCommandEncoder({ label: 'Test.fieldEncoder' });
    field.encode(encoder, { t: 1e-3, lambda: 1, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: 0.3, uMax: 0.3, vMin: -0.4, vMax: -0.4 });
    gpu.device.queue.submit([encoder.finish()]);
    const out = await field.read();
    expect(out[3]).toBe(0);
    field.dispose();
    expect(env.liveBuffers()).toEqual([]);
  });
});
