// The primal-dual page in headless Chromium (SwiftShader WebGPU): loads from URL state without
// console errors, draws trajectories and the KKT point, fills the charts (several alphas), the
// alpha slider changes the charts, the A/b editor refuses a rank-deficient A naming it and keeps
// the previous A, and the npz export holds x, lambda, energy and meta.json. Small runs only.

import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, e2eSkipReason, ensureBuilt, launch, lumaVariance, openPage, serveStatic, type StaticServer } from './harness';

const skip = e2eSkipReason();

/** 16 trajectories, t in [1, 20] with h = 0.02 (950 steps), 21 recorded frames. */
const SMALL = '?v=1&lab=primal-dual&initial.count=16&initial.spread=0.5&initial.seed=1&T=20&h=0.02&record=21';
const SHOTS = process.env.FLOWLAB_E2E_SHOTS;

async function runToEnd(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__flowlab!.setSpeed(200);
    window.__flowlab!.play();
  });
  await page.waitForFunction(() => window.__flowlab!.status()?.done === true, undefined, { timeout: 30_000 });
}

/** data-last of the feasibility chart's series, by alpha (waits for every recorded frame). */
async function feasibilitySeries(page: Page, frames = 21): Promise<Record<string, number>> {
  await page.waitForFunction(
    (f) => {
      const svg = window.__flowlab!.charts().find((c) => c.name === 'feasibility')?.svg ?? '';
      const ns = [...svg.matchAll(/data-n="(\d+)"[^>]*data-quantity="feas"/g)].map((m) => Number(m[1]));
      return ns.length > 0 && ns.every((n) => n >= f);
    },
    frames,
    { timeout: 20_000 },
  );
  const svg = await page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'feasibility')!.svg);
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/data-last="([^"]*)"[^>]*data-alpha="([^"]*)"[^>]*data-quantity="feas"/g)) out[m[2]] = Number(m[1]);
  return out;
}

describe.skipIf(skip !== null)('primal-dual page on WebGPU (SwiftShader)', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ensureBuilt();
    server = await serveStatic();
    browser = await launch(true);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, server.url + SMALL));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads from URL state on WebGPU, runs, and fills the charts for every compared alpha', async () => {
    expect(await page.evaluate(() => window.__flowlab!.lab())).toBe('primal-dual');
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 0, steps: 950, done: false });
    await runToEnd(page);
    const last = await feasibilitySeries(page);
    // alpha = 3 (the config) plus the default comparisons 4 and 8.
    expect(Object.keys(last).sort()).toEqual(['3', '4', '8']);
    for (const v of Object.values(last)) expect(v).toBeGreaterThan(0);
    const shot = decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS ? `${SHOTS}/pd-canvas.png` : undefined }));
    expect(lumaVariance(shot)).toBeGreaterThan(5);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/pd-page.png`, fullPage: true });
    const readout = await page.locator('[data-control=readout]').textContent();
    expect(readout).toMatch(/KKT residual \(float64\) = \d/);
    expect(readout).toMatch(/gyration/);
    expect(errors).toEqual([]);
  }, 40_000);

  it('the alpha slider changes the charts and the theta window', async () => {
    const before = await feasibilitySeries(page);
    expect(await page.evaluate(() => window.__flowlab!.setParam('alpha', 6))).toBe(true);
    // theta = 1/2 stays inside [1/5, 1/2]; the primary series is now alpha = 6.
    await expect.poll(() => page.locator('[data-control=theta-window-text]').textContent()).toContain('α = 6');
    await runToEnd(page);
    const after = await feasibilitySeries(page);
    expect(Object.keys(after).sort()).toEqual(['3', '4', '6', '8']);
    expect(after['6']).toBeGreaterThan(0);
    expect(after['3']).toBeCloseTo(before['3'], 5); // same problem and initial states
    expect(errors).toEqual([]);
  }, 40_000);

  it('refuses a rank-deficient A naming the problem, keeping the previous A', async () => {
    const cell = page.locator('[data-cell="A[1][0]"]');
    for (const [f, v] of [['A[1][0]', '2'], ['A[1][1]', '4'], ['A[1][2]', '-2'], ['A[1][3]', '1'], ['b[1]', '2']] as const) {
      await page.locator(`[data-cell="${f}"]`).fill(v);
    }
    await page.click('[data-control=matrix-apply]');
    await expect.poll(() => page.locator('[data-control=matrix-message]').textContent()).toMatch(/rank|dependent/i);
    expect(await cell.inputValue()).toBe('0'); // the editor shows the previous A again
    const cfg = (await page.evaluate(() => window.__flowlab!.config())) as { A: number[][] };
    expect(cfg.A[1]).toEqual([0, 1, 1, -2]);
    expect(errors).toEqual([]); // the refusal is a notice, not a console error
  }, 20_000);

  it('exports an npz with x, lambda, energy and meta.json', async () => {
    await page.click('[data-testid=export-button]');
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), page.click('[data-testid=export-npz]')]);
    const members = unzipSync(new Uint8Array(readFileSync(await dl.path())));
    expect(Object.keys(members)).toEqual(expect.arrayContaining(['x.npy', 'lambda.npy', 'energy.npy', 't.npy', 'x_star.npy', 'lambda_star.npy', 'meta.json']));
    const meta = JSON.parse(new TextDecoder().decode(members['meta.json']));
    expect(meta.lab).toBe('primal-dual');
    expect(meta.config.alpha).toBe(6);
    const header = new TextDecoder().decode(members['x.npy'].subarray(0, 128));
    expect(header).toMatch(/'shape': \(21, 16, 4\)/);
    expect(errors).toEqual([]);
  }, 30_000);
});
