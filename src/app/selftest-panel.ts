// The page's "Self-test" button (header actions, beside "?"): runs the numerics self-test
// (src/labs/selftest.ts runLabSelfTests, the code `flowlab selftest` and runSelfTest run) on the
// page's own GPU device, with the frame loop held so the run pauses and resumes afterwards exactly
// where it was; shows each kernel's max error / tolerance and pass / FAIL in a dialog, and the
// outcome as a HUD badge ("self-test ✓ 12/12", "self-test ✗ 2 failed", details in its title).

import type { GpuContext } from '../gpu/device';
import { formatRatio, runLabSelfTests, selfTestSummary, type KernelCheck } from '../labs/selftest';
import { h } from './dom';
import type { Hud } from './hud';
import type { AnyLab } from './shell-parts';

export interface SelfTestHost {
  labs: readonly AnyLab[];
  /** The page's device now (null: no WebGPU). */
  gpu(): GpuContext | null;
  /** Runs `work` with the frame loop held (FrameLoop.hold): no frame, hence no step, meanwhile. */
  hold<T>(work: () => Promise<T>): Promise<T>;
  hud: Hud;
}

/** What the test hook may set for the next runs (test/e2e/selftest.test.ts). */
export interface SelfTestRequest {
  /** A kernel whose GPU output is perturbed so that its check fails. */
  perturb?: string;
  /** Lab ids to test (default: every lab). */
  labs?: string[];
}

export class SelfTestPanel {
  readonly button: HTMLButtonElement;
  request: SelfTestRequest = {};
  private readonly dialog: HTMLDialogElement;
  private readonly status: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private running = false;

  constructor(private readonly host: SelfTestHost) {
    this.button = h(
      'button',
      { type: 'button', class: 'menu-button', title: 'Check every GPU kernel on this device against its float64 reference', 'data-testid': 'selftest-button' },
      'Self-test',
    );
    this.button.addEventListener('click', () => void this.run());
    this.status = h('p', { 'aria-live': 'polite', 'data-testid': 'selftest-status' });
    this.body = h('tbody', {});
    const head = h('thead', {}, h('tr', {}, ...['Lab', 'Kernel', 'Size', 'Max error / tolerance', 'Result', 'ms'].map((c) => h('th', { scope: 'col' }, c))));
    this.dialog = h(
      'dialog',
      { class: 'help-dialog selftest-dialog', 'aria-label': 'Numerics self-test', 'data-testid': 'selftest-dialog' },
      h('h2', {}, 'Numerics self-test'),
      h('p', { class: 'help-hint' }, 'Each compute kernel runs at a small size on this GPU and is compared with its float64 reference, with the tolerances of the repository’s GPU tests. A ratio above 1 fails. The run is paused meanwhile.'),
      this.status,
      h('table', { 'data-testid': 'selftest-table' }, head, this.body),
      h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')),
    );
    document.body.append(this.dialog);
  }

  /** Runs the self-test (at most one at a time); resolves to the checks, or null without a GPU or when one is running. */
  async run(): Promise<KernelCheck[] | null> {
    if (this.running) return null;
    const gpu = this.host.gpu();
    this.body.replaceChildren();
    if (!this.dialog.open) this.dialog.showModal();
    if (!gpu) {
      this.status.textContent = 'No WebGPU device: the self-test checks GPU kernels, so there is nothing to test on this page.';
      return null;
    }
    this.running = true;
    this.button.disabled = true;
    this.status.textContent = `Testing on ${gpu.adapterDescription}…`;
    try {
      const checks = await this.host.hold(() =>
        runLabSelfTests(this.host.labs, gpu, {
          ...this.request,
          onLab: (_lab, labChecks) => this.body.append(...labChecks.map((c) => this.row(c))),
        }),
      );
      const failed = checks.filter((c) => !c.pass);
      const summary = selfTestSummary(checks);
      this.status.textContent = `${summary} on ${gpu.adapterDescription}${failed.length ? ` — failed: ${failed.map((c) => c.kernel).join(', ')}` : ''}`;
      const details = failed.length
        ? failed.map((c) => `${c.kernel}: max error / tolerance ${formatRatio(c.maxErrorOverTolerance)}`).join('\n')
        : `every kernel within tolerance (worst ${formatRatio(Math.max(...checks.map((c) => c.maxErrorOverTolerance)))})`;
      this.host.hud.setBadge(summary, `${gpu.adapterDescription}\n${details}`, failed.length === 0);
      return checks;
    } catch (e) {
      this.status.textContent = `The self-test stopped: ${(e as Error)?.message ?? String(e)}`;
      this.host.hud.setBadge('self-test ✗ error', (e as Error)?.message ?? String(e), false);
      return null;
    } finally {
      this.running = false;
      this.button.disabled = false;
    }
  }

  private row(c: KernelCheck): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-kernel': c.kernel, 'data-pass': String(c.pass), title: `tolerance: ${c.tolerance}` },
      h('td', {}, c.lab),
      h('td', {}, h('code', {}, c.kernel)),
      h('td', {}, c.size),
      h('td', {}, formatRatio(c.maxErrorOverTolerance)),
      h('td', {}, c.pass ? 'pass' : 'FAIL'),
      h('td', {}, c.ms.toFixed(0)),
    );
  }
}
