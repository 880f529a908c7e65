// The primal-dual page in headless Chromium (SwiftShader WebGPU): loads from URL state without
// console errors, draws trajectories and the KKT point, fills the charts (the link compares
// alpha 3 with 4 and 8 in one batched run: one series per batch, overlaid, with a legend), the
// alpha slider changes the charts, the shell's compare control runs beta side by side (the URL
// carries config.compare, the legend names each beta) and turns compare off, the panel draws theta's and p's admissible windows on their
// sliders (warning outside), a speed off the list snaps, the A/b editor refuses a rank-deficient
// A naming it and keeps the previous A, the npz export holds x, lambda, energy and meta.json, the
// editor's "import JSON" replaces A, b and objective (and names the field of a bad file), and a
// json snapshot export -> import continues the run, and a lost GPU device mid-run continues from
// the last saved states. Small runs only.

import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng, e2eSkipReason, loseDeviceWhilePaused, loseDeviceWhilePlaying, lumaVariance, openPage, useBrowser, waitForStatus } from './harness';

const skip = e2eSkipReason();

/** 16 trajectories, t in [1, 20] with h = 0.02 (950 steps), 21 recorded frames. */
// Compared with alpha 4 and 8 (config.compare; the presets compare nothing).
const SMALL = '?v=1&lab=primal-dual&initial.count=16&initial.spread=0.5&initial.seed=1&T=20&h=0.02&record=21&compare=~eyJrZXkiOiJhbHBoYSIsInZhbHVlcyI6WzQsOF19';
const SHOTS = process.env.FLOWLAB_E2E_SHOTS;

async function runToEnd(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__flowlab!.setSpeed(64);
    window.__flowlab!.play();
  });
  await page.waitForFunction(() => window.__flowlab!.status()?.done === true);
}

/** The panel controller of a parameter: its window state, band and tooltip. */
async function windowOf(page: Page, key: string) {
  return page.locator(`.lil-controller[data-param="${key}"]`).evaluate((el: HTMLElement) => {
    const band = el.querySelector<HTMLElement>('.param-window-band');
    const slider = el.querySelector<HTMLElement>('.lil-slider')!.getBoundingClientRect();
    const r = band && !band.hidden ? band.getBoundingClientRect() : null;
    return {
      state: el.dataset.window,
      title: el.title,
      name: el.querySelector('.lil-name')?.textContent ?? '',
      from: band?.dataset.from === undefined ? NaN : Number(band.dataset.from),
      to: band?.dataset.to === undefined ? NaN : Number(band.dataset.to),
      /** band edges as fractions of the slider width */
      left: r ? (r.left - slider.left) / slider.width : NaN,
      right: r ? (r.right - slider.left) / slider.width : NaN,
      point: band?.classList.contains('point') ?? false,
    };
  });
}

/** Pick a file in the chooser that `button` opens. */
async function chooseFile(page: Page, button: string, name: string, text: string): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click(button)]);
  await chooser.setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
}

async function download(page: Page, testid: string): Promise<string> {
  await page.click('[data-testid=export-button]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  return dl.path();
}

/** data-last of the feasibility chart's series, by `attr` (alpha, or value: the compared key's) (waits for every recorded frame). */
async function feasibilitySeries(page: Page, frames = 21, attr = 'alpha'): Promise<Record<string, number>> {
  await page.waitForFunction(
    (f) => {
      const svg = window.__flowlab!.charts().find((c) => c.name === 'feasibility')?.svg ?? '';
      const ns = [...svg.matchAll(/data-n="(\d+)"[^>]*data-quantity="feas"/g)].map((m) => Number(m[1]));
      return ns.length > 0 && ns.every((n) => n >= f);
    },
    frames,
  );
  const svg = await page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'feasibility')!.svg);
  const out: Record<string, number> = {};
  const re = new RegExp(`data-last="([^"]*)"[^>]*data-${attr}="([^"]*)"[^>]*data-quantity="feas"`, 'g');
  for (const m of svg.matchAll(re)) out[m[2]] = Number(m[1]);
  return out;
}

/** The legend lines of a chart (its notes), as rendered in its SVG. */
async function chartText(page: Page, name: string): Promise<string> {
  return page.evaluate((n) => window.__flowlab!.charts().find((c) => c.name === n)?.svg ?? '', name);
}

describe.skipIf(skip !== null)('primal-dual page on WebGPU (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('loads from URL state on WebGPU, runs, and fills the charts for every compared alpha, with a legend', async () => {
    expect(await page.evaluate(() => window.__flowlab!.lab())).toBe('primal-dual');
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 0, steps: 950, done: false });
    await runToEnd(page);
    const last = await feasibilitySeries(page);
    // alpha = 3 (the config) plus the comparisons 4 and 8 of the link (config.compare).
    expect(Object.keys(last).sort()).toEqual(['3', '4', '8']);
    for (const v of Object.values(last)) expect(v).toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__flowlab!.config())).toMatchObject({ compare: { key: 'alpha', values: [4, 8] } });
    for (const chart of ['gap', 'feasibility', 'objective', 'envelopes', 'energy', 'Q']) {
      const svg = await chartText(page, chart);
      for (const text of ['α = 3 (config)', 'α = 4', 'α = 8']) expect(svg, `${chart} legend`).toContain(text);
    }
    // The compared alphas differ: overlaid series, not copies of one run.
    expect(new Set(Object.values(last)).size).toBe(3);
    const shot = decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS ? `${SHOTS}/pd-canvas.png` : undefined }));
    expect(lumaVariance(shot)).toBeGreaterThan(5);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/pd-page.png`, fullPage: true });
    const readout = await page.locator('[data-control=readout]').textContent();
    expect(readout).toMatch(/KKT residual \(float64\) = \d/);
    expect(readout).toMatch(/gyration/);
    expect(errors).toEqual([]);
  });

  it('the alpha slider changes the charts and the theta window', async () => {
    const before = await feasibilitySeries(page);
    expect(await page.evaluate(() => window.__flowlab!.setParam('alpha', 6))).toBe(true);
    // theta = 1/2 stays inside [1/5, 1/2]; batch 0 is now alpha = 6, compared with 4 and 8 (config.compare).
    await expect.poll(() => page.locator('[data-control=theta-window-text]').textContent()).toContain('α = 6');
    await runToEnd(page);
    const after = await feasibilitySeries(page);
    expect(Object.keys(after).sort()).toEqual(['4', '6', '8']);
    expect(after['6']).toBeGreaterThan(0);
    expect(after['4']).toBeCloseTo(before['4'], 5); // same problem and initial states
    expect(await chartText(page, 'feasibility')).toContain('α = 6 (config)');
    expect(errors).toEqual([]);
  });

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
    const notice = page.locator('.notice-error', { hasText: /rank/i });
    expect(await notice.count()).toBe(1);
    // The notice does not cover the editor, and goes once A, b are accepted again.
    await page.click('[data-control=matrix-apply]');
    await expect.poll(() => notice.count()).toBe(0);
    expect(await page.locator('[data-control=matrix-message]').textContent()).toBe('');
    expect(errors).toEqual([]); // the refusal is a notice, not a console error
  });

  it('exports an npz with x, lambda, energy and meta.json', async () => {
    await page.click('[data-testid=export-button]');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-npz]')]);
    const members = unzipSync(new Uint8Array(readFileSync(await dl.path())));
    expect(Object.keys(members)).toEqual(expect.arrayContaining(['x.npy', 'lambda.npy', 'energy.npy', 't.npy', 'x_star.npy', 'lambda_star.npy', 'meta.json']));
    const meta = JSON.parse(new TextDecoder().decode(members['meta.json']));
    expect(meta.lab).toBe('primal-dual');
    expect(meta.config.alpha).toBe(6);
    const header = new TextDecoder().decode(members['x.npy'].subarray(0, 128));
    // The batch axis of compare mode: alpha 6 (the config), 4 and 8.
    expect(header).toMatch(/'shape': \(3, 21, 16, 4\)/);
    expect(meta.compare).toEqual({ key: 'alpha', values: [6, 4, 8] });
    expect(errors).toEqual([]);
  });

  it('draws the theta and p windows on their sliders, with a warning outside', async () => {
    // alpha = 6, theta = 1/2 (previous test): theta in [1/5, 1/2], p in {0}.
    const theta = await windowOf(page, 'theta');
    expect(theta).toMatchObject({ state: 'inside', from: 0.2, to: 0.5, point: false });
    // Slider 0.01 .. 1: the band spans (0.2 - 0.01)/0.99 .. (0.5 - 0.01)/0.99 of the track (a few px of knob).
    expect(theta.left).toBeCloseTo(0.19 / 0.99, 1);
    expect(theta.right).toBeCloseTo(0.49 / 0.99, 1);
    expect(theta.title).toMatch(/Admissible: energy window .*\[0\.2, 0\.5\] for α = 6/);
    expect(await windowOf(page, 'p')).toMatchObject({ state: 'inside', from: 0, to: 0, point: true });
    if (SHOTS) await page.locator('.panel-host').screenshot({ path: `${SHOTS}/pd-panel-inside.png` });

    expect(await page.evaluate(() => window.__flowlab!.setParam('allowOutsideWindow', true))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.setParam('theta', 0.15))).toBe(true);
    await expect.poll(() => windowOf(page, 'theta')).toMatchObject({ state: 'outside' });
    const out = await windowOf(page, 'theta');
    expect(out.title).toMatch(/Outside the admissible energy window.*not monotone.*no rate is guaranteed/);
    expect(out.name).toMatch(/⚠/);
    // p's window follows theta: (1 - 2 theta)/theta.
    expect((await windowOf(page, 'p')).to).toBeCloseTo(0.7 / 0.15, 10);
    if (SHOTS) await page.locator('.panel-host').screenshot({ path: `${SHOTS}/pd-panel-outside.png` });

    expect(await page.evaluate(() => window.__flowlab!.setParam('theta', 0.5))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.setParam('allowOutsideWindow', false))).toBe(true);
    await expect.poll(() => windowOf(page, 'theta')).toMatchObject({ state: 'inside' });
    // alpha = 3 closes the window to the single point 1/2.
    expect(await page.evaluate(() => window.__flowlab!.setParam('alpha', 3))).toBe(true);
    await expect.poll(() => windowOf(page, 'theta')).toMatchObject({ state: 'inside', from: 0.5, to: 0.5, point: true });
    expect(await page.evaluate(() => window.__flowlab!.setParam('alpha', 6))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a speed off the list snaps to the nearest entry, in the loop and the header alike', async () => {
    await page.evaluate(() => window.__flowlab!.setSpeed(200));
    expect(await page.evaluate(() => window.__flowlab!.speed())).toBe(64);
    expect(await page.locator('[data-testid=speed]').inputValue()).toBe('64');
    await page.evaluate(() => window.__flowlab!.setSpeed(3));
    expect(await page.evaluate(() => window.__flowlab!.speed())).toBe(4);
    expect(await page.locator('[data-testid=speed]').inputValue()).toBe('4');
    await page.evaluate(() => window.__flowlab!.setSpeed(1));
  });

  it('imports A, b and objective from a JSON file; a bad file names the field and changes nothing', async () => {
    const Q = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    // min |x|^2 / 2 on {x0 + x2 = 3, x1 + x2 = 3}: x* = A^T (A A^T)^{-1} b = (1, 1, 2).
    const problem = { A: [[1, 0, 1], [0, 1, 1]], b: [3, 3], objective: { kind: 'quadratic', Q, c: [0, 0, 0] } };
    await chooseFile(page, '[data-control=matrix-import-button]', 'problem.json', JSON.stringify(problem));
    await page.waitForFunction(() => (window.__flowlab!.config() as { A: number[][] }).A[0].length === 3);
    const cfg = (await page.evaluate(() => window.__flowlab!.config())) as Record<string, unknown>;
    expect(cfg).toMatchObject(problem);
    await expect.poll(() => page.locator('[data-control=readout]').textContent()).toContain('x* = (1.0000, 1.0000, 2.0000)');
    expect(await page.locator('[data-cell="A[1][2]"]').inputValue()).toBe('1');
    expect(await page.locator('[data-control=matrix-message]').textContent()).toBe('');

    const before = await page.evaluate(() => window.__flowlab!.notices().length);
    await chooseFile(page, '[data-control=matrix-import-button]', 'bad.json', '{"A": [[1, 2], [3]]}');
    await expect.poll(() => page.locator('[data-control=matrix-message]').textContent()).toMatch(/A\[1\]: got "1 entries"; allowed: 2 entries/);
    const notices = await page.evaluate(() => window.__flowlab!.notices());
    expect(notices.slice(before).some((n) => n.level === 'error' && /A\[1\]/.test(n.text))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.config())).toEqual(cfg);
    expect(await page.locator('[data-control=readout]').textContent()).toContain('x* = (1.0000, 1.0000, 2.0000)');
    expect(errors).toEqual([]);
  });

  it('a json snapshot export -> import continues the run at the same step and t', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    for (let i = 0; i < 5; i++) await page.evaluate(() => window.__flowlab!.step());
    await waitForStatus(page, 's.step === 5');
    const saved = await page.evaluate(() => window.__flowlab!.status()!);
    const path = await download(page, 'export-json');
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStatus(page, 's.step === 5');
    const restored = await page.evaluate(() => window.__flowlab!.status()!);
    expect(restored.t).toBe(saved.t);
    expect(restored.steps).toBe(saved.steps);
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStatus(page, 's.step === 6');
    expect(await page.evaluate(() => window.__flowlab!.status()!.t)).toBeGreaterThan(saved.t);
    expect(errors).toEqual([]);
  });

  it('the shell\'s compare control: beta side by side in the URL and the charts, then off', async () => {
    await page.selectOption('.compare-key', 'beta');
    await page.fill('.compare-values', '0, 4');
    await page.click('.compare-apply');
    await page.waitForFunction(() => (window.__flowlab!.config() as { compare?: { key: string } }).compare?.key === 'beta');
    expect(new URL(page.url()).searchParams.get('compare')).toMatch(/^~/);
    await runToEnd(page);
    const byBeta = await feasibilitySeries(page, 21, 'value');
    expect(Object.keys(byBeta).sort()).toEqual(['0', '1', '4']);
    const svg = await chartText(page, 'feasibility');
    for (const text of ['β = 1 (config)', 'β = 0', 'β = 4']) expect(svg).toContain(text);
    // Off: one run (the config's alpha = 6), no legend.
    await page.selectOption('.compare-key', '');
    await page.waitForFunction(() => (window.__flowlab!.config() as { compare?: unknown }).compare === undefined);
    await runToEnd(page);
    expect(Object.keys(await feasibilitySeries(page))).toEqual(['6']);
    expect(await chartText(page, 'feasibility')).not.toContain('(config)');
    expect(errors).toEqual([]);
  });

  it('a lost GPU device mid-run: every run continues on a new device from the last saved states, saying how many steps were redone', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    const r = await loseDeviceWhilePlaying(page);
    expect(r.step).toBeGreaterThan(0);
    // Lost while paused: the states of the step shown were saved, nothing is redone.
    await loseDeviceWhilePaused(page);
    expect(errors).toEqual([]);
  });
});
