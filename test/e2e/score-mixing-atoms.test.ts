// Atom editing in the 2-D view of the score-mixing lab, through real mouse events on the SVG
// overlay: click on empty space adds an atom to the measure picked in the controls, drag moves
// one, shift-, alt- or right-click deletes one (never the last of a measure). After each edit the
// config (window.__flowlab.config()), the URL and the critical-point stars must follow; the stars
// are checked against the float64 analysis of the new config. Also: importing a point set with a
// non-numeric coordinate names the field and changes nothing.
//
// Every pointer event on SwiftShader costs about one rendered frame (~1 s on 2 cores), so drags
// use few intermediate moves and the viewport is smaller than app.test.ts's.

import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { stableCriticalPoints } from '../../src/labs/score-mixing/analysis';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import type { PointSetInput } from '../../src/labs/score-mixing/types';
import { addTestStyle, e2eSkipReason, openPage, useBrowser, waitForConfig as waitForConfigState } from './harness';

const skip = e2eSkipReason();

const SMALL = '?v=1&lab=score-mixing&particles.count=128&steps=30&record=7&lambda=0.5';
const QUIET_CSS = '.notices, .hud, .start-hint { visibility: hidden !important; }';

interface Config {
  lambda: number;
  mu1: PointSetInput;
  mu2: PointSetInput;
}

type Measure = 'mu1' | 'mu2';

interface Marker {
  measure: Measure;
  index: number;
  x: number;
  y: number;
}

/** Screen (client px) <-> data, fitted to the drawn atoms: X = ox + kx x, Y = oy + ky y. */
interface Fit {
  kx: number;
  ox: number;
  ky: number;
  oy: number;
}

function regress(data: number[], screen: number[]): [number, number] {
  const n = data.length;
  const md = data.reduce((s, v) => s + v, 0) / n;
  const ms = screen.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (data[i] - md) * (screen[i] - ms);
    sxx += (data[i] - md) ** 2;
  }
  const k = sxy / sxx;
  return [k, ms - k * md];
}

describe.skipIf(skip !== null)('Atom editing in the 2-D view (SwiftShader)', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  const config = async () => (await page.evaluate(() => window.__flowlab!.config())) as Config;

  const markers = (): Promise<Marker[]> =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('.score-mixing-overlay .atom'), (e) => {
        const r = e.getBoundingClientRect();
        return { measure: e.getAttribute('data-measure') as 'mu1' | 'mu2', index: Number(e.getAttribute('data-index')), x: r.x + r.width / 2, y: r.y + r.height / 2 };
      }),
    );

  const stars = (): Promise<[number, number][]> =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('.score-mixing-overlay .cp'), (e) => {
        const r = e.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2] as [number, number];
      }),
    );

  /** The current screen mapping, from where the atoms of `cfg` are drawn. */
  async function fit(cfg: Config): Promise<Fit> {
    const ms = await markers();
    expect(ms.length).toBe(cfg.mu1.points.length + cfg.mu2.points.length);
    const data = ms.map((m) => cfg[m.measure].points[m.index]);
    const [kx, ox] = regress(data.map((p) => p[0]), ms.map((m) => m.x));
    const [ky, oy] = regress(data.map((p) => p[1]), ms.map((m) => m.y));
    return { kx, ox, ky, oy };
  }

  const toData = (f: Fit, x: number, y: number): [number, number] => [(x - f.ox) / f.kx, (y - f.oy) / f.ky];

  /** The config in the URL (point sets are `~` + base64url JSON). */
  function urlSet(measure: Measure): PointSetInput {
    const v = new URL(page.url()).searchParams.get(measure);
    expect(v?.startsWith('~'), `${measure} in the URL`).toBe(true);
    return JSON.parse(Buffer.from(v!.slice(1), 'base64url').toString('utf8')) as PointSetInput;
  }

  /** Waits until the URL holds `cfg`'s point sets (the URL is updated with a short debounce). */
  async function expectUrlMatches(cfg: Config): Promise<void> {
    await expect.poll(() => [urlSet('mu1'), urlSet('mu2')]).toEqual([cfg.mu1, cfg.mu2]);
  }

  /** The stars sit on the stable critical points of `cfg` (float64 analysis), to 1.5 px. */
  async function expectStarsMatch(cfg: Config): Promise<number> {
    const f = await fit(cfg);
    const expected = stableCriticalPoints(toMeasure(cfg.mu1), toMeasure(cfg.mu2), cfg.lambda).map((c) => [f.ox + f.kx * c.x[0], f.oy + f.ky * c.x[1]]);
    const drawn = await stars();
    expect(drawn.length).toBe(expected.length);
    for (const [x, y] of expected) {
      const nearest = Math.min(...drawn.map(([u, v]) => Math.hypot(u - x, v - y)));
      expect(nearest, `a star at (${x.toFixed(1)}, ${y.toFixed(1)})`).toBeLessThan(1.5);
    }
    return expected.length;
  }

  async function waitForConfig(predicate: string): Promise<Config> {
    return waitForConfigState<Config>(page, predicate);
  }

  /** A point of the overlay at fractions (fx, fy) of its box, checked to be away from every atom. */
  async function emptySpot(fx: number, fy: number): Promise<[number, number]> {
    const box = (await page.locator('.score-mixing-overlay').boundingBox())!;
    const spot: [number, number] = [box.x + fx * box.width, box.y + fy * box.height];
    for (const m of await markers()) expect(Math.hypot(m.x - spot[0], m.y - spot[1])).toBeGreaterThan(25);
    return spot;
  }

  const atom = (measure: Measure, index: number) => page.locator(`.score-mixing-overlay .atom[data-measure=${measure}][data-index="${index}"]`);

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: { width: 1000, height: 700 } });
    ({ page, errors } = await openPage(context, shared.server.url + SMALL));
    await addTestStyle(page, QUIET_CSS);
  });

  it('a click on empty space adds an atom to the measure picked in the controls', async () => {
    const before = await config();
    expect(before.mu1.points.length).toBe(3);
    expect(before.mu2.points.length).toBe(1);
    await expectStarsMatch(before);

    await page.click('[data-control=edit-mu2]');
    let f = await fit(before);
    let spot = await emptySpot(0.15, 0.8);
    await page.mouse.click(...spot);
    const added2 = await waitForConfig('c.mu2.points.length === 2');
    expect(added2.mu1).toEqual(before.mu1);
    const want2 = toData(f, ...spot);
    expect(added2.mu2.points[1][0]).toBeCloseTo(want2[0], 1);
    expect(added2.mu2.points[1][1]).toBeCloseTo(want2[1], 1);
    expect(added2.mu2.weights).toBeUndefined();
    await expectUrlMatches(added2);
    await expectStarsMatch(added2);

    await page.click('[data-control=edit-mu1]');
    f = await fit(added2);
    spot = await emptySpot(0.85, 0.2);
    await page.mouse.click(...spot);
    const added1 = await waitForConfig('c.mu1.points.length === 4');
    expect(added1.mu2).toEqual(added2.mu2);
    expect(added1.mu1.points.slice(0, 3)).toEqual(before.mu1.points);
    const want1 = toData(f, ...spot);
    expect(added1.mu1.points[3][0]).toBeCloseTo(want1[0], 1);
    expect(added1.mu1.points[3][1]).toBeCloseTo(want1[1], 1);
    // The new atom gets the mean weight: the others keep their relative weights.
    expect(added1.mu1.weights).toEqual([...before.mu1.weights!, before.mu1.weights!.reduce((s, w) => s + w, 0) / 3]);
    await expectUrlMatches(added1);
    await expectStarsMatch(added1);
    expect(errors).toEqual([]);
  });

  it('dragging an atom moves it (the run restarts from the new atoms)', async () => {
    const before = await config();
    const f = await fit(before);
    const a = (await markers()).find((m) => m.measure === 'mu1' && m.index === 0)!;
    const to: [number, number] = [a.x + 45, a.y + 30];
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(...to, { steps: 2 });
    await page.mouse.up();
    const moved = await waitForConfig(`c.mu1.points[0][0] !== ${before.mu1.points[0][0]}`);
    const want = toData(f, ...to);
    expect(moved.mu1.points[0][0]).toBeCloseTo(want[0], 1);
    expect(moved.mu1.points[0][1]).toBeCloseTo(want[1], 1);
    expect(moved.mu1.points.slice(1)).toEqual(before.mu1.points.slice(1));
    expect(moved.mu1.weights).toEqual(before.mu1.weights);
    expect(moved.mu2).toEqual(before.mu2);
    await expectUrlMatches(moved);
    await expectStarsMatch(moved);
    expect((await page.evaluate(() => window.__flowlab!.status()))!.step).toBe(0);
  });

  it('shift-, alt- and right-click delete an atom, but never the last one of a measure', async () => {
    const before = await config();
    expect(before.mu1.points.length).toBe(4);
    expect(before.mu2.points.length).toBe(2);

    await atom('mu1', 1).click({ modifiers: ['Shift'] });
    const shift = await waitForConfig('c.mu1.points.length === 3');
    expect(shift.mu1.points).toEqual(before.mu1.points.filter((_, i) => i !== 1));
    expect(shift.mu1.weights).toEqual(before.mu1.weights!.filter((_, i) => i !== 1));
    await expectStarsMatch(shift);

    await atom('mu1', 0).click({ modifiers: ['Alt'] });
    const alt = await waitForConfig('c.mu1.points.length === 2');
    expect(alt.mu1.points).toEqual(shift.mu1.points.slice(1));
    await expectStarsMatch(alt);

    await atom('mu2', 1).click({ button: 'right' });
    const right = await waitForConfig('c.mu2.points.length === 1');
    expect(right.mu2.points).toEqual(before.mu2.points.slice(0, 1));
    expect(right.mu1).toEqual(alt.mu1);
    await expectUrlMatches(right);
    await expectStarsMatch(right);

    await atom('mu2', 0).click({ modifiers: ['Shift'] });
    await page.waitForFunction(() => window.__flowlab!.notices().some((n) => /mu2 needs at least one atom/.test(n.text)));
    expect(await config()).toEqual(right);
    expect(errors).toEqual([]);
  });

  it('importing a point set with a non-numeric coordinate names the field and changes nothing', async () => {
    const before = await config();
    const url = page.url();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-control=import-mu1-button]')]);
    await chooser.setFiles({
      name: 'bad-points.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ points: [[0, 0], [1, 'north']] })),
    });
    await page.waitForFunction(() => window.__flowlab!.notices().some((n) => n.level === 'error' && /bad-points\.json/.test(n.text)));
    const notice = (await page.evaluate(() => window.__flowlab!.notices())).filter((n) => /bad-points\.json/.test(n.text)).pop()!;
    expect(notice.text).toMatch(/points\[1\]\[1\].*"north".*finite number/);
    expect(await config()).toEqual(before);
    expect(page.url()).toBe(url);
    expect(errors).toEqual([]);
  });
});
