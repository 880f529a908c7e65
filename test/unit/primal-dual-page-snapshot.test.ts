// The primal-dual page's export builder (view/snapshot.ts pageSnapshot) on the CPU path, where
// the page runs the same float64 reference as `flowlab run --backend cpu`: after a whole run its
// snapshot equals runHeadless's exactly (names, dtypes, shapes, every value, the meta keys and
// their values but timings and createdAt); part-way, it holds exactly the first frames of it. The
// export passes the lab's snapshot validator, and the page's memory estimate counts the
// trajectory buffers (a page budget refuses a config the CLI's accepts, naming its drivers).

import { describe, expect, it } from 'vitest';
import { checkMemoryBudget, MemoryBudgetError } from '../../src/labs/budget';
import { primalDualLab as lab } from '../../src/labs/primal-dual';
import { runSetup } from '../../src/labs/primal-dual/config';
import { runHeadless } from '../../src/labs/primal-dual/headless';
import type { PrimalDualConfig } from '../../src/labs/primal-dual/types';
import { CpuPdRun } from '../../src/labs/primal-dual/view/run-cpu';
import { createModel, type PageModel } from '../../src/labs/primal-dual/view/runs';
import { pageSnapshot, readResume } from '../../src/labs/primal-dual/view/snapshot';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import type { Snapshot } from '../../src/io/snapshot-types';

/** 12 trajectories (the CPU fallback runs at most 64), 60 steps, 7 recorded frames. */
const config = (): PrimalDualConfig =>
  lab.parseConfig({ ...structuredClone(lab.defaultConfig()), initial: { count: 12, seed: 3, spread: 0.7 }, T: 4, h: 0.05, record: 7 });

const noEvents = { frames: () => undefined, halted: () => undefined };

async function cpuModel(cfg: PrimalDualConfig): Promise<PageModel> {
  return createModel(null, runSetup(cfg), [4, 8], noEvents);
}

/** Steps all runs as the page's frame loop does on the CPU (the primary first, the others after it). */
function advance(model: PageModel, steps: number): void {
  const runs = model.runs as CpuPdRun[];
  runs[0].advance(steps);
  for (const r of runs.slice(1)) r.advance(runs[0].k - r.k);
}

/** Meta keys whose values depend on the wall clock. */
const CLOCK = ['timings', 'createdAt'];

describe('primal-dual page snapshot (CPU path) = runHeadless', () => {
  it('a completed page run exports exactly what runHeadless writes, plus the page extras', async () => {
    const cfg = config();
    const model = await cpuModel(cfg);
    expect(model.runs.every((r) => r instanceof CpuPdRun)).toBe(true);
    advance(model, Infinity);
    expect(model.runs[0].done).toBe(true);
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
    expect(page.arrays.x.shape).toEqual([7, 12, 4]);
    expect(page.arrays.Q.shape).toEqual([7, 12, 2]);

    for (const key of Object.keys(cli.meta)) expect(page.meta, `meta.${key}`).toHaveProperty(key);
    for (const [key, v] of Object.entries(cli.meta)) if (!CLOCK.includes(key)) expect(page.meta[key], `meta.${key}`).toEqual(v);
    expect(Object.keys(page.meta.timings as object)).toEqual(expect.arrayContaining(['kktMs', 'simulationMs', 'totalMs']));
    expect(page.meta).toMatchObject({ source: 'page', backend: 'cpu-float64', precision: 'float64', trajectories: 12, frames: 7 });
    expect(page.meta.compareAlphas).toEqual([
      { alpha: 4, theta: 0.5 },
      { alpha: 8, theta: 0.5 },
    ]);
    expect(page.resume).toEqual({ step: 60, t: 4, alphas: [3, 4, 8] });
  });

  it('part-way: the frames recorded so far, each equal to the completed run\'s', async () => {
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
      expect(got.shape, name).toEqual([F, ...want.shape.slice(1)]);
      const per = want.data.length / want.shape[0];
      expect(Array.from(got.data), name).toEqual(Array.from(want.data.subarray(0, F * per)));
    }
  });

  it('passes the lab\'s snapshot validator, and readResume continues at its step', async () => {
    const cfg = config();
    const model = await cpuModel(cfg);
    advance(model, 33);
    const page: Snapshot = await pageSnapshot(model, null);
    expect(validateSnapshot(page, lab).config).toEqual(cfg);
    expect(readResume(page)).toMatchObject({ step: 33, compare: [4, 8], raws: null, recorded: null });
    // A page export of other trajectories than the config's is refused by name.
    const bad: Snapshot = { ...page, arrays: { ...page.arrays, x: { ...page.arrays.x, shape: [page.arrays.x.shape[0], 11, 4] } } };
    expect(() => validateSnapshot(bad, lab)).toThrow(/arrays\.x/);
  });

  it('the page budget counts the trajectory buffers: refused naming record and initial.count, where the CLI runs it', () => {
    // 16384 trajectories x 1001 frames: ~1.7 GB of recorded values in f64 (n + 2m + 5 = 13 per
    // trajectory and frame), over a 2 GiB page budget with the GPU history and the export; a
    // 16 GiB CLI budget accepts it.
    const big = lab.parseConfig({ ...structuredClone(lab.defaultConfig()), initial: { count: 16384, seed: 1, spread: 1 }, record: 1001 });
    const budget = (gib: number) => ({ bytes: gib * 2 ** 30, source: 'test', raise: 'raise it in the test' });
    expect(() => checkMemoryBudget(lab, big, budget(16))).not.toThrow();
    let err: unknown;
    try {
      checkMemoryBudget(lab, big, budget(2), { page: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect((err as MemoryBudgetError).field).toBe('record');
    expect((err as MemoryBudgetError).message).toMatch(/record: 1001 \(with initial\.count = 16384, A = 2 x 4/);
    const page = lab.memoryEstimate(big, { page: true }).parts.page;
    // At least the trajectory buffer (f32 state of every trajectory per frame) and the f32 frames.
    expect(page).toBeGreaterThan(4 * 1001 * 16384 * (22 + 13));
  });
});
