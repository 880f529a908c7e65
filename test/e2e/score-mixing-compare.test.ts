// Compare mode on the score-mixing page (SwiftShader WebGPU, a small run): a link with
// config.compare (lambda 0.5 from the link, compared with 2.5) runs both batches in one GPU
// simulation to the end; the distance chart overlays one series per batch with a legend naming each
// lambda and its fitted slope, the lambda chart marks both, the picture draws both batches'
// particles in their colours, the summary names both slopes; the URL carries compare and the
// shell's compare control shows it; axe finds nothing serious. The npz export equals runLab of the
// same config on the Node GPU (names, dtypes, shapes, meta keys; values within float32 noise). A
// json export part-way imports and continues to the end. A bad value typed in the compare control
// is named (compare.values[0]) and the previous state stays; a good one applies and Off ends it.
// Without WebGPU the same link runs the float64 reference per batch, drawn in the same colours, and
// exports the same batch-major arrays in float64.

import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../../src/index';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import type { Snapshot } from '../../src/io/snapshot-types';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import { SampleSchedule } from '../../src/labs/score-mixing/view/sample-schedule';
import { addTestStyle, axeViolations, decodePng, e2eSkipReason, openPage, useBrowser, waitForConfig, waitForStatus, withoutWebGpu, type Image } from './harness';

const skip = e2eSkipReason();
/** Node needs a WebGPU adapter of its own for runLab's GPU run (the reference of this test). */
const nodeGpu = skip === null ? await acquireNodeGpu({ label: 'CompareTest.probe' }) : { context: null, note: 'e2e skipped' };
nodeGpu.context?.device.destroy();

/** 64 particles per batch, 20 steps, 6 frames; lambda 0.5 (the config) compared with 2.5. */
const PARTICLES = 64;
const FRAMES = 6;
const STEPS = 20;
const COMPARE = { key: 'lambda', values: [2.5] };
const SMALL = `?v=1&lab=score-mixing&particles.count=${PARTICLES}&steps=${STEPS}&record=${FRAMES}&lambda=0.5&compare=~${Buffer.from(JSON.stringify(COMPARE)).toString('base64url')}`;

// Float32 noise between Chromium's SwiftShader and Node's Dawn adapter running the same kernel
// (as test/e2e/score-mixing-export.test.ts): within 2e-4 for all but 8% of a frame's particles
// (those a rounding difference tips across a basin boundary).
const ABS_TOL = 2e-4;
const SHOTS = process.env.FLOWLAB_E2E_SHOTS;
const MAX_FLIP_FRACTION = 0.08;

interface LegendEntry {
  batch: number;
  lambda: number;
  samples: number;
  text: string;
}

async function downloadPath(page: Page, testid: string): Promise<string> {
  await page.click('[data-testid=export-button]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return dl.path();
}

const chartSvg = (page: Page, name: string): Promise<string> => page.evaluate((n) => window.__flowlab!.charts().find((c) => c.name === n)?.svg ?? '', name);

/** The distance chart's legend entries (compare mode), from the SVG the export menu saves. */
async function legend(page: Page): Promise<LegendEntry[]> {
  const svg = await chartSvg(page, 'distance-to-limit');
  return [...svg.matchAll(/<text class="legend-entry"[^>]*data-batch="(\d+)" data-lambda="([^"]*)"[^>]*data-samples="(\d+)"[^>]*>([^<]*)</g)].map((m) => ({
    batch: Number(m[1]),
    lambda: Number(m[2]),
    samples: Number(m[3]),
    text: m[4],
  }));
}

/** Pixels of the picture near `rgb` (each channel within tol). */
function pixelsNear(img: Image, rgb: [number, number, number], tol: number): number {
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (Math.abs(img.rgba[i] - rgb[0]) <= tol && Math.abs(img.rgba[i + 1] - rgb[1]) <= tol && Math.abs(img.rgba[i + 2] - rgb[2]) <= tol) n++;
  }
  return n;
}

/** Particles of batch b, frame f (x of shape (B, F, N, d)) whose largest coordinate difference exceeds tol. */
function flips(a: ArrayLike<number>, b: ArrayLike<number>, batch: number, f: number, tol: number): number {
  let n = 0;
  for (let p = 0; p < PARTICLES; p++) {
    let e = 0;
    for (let j = 0; j < 2; j++) {
      const i = ((batch * FRAMES + f) * PARTICLES + p) * 2 + j;
      e = Math.max(e, Math.abs(a[i] - b[i]));
    }
    if (!(e <= tol)) n++;
  }
  return n;
}

/** Equal float64 values from the same code in two JavaScript engines (last bits may differ); NaN equals NaN (padding). */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(b[i])) expect(a[i], `[${i}]`).toBeNaN();
    else expect(Math.abs(a[i] - b[i]), `[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(b[i])));
  }
}

describe.skipIf(skip !== null || !nodeGpu.context)('score-mixing compare mode on the page (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];
  let want: Snapshot;

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1100, height: 760 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('a compared link runs both lambdas to the end: legend per batch, both colours drawn, export = runLab', async () => {
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await page.evaluate(() => window.__flowlab!.config())).toMatchObject({ lambda: 0.5, compare: COMPARE });
    // The shell's control shows the link's compare.
    expect(await page.locator('.compare-key').inputValue()).toBe('lambda');
    expect(await page.locator('.compare-values').inputValue()).toBe('2.5');
    expect(new URL(page.url()).searchParams.get('compare')).toMatch(/^~/);

    await page.evaluate(() => {
      window.__flowlab!.setSpeed(4);
      window.__flowlab!.play();
    });
    await waitForStatus(page, 's.done');
    expect((await page.evaluate(() => window.__flowlab!.status()))!).toMatchObject({ step: STEPS, steps: STEPS });

    // Every scheduled sample of both batches reaches the chart; one series and legend entry each.
    const slots = new SampleSchedule(STEPS).size;
    await expect.poll(async () => (await legend(page)).map((e) => e.samples)).toEqual([slots, slots]);
    const entries = await legend(page);
    expect(entries.map((e) => [e.batch, e.lambda])).toEqual([
      [0, 0.5],
      [1, 2.5],
    ]);
    expect(entries[0].text).toMatch(/^λ = 0\.5 \(config\): /);
    expect(entries[1].text).toMatch(/^λ = 2\.5: /);
    const distance = await chartSvg(page, 'distance-to-limit');
    expect(distance.match(/class="median"/g)?.length).toBe(2);
    expect(await chartSvg(page, 'lambda-critical-points')).toMatch(/class="batch-lambda"[^>]*data-lambda="2.5"/);
    expect(await page.evaluate(() => window.__flowlab!.summary())).toMatch(/at λ = 0\.5 \(config\).*at λ = 2\.5/);

    // Both batches' particles on the picture (the overlay, notices and HUD hidden): the config's in
    // the usual cream, the compared one in Okabe-Ito vermillion.
    const restore = await addTestStyle(page, '.score-mixing-overlay, .notices, .hud, .start-hint { visibility: hidden !important; }');
    const shot = decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS ? `${SHOTS}/sm-compare-canvas.png` : undefined }));
    await restore();
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/sm-compare-page.png`, fullPage: true });
    expect(pixelsNear(shot, [255, 237, 191], 40), 'cream pixels (batch 0)').toBeGreaterThan(3);
    expect(pixelsNear(shot, [213, 94, 0], 40), 'vermillion pixels (batch 1)').toBeGreaterThan(3);
    // Stars for each batch on the overlay.
    expect(await page.locator('.score-mixing-overlay .cp').count()).toBeGreaterThan(0);
    expect(await page.locator('.score-mixing-overlay .cp-batch[data-batch="1"]').count()).toBeGreaterThan(0);

    const config = await page.evaluate(() => window.__flowlab!.config());
    want = await runLab('score-mixing', config, { backend: 'gpu' });
    const npz = decodeNpz(new Uint8Array(readFileSync(await downloadPath(page, 'export-npz'))));
    const meta = npz.meta as Record<string, unknown>;
    const wantMeta: Record<string, unknown> = { lab: want.lab, config: want.config, ...want.meta };
    expect(Object.keys(meta).sort()).toEqual([...Object.keys(wantMeta), 'source'].sort());
    for (const k of ['config', 'compare', 'seed', 'particlesSeed', 'precision', 'd', 'particles', 'frames', 'recordedSteps']) expect(meta[k], k).toEqual(wantMeta[k]);
    expect(meta.compare).toEqual({ key: 'lambda', values: [0.5, 2.5] });
    expect(Object.keys(npz.arrays).sort()).toEqual(Object.keys(want.arrays).sort());
    for (const [k, a] of Object.entries(want.arrays)) {
      expect(npz.arrays[k].dtype, k).toBe(a.dtype);
      expect(npz.arrays[k].shape, k).toEqual(a.shape);
    }
    expect(npz.arrays.x.shape).toEqual([2, FRAMES, PARTICLES, 2]);
    expectClose(npz.arrays.t.data, want.arrays.t.data);
    expectClose(npz.arrays.critical_points.data, want.arrays.critical_points.data);
    expect(Array.from(npz.arrays.critical_counts.data)).toEqual(Array.from(want.arrays.critical_counts.data));
    for (let b = 0; b < 2; b++) {
      for (let f = 0; f < FRAMES; f++) {
        // Frame 0 is the same f32 upload on both sides.
        const tol = f === 0 ? 0 : ABS_TOL;
        expect(flips(npz.arrays.x.data, want.arrays.x.data, b, f, tol), `batch ${b} frame ${f}`).toBeLessThanOrEqual(f === 0 ? 0 : MAX_FLIP_FRACTION * PARTICLES);
      }
    }
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a compared json export part-way imports and continues every batch to the end', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    for (let i = 1; i <= 6; i++) {
      await page.evaluate(() => window.__flowlab!.step());
      await waitForStatus(page, `s.step === ${i}`);
    }
    const path = await downloadPath(page, 'export-json');
    const mid = parseSnapshotJson(readFileSync(path, 'utf8'));
    // Frames at steps 0 and 4 of both batches; the state at step 6 in resume_state (B, N, d).
    expect(mid.arrays.x.shape).toEqual([2, 2, PARTICLES, 2]);
    expect(mid.arrays.resume_state.shape).toEqual([2, PARTICLES, 2]);
    expect(mid.resume).toEqual({ step: 6, t: expect.any(Number) });

    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStatus(page, 's.step === 6');
    await page.evaluate(() => window.__flowlab!.play());
    await waitForStatus(page, 's.done');
    const end = decodeNpz(new Uint8Array(readFileSync(await downloadPath(page, 'export-npz'))));
    expect(end.arrays.x.shape).toEqual([2, FRAMES, PARTICLES, 2]);
    for (let b = 0; b < 2; b++) {
      for (let f = 2; f < FRAMES; f++) expect(flips(end.arrays.x.data, want.arrays.x.data, b, f, ABS_TOL), `batch ${b} frame ${f}`).toBeLessThanOrEqual(MAX_FLIP_FRACTION * PARTICLES);
    }
    expect(errors).toEqual([]);
  });

  it('the compare control: a bad value is named and the previous state stays; a good one applies; Off ends it', async () => {
    const notices = await page.evaluate(() => window.__flowlab!.notices().length);
    await page.fill('.compare-values', '99');
    await page.click('.compare-apply');
    await expect.poll(async () => (await page.evaluate(() => window.__flowlab!.notices())).slice(notices).map((n) => n.text).join('\n')).toMatch(/compare\.values\[0\]/);
    expect(await page.evaluate(() => window.__flowlab!.config())).toMatchObject({ compare: COMPARE });
    await expect.poll(() => page.locator('.compare-values').inputValue()).toBe('2.5');

    await page.fill('.compare-values', '2.5, 0');
    await page.click('.compare-apply');
    await waitForConfig(page, 'c.compare && c.compare.values.length === 2');
    await expect.poll(async () => (await legend(page)).map((e) => e.lambda)).toEqual([0.5, 2.5, 0]);
    await expect.poll(() => Buffer.from(new URL(page.url()).searchParams.get('compare')!.slice(1), 'base64url').toString('utf8')).toBe(JSON.stringify({ key: 'lambda', values: [2.5, 0] }));

    await page.selectOption('.compare-key', '');
    await waitForConfig(page, 'c.compare === undefined');
    await expect.poll(async () => (await legend(page)).length).toBe(0);
    // One run again: the single-batch chart, waiting for samples, with no compared series (the
    // chart redraws on the next frame after the legend goes: wait for it, not for a clock).
    await expect.poll(() => chartSvg(page, 'distance-to-limit')).toContain('run to collect samples');
    const single = await chartSvg(page, 'distance-to-limit');
    expect(single).toContain('run to collect samples');
    expect(single).not.toContain('compared runs');
    expect(errors).toEqual([]);
  });
});

describe.skipIf(skip !== null)('score-mixing compare mode on the CPU fallback (no WebGPU)', () => {
  const shared = useBrowser(false);

  it('the float64 reference per batch: legend per batch, both colours on the Canvas 2D picture, batch-major f64 export', async () => {
    const context = await withoutWebGpu(await shared.browser.newContext({ viewport: { width: 1100, height: 760 }, acceptDownloads: true }));
    const { page, errors } = await openPage(context, shared.server.url + SMALL);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^cpu/);
    await page.evaluate(() => {
      window.__flowlab!.setSpeed(4);
      window.__flowlab!.play();
    });
    await waitForStatus(page, 's.done');
    const slots = new SampleSchedule(STEPS).size;
    await expect.poll(async () => (await legend(page)).map((e) => [e.lambda, e.samples])).toEqual([
      [0.5, slots],
      [2.5, slots],
    ]);
    // The "WebGPU is not available" card sits over the picture: hidden with the overlay.
    const restore = await addTestStyle(page, '.score-mixing-overlay, .webgpu-missing, .notices, .hud, .start-hint { visibility: hidden !important; }');
    const shot = decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS ? `${SHOTS}/sm-compare-cpu-canvas.png` : undefined }));
    await restore();
    expect(pixelsNear(shot, [255, 237, 191], 40), 'cream pixels (batch 0)').toBeGreaterThan(3);
    expect(pixelsNear(shot, [213, 94, 0], 40), 'vermillion pixels (batch 1)').toBeGreaterThan(3);
    const npz = decodeNpz(new Uint8Array(readFileSync(await downloadPath(page, 'export-npz'))));
    expect([npz.arrays.x.dtype, npz.arrays.x.shape]).toEqual(['f64', [2, FRAMES, PARTICLES, 2]]);
    expect(npz.arrays.critical_counts.shape).toEqual([2]);
    expect((npz.meta as Record<string, unknown>).compare).toEqual({ key: 'lambda', values: [0.5, 2.5] });
    expect(errors).toEqual([]);
    await context.close();
  });
});
