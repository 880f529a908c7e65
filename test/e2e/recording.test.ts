// Export ▸ Record video: the stage (canvas + overlay) recorded as WebM through MediaRecorder.
// Started on a running run and stopped from the menu, or stopped by itself when the run ends; the
// download is checked as WebM (EBML magic, a video track, frames in its clusters) and played in a
// <video> element, whose first frame must show the stage with its overlay (an atom marker).
// Without MediaRecorder the item is disabled and says why.
//
// The page's Content-Security-Policy has no media-src, so default-src 'self' refuses a blob: video
// in the page itself: the video is played in a separate blank page of the same browser, which has
// no policy (what a user does with the downloaded file).

import { readFileSync } from 'node:fs';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eSkipReason, openPage, useBrowser, waitForFrames, waitForStatus } from './harness';

const skip = e2eSkipReason();

const VIEWPORT = { width: 1280, height: 800 };
/** Long enough not to end while the first case records a few frames at one step per frame. */
const LONG = '?v=1&lab=score-mixing&particles.count=256&steps=2000&record=11&lambda=0.5';
/** Ends after a few frames: the second case waits for the run's end to stop the recording. */
const SHORT = '?v=1&lab=score-mixing&particles.count=256&steps=12&record=5&lambda=0.5';

// ---- a minimal Matroska / WebM reader: enough to find the video track and its frames ----

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
/** Master elements the walk steps into: Segment, Cluster, Tracks, TrackEntry, Video, BlockGroup. */
const MASTERS = new Set([0x18538067, 0x1f43b675, 0x1654ae6b, 0xae, 0xe0, 0xa0]);
const SIMPLE_BLOCK = 0xa3;
const BLOCK = 0xa1;
const CODEC_ID = 0x86;
const PIXEL_WIDTH = 0xb0;
const PIXEL_HEIGHT = 0xba;

interface WebmSummary {
  codec: string;
  width: number;
  height: number;
  /** SimpleBlocks and Blocks (each holds one frame of a track). */
  blocks: number;
}

/** An EBML variable-length integer at `at`: its length and value (marker bit kept for IDs). */
function vint(b: Uint8Array, at: number, keepMarker: boolean): { len: number; value: number; unknown: boolean } {
  const first = b[at];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8) throw new Error(`bad EBML length byte ${first} at ${at}`);
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = value === (0xff >> len);
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[at + i];
    allOnes &&= b[at + i] === 0xff;
  }
  return { len, value, unknown: !keepMarker && allOnes };
}

function uint(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[at + i];
  return v;
}

/**
 * Walks the file as one flat sequence of elements, stepping into masters rather than over them:
 * MediaRecorder writes the Segment and its Clusters with unknown sizes (a live stream).
 */
function readWebm(b: Uint8Array): WebmSummary {
  if (!EBML_MAGIC.every((x, i) => b[i] === x)) throw new Error('no EBML magic: not a WebM file');
  const out: WebmSummary = { codec: '', width: 0, height: 0, blocks: 0 };
  let at = 0;
  while (at < b.length) {
    const id = vint(b, at, true);
    const size = vint(b, at + id.len, false);
    const data = at + id.len + size.len;
    if (MASTERS.has(id.value)) {
      at = data;
      continue;
    }
    if (size.unknown) throw new Error(`element 0x${id.value.toString(16)} of unknown size at ${at}`);
    if (id.value === SIMPLE_BLOCK || id.value === BLOCK) out.blocks++;
    else if (id.value === CODEC_ID) out.codec = new TextDecoder().decode(b.subarray(data, data + size.value));
    else if (id.value === PIXEL_WIDTH) out.width = uint(b, data, size.value);
    else if (id.value === PIXEL_HEIGHT) out.height = uint(b, data, size.value);
    at = data + size.value;
  }
  return out;
}

// ---- the page ----

async function openMenu(page: Page): Promise<void> {
  if ((await page.locator('[data-testid=export-button]').getAttribute('aria-expanded')) !== 'true') await page.click('[data-testid=export-button]');
}

async function recordItemLabel(page: Page): Promise<string> {
  await openMenu(page);
  const label = (await page.locator('[data-testid=record-video]').textContent()) ?? '';
  await page.keyboard.press('Escape');
  return label;
}

async function bytesOf(dl: Download): Promise<Uint8Array> {
  return new Uint8Array(readFileSync(await dl.path()));
}

/**
 * Plays the video in a blank page of the same browser (no Content-Security-Policy there): its size
 * once its data has loaded, and how much the luminance of the first presented frame varies (0 for
 * a blank frame).
 */
async function playVideo(context: BrowserContext, bytes: Uint8Array, probe: Disc = { x: 0, y: 0, r: 0 }): Promise<{ width: number; height: number; lumaSpread: number; red: number }> {
  const blank = await context.newPage();
  try {
    return await blank.evaluate(async ({ b64, probe }) => {
      const bin = atob(b64);
      const data = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
      const video = document.createElement('video');
      video.muted = true;
      const loaded = new Promise<void>((ok, fail) => {
        video.addEventListener('loadeddata', () => ok(), { once: true });
        video.addEventListener('error', () => fail(new Error(`video error ${video.error?.code}: ${video.error?.message}`)), { once: true });
      });
      video.src = URL.createObjectURL(new Blob([data], { type: 'video/webm' }));
      document.body.append(video);
      await loaded;
      // loadeddata: decoded, not yet presented (drawImage would copy nothing): play to the first frame.
      const presented = new Promise<void>((ok) => video.requestVideoFrameCallback(() => ok()));
      await video.play();
      await presented;
      video.pause();
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(video, 0, 0);
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < px.length; i += 4) {
        const l = 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
        lo = Math.min(lo, l);
        hi = Math.max(hi, l);
      }
      // The fraction of the probe disc's pixels that are the overlay's mu1 red (#ff6b5a).
      let inDisc = 0;
      let red = 0;
      for (let y = Math.floor(probe.y - probe.r); y <= Math.ceil(probe.y + probe.r); y++) {
        for (let x = Math.floor(probe.x - probe.r); x <= Math.ceil(probe.x + probe.r); x++) {
          if ((x - probe.x) ** 2 + (y - probe.y) ** 2 > probe.r ** 2 || x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) continue;
          const o = 4 * (y * canvas.width + x);
          inDisc++;
          if (px[o] > 180 && px[o] - px[o + 1] > 60 && px[o] - px[o + 2] > 60) red++;
        }
      }
      return { width: video.videoWidth, height: video.videoHeight, lumaSpread: hi - lo, red: inDisc ? red / inDisc : 0 };
    }, { b64: Buffer.from(bytes).toString('base64'), probe });
  } finally {
    await blank.close();
  }
}

interface Disc {
  x: number;
  y: number;
  r: number;
}

/**
 * An atom marker of mu1 on the SVG overlay (red, not drawn by the canvas: app.test.ts checks the
 * PNG export the same way), in canvas pixels: the one farthest from any critical-point star.
 */
async function mu1Atom(page: Page): Promise<Disc> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid=main-canvas]')!.getBoundingClientRect();
    const centre = (e: Element) => {
      const r = e.getBoundingClientRect();
      return { x: r.x + r.width / 2 - c.x, y: r.y + r.height / 2 - c.y, r: r.width / 2 };
    };
    const cps = Array.from(document.querySelectorAll('.score-mixing-overlay .cp'), centre);
    const atoms = Array.from(document.querySelectorAll('.score-mixing-overlay .atom[data-measure=mu1]'), centre);
    const clearance = (a: { x: number; y: number }) => Math.min(Infinity, ...cps.map((p) => Math.hypot(p.x - a.x, p.y - a.y)));
    return atoms.sort((a, b) => clearance(b) - clearance(a))[0];
  });
}

function expectPlayableWebm(bytes: Uint8Array, canvas: { width: number; height: number }): WebmSummary {
  const webm = readWebm(bytes);
  expect(webm.codec).toMatch(/^V_VP[89]$/);
  expect(webm.blocks).toBeGreaterThanOrEqual(1);
  // The stage's size when the recording started (rounded to even numbers for the encoder).
  expect(Math.abs(webm.width - canvas.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(webm.height - canvas.height)).toBeLessThanOrEqual(1);
  return webm;
}

async function canvasSize(page: Page): Promise<{ width: number; height: number }> {
  return page.locator('[data-testid=main-canvas]').evaluate((c) => ({ width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height }));
}

describe.skipIf(skip !== null)('Record video (WebM)', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  });

  afterAll(async () => {
    await context?.close();
  });

  it('records a running run until Stop recording and saves a WebM that plays', async () => {
    const { page, errors } = await openPage(context, shared.server.url + LONG);
    await page.evaluate(() => {
      window.__flowlab!.setSpeed(1);
      window.__flowlab!.play();
    });
    await waitForStatus(page, 's.step >= 1');
    expect(await page.locator('[data-testid=recording-indicator]').isHidden()).toBe(true);

    // The video has the stage's size when it starts, and its first frame shows the stage then.
    const size = await canvasSize(page);
    const atom = await mu1Atom(page);
    await openMenu(page);
    await page.click('[data-testid=record-video]');
    await expect.poll(() => page.locator('[data-testid=recording-status]').textContent()).toBe('Recording started');
    expect(await page.locator('[data-testid=recording-indicator]').isVisible()).toBe(true);
    // The announcement is for screen readers only (style.css .visually-hidden).
    expect((await page.locator('[data-testid=recording-status]').boundingBox())?.width).toBeLessThanOrEqual(1);
    expect(await recordItemLabel(page)).toBe('Stop recording');
    await waitForFrames(page, 6);

    await openMenu(page);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=record-video]')]);
    await page.evaluate(() => window.__flowlab!.pause());
    expect(dl.suggestedFilename()).toMatch(/^score-mixing-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.webm$/);
    expect(await page.locator('[data-testid=recording-status]').textContent()).toBe('Recording stopped');
    expect(await page.locator('[data-testid=recording-indicator]').isHidden()).toBe(true);
    expect(await recordItemLabel(page)).toBe('Record video');

    const bytes = await bytesOf(dl);
    const webm = expectPlayableWebm(bytes, size);
    const played = await playVideo(context, bytes, { ...atom, r: atom.r - 3 });
    expect(played.width).toBe(webm.width);
    expect(played.height).toBe(webm.height);
    expect(played.lumaSpread, 'the first frame shows the stage, not a blank picture').toBeGreaterThan(20);
    // The overlay is in the video from its first frame (chroma subsampling blurs the marker's edge).
    expect(played.red, `mu1 marker colour around (${atom.x.toFixed(0)}, ${atom.y.toFixed(0)}) in the first frame`).toBeGreaterThan(0.5);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops by itself when the run reaches its end, and saves the video', async () => {
    const { page, errors } = await openPage(context, shared.server.url + SHORT);
    await page.evaluate(() => window.__flowlab!.setSpeed(0.5));
    const size = await canvasSize(page);
    await openMenu(page);
    await page.click('[data-testid=record-video]');
    await expect.poll(() => page.locator('[data-testid=recording-status]').textContent()).toBe('Recording started');

    const download = page.waitForEvent('download');
    await page.evaluate(() => window.__flowlab!.play());
    const dl = await download;
    const s = await page.evaluate(() => window.__flowlab!.status()!);
    expect(s.done).toBe(true);
    expect(await page.locator('[data-testid=recording-status]').textContent()).toBe('Recording stopped');
    expect(await page.locator('[data-testid=recording-indicator]').isHidden()).toBe(true);
    expect(await recordItemLabel(page)).toBe('Record video');
    const notices = await page.evaluate(() => window.__flowlab!.notices().map((n) => n.text));
    expect(notices.some((t) => t.startsWith(`Saved the video ${dl.suggestedFilename()}`))).toBe(true);

    const bytes = await bytesOf(dl);
    const webm = expectPlayableWebm(bytes, size);
    // One composed frame per rendered frame while playing: 12 steps at half a step per frame.
    expect(webm.blocks).toBeGreaterThanOrEqual(2);
    expect((await playVideo(context, bytes)).width).toBe(webm.width);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('is disabled, saying why, where the browser has no MediaRecorder', async () => {
    const bare = await shared.browser.newContext({ viewport: VIEWPORT });
    try {
      await bare.addInitScript({ content: 'delete window.MediaRecorder;' });
      const { page } = await openPage(bare, shared.server.url + SHORT);
      await openMenu(page);
      const item = page.locator('[data-testid=record-video]');
      expect(await item.getAttribute('aria-disabled')).toBe('true');
      expect(await item.getAttribute('title')).toMatch(/MediaRecorder/);
      await item.focus();
      await page.keyboard.press('Enter'); // a click would wait for an enabled element
      expect(await page.locator('[data-testid=recording-indicator]').isHidden()).toBe(true);
      expect(await page.locator('[data-testid=recording-status]').textContent()).toBe('');
    } finally {
      await bare.close();
    }
  });
});
