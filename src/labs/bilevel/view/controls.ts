// The bilevel page's own controls (host.controls; the schema panel has family, N, kappa, eps and
// seed): the failure-overlay toggles with each condition's failure fraction, the perturbation in
// use (q, d from perturbationOf) with a "Resample" button (next seed), and a note line.

import { MAX_PERTURBATION, MAX_SEED } from '../params';
import { CONDITIONS, type BilevelConfig, type Perturbation } from '../types';
import { el, percent, vec } from './dom';
import { CONDITION_LABELS, HATCHES, hatchTile } from './palette';

/** The config after "Resample": the next seed; an explicit {q, d} becomes a draw of the same size (0.2 if 0). */
export function resampled(config: BilevelConfig): BilevelConfig {
  const p = config.perturbation;
  if ('q' in p) {
    const size = Math.max(0, ...p.q.map(Math.abs), ...p.d.map(Math.abs));
    return { ...config, perturbation: { eps: Math.min(MAX_PERTURBATION, size > 0 ? size : 0.2), seed: 1 } };
  }
  return { ...config, perturbation: { eps: p.eps > 0 ? p.eps : 0.2, seed: (p.seed + 1) % (MAX_SEED + 1) } };
}

export interface ControlHandlers {
  toggle(condition: number, on: boolean): void;
  resample(): void;
}

export class Controls {
  readonly root: HTMLDivElement;
  private readonly fractionEls: HTMLSpanElement[];
  private readonly perturbation: HTMLDivElement;
  private readonly note: HTMLDivElement;

  constructor(parent: HTMLElement, h: ControlHandlers) {
    this.root = el('div', { class: 'bilevel-controls' });
    this.root.style.cssText = 'display:flex;flex-direction:column;gap:6px;font:12px system-ui,sans-serif;color:var(--text,#d9e1ea)';

    const fails = el('fieldset', { class: 'bilevel-failures' });
    fails.style.cssText = 'border:1px solid var(--line,#2a323d);border-radius:6px;padding:4px 8px 6px;margin:0;display:flex;gap:12px;flex-wrap:wrap';
    fails.append(el('legend', {}, 'Failure overlays (margin < κh)'));
    this.fractionEls = CONDITIONS.map((c, k) => {
      const id = `bilevel-fail-${c}`;
      const box = el('input', { type: 'checkbox', id, 'data-testid': `fail-toggle-${c}` });
      box.checked = true;
      box.addEventListener('change', () => h.toggle(k, box.checked));
      const swatch = hatchTile(HATCHES[c], 14);
      swatch.style.cssText = 'width:14px;height:14px;background:#6d7580;border:1px solid #000;vertical-align:middle';
      swatch.setAttribute('aria-hidden', 'true');
      const frac = el('span', { class: 'fraction', 'data-testid': `fraction-${c}` }, '–');
      frac.style.cssText = 'font-family:ui-monospace,monospace;color:var(--accent,#7cc4ff)';
      const label = el('label', { for: id });
      label.style.cssText = 'display:flex;gap:4px;align-items:center;cursor:pointer';
      label.append(box, swatch, `${CONDITION_LABELS[c]} `, frac);
      fails.append(label);
      return frac;
    });

    const pert = el('div');
    pert.style.cssText = 'display:flex;gap:8px;align-items:center';
    const resample = el('button', { type: 'button', 'data-testid': 'resample', title: 'Draw a new perturbation q, d ~ U[−ε, ε] (next seed; ε = 0.2 if it was 0)' }, 'Resample');
    resample.addEventListener('click', () => h.resample());
    this.perturbation = el('div', { class: 'perturbation', 'data-testid': 'perturbation' });
    this.perturbation.style.cssText = 'font:11px/1.35 ui-monospace,monospace;min-width:0';
    pert.append(resample, this.perturbation);

    this.note = el('div', { class: 'bilevel-note', 'data-testid': 'bilevel-note' });
    this.note.style.cssText = 'color:var(--warn,#f0b35a)';
    this.root.append(fails, pert, this.note);
    parent.appendChild(this.root);
  }

  setFractions(f: [number, number, number], rowsDone: number, n: number): void {
    this.fractionEls.forEach((e, k) => {
      e.textContent = rowsDone > 0 ? percent(f[k]) : '–';
      e.dataset.fraction = String(f[k]);
      e.dataset.complete = String(rowsDone >= n);
    });
  }

  setPerturbation(config: BilevelConfig, p: Perturbation): void {
    const src = config.perturbation;
    const how = 'q' in src ? 'explicit' : src.eps === 0 ? 'nominal (ε = 0)' : `ε = ${src.eps}, seed ${src.seed}`;
    this.perturbation.textContent = `q = ${vec(p.q, 3)}  d = ${p.d.length ? vec(p.d, 3) : '()'} · ${how}`;
  }

  setNote(text: string): void {
    this.note.textContent = text;
    this.note.hidden = text === '';
  }
}
