// Lab-specific controls in host.controls: the t scrubber (log scale, T on the left, tMin on the
// right; "follow run" ties it to the simulation's t), the field channel, the projection axes
// (d > 2), layer toggles, which measure clicks edit, the selected atom (announced, with a "delete
// selected atom" button for touch screens), and point-set import/export (JSON, CSV).
// Plain DOM, no module state; every element carries a data-control name for tests.

import type { FieldChannel } from './colormap';
import { CHANNEL_NAMES } from './colormap';
import { ATOM_KEYS_HELP, type AtomSelection, type MeasureId } from './overlay';
import type { SizedFile } from '../../../io/input';

export interface ControlHandlers {
  scrub(t: number, follow: boolean): void;
  channel(c: FieldChannel): void;
  axes(ax: number, ay: number): void;
  layers(l: LayerToggles): void;
  editTarget(m: MeasureId): void;
  /** Delete the atom selected in the picture. */
  deleteSelected(): void;
  /** A point-set file (JSON or CSV); the page checks its size before reading it. */
  importFile(measure: MeasureId, file: SizedFile): void;
  exportSet(measure: MeasureId, format: 'json' | 'csv'): void;
}

export interface LayerToggles {
  trails: boolean;
  arrows: boolean;
  cells: boolean;
  contours: boolean;
}

const SCRUB_MAX = 1000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

export class Controls {
  readonly root: HTMLDivElement;
  private readonly scrubInput: HTMLInputElement;
  private readonly scrubLabel: HTMLSpanElement;
  private readonly follow: HTMLInputElement;
  private readonly axisRow: HTMLDivElement;
  private readonly axX: HTMLSelectElement;
  private readonly axY: HTMLSelectElement;
  private readonly note: HTMLDivElement;
  private readonly selectedText: HTMLSpanElement;
  private readonly deleteButton: HTMLButtonElement;
  private T = 1;
  private tMin = 1e-4;
  readonly layers: LayerToggles = { trails: true, arrows: true, cells: true, contours: true };

  constructor(parent: HTMLElement, h: ControlHandlers) {
    this.root = el('div', { class: 'score-mixing-controls' });
    this.root.style.cssText = 'display:flex;flex-direction:column;gap:6px;font:12px system-ui,sans-serif';

    const scrubRow = el('div');
    scrubRow.append(el('span', {}, 't scrubber (field): '));
    this.scrubInput = el('input', { type: 'range', min: '0', max: String(SCRUB_MAX), step: '1', value: '0', 'data-control': 'scrub', 'aria-label': 't scrubber: the time of the field shown' });
    this.scrubInput.style.width = '220px';
    this.scrubLabel = el('span', { 'data-control': 'scrub-label' });
    this.follow = el('input', { type: 'checkbox', 'data-control': 'follow' });
    this.follow.checked = true;
    const followLabel = el('label');
    followLabel.append(this.follow, document.createTextNode(' follow run'));
    scrubRow.append(this.scrubInput, this.scrubLabel, followLabel);
    this.scrubInput.addEventListener('input', () => {
      this.follow.checked = false;
      const t = this.scrubTime();
      this.scrubLabel.textContent = ` t = ${t.toExponential(2)} `;
      h.scrub(t, false);
    });
    this.follow.addEventListener('change', () => h.scrub(this.scrubTime(), this.follow.checked));

    const chanRow = el('div');
    const chan = el('select', { 'data-control': 'channel', 'aria-label': 'colour map' });
    CHANNEL_NAMES.forEach((n, i) => chan.append(el('option', { value: String(i) }, n)));
    chan.value = '2';
    chan.addEventListener('change', () => h.channel(Number(chan.value) as FieldChannel));
    chanRow.append(el('span', {}, 'colour map: '), chan);

    this.axisRow = el('div');
    this.axX = el('select', { 'data-control': 'axis-x', 'aria-label': 'horizontal axis: coordinate' });
    this.axY = el('select', { 'data-control': 'axis-y', 'aria-label': 'vertical axis: coordinate' });
    const onAxes = () => h.axes(Number(this.axX.value), Number(this.axY.value));
    this.axX.addEventListener('change', onAxes);
    this.axY.addEventListener('change', onAxes);
    this.axisRow.append(el('span', {}, 'axes: horizontal x'), this.axX, el('span', {}, ' vertical x'), this.axY);

    const layerRow = el('div');
    for (const key of ['trails', 'arrows', 'cells', 'contours'] as (keyof LayerToggles)[]) {
      const box = el('input', { type: 'checkbox', 'data-control': `layer-${key}` });
      box.checked = this.layers[key];
      box.addEventListener('change', () => {
        this.layers[key] = box.checked;
        h.layers({ ...this.layers });
      });
      const lab = el('label');
      lab.append(box, document.createTextNode(` ${key} `));
      layerRow.append(lab);
    }

    const editRow = el('div');
    editRow.append(el('span', {}, 'edit: '));
    for (const m of ['mu1', 'mu2'] as MeasureId[]) {
      const r = el('input', { type: 'radio', name: 'score-mixing-edit', value: m, 'data-control': `edit-${m}` });
      r.checked = m === 'mu1';
      r.addEventListener('change', () => r.checked && h.editTarget(m));
      const lab = el('label');
      lab.append(r, document.createTextNode(m === 'mu1' ? ' mu1 (conditional, ●) ' : ' mu2 (unconditional, ■) '));
      editRow.append(lab);
    }
    const hint = el('div', { 'data-control': 'edit-hint' }, `click: add atom · drag: move · shift/alt/right-click or long press: delete · keys (picture focused): ${ATOM_KEYS_HELP}`);
    hint.style.opacity = '0.7';
    const selectRow = el('div');
    this.selectedText = el('span', { 'data-control': 'selected-atom', 'aria-live': 'polite' }, 'no atom selected');
    this.deleteButton = el('button', { type: 'button', 'data-control': 'delete-atom' }, 'Delete selected atom');
    this.deleteButton.hidden = true;
    this.deleteButton.addEventListener('click', () => h.deleteSelected());
    selectRow.append(this.selectedText, document.createTextNode(' '), this.deleteButton);

    const ioRow = el('div');
    for (const m of ['mu1', 'mu2'] as MeasureId[]) {
      const file = el('input', { type: 'file', accept: '.json,.csv,application/json,text/csv', 'data-control': `import-${m}` });
      file.style.display = 'none';
      file.addEventListener('change', async () => {
        const f = file.files?.[0];
        if (f) h.importFile(m, f);
        file.value = '';
      });
      const imp = el('button', { type: 'button', 'data-control': `import-${m}-button` }, `import ${m}`);
      imp.addEventListener('click', () => file.click());
      const ej = el('button', { type: 'button', 'data-control': `export-${m}-json` }, `${m}.json`);
      ej.addEventListener('click', () => h.exportSet(m, 'json'));
      const ec = el('button', { type: 'button', 'data-control': `export-${m}-csv` }, `${m}.csv`);
      ec.addEventListener('click', () => h.exportSet(m, 'csv'));
      ioRow.append(file, imp, ej, ec, document.createTextNode(' '));
    }

    this.note = el('div', { 'data-control': 'note' });
    this.note.style.color = '#c60';
    this.root.append(scrubRow, chanRow, this.axisRow, layerRow, editRow, hint, selectRow, ioRow, this.note);
    parent.appendChild(this.root);
  }

  /** New run range and dimension: resets the scrubber and the axis choices. */
  configure(T: number, tMin: number, d: number, ax: number, ay: number): void {
    this.T = T;
    this.tMin = tMin;
    this.axisRow.style.display = d > 2 ? '' : 'none';
    for (const [sel, v] of [[this.axX, ax], [this.axY, ay]] as const) {
      sel.replaceChildren(...Array.from({ length: d }, (_, i) => el('option', { value: String(i) }, `[${i}]`)));
      sel.value = String(v);
    }
  }

  /** Show t on the scrubber (follow mode). */
  showTime(t: number): void {
    const f = Math.log(this.T / t) / Math.log(this.T / this.tMin);
    this.scrubInput.value = String(Math.round(Math.min(1, Math.max(0, f)) * SCRUB_MAX));
    this.scrubLabel.textContent = ` t = ${t.toExponential(2)} `;
  }

  get following(): boolean {
    return this.follow.checked;
  }

  scrubTime(): number {
    const f = Number(this.scrubInput.value) / SCRUB_MAX;
    return this.T * Math.pow(this.tMin / this.T, f);
  }

  /** The atom selected in the picture (null: none): its name and position, and the delete button. */
  showSelection(s: AtomSelection | null): void {
    const text = s ? `selected: ${s.measure}[${s.index}] at (${s.point.map((v) => +v.toFixed(4)).join(', ')})` : 'no atom selected';
    if (this.selectedText.textContent !== text) this.selectedText.textContent = text;
    this.deleteButton.hidden = s === null;
  }

  setNote(text: string): void {
    this.note.textContent = text;
  }

  dispose(): void {
    this.root.remove();
  }
}
