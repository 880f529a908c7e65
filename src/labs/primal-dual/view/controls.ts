// Lab-specific controls of the primal-dual page in host.controls: the coordinate plane of the
// picture (any two of x_0..x_{n-1}, lambda_0..lambda_{m-1}), the theta window gauge (the
// admissible [1/(alpha-1), 1/2] of every batch's alpha drawn on a theta axis with the current
// theta, and a warning outside it), and read-outs (KKT point and residual, gyration frequency,
// identity defect, Q). The theta slider itself is the shell's panel (params.ts); the gauge mirrors
// it. Which values run side by side is the shell's compare control (config.compare), not this.
// Plain DOM; every element carries a data-control name for tests.

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

export interface ControlHandlers {
  axes(ax: number, ay: number): void;
}

const GAUGE_W = 300;
const GAUGE_H = 34;
const THETA_MAX = 0.6;

export class Controls {
  readonly root: HTMLDivElement;
  private readonly axX: HTMLSelectElement;
  private readonly axY: HTMLSelectElement;
  private readonly gauge: SVGSVGElement;
  private readonly windowText: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly note: HTMLDivElement;

  constructor(parent: HTMLElement, h: ControlHandlers) {
    this.root = el('div', { class: 'primal-dual-controls' });
    this.root.style.cssText = 'display:flex;flex-direction:column;gap:5px;font:12px system-ui,sans-serif;max-width:min(460px,100%);min-width:0';

    const axisRow = el('div');
    this.axX = el('select', { 'data-control': 'axis-x', 'aria-label': 'plane: horizontal coordinate' });
    this.axY = el('select', { 'data-control': 'axis-y', 'aria-label': 'plane: vertical coordinate' });
    const onAxes = () => h.axes(Number(this.axX.value), Number(this.axY.value));
    this.axX.addEventListener('change', onAxes);
    this.axY.addEventListener('change', onAxes);
    axisRow.append(el('span', {}, 'plane: horizontal '), this.axX, el('span', {}, ' vertical '), this.axY);

    this.gauge = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.gauge.setAttribute('width', String(GAUGE_W));
    this.gauge.setAttribute('height', String(GAUGE_H));
    this.gauge.setAttribute('data-control', 'theta-window');
    this.gauge.style.maxWidth = '100%';
    this.windowText = el('div', { 'data-control': 'theta-window-text' });
    // Focusable: it may scroll sideways on narrow screens, and a keyboard must be able to scroll it.
    this.readout = el('div', { 'data-control': 'readout', tabindex: '0', role: 'region', 'aria-label': 'readout: the states and diagnostics of the selected trajectory' });
    // Its own horizontal scroll on narrow screens: the table keeps its columns, the page does not scroll sideways.
    this.readout.style.cssText = 'font:11px monospace;white-space:pre;line-height:1.35;max-width:100%;overflow-x:auto';
    this.note = el('div', { 'data-control': 'note' });
    this.note.style.color = '#c60';
    this.root.append(axisRow, this.gauge, this.windowText, this.readout, this.note);
    parent.appendChild(this.root);
  }

  /** Axis options for dimension n, m. */
  configure(n: number, m: number, ax: number, ay: number): void {
    const names = [...Array.from({ length: n }, (_, i) => `x${i}`), ...Array.from({ length: m }, (_, i) => `λ${i}`)];
    for (const [sel, v] of [[this.axX, ax], [this.axY, ay]] as const) {
      sel.replaceChildren(...names.map((s, i) => el('option', { value: String(i) }, s)));
      sel.value = String(v);
    }
  }

  /** The θ axis with each alpha's window [1/(α−1), 1/2] and the chosen θ. */
  showTheta(theta: number, windows: { alpha: number; colour: string }[]): void {
    const sx = (v: number) => 10 + (Math.min(THETA_MAX, Math.max(0, v)) / THETA_MAX) * (GAUGE_W - 20);
    const ns = 'http://www.w3.org/2000/svg';
    const mk = (tag: string, attrs: Record<string, string | number>, text = '') => {
      const e = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text) e.textContent = text;
      return e;
    };
    const parts: Element[] = [mk('line', { x1: sx(0), x2: sx(THETA_MAX), y1: 24, y2: 24, stroke: '#888' })];
    for (const v of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
      parts.push(mk('line', { x1: sx(v), x2: sx(v), y1: 22, y2: 26, stroke: '#888' }));
      parts.push(mk('text', { x: sx(v), y: 34, 'font-size': 8, 'text-anchor': 'middle', fill: '#888' }, String(v)));
    }
    windows.forEach((w, i) => {
      const lo = 1 / (w.alpha - 1);
      const y = 4 + 5 * i;
      const x0 = sx(lo);
      const x1 = sx(0.5);
      parts.push(mk('rect', { x: x0, y, width: Math.max(2, x1 - x0), height: 4, fill: w.colour, opacity: 0.75, 'data-alpha': w.alpha, 'data-lo': lo }));
    });
    const ok = windows.length > 0 && theta >= 1 / (windows[0].alpha - 1) - 1e-12 && theta <= 0.5;
    parts.push(mk('line', { x1: sx(theta), x2: sx(theta), y1: 1, y2: 28, stroke: ok ? '#111' : '#d33', 'stroke-width': 2, 'data-theta': theta }));
    this.gauge.replaceChildren(...parts);
    const a = windows[0]?.alpha ?? 3;
    const lo = 1 / (a - 1);
    let text = `θ = ${theta.toPrecision(4)}; energy window for α = ${a}: [${lo.toPrecision(4)}, 0.5]`;
    let colour = '#2a2';
    if (!ok) {
      text += ' — θ is OUTSIDE the window: E(t) is not a Lyapunov function, no rate is guaranteed';
      colour = '#d33';
    } else if (a === 3) text += ' — α = 3 forces θ = 1/2: O(1/t²) only (sharp, Q(t) conserved)';
    else if (Math.abs(theta - lo) < 1e-9 || Math.abs(theta - 0.5) < 1e-9) text += ' — endpoint: O(1/t²), t²‖Ax−b‖ levels off';
    else text += ' — strict interior: o(1/t²), t²-weighted envelopes → 0';
    this.windowText.textContent = text;
    this.windowText.style.color = colour;
    this.windowText.setAttribute('data-inside', String(ok));
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
