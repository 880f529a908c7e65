// The bilevel page in headless Chromium (SwiftShader WebGPU), on a 48 x 48 map: loads from URL
// state without console errors and computes the whole map; the canvas shows the active-set regions
// of the nominal QP in their palette colours and the legend names the constraints; the rigidity
// witness caption reads I(a) = {} vs I(b) = {2} with an SCSC crossing, and moving an endpoint with
// the keyboard moves it by one pixel; the probe read-out solves exactly at the hovered x (the
// float64 reference agrees to the last bit); the eps slider changes URL and map; Resample changes
// the seed in config and URL; the npz export holds the CLI contract's arrays and shapes and agrees
// with the float64 reference; a bad link names grid.n and keeps the default; the disk shows an
// SCSC fraction > 0 that halves under refinement; the charts export as SVG.

import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../../src/io/npy';
import { parseConfig, perturbationOf } from '../../src/labs/bilevel/config';
import { solveMapReference, solvePixel } from '../../src/labs/bilevel/reference';
import { decodePng, diffFraction, e2eSkipReason, openPage, restoredAt, useBrowser, withoutWebGpu, type Image } from './harness';

const skip = e2eSkipReason();

const N = 48;
const QP = `?v=1&lab=bilevel&family=qp&grid.n=${N}`;
const SHOTS = process.env.FLOWLAB_E2E_SHOTS;

/** The palette colours of the QP's ten active sets (view/palette.ts), by bitmask. */
const QP_COLOURS: Record<number, [number, number, number]> = {
  0: [0xba, 0xb0, 0xab],
  1: [0x4e, 0x79, 0xa7],
  2: [0xf2, 0x8e, 0x2c],
  4: [0x59, 0xa1, 0x4f],
  8: [0x76, 0xb7, 0xb2],
  3: [0xe1, 0x57, 0x59],
  5: [0xed, 0xc9, 0x49],
  6: [0xaf, 0x7a, 0xa1],
  10: [0xff, 0x9d, 0xa7],
  12: [0x9c, 0x75, 0x5f],
};

/** Play at full speed until every row is computed and its codes are painted. */
async function computeMap(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__flowlab!.setSpeed(64);
    window.__flowlab!.play();
  });
  await page.waitForFunction(
    () => {
      const s = window.__flowlab!.status();
      const drawn = document.querySelector<HTMLCanvasElement>('[data-testid=main-canvas]')?.dataset.rowsDrawn;
      return s?.done === true && Number(drawn) === s.steps;
    },
  );
}

async function canvasShot(page: Page, name?: string): Promise<Image> {
  return decodePng(await page.locator('[data-testid=main-canvas]').screenshot({ path: SHOTS && name ? `${SHOTS}/${name}.png` : undefined }));
}

/** Palette colours covering at least `minPixels` pixels of the picture. */
function paletteColoursShown(img: Image, minPixels = 30): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < img.width * img.height; i++) {
    const p = img.rgba.subarray(4 * i, 4 * i + 3);
    for (const [bits, c] of Object.entries(QP_COLOURS)) {
      if (Math.abs(p[0] - c[0]) <= 3 && Math.abs(p[1] - c[1]) <= 3 && Math.abs(p[2] - c[2]) <= 3) counts.set(Number(bits), (counts.get(Number(bits)) ?? 0) + 1);
    }
  }
  return [...counts.entries()].filter(([, n]) => n >= minPixels).map(([b]) => b);
}

describe.skipIf(skip !== null)('bilevel page on WebGPU (SwiftShader)', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    ({ page, errors } = await openPage(context, shared.server.url + QP));
  });

  it('computes the nominal QP map: palette colours of >= 5 active sets, a legend naming the constraints, the witness caption', async () => {
    expect(await page.evaluate(() => window.__flowlab!.lab())).toBe('bilevel');
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 0, steps: N, done: false });
    await computeMap(page);
    const shown = paletteColoursShown(await canvasShot(page, 'bilevel-canvas'));
    expect(shown.length).toBeGreaterThanOrEqual(5);
    const sets = await page.locator('[data-testid=bilevel-legend] .legend-set').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-bitmask'))));
    expect(sets.length).toBeGreaterThanOrEqual(5);
    for (const b of shown) expect(sets).toContain(b);
    const legend = (await page.locator('[data-testid=bilevel-legend]').textContent()) ?? '';
    expect(legend).toContain('ceiling y₂ ≤ b₄(x)');
    expect(legend).toContain('{} interior');
    expect(legend).toMatch(/\{2\} right roof/);
    expect(legend).toMatch(/SCSC \d+\.\d+ %/);
    // The nominal QP: LICQ and SCSC fail on curves, SOSC never (Hessian I).
    const frac = (c: string) => page.locator(`[data-testid=fraction-${c}]`).getAttribute('data-fraction').then(Number);
    expect(await frac('scsc')).toBeGreaterThan(0);
    expect(await frac('licq')).toBeGreaterThan(0);
    expect(await frac('sosc')).toBe(0);
    expect(await page.locator('[data-testid=main-canvas]').getAttribute('aria-label')).toMatch(/Active-set map of the qp lower level/);
    expect(await page.locator('[data-testid=witness-caption]').textContent()).toMatch(
      /^I\(a\) = \{\} vs I\(b\) = \{2\}: every path between them crosses a failure set \(here: SCSC at t = 0\.\d\d/,
    );
    expect(await page.locator('.witness circle.crossing[data-condition=scsc]').count()).toBeGreaterThan(0);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/bilevel-page.png` });
    expect(errors).toEqual([]);
  });

  it('moves a witness endpoint by one pixel per arrow key, without the shell stepping', async () => {
    const a = page.locator('[data-witness=a]');
    const before = Number(await a.getAttribute('data-x1'));
    await a.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => Number(await a.getAttribute('data-x1'))).toBeCloseTo(before + 4 / N, 10);
    expect(await page.locator('[data-testid=witness-a-x1]').inputValue()).toBe(String(Number((before + 4 / N).toFixed(4))));
    expect(await page.evaluate(() => window.__flowlab!.status()!.step)).toBe(N);
    // The number inputs set it back.
    await page.locator('[data-testid=witness-a-x1]').fill('0');
    await page.locator('[data-testid=witness-a-x1]').press('Enter');
    await expect.poll(async () => Number(await a.getAttribute('data-x1'))).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the probe read-out solves exactly at the hovered x', async () => {
    const box = (await page.locator('[data-layer=bilevel-overlay] .map-hit').boundingBox())!;
    const target = [0.7, -0.4];
    await page.mouse.move(box.x + ((target[0] + 2) / 4) * box.width, box.y + ((2 - target[1]) / 4) * box.height);
    const readout = page.locator('[data-testid=bilevel-readout]');
    await expect.poll(() => readout.getAttribute('data-x1')).not.toBeNull();
    const d = await readout.evaluate((e: HTMLElement) => ({ ...e.dataset }));
    const x: [number, number] = [Number(d.x1), Number(d.x2)];
    expect(x[0]).toBeCloseTo(target[0], 1);
    expect(x[1]).toBeCloseTo(target[1], 1);
    const text = (await readout.textContent()) ?? '';
    expect(text).toMatch(/x {6}= \(0\.\d+, -0\.\d+\)/);
    expect(text).toMatch(/margin LICQ [\d.e+-]+.*SCSC [\d.e+-]+.*SOSC/);
    expect(text).toMatch(/I\(x\) {3}= \{/);
    // The same float64 solve in Node gives the same margins, to the last bit.
    const cfg = parseConfig(await page.evaluate(() => window.__flowlab!.config()));
    const s = solvePixel(cfg.family, x[0], x[1], perturbationOf(cfg));
    expect([Number(d.marginLicq), Number(d.marginScsc), Number(d.marginSosc)]).toEqual(s.margins);
    expect(Number(d.active)).toBe(s.active);
    expect(errors).toEqual([]);
  });

  it('exports an npz with the CLI contract: arrays, shapes, meta; agreeing with the float64 reference', async () => {
    await page.click('[data-testid=export-button]');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-npz]')]);
    const members = unzipSync(new Uint8Array(readFileSync(await dl.path())));
    const npy = (name: string) => decodeNpy(members[`${name}.npy`]);
    const shapes: Record<string, number[]> = {
      x1: [N],
      x2: [N],
      y: [N, N, 2],
      mu: [N, N, 4],
      active: [N, N],
      margin_licq: [N, N],
      margin_scsc: [N, N],
      margin_sosc: [N, N],
      fail_licq: [N, N],
      fail_scsc: [N, N],
      fail_sosc: [N, N],
      fraction: [3],
      q: [2],
      d: [4],
    };
    for (const [name, shape] of Object.entries(shapes)) expect({ name, shape: npy(name).shape }).toEqual({ name, shape });
    const meta = JSON.parse(new TextDecoder().decode(members['meta.json']));
    expect(meta.lab).toBe('bilevel');
    expect(meta.config.grid.n).toBe(N);
    expect(meta.precision).toBe('float32');
    // float32 GPU vs float64 reference: the same active set except within rounding of a boundary.
    const ref = solveMapReference(parseConfig(meta.config));
    const active = npy('active').data;
    let differ = 0;
    for (let k = 0; k < N * N; k++) if (active[k] !== ref.active[k]) differ++;
    expect(differ / (N * N)).toBeLessThan(0.01);
    const fraction = Array.from(npy('fraction').data);
    fraction.forEach((f, c) => expect(Math.abs(f - ref.fraction[c])).toBeLessThan(0.01));
    expect(Array.from(npy('x1').data)).toEqual(Array.from(ref.x1));
    expect(errors).toEqual([]);
  });

  it('the eps slider changes the URL and the map; Resample changes the seed in config and URL', async () => {
    const before = await canvasShot(page);
    const activeBefore = (await page.evaluate(() => window.__flowlab!.snapshot())).active;
    expect(await page.evaluate(() => window.__flowlab!.setParam('perturbation.eps', 0.2))).toBe(true);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('perturbation.eps') === '0.2');
    await computeMap(page);
    expect(diffFraction(before, await canvasShot(page, 'bilevel-perturbed'))).toBeGreaterThan(0.005);
    const activeAfter = (await page.evaluate(() => window.__flowlab!.snapshot())).active;
    expect(activeAfter).not.toEqual(activeBefore);
    const q = (await page.locator('[data-testid=perturbation]').textContent()) ?? '';
    expect(q).toMatch(/ε = 0\.2, seed 1/);

    const seed = () => page.evaluate(() => (window.__flowlab!.config() as { perturbation: { seed: number } }).perturbation.seed);
    expect(await seed()).toBe(1);
    await page.click('[data-testid=resample]');
    await expect.poll(seed).toBe(2);
    await page.waitForFunction(() => new URLSearchParams(location.search).get('perturbation.seed') === '2');
    await expect.poll(() => page.locator('[data-testid=perturbation]').textContent()).toMatch(/seed 2/);
    expect(q).not.toBe(await page.locator('[data-testid=perturbation]').textContent());
    expect(errors).toEqual([]);
  });

  it('the disk shows an SCSC fraction > 0 that halves under refinement; the charts export', async () => {
    expect(await page.evaluate(() => window.__flowlab!.setParam('perturbation.eps', 0))).toBe(true);
    expect(await page.evaluate(() => window.__flowlab!.setParam('family', 'disk'))).toBe(true);
    await computeMap(page);
    const scsc = Number(await page.locator('[data-testid=fraction-scsc]').getAttribute('data-fraction'));
    expect(scsc).toBeGreaterThan(0.05);
    expect(Number(await page.locator('[data-testid=fraction-licq]').getAttribute('data-fraction'))).toBe(0);
    const refinement = () => page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'refinement')?.svg ?? '');
    await expect.poll(async () => /data-condition="scsc" data-levels="48,96,192"/.test(await refinement())).toBe(true);
    const m = /data-condition="scsc" data-levels="48,96,192" data-fractions="([^"]+)"/.exec(await refinement())!;
    const f = m[1].split(',').map(Number);
    expect(f[0]).toBeCloseTo(scsc, 6);
    expect(f[0] / f[1]).toBeGreaterThan(1.6);
    expect(f[0] / f[1]).toBeLessThan(2.6);
    expect(f[1] / f[2]).toBeGreaterThan(1.6);
    expect(f[1] / f[2]).toBeLessThan(2.6);
    const gap = await page.evaluate(() => window.__flowlab!.charts().find((c) => c.name === 'gap-demo')?.svg ?? '');
    expect(gap).toMatch(/data-quantity="jump" data-left="-1" data-right="0"/);
    expect(errors).toEqual([]);
  });

  it('a json snapshot export -> import reopens the map at the same row', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await page.waitForFunction(() => window.__flowlab!.status()?.step === 0);
    for (let i = 0; i < 5; i++) await page.evaluate(() => window.__flowlab!.step());
    await page.waitForFunction(() => window.__flowlab!.status()?.step === 5);
    await page.click('[data-testid=export-button]');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
    const path = await dl.path();
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    expect(saved.lab).toBe('bilevel');
    // The export holds the whole map even though 5 of 48 columns were shown.
    expect(saved.arrays.active.shape).toEqual([N, N]);
    await page.evaluate(() => window.__flowlab!.reset());
    await page.waitForFunction(() => window.__flowlab!.status()?.step === 0);
    await page.setInputFiles('[data-testid=import-file]', path);
    await page.waitForFunction(() => window.__flowlab!.status()?.step === 5);
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('[data-testid=main-canvas]')?.dataset.rowsDrawn === '5');
    expect(errors).toEqual([]);
  });

  it('recovers from a lost GPU device at the same row', async () => {
    const before = await page.evaluate(() => window.__flowlab!.status()!.step);
    const since = await page.evaluate(() => window.__flowlab!.notices().length);
    await page.evaluate(() => window.__flowlab!.loseDevice());
    // The rows shown are computed again on the new device: nothing is lost, nothing redone.
    expect(await restoredAt(page, since)).toMatchObject({ step: before, redone: 0 });
    expect(await page.evaluate(() => window.__flowlab!.status()!.step)).toBe(before);
    await computeMap(page);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(Number(await page.locator('[data-testid=fraction-scsc]').getAttribute('data-fraction'))).toBeGreaterThan(0);
  });

  it('a lost GPU device mid-run: the map continues on a new device at the row reached', async () => {
    await page.evaluate(() => window.__flowlab!.reset());
    await page.waitForFunction(() => window.__flowlab!.status()?.step === 0);
    await page.evaluate(() => {
      window.__flowlab!.setSpeed(1);
      window.__flowlab!.play();
    });
    await page.waitForFunction(() => (window.__flowlab!.status()?.step ?? 0) >= 2);
    const before = await page.evaluate(() => window.__flowlab!.status()!.step);
    const since = await page.evaluate(() => window.__flowlab!.notices().length);
    await page.evaluate(() => window.__flowlab!.loseDevice());
    const r = await restoredAt(page, since);
    expect(r.step).toBeGreaterThanOrEqual(before);
    expect(r.redone).toBe(0);
    await computeMap(page);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
    expect(errors).toEqual([]);
  });

  it('a bad link names grid.n and keeps the default', async () => {
    const { page: p, errors: errs } = await openPage(page.context(), `${shared.server.url}?v=1&lab=bilevel&grid.n=0`);
    const cfg = (await p.evaluate(() => window.__flowlab!.config())) as { family: string; grid: { n: number } };
    expect(cfg.grid.n).toBe(256);
    expect(cfg.family).toBe('qp');
    await expect.poll(() => p.evaluate(() => window.__flowlab!.notices().some((n) => n.level === 'error' && /grid\.n/.test(n.text)))).toBe(true);
    expect(errs).toEqual([]);
    await p.close();
  });
});

describe.skipIf(skip !== null)('bilevel page without WebGPU (float64 CPU reference)', () => {
  const shared = useBrowser(false);

  it('runs the reference with grid.n capped at 256 and says so; the export is float64', async () => {
    const context = await withoutWebGpu(await shared.browser.newContext({ viewport: { width: 1280, height: 900 } }));
    const { page, errors } = await openPage(context, `${shared.server.url}?v=1&lab=bilevel&family=disk&grid.n=300`);
    expect(await page.evaluate(() => window.__flowlab!.backend())).toBe('cpu-float64');
    expect(await page.evaluate(() => window.__flowlab!.status())).toMatchObject({ step: 0, steps: 256 });
    await expect.poll(() => page.evaluate(() => window.__flowlab!.notices().some((n) => /N = 256 instead of N = 300/.test(n.text)))).toBe(true);
    await computeMap(page);
    const snap = await page.evaluate(() => window.__flowlab!.snapshot());
    expect(snap.active.length).toBe(256 * 256);
    const ref = solveMapReference(parseConfig({ family: 'disk', grid: { n: 256 } }));
    expect(snap.fraction).toEqual(Array.from(ref.fraction));
    expect(snap.margin_scsc).toEqual(Array.from(ref.margins[1]));
    expect(errors).toEqual([]);
    await context.close();
  });
});
