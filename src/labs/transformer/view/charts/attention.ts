// Attention weights of the selected token as a d3 bar chart: one bar per key token j of the
// sequence, height = W_ij averaged over the heads of the chosen layer (../attention.ts), the
// per-head weights as small grey ticks (how much the heads disagree), the key's own bar outlined
// when the token attends to itself, and the token weights pi_j dashed (the weights with zero
// logits: uniform attention). data-weights on the root lists the mean weights for tests.

import { axisBottom, axisLeft, scaleBand, scaleLinear } from 'd3';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, setChartDescription, svgText, type Svg } from '../../../shared/view/chart-svg';
import type { AttentionWeights } from '../attention';
import { CHART } from '../palette';

export class AttentionChart {
  private readonly svg: Svg;

  constructor(parent: HTMLElement, readonly name = 'attention') {
    this.svg = createChartSvg(parent, name, 'Attention of the selected token');
    // Axes draw in currentColor: dark on the white chart, in the page (light text) and in exported files.
    this.svg.attr('color', '#333');
    this.update(null, null, 'click a token in the picture (or pick one below) to see whom it attends to');
  }

  /** w: the weights, pi: the key weights pi_j of the sequence (uniform 1/n unless discrete). */
  update(w: AttentionWeights | null, pi: ArrayLike<number> | null, note: string): void {
    const svg = this.svg;
    svg.selectAll('g.plot').remove();
    const g = svg.append('g').attr('class', 'plot');
    g.append('text').attr('class', 'note').attr('x', MARGIN.left + 4).attr('y', MARGIN.top + 8).attr('font-size', 9.5).attr('fill', '#555').text(note);
    svg.attr('data-weights', w ? Array.from(w.mean, (v) => v.toPrecision(6)).join(',') : '');
    svg.attr('data-row', w ? w.row : '').attr('data-layer', w ? w.layer : '').attr('data-sequence', w ? w.sequence : '');
    setChartDescription(svg, w ? `Attention weights of the selected token over ${w.mean.length} keys, mean over heads; largest ${fmt(Math.max(...w.mean))} on key ${w.mean.indexOf(Math.max(...w.mean))}. ${note}` : `Attention of the selected token: select a token to see its weights. ${note}`);
    if (!w) return;
    const n = w.mean.length;
    const H = w.perHead.length / n;
    const top = MARGIN.top + 28;
    let hi = 0;
    for (const v of w.perHead) hi = Math.max(hi, v);
    if (pi) for (let j = 0; j < n; j++) hi = Math.max(hi, pi[j]);
    const x = scaleBand<number>()
      .domain(Array.from({ length: n }, (_, j) => j))
      .range([MARGIN.left, CHART_W - MARGIN.right])
      .padding(n > 64 ? 0 : 0.15);
    const y = scaleLinear()
      .domain([0, Math.max(1e-9, hi * 1.08)])
      .range([CHART_H - MARGIN.bottom, top]);
    const every = Math.ceil(n / 12);
    g.append('g')
      .attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`)
      .call(axisBottom(x).tickValues(x.domain().filter((j) => j % every === 0)));
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(4, '~g'));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text('key token j');
    g.append('text')
      .attr('transform', `translate(11,${(CHART_H - MARGIN.bottom + top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(`W̄_${w.row === n ? 'CLS' : w.row},j`);
    const idx = Array.from({ length: n }, (_, j) => j);
    g.append('g')
      .attr('class', 'bars')
      .selectAll('rect')
      .data(idx)
      .join('rect')
      .attr('x', (j) => x(j) ?? 0)
      .attr('width', Math.max(1, x.bandwidth()))
      .attr('y', (j) => y(w.mean[j]))
      .attr('height', (j) => Math.max(0, y(0) - y(w.mean[j])))
      .attr('fill', CHART.primary)
      .attr('stroke', (j) => (j === w.row ? CHART.selected : 'none'))
      .attr('stroke-width', 1.5)
      .attr('data-key', (j) => j)
      .attr('data-weight', (j) => w.mean[j])
      .append('title')
      .text((j) => `key ${j}: ${fmt(w.mean[j])}`);
    if (H > 1 && H * n <= 20_000) {
      const ticks: [number, number][] = [];
      for (let h = 0; h < H; h++) for (let j = 0; j < n; j++) ticks.push([j, w.perHead[h * n + j]]);
      g.append('g')
        .attr('class', 'per-head')
        .selectAll('line')
        .data(ticks)
        .join('line')
        .attr('x1', ([j]) => (x(j) ?? 0) + x.bandwidth() * 0.2)
        .attr('x2', ([j]) => (x(j) ?? 0) + x.bandwidth() * 0.8)
        .attr('y1', ([, v]) => y(v))
        .attr('y2', ([, v]) => y(v))
        .attr('stroke', '#888')
        .attr('stroke-opacity', Math.max(0.15, Math.min(0.7, 4 / H)));
    }
    if (pi) {
      const pts = idx.map((j) => `${(x(j) ?? 0) + x.bandwidth() / 2},${y(pi[j])}`).join(' ');
      g.append('polyline').attr('class', 'pi').attr('points', pts).attr('fill', 'none').attr('stroke', CHART.weights).attr('stroke-dasharray', '3 2').attr('stroke-width', 1);
    }
    g.append('text')
      .attr('x', CHART_W - MARGIN.right)
      .attr('y', MARGIN.top + 19)
      .attr('text-anchor', 'end')
      .attr('font-size', 9.5)
      .attr('fill', '#555')
      .text(`bars: mean over ${H} head${H > 1 ? 's' : ''}${H > 1 ? ', grey: each head' : ''}; green: π_j`);
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }
}
