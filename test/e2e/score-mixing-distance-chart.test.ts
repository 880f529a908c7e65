// The distance-to-limit chart samples the run on a fixed schedule (view/sample-schedule.ts), not
// once per animation frame: a small run played at 32 steps per frame still delivers every
// scheduled sample, and the fitted slope over the small-t window is ~1/2 from many samples. Run on
// WebGPU (SwiftShader, GPU-resident history + async readback) and on the CPU fallback.

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSkipReason, ensureBuilt, launch, openPage, serveStatic, withoutWebGpu, type StaticServer } from './harness';

const skip = e2eSkipReason();

const STEPS = 160;
const RUN = `?v=1&lab=score-mixing&particles.count=256&steps=${STEPS}&record=11&lambda=0.5`;
const VIEWPORT = { width: 1280, height: 800 };

interface FitLabel {
  text: string;
  samples: number;
  n: number;
  slope: number;
}

/** The distance chart's fit label, from the SVG the export menu saves. */
async function fitLabel(page: Page): Promise<FitLabel | null> {
  const svg = await page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'distance-to-limit')?.svg ?? '');
  const m = /<text class="fit-label"[^>]*data-samples="(\d+)"[^>]*data-fit-n="(\d+)"[^>]*data-fit-slope="([^"]*)"[^>]*>([^<]*)</.exec(svg);
  return m ? { samples: Number(m[1]), n: Number(m[2]), slope: m[3] === '' ? NaN : Number(m[3]), text: m[4] } : null;
}

/** Play at 32 steps per frame (steps-per-frame pace at 1×, then '+' five times) to the end; returns the chart's final fit. */
async function fastRun(page: Page, shot?: string): Promise<FitLabel> {
  await page.selectOption('[data-testid=speed]', '1');
  await page.locator('[data-testid=speed]').blur();
  for (let i = 0; i < 5; i++) await page.keyboard.press('+');
  expect(await page.locator('[data-testid=speed]').inputValue()).toBe('32');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.__flowlab!.status()?.done === true);
  // Reads of the last slots may land a few frames after the last step: wait until all 96 are in.
  await expect.poll(async () => (await fitLabel(page))?.samples ?? 0).toBe(96);
  if (shot && process.env.FLOWLAB_E2E_SHOTS) {
    await page.locator('svg[data-chart=distance]').screenshot({ path: `${process.env.FLOWLAB_E2E_SHOTS}/${shot}` });
  }
  return (await fitLabel(page))!;
}

function expectHonestFit(f: FitLabel): void {
  // 96 samples evenly spaced in tau; the fit window t <= sqrt(T tMin) holds about half of them.
  expect(f.n, f.text).toBeGreaterThanOrEqual(8);
  expect(f.n, f.text).toBeLessThanOrEqual(f.samples);
  expect(Math.abs(f.slope - 0.5), f.text).toBeLessThan(0.05);
  expect(f.text).toContain(`n = ${f.n}`);
}

describe.skipIf(skip !== null)('distance chart sampling at high speed', () => {
  let server: StaticServer;
  let browsers: Browser[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await serveStatic();
  });

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await server?.close();
  });

  it('WebGPU: every scheduled sample reaches the chart; fitted slope ~1/2 from many samples', async () => {
    const browser = await launch(true);
    browsers.push(browser);
    const context = await browser.newContext({ viewport: VIEWPORT });
    const { page, errors } = await openPage(context, server.url + RUN);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    // Before the run: only the step-0 sample, so no slope is claimed.
    await expect.poll(async () => (await fitLabel(page))?.samples ?? 0).toBe(1);
    expect((await fitLabel(page))!.text).toMatch(/^fit: waiting/);
    const f = await fastRun(page, 'distance-chart-webgpu.png');
    expectHonestFit(f);
    // Reset restarts the history from step 0.
    await page.evaluate(() => window.__flowlab!.reset());
    await expect.poll(async () => (await fitLabel(page))?.samples ?? 0).toBe(1);
    expect(errors).toEqual([]);
  });

  it('CPU fallback: the same schedule', async () => {
    const browser = await launch(false);
    browsers.push(browser);
    const context = await withoutWebGpu(await browser.newContext({ viewport: VIEWPORT }));
    const { page, errors } = await openPage(context, server.url + RUN);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toBe('cpu-float64');
    const f = await fastRun(page, 'distance-chart-cpu.png');
    expectHonestFit(f);
    expect(errors).toEqual([]);
  });
});
