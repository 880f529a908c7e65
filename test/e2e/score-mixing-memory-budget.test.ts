// The page's memory budget in the built page (SwiftShader WebGPU): a link asking for the issue's
// run (record 1e5 + 1 frames of 20,000 particles, each field in range) opens with record reverted
// and a notice naming it, the estimate and the budget; the panel's path (setParam -> applyConfig)
// refuses the same and keeps the previous config; a .json snapshot asking for it is refused on
// import (validateSnapshot calls the shell's budget-checking parseConfig) and the run is unchanged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { encodeSnapshot, runLab } from '../../src/index';
import { e2eSkipReason, openPage, useBrowser } from './harness';

const skip = e2eSkipReason();
const LINK = '?v=1&lab=score-mixing&particles.count=20000&steps=100000&record=100001';

describe.skipIf(skip !== null)('score-mixing page: memory budget', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;
  const dir = mkdtempSync(join(tmpdir(), 'flowlab-e2e-budget-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  it('a link over the budget opens with record reverted and a notice naming the field, the estimate and the budget', async () => {
    const { page, errors } = await openPage(context, shared.server.url + LINK);
    const cfg = (await page.evaluate(() => window.__flowlab!.config())) as { record: number; steps: number; particles: { count: number } };
    expect(cfg).toMatchObject({ record: 41, steps: 100000, particles: { count: 20000 } });
    const notices = await page.evaluate(() => window.__flowlab!.notices().map((n) => n.text));
    expect(notices.join('\n')).toMatch(/Link field "record" rejected: 100001 \(with particles\.count = 20000, .*steps = 100000\) needs about \d+(\.\d+)? GiB of memory .*allowed: at most \d+(\.\d+)? GiB, the memory budget \(this page's budget/);

    // The panel's path: the same record through setParam is refused, the config stays.
    expect(await page.evaluate(() => window.__flowlab!.setParam('record', 100001))).toBe(false);
    expect(((await page.evaluate(() => window.__flowlab!.config())) as { record: number }).record).toBe(41);
    const last = await page.evaluate(() => window.__flowlab!.notices().at(-1)!.text);
    expect(last).toMatch(/^Rejected \(kept the previous value\).*record: 100001 .*memory budget/s);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a .json snapshot whose config is over the budget is refused on import; the run is unchanged', async () => {
    const small = { mu1: { points: [[-1, 0], [1, 0.5], [0, 1.5]] }, mu2: { points: [[0.5, -1]] }, lambda: 0.5, particles: { count: 64, seed: 1 }, steps: 20, record: 5 };
    const snap = JSON.parse(new TextDecoder().decode(encodeSnapshot(await runLab('score-mixing', small, { backend: 'cpu' }), 'json')));
    snap.config = { ...snap.config, particles: { count: 20000, seed: 1 }, steps: 100000, record: 100001 };
    const path = join(dir, 'big.json');
    writeFileSync(path, JSON.stringify(snap));

    const { page, errors } = await openPage(context, `${shared.server.url}?v=1&lab=score-mixing&particles.count=128&steps=30&record=7`);
    await page.setInputFiles('[data-testid=import-file]', path);
    await page.waitForFunction(() => window.__flowlab!.notices().some((n) => /^Import of big\.json rejected/.test(n.text)));
    const text = await page.evaluate(() => window.__flowlab!.notices().find((n) => /^Import of big\.json/.test(n.text))!.text);
    expect(text).toMatch(/^Import of big\.json rejected \(the current run is unchanged\): record: 100001 \(with particles\.count = 20000, .*\) needs about .* GiB of memory/);
    expect(await page.evaluate(() => window.__flowlab!.config())).toMatchObject({ record: 7, steps: 30, particles: { count: 128 } });
    expect(errors).toEqual([]);
    await page.close();
  });
});
