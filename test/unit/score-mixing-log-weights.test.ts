// Issue 10: a weights vector [1e-300, 1, 1e300] is valid (positive, finite sum) and ran on the GPU,
// but the float64 CPU path stopped as "non-finite at step 0": w / sum underflowed to 0 and
// log(0) - log(0) made NaN in the log-sum-exp. The CPU path now takes the weights in the log
// domain (log w_j - log sum w), as the GPU packer does.

import { describe, expect, it } from 'vitest';
import { runLab } from '../../src/index';
import { denoise } from '../../src/math/heat';
import { OnlineLogSumExp } from '../../src/math/logsumexp';
import { packAtoms } from '../../src/labs/score-mixing/gpu-common';
import { toMeasure } from '../../src/labs/score-mixing/measures';

const wide = { points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [1e-300, 1, 1e300] };

describe('score-mixing weights spanning the float64 range', () => {
  it('toMeasure keeps finite log weights where w / sum underflows; ordinary weights are unchanged', () => {
    const m = toMeasure(wide);
    expect(m.weights[0]).toBe(0); // 1e-600 underflows
    const lw = Array.from(m.logWeights!);
    expect(lw.every(Number.isFinite)).toBe(true);
    expect(lw[0]).toBeCloseTo(Math.log(1e-300) - Math.log(1e300), 9);
    expect(lw[1]).toBeCloseTo(-Math.log(1e300), 9);
    expect(lw[2]).toBe(0);
    // Ordinary weights: no separate log weights, the denoisers take log(w / sum) as before.
    expect(toMeasure({ points: wide.points, weights: [0.2, 0.3, 0.5] }).logWeights).toBeUndefined();
    expect(toMeasure({ points: wide.points }).logWeights).toBeUndefined();
  });

  it('the GPU packer reads the same log weights (finite, rounded to float32)', () => {
    const m = toMeasure(wide);
    const { logW } = packAtoms(m, toMeasure({ points: [[0, 0]] }));
    expect(Array.from(logW.subarray(0, 3))).toEqual(Array.from(m.logWeights!, Math.fround));
    expect(logW[3]).toBe(0);
  });

  it('the float64 denoiser is finite and is the softmax of the log-domain weights', () => {
    const m = toMeasure(wide);
    const x = [0.3, 0.2];
    const t = 0.5;
    const out = new Float64Array(2);
    const logU = denoise(m, t, x, out);
    expect(Number.isFinite(logU)).toBe(true);
    // By hand: logits log w_j - |x - y_j|^2 / (4t), softmax, mean of the atoms.
    const logits = wide.points.map((y, j) => m.logWeights![j] - ((x[0] - y[0]) ** 2 + (x[1] - y[1]) ** 2) / (4 * t));
    const top = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - top));
    const s = e.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 2; i++) expect(out[i]).toBeCloseTo(wide.points.reduce((a, y, j) => a + (e[j] / s) * y[i], 0), 12);
  });

  it('a weight of exactly 0 in a hand-made Measure no longer turns the log-sum-exp into NaN', () => {
    const acc = new OnlineLogSumExp();
    expect(acc.add(-Infinity)).toBe(0);
    acc.add(-2);
    expect(acc.value).toBe(-2);
    const out = new Float64Array(2);
    const m = { d: 2, n: 2, points: Float64Array.of(0, 0, 1, 1), weights: Float64Array.of(0, 1) };
    denoise(m, 0.1, [0.5, 0.5], out);
    expect(Array.from(out)).toEqual([1, 1]);
  });

  it('runLab on the CPU backend runs the config to the end with finite particles (it stopped at step 0)', async () => {
    const s = await runLab('score-mixing', { mu1: wide, mu2: { points: [[0.5, -1], [2, 2]] }, lambda: 0.5, steps: 40, record: 5, particles: { count: 64, seed: 3 } }, { backend: 'cpu' });
    expect(s.meta.backend).toBe('cpu-float64');
    expect(s.arrays.x.shape).toEqual([5, 64, 2]);
    expect(Array.from(s.arrays.x.data as Float64Array).every(Number.isFinite)).toBe(true);
  });
});
