// The primal-dual page's export against `flowlab run` (the library's runLab) of the same config:
// a small run in headless Chromium (SwiftShader WebGPU) at 1280 x 800, played to T, exported as
// .npz, .json and .csv; runLab runs the same config in Node (on the Node WebGPU adapter when there
// is one, test/gpu/harness.ts, else on the float64 CPU reference). The exports must hold every
// array of runLab's snapshot with the same name, dtype and shape, every meta key of it, values
// within float32 noise, and one csv row per frame and trajectory. The page opens comparing alpha 3
// with 4 and 8 (config.compare in the link): one batched run, so every per-run array has the
// batch axis (3, frames, trajectories, ...), meta.compare and meta.batches name the batches, and
// the csv has batch and alpha columns.
//
// Error model (test/gpu/primal-dual.test.ts): a GPU run differs from the float64 reference by at
// most STATE_TOL = 1e-4 in x, lambda, ||Ax - b|| and Q, DIAG_REL = 1e-4 relative (+ 1e-6) in E,
// G and f - f*, and 1e-5 + 1e-4 |E| in the identity defect, over a few hundred steps of an O(1)
// state (here 100 steps, spread 0.5). Two f32 runs (the page's and Node's) then differ by at most
// twice that; against the float64 reference (no Node adapter) once.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../../src/index';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import type { NdArray, Snapshot } from '../../src/io/snapshot-types';
import { acquireTestGpu } from '../gpu/harness';
import { e2eSkipReason, HANG_MS, openPage, useBrowser, waitForFrames, waitForStatus } from './harness';

const skip = e2eSkipReason();
const node = skip === null ? await acquireTestGpu() : null;

/** 16 trajectories, t in [1, 3] with h = 0.02 (100 steps), 9 recorded frames. */
// Compared with alpha 4 and 8 (config.compare; the presets compare nothing).
const SMALL = '?v=1&lab=primal-dual&initial.count=16&initial.spread=0.5&initial.seed=2&T=3&h=0.02&record=9&compare=~eyJrZXkiOiJhbHBoYSIsInZhbHVlcyI6WzQsOF19';
const FRAMES = 9;
const COUNT = 16;
const BATCHES = 3;

const STATE_TOL = 1e-4;
const DIAG_REL = 1e-4;
const DIAG_ABS = 1e-6;

async function download(page: Page, testid: string): Promise<Buffer> {
  await page.click('[data-testid=export-button]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return readFileSync(await dl.path());
}

/** Worst |got - want| / tol(i) over an array (NaN counts as infinitely far). */
function worstRatio(got: ArrayLike<number>, want: ArrayLike<number>, tol: (i: number) => number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i] - want[i]) / tol(i);
    worst = Number.isNaN(r) ? Infinity : Math.max(worst, r);
  }
  return worst;
}

describe.skipIf(skip !== null)('primal-dual page export = runLab of the same config', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];
  let config: unknown;
  let want: Snapshot;
  /** How many f32 runs stand between the two sides: 2 (page and Node GPU) or 1 (page vs float64). */
  let factor: number;

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('plays to T; status: steps of the whole run, and a summary sentence with the key metric', async () => {
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    await page.evaluate(() => {
      window.__flowlab!.setSpeed(64);
      window.__flowlab!.play();
    });
    await waitForStatus(page, 's.done === true');
    // The summary follows the charts' diagnostics, which come back after the steps are done.
    await expect.poll(() => page.evaluate(() => window.__flowlab!.summary() ?? ''), { timeout: HANG_MS }).toMatch(/^t = 3\.00:/);
    const s = await page.evaluate(() => window.__flowlab!.status()!);
    expect(s).toMatchObject({ step: 100, steps: 100, done: true, unit: 'step' });
    expect(await page.evaluate(() => window.__flowlab!.summary())).toMatch(
      /^t = 3\.00: median gap \S+, t²-weighted gap \S+ \(max over \[t\/2, t\]\), 16 trajectories; compared with α = 4, α = 8 in the charts$/,
    );
    config = await page.evaluate(() => window.__flowlab!.config());
    factor = node?.gpu ? 2 : 1;
    want = await runLab('primal-dual', config, { backend: node?.gpu ? 'gpu' : 'cpu' });
    expect(want.meta.trajectories).toBe(COUNT);
    expect(want.meta.compare).toEqual({ key: 'alpha', values: [3, 4, 8] });
    console.log(`page vs runLab on ${String(want.meta.backend)} (${String(want.meta.adapter)}): tolerances x ${factor}`);
  });

  /** Names, dtypes, shapes and values of `got` against runLab's snapshot. */
  function expectSameArrays(got: Record<string, NdArray>, what: string): void {
    for (const [name, w] of Object.entries(want.arrays)) {
      const g = got[name];
      expect(g, `${what}: array ${name}`).toBeDefined();
      // The float64 reference (no Node adapter) writes f64 where a GPU run writes f32.
      const dtype = factor === 2 || ['t', 'x_star', 'lambda_star'].includes(name) ? w.dtype : 'f32';
      expect(g.dtype, `${what}: ${name} dtype`).toBe(dtype);
      expect(g.shape, `${what}: ${name} shape`).toEqual(w.shape);
    }
    expect(got.x.shape).toEqual([BATCHES, FRAMES, COUNT, 4]);
    expect(Array.from(got.t.data)).toEqual(Array.from(want.arrays.t.data));
    // The float64 KKT solve runs in Chromium's and Node's JavaScript engines, whose Math functions
    // may differ in the last bits: equal to 1e-12.
    for (const name of ['x_star', 'lambda_star']) {
      expect(worstRatio(got[name].data, want.arrays[name].data, () => 1e-12), `${what}: ${name}`).toBeLessThanOrEqual(1);
    }
    const E = want.arrays.energy.data;
    const rel = (w: ArrayLike<number>) => (i: number) => factor * (DIAG_REL * Math.abs(w[i]) + DIAG_ABS);
    const tolerances: Record<string, (i: number) => number> = {
      x: () => factor * STATE_TOL,
      lambda: () => factor * STATE_TOL,
      feasibility: () => factor * STATE_TOL,
      Q: () => factor * STATE_TOL,
      energy: rel(E),
      gap: rel(want.arrays.gap.data),
      objective: rel(want.arrays.objective.data),
      defect: (i) => factor * (1e-5 + DIAG_REL * Math.abs(E[i])),
    };
    for (const [name, tol] of Object.entries(tolerances)) {
      expect(worstRatio(got[name].data, want.arrays[name].data, tol), `${what}: ${name}, worst |page - runLab| / tolerance`).toBeLessThanOrEqual(1);
    }
  }

  it('.npz: every array of runLab with its dtype and shape, values within float32 noise, every meta key', async () => {
    const { arrays, meta } = decodeNpz(new Uint8Array(await download(page, 'export-npz')));
    expectSameArrays(arrays, 'npz');
    const m = meta as Record<string, unknown>;
    for (const key of Object.keys(want.meta)) expect(m, `npz meta.${key}`).toHaveProperty(key);
    for (const key of ['n', 'm', 'trajectories', 'frames', 'steps', 'hUsed', 'recordedSteps', 'seed', 'sigmaMax', 'thetaWindow', 'pMax', 'xi', 'insideWindow', 'compare', 'batches']) {
      expect(m[key], `meta.${key}`).toEqual(want.meta[key]);
    }
    expect(Object.keys(m.kkt as object).sort()).toEqual(Object.keys(want.meta.kkt as object).sort());
    expect(m).toMatchObject({ lab: 'primal-dual', source: 'page', precision: 'float32', frames: FRAMES, trajectories: COUNT });
    expect(m.backend).toMatch(/^webgpu/);
    expect(m.config).toEqual(config);
    expect(errors).toEqual([]);
  });

  it('.json: the same arrays and meta; imported again, the next export holds the same frames', async () => {
    const file = await download(page, 'export-json');
    const snap = parseSnapshotJson(file.toString('utf8'));
    expectSameArrays(snap.arrays, 'json');
    for (const key of Object.keys(want.meta)) expect(snap.meta, `json meta.${key}`).toHaveProperty(key);
    expect(snap.arrays.resume_state.shape.slice(0, 2)).toEqual([BATCHES, COUNT]);
    expect(snap.resume).toMatchObject({ step: 100, t: 3 });

    // The import continues at step 100 from resume_state (every batch); the frames before it come
    // from the file (the new run's trajectory buffers never held them), the last one is recorded again.
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    const path = join(mkdtempSync(join(tmpdir(), 'flowlab-pd-export-')), 'run.json');
    writeFileSync(path, file);
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStatus(page, 's.step === 100 && s.done');
    await waitForFrames(page, 2);
    const again = decodeNpz(new Uint8Array(await download(page, 'export-npz'))).arrays;
    for (const [name, a] of Object.entries(snap.arrays)) {
      if (name === 'resume_state') continue;
      expect(again[name].shape, name).toEqual(a.shape);
      expect(Array.from(again[name].data), name).toEqual(Array.from(a.data));
    }
    expect(errors).toEqual([]);
  });

  it('.csv: one row per batch, frame and trajectory, with the batch and its alpha, x as exported', async () => {
    const lines = (await download(page, 'export-csv')).toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('batch,alpha,frame,t,particle,x0,x1,x2,x3');
    expect(lines.length - 1).toBe(BATCHES * FRAMES * COUNT);
    const last = lines.at(-1)!.split(',').map(Number);
    expect(last.slice(0, 5)).toEqual([BATCHES - 1, 8, FRAMES - 1, 3, COUNT - 1]);
    const x = want.arrays.x.data;
    const at = (((BATCHES - 1) * FRAMES + FRAMES - 1) * COUNT + COUNT - 1) * 4;
    for (let j = 0; j < 4; j++) expect(Math.abs(last[5 + j] - x[at + j])).toBeLessThanOrEqual(factor * STATE_TOL);
    expect(errors).toEqual([]);
  });
});
