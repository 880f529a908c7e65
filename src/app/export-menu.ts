// The header's export menu: snapshot (npz / csv / json), PNG of the view (canvas + overlay), SVG of each chart,
// json import, and "copy link". The shell provides the actions; this is only the menu.

import { h } from './dom';
import type { ExportFormat } from '../io/export';

export interface ExportActions {
  snapshot(format: ExportFormat): void;
  png(): void;
  charts(): { name: string; svg: string }[];
  chartSvg(name: string, svg: string): void;
  importJson(file: File): void;
  copyLink(): void;
}

export class ExportMenu {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly button: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;

  constructor(private readonly actions: ExportActions) {
    this.fileInput = h('input', { type: 'file', accept: '.json,application/json', hidden: true, 'data-testid': 'import-file' });
    this.fileInput.addEventListener('change', () => {
      const f = this.fileInput.files?.[0];
      this.fileInput.value = '';
      if (f) actions.importJson(f);
    });
    this.button = h('button', { type: 'button', class: 'menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', title: 'Export / import (E)', 'data-testid': 'export-button' }, 'Export ▾');
    this.list = h('div', { class: 'menu', role: 'menu', hidden: true });
    this.button.addEventListener('click', () => this.toggle());
    this.el = h('div', { class: 'menu-wrap' }, this.button, this.list, this.fileInput);
    document.addEventListener('click', (e) => {
      if (!this.el.contains(e.target as Node)) this.close();
    });
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
  }

  private item(label: string, hint: string, run: () => void, testid?: string): HTMLElement {
    return h('button', { type: 'button', role: 'menuitem', class: 'menu-item', title: hint, 'data-testid': testid, onclick: () => { this.close(); run(); } }, label);
  }

  private build(): void {
    const a = this.actions;
    const charts = a.charts();
    this.list.replaceChildren(
      h('div', { class: 'menu-heading' }, 'Snapshot of the run'),
      this.item('NumPy .npz', 'numpy.load("run.npz")["x"]: recorded particle states, times, derived objects, meta.json', () => a.snapshot('npz'), 'export-npz'),
      this.item('CSV (trajectory)', 'Long format: frame, t, particle, coordinates', () => a.snapshot('csv'), 'export-csv'),
      this.item('JSON (reloadable)', 'Config, arrays and resume state: import it to continue the run exactly', () => a.snapshot('json'), 'export-json'),
      h('div', { class: 'menu-heading' }, 'Pictures'),
      this.item('Canvas as PNG', 'The main view as it is drawn now, with its overlay (P)', () => a.png(), 'export-png'),
      ...(charts.length === 0
        ? [h('div', { class: 'menu-empty' }, 'No charts yet')]
        : charts.map((c) => this.item(`Chart “${c.name}” as SVG`, 'Vector graphics of the chart', () => a.chartSvg(c.name, c.svg), `export-svg-${c.name}`))),
      h('div', { class: 'menu-heading' }, 'Share and resume'),
      this.item('Copy link to this run', 'The URL holds the lab, every parameter and the seed', () => a.copyLink(), 'copy-link'),
      this.item('Import JSON snapshot…', 'Restore a run saved with "JSON (reloadable)" and continue it', () => this.fileInput.click(), 'import-json'),
    );
  }

  toggle(): void {
    if (this.list.hidden) this.open();
    else this.close();
  }

  open(): void {
    this.build();
    this.list.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    (this.list.querySelector('button') as HTMLButtonElement | null)?.focus();
  }

  close(): void {
    this.list.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
  }
}
