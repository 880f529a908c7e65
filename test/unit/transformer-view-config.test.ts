// The transformer page's config rewrites and snapshots, DOM-free: a dragged token makes the batch
// explicit and changes only that token (teacher targets follow), bad edits throw FieldError, the
// CPU fallback's size caps produce valid configs, a page snapshot reads back into the same resume
// state (and a mismatched one names the field), and the NTK jobs the worker runs give the expected
// verdict on the translated-copy preset.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/labs/transformer/config';
import { toModel } from '../../src/labs/transformer/model';
import type { TransformerConfig } from '../../src/labs/transformer/types';
import { empiricalNtk } from '../../src/labs/transformer/ntk';
import { TRANSFORMER_PRESETS, defaultTransformerConfig } from '../../src/labs/transformer/params';
import { FieldError } from '../../src/labs/schema';
import { attentionWork, CPU_CAPS, dropsWeights, explicitConfig, reduceForCpu, tokensJson, withImportedTokens, withTokenMoved } from '../../src/labs/transformer/view/edit';
import { describeLse, lambdaSkipReason, largestEigenvalue, runNtkJob } from '../../src/labs/transformer/view/ntk-jobs';
import { buildSnapshot, readResume } from '../../src/labs/transformer/view/snapshot';

const small = (over: Record<string, unknown> = {}): TransformerConfig =>
  parseConfig({ ...defaultTransformerConfig(), sequences: { kind: 'gaussian', count: 3, n: 4, seed: 2 }, L: 2, H: 3, iterations: 10, record: 3, ...over });

describe('token edits', () => {
  it('moving a token makes the batch explicit, changes that token only, and recomputes the teacher targets', () => {
    const cfg = small();
    const m = toModel(cfg);
    const next = withTokenMoved(cfg, m.tokens, 1, 2, [0.25, -1.5]);
    const seqs = next.sequences as number[][][];
    expect(seqs).toHaveLength(3);
    expect(seqs[1][2]).toEqual([0.25, -1.5]);
    expect(seqs[0][0][0]).toBeCloseTo(m.tokens.x[0], 6);
    expect(parseConfig(next)).toEqual(next);
    const m2 = toModel(next);
    let changed = 0;
    m2.tokens.x.forEach((v, i) => (Math.abs(v - m.tokens.x[i]) > 1e-6 ? changed++ : 0));
    expect(changed).toBe(2);
    // Teacher targets: the edited sequence's change, the others stay (to the 1e-6 rounding).
    const n = 4;
    const e = 2;
    for (let q = 0; q < m.targets!.length; q++) {
      const b = Math.floor(q / (n * e));
      if (b !== 1) expect(Math.abs(m2.targets![q] - m.targets![q])).toBeLessThan(1e-5);
    }
    expect(Array.from(m2.targets!.slice(n * e, 2 * n * e)).some((v, i) => Math.abs(v - m.targets![n * e + i]) > 1e-4)).toBe(true);
    // The heads (init) are untouched: the page keeps training the same student.
    expect(m2.heads.Q).toEqual(m.heads.Q);
  });

  it('a bad edit throws a FieldError naming the token; sphere edits are normalised; query tokens kept', () => {
    const cfg = small();
    const m = toModel(cfg);
    expect(() => withTokenMoved(cfg, m.tokens, 0, 1, [NaN, 0])).toThrow(FieldError);
    expect(() => withTokenMoved(cfg, m.tokens, 0, 1, [NaN, 0])).toThrow(/sequences\[0\]\[1\]/);
    expect(() => withTokenMoved(cfg, m.tokens, 5, 0, [0, 0])).toThrow(RangeError);
    const sphere = small({ sphere: true });
    const ms = toModel(sphere);
    const moved = withTokenMoved(sphere, ms.tokens, 0, 0, [3, 4]);
    expect((moved.sequences as number[][][])[0][0]).toEqual([0.6, 0.8]);
    expect(() => withTokenMoved(sphere, ms.tokens, 0, 0, [0, 0])).toThrow(/nonzero token/);
    const q = small({ task: { kind: 'teacher', L: 2, H: 1, seed: 1, qk: 1, v: 1, readout: 'query' } });
    const mq = toModel(q);
    const eq = explicitConfig(q, mq.tokens);
    expect(eq.queries).toHaveLength(3);
    expect(parseConfig(eq).queries).toEqual(eq.queries);
    expect(dropsWeights(small({ sequences: { kind: 'discrete', count: 2, n: 3, seed: 1 } }))).toBe(true);
    expect(dropsWeights(cfg)).toBe(false);
  });
});

describe('token files (import / export)', () => {
  const base = defaultTransformerConfig();
  const fieldOf = (text: string): FieldError => {
    try {
      withImportedTokens(base, text);
    } catch (e) {
      if (e instanceof FieldError) return e;
      throw e;
    }
    throw new Error('expected a FieldError');
  };

  it('an exported batch imports back to the same tokens; d follows the file', () => {
    const m = toModel(base);
    const back = toModel(withImportedTokens(base, tokensJson(m.tokens)));
    expect(back.tokens.batch).toBe(m.tokens.batch);
    for (let i = 0; i < m.tokens.x.length; i++) expect(Math.abs(back.tokens.x[i] - m.tokens.x[i])).toBeLessThanOrEqual(5e-7);
    // A bare B x n x d array in d = 3: d, the identity readout and the teacher's targets follow.
    const c3 = withImportedTokens(base, JSON.stringify([[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 1, 1]]]));
    expect(c3.d).toBe(3);
    const m3 = toModel(c3);
    expect(m3.tokens).toMatchObject({ batch: 2, n: 2, d: 3 });
    expect(m3.readout.e).toBe(3);
    expect(m3.targets?.length).toBe(2 * 2 * 3);
  });

  it('bad files name the field and the allowed form', () => {
    expect(fieldOf('{"sequences": [[[1, 2]],').field).toBe('tokens file');
    expect(fieldOf('{"tokens": []}').message).toMatch(/^tokens file: got .*allowed: a B x n x d array/);
    expect(fieldOf('{"sequences": [[[1, 2]]], "weights": [1]}').field).toBe('tokens file.weights');
    expect(fieldOf('[[[1, 2], [3, "x"]]]').field).toBe('sequences[0][1][1]');
    expect(fieldOf('[[[1, 2], [3]]]').field).toMatch(/^sequences\[0\]\[1\]/);
    expect(fieldOf('{"sequences": [[[1, 2]]], "queries": [[0, 1]]}').field).toBe('queries');
  });
});

describe('CPU fallback sizes', () => {
  it('caps the batch and the work per training step, slicing explicit data consistently', () => {
    const { config, reduced } = reduceForCpu(defaultTransformerConfig() as TransformerConfig);
    expect(reduced).toEqual(['B 16 → 8']);
    expect(config.sequences).toMatchObject({ count: 8, n: 8 });
    const big = parseConfig({ ...defaultTransformerConfig(), sequences: { kind: 'gaussian', count: 64, n: 256, seed: 1 }, L: 32, H: 64, record: 2 });
    const r = reduceForCpu(big);
    const s = r.config.sequences as { count: number; n: number };
    expect(s.count).toBe(CPU_CAPS.batch);
    expect(attentionWork(r.config.L, r.config.H, s.count, s.n, false)).toBeLessThanOrEqual(CPU_CAPS.trainWork);
    expect(r.reduced.join(' ')).toMatch(/B 64 → 8.*n 256 → 16.*H 64 → 1/);
    const preset = TRANSFORMER_PRESETS.find((p) => p.id === 'ntk-translate')!.config;
    expect(reduceForCpu(parseConfig(preset)).reduced).toEqual([]);
    const explicit = parseConfig({
      d: 1,
      sequences: Array.from({ length: 10 }, (_, b) => [[b], [b + 0.5]]),
      L: 1,
      H: 1,
      task: { kind: 'targets', readout: 'token', targets: Array.from({ length: 10 }, () => [[0], [1]]) },
      iterations: 5,
    });
    const er = reduceForCpu(explicit);
    expect(er.config.sequences).toHaveLength(8);
    expect((er.config.task as { targets: unknown[] }).targets).toHaveLength(8);
  });
});

describe('page snapshots', () => {
  it('a snapshot reads back into the same resume state; a mismatched one names the field', () => {
    const cfg = small();
    const m = toModel(cfg);
    const rows = 4;
    const states = new Float32Array((cfg.L + 1) * 3 * rows * 2).map((_, i) => i / 7);
    const Q = Float32Array.from(m.heads.Q, (v) => v + 0.125);
    const snap = buildSnapshot({
      config: cfg,
      requested: null,
      reduced: [],
      model: m,
      iteration: 4,
      heads: { Q, K: Float32Array.from(m.heads.K), V: Float32Array.from(m.heads.V) },
      states,
      risk: Float64Array.of(0.5, 0.4, 0.3, 0.2, 0.1),
      lambda: [
        [0, 1e-3, 2],
        [4, 2e-3, 3],
      ],
      lse: null,
      backend: 'webgpu',
      adapter: 'test',
    });
    expect(snap.arrays.tokens.shape).toEqual([3, 3, 4, 2]);
    expect(snap.arrays.tokens.dtype).toBe('f32');
    // Recorded layer 1 (of 0, 1, 2), sequence 2, token 0: state index ((1 * 3 + 2) * 4 + 0) * 2.
    expect(snap.arrays.tokens.data[(1 * 3 + 2) * 4 * 2]).toBe(states[(1 * 3 + 2) * rows * 2]);
    expect(snap.arrays.Q.shape).toEqual([2, 3, 2, 2]);
    expect(snap.resume).toEqual({ iteration: 4 });
    // The CLI's array names (headless.ts), plus lambda_max for scale.
    expect(Array.from(snap.arrays.ntk_lambda_min.data)).toEqual([1e-3, 2e-3]);
    expect(Array.from(snap.arrays.ntk_lambda_iteration.data)).toEqual([0, 4]);
    expect(Array.from(snap.arrays.ntk_lambda_max.data)).toEqual([2, 3]);
    const back = readResume(snap, m);
    expect(back.iteration).toBe(4);
    expect(Array.from(back.heads.Q)).toEqual(Array.from(Q));
    // A GPU snapshot (f32 heads) stores the risk as f32, as the CLI's GPU run does.
    expect(snap.arrays.risk.dtype).toBe('f32');
    expect(Array.from(back.risk!)).toEqual([0.5, 0.4, 0.3, 0.2, 0.1].map(Math.fround));
    expect(back.lambda).toEqual([
      [0, 1e-3, 2],
      [4, 2e-3, 3],
    ]);
    const other = toModel(small({ H: 2 }));
    expect(() => readResume(snap, other)).toThrow(/arrays\.Q\.shape/);
    const bad = { ...snap, resume: { iteration: 11 } };
    expect(() => readResume(bad, m)).toThrow(/resume\.iteration/);
    const nan = { ...snap, arrays: { ...snap.arrays, V: { ...snap.arrays.V, data: Float32Array.from(snap.arrays.V.data as Float32Array).fill(NaN, 3, 4) } } };
    expect(() => readResume(nan, m)).toThrow(/arrays\.V\.data\[3\]/);
  });
});

describe('NTK jobs (the worker)', () => {
  it('the translated-copy preset is dependent with c = (e0 - e3)/sqrt 2', () => {
    const preset = TRANSFORMER_PRESETS.find((p) => p.id === 'ntk-translate')!.config;
    const m = toModel(parseConfig(preset));
    const r = runNtkJob({ id: 1, kind: 'lse', tokens: m.tokens });
    expect(r.kind).toBe('lse');
    if (r.kind !== 'lse') return;
    expect(r.result.independent).toBe(false);
    expect(r.result.ratio).toBeLessThan(1e-8);
    expect(r.result.dependency[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(r.result.dependency[3]).toBeCloseTo(-Math.SQRT1_2, 6);
    const text = describeLse(r.result);
    expect(text.verdict).toBe('dependent');
    expect(text.lines.join('\n')).toMatch(/DEPENDENT[\s\S]*s_min\/s_max = [\d.e-]+[\s\S]*c0 = 0\.7071, c3 = -0\.7071/);
    const indep = runNtkJob({ id: 2, kind: 'lse', tokens: toModel(small()).tokens });
    expect(indep.kind === 'lse' && indep.result.independent).toBe(true);
  });

  it('lambda_min matches empiricalNtk; too many outputs are refused with a reason', () => {
    const m = toModel(small());
    const r = runNtkJob({ id: 3, kind: 'lambda', iteration: 7, heads: m.heads, tokens: m.tokens, readout: m.readout, flow: m.flow });
    expect(r).toMatchObject({ kind: 'lambda', iteration: 7 });
    if (r.kind === 'lambda') {
      const ntk = empiricalNtk(m.heads, m.tokens, m.readout, m.flow);
      expect(r.lambdaMin).toBe(ntk.lambdaMin);
      // lambda_max by power iteration against the Rayleigh quotient bound and the trace.
      let trace = 0;
      for (let i = 0; i < ntk.P; i++) trace += ntk.K[i * ntk.P + i];
      expect(r.lambdaMax).toBeGreaterThan(trace / ntk.P);
      expect(r.lambdaMax).toBeLessThanOrEqual(trace * (1 + 1e-12));
      expect(largestEigenvalue(Float64Array.of(2, 1, 1, 2), 2)).toBeCloseTo(3, 10);
    }
    const big = toModel(parseConfig({ ...defaultTransformerConfig(), sequences: { kind: 'gaussian', count: 64, n: 8, seed: 1 }, L: 1, H: 1, record: 2 }));
    expect(lambdaSkipReason(big.heads, big.tokens, big.readout, false)).toMatch(/1024 readout outputs exceed 512/);
    const e = runNtkJob({ id: 4, kind: 'lambda', iteration: 0, heads: big.heads, tokens: big.tokens, readout: big.readout, flow: big.flow });
    expect(e.kind).toBe('error');
  });
});
