// Shared plumbing of the end-to-end tests: build the page (unless dist/ is newer than every
// source), serve dist/ from a tiny static server on 127.0.0.1 with a free port, and launch
// Debian's Chromium through playwright-core with SwiftShader WebGPU.
//
// Chromium missing: a failure on CI (process.env.CI set), a skip with a reason locally.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzlibSync } from 'fflate';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, vi } from 'vitest';

/**
 * Every wait in the e2e tests is on a page state or an event (a status, a notice, a download),
 * never on time: these ceilings only turn a hang into a failure. They are far above what a run
 * takes on an idle machine, so a loaded one (the suite beside other CPU-heavy jobs, SwiftShader
 * being a CPU renderer) is only slower, never failing. Playwright's waits get HANG_MS through
 * openPage/useBrowser (setDefaultTimeout), expect.poll and the tests and hooks of every file that
 * imports this harness get theirs from vi.setConfig below; no test sets a shorter one.
 */
export const HANG_MS = 300_000;
/** A test or hook may wait for several states in a row. */
export const TEST_MS = 900_000;
vi.setConfig({ testTimeout: TEST_MS, hookTimeout: TEST_MS, expect: { poll: { timeout: HANG_MS, interval: 50 } } });

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** FLOWLAB_E2E_DIST serves another, already built folder (no build step). */
export const DIST = process.env.FLOWLAB_E2E_DIST ?? join(ROOT, 'dist');
export const CHROMIUM = process.env.FLOWLAB_CHROMIUM ?? '/usr/bin/chromium';

export const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
];
export const COMMON_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Why the e2e tests cannot run here, or null. Throws on CI, where a missing browser is a failure. */
export function e2eSkipReason(): string | null {
  let reason: string | null = null;
  if (!existsSync(CHROMIUM)) reason = `Chromium not found at ${CHROMIUM} (set FLOWLAB_CHROMIUM)`;
  else if (!existsSync(join(ROOT, 'node_modules/playwright-core'))) reason = 'playwright-core is not installed';
  if (reason && process.env.CI) throw new Error(`e2e: ${reason}; on CI this is a failure`);
  if (reason) console.warn(`[e2e skipped] ${reason}`);
  return reason;
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newestMtime(join(path, name)));
  return t;
}

/** `npx vite build` unless dist/index.html is newer than index.html, src/, shaders/ and public/. */
export function ensureBuilt(): void {
  if (process.env.FLOWLAB_E2E_DIST) return;
  const built = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  const sources = Math.max(...['index.html', 'src', 'shaders', 'public', 'package.json', 'vite.config.ts'].map((p) => newestMtime(join(ROOT, p))));
  if (built > sources && !process.env.FLOWLAB_E2E_REBUILD) return;
  execFileSync('npx', ['vite', 'build', '--outDir', 'dist', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wgsl': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serve `dir` on 127.0.0.1 with a free port. */
export async function serveStatic(dir = DIST): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function launch(webgpu = true): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...(webgpu ? WEBGPU_ARGS : []), ...COMMON_ARGS], timeout: HANG_MS });
  // Contexts made from it wait for states as long as HANG_MS (Playwright's default is 30 s).
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args);
    context.setDefaultTimeout(HANG_MS);
    return context;
  };
  return browser;
}

/**
 * For a describe block: dist/ built and served, one Chromium (SwiftShader WebGPU or none) launched
 * in beforeAll and closed in afterAll. Read `server` and `browser` inside tests or later hooks.
 */
export function useBrowser(webgpu: boolean, timeout = TEST_MS): { readonly server: StaticServer; readonly browser: Browser } {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    ensureBuilt();
    server = await serveStatic();
    browser = await launch(webgpu);
  }, timeout);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('useBrowser: the server starts in beforeAll');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('useBrowser: the browser starts in beforeAll');
      return browser;
    },
  };
}

/** Pages of this context behave like a browser without WebGPU at all (navigator.gpu undefined). */
export async function withoutWebGpu(context: BrowserContext): Promise<BrowserContext> {
  // A string, so no bundler helpers leak into the page.
  await context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });" });
  return context;
}

/** A page that records console errors and page errors. */
export async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  context.setDefaultTimeout(HANG_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.__flowlab?.ready === true);
  return { page, errors };
}

// ---- waiting for states ----
// Predicates as text ("s.step === 5 || s.done") are compiled here, in Node, and the state they read
// is polled through the test hook: the page's Content-Security-Policy refuses to evaluate strings
// in the page (page.waitForFunction with a string needs 'unsafe-eval').

function compile(name: string, predicate: string): (v: unknown) => boolean {
  return new Function(name, `return !!(${predicate});`) as (v: unknown) => boolean;
}

/** Until `predicate` holds for the page's run status `s`. */
export async function waitForStatus(page: Page, predicate: string): Promise<void> {
  const test = compile('s', `s && (${predicate})`);
  await expect.poll(async () => test(await page.evaluate(() => window.__flowlab!.status())), { message: `status: ${predicate}`, timeout: HANG_MS, interval: 20 }).toBe(true);
}

/** Until `predicate` holds for the page's config `c`; resolves to that config. */
export async function waitForConfig<T = unknown>(page: Page, predicate: string): Promise<T> {
  const test = compile('c', predicate);
  let config: unknown;
  await expect
    .poll(
      async () => {
        config = await page.evaluate(() => window.__flowlab!.config());
        return test(config);
      },
      { message: `config: ${predicate}`, timeout: HANG_MS, interval: 20 },
    )
    .toBe(true);
  return config as T;
}

/** Until `n` more animation frames have been drawn (the page draws in rAF). */
export async function waitForFrames(page: Page, n: number): Promise<void> {
  const start = await page.evaluate(() => window.__flowlab!.frames());
  await page.waitForFunction((k) => window.__flowlab!.frames() >= k, start + n);
}

// ---- device loss (every lab's e2e file runs these on its own small run) ----

/** The step and steps redone of the first "restored on a new device" notice after the first `since` notices. */
export async function restoredAt(page: Page, since: number): Promise<{ step: number; redone: number; text: string }> {
  const handle = await page.waitForFunction((n) => {
    for (const x of window.__flowlab!.notices().slice(n)) {
      const m = /restored on a new device at step (\d+) \((\d+) steps? redone\)/.exec(x.text);
      if (m) return { step: Number(m[1]), redone: Number(m[2]), text: x.text };
    }
    return false;
  }, since);
  return (await handle.jsonValue()) as { step: number; redone: number; text: string };
}

async function statusOf(page: Page) {
  return page.evaluate(() => window.__flowlab!.status()!);
}

/**
 * Loses the device while the run plays at one step per frame, once the page holds a saved state
 * and has run past it: the notice names the step the run continued at — the saved state or a
 * later one — and the steps redone (those since it); the run goes on playing on the new device.
 */
export async function loseDeviceWhilePlaying(page: Page): Promise<{ step: number; redone: number }> {
  await page.evaluate(() => {
    window.__flowlab!.setSpeed(1);
    window.__flowlab!.play();
  });
  await page.waitForFunction(() => {
    const s = window.__flowlab!.status();
    return !!s && s.savedStep !== undefined && s.savedStep >= 1 && s.step > s.savedStep && !s.done;
  });
  const since = await page.evaluate(() => window.__flowlab!.notices().length);
  const before = await statusOf(page);
  await page.evaluate(() => window.__flowlab!.loseDevice());
  const r = await restoredAt(page, since);
  expect(r.step, r.text).toBeGreaterThanOrEqual(before.savedStep!);
  expect(r.step + r.redone, r.text).toBeGreaterThanOrEqual(before.step);
  expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
  // It plays on (play() is a no-op when the shell already resumed it, as it does).
  await page.evaluate(() => window.__flowlab!.play());
  await page.waitForFunction((k) => {
    const s = window.__flowlab!.status()!;
    return s.step > k || s.done;
  }, r.step);
  return r;
}

/** Loses the device while paused, once the page saved the state it shows: nothing is redone. */
export async function loseDeviceWhilePaused(page: Page): Promise<void> {
  await page.evaluate(() => window.__flowlab!.pause());
  await page.waitForFunction(() => {
    const s = window.__flowlab!.status();
    return !!s && s.savedStep === s.step;
  });
  const at = (await statusOf(page)).step;
  const since = await page.evaluate(() => window.__flowlab!.notices().length);
  await page.evaluate(() => window.__flowlab!.loseDevice());
  const r = await restoredAt(page, since);
  expect({ step: r.step, redone: r.redone }, r.text).toEqual({ step: at, redone: 0 });
  expect((await statusOf(page)).step).toBe(at);
  expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
  // The next step runs on the new device.
  await page.evaluate(() => window.__flowlab!.step());
  await page.waitForFunction((k) => {
    const s = window.__flowlab!.status()!;
    return s.step === k + 1 || s.done;
  }, at);
}

/**
 * Test-only CSS for the page (hiding the HUD for screenshots, ...) as a constructed stylesheet:
 * the page's Content-Security-Policy refuses the inline <style> of page.addStyleTag, while the
 * CSSOM is allowed. Returns a function that takes the sheet away again.
 */
export async function addTestStyle(page: Page, css: string): Promise<() => Promise<void>> {
  const id = await page.evaluate((text) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    const w = window as unknown as { __testSheets?: CSSStyleSheet[] };
    (w.__testSheets ??= []).push(sheet);
    return w.__testSheets.length - 1;
  }, css);
  return async () => {
    await page.evaluate((i) => {
      const sheet = (window as unknown as { __testSheets: CSSStyleSheet[] }).__testSheets[i];
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
    }, id);
  };
}

// ---- a minimal PNG decoder (8-bit RGB/RGBA, non-interlaced), for pixel checks ----

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  rgba: Uint8Array;
}

export function decodePng(buf: Uint8Array): Image {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => buf[i] === b)) throw new Error('not a PNG');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  while (off < buf.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...buf.subarray(off + 4, off + 8));
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`PNG colour type ${colorType} not supported`);
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  let o = 0;
  for (const d of idat) {
    joined.set(d, o);
    o += d.length;
  }
  const raw = unzlibSync(joined);
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = out[3 * i];
    rgba[4 * i + 1] = out[3 * i + 1];
    rgba[4 * i + 2] = out[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba };
}

/** Variance of the luminance: ~0 for a blank (single-colour) image. */
export function lumaVariance(img: Image): number {
  let s = 0;
  let s2 = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const l = 0.2126 * img.rgba[4 * i] + 0.7152 * img.rgba[4 * i + 1] + 0.0722 * img.rgba[4 * i + 2];
    s += l;
    s2 += l * l;
  }
  const mean = s / n;
  return s2 / n - mean * mean;
}

/** Fraction of pixels whose RGB differs by more than `tol` in some channel. */
export function diffFraction(a: Image, b: Image, tol = 8): number {
  if (a.width !== b.width || a.height !== b.height) return 1;
  let n = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(a.rgba[4 * i + c] - b.rgba[4 * i + c]) > tol) {
        n++;
        break;
      }
    }
  }
  return n / (a.width * a.height);
}

// ---- accessibility ----

/** One axe-core violation, as the tests report it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA rules).
 * axe is injected through the DevTools protocol (page.evaluate), which the page's
 * Content-Security-Policy does not govern, so the built page is checked with its CSP in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const all = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
