// Lab-specific controls of the transformer page (host.controls): which sequence is bright, whether
// the others are drawn, depth as colour or as an axis (d = 2), the selected token and the layer of
// its attention, the 2-D projection of the head particles, the NTK check button with its result
// panel, token add / delete buttons (touch screens have no Delete key), token import/export (JSON),
// and a read-out line. Plain DOM; every element carries data-control for tests.

import type { DepthMode } from './geometry';
import { headCoordinateNames, type HeadProjection } from './heads';
import { CHART, VERDICT } from './palette';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function options(sel: HTMLSelectElement, items: [string, string][], value: string): void {
  sel.replaceChildren(...items.map(([v, t]) => el('option', { value: v }, t)));
  sel.value = value;
}

export interface ControlHandlers {
  sequence(b: number): void;
  showOthers(show: boolean): void;
  depthMode(mode: DepthMode): void;
  /** null: no token selected. */
  token(row: number | null): void;
  layer(l: number): void;
  projection(p: HeadProjection): void;
  ntkCheck(): void;
  importTokens(file: File): void;
  exportTokens(): void;
  /** Add a token next to the selected one (or token 0); the same edit as the picture's A key. */
  addToken(): void;
  /** Delete the selected token; the same edit as the picture's Delete key. */
  deleteToken(): void;
}

export interface ControlShape {
  batch: number;
  n: number;
  rows: number;
  L: number;
  d: number;
  k: number;
}

export class Controls {
  readonly root: HTMLDivElement;
  private readonly seq = el('select', { 'data-control': 'sequence', 'aria-label': 'selected sequence' });
  private readonly others = el('input', { type: 'checkbox', 'data-control': 'show-others', checked: '', 'aria-label': 'other sequences faint' });
  private readonly depth = el('select', { 'data-control': 'depth-mode', 'aria-label': 'depth shown as' });
  private readonly depthLabel = el('span', {}, ' · depth as ');
  private readonly token = el('select', { 'data-control': 'token', 'aria-label': 'selected token' });
  private readonly layer = el('input', { type: 'range', min: '0', max: '0', step: '1', value: '0', 'data-control': 'attention-layer', 'aria-label': 'attention layer' });
  private readonly layerText = el('span', { 'data-control': 'attention-layer-text' });
  private readonly proj = el('select', { 'data-control': 'head-projection', 'aria-label': 'head projection' });
  private readonly projA = el('select', { 'data-control': 'head-axis-a', 'aria-label': 'head axis 1' });
  private readonly projB = el('select', { 'data-control': 'head-axis-b', 'aria-label': 'head axis 2' });
  private readonly ntkButton = el('button', { type: 'button', 'data-control': 'ntk-check' }, 'Run NTK check');
  readonly ntkResult = el('div', { 'data-control': 'ntk-result' });
  private readonly importFile = el('input', { type: 'file', accept: '.json,application/json', 'data-control': 'import-tokens-file', hidden: '' });
  private readonly importButton = el('button', { type: 'button', 'data-control': 'import-tokens' }, 'Import tokens…');
  private readonly exportButton = el('button', { type: 'button', 'data-control': 'export-tokens' }, 'Export tokens');
  private readonly addButton = el('button', { type: 'button', 'data-control': 'add-token' }, 'Add token');
  private readonly deleteButton = el('button', { type: 'button', 'data-control': 'delete-token', disabled: '' }, 'Delete selected token');
  /** Tokens per sequence (the CLS token, row n, cannot be deleted). */
  private n = 0;
  private readonly readout = el('div', { 'data-control': 'readout', tabindex: '0', role: 'region', 'aria-label': 'readout of the selected token' });
  private readonly note = el('div', { 'data-control': 'note' });

  constructor(parent: HTMLElement, h: ControlHandlers) {
    this.root = el('div', { class: 'transformer-controls' });
    this.root.style.cssText = 'display:flex;flex-direction:column;gap:5px;font:12px system-ui,sans-serif;width:100%';
    const row1 = el('div');
    row1.append(el('span', {}, 'sequence '), this.seq, el('label', {}, ' '), this.others, el('span', {}, ' others faint'), this.depthLabel, this.depth);
    this.others.addEventListener('change', () => h.showOthers(this.others.checked));
    this.seq.addEventListener('change', () => h.sequence(Number(this.seq.value)));
    options(this.depth, [['colour', 'colour'], ['axis', 'axis (3-D)']], 'colour');
    this.depth.addEventListener('change', () => h.depthMode(this.depth.value as DepthMode));

    const row2 = el('div');
    row2.append(el('span', {}, 'attention of token '), this.token, el('span', {}, ' at layer '), this.layer, this.layerText);
    this.token.addEventListener('change', () => h.token(this.token.value === '' ? null : Number(this.token.value)));
    this.layer.addEventListener('input', () => {
      this.layerText.textContent = ` l = ${this.layer.value}`;
      h.layer(Number(this.layer.value));
    });

    const row3 = el('div');
    row3.append(el('span', {}, 'head particles: '), this.proj, this.projA, this.projB);
    options(this.proj, [['pca', 'PCA of the heads (top 2)'], ['entries', 'two entries of (Q, K, V)']], 'pca');
    const onProj = () => {
      const entries = this.proj.value === 'entries';
      this.projA.hidden = this.projB.hidden = !entries;
      h.projection(entries ? { kind: 'entries', a: Number(this.projA.value), b: Number(this.projB.value) } : { kind: 'pca' });
    };
    for (const s of [this.proj, this.projA, this.projB]) s.addEventListener('change', onProj);
    this.projA.hidden = this.projB.hidden = true;

    const row4 = el('div');
    row4.style.cssText = 'display:flex;gap:8px;align-items:flex-start';
    this.ntkButton.title = 'Are the log-sum-exp features of the input sequences linearly independent modulo affine functions? (float64, CPU)';
    this.ntkButton.addEventListener('click', () => h.ntkCheck());
    this.ntkResult.style.cssText = 'font:11px monospace;white-space:pre-wrap;line-height:1.35';
    row4.append(this.ntkButton, this.ntkResult);

    const row5 = el('div');
    row5.style.cssText = 'display:flex;gap:8px;align-items:center';
    this.importButton.title = 'Replace the batch by a JSON token file: a B x n x d array, or {"sequences": ..., "queries": ...} (d follows the file)';
    this.exportButton.title = 'Download the input tokens as JSON (the format Import reads)';
    this.importButton.addEventListener('click', () => this.importFile.click());
    this.importFile.addEventListener('change', () => {
      const file = this.importFile.files?.[0];
      this.importFile.value = '';
      if (file) h.importTokens(file);
    });
    this.exportButton.addEventListener('click', () => h.exportTokens());
    this.addButton.title = 'Add a token to every sequence (a batch is B x n x d): a copy of the selected token (or token 0), shifted right. Keyboard: A on the picture';
    this.deleteButton.title = 'Delete the selected token from every sequence (a batch is B x n x d). Keyboard: Delete on the picture';
    this.addButton.addEventListener('click', () => h.addToken());
    this.deleteButton.addEventListener('click', () => h.deleteToken());
    row5.append(this.addButton, this.deleteButton, this.importButton, this.exportButton, this.importFile);

    this.readout.style.cssText = 'font:11px monospace;white-space:pre;line-height:1.35';
    this.note.style.color = CHART.warning;
    this.root.append(row1, row2, row3, row4, row5, this.readout, this.note);
    parent.appendChild(this.root);
  }

  configure(s: ControlShape, selected: { sequence: number; token: number | null; layer: number; showOthers: boolean; depth: DepthMode }): void {
    options(this.seq, Array.from({ length: s.batch }, (_, b) => [String(b), String(b)]), String(selected.sequence));
    this.others.checked = selected.showOthers;
    this.depth.hidden = this.depthLabel.hidden = s.d !== 2;
    this.depth.value = selected.depth;
    const tokens: [string, string][] = [['', '—'], ...Array.from({ length: s.n }, (_, i): [string, string] => [String(i), String(i)])];
    if (s.rows > s.n) tokens.push([String(s.n), 'CLS']);
    options(this.token, tokens, selected.token === null ? '' : String(selected.token));
    this.n = s.n;
    this.showToken(selected.token);
    this.layer.max = String(Math.max(0, s.L - 1));
    this.layer.value = String(selected.layer);
    this.layerText.textContent = ` l = ${selected.layer}`;
    const names = headCoordinateNames(s.k, s.d);
    const keepA = this.projA.value;
    const keepB = this.projB.value;
    options(this.projA, names.map((t, i) => [String(i), t]), keepA && Number(keepA) < names.length ? keepA : '0');
    options(this.projB, names.map((t, i) => [String(i), t]), keepB && Number(keepB) < names.length ? keepB : String(Math.min(names.length - 1, 2 * s.k * s.d)));
  }

  showToken(row: number | null): void {
    this.token.value = row === null ? '' : String(row);
    this.deleteButton.disabled = row === null || row >= this.n || this.n <= 1;
  }

  setNtkBusy(busy: boolean): void {
    this.ntkButton.disabled = busy;
    this.ntkButton.textContent = busy ? 'NTK check running…' : 'Run NTK check';
  }

  /** The NTK check's verdict and lines (verdict null: stale or an error, shown as plain text). */
  showNtk(verdict: 'independent' | 'dependent' | null, lines: string[]): void {
    this.ntkResult.textContent = lines.join('\n');
    this.ntkResult.dataset.verdict = verdict ?? '';
    this.ntkResult.style.color = verdict === 'dependent' ? VERDICT.dependent : verdict === 'independent' ? VERDICT.independent : VERDICT.unknown;
  }

  setReadout(lines: string[]): void {
    this.readout.textContent = lines.join('\n');
  }

  setNote(text: string): void {
    this.note.textContent = text;
  }

  dispose(): void {
    this.root.remove();
  }
}
