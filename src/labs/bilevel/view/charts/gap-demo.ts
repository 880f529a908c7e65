// Chart: the spec's 1-D gap demo (analysis.ts gapDemo). Lower level min ½(y − x)² s.t. y ≤ 0, so
// y*(x) = min(x, 0) and strict complementarity fails at x = 0; upper level
// F(x) = ½(y*(x) − 1)² + (ε/2)x². F is minimised exactly at x = 0, on the failure set, where the
// hypergradient F′ jumps from −1 to 0 (marked, with its one-sided limits as rings). ε is the
// chart's own small control (it is not part of the lab's config).

import { LineChart } from '../../../shared/view/line-chart';
import { gapDemo } from '../../analysis';
import { el } from '../dom';

const RANGE: [number, number] = [-1.5, 1.5];

const minus = (v: number) => String(v).replace('-', '−');

export class GapDemoChart {
  readonly root: HTMLDivElement;
  private readonly chart: LineChart;
  private readonly input: HTMLInputElement;
  private readonly output: HTMLOutputElement;
  eps = 0.5;

  constructor(parent: HTMLElement) {
    this.root = el('div', { class: 'bilevel-gap-demo' });
    const row = el('div');
    row.style.cssText = 'display:flex;gap:6px;align-items:center;font:12px system-ui,sans-serif;color:var(--text,#d9e1ea);margin-bottom:2px';
    this.input = el('input', { type: 'range', id: 'bilevel-gap-eps', min: '0', max: '2', step: '0.05', value: String(this.eps), 'data-testid': 'gap-eps' });
    this.output = el('output', { for: 'bilevel-gap-eps' }, String(this.eps));
    row.append(el('label', { for: 'bilevel-gap-eps' }, 'gap demo ε'), this.input, this.output);
    this.input.addEventListener('input', () => {
      this.eps = Number(this.input.value);
      this.output.textContent = this.input.value;
      this.render();
    });
    // Arrow keys move the slider, not the run (the shell's → is "single step").
    this.input.addEventListener('keydown', (e) => {
      if (e.key.startsWith('Arrow')) e.stopPropagation();
    });
    this.root.append(row);
    parent.appendChild(this.root);
    this.chart = new LineChart(this.root, 'gap-demo', '1-D gap demo: F(x) and its hypergradient', { xLabel: 'x', yLabel: 'F, F′' });
    this.render();
  }

  private render(): void {
    const d = gapDemo(this.eps, 301, RANGE);
    const pts = (v: Float64Array) => Array.from(d.x, (x, k) => [x, v[k]] as [number, number]);
    const fMin = 0.5 * (Math.min(d.xMin, 0) - 1) ** 2 + 0.5 * this.eps * d.xMin * d.xMin;
    this.chart.update({
      xMin: RANGE[0],
      xMax: RANGE[1],
      series: [
        { label: 'F(x)', colour: '#1f5fa8', points: pts(d.value), data: { quantity: 'value', eps: this.eps } },
        { label: "F′(x)", colour: '#d9534f', points: pts(d.hypergradient), data: { quantity: 'hypergradient', eps: this.eps } },
        {
          label: `jump of F′ at 0: ${minus(d.jump[0])} → ${minus(d.jump[1])}`,
          colour: '#d9534f',
          dash: '2 2',
          width: 1.2,
          dots: 'hollow',
          points: [
            [0, d.jump[0]],
            [0, d.jump[1]],
          ],
          data: { quantity: 'jump', left: d.jump[0], right: d.jump[1] },
        },
        { label: `argmin F = ${d.xMin}`, colour: '#111', dots: true, points: [[d.xMin, fMin]], data: { quantity: 'argmin', x: d.xMin } },
      ],
      notes: [
        { text: `blue: F = ½(y* − 1)² + (ε/2)x², y* = min(x, 0), ε = ${this.eps}`, colour: '#333' },
        { text: `red: F′, jumps ${minus(d.jump[0])} → ${minus(d.jump[1])} at x = 0 = argmin F`, colour: '#555' },
      ],
    });
  }

  svg(): string {
    return this.chart.svgText();
  }

  dispose(): void {
    this.chart.dispose();
    this.root.remove();
  }
}
