// The page as people open it, in every lab, at a laptop (1280 x 800), a phone (390 x 844) and the
// narrowest supported width (360 x 740): no sideways scroll; header controls that wrap without
// overlapping; the HUD and the start hint under the canvas, never over it; the Play button in
// the same place before and after the lab's lists fill in; axe-core finds no serious or critical
// violation. Plus: the HUD's rate is the completed count per second, a link from an unknown URL
// state version says what was applied, and view=embed shows the canvas and charts only.

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations, e2eSkipReason, HANG_MS, openPage, useBrowser, waitForFrames, waitForStatus } from './harness';

const skip = e2eSkipReason();

/** Small runs per lab (SwiftShader is a CPU); each opens quickly and is cheap to play. */
const LABS: Record<string, string> = {
  'score-mixing': 'v=1&lab=score-mixing&particles.count=256&steps=40&record=11',
  'primal-dual': 'v=1&lab=primal-dual',
  transformer: 'v=1&lab=transformer',
  bilevel: 'v=1&lab=bilevel&grid.n=64',
};
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
  { width: 360, height: 740 },
];

interface Box {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;

/** Bounding boxes of the visible header controls, the canvas, the HUD and the start hint. */
async function boxes(page: Page): Promise<{ header: Box[]; canvas: Box; hud: Box | null; hint: Box | null; scroll: { sw: number; cw: number } }> {
  return page.evaluate(() => {
    const box = (el: Element, name: string) => {
      const r = el.getBoundingClientRect();
      return { name, x: r.x, y: r.y, w: r.width, h: r.height };
    };
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const header = [...document.querySelectorAll('.app-header select, .app-header button, .app-header .brand')]
      .filter(visible)
      .map((el, i) => box(el, `${el.tagName.toLowerCase()}${(el as HTMLElement).dataset.testid ? `[${(el as HTMLElement).dataset.testid}]` : ''}#${i}`));
    const hud = document.querySelector('.hud');
    const hint = document.querySelector('.start-hint');
    return {
      header,
      canvas: box(document.querySelector('.canvas-wrap')!, 'canvas'),
      hud: hud && visible(hud) ? box(hud, 'hud') : null,
      hint: hint && visible(hint) ? box(hint, 'hint') : null,
      scroll: { sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth },
    };
  });
}

describe.skipIf(skip !== null)('the page at every width, in every lab', () => {
  const env = useBrowser(true);

  for (const [lab, query] of Object.entries(LABS)) {
    for (const viewport of VIEWPORTS) {
      it(`${lab} at ${viewport.width} x ${viewport.height}: no sideways scroll, no overlap, HUD under the canvas, Play stays put, axe clean`, async () => {
        const context = await env.browser.newContext({ viewport });
        const page = await context.newPage();
        page.setDefaultTimeout(HANG_MS);
        await page.goto(`${env.server.url}?${query}`);
        // The Play button as first laid out, before the lab's lists (labs, presets) are filled in.
        const play = page.locator('[data-testid=play]');
        await play.waitFor();
        const early = await play.boundingBox();
        await page.waitForFunction(() => window.__flowlab?.ready === true);
        await waitForFrames(page, 2);
        const late = await play.boundingBox();
        expect(late, 'Play is laid out').not.toBeNull();
        expect(Math.abs(late!.x - early!.x), 'Play moved sideways while the page loaded').toBeLessThanOrEqual(1);
        expect(Math.abs(late!.y - early!.y), 'Play moved down while the page loaded').toBeLessThanOrEqual(1);

        const b = await boxes(page);
        expect(b.scroll.sw, 'the page scrolls sideways').toBeLessThanOrEqual(b.scroll.cw);
        for (let i = 0; i < b.header.length; i++) {
          const r = b.header[i];
          expect(r.x >= -0.5 && r.x + r.w <= viewport.width + 0.5, `${r.name} is cut off at the side`).toBe(true);
          for (let j = i + 1; j < b.header.length; j++) expect(overlaps(r, b.header[j]), `${r.name} overlaps ${b.header[j].name}`).toBe(false);
        }
        expect(b.hud, 'the HUD is shown').not.toBeNull();
        expect(overlaps(b.hud!, b.canvas), 'the HUD covers the canvas').toBe(false);
        if (b.hint) expect(overlaps(b.hint, b.canvas), 'the start hint covers the canvas').toBe(false);

        const violations = await axeViolations(page);
        expect(violations, JSON.stringify(violations, null, 1)).toEqual([]);
        await context.close();
      });
    }
  }

  it('the HUD rate is the completed count per second over its window', async () => {
    const context = await env.browser.newContext({ viewport: VIEWPORTS[0] });
    const { page } = await openPage(context, `${env.server.url}?v=1&lab=score-mixing&particles.count=256&steps=4000&record=11`);
    // Record (time, step) at every frame in the page, as a user with a stopwatch would.
    await page.evaluate(() => {
      const w = window as unknown as { __rec: [number, number][] };
      w.__rec = [];
      const tick = (now: number) => {
        w.__rec.push([now, window.__flowlab!.status()!.step]);
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      window.__flowlab!.setSpeed(2);
      window.__flowlab!.play();
    });
    await waitForStatus(page, 's.step >= 150');
    const { hud, rate } = await page.evaluate(() => {
      const rec = (window as unknown as { __rec: [number, number][] }).__rec;
      const [t1, s1] = rec[rec.length - 1];
      const first = rec.find(([t]) => t >= t1 - 2000) ?? rec[0];
      return { hud: document.querySelector('[data-hud=rate]')!.textContent ?? '', rate: ((s1 - first[1]) / (t1 - first[0])) * 1000 };
    });
    const shown = Number(/([\d.]+) steps\/s/.exec(hud)?.[1]);
    expect(Number.isFinite(shown), `HUD rate text: ${hud}`).toBe(true);
    expect(Math.abs(shown - rate) / rate, `HUD ${shown} vs measured ${rate.toFixed(1)} steps/s`).toBeLessThanOrEqual(0.25);
    expect(await page.locator('[data-hud=step]').textContent()).toMatch(/^step \d+ \/ 4000/);
    await context.close();
  });

  it('a link from an unknown URL state version says so and what was applied', async () => {
    const context = await env.browser.newContext({ viewport: VIEWPORTS[0] });
    const { page } = await openPage(context, `${env.server.url}?v=9&lab=primal-dual&alpha=4&beta=oops`);
    const config = (await page.evaluate(() => window.__flowlab!.config())) as { alpha: number };
    expect(config.alpha).toBe(4);
    const notices = await page.evaluate(() => window.__flowlab!.notices());
    const version = notices.find((n) => n.text.includes('version "9"'));
    expect(version?.text).toContain('applied alpha=4');
    expect(version?.text).toContain('not applied: beta');
    expect(notices.some((n) => n.text.includes('"beta"'))).toBe(true);
    await context.close();
  });

  it('view=embed shows the canvas and charts only, plays, and keeps view=embed in the URL', async () => {
    const context = await env.browser.newContext({ viewport: { width: 800, height: 450 } });
    const { page } = await openPage(context, `${env.server.url}?v=1&lab=score-mixing&particles.count=256&steps=40&record=11&view=embed`);
    const shown = await page.evaluate(() => {
      const seen = (sel: string) => {
        const el = document.querySelector(sel);
        return !!el && el.getBoundingClientRect().height > 0;
      };
      return { header: seen('.app-header'), panel: seen('.panel-host'), canvas: seen('.canvas-wrap'), charts: seen('.charts'), hud: seen('.hud') };
    });
    expect(shown).toEqual({ header: false, panel: false, canvas: true, charts: true, hud: false });
    await waitForStatus(page, 's.step > 0');
    await page.evaluate(() => window.__flowlab!.setParam('lambda', 0.7));
    await expect.poll(() => page.evaluate(() => location.search), { timeout: HANG_MS }).toContain('lambda=0.7');
    expect(await page.evaluate(() => location.search)).toContain('view=embed');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.rec-dot')!).animationName)).toBe('rec-pulse');
    await context.close();

    // A viewer who asked for reduced motion gets the embedded run paused, and no CSS animation time.
    const calm = await env.browser.newContext({ viewport: { width: 800, height: 450 }, reducedMotion: 'reduce' });
    const still = await openPage(calm, `${env.server.url}?v=1&lab=score-mixing&particles.count=256&steps=40&record=11&view=embed`);
    expect(await still.page.evaluate(() => window.__flowlab!.playing())).toBe(false);
    // The recording dot is the page's one animation: it pulses normally and not here.
    expect(await still.page.evaluate(() => getComputedStyle(document.querySelector('.rec-dot')!).animationName)).toBe('none');
    await calm.close();
  });
});
