// A run with the keyboard only, as a user without a mouse does it, in every lab on a phone-sized
// viewport (390 x 844): Tab to a parameter, type a value, Tab back to Play, run to the end, open
// the Export menu with Enter, arrow to .npz, Enter; the export holds every array of `flowlab run`
// (runLab, CPU) of the same config with the same shape, and every meta key; then .json (same arrays
// and shapes) and .csv (the CLI's header and row count) the same way. Also: every control Tab
// reaches has an accessible name, and the log-scale parameters (T, t_min) are reached.

import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { exportSnapshotParts } from '../../src/io/export';
import { decodeNpz } from '../../src/io/npz';
import { parseSnapshotJson } from '../../src/io/snapshot-json';
import { runLab } from '../../src/index';
import { e2eSkipReason, openPage, useBrowser, waitForConfig, waitForStatus } from './harness';

/** Per lab: a small run, the panel parameter to type and its value. */
const WALKS = [
  { lab: 'score-mixing', query: 'v=1&lab=score-mixing&particles.count=64&steps=20&record=6', param: 'lambda', value: '0.7' },
  { lab: 'primal-dual', query: 'v=1&lab=primal-dual&initial.count=8&T=6&record=7', param: 'alpha', value: '4' },
  { lab: 'transformer', query: 'v=1&lab=transformer&sequences.count=3&sequences.n=4&L=2&H=2&task.L=2&task.H=1&iterations=6&record=3&tau=0.5', param: 'tau', value: '0.25' },
  { lab: 'bilevel', query: 'v=1&lab=bilevel&grid.n=32', param: 'kappa', value: '3' },
];

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

/** Opens the Export menu by keyboard, arrows to `testid`, presses Enter; resolves to the saved file's text. */
async function exported(page: Page, testid: string): Promise<string> {
  await page.locator('[data-testid=export-button]').focus();
  await page.keyboard.press('Enter');
  await tabTo(page, (f) => f.testid === testid, 'ArrowDown', 20);
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  return readFileSync(await download.path(), 'utf8');
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

  for (const walk of WALKS) {
    it(`${walk.lab} at 390 x 844: Tab to ${walk.param}, type, Play, export .npz, .json and .csv by the menu's arrows; each has the CLI's arrays and shapes`, async () => {
      const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
      const { page } = await openPage(context, `${env.server.url}?${walk.query}`);
      const passed = await tabTo(page, (f) => f.param === walk.param && f.tag === 'input');
      for (const f of passed) expect(f.name, `a control without a name: ${JSON.stringify(f)}`).not.toBe('');
      await page.keyboard.press('Control+A');
      await page.keyboard.type(walk.value);
      await page.keyboard.press('Enter');
      await waitForConfig(page, `c.${walk.param} === ${walk.value}`);
      await tabTo(page, (f) => f.testid === 'play', 'Shift+Tab');
      await page.keyboard.press('Enter');
      await waitForStatus(page, 's.done');
      await tabTo(page, (f) => f.testid === 'export-button');
      await page.keyboard.press('Enter');
      await tabTo(page, (f) => f.testid === 'export-npz', 'ArrowDown', 20);
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      const got = decodeNpz(new Uint8Array(readFileSync(await download.path())));
      const config = await page.evaluate(() => window.__flowlab!.config());
      const want = await runLab(walk.lab, config, { backend: 'cpu' });
      for (const [name, a] of Object.entries(want.arrays)) {
        expect(got.arrays[name], `array ${name} missing from the page's export`).toBeDefined();
        expect(got.arrays[name].shape, `shape of ${name}`).toEqual(a.shape);
      }
      const meta = got.meta as Record<string, unknown>;
      for (const key of Object.keys(want.meta)) expect(Object.hasOwn(meta, key), `meta.${key} missing from the page's export`).toBe(true);

      // The other formats, the same way: .json holds the same arrays and shapes, .csv the CLI's text
      // layout (its header and row count: the CLI writes the same exporter's output for this config).
      const json = parseSnapshotJson(await exported(page, 'export-json'));
      for (const [name, a] of Object.entries(want.arrays)) expect(json.arrays[name]?.shape, `json ${name}`).toEqual(a.shape);
      const csv = (await exported(page, 'export-csv')).trimEnd().split('\n');
      const cliCsv = Buffer.concat(exportSnapshotParts(want, 'csv').map((p) => Buffer.from(p as Uint8Array | string))).toString('utf8').trimEnd().split('\n');
      expect(csv[0], 'csv header').toBe(cliCsv[0]);
      expect(csv.length, 'csv rows').toBe(cliCsv.length);
      await context.close();
    });
  }

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
