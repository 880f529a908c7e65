// The built page in headless Chromium (SwiftShader WebGPU): load, run controls, the λ slider,
// URL round-trip, bad links, exports (npz, json, PNG), json import, device loss, and the
// no-WebGPU page with its CPU fallback. Small runs via URL state keep this quick on 2 cores.

import { readFileSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addTestStyle, waitForFrames, waitForStatus, decodePng, diffFraction, e2eSkipReason, lumaVariance, openPage, useBrowser, withoutWebGpu, type Image } from './harness';

const skip = e2eSkipReason();

/** A small run: few particles, few steps (SwiftShader is a CPU). */
const SMALL = '?v=1&lab=score-mixing&particles.count=256&steps=40&record=11&lambda=0.5';
const VIEWPORT = { width: 1280, height: 800 };
/** Hide what changes with every frame but is not the simulation (HUD text, hints). */
const QUIET_CSS = 'body:not(.show-notices) .notices, .hud, .start-hint { visibility: hidden !important; }';

async function status(page: Page) {
  return page.evaluate(() => window.__flowlab!.status()!);
}

async function waitForStep(page: Page, predicate: string): Promise<void> {
  await waitForStatus(page, predicate);
}

/** Let a few animation frames pass (the page draws in rAF). */
async function frames(page: Page, n = 4): Promise<void> {
  await waitForFrames(page, n);
}

/** The canvas region as on screen (overlay included); FLOWLAB_E2E_SHOTS=dir also saves it as `name`. */
async function canvasShot(page: Page, name?: string) {
  const path = name && process.env.FLOWLAB_E2E_SHOTS ? `${process.env.FLOWLAB_E2E_SHOTS}/${name}` : undefined;
  return decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path }));
}

/** Fraction of the pixels within `radius` of (cx, cy) that pass `test`. */
function markerFraction(img: Image, cx: number, cy: number, radius: number, test: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  let hit = 0;
  for (let y = Math.floor(cy - radius); y <= Math.ceil(cy + radius); y++) {
    for (let x = Math.floor(cx - radius); x <= Math.ceil(cx + radius); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > radius * radius || x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      const o = 4 * (y * img.width + x);
      n++;
      if (test(img.rgba[o], img.rgba[o + 1], img.rgba[o + 2])) hit++;
    }
  }
  return n === 0 ? 0 : hit / n;
}

async function download(page: Page, testid: string) {
  await page.click('[data-testid=export-button]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  const path = await dl.path();
  return { name: dl.suggestedFilename(), path, bytes: new Uint8Array(readFileSync(path)) };
}

describe.skipIf(skip !== null)('Flowlab page on WebGPU (SwiftShader)', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
    await addTestStyle(page, QUIET_CSS);
  });

  it('loads without console errors, on WebGPU, with a non-blank canvas', async () => {
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    const s = await status(page);
    expect(s).toMatchObject({ step: 0, steps: 40, done: false });
    await frames(page, 2);
    const img = await canvasShot(page);
    expect(img.width).toBeGreaterThan(100);
    expect(lumaVariance(img)).toBeGreaterThan(5);
    await expect.poll(() => page.locator('.hud').textContent()).toContain('step 0 / 40');
    expect(errors).toEqual([]);
  });

  it('single step, play, pause and reset work', async () => {
    await page.click('[data-testid=step]');
    await waitForStep(page, 's.step === 1');
    await page.keyboard.press('Space');
    await waitForStep(page, 's.step >= 6');
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => window.__flowlab!.playing())).toBe(false);
    // GPU pass timings (timestamp queries) reach status() and the HUD when the adapter has them.
    const timestamps = await page.evaluate(async () => (await navigator.gpu.requestAdapter())?.features.has('timestamp-query') ?? false);
    if (timestamps) {
      await expect.poll(async () => (await status(page)).passMs?.generate ?? 0).toBeGreaterThan(0);
      expect((await status(page)).passMs?.project).toBeGreaterThan(0);
      await expect.poll(() => page.locator('.hud [data-hud=passes]').textContent()).toMatch(/GPU .*generate [\d.]+ ms/);
    } else expect((await status(page)).passMs).toBeUndefined();
    const paused = (await status(page)).step;
    await frames(page, 4);
    expect((await status(page)).step).toBe(paused);
    await page.click('[data-testid=reset]');
    await waitForStep(page, 's.step === 0');
    expect((await status(page)).t).toBeCloseTo(1, 12);
  });

  it('moving the λ slider changes the config, the URL, the field and the particles', async () => {
    const runTo = async (k: number) => {
      await page.evaluate(() => window.__flowlab!.reset());
      for (let i = 0; i < k; i++) await page.evaluate(() => window.__flowlab!.step());
      await waitForStep(page, `s.step === ${k}`);
      await frames(page, 3);
    };
    await runTo(8);
    const before = await canvasShot(page);
    const xBefore = await page.evaluate(async () => Array.from((await window.__flowlab!.snapshot()).x ?? []));

    // Click on the λ slider at 15 % of its width: λ = 1.5 (range 0 – 10).
    const slider = page.locator('[data-param="lambda"] .lil-slider');
    const box = (await slider.boundingBox())!;
    await page.mouse.click(box.x + 0.15 * box.width, box.y + box.height / 2);
    await page.waitForFunction(() => (window.__flowlab!.config() as { lambda: number }).lambda !== 0.5);
    const lambda = (await page.evaluate(() => window.__flowlab!.config())) as { lambda: number };
    expect(lambda.lambda).toBeGreaterThan(1.2);
    expect(lambda.lambda).toBeLessThan(1.8);
    await page.waitForFunction((l) => location.search.includes(`lambda=${l}`), lambda.lambda);

    await runTo(8);
    const after = await canvasShot(page);
    const xAfter = await page.evaluate(async () => Array.from((await window.__flowlab!.snapshot()).x ?? []));
    expect(diffFraction(before, after)).toBeGreaterThan(0.01);
    expect(xAfter.length).toBeGreaterThan(0);
    expect(xAfter).not.toEqual(xBefore);
  });

  it('the URL round-trips: reloading the link gives the same config', async () => {
    await page.evaluate(() => window.__flowlab!.setParam('seed', 12345));
    await page.evaluate(() => window.__flowlab!.setParam('tMin', 0.00123));
    await page.waitForFunction(() => location.search.includes('seed=12345') && location.search.includes('tMin=0.00123'));
    const config = await page.evaluate(() => window.__flowlab!.config());
    const url = page.url();
    expect(url).toContain('v=1');
    const second = await openPage(context, url);
    expect(await second.page.evaluate(() => window.__flowlab!.config())).toEqual(config);
    expect(second.errors).toEqual([]);
    await second.page.close();
  });

  it('a link with a bad field keeps the valid ones and names the rejected one', async () => {
    const { page: p } = await openPage(context, `${shared.server.url}?v=1&lab=score-mixing&particles.count=128&steps=30&record=7&lambda=99`);
    const cfg = (await p.evaluate(() => window.__flowlab!.config())) as { lambda: number; steps: number; particles: { count: number } };
    expect(cfg.steps).toBe(30);
    expect(cfg.particles.count).toBe(128);
    expect(cfg.lambda).toBe(0.5);
    const notice = p.locator('.notice-error').first();
    await expect.poll(() => notice.textContent()).toMatch(/lambda.*99.*\[0, 10\]/);
    await p.close();
  });

  it('exports a valid .npz (x.npy, t.npy, meta.json)', async () => {
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStep(page, 's.step >= 1');
    const { name, bytes } = await download(page, 'export-npz');
    expect(name).toMatch(/^score-mixing-.*\.npz$/);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x50, 0x4b, 0x03, 0x04]);
    const members = unzipSync(bytes);
    expect(Object.keys(members)).toEqual(expect.arrayContaining(['x.npy', 't.npy', 'meta.json']));
    expect(String.fromCharCode(...members['x.npy'].subarray(1, 6))).toBe('NUMPY');
    const meta = JSON.parse(new TextDecoder().decode(members['meta.json']));
    expect(meta.lab).toBe('score-mixing');
    expect(meta.config.lambda).toBeDefined();
  });

  it('exports the picture as seen (canvas + SVG overlay) as PNG', async () => {
    // The colour map arrives asynchronously (contours are drawn with it): wait until it is there
    // and the picture has stopped changing, so the export and the screenshots show the same thing.
    await page.waitForFunction(() => document.querySelectorAll('.score-mixing-overlay .contours path').length > 0);
    await expect.poll(async () => {
      const a = await canvasShot(page);
      await frames(page, 1);
      return diffFraction(a, await canvasShot(page), 24);
    }).toBeLessThan(0.001);
    const { name, bytes } = await download(page, 'export-png');
    expect(name).toMatch(/\.png$/);
    if (process.env.FLOWLAB_E2E_SHOTS) writeFileSync(`${process.env.FLOWLAB_E2E_SHOTS}/export.png`, bytes);
    const img = decodePng(bytes);
    expect(lumaVariance(img)).toBeGreaterThan(5);
    // The page is paused: what is on screen now is what was exported (the HUD is hidden).
    const shown = await canvasShot(page, 'export-screen.png');
    const showOverlay = await addTestStyle(page, '.overlay { visibility: hidden !important; }');
    await frames(page, 1);
    const bare = await canvasShot(page, 'export-bare.png');
    await showOverlay();
    expect([img.width, img.height]).toEqual([shown.width, shown.height]); // devicePixelRatio 1
    const toScreen = diffFraction(img, shown, 24);
    const toBare = diffFraction(img, bare, 24);
    expect(toScreen, 'PNG vs the canvas region on screen').toBeLessThan(0.01);
    expect(toBare, 'PNG vs the canvas alone: the overlay must show').toBeGreaterThan(Math.max(0.02, 5 * toScreen));
    // An atom marker of mu1 (fill #ff6b5a, opacity 0.85): most pixels inside it are that red. The
    // atom farthest from any critical-point star, so no star covers it.
    const atom = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=main-canvas]')!.getBoundingClientRect();
      const centre = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { x: r.x + r.width / 2 - c.x, y: r.y + r.height / 2 - c.y, r: r.width / 2 };
      };
      const cps = Array.from(document.querySelectorAll('.score-mixing-overlay .cp'), centre);
      const atoms = Array.from(document.querySelectorAll('.score-mixing-overlay .atom[data-measure=mu1]'), centre);
      const clearance = (a: { x: number; y: number }) => Math.min(Infinity, ...cps.map((p) => Math.hypot(p.x - a.x, p.y - a.y)));
      return atoms.sort((a, b) => clearance(b) - clearance(a))[0];
    });
    const red = markerFraction(img, atom.x, atom.y, atom.r - 2, (r, g, b) => r > 200 && r - g > 70 && r - b > 80);
    expect(red, `mu1 marker colour around (${atom.x.toFixed(0)}, ${atom.y.toFixed(0)})`).toBeGreaterThan(0.6);
    expect(markerFraction(bare, atom.x, atom.y, atom.r - 2, (r, g, b) => r > 200 && r - g > 70 && r - b > 80)).toBeLessThan(0.2);
  });

  it('a json snapshot restores and continues the run', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    for (let i = 0; i < 5; i++) await page.evaluate(() => window.__flowlab!.step());
    await waitForStep(page, 's.step === 5');
    const saved = await status(page);
    const { path } = await download(page, 'export-json');
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStep(page, 's.step === 0');
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStep(page, 's.step === 5');
    expect((await status(page)).t).toBe(saved.t);
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStep(page, 's.step === 6');
  });

  it('a preset replaces the config but the previous run stays one Undo / Back away', async () => {
    const before = await page.evaluate(() => window.__flowlab!.config());
    await page.evaluate(() => document.body.classList.add('show-notices'));
    await page.selectOption('[data-testid=preset-select]', 'guidance-subset');
    await page.waitForFunction(() => (window.__flowlab!.config() as { lambda: number }).lambda === 3);
    await page.waitForFunction(() => location.search.includes('lambda=3'));
    const undo = page.locator('.notice .notice-action', { hasText: 'Undo' });
    await undo.click();
    await page.waitForFunction((l) => (window.__flowlab!.config() as { lambda: number }).lambda === l, (before as { lambda: number }).lambda);
    expect(await page.evaluate(() => window.__flowlab!.config())).toEqual(before);
    await page.evaluate(() => document.body.classList.remove('show-notices'));
  });

  it('recovers from a lost GPU device', async () => {
    await page.evaluate(() => window.__flowlab!.loseDevice());
    await page.waitForFunction(() => window.__flowlab!.notices().some((n) => /restored on a new device/.test(n.text)));
    const k = (await status(page)).step;
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStep(page, `s.step === ${k + 1} || s.done`);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
  });
});

describe.skipIf(skip !== null)('Flowlab page without WebGPU', () => {
  const shared = useBrowser(false);

  it('explains why and what to enable, and runs the CPU float64 fallback', async () => {
    const context = await withoutWebGpu(await shared.browser.newContext({ viewport: VIEWPORT }));
    const { page, errors } = await openPage(context, shared.server.url + SMALL);
    const card = page.locator('.webgpu-missing');
    await expect.poll(() => card.isVisible()).toBe(true);
    expect(await card.textContent()).toMatch(/WebGPU is not available.*navigator\.gpu is missing.*enable-unsafe-webgpu/s);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toBe('cpu-float64');
    await page.click('[data-testid=play]');
    await waitForStep(page, 's.step >= 3');
    await page.keyboard.press('Space');
    await expect.poll(() => page.locator('.hud').textContent()).toContain('CPU float64');
    await page.screenshot({ path: process.env.FLOWLAB_E2E_SHOTS ? `${process.env.FLOWLAB_E2E_SHOTS}/no-webgpu.png` : undefined });
    expect(errors).toEqual([]);
    await context.close();
  });
});
