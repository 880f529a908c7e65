// The probe read-out: the exact lower-level solution at the hovered (or keyboard-moved) x, solved
// in float64 on the spot with solvePixel (no readback): x, y*, mu, slacks, the active set and the
// strict one, the three margins against the flag threshold tau = kappa h, and what the computed
// map holds at that pixel (the GPU map is float32, so near a failure set the two may differ).

import { activeSetLabel, strictSet } from '../analysis';
import { CONDITIONS, type BilevelConfig, type Perturbation } from '../types';
import { solvePixel } from '../reference';
import { el, num, vec } from './dom';
import { CONDITION_LABELS, setDescription } from './palette';

/** Lines of the read-out box. */
const LINES = 8;

export class Readout {
  readonly root: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.root = el('div', { class: 'bilevel-readout', 'data-testid': 'bilevel-readout', role: 'status', 'aria-label': 'Exact solution at the probe' });
    // A fixed box of LINES lines, so moving the probe never changes the layout (and the map size).
    this.root.style.cssText = `font:11.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre;color:var(--text,#d9e1ea);width:370px;box-sizing:content-box;height:${LINES * 1.45}em;overflow:hidden;padding:4px 8px;border:1px solid var(--line,#2a323d);border-radius:6px`;
    parent.appendChild(this.root);
    this.clear();
  }

  clear(): void {
    this.root.textContent = 'Probe: hover the map, or focus it (Tab)\nand use the arrow keys, to solve the\nlower level exactly (float64) at that x.';
    delete this.root.dataset.x1;
  }

  /**
   * x: the probe; tau: the flag threshold; mapCode: the map's code at x's pixel (null: not
   * computed yet); pixel: [i1, i2].
   */
  show(config: BilevelConfig, p: Perturbation, x: [number, number], tau: number, pixel: [number, number], mapCode: number | null): void {
    const s = solvePixel(config.family, x[0], x[1], p);
    const strict = strictSet(s);
    const fam = config.family;
    const lines = [
      `x      = ${vec(x)}  pixel [${pixel[0]}, ${pixel[1]}]`,
      `y*     = ${vec(s.y)}`,
      `μ      = ${s.mu.length ? vec(s.mu) : '— (no constraints)'}`,
      `slack  = ${s.slack.length ? vec(s.slack) : '—'}`,
      `I(x)   = ${activeSetLabel(fam, s.active)} ${setDescription(fam, s.active)} · strict ${activeSetLabel(fam, strict)}`,
      `margin ${CONDITIONS.map((c, k) => `${CONDITION_LABELS[c]} ${num(s.margins[k], 3)}${s.margins[k] < tau ? '⚑' : ''}`).join('  ')}`,
      `       (⚑: below τ = κh = ${num(tau, 3)}, flagged)`,
    ];
    if (mapCode !== null) {
      const flags = CONDITIONS.filter((_, k) => (mapCode >> (8 + k)) & 1).map((c) => CONDITION_LABELS[c]);
      lines.push(`map    = ${activeSetLabel(fam, mapCode & 15)}${flags.length ? `, flagged ${flags.join(', ')}` : ', no flag'}`);
    } else lines.push('map    = (pixel not computed yet)');
    this.root.textContent = lines.join('\n');
    const d = this.root.dataset;
    d.x1 = String(x[0]);
    d.x2 = String(x[1]);
    d.active = String(s.active);
    CONDITIONS.forEach((c, k) => (d[`margin${c[0].toUpperCase()}${c.slice(1)}`] = String(s.margins[k])));
  }
}
