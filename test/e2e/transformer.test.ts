// The transformer page in headless Chromium (SwiftShader WebGPU): opens from URL state without
// console errors and draws the token trajectories and markers; training lowers the risk and fills
// the risk, lambda_min, cluster and head charts; a bad value names the field and keeps the run;
// clicking a token shows its attention weights (chart + lines); the NTK check reports a verdict;
// depth as an axis gives a 3-D picture that orbits; dragging a token makes the batch explicit and
// keeps training; a too large tau halts with a reason naming the iteration; a json snapshot export
// -> import continues at the same iteration with the same heads; a lost GPU device mid-run
// continues from the last heads read back; and the no-WebGPU page trains on the float64 CPU
// reference. Tiny sizes only (SwiftShader is a CPU).

import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePng, e2eSkipReason, loseDeviceWhilePaused, loseDeviceWhilePlaying, lumaVariance, openPage, useBrowser, waitForStatus, withoutWebGpu } from './harness';

const skip = e2eSkipReason();

/** 3 sequences x 4 tokens in d = 2, L = 2 layers x H = 2 heads, a 2 x 1 teacher, 12 iterations. */
const SMALL = '?v=1&lab=transformer&sequences.count=3&sequences.n=4&L=2&H=2&task.L=2&task.H=1&iterations=12&record=3&tau=0.5&ntkEvery=4';
const SHOTS = process.env.FLOWLAB_E2E_SHOTS;

/** data-* of a chart's series path (quantity = risk, lambda-min, selected, mean). */
async function series(page: Page, chart: string, quantity: string): Promise<{ n: number; first: number; last: number }> {
  return page.evaluate(
    ([c, q]) => {
      const svg = window.__flowlab!.charts().find((x) => x.name === c)?.svg ?? '';
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const p = doc.querySelector(`path.series[data-quantity="${q}"]`);
      return { n: Number(p?.getAttribute('data-n') ?? 0), first: Number(p?.getAttribute('data-first')), last: Number(p?.getAttribute('data-last')) };
    },
    [chart, quantity],
  );
}

async function chartAttr(page: Page, chart: string, attr: string): Promise<string | null> {
  return page.evaluate(([c, a]) => new DOMParser().parseFromString(window.__flowlab!.charts().find((x) => x.name === c)?.svg ?? '<svg/>', 'image/svg+xml').documentElement.getAttribute(a), [chart, attr]);
}

async function trainToEnd(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__flowlab!.setSpeed(4);
    window.__flowlab!.play();
  });
  await waitForStatus(page, 's.done === true');
}

describe.skipIf(skip !== null)('transformer page on WebGPU (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
  });

  it('opens from URL state on WebGPU and draws the trajectories and tokens', async () => {
    expect(await page.evaluate(() => window.__flowlab!.lab())).toBe('transformer');
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 0, steps: 12, done: false });
    // The lab is offered in the picker now that it has a page.
    const option = page.locator('[data-testid=lab-select] option[value=transformer]');
    expect(await option.isDisabled()).toBe(false);
    await expect.poll(() => page.locator('[data-role=input]').count()).toBe(4);
    expect(await page.locator('[data-role=output]').count()).toBe(4);
    expect((await page.evaluate(() => window.__flowlab!.charts().map((c) => c.name))).sort()).toEqual(['attention', 'clusters', 'heads', 'lambda-min', 'risk']);
    const shot = decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS ? `${SHOTS}/transformer-canvas.png` : undefined }));
    expect(lumaVariance(shot)).toBeGreaterThan(1);
    expect(errors).toEqual([]);
  });

  it('training lowers the risk and fills the risk, lambda_min, cluster and head charts', async () => {
    await trainToEnd(page);
    // Every iteration's risk comes back (0..12), asynchronously.
    await expect.poll(() => series(page, 'risk', 'risk').then((s) => s.n)).toBe(13);
    const risk = await series(page, 'risk', 'risk');
    expect(risk.last).toBeGreaterThan(0);
    expect(risk.last).toBeLessThan(risk.first);
    // lambda_min of the empirical NTK, from the worker, at least at iteration 0 and at the end.
    await expect.poll(() => series(page, 'lambda-min', 'lambda-min').then((s) => s.n)).toBeGreaterThanOrEqual(2);
    expect((await series(page, 'lambda-min', 'lambda-min')).last).toBeGreaterThan(0);
    expect((await series(page, 'clusters', 'selected')).n).toBe(3);
    await expect.poll(() => chartAttr(page, 'heads', 'data-displacement').then(Number)).toBeGreaterThan(0);
    expect(await chartAttr(page, 'heads', 'data-heads')).toBe('4');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/transformer-page.png` });
    expect(errors).toEqual([]);
  });

  it('a bad value names the field and keeps the trained run', async () => {
    const before = await page.evaluate(() => window.__flowlab!.notices().length);
    expect(await page.evaluate(() => window.__flowlab!.setParam('H', 0))).toBe(false);
    const notices = (await page.evaluate(() => window.__flowlab!.notices())).slice(before);
    expect(notices.some((n) => n.level === 'error' && /\bH = 0 rejected; allowed: an integer in \[1, 256\]/.test(n.text))).toBe(true);
    expect(await page.evaluate(() => (window.__flowlab!.config() as { H: number }).H)).toBe(2);
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 12, done: true });
    expect((await series(page, 'risk', 'risk')).n).toBe(13);
  });

  it('a link with a bad value names the field and keeps the others', async () => {
    const context = shared.browser.contexts()[0];
    const { page: other, errors: otherErrors } = await openPage(context, shared.server.url + SMALL.replace('L=2', 'L=-3'));
    const notices = await other.evaluate(() => window.__flowlab!.notices());
    expect(notices.some((n) => n.level === 'error' && /Link field "L" rejected: got -3; allowed: an integer in \[1, 64\]/.test(n.text))).toBe(true);
    const cfg = (await other.evaluate(() => window.__flowlab!.config())) as { L: number; H: number; sequences: { count: number } };
    expect(cfg.L).toBe(8); // the default, not -3
    expect(cfg.H).toBe(2);
    expect(cfg.sequences.count).toBe(3);
    expect(otherErrors).toEqual([]);
    await other.close();
  });

  it('clicking a token shows its attention weights at the chosen layer', async () => {
    await page.click('[data-role=input][data-token="1"]');
    await expect.poll(() => chartAttr(page, 'attention', 'data-row')).toBe('1');
    const weights = (await chartAttr(page, 'attention', 'data-weights'))!.split(',').map(Number);
    expect(weights).toHaveLength(4);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(await page.locator('[data-control=token]').inputValue()).toBe('1');
    expect(await page.locator('.attention-lines line').count()).toBeGreaterThanOrEqual(3);
    await page.locator('[data-control=attention-layer]').fill('1');
    await expect.poll(() => chartAttr(page, 'attention', 'data-layer')).toBe('1');
    expect(await page.locator('[data-control=readout]').textContent()).toMatch(/attention of token 1 at layer 1 .*strongest keys/);
    expect(errors).toEqual([]);
  });

  it('the NTK check reports a verdict with s_min/s_max', async () => {
    await page.click('[data-control=ntk-check]');
    const result = page.locator('[data-control=ntk-result]');
    await expect.poll(() => result.getAttribute('data-verdict')).toMatch(/^(independent|dependent)$/);
    // Three sequences of four generic Gaussian tokens: independent.
    expect(await result.getAttribute('data-verdict')).toBe('independent');
    expect(await result.textContent()).toMatch(/INDEPENDENT[\s\S]*s_min\/s_max = [\d.e+-]+ +\(dependent below 1\.00e-8/);
    expect(errors).toEqual([]);
  });

  it('depth as an axis draws the trajectories in 3-D (orbit), markers following the camera', async () => {
    await page.selectOption('[data-control=depth-mode]', 'axis');
    await expect.poll(() => page.locator('.transformer-overlay .label').textContent()).toMatch(/depth s as the third axis/);
    const before = (await page.locator('[data-role=output][data-token="0"]').boundingBox())!;
    // Orbit: drag on the canvas background (the overlay lets it through).
    const canvas = (await page.locator('[data-testid=main-canvas]').boundingBox())!;
    await page.mouse.move(canvas.x + 40, canvas.y + canvas.height - 40);
    await page.mouse.down();
    await page.mouse.move(canvas.x + 140, canvas.y + canvas.height - 60, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await page.locator('[data-role=output][data-token="0"]').boundingBox())?.x ?? before.x).not.toBeCloseTo(before.x, 0);
    if (SHOTS) await page.locator('[data-testid=main-canvas]').screenshot({ path: `${SHOTS}/transformer-axis.png` });
    await page.selectOption('[data-control=depth-mode]', 'colour');
    await expect.poll(() => page.locator('.transformer-overlay .label').textContent()).toMatch(/depth s as colour/);
    expect(errors).toEqual([]);
  });

  it('dragging an input token edits the batch and keeps the training state', async () => {
    // Sticky error notices of the earlier tests sit over the canvas: close them first.
    // (at once, in the page: a notice that closes itself meanwhile is no reason to wait)
    await page.evaluate(() => document.querySelectorAll<HTMLButtonElement>('.notice-close').forEach((b) => b.click()));
    const marker = page.locator('[data-role=input][data-token="0"]');
    const box = (await marker.boundingBox())!;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    expect(await page.evaluate(([px, py]) => document.elementFromPoint(px, py)?.getAttribute('data-role'), [x, y])).toBe('input');
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 20, y - 10, { steps: 3 });
    await page.mouse.move(x + 40, y - 30, { steps: 3 });
    await page.mouse.up();
    await page.waitForFunction(() => Array.isArray((window.__flowlab!.config() as { sequences: unknown }).sequences));
    const cfg = (await page.evaluate(() => window.__flowlab!.config())) as { sequences: number[][][] };
    expect(cfg.sequences).toHaveLength(3);
    expect(cfg.sequences[0]).toHaveLength(4);
    expect(await page.evaluate(() => window.__flowlab!.status()!.step)).toBe(12);
    // The moved token's new input position is where it was dropped (the marker follows the next picture).
    await expect.poll(async () => ((await marker.boundingBox())?.x ?? box.x) - box.x).toBeGreaterThan(30);
    await expect.poll(() => page.locator('[data-control=ntk-result]').textContent()).toMatch(/run the NTK check again/);
    expect(errors).toEqual([]);
  });

  it('a json snapshot export -> import continues at the same iteration with the same heads', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0 && !s.done');
    for (let i = 0; i < 3; i++) await page.evaluate(() => window.__flowlab!.step());
    await waitForStatus(page, 's.step === 3');
    const saved = await page.evaluate(() => window.__flowlab!.snapshot());
    await page.click('[data-testid=export-button]');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
    const path = await dl.path();
    await page.evaluate(() => window.__flowlab!.reset());
    await waitForStatus(page, 's.step === 0');
    await page.setInputFiles('[data-testid=import-file]', path);
    await waitForStatus(page, 's.step === 3');
    // Straight after the import, before any frame: the snapshot must already see the restored run.
    const restored = await page.evaluate(() => window.__flowlab!.snapshot());
    expect(restored.Q).toEqual(saved.Q);
    expect(restored.V).toEqual(saved.V);
    expect(restored.risk).toEqual(saved.risk);
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStatus(page, 's.step === 4');
    await expect.poll(() => series(page, 'risk', 'risk').then((s) => s.n)).toBe(5);
    expect(errors).toEqual([]);
  });

  it('a step size that blows up halts with the iteration and tau, and a smaller one continues', async () => {
    expect(await page.evaluate(() => window.__flowlab!.setParam('init.v', 1))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.setParam('tau', 100))).toBe(true);
    await page.evaluate(() => window.__flowlab!.play());
    await waitForStatus(page, '!!s.haltedReason');
    const s = await page.evaluate(() => window.__flowlab!.status()!);
    expect(s.haltedReason).toMatch(/non-finite at iteration \d+ with τ = 100.*last finite heads \(iteration \d+\)/);
    // The shell pauses the loop on the frame after the halt is seen.
    await expect.poll(() => page.evaluate(() => window.__flowlab!.playing())).toBe(false);
    await expect.poll(() => page.locator('[data-testid=halt]').isVisible()).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.setParam('tau', 0.01))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.status()!.haltedReason)).toBeUndefined();
    await page.evaluate(() => window.__flowlab!.step());
    await waitForStatus(page, `s.step === ${s.step + 1}`);
    expect(errors).toEqual([]);
  });

  it('a token file replaces the batch; a bad one is named and changes nothing', async () => {
    const before = (await page.evaluate(() => window.__flowlab!.config())) as { sequences: unknown };
    const notices0 = await page.evaluate(() => window.__flowlab!.notices().length);
    await page.setInputFiles('[data-control=import-tokens-file]', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('[[[0.1, 0.2], [0.3, "x"]]]') });
    await expect.poll(async () => (await page.evaluate(() => window.__flowlab!.notices())).slice(notices0).map((n) => n.text).join('\n')).toMatch(/Token import from bad\.json refused \(kept the current run\): sequences\[0\]\[1\]\[1\]: got "x"/);
    expect(await page.evaluate(() => window.__flowlab!.config())).toEqual(before);
    const file = JSON.stringify({ sequences: [[[0.5, 0], [0, 0.5], [-0.5, 0]], [[1, 1], [0.2, -0.3], [0, 0]]] });
    await page.setInputFiles('[data-control=import-tokens-file]', { name: 'two.json', mimeType: 'application/json', buffer: Buffer.from(file) });
    await page.waitForFunction(() => (window.__flowlab!.config() as { sequences: unknown[] }).sequences.length === 2);
    await waitForStatus(page, 's.step === 0');
    expect(new URL(page.url()).search).toContain('sequences=');
    expect(errors).toEqual([]);
  });

  it('a lost GPU device mid-run: training continues on a new device from the last heads read back, saying how many iterations were redone', async () => {
    // Its own page: long training (one iteration per frame), no NTK jobs.
    const url = shared.server.url + SMALL.replace('iterations=12', 'iterations=20000').replace('ntkEvery=4', 'ntkEvery=0');
    const { page: p, errors: errs } = await openPage(page.context(), url);
    expect(await p.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    const r = await loseDeviceWhilePlaying(p);
    expect(r.step).toBeGreaterThan(0);
    // Lost while paused: the heads of the iteration shown were read back, nothing is redone.
    await loseDeviceWhilePaused(p);
    expect(errs).toEqual([]);
    await p.close();
  });
});

describe.skipIf(skip !== null)('transformer page without WebGPU (CPU float64 fallback)', () => {
  const shared = useBrowser(false);

  it('trains the reduced model on the CPU and says so', async () => {
    const context = await withoutWebGpu(await shared.browser.newContext({ viewport: { width: 1280, height: 900 } }));
    // B = 16 sequences: the CPU fallback keeps 8.
    const { page, errors } = await openPage(context, shared.server.url + SMALL.replace('sequences.count=3', 'sequences.count=16'));
    expect(await page.evaluate(() => window.__flowlab!.backend())).toBe('cpu-float64');
    const notices = await page.evaluate(() => window.__flowlab!.notices());
    expect(notices.some((n) => /float64 CPU reference at reduced size \(B 16 → 8\)/.test(n.text))).toBe(true);
    await trainToEnd(page);
    await expect.poll(() => series(page, 'risk', 'risk').then((s) => s.n)).toBe(13);
    const risk = await series(page, 'risk', 'risk');
    expect(risk.last).toBeLessThan(risk.first);
    // V = 0 at initialisation: outputs sit under their inputs, which take the click.
    await page.click('[data-role=input][data-token="2"]');
    await expect.poll(() => chartAttr(page, 'attention', 'data-row')).toBe('2');
    expect(errors).toEqual([]);
    await context.close();
  });
});
