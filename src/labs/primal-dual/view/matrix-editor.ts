// The A / b editor in host.controls: an m x n grid for A and a column for b, row/column buttons,
// "apply", and JSON import ({"A": [[...]], "b": [...]} optionally with "objective"). Cells are
// checked here (a FieldError naming the cell, e.g. A[1][2]); the page then checks the problem
// (rank, feasibility: KktError) and keeps the previous A, b on any error. Plain DOM; every element
// carries a data-control name for tests.

import { FieldError } from '../../schema';
import { MAX_N } from '../kkt';
import type { SizedFile } from '../../../io/input';

export interface MatrixHandlers {
  apply(A: number[][], b: number[]): void;
  /** A problem file; the page checks its size before reading it. */
  importJson(file: SizedFile): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** Reads the cell texts as numbers; throws FieldError naming the first bad cell. */
export function readCells(A: string[][], b: string[]): { A: number[][]; b: number[] } {
  const num = (field: string, s: string): number => {
    const v = s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(v)) throw new FieldError(field, s, 'a finite number');
    return v;
  };
  return { A: A.map((row, i) => row.map((s, j) => num(`A[${i}][${j}]`, s))), b: b.map((s, i) => num(`b[${i}]`, s)) };
}

export class MatrixEditor {
  readonly root: HTMLDivElement;
  private readonly grid: HTMLTableElement;
  private readonly message: HTMLDivElement;
  private A: string[][] = [['1', '0']];
  private b: string[] = ['0'];

  constructor(parent: HTMLElement, private readonly h: MatrixHandlers) {
    this.root = el('div', { 'data-control': 'matrix-editor' });
    this.root.style.cssText = 'display:flex;flex-direction:column;gap:4px';
    const head = el('div', {}, 'constraints A x = b');
    head.style.fontWeight = '600';
    this.grid = el('table');
    this.grid.style.borderCollapse = 'collapse';
    const buttons = el('div');
    const btn = (name: string, text: string, f: () => void) => {
      const b = el('button', { type: 'button', 'data-control': name }, text);
      b.addEventListener('click', f);
      buttons.append(b, document.createTextNode(' '));
    };
    btn('matrix-add-row', '+ row', () => this.resize(this.A.length + 1, this.A[0].length));
    btn('matrix-remove-row', '− row', () => this.resize(this.A.length - 1, this.A[0].length));
    btn('matrix-add-col', '+ col', () => this.resize(this.A.length, this.A[0].length + 1));
    btn('matrix-remove-col', '− col', () => this.resize(this.A.length, this.A[0].length - 1));
    btn('matrix-apply', 'apply A, b', () => this.apply());
    const file = el('input', { type: 'file', accept: '.json,application/json', 'data-control': 'matrix-import' });
    file.style.display = 'none';
    file.addEventListener('change', async () => {
      const f = file.files?.[0];
      if (f) this.h.importJson(f);
      file.value = '';
    });
    btn('matrix-import-button', 'import JSON', () => file.click());
    buttons.append(file);
    this.message = el('div', { 'data-control': 'matrix-message' });
    this.message.style.cssText = 'color:#c33;max-width:420px';
    this.root.append(head, this.grid, buttons, this.message);
    parent.appendChild(this.root);
  }

  /** Show the config's A and b (after a successful apply, import or config change). */
  set(A: number[][], b: number[]): void {
    this.A = A.map((r) => r.map(String));
    this.b = b.map(String);
    this.render();
  }

  /** An error message; `field` like A[1][2] or b[0] or A or b marks the cells. */
  showError(text: string, field: string | null): void {
    this.message.textContent = text;
    this.render(field);
  }

  clearError(): void {
    this.message.textContent = '';
    this.render();
  }

  private resize(m: number, n: number): void {
    if (m < 1 || n < m + 1 || n > MAX_N) {
      this.showError(`A must stay m x n with 1 <= m < n <= ${MAX_N} (asked for ${m} x ${n})`, null);
      return;
    }
    this.A = Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => this.A[i]?.[j] ?? (i === j ? '1' : '0')));
    this.b = Array.from({ length: m }, (_, i) => this.b[i] ?? '0');
    this.message.textContent = 'edited: press "apply A, b"';
    this.render();
  }

  private apply(): void {
    try {
      const { A, b } = readCells(this.A, this.b);
      this.h.apply(A, b);
    } catch (e) {
      this.showError((e as Error).message, e instanceof FieldError ? e.field : null);
    }
  }

  private render(bad: string | null = null): void {
    const rows: HTMLTableRowElement[] = [];
    const cell = (value: string, field: string, onInput: (v: string) => void): HTMLTableCellElement => {
      const td = el('td');
      const input = el('input', { type: 'text', value, 'data-cell': field, 'aria-label': field });
      input.style.cssText = 'width:46px;font:11px monospace;padding:1px 2px';
      if (bad && (bad === field || (bad === field.slice(0, 1) && field.length > 1))) input.style.outline = '2px solid #d33';
      input.addEventListener('input', () => onInput(input.value));
      td.append(input);
      return td;
    };
    this.A.forEach((row, i) => {
      const tr = el('tr');
      row.forEach((v, j) => tr.append(cell(v, `A[${i}][${j}]`, (s) => (this.A[i][j] = s))));
      const sep = el('td', {}, i === 0 ? '| b:' : '|');
      sep.style.padding = '0 4px';
      tr.append(sep, cell(this.b[i], `b[${i}]`, (s) => (this.b[i] = s)));
      rows.push(tr);
    });
    this.grid.replaceChildren(...rows);
  }

  dispose(): void {
    this.root.remove();
  }
}
