// The shell's compare control, for labs with a compare mode (LabDefinition.compare,
// src/labs/compare.ts): pick one of the lab's batchable parameters and type the values to run
// beside the config's own; Apply proposes config.compare to the shell, which validates it like any
// config (lab.parseConfig: a bad value is named in a notice and the previous state stays) and puts
// it in the URL. The lab's page draws the batches; this control only edits config.compare.

import type { CompareConfig } from '../labs/compare';
import type { ParamSpec } from '../labs/schema';
import { h } from './dom';

export type CompareChange = (compare: CompareConfig | undefined) => void;

/** "4, 8 1e-2" -> [4, 8, 0.01]; a token that is not a number is kept as its text so the config check names it. */
export function parseCompareValues(text: string): (number | string)[] {
  return text
    .split(/[\s,;]+/)
    .filter((s) => s !== '')
    .map((s) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : s));
}

export class CompareControl {
  readonly el: HTMLElement;
  private readonly key: HTMLSelectElement;
  private readonly values: HTMLInputElement;
  private readonly note: HTMLElement;

  constructor(
    keys: readonly string[],
    params: readonly ParamSpec[],
    private readonly onApply: CompareChange,
  ) {
    const label = (k: string): string => params.find((p) => p.key === k)?.label ?? k;
    this.key = h('select', { class: 'compare-key', 'aria-label': 'Parameter to compare' }, h('option', { value: '' }, 'off'), ...keys.map((k) => h('option', { value: k }, label(k))));
    this.values = h('input', { class: 'compare-values', type: 'text', 'aria-label': 'Compared values (comma-separated)', placeholder: 'e.g. 4, 8', spellcheck: 'false' });
    const apply = h('button', { type: 'button', class: 'compare-apply' }, 'Apply');
    this.note = h('p', { class: 'compare-note' });
    this.el = h(
      'section',
      { class: 'compare-control', 'aria-label': 'Compare' },
      h('div', { class: 'compare-row' }, h('span', { class: 'compare-title' }, 'Compare'), this.key, this.values, apply),
      this.note,
    );
    const submit = (): void => {
      const key = this.key.value;
      this.onApply(key === '' ? undefined : { key, values: parseCompareValues(this.values.value) as number[] });
    };
    apply.addEventListener('click', submit);
    this.values.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') submit();
    });
    // Keys typed here are text, not the shell's shortcuts (Space = play, ...).
    this.el.addEventListener('keydown', (e) => e.stopPropagation());
    this.key.addEventListener('change', () => {
      if (this.key.value === '') submit();
      else this.values.focus();
    });
  }

  /** Show `config`'s compare (after every accepted or rejected change). */
  setValues(config: unknown): void {
    const compare = (config as { compare?: CompareConfig } | null)?.compare;
    this.key.value = compare?.key ?? '';
    this.values.value = compare ? compare.values.join(', ') : '';
    const own = compare ? (config as Record<string, unknown>)[compare.key] : undefined;
    this.note.textContent = compare
      ? `${1 + compare.values.length} runs in one dispatch: ${compare.key} = ${String(own)} (config), ${compare.values.join(', ')}`
      : 'Off: one run. Pick a parameter and values to run them side by side.';
  }

  dispose(): void {
    this.el.remove();
  }
}
