// The page's fixed structure (built once): header with lab picker, run controls and export
// menu; the stage (canvas, overlay, halt banner) with a status bar under the canvas (HUD and start
// hint: below the picture, never over its axes or legends); a right column with the parameter
// panel and the lab's charts; lab-specific controls under the canvas. A visually hidden aria-live
// region carries the lab's key metric for screen readers. `view=embed` (setEmbed) shows the
// canvas and the charts only, for slides and iframes.

import type { LabDefinition } from '../labs/lab';
import { h } from './dom';

export class Layout {
  readonly header: HTMLElement;
  readonly controls: HTMLElement;
  readonly actions: HTMLElement;
  readonly helpButton: HTMLButtonElement;
  readonly notices: HTMLElement;
  readonly stage: HTMLElement;
  readonly canvasWrap: HTMLElement;
  readonly overlay: HTMLElement;
  /** HUD and banners (above the lab's overlay). */
  readonly stageOverlay: HTMLElement;
  readonly halt: HTMLElement;
  readonly hint: HTMLElement;
  /** Under the canvas: the HUD and the start hint. */
  readonly stageBar: HTMLElement;
  /** Screen-reader announcements of the lab's key metric (RunStatus.summary). */
  readonly liveSummary: HTMLElement;
  readonly labControls: HTMLElement;
  readonly side: HTMLElement;
  readonly panel: HTMLElement;
  readonly charts: HTMLElement;
  readonly labTitle: HTMLElement;
  readonly labSummary: HTMLElement;
  canvas: HTMLCanvasElement;

  constructor(root: HTMLElement) {
    this.controls = h('div', { class: 'header-controls' });
    this.helpButton = h('button', { type: 'button', class: 'icon-button', title: 'Keyboard shortcuts (?)', 'aria-label': 'Keyboard shortcuts' }, '?');
    this.actions = h('div', { class: 'header-actions' }, this.helpButton);
    this.header = h('header', { class: 'app-header' }, h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), 'Flowlab'), this.controls, this.actions);
    this.notices = h('div', { class: 'notices' });
    this.canvas = h('canvas', { class: 'main-canvas', 'data-testid': 'main-canvas' });
    this.overlay = h('div', { class: 'overlay' });
    this.halt = h('div', { class: 'halt-banner', role: 'alert', hidden: true, 'data-testid': 'halt' });
    this.hint = h('div', { class: 'start-hint', hidden: true }, 'Press ', h('kbd', {}, 'Space'), ' or ▶ Play to run · ', h('kbd', {}, '?'), ' for shortcuts');
    this.stageOverlay = h('div', { class: 'stage-overlay' }, this.halt);
    this.canvasWrap = h('div', { class: 'canvas-wrap' }, this.canvas, this.overlay, this.stageOverlay);
    this.stageBar = h('div', { class: 'stage-bar' }, this.hint);
    this.liveSummary = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'live-summary' });
    this.labTitle = h('h1', { class: 'lab-title' });
    this.labSummary = h('p', { class: 'lab-summary' });
    this.labControls = h('div', { class: 'lab-controls' });
    this.stage = h('section', { class: 'stage', 'aria-label': 'Simulation' }, this.canvasWrap, this.stageBar, this.labControls, this.liveSummary);
    this.panel = h('div', { class: 'panel-host' });
    this.charts = h('div', { class: 'charts' });
    this.side = h('aside', { class: 'side' }, h('div', { class: 'lab-info' }, this.labTitle, this.labSummary), this.panel, this.charts);
    root.replaceChildren(this.header, this.notices, h('main', { class: 'app-main' }, this.stage, this.side));
  }

  /** A new canvas for a new page (a canvas keeps the context type it was first given). */
  freshCanvas(): HTMLCanvasElement {
    const c = h('canvas', { class: 'main-canvas', 'data-testid': 'main-canvas' });
    this.canvas.replaceWith(c);
    this.canvas = c;
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const r = this.canvasWrap.getBoundingClientRect();
    c.width = Math.max(1, Math.round(r.width * dpr));
    c.height = Math.max(1, Math.round(r.height * dpr));
    return c;
  }

  setTitle(lab: LabDefinition<unknown>): void {
    this.labTitle.textContent = lab.title;
    this.labSummary.textContent = lab.summary;
    document.title = `${lab.title} · Flowlab`;
  }

  showHint(show: boolean): void {
    this.hint.hidden = !show;
  }

  /** Presentation / embed mode: canvas and charts only (no header, panel, lab controls or HUD). */
  setEmbed(embed: boolean): void {
    document.body.classList.toggle('embed', embed);
  }
}
