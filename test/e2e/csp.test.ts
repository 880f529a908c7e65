// The built page's Content-Security-Policy (vite.config.ts puts it into index.html as a meta tag):
// every lab loads, runs a few steps, draws its charts and exports a PNG with the policy active and
// not one violation (securitypolicyviolation events and console errors both count); lil-gui's
// stylesheet applies (bundled, not injected); the transformer's NTK worker loads (worker-src); and
// a fetch to another origin is refused before it leaves the page (connect-src 'none': the other
// server sees no request).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, e2eSkipReason, openPage, useBrowser } from './harness';

const skip = e2eSkipReason();

/** Tiny runs of each lab (SwiftShader is a CPU). */
const LAB_URLS: Record<string, string> = {
  'score-mixing': '?v=1&lab=score-mixing&particles.count=256&steps=40&record=11&lambda=0.5',
  'primal-dual': '?v=1&lab=primal-dual&initial.count=16&initial.spread=0.5&initial.seed=1&T=20&h=0.02&record=21',
  transformer: '?v=1&lab=transformer&sequences.count=3&sequences.n=4&L=2&H=2&task.L=2&task.H=1&iterations=12&record=3&tau=0.5&ntkEvery=4&ntk=true',
  bilevel: '?v=1&lab=bilevel&family=qp&grid.n=48',
};

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

/** Records every securitypolicyviolation of the context's pages in window.__cspViolations. */
async function recordViolations(context: BrowserContext): Promise<void> {
  // Init scripts come from the debugger protocol, not the page, so the policy does not apply to them.
  await context.addInitScript({
    content:
      "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }));",
  });
}

async function violations(page: Page): Promise<Violation[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);
}

describe.skipIf(skip !== null)('Content-Security-Policy of the built page', () => {
  const shared = useBrowser(true);
  let context: BrowserContext;
  /** Another origin (another port), counting the requests that reach it. */
  let other: { url: string; hits: number; close(): Promise<void> };

  beforeAll(async () => {
    context = await shared.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await recordViolations(context);
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/plain' }).end('reached');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    other = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      get hits() {
        return hits;
      },
      close: () => new Promise<void>((ok) => server.close(() => ok())),
    };
  });

  afterAll(async () => {
    await context?.close();
    await other?.close();
  });

  it('index.html carries the policy: own scripts, workers and styles only, no connections', () => {
    const html = readFileSync(join(DIST, 'index.html'), 'utf8');
    const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
    expect(m, 'the built index.html has a CSP meta tag').not.toBeNull();
    const policy = Object.fromEntries(m![1].split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(policy).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'worker-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'none'",
      'object-src': "'none'",
    });
    // Before any script or stylesheet, so it covers them all.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.search(/<script|<link rel="stylesheet"/));
  });

  for (const [lab, query] of Object.entries(LAB_URLS)) {
    it(`${lab}: loads, runs, draws its charts and exports a PNG without a violation`, async () => {
      const { page, errors } = await openPage(context, shared.server.url + query);
      expect(await page.evaluate(() => window.__flowlab!.lab())).toBe(lab);
      expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
      // lil-gui's own rules apply (its stylesheet is bundled; an injected <style> would be refused).
      expect(await page.locator('.lil-gui.lil-root').evaluate((el) => getComputedStyle(el).getPropertyValue('--widget-height').trim())).not.toBe('');
      for (let i = 0; i < 3; i++) await page.evaluate(() => window.__flowlab!.step());
      await page.waitForFunction(() => {
        const s = window.__flowlab!.status();
        return !!s && (s.step >= 3 || s.done);
      });
      expect((await page.evaluate(() => window.__flowlab!.charts())).length).toBeGreaterThan(0);
      await page.click('[data-testid=export-button]');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-png]')]);
      expect(dl.suggestedFilename()).toMatch(/\.png$/);
      if (lab === 'transformer') {
        // The NTK check runs in its worker (worker-src 'self') and answers.
        await expect.poll(() => page.locator('[data-control=ntk-result]').getAttribute('data-verdict')).toMatch(/^(independent|dependent)$/);
        expect(await page.evaluate(() => window.__flowlab!.notices().some((n) => /NTK worker failed/.test(n.text)))).toBe(false);
      }
      expect(await violations(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('a fetch to another origin is refused before it leaves the page', async () => {
    const { page, errors } = await openPage(context, shared.server.url + LAB_URLS['score-mixing']);
    const outcome = await page.evaluate((url) => fetch(url).then((r) => `fetched ${r.status}`, (e: unknown) => `refused: ${String(e)}`), other.url);
    expect(outcome).toMatch(/^refused/);
    expect(other.hits).toBe(0);
    await expect.poll(() => violations(page).then((v) => v.map((x) => x.directive))).toContain('connect-src');
    // Playwright itself can reach the other server: the refusal is the page's policy, not the network.
    expect(await (await fetch(other.url)).text()).toBe('reached');
    expect(other.hits).toBe(1);
    expect(errors.every((e) => /Content Security Policy|connect-src|Failed to fetch/i.test(e))).toBe(true);
    await page.close();
  });
});
