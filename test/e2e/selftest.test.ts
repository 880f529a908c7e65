// The page's "Self-test" button (src/app/selftest-panel.ts) in headless Chromium on SwiftShader:
// it runs the kernel checks on the page's own device while the run is held, lists each kernel with
// its max error / tolerance in a dialog, sets the HUD badge "self-test ✓ 7/7", and the run goes on
// playing afterwards. With one kernel perturbed through the test hook (setSelfTestRequest), the
// badge reports the failure and the table names the kernel. The test hook limits the run to every
// lab's checks (the loop's whileHeld empty submit, app.ts, is what lets them finish: without it a pending
// pipeline or readback promise stalled in about 1 run of 3 here).

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { e2eSkipReason, openPage, useBrowser, waitForStatus } from './harness';

const skip = e2eSkipReason();

/** A small primal-dual run (the csp test's): it keeps playing while the self-test is started. */
const URL = '?v=1&lab=primal-dual&initial.count=16&initial.spread=0.5&initial.seed=1&T=200&h=0.02&record=21';

/** Clicks "Self-test" and resolves to the badge text once a run different from `previous` finished. */
async function runSelfTest(page: Page, previous: string | null): Promise<string> {
  await page.click('[data-testid=selftest-button]');
  const badge = await page
    .waitForFunction(
      (prev) => {
        const el = document.querySelector('[data-testid=hud-badge]');
        const done = document.querySelector<HTMLButtonElement>('[data-testid=selftest-button]')?.disabled === false;
        return done && el?.textContent && el.textContent !== prev ? el.textContent : null;
      },
      previous,
    )
    .catch(async (e: unknown) => {
      // Say how far it got: the status line and the kernels already listed.
      const where = await page.evaluate(() => ({
        status: document.querySelector('[data-testid=selftest-status]')?.textContent,
        rows: Array.from(document.querySelectorAll('[data-testid=selftest-table] tbody tr'), (r) => r.getAttribute('data-kernel')),
      }));
      throw new Error(`${(e as Error).message}; self-test status: ${JSON.stringify(where)}`);
    });
  return (await badge.jsonValue()) as string;
}

async function tableRows(page: Page): Promise<{ kernel: string; pass: string; cells: string[] }[]> {
  return page.$$eval('[data-testid=selftest-table] tbody tr', (rows) =>
    rows.map((r) => ({ kernel: r.getAttribute('data-kernel') ?? '', pass: r.getAttribute('data-pass') ?? '', cells: Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '') })),
  );
}

describe.skipIf(skip)('self-test button', () => {
  const env = useBrowser(true);

  it('runs every kernel check on the page GPU, shows the table and the badge; a perturbed kernel fails by name', async () => {
    const context = await env.browser.newContext();
    const { page, errors } = await openPage(context, env.server.url + URL);
    await page.evaluate(() => window.__flowlab!.play());
    await waitForStatus(page, 's.step > 0');

    await page.evaluate(() => window.__flowlab!.setSelfTestRequest({}));
    const badge = await runSelfTest(page, null);
    expect(badge).toBe('self-test ✓ 12/12');
    const rows = await tableRows(page);
    expect(rows.map((r) => r.kernel)).toContain('transformer/attention-forward');
    expect(rows.map((r) => r.kernel)).toContain('transformer/readout-risk');
    expect(rows.map((r) => r.kernel)).toContain('bilevel/sincos');
    expect(rows.map((r) => r.kernel)).toContain('score-mixing/mixed-score');
    expect(rows).toHaveLength(12);
    for (const r of rows) {
      expect(r.pass, r.kernel).toBe('true');
      expect(Number(r.cells[3]), `${r.kernel} ratio`).toBeLessThanOrEqual(1);
    }
    const status = await page.textContent('[data-testid=selftest-status]');
    expect(status).toContain(await page.evaluate(() => window.__flowlab!.adapter()));
    expect(await page.getAttribute('[data-testid=hud-badge]', 'data-ok')).toBe('true');
    // The run was held, not stopped: it plays on afterwards.
    expect(await page.evaluate(() => window.__flowlab!.playing())).toBe(true);
    const after = await page.evaluate(() => window.__flowlab!.status()!.step);
    await waitForStatus(page, `s.step > ${after} || s.done`);

    await page.click('[data-testid=selftest-dialog] button[type=submit]');
    await page.evaluate(() => window.__flowlab!.setSelfTestRequest({ labs: ['transformer'], perturb: 'transformer/attention-forward' }));
    const failed = await runSelfTest(page, badge);
    expect(failed).toBe('self-test ✗ 1 failed');
    expect(await page.getAttribute('[data-testid=hud-badge]', 'data-ok')).toBe('false');
    expect(await page.getAttribute('[data-testid=hud-badge]', 'title')).toContain('transformer/attention-forward');
    const perturbed = await tableRows(page);
    expect(perturbed.map((r) => [r.kernel, r.pass])).toEqual(rows.filter((r) => r.kernel.startsWith('transformer/')).map((r) => [r.kernel, r.kernel === 'transformer/attention-forward' ? 'false' : 'true']));
    const failedRow = perturbed.findIndex((r) => r.pass === 'false');
    expect(perturbed[failedRow].cells[4]).toBe('FAIL');
    expect(Number(perturbed[failedRow].cells[3])).toBeGreaterThan(1);
    expect(await page.textContent('[data-testid=selftest-status]')).toContain('failed: transformer/attention-forward');
    expect(errors).toEqual([]);
    await context.close();
  });
});
