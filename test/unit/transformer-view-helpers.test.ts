// DOM-free helpers of the transformer page: attention weights (checked against the reference's
// layer velocity, which mixes the same softmax), single-linkage cluster counts, head-particle
// projections (entries, PCA), picture geometry and trajectory segments, and risk decimation.

import { describe, expect, it } from 'vitest';
import { gaussianBatch } from '../../src/labs/transformer/data';
import { initHeads } from '../../src/labs/transformer/heads';
import { forward, layerVelocity, rowsOf } from '../../src/labs/transformer/reference';
import { attentionEntropy, attentionWeights, strongestKeys } from '../../src/labs/transformer/view/attention';
import { decimate } from '../../src/labs/transformer/view/charts';
import { clusterCount, clusterProfile, dataScale } from '../../src/labs/transformer/view/clusters';
import { boundingBox, pictureLayout, picturePoints, pointIndex } from '../../src/labs/transformer/view/geometry';
import { depthColour } from '../../src/labs/transformer/view/palette';
import { flattenHeads, headCoordinateNames, headSize, projectHeads } from '../../src/labs/transformer/view/heads';
import { trajectorySegments } from '../../src/labs/transformer/view/picture';

const heads = initHeads({ L: 3, H: 4, k: 2, d: 2, seed: 5, qkScale: 1.2, vScale: 0.8, clip: 3 });
const tokens = gaussianBatch({ batch: 3, n: 5, d: 2, seed: 9, query: true });
const rows = rowsOf(tokens);

describe('attention weights of a selected token', () => {
  it('mixing the keys with the per-head weights and V reproduces the layer velocity', () => {
    const traj = forward(heads, tokens, { stepper: 'euler', sphere: false });
    const l = 1;
    const Z = traj.states[l];
    const v = layerVelocity(heads, l, tokens, Z, new Float64Array(Z.length));
    const { H, d } = heads;
    const n = tokens.n;
    for (const [b, i] of [
      [0, 0],
      [2, 3],
      [1, n], // the query/CLS row attends to the n tokens too
    ]) {
      const w = attentionWeights(heads, l, tokens, Z, b, i);
      let sum = 0;
      for (const x of w.mean) sum += x;
      expect(sum).toBeCloseTo(1, 14);
      const out = new Float64Array(d);
      for (let h = 0; h < H; h++) {
        const a = new Float64Array(d);
        for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) a[c] += w.perHead[h * n + j] * Z[(b * rows + j) * d + c];
        const vo = (l * H + h) * d * d;
        for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) out[r] += (heads.V[vo + r * d + c] * a[c]) / H;
      }
      for (let r = 0; r < d; r++) expect(out[r]).toBeCloseTo(v[(b * rows + i) * d + r], 12);
    }
  });

  it('large logits stay finite; strongest keys and entropy', () => {
    const big = { ...heads, Q: heads.Q.map((q) => q * 200), K: heads.K.map((k) => k * 200) };
    const w = attentionWeights(big, 0, tokens, forward(big, tokens, { stepper: 'euler', sphere: false }).states[0], 0, 1);
    expect(Array.from(w.mean).every(Number.isFinite)).toBe(true);
    const top = strongestKeys(w, 2);
    expect(top[0].weight).toBeGreaterThanOrEqual(top[1].weight);
    const { entropy, max } = attentionEntropy(w);
    expect(entropy).toBeGreaterThanOrEqual(0);
    expect(entropy).toBeLessThanOrEqual(max + 1e-12);
    expect(() => attentionWeights(heads, 3, tokens, tokens.x, 0, 0)).toThrow(/layer 3/);
  });
});

describe('cluster counts over depth', () => {
  it('single linkage joins chains below eps and ignores NaN', () => {
    // Sequence of 5 points on a line: 0, 0.05, 0.1 (a chain), 1, 3.
    const X = Float64Array.of(0, 0, 0.05, 0, 0.1, 0, 1, 0, 3, 0);
    expect(clusterCount(X, 0, 5, 5, 2, 0.06)).toBe(3);
    expect(clusterCount(X, 0, 5, 5, 2, 0.01)).toBe(5);
    expect(clusterCount(X, 0, 5, 5, 2, 10)).toBe(1);
    const bad = Float64Array.from(X);
    bad[2] = NaN;
    // The NaN token links nothing, so the chain 0 - 0.05 - 0.1 breaks into singletons.
    expect(clusterCount(bad, 0, 5, 5, 2, 0.06)).toBe(5);
  });

  it('the data scale is the RMS distance to the sequence mean; the profile counts every layer', () => {
    const X0 = Float64Array.of(-1, 0, 1, 0, 0, 5, 0, 7); // two sequences of two tokens, d = 2
    expect(dataScale(X0, 2, 2, 2, 2)).toBeCloseTo(1, 14);
    const traj = forward({ ...heads, V: new Float64Array(heads.V.length) }, tokens, { stepper: 'euler', sphere: false });
    const S = tokens.batch * rows * 2;
    const flat = new Float64Array(traj.states.length * S);
    traj.states.forEach((s, l) => flat.set(s, l * S));
    const p = clusterProfile((l) => flat.subarray(l * S, (l + 1) * S), heads.L, tokens.batch, tokens.n, rows, 2, 1);
    expect(p.selected).toHaveLength(heads.L + 1);
    // V = 0 is the identity flow: the count does not change with depth.
    expect(new Set(p.selected).size).toBe(1);
    expect(p.counted).toBe(3);
    expect(p.eps).toBeCloseTo(0.1 * p.sigma0, 14);
  });
});

describe('head particles', () => {
  it('names and flattening follow Q, K, V row-major', () => {
    expect(headSize(2, 3)).toBe(21);
    const names = headCoordinateNames(1, 2);
    expect(names).toEqual(['Q[0][0]', 'Q[0][1]', 'K[0][0]', 'K[0][1]', 'V[0][0]', 'V[0][1]', 'V[1][0]', 'V[1][1]']);
    const flat = flattenHeads(heads);
    const p = headSize(2, 2);
    expect(flat[5 * p + 1]).toBe(heads.Q[5 * 4 + 1]);
    expect(flat[5 * p + 4 + 2]).toBe(heads.K[5 * 4 + 2]);
    expect(flat[5 * p + 8 + 3]).toBe(heads.V[5 * 4 + 3]);
  });

  it('entries pick two coordinates; PCA finds the direction the heads moved along', () => {
    const moved = { ...heads, V: Float64Array.from(heads.V), Q: Float64Array.from(heads.Q) };
    // Move every head along V[0][0] by a large amount: the first principal direction.
    for (let p = 0; p < heads.L * heads.H; p++) moved.V[p * 4] += 10 * (p % 2 === 0 ? 1 : -1);
    const e = projectHeads(heads, moved, { kind: 'entries', a: 0, b: 8 });
    expect(e.axes).toEqual(['Q[0][0]', 'V[0][0]']);
    expect(e.start[2 * 3]).toBe(heads.Q[3 * 4]);
    expect(e.current[2 * 3 + 1]).toBe(moved.V[3 * 4]);
    const pca = projectHeads(heads, moved, { kind: 'pca' });
    expect(pca.axes[0]).toMatch(/^PC1 \(\d+% var\.\)$/);
    // PC1 coordinate differences between start and current ~ +-10 (the V[0][0] moves).
    const dx = Array.from({ length: heads.L * heads.H }, (_, i) => Math.abs(pca.current[2 * i] - pca.start[2 * i]));
    for (const v of dx) expect(v).toBeGreaterThan(9);
    expect(pca.meanDisplacement).toBeCloseTo(10, 10);
    expect(Array.from(pca.layer.slice(0, 5))).toEqual([0, 0, 0, 0, 1]);
  });
});

describe('picture geometry and segments', () => {
  const traj = forward(heads, tokens, { stepper: 'euler', sphere: false });
  const S = tokens.batch * rows * 2;
  const states = new Float64Array(traj.states.length * S);
  traj.states.forEach((s, l) => states.set(s, l * S));

  it('layouts: d = 2 colour (editable plane), axis (3-D with depth), d = 1, d > 3', () => {
    expect(pictureLayout(2, 'colour', 1)).toMatchObject({ dims: 2, editable: true });
    expect(pictureLayout(2, 'axis', 1)).toMatchObject({ dims: 3, axes: [0, 1, -1], editable: false, depthScale: 4 });
    expect(pictureLayout(1, 'colour', 0.5)).toMatchObject({ dims: 2, axes: [0, -1, -1], depthScale: 2 });
    expect(pictureLayout(5, 'colour', 1).label).toMatch(/d = 5/);
    const axis = picturePoints(states, heads.L, tokens.batch, rows, 2, pictureLayout(2, 'axis', 1));
    const o = pointIndex(2, 1, 3, tokens.batch, rows) * 3;
    expect(axis[o]).toBeCloseTo(traj.states[2][(1 * rows + 3) * 2], 6);
    expect(axis[o + 2]).toBeCloseTo((2 / 3) * 4, 6);
    const box = boundingBox(axis);
    expect(box.min[2]).toBe(0);
    expect(box.max[2]).toBeCloseTo(4, 6);
  });

  it('segments: others, the selected tokens and the query row; non-finite points are skipped', () => {
    const layout = pictureLayout(2, 'colour', 1);
    const points = picturePoints(states, heads.L, tokens.batch, rows, 2, layout);
    const spec = { points, L: heads.L, batch: tokens.batch, rows, n: tokens.n, selected: 1, showOthers: true, layout };
    const parts = trajectorySegments(spec);
    expect(parts.map((p) => [p.name, p.count])).toEqual([
      ['others', 2 * rows * heads.L],
      ['selected', tokens.n * heads.L],
      ['query', heads.L],
    ]);
    expect(Array.from(parts[1].layer.slice(0, 3))).toEqual([0, 1, 2]);
    points[pointIndex(1, 1, 0, tokens.batch, rows) * 3] = NaN;
    expect(trajectorySegments(spec)[1].count).toBe(tokens.n * heads.L - 2);
    expect(trajectorySegments({ ...spec, showOthers: false })[0].count).toBe(0);
    const [r0, , b0] = depthColour(0);
    const [r1, g1] = depthColour(1);
    expect(b0).toBeGreaterThan(r0); // purple-blue at the input
    expect(r1 + g1).toBeGreaterThan(1.5); // yellow at the output
  });

  it('risk decimation keeps every point up to 2000, then bucket extremes and the last', () => {
    expect(decimate([3, 2, 1], 3)).toEqual([
      [0, 3],
      [1, 2],
      [2, 1],
    ]);
    const v = Array.from({ length: 100_000 }, (_, i) => 1 / (1 + i) + (i === 54_321 ? 5 : 0));
    const d = decimate(v, v.length);
    expect(d.length).toBeLessThanOrEqual(2002);
    expect(d.some(([i]) => i === 54_321)).toBe(true);
    expect(d[d.length - 1][0]).toBe(99_999);
    expect(d.every(([i], k) => k === 0 || i > d[k - 1][0])).toBe(true);
  });
});
