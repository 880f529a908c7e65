// The export menu by keyboard only (WAI-ARIA menu button): Enter / Space / ArrowDown / ArrowUp on
// the button open it on the first or last item, arrows move with wrapping, Home / End jump, Escape
// closes and gives focus back to the button, Tab closes; Enter on an item runs it (an .npz
// download) without the shell's shortcuts (Space = play) reacting to the menu's keys.

import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, e2eSkipReason, openPage, useBrowser } from './harness';

const skip = e2eSkipReason();

/** A small run: the menu is what is tested, the simulation only has to exist. */
const SMALL = '?v=1&lab=score-mixing&particles.count=256&steps=40&record=11&lambda=0.5';
const VIEWPORT = { width: 1280, height: 800 };
const BUTTON = '[data-testid=export-button]';

/** data-testid of the focused element. */
function focused(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

function expanded(page: Page): Promise<string | null> {
  return page.locator(BUTTON).getAttribute('aria-expanded');
}

function menuHidden(page: Page): Promise<boolean> {
  return page.locator('[role=menu]').isHidden();
}

describe.skipIf(skip !== null)('export menu by keyboard', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  afterAll(async () => {
    await context?.close();
  });

  it('is a menu button: Enter opens on the first item, arrows wrap, Home / End jump, Escape returns focus', async () => {
    const button = page.locator(BUTTON);
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');
    expect(await expanded(page)).toBe('false');
    await button.focus();
    expect(await focused(page)).toBe('export-button');

    await page.keyboard.press('Enter');
    expect(await expanded(page)).toBe('true');
    expect(await menuHidden(page)).toBe(false);
    const ids = await page.locator('[role=menu] [role=menuitem]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(ids.slice(0, 3)).toEqual(['export-npz', 'export-csv', 'export-json']);
    expect(ids).toContain('record-video');
    expect(ids.at(-1)).toBe('import-json');
    // Roving focus: no item is in the Tab order.
    const tabIndexes = await page.locator('[role=menuitem]').evaluateAll((els) => els.map((e) => (e as HTMLElement).tabIndex));
    expect(new Set(tabIndexes)).toEqual(new Set([-1]));
    expect(await focused(page)).toBe('export-npz');

    // ArrowDown through every item in order, then around to the first.
    for (const id of [...ids.slice(1), ids[0]]) {
      await page.keyboard.press('ArrowDown');
      expect(await focused(page)).toBe(id);
    }
    await page.keyboard.press('ArrowUp');
    expect(await focused(page)).toBe(ids.at(-1));
    await page.keyboard.press('Home');
    expect(await focused(page)).toBe(ids[0]);
    await page.keyboard.press('End');
    expect(await focused(page)).toBe(ids.at(-1));

    await page.keyboard.press('Escape');
    expect(await expanded(page)).toBe('false');
    expect(await menuHidden(page)).toBe(true);
    expect(await focused(page)).toBe('export-button');
  });

  it('opens with ArrowUp on the last item and with Space on the first, without playing the run', async () => {
    await page.locator(BUTTON).focus();
    await page.keyboard.press('ArrowUp');
    expect(await expanded(page)).toBe('true');
    expect(await focused(page)).toBe('import-json');
    await page.keyboard.press('Escape');

    await page.keyboard.press('ArrowDown');
    expect(await focused(page)).toBe('export-npz');
    await page.keyboard.press('Escape');

    await page.keyboard.press(' ');
    expect(await expanded(page)).toBe('true');
    expect(await focused(page)).toBe('export-npz');
    // An arrow inside the menu is the menu's (→ would otherwise single-step the run).
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Escape');
    expect(await page.evaluate(() => window.__flowlab!.playing())).toBe(false);
    expect(await page.evaluate(() => window.__flowlab!.status()!.step)).toBe(0);
  });

  it('closes on Tab and on a click outside', async () => {
    await page.locator(BUTTON).focus();
    await page.keyboard.press('Enter');
    expect(await expanded(page)).toBe('true');
    await page.keyboard.press('Tab');
    expect(await expanded(page)).toBe('false');
    expect(await menuHidden(page)).toBe(true);
    // Focus moved on to a control after the button, not into the hidden menu nor onto the body.
    const after = await page.evaluate(() => {
      const a = document.activeElement;
      return { body: a === document.body, inMenu: !!a?.closest('[role=menu]'), button: a?.getAttribute('data-testid') === 'export-button' };
    });
    expect(after).toEqual({ body: false, inMenu: false, button: false });

    await page.locator(BUTTON).focus();
    await page.keyboard.press('Enter');
    expect(await expanded(page)).toBe('true');
    await page.locator('.brand').click(); // outside the menu (which covers the lab's title)
    expect(await expanded(page)).toBe('false');
    expect(await menuHidden(page)).toBe(true);
  });

  it('the open menu has no serious accessibility violations of its own', async () => {
    await page.locator(BUTTON).focus();
    await page.keyboard.press('Enter');
    const mine = (await axeViolations(page)).filter((v) => v.targets.some((t) => /export|menu|rec-/.test(t)));
    expect(mine).toEqual([]);
    await page.keyboard.press('Escape');
  });

  it('exports .npz with the keyboard alone: Enter on the focused item downloads it', async () => {
    await page.locator(BUTTON).focus();
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('export-npz');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(dl.suggestedFilename()).toMatch(/\.npz$/);
    const members = unzipSync(new Uint8Array(readFileSync(await dl.path())));
    expect(Object.keys(members)).toContain('meta.json');
    // Choosing an item closes the menu and gives focus back to the button.
    expect(await expanded(page)).toBe('false');
    expect(await focused(page)).toBe('export-button');
    expect(errors).toEqual([]);
  });
});
