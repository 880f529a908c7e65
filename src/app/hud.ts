// The heads-up display over the canvas: the counter (named by status.unit), time, the measured
// rate (RateMeter), GPU pass timings, backend.

import type { Backend, RunStatus } from '../labs/lab';
import { h } from './dom';

const BACKEND_NAMES: Record<Backend, string> = {
  webgpu: 'WebGPU',
  'webgpu-swiftshader': 'WebGPU (software)',
  'cpu-float64': 'CPU float64 reference',
};

function fmtT(t: number): string {
  return t === 0 ? '0' : Math.abs(t) < 1e-3 || Math.abs(t) >= 1e4 ? t.toExponential(3) : t.toPrecision(4);
}

/** Length of the HUD's rate window: long enough to smooth frame jitter, short enough to follow a speed change. */
export const RATE_WINDOW_MS = 2000;

/**
 * Completed steps (or iterations, rows) per second over a sliding window: the count the page
 * reports (status.step, which advances only when work is done) against wall-clock time, so the
 * HUD says what happened, not what was asked for. A count going back (reset, restore) restarts it.
 */
export class RateMeter {
  private samples: { time: number; step: number }[] = [];

  sample(time: number, step: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (last && step < last.step) this.samples = [];
    this.samples.push({ time, step });
    while (this.samples.length > 2 && time - this.samples[1].time >= RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const dt = (time - first.time) / 1000;
    return dt > 0.25 ? (step - first.step) / dt : undefined;
  }

  reset(): void {
    this.samples = [];
  }
}

export class Hud {
  readonly el: HTMLElement;
  private readonly rows: Record<'rate' | 't' | 'step' | 'passes' | 'backend', HTMLElement>;
  private lastText = '';
  private badge: HTMLElement | null = null;

  constructor(parent: HTMLElement) {
    this.rows = {
      step: h('div', { class: 'hud-row', 'data-hud': 'step' }),
      t: h('div', { class: 'hud-row', 'data-hud': 't' }),
      rate: h('div', { class: 'hud-row', 'data-hud': 'rate' }),
      passes: h('div', { class: 'hud-row hud-passes', 'data-hud': 'passes' }),
      backend: h('div', { class: 'hud-row hud-backend', 'data-hud': 'backend' }),
    };
    this.el = h('div', { class: 'hud', role: 'group', 'aria-label': 'Run status' }, ...Object.values(this.rows));
    parent.append(this.el);
  }

  update(status: RunStatus, backend: Backend, adapter: string, rate: number | undefined, playing: boolean): void {
    const unit = status.unit ?? 'step';
    const passes = status.passMs
      ? Object.entries(status.passMs)
          .map(([name, ms]) => `${name} ${ms < 0.1 ? ms.toFixed(3) : ms.toFixed(2)} ms`)
          .join(' · ')
      : '';
    const text = [unit, status.step, status.steps, status.t, rate, passes, backend, adapter, playing].join('|');
    if (text === this.lastText) return;
    this.lastText = text;
    this.rows.step.textContent = `${unit} ${status.step} / ${status.steps}${status.done ? ' (done)' : ''}`;
    this.rows.t.textContent = `t = ${fmtT(status.t)}`;
    this.rows.rate.textContent = playing && rate !== undefined ? `${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}s/s` : playing ? `… ${unit}s/s` : 'paused';
    this.rows.passes.textContent = passes ? `GPU ${passes}` : '';
    this.rows.passes.hidden = !passes;
    this.rows.backend.textContent = `${BACKEND_NAMES[backend]}${adapter ? ` · ${adapter}` : ''}`;
    this.rows.backend.title = adapter;
  }

  /**
   * A badge row under the status rows (the self-test's outcome, src/app/selftest-panel.ts): `text`
   * shown, `title` the details on hover, `ok` false marks a failure. Independent of update().
   */
  setBadge(text: string, title: string, ok: boolean): void {
    if (!this.badge) {
      this.badge = h('div', { class: 'hud-row hud-badge', 'data-hud': 'badge', 'data-testid': 'hud-badge' });
      this.el.append(this.badge);
    }
    this.badge.textContent = text;
    this.badge.title = title;
    this.badge.dataset.ok = String(ok);
  }

  toggle(): void {
    this.el.hidden = !this.el.hidden;
  }
}
