// The score-mixing page's export is the CLI's trajectory: a small run played to the end on the
// built page (SwiftShader WebGPU) and exported as npz, json and csv holds the same arrays (names,
// dtypes, shapes), the same meta.json keys (plus source: 'page') and resume as runLab of the same
// config in Node on a Node WebGPU adapter, with values equal to float32 noise; the csv has a row
// per frame and particle. A json export between recorded steps holds the frames so far and the
// state (resume_state); imported, the run continues there with those frames and ends with the
// same trajectory. Then keyboard-only atom editing: focus the picture, select an atom, move it,
// add one, delete one; the config and the URL follow each edit.

import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../../src/index';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import type { Snapshot } from '../../src/io/snapshot-types';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import type { PointSetInput } from '../../src/labs/score-mixing/types';
import { e2eSkipReason, openPage, useBrowser, waitForConfig, waitForStatus } from './harness';

const skip = e2eSkipReason();
/** Node needs a WebGPU adapter of its own for runLab's GPU run (the reference of this test). */
const nodeGpu = skip === null ? await acquireNodeGpu({ label: 'ExportTest.probe' }) : { context: null, note: 'e2e skipped' };
nodeGpu.context?.device.destroy();

/** 64 particles, 20 steps, 6 frames (steps 0, 4, 8, 12, 16, 20) of the default two-measure preset. */
const PARTICLES = 64;
const FRAMES = 6;
const SMALL = `?v=1&lab=score-mixing&particles.count=${PARTICLES}&steps=20&record=${FRAMES}&lambda=0.5`;

// Float32 noise between two WebGPU implementations of the same kernel (Chromium's SwiftShader and
// Node's Dawn adapter), the tolerance of test/gpu/score-mixing-generate.test.ts's whole runs against
// the float64 reference: each one is within ABS_TOL = 1e-4 of it (atoms in [-2, 2]^d, ~100x the
// accumulated f32 rounding) for all but MAX_FLIP_FRACTION of the particles (those a rounding
// difference tips across a basin boundary), so two GPU runs agree to 2 ABS_TOL for all but twice
// that fraction.
const ABS_TOL = 2e-4;
const MAX_FLIP_FRACTION = 0.04;

interface Config {
  mu1: PointSetInput;
  mu2: PointSetInput;
}

async function downloadPath(page: Page, testid: string): Promise<string> {
  await page.click('[data-testid=export-button]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return dl.path();
}

const download = async (page: Page, testid: string): Promise<Uint8Array> => new Uint8Array(readFileSync(await downloadPath(page, testid)));

/**
 * Float64 values from the same code in Chromium and in Node: equal up to the last bits, since the
 * two JavaScript engines' Math.pow, exp and log may round differently (seen: t_k one ulp apart).
 */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i]), `[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(b[i])));
}

/** Particles of frame f whose largest coordinate difference exceeds tol. */
function flips(a: ArrayLike<number>, b: ArrayLike<number>, f: number, d: number, tol: number): number {
  let n = 0;
  for (let p = 0; p < PARTICLES; p++) {
    let e = 0;
    for (let j = 0; j < d; j++) {
      const i = (f * PARTICLES + p) * d + j;
      e = Math.max(e, Math.abs(a[i] - b[i]));
    }
    if (!(e <= tol)) n++;
  }
  return n;
}

describe.skipIf(skip !== null || !nodeGpu.context)('score-mixing page export = runLab trajectory (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];
  let want: Snapshot;

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1000, height: 700 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('a run played to the end exports npz, json and csv equal to runLab of its config', async () => {
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    await page.evaluate(() => {
      window.__flowlab!.setSpeed(8);
      window.__flowlab!.play();
    });
    await page.waitForFunction(() => window.__flowlab!.status()?.done === true);
    const status = (await page.evaluate(() => window.__flowlab!.status()))!;
    expect(status).toMatchObject({ step: 20, steps: 20, unit: 'step' });
    expect(await page.evaluate(() => window.__flowlab!.summary())).toMatch(/nearest stable critical point/);

    const config = await page.evaluate(() => window.__flowlab!.config());
    want = await runLab('score-mixing', config, { backend: 'gpu' });

    const npz = decodeNpz(await download(page, 'export-npz'));
    const meta = npz.meta as Record<string, unknown>;
    const wantMeta = { lab: want.lab, config: want.config, ...want.meta };
    expect(Object.keys(meta).sort()).toEqual([...Object.keys(wantMeta), 'source'].sort());
    expect(meta.source).toBe('page');
    expect(meta.config).toEqual(want.config);
    for (const k of ['seed', 'particlesSeed', 'precision', 'd', 'particles', 'frames', 'recordedSteps']) expect(meta[k], k).toEqual(want.meta[k]);
    const cps = meta.criticalPoints as { a: number; b: number; value: number; regime: string }[];
    const wantCps = want.meta.criticalPoints as typeof cps;
    expect(cps.map((c) => [c.a, c.b, c.regime])).toEqual(wantCps.map((c) => [c.a, c.b, c.regime]));
    expectClose(cps.map((c) => c.value), wantCps.map((c) => c.value));
    expect(Object.keys(npz.arrays).sort()).toEqual(Object.keys(want.arrays).sort());
    for (const [k, a] of Object.entries(want.arrays)) {
      expect(npz.arrays[k].dtype, k).toBe(a.dtype);
      expect(npz.arrays[k].shape, k).toEqual(a.shape);
    }
    expect(npz.arrays.x.shape).toEqual([FRAMES, PARTICLES, 2]);
    // Times and critical points are float64 on both sides, from the same code.
    expectClose(npz.arrays.t.data, want.arrays.t.data);
    expectClose(npz.arrays.critical_points.data, want.arrays.critical_points.data);
    for (let f = 0; f < FRAMES; f++) {
      // Frame 0 is the initial draw, uploaded as f32 on both sides: equal.
      const tol = f === 0 ? 0 : ABS_TOL;
      expect(flips(npz.arrays.x.data, want.arrays.x.data, f, 2, tol), `frame ${f}`).toBeLessThanOrEqual(f === 0 ? 0 : MAX_FLIP_FRACTION * PARTICLES);
    }

    // The json file: the same arrays (bit for bit: the same export) and the CLI's resume.
    const json = parseSnapshotJson(new TextDecoder().decode(await download(page, 'export-json')));
    expect(json.resume).toEqual(want.resume);
    expect(json.arrays.resume_state).toBeUndefined();
    expect(Array.from(json.arrays.x.data)).toEqual(Array.from(npz.arrays.x.data));
    expect(Object.keys(json.meta).sort()).toEqual(Object.keys(meta).filter((k) => k !== 'lab' && k !== 'config').sort());

    // The csv: a header and one row per (frame, particle).
    const rows = new TextDecoder().decode(await download(page, 'export-csv')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(rows.length - 1).toBe(FRAMES * PARTICLES);
    expect(errors).toEqual([]);
  });

  it('a json export between recorded steps holds the frames so far and the state; imported, the run ends with the same trajectory', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    for (let i = 1; i <= 6; i++) {
      await page.evaluate(() => window.__flowlab!.step());
      await waitForStatus(page, `s.step === ${i}`);
    }
    const path = await downloadPath(page, 'export-json');
    const mid = parseSnapshotJson(readFileSync(path, 'utf8'));
    // Frames at steps 0 and 4; the state at step 6 travels in resume_state.
    expect(mid.arrays.x.shape).toEqual([2, PARTICLES, 2]);
    expect(mid.meta.recordedSteps).toEqual([0, 4]);
    expect(mid.arrays.resume_state.shape).toEqual([PARTICLES, 2]);
    expect(mid.resume).toEqual({ step: 6, t: expect.any(Number) });
    expect(flips(mid.arrays.x.data, want.arrays.x.data, 0, 2, 0)).toBe(0);
    expect(flips(mid.arrays.x.data, want.arrays.x.data, 1, 2, ABS_TOL)).toBeLessThanOrEqual(MAX_FLIP_FRACTION * PARTICLES);

    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStatus(page, 's.step === 6');
    await page.evaluate(() => window.__flowlab!.play());
    await waitForStatus(page, 's.done');
    const end = decodeNpz(await download(page, 'export-npz'));
    expect(end.arrays.x.shape).toEqual([FRAMES, PARTICLES, 2]);
    // The file's two frames are back bit for bit; the rest within the float32 tolerance.
    expect(Array.from(end.arrays.x.data.subarray(0, 2 * PARTICLES * 2))).toEqual(Array.from(mid.arrays.x.data));
    for (let f = 2; f < FRAMES; f++) expect(flips(end.arrays.x.data, want.arrays.x.data, f, 2, ABS_TOL), `frame ${f}`).toBeLessThanOrEqual(MAX_FLIP_FRACTION * PARTICLES);
    expect(errors).toEqual([]);
  });

  it('keyboard only: focus the picture, select, move, add and delete atoms; the config and URL follow', async () => {
    const urlSet = (m: 'mu1' | 'mu2'): PointSetInput => JSON.parse(Buffer.from(new URL(page.url()).searchParams.get(m)!.slice(1), 'base64url').toString('utf8')) as PointSetInput;
    const before = (await page.evaluate(() => window.__flowlab!.config())) as Config;
    expect(before.mu1.points.length).toBe(3);
    await page.focus('.score-mixing-overlay');
    expect(await page.locator('.score-mixing-overlay').getAttribute('aria-label')).toMatch(/arrow keys move/);

    await page.keyboard.press('n');
    await expect.poll(() => page.locator('.atom-selection[data-measure=mu1][data-index="0"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-control=selected-atom]').textContent()).toMatch(/^selected: mu1\[0\]/);

    // Right: x grows (y unchanged); Shift+Up: y grows (x unchanged). The shell's → (single step)
    // does not fire. (Each edit refits the view, so the step, 2% of its width, changes with it.)
    await page.keyboard.press('ArrowRight');
    const right = await waitForConfig<Config>(page, `c.mu1.points[0][0] > ${before.mu1.points[0][0]}`);
    expect(right.mu1.points[0][1]).toBe(before.mu1.points[0][1]);
    expect(right.mu1.points.slice(1)).toEqual(before.mu1.points.slice(1));
    await page.keyboard.press('Shift+ArrowUp');
    const up = await waitForConfig<Config>(page, `c.mu1.points[0][1] > ${before.mu1.points[0][1]}`);
    expect(up.mu1.points[0][0]).toBe(right.mu1.points[0][0]);
    expect((await page.evaluate(() => window.__flowlab!.status()))!.step).toBe(0);

    // a: a new atom of mu1 (the edited measure), selected; Delete removes it again.
    await page.keyboard.press('a');
    const added = await waitForConfig<Config>(page, 'c.mu1.points.length === 4');
    expect(added.mu1.points.slice(0, 3)).toEqual(up.mu1.points);
    await expect.poll(() => page.locator('[data-control=selected-atom]').textContent()).toMatch(/^selected: mu1\[3\]/);
    await page.keyboard.press('Delete');
    const removed = await waitForConfig<Config>(page, 'c.mu1.points.length === 3');
    expect(removed.mu1.points).toEqual(up.mu1.points);

    // [ from mu1[2] (the selection moved onto the new last atom) goes to mu1[1]; Backspace deletes it.
    await page.keyboard.press('[');
    await expect.poll(() => page.locator('[data-control=selected-atom]').textContent()).toMatch(/^selected: mu1\[1\]/);
    await page.keyboard.press('Backspace');
    const deleted = await waitForConfig<Config>(page, 'c.mu1.points.length === 2');
    expect(deleted.mu1.points).toEqual([up.mu1.points[0], up.mu1.points[2]]);
    expect(deleted.mu2).toEqual(before.mu2);
    await expect.poll(() => urlSet('mu1').points).toEqual(deleted.mu1.points);
    expect(errors).toEqual([]);
  });
});
