// The rigidity witness panel: two endpoints a, b (also draggable on the map), each set with a pair
// of number inputs, and the caption read off rigidityWitness (analysis.ts): when the strict
// active sets I(a), I(b) differ, LICQ + SCSC cannot hold along any path between them, and the
// crossings of failure sets on the straight segment are named with their t.

import { activeSetLabel, type RigidityWitness } from '../analysis';
import type { Family, GridConfig } from '../types';
import { el } from './dom';
import { CONDITION_LABELS } from './palette';

export type Point = [number, number];

/** The caption of a witness, e.g. "I(a) = {} vs I(b) = {2}: every path ... (here: SCSC at t = 0.43)". */
export function witnessCaption(family: Family, w: RigidityWitness): string {
  const ia = activeSetLabel(family, w.a.strict);
  const ib = activeSetLabel(family, w.b.strict);
  const here = w.crossings.map((c) => `${c.conditions.map((k) => CONDITION_LABELS[k]).join(' + ')} at t = ${c.t.toFixed(2)}`).join(', ');
  if (w.differ) {
    return `I(a) = ${ia} vs I(b) = ${ib}: every path between them crosses a failure set${here ? ` (here: ${here})` : ''}.`;
  }
  return `I(a) = I(b) = ${ia}: the same strict active set, no crossing is forced${here ? ` (this segment still crosses: ${here})` : ''}.`;
}

export class WitnessPanel {
  readonly root: HTMLFieldSetElement;
  private readonly inputs: HTMLInputElement[][];
  private readonly caption: HTMLParagraphElement;

  constructor(parent: HTMLElement, onSet: (which: 0 | 1, x: Point) => void) {
    this.root = el('fieldset', { class: 'bilevel-witness', 'data-testid': 'bilevel-witness' });
    this.root.style.cssText = 'border:1px solid var(--line,#2a323d);border-radius:6px;padding:2px 8px 5px;margin:0;max-width:440px';
    this.root.append(el('legend', {}, 'Rigidity witness (drag a, b on the map)'));
    const row = el('div');
    row.style.cssText = 'display:flex;gap:5px;align-items:center;flex-wrap:wrap;margin:2px 0';
    this.inputs = (['a', 'b'] as const).map((name, which) => {
      row.append(el('strong', { 'aria-hidden': 'true' }, which ? '\u2003b' : 'a'));
      const pair = (['x₁', 'x₂'] as const).map((axis, j) => {
        const id = `bilevel-witness-${name}-${j + 1}`;
        const input = el('input', { type: 'number', id, step: '0.01', 'data-testid': `witness-${name}-x${j + 1}`, 'aria-label': `witness point ${name}, ${axis}` });
        input.style.width = '64px';
        row.append(el('label', { for: id }, axis), input);
        return input;
      });
      const apply = () => {
        const x: Point = [Number(pair[0].value), Number(pair[1].value)];
        if (x.every(Number.isFinite)) onSet(which as 0 | 1, x);
      };
      for (const i of pair) i.addEventListener('change', apply);
      return pair;
    });
    this.root.append(row);
    this.caption = el('p', { class: 'witness-caption', 'data-testid': 'witness-caption' });
    this.caption.style.cssText = 'margin:3px 0 0;font-size:12px;line-height:1.35;min-height:4.05em';
    this.root.append(this.caption);
    parent.appendChild(this.root);
  }

  /** Input ranges of the grid's box. */
  setBox(grid: GridConfig): void {
    this.inputs.forEach((pair) =>
      pair.forEach((input, j) => {
        const r = j === 0 ? grid.x1 : grid.x2;
        input.min = String(r[0]);
        input.max = String(r[1]);
      }),
    );
  }

  show(family: Family, a: Point, b: Point, w: RigidityWitness): void {
    [a, b].forEach((p, i) =>
      p.forEach((v, j) => {
        const input = this.inputs[i][j];
        if (document.activeElement !== input) input.value = String(Number(v.toFixed(4)));
      }),
    );
    this.caption.textContent = witnessCaption(family, w);
    this.caption.dataset.differ = String(w.differ);
  }
}
