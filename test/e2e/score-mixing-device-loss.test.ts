// Device loss in the score-mixing page (SwiftShader WebGPU): the test hook's loseDevice destroys
// the device mid-run; the shell acquires a new one and the page continues from the last state it
// holds (GpuRun's last good state, saved every 60 frames and whenever the run stops advancing),
// saying at which step and how many steps were redone; lost while paused, nothing is redone.

import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eSkipReason, loseDeviceWhilePaused, loseDeviceWhilePlaying, openPage, useBrowser } from './harness';

const skip = e2eSkipReason();

/** Few particles, many steps: at one step per frame the run is still going after the first saves. */
const RUN = '?v=1&lab=score-mixing&particles.count=256&steps=4000&record=11&lambda=0.5';

describe.skipIf(skip !== null)('score-mixing: device loss', () => {
  const shared = useBrowser(true);
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const context = await shared.browser.newContext({ viewport: { width: 1280, height: 800 } });
    ({ page, errors } = await openPage(context, shared.server.url + RUN));
    expect(await page.evaluate(() => window.__flowlab!.backend())).toMatch(/^webgpu/);
  });

  it('lost mid-run: continues on a new device from the last saved state and says how many steps were redone', async () => {
    const r = await loseDeviceWhilePlaying(page);
    expect(r.step).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('lost while paused: continues at the same step, nothing redone', async () => {
    await loseDeviceWhilePaused(page);
    expect(errors).toEqual([]);
  });
});
