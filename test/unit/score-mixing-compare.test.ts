// Compare mode of score-mixing on the float64 path (src/labs/score-mixing/compare-run.ts, config,
// headless, snapshot spec, memory): config.compare parsed and refused by field, the reference run
// per batch (each batch exactly the single run of its lambda), critical points per batch
// (NaN-padded, with counts), meta.compare, the csv of a compared run, snapshot validation of the
// batch axis (a json round trip included) and the memory estimate counting the batches.

import { describe, expect, it } from 'vitest';
import { fieldErrors } from '../support/field-errors';
import { batchLambdas, parseConfig } from '../../src/labs/score-mixing/config';
import { runHeadless } from '../../src/labs/score-mixing/headless';
import { memoryEstimate } from '../../src/labs/score-mixing/memory';
import { toBatchMajor } from '../../src/labs/score-mixing/compare-run';
import { scoreMixingLab } from '../../src/labs/score-mixing';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import { exportSnapshot } from '../../src/io/export';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import { MAX_COMPARE_VALUES } from '../../src/labs/compare';
import type { Snapshot } from '../../src/io/snapshot-types';
import { runCli } from '../../src/cli/cli';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = () => ({
  mu1: { points: [[-1, 0.5], [1, 1]] },
  mu2: { points: [[-1, 0], [1, 0], [0, -2]] },
  lambda: 0.5,
  steps: 12,
  record: 3,
  particles: { count: 6, seed: 2 },
  compare: { key: 'lambda', values: [2.5, 1] } as { key: unknown; values: unknown },
});

const { withField } = fieldErrors(parseConfig, base);

describe('score-mixing config.compare', () => {
  it('is parsed, kept in the full config, and absent when not given', () => {
    const c = parseConfig(base());
    expect(c.compare).toEqual({ key: 'lambda', values: [2.5, 1] });
    expect(batchLambdas(c)).toEqual([0.5, 2.5, 1]);
    expect(parseConfig(c)).toEqual(c);
    const { compare: _, ...plain } = base();
    expect('compare' in parseConfig(plain)).toBe(false);
    expect(scoreMixingLab.compare?.keys).toEqual(['lambda']);
  });

  it('refusals name compare.key or compare.values[i]', () => {
    expect(withField((c) => (c.compare.key = 'beta')).field).toBe('compare.key');
    expect(withField((c) => (c.compare = 'lambda')).field).toBe('compare');
    expect(withField((c) => (c.compare.values = [])).field).toBe('compare.values');
    expect(withField((c) => (c.compare.values = Array.from({ length: MAX_COMPARE_VALUES + 1 }, (_, i) => i + 1))).field).toBe('compare.values');
    const range = withField((c) => (c.compare.values = [2, 11]));
    expect([range.field, range.value]).toEqual(['compare.values[1]', 11]);
    expect(range.message).toMatch(/\[0, 10\]/);
    // The config's own lambda is batch 0 already: left out of the list (compare too when nothing else is left).
    expect(parseConfig({ ...base(), compare: { key: 'lambda', values: [0.5, 2.5] } }).compare).toEqual({ key: 'lambda', values: [2.5] });
    expect(parseConfig({ ...base(), compare: { key: 'lambda', values: [0.5] } })).not.toHaveProperty('compare');
    expect(withField((c) => (c.compare.values = [2, 2])).field).toBe('compare.values[1]');
    expect(withField((c) => (c.compare.extra = 1)).field).toBe('compare.extra');
  });
});

describe('a compared run on the float64 reference', () => {
  it('x is (B, frames, N, d), every batch the single run of its lambda; critical points per batch', async () => {
    const config = parseConfig(base());
    const snap = await runHeadless(config, { backend: 'cpu-float64', gpu: null });
    expect(snap.arrays.x.shape).toEqual([3, 3, 6, 2]);
    expect(snap.arrays.x.dtype).toBe('f64');
    expect(snap.arrays.t.shape).toEqual([3]);
    expect(snap.meta.compare).toEqual({ key: 'lambda', values: [0.5, 2.5, 1] });
    expect(snap.meta.particles).toBe(6);
    const counts = snap.arrays.critical_counts;
    expect([counts.dtype, counts.shape]).toEqual(['i32', [3]]);
    const cps = snap.arrays.critical_points;
    const kmax = cps.shape[1];
    expect(cps.shape).toEqual([3, kmax, 2]);
    expect(Math.max(...counts.data)).toBe(kmax);
    const perBatch = snap.meta.criticalPoints as unknown[][];
    expect(perBatch.map((p) => p.length)).toEqual(Array.from(counts.data));
    const block = 3 * 6 * 2;
    const { compare: _, ...plain } = config;
    for (const [b, lambda] of [0.5, 2.5, 1].entries()) {
      const single = await runHeadless({ ...plain, lambda }, { backend: 'cpu-float64', gpu: null });
      expect(Array.from(snap.arrays.x.data.subarray(b * block, (b + 1) * block))).toEqual(Array.from(single.arrays.x.data));
      expect(Array.from(snap.arrays.t.data)).toEqual(Array.from(single.arrays.t.data));
      const n = counts.data[b];
      expect(n).toBe(single.arrays.critical_points.shape[0]);
      const rows = Array.from(cps.data.subarray(b * kmax * 2, (b + 1) * kmax * 2));
      expect(rows.slice(0, 2 * n)).toEqual(Array.from(single.arrays.critical_points.data));
      expect(rows.slice(2 * n).every(Number.isNaN)).toBe(true);
    }
    // Guidance (2.5) and the mixture (0.5) end in different places.
    expect(Array.from(snap.arrays.x.data.subarray(0, block))).not.toEqual(Array.from(snap.arrays.x.data.subarray(block, 2 * block)));
  });

  it('the csv carries batch and lambda columns; the json round trip validates and keeps the batch axis', async () => {
    const snap = await runHeadless(parseConfig(base()), { backend: 'cpu-float64', gpu: null });
    const lines = new TextDecoder().decode(exportSnapshot(snap, 'csv')).trim().split('\n');
    expect(lines[0]).toBe('batch,lambda,frame,t,particle,x0,x1');
    expect(lines.length).toBe(1 + 3 * 3 * 6);
    expect(lines[1].startsWith('0,0.5,0,')).toBe(true);
    expect(lines[lines.length - 1].startsWith('2,1,2,')).toBe(true);
    const back = parseSnapshotJson(new TextDecoder().decode(exportSnapshot(snap, 'json')));
    const valid = validateSnapshot(back, scoreMixingLab);
    expect(valid.arrays.x.shape).toEqual([3, 3, 6, 2]);
    expect(valid.config.compare).toEqual({ key: 'lambda', values: [2.5, 1] });
  });

  it('snapshot validation refuses a wrong batch axis and a single-run x for a compared config', async () => {
    const snap = await runHeadless(parseConfig(base()), { backend: 'cpu-float64', gpu: null });
    const x = snap.arrays.x;
    const withX = (shape: number[], data = x.data): Snapshot => ({ ...snap, arrays: { ...snap.arrays, x: { ...x, shape, data } } });
    expect(() => validateSnapshot(withX([2, 3, 6, 2], x.data.subarray(0, 2 * 36)), scoreMixingLab)).toThrow(/batches/);
    expect(() => validateSnapshot(withX([3, 6, 2], x.data.subarray(0, 36)), scoreMixingLab)).toThrow(/arrays\.x/);
    const { compare: _, ...plain } = snap.config as Record<string, unknown>;
    expect(() => validateSnapshot({ ...snap, config: plain }, scoreMixingLab)).toThrow(/arrays\.(x|critical_counts)/);
  });
});

describe('flowlab run of a compared config (in-process, CPU)', () => {
  it('writes the batch axis to the npz and refuses a compared value out of range by field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlab-sm-compare-'));
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify(base()));
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((stderr += s), true) }, env: { ...process.env, FLOWLAB_BACKEND: 'cpu' } };
    expect(await runCli(['run', 'score-mixing', '--config', join(dir, 'cfg.json'), '--out', join(dir, 'run.json')], io)).toBe(0);
    const snap = parseSnapshotJson(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(snap.arrays.x.shape).toEqual([3, 3, 6, 2]);
    expect(snap.arrays.critical_counts.shape).toEqual([3]);
    expect(snap.meta.compare).toEqual({ key: 'lambda', values: [0.5, 2.5, 1] });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...base(), compare: { key: 'lambda', values: [-1] } }));
    expect(await runCli(['run', 'score-mixing', '--config', join(dir, 'bad.json'), '--out', join(dir, 'bad.npz')], io)).toBe(2);
    expect(stderr).toMatch(/compare\.values\[0\]: got -1/);
  });
});

describe('compare mode helpers and the memory estimate', () => {
  it('toBatchMajor turns (frames, B, N, d) into (B, frames, N, d)', () => {
    // frames 2, B 2, frame size 3: value = 100 f + 10 b + i
    const x = Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    expect(Array.from(toBatchMajor(x, 2, 2, 3))).toEqual([0, 1, 2, 100, 101, 102, 10, 11, 12, 110, 111, 112]);
    expect(toBatchMajor(x, 2, 1, 6)).toBe(x);
  });

  it('counts every batch and names compare.values among the drivers', () => {
    const config = parseConfig({ ...base(), particles: { count: 100000, seed: 1 }, steps: 100, record: 50 });
    const { compare: _, ...plain } = config;
    const one = memoryEstimate(plain);
    const three = memoryEstimate(config);
    expect(three.parts.recorded).toBeGreaterThan(2.9 * one.parts.recorded);
    expect(three.parts.gpu).toBeGreaterThan(2.9 * one.parts.gpu);
    expect(three.drivers).toContain('compare.values');
    expect(one.drivers).not.toContain('compare.values');
  });
});
