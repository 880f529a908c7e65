// A run with the keyboard only, as a user without a mouse does it: Tab to a parameter, type a
// value, Tab back to Play, run, open the Export menu with Enter, arrow to .npz, Enter. Also: every
// control Tab reaches has an accessible name, and the log-scale parameters (T, t_min) are reached.

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2eSkipReason, openPage, useBrowser, waitForConfig, waitForStatus } from './harness';

const skip = e2eSkipReason();

interface Focused {
  tag: string;
  testid: string | null;
  param: string | null;
  name: string;
}

/** What has focus: its tag, test id, the panel parameter it belongs to, and its accessible name (roughly). */
async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'body', testid: null, param: null, name: '' };
    const labelled = el.getAttribute('aria-labelledby');
    const byId = labelled ? labelled.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ') : '';
    const label = (el as HTMLInputElement).labels?.[0]?.textContent ?? '';
    const name = (el.getAttribute('aria-label') ?? byId ?? '') || label || el.title || (el.textContent ?? '').trim();
    return { tag: el.tagName.toLowerCase(), testid: el.dataset.testid ?? null, param: el.closest<HTMLElement>('[data-param]')?.dataset.param ?? null, name: name.trim() };
  });
}

/** Press `key` until `want` holds for the focused element (at most `max` presses); returns the elements passed. */
async function tabTo(page: Page, want: (f: Focused) => boolean, key = 'Tab', max = 120): Promise<Focused[]> {
  const seen: Focused[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    seen.push(f);
    if (want(f)) return seen;
  }
  throw new Error(`${key} never reached the element; passed ${seen.map((f) => f.testid ?? f.param ?? f.tag).join(', ')}`);
}

describe.skipIf(skip !== null)('keyboard only', () => {
  const env = useBrowser(true);

  it('primal-dual: Tab to alpha, type 4, Tab back to Play, run, export .npz from the menu by arrows', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page } = await openPage(context, `${env.server.url}?v=1&lab=primal-dual&initial.count=16&T=12`);
    const passed = await tabTo(page, (f) => f.param === 'alpha' && f.tag === 'input');
    for (const f of passed) expect(f.name, `a control without a name: ${JSON.stringify(f)}`).not.toBe('');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('4');
    await page.keyboard.press('Enter');
    await waitForConfig(page, 'c.alpha === 4');

    await tabTo(page, (f) => f.testid === 'play', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await waitForStatus(page, 's.step > 0');

    await tabTo(page, (f) => f.testid === 'export-button');
    await page.keyboard.press('Enter');
    await tabTo(page, (f) => f.testid === 'export-npz', 'ArrowDown', 20);
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(download.suggestedFilename()).toMatch(/\.npz$/);
    await context.close();
  });

  it('score-mixing: the log-scale parameters T and t_min have a focusable box that applies a typed value', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page } = await openPage(context, `${env.server.url}?v=1&lab=score-mixing&particles.count=256&steps=40&record=11`);
    const passed = await tabTo(page, (f) => f.param === 'tMin');
    expect(passed.some((f) => f.param === 'T'), 'T was skipped by Tab').toBe(true);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('0.002');
    await page.keyboard.press('Enter');
    await waitForConfig(page, 'c.tMin === 0.002');
    // A value out of range is refused with a notice naming the field, and the box shows the old value.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('50');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => window.__flowlab!.notices().some((n) => n.text.includes('tMin')))).toBe(true);
    expect(((await page.evaluate(() => window.__flowlab!.config())) as { tMin: number }).tMin).toBe(0.002);
    await context.close();
  });
});
