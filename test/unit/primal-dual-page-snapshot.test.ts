// The primal-dual page's export builder (view/snapshot.ts pageSnapshot) on the CPU path, where
// the page runs the same float64 reference as `flowlab run --backend cpu`: after a whole run its
// snapshot equals runHeadless's exactly (names, dtypes, shapes with the batch axis of compare mode,
// every value, the meta keys and their values but timings and createdAt); part-way, it holds
// exactly the first frames of every batch. The export passes the lab's snapshot validator; page
// exports from before compare mode (separate runs named by resume.alphas) import with their alphas
// as config.compare, or are refused naming resume.alphas; and the page's memory estimate counts
// the trajectory buffers of every batch (a page budget refuses a config the CLI's accepts).

import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MemoryBudgetError } from '../../src/labs/budget';
import { primalDualLab as lab } from '../../src/labs/primal-dual';
import { runSetup } from '../../src/labs/primal-dual/config';
import { runHeadless } from '../../src/labs/primal-dual/headless';
import { stateStride } from '../../src/labs/primal-dual/simulation';
import type { PrimalDualConfig } from '../../src/labs/primal-dual/types';
import { CpuPdRun } from '../../src/labs/primal-dual/view/run-cpu';
import { createModel, type PageModel } from '../../src/labs/primal-dual/view/runs';
import { pageSnapshot, readResume } from '../../src/labs/primal-dual/view/snapshot';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import { FieldError } from '../../src/labs/schema';
import type { Snapshot } from '../../src/io/snapshot-types';

/** 12 trajectories (the CPU fallback runs at most 64), 60 steps, 7 recorded frames; alpha 3 compared with 4 and 8. */
const config = (extra: Record<string, unknown> = {}): PrimalDualConfig =>
  lab.parseConfig({ ...structuredClone(lab.defaultConfig()), compare: { key: 'alpha', values: [4, 8] }, initial: { count: 12, seed: 3, spread: 0.7 }, T: 4, h: 0.05, record: 7, ...extra });

const noEvents = { frames: () => undefined, halted: () => undefined };

async function cpuModel(cfg: PrimalDualConfig): Promise<PageModel> {
  return createModel(null, runSetup(cfg), noEvents);
}

/** Steps the run as the page's frame loop does on the CPU (every batch in lockstep). */
function advance(model: PageModel, steps: number): void {
  (model.run as CpuPdRun).advance(steps);
}

/** Meta keys whose values depend on the wall clock. */
const CLOCK = ['timings', 'createdAt'];

describe('primal-dual page snapshot (CPU path) = runHeadless', () => {
  it('a completed compared page run exports exactly what runHeadless writes, plus the page extras', async () => {
    const cfg = config();
    expect(cfg.compare).toEqual({ key: 'alpha', values: [4, 8] });
    const model = await cpuModel(cfg);
    expect(model.run).toBeInstanceOf(CpuPdRun);
    expect(model.infos.map((i) => i.label)).toEqual(['α = 3 (config)', 'α = 4', 'α = 8']);
    advance(model, Infinity);
    expect(model.run.done).toBe(true);
    const page = await pageSnapshot(model, null);
    const cli = await runHeadless(cfg, { gpu: null, backend: 'cpu-float64' });

    expect(page.config).toEqual(cli.config);
    expect(Object.keys(page.arrays).sort()).toEqual(Object.keys(cli.arrays).sort());
    for (const [name, want] of Object.entries(cli.arrays)) {
      const got = page.arrays[name];
      expect(got.dtype, name).toBe(want.dtype);
      expect(got.shape, name).toEqual(want.shape);
      expect(got.data.length, name).toBe(want.data.length);
      expect(Array.from(got.data), name).toEqual(Array.from(want.data));
    }
    expect(page.arrays.x.shape).toEqual([3, 7, 12, 4]);
    expect(page.arrays.Q.shape).toEqual([3, 7, 12, 2]);
    expect(page.arrays.energy.shape).toEqual([3, 7, 12]);
    expect(page.arrays.t.shape).toEqual([7]);

    for (const key of Object.keys(cli.meta)) expect(page.meta, `meta.${key}`).toHaveProperty(key);
    for (const [key, v] of Object.entries(cli.meta)) if (!CLOCK.includes(key)) expect(page.meta[key], `meta.${key}`).toEqual(v);
    expect(Object.keys(page.meta.timings as object)).toEqual(expect.arrayContaining(['kktMs', 'simulationMs', 'totalMs']));
    expect(page.meta).toMatchObject({ source: 'page', backend: 'cpu-float64', precision: 'float64', trajectories: 12, frames: 7 });
    expect(page.meta.compare).toEqual({ key: 'alpha', values: [3, 4, 8] });
    expect(page.meta.batches).toEqual([
      { alpha: 3, theta: 0.5, p: 0, beta: 1 },
      { alpha: 4, theta: 0.5, p: 0, beta: 1 },
      { alpha: 8, theta: 0.5, p: 0, beta: 1 },
    ]);
    expect(page.resume).toEqual({ step: 60, t: 4 });
  });

  it('without compare the export has no batch axis and no meta.compare', async () => {
    const cfg = config();
    delete cfg.compare;
    const model = await cpuModel(cfg);
    advance(model, Infinity);
    const page = await pageSnapshot(model, null);
    expect(page.arrays.x.shape).toEqual([7, 12, 4]);
    expect(page.meta).not.toHaveProperty('compare');
    expect(page.meta).not.toHaveProperty('batches');
  });

  it('part-way: the frames recorded so far of every batch, each equal to the completed run\'s', async () => {
    const cfg = config();
    const model = await cpuModel(cfg);
    advance(model, 20);
    const page = await pageSnapshot(model, null);
    const cli = await runHeadless(cfg, { gpu: null, backend: 'cpu-float64' });
    const steps = cli.meta.recordedSteps as number[];
    const F = steps.filter((k) => k <= 20).length;
    expect(F).toBeGreaterThan(1);
    expect(F).toBeLessThan(7);
    expect(page.meta).toMatchObject({ frames: F, recordedSteps: steps.slice(0, F) });
    for (const [name, want] of Object.entries(cli.arrays)) {
      const got = page.arrays[name];
      if (name === 'x_star' || name === 'lambda_star') {
        expect(got).toEqual(want);
        continue;
      }
      if (name === 't') {
        expect(Array.from(got.data)).toEqual(Array.from(want.data.subarray(0, F)));
        continue;
      }
      const [B, Fw, ...rest] = want.shape;
      expect(got.shape, name).toEqual([B, F, ...rest]);
      const per = want.data.length / (B * Fw);
      for (let b = 0; b < B; b++) {
        const gotB = Array.from(got.data.subarray(b * F * per, (b + 1) * F * per));
        expect(gotB, `${name} batch ${b}`).toEqual(Array.from(want.data.subarray(b * Fw * per, (b * Fw + F) * per)));
      }
    }
  });

  it('passes the lab\'s snapshot validator, and readResume continues at its step', async () => {
    const cfg = config();
    const model = await cpuModel(cfg);
    advance(model, 33);
    const page: Snapshot = await pageSnapshot(model, null);
    expect(validateSnapshot(page, lab).config).toEqual(cfg);
    expect(readResume(page)).toMatchObject({ step: 33, config: { compare: { key: 'alpha', values: [4, 8] } }, raw: null, recorded: null });
    // A page export of other trajectories than the config's is refused by name.
    const bad: Snapshot = { ...page, arrays: { ...page.arrays, x: { ...page.arrays.x, shape: [3, page.arrays.x.shape[1], 11, 4] } } };
    expect(() => validateSnapshot(bad, lab)).toThrow(/arrays\.x/);
    // ... and so is a batch axis that disagrees with config.compare.
    const two: Snapshot = { ...page, arrays: { ...page.arrays, x: { ...page.arrays.x, shape: [2, ...page.arrays.x.shape.slice(1)] } } };
    expect(() => validateSnapshot(two, lab)).toThrow(/arrays\.x\.shape/);
    // resume.alphas belongs to exports from before compare mode only.
    expect(() => validateSnapshot({ ...page, resume: { step: 33, alphas: [3, 4, 8] } }, lab)).toThrow(/resume\.alphas/);
  });
});

describe('page exports from before compare mode (compared alphas as separate runs)', () => {
  /** An export as the former page wrote it: the config without compare, frames of its own alpha, the states of every run. */
  async function legacy(alphas: number[], step = 20): Promise<{ snap: Snapshot; cfg: PrimalDualConfig }> {
    const cfg = config();
    delete cfg.compare;
    const full = await runHeadless(cfg, { gpu: null, backend: 'cpu-float64' });
    const S = stateStride(4, 2);
    const states = Float32Array.from({ length: alphas.length * 12 * S }, (_, i) => (i % 7) * 0.01);
    const snap: Snapshot = {
      ...full,
      arrays: { ...full.arrays, resume_state: { dtype: 'f32', shape: [alphas.length, 12, S], data: states } },
      meta: { ...full.meta, source: 'page', compareAlphas: alphas.slice(1).map((alpha) => ({ alpha, theta: 0.5 })) },
      resume: { step, t: 1 + step * 0.05, alphas },
    };
    return { snap, cfg };
  }

  it('imports with its alphas as config.compare: every batch continues from its saved state, batch 0 keeps its frames', async () => {
    const { snap, cfg } = await legacy([3, 4, 8]);
    const r = readResume(snap);
    expect(r.config).toEqual({ ...cfg, compare: { key: 'alpha', values: [4, 8] } });
    expect(r.step).toBe(20);
    expect(r.raw).toEqual(snap.arrays.resume_state.data);
    const rec = r.recorded!;
    expect(rec.batches).toBe(3);
    const cells = 7 * 12;
    expect(Array.from(rec.energy.subarray(0, cells))).toEqual(Array.from(Float32Array.from(snap.arrays.energy.data)));
    expect(Array.from(rec.x.subarray(0, cells * 4))).toEqual(Array.from(Float32Array.from(snap.arrays.x.data)));
    // The former export never held the compared runs' frames.
    expect(rec.energy.subarray(cells).every(Number.isNaN)).toBe(true);
    // One run (the config's alpha only): the config as it was.
    expect(readResume((await legacy([3])).snap).config).toEqual(cfg);
  });

  it('refused naming resume.alphas[i] when a compared alpha is outside alpha\'s range today, or when the runs disagree', async () => {
    let err: unknown;
    try {
      readResume((await legacy([3, 4, 20])).snap);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FieldError);
    expect((err as FieldError).field).toBe('resume.alphas[2]');
    expect((err as FieldError).message).toMatch(/compared alphas of a page export from before compare mode/);
    const { snap } = await legacy([3, 4, 8]);
    expect(() => readResume({ ...snap, resume: { step: 20, t: 2, alphas: [3, 4] } })).toThrow(/resume\.alphas/);
  });
});

describe('page memory', () => {
  it('the page budget counts the trajectory buffers of every batch: refused naming record and initial.count, where the CLI runs it', () => {
    // 6000 trajectories x 3 batches x 1001 frames: ~1.9 GB of recorded values in f64 (n + 2m + 5 =
    // 13 per trajectory and frame), about 2 GB for the CLI, but over an 8 GiB page budget with the
    // GPU history, the trajectory buffer and the export.
    const big = lab.parseConfig({ ...structuredClone(lab.defaultConfig()), compare: { key: 'alpha', values: [4, 8] }, initial: { count: 6000, seed: 1, spread: 1 }, record: 1001 });
    const budget = (gib: number) => ({ bytes: gib * 2 ** 30, source: 'test', raise: 'raise it in the test' });
    expect(() => checkMemoryBudget(lab, big, budget(8))).not.toThrow();
    let err: unknown;
    try {
      checkMemoryBudget(lab, big, budget(8), { page: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as MemoryBudgetError).field).toBe('record');
    expect((err as MemoryBudgetError).message).toMatch(/record: 1001 \(with initial\.count = 6000, A = 2 x 4/);
    const page = lab.memoryEstimate(big, { page: true }).parts.page;
    // At least the trajectory buffer (f32 state of every trajectory of every batch per frame) and the f32 frames.
    expect(page).toBeGreaterThan(3 * 4 * 1001 * 6000 * (22 + 13));
    // A third of it without compare.
    const single = lab.parseConfig({ ...structuredClone(big), compare: undefined });
    expect(lab.memoryEstimate(single, { page: true }).parts.page).toBeLessThan(page / 2.5);
  });
});
