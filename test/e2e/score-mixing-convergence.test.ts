// The score-mixing page's Convergence panel on the built page (SwiftShader WebGPU), kept small: 16
// particles, step counts 2, 4, 8, two integrators. Run from the panel (keyboard-reachable controls,
// waiting on the panel's data-state), it charts one series per integrator with the fitted order in
// the legend and errors falling with the steps, plus the initialisation error against T; its
// "Download study (.npz)" holds runConvergence's arrays for the same config and request on Node's
// GPU within float32 noise, with the same meta keys; the command line it shows is that request's;
// a config change marks the result stale; axe finds nothing serious with the panel open, which
// fits a 360 px wide screen.

import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runConvergence } from '../../src/index';
import { decodeNpz } from '../../src/io/npz';
import type { Snapshot } from '../../src/io/snapshot-types';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import { axeViolations, e2eSkipReason, openPage, useBrowser } from './harness';

const skip = e2eSkipReason();
/** Node needs a WebGPU adapter of its own for runConvergence's GPU run (the reference of this test). */
const nodeGpu = skip === null ? await acquireNodeGpu({ label: 'ConvergencePanelTest.probe' }) : { context: null, note: 'e2e skipped' };
nodeGpu.context?.device.destroy();

const PARTICLES = 16;
const SMALL = `?v=1&lab=score-mixing&particles.count=${PARTICLES}&steps=20&record=2&lambda=0.5`;
const INTEGRATORS = ['exp', 'rk4'];
const STEPS = [2, 4, 8];

/**
 * Two float32 GPU runs of the same kernels (Chromium's SwiftShader, Node's Dawn adapter) end within
 * ~1e-4 of each other per particle (test/e2e/score-mixing-export.test.ts's tolerance for whole runs
 * of the default preset). By the triangle inequality their RMS errors against the same float64
 * reference then differ by at most their RMS distance, so by that much. (Seen with SwiftShader on
 * both sides: 1e-16 relative, the same arithmetic.)
 */
const F32_ABS = 2e-4;

interface ChartSeries {
  label: string;
  kind: string;
  integrator: string;
  first: number;
  last: number;
  n: number;
}

/** The series paths of an exported chart (read from their data-* attributes, not the drawing). */
async function chartSeries(page: Page, name: string): Promise<ChartSeries[]> {
  return page.evaluate((chart) => {
    const svg = window.__flowlab!.charts().find((c) => c.name === chart)?.svg ?? '<svg/>';
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return [...doc.querySelectorAll('path.series')].map((p) => ({
      label: p.getAttribute('data-label') ?? '',
      kind: p.getAttribute('data-kind') ?? '',
      integrator: p.getAttribute('data-integrator') ?? '',
      first: Number(p.getAttribute('data-first')),
      last: Number(p.getAttribute('data-last')),
      n: Number(p.getAttribute('data-n')),
    }));
  }, name);
}

async function download(page: Page, control: string): Promise<Uint8Array> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-control=${control}]`)]);
  return new Uint8Array(readFileSync(await dl.path()));
}

const panelState = (page: Page): Promise<string | null> => page.locator('[data-control=convergence]').getAttribute('data-state');

describe.skipIf(skip !== null || !nodeGpu.context)('score-mixing Convergence panel (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1000, height: 700 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('runs from the panel, charts each integrator with its order, and downloads runConvergence’s arrays', async () => {
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await panelState(page)).toBe('idle');
    // Collapsed by default; the summary opens it from the keyboard like a button.
    await page.focus('[data-control=convergence] > summary');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-control=convergence]').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await page.uncheck('[data-control=convergence-integrator-heun]');
    await page.fill('[data-control=convergence-steps]', STEPS.join(', '));
    const command = await page.locator('[data-control=convergence-cli]').textContent();
    expect(command).toBe(
      `npx flowlab convergence score-mixing --config score-mixing-convergence-config.json --integrators ${INTEGRATORS.join(',')} --steps ${STEPS.join(',')} --backend gpu --out conv.npz`,
    );
    const config = await page.evaluate(() => window.__flowlab!.config());
    // The config that command reads: the page's (already at <= 64 particles, so not reduced).
    expect(JSON.parse(new TextDecoder().decode(await download(page, 'convergence-config')))).toEqual(config);

    await page.click('[data-control=convergence-run]');
    await expect.poll(() => panelState(page)).toBe('done');
    expect(await page.evaluate(() => window.__flowlab!.notices().map((n) => n.text))).toContainEqual(expect.stringMatching(/^Convergence study done: exp, (order|no)/));

    const npz = decodeNpz(await download(page, 'convergence-download'));
    const want: Snapshot = await runConvergence('score-mixing', config, { backend: 'gpu', integrators: INTEGRATORS, resolutions: STEPS });
    expect(Object.keys(npz.arrays).sort()).toEqual(Object.keys(want.arrays).sort());
    for (const [k, a] of Object.entries(want.arrays)) {
      expect(npz.arrays[k].dtype, k).toBe(a.dtype);
      expect(npz.arrays[k].shape, k).toEqual(a.shape);
    }
    const meta = npz.meta as Record<string, unknown>;
    expect(Object.keys(meta).sort()).toEqual(['lab', 'config', ...Object.keys(want.meta)].sort());
    expect(meta.config).toEqual(want.config);
    expect(meta.integrators).toEqual(INTEGRATORS);
    expect(meta.backendNote).toBe('WebGPU on the page (software adapter)');
    expect(Array.from(npz.arrays.steps.data)).toEqual(STEPS);
    const error = Array.from(npz.arrays.error.data, Number);
    const wantError = Array.from(want.arrays.error.data, Number);
    error.forEach((e, i) => expect(Math.abs(e - wantError[i]), `error[${i}]: ${e} vs ${wantError[i]}`).toBeLessThanOrEqual(F32_ABS));
    // The float64 parts (evaluations, initialisation error) come from the same code in both engines.
    expect(Array.from(npz.arrays.evaluations.data)).toEqual(Array.from(want.arrays.evaluations.data));
    const init = Array.from(npz.arrays.init_error.data, Number);
    init.forEach((e, i) => expect(Math.abs(e - Number(want.arrays.init_error.data[i])), `init_error[${i}]`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e))));

    // The chart: one series per integrator, labelled with the downloaded fitted order, errors falling.
    const order = Array.from(npz.arrays.order.data, Number);
    const series = await chartSeries(page, 'convergence-error');
    const study = series.filter((s) => s.kind === 'study');
    expect(study.map((s) => s.integrator)).toEqual(INTEGRATORS);
    study.forEach((s, i) => {
      expect(s.label).toBe(Number.isFinite(order[i]) ? `${INTEGRATORS[i]}, order ${order[i].toFixed(2)}` : `${INTEGRATORS[i]}, no fitted order`);
      expect(s.n).toBe(STEPS.length);
      expect(s.last, s.label).toBeLessThan(s.first);
    });
    expect(series.filter((s) => s.kind === 'reference').map((s) => s.integrator)).toEqual(INTEGRATORS);
    const initSeries = (await chartSeries(page, 'convergence-init-error')).filter((s) => s.kind === 'init');
    expect(initSeries).toHaveLength(1);
    expect(initSeries[0].n).toBe(npz.arrays.init_T.shape[0]);
    expect(errors).toEqual([]);
  });

  it('marks the result stale when the config changes; axe finds nothing serious with the panel open', async () => {
    expect(await page.evaluate(() => window.__flowlab!.setParam('lambda', 0.6))).toBe(true);
    await expect.poll(() => panelState(page)).toBe('stale');
    expect(await page.locator('[data-control=convergence-status]').textContent()).toMatch(/^computed for λ = 0\.5, 16 particles; the config changed \(lambda\) — run again/);
    const title = await page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'convergence-error')?.svg ?? '');
    expect(title).toMatch(/<title[^>]*>error vs steps \(log-log\), stale<\/title>/);
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('open at 360 x 740: the panel, its charts and its command line fit without sideways scroll', async () => {
    const context = await shared.browser.newContext({ viewport: { width: 360, height: 740 } });
    const { page: narrow, errors: narrowErrors } = await openPage(context, shared.server.url + SMALL);
    await narrow.click('[data-control=convergence] > summary');
    await expect.poll(() => narrow.locator('[data-control=convergence-cli]').isVisible()).toBe(true);
    const scroll = await narrow.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    expect(scroll.sw).toBeLessThanOrEqual(scroll.cw);
    expect(await axeViolations(narrow)).toEqual([]);
    expect(narrowErrors).toEqual([]);
    await context.close();
  });
});
