// The head particles as a d3 scatter: every head (l, h) at its current position in the chosen 2-D
// projection of parameter space (../heads.ts), coloured by layer (viridis, input layer dark),
// with a thin line from its initial position (small hollow circle). Equal axis scales, so the
// picture is a faithful projection. The root carries data-heads and data-displacement for tests.

import { axisBottom, axisLeft, scaleLinear } from 'd3';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, setChartDescription, svgText, type Svg } from '../../../shared/view/chart-svg';
import { sequential } from '../../../shared/view/palette';
import type { HeadPicture } from '../heads';

/** Heads drawn at most (the rest are thinned by stride; the note says so). */
const MAX_DRAWN = 4096;

export class HeadChart {
  private readonly svg: Svg;

  constructor(parent: HTMLElement, readonly name = 'heads') {
    this.svg = createChartSvg(parent, name, 'Head particles θ(l, h) = (Q, K, V)');
    // Axes draw in currentColor: dark on the white chart, in the page (light text) and in exported files.
    this.svg.attr('color', '#333');
    this.update(null, 1, 'waiting for the heads');
  }

  update(pic: HeadPicture | null, L: number, note: string): void {
    const svg = this.svg;
    svg.selectAll('g.plot').remove();
    const g = svg.append('g').attr('class', 'plot');
    const top = MARGIN.top + 26;
    const notes = [note, pic ? `mean |θ − θ₀| = ${fmt(pic.meanDisplacement)} (all entries); lines: start → now` : ''];
    notes.forEach((t, i) => g.append('text').attr('class', 'note').attr('x', MARGIN.left + 4).attr('y', MARGIN.top + 8 + 11 * i).attr('font-size', 9.5).attr('fill', '#555').text(t));
    svg.attr('data-heads', pic ? pic.layer.length : 0).attr('data-displacement', pic ? pic.meanDisplacement : 0);
    setChartDescription(svg, pic ? `Head particles (Q, K, V) of ${pic.layer.length} heads projected to 2-D, start and now; mean displacement ${fmt(pic.meanDisplacement)}. ${note}` : `Head particles: no heads yet. ${note}`);
    if (!pic) return;
    const count = pic.layer.length;
    const stride = Math.max(1, Math.ceil(count / MAX_DRAWN));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < count; i += stride) {
      for (const src of [pic.start, pic.current]) {
        if (Number.isFinite(src[2 * i]) && Number.isFinite(src[2 * i + 1])) {
          xs.push(src[2 * i]);
          ys.push(src[2 * i + 1]);
        }
      }
    }
    const w = CHART_W - MARGIN.right - MARGIN.left;
    const h = CHART_H - MARGIN.bottom - top;
    let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [-1, 1];
    let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [-1, 1];
    // Equal scales: widen the shorter range about its centre.
    let span = Math.max(x1 - x0, (y1 - y0) * (w / h), 1e-9) * 1.1;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    [x0, x1] = [cx - span / 2, cx + span / 2];
    span = (span * h) / w;
    [y0, y1] = [cy - span / 2, cy + span / 2];
    const x = scaleLinear().domain([x0, x1]).range([MARGIN.left, CHART_W - MARGIN.right]);
    const y = scaleLinear().domain([y0, y1]).range([CHART_H - MARGIN.bottom, top]);
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(axisBottom(x).ticks(5, '~g'));
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(4, '~g'));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text(pic.axes[0]);
    g.append('text')
      .attr('transform', `translate(11,${(CHART_H - MARGIN.bottom + top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(pic.axes[1]);
    const colour = (l: number) => sequential(L > 1 ? (0.9 * l) / (L - 1) : 0.5);
    const idx = Array.from({ length: Math.ceil(count / stride) }, (_, j) => j * stride);
    const fin = (i: number) => [pic.start[2 * i], pic.start[2 * i + 1], pic.current[2 * i], pic.current[2 * i + 1]].every(Number.isFinite);
    const shown = idx.filter(fin);
    const lines = g.append('g').attr('class', 'displacement');
    lines
      .selectAll('line')
      .data(shown)
      .join('line')
      .attr('x1', (i) => x(pic.start[2 * i]))
      .attr('y1', (i) => y(pic.start[2 * i + 1]))
      .attr('x2', (i) => x(pic.current[2 * i]))
      .attr('y2', (i) => y(pic.current[2 * i + 1]))
      .attr('stroke', (i) => colour(pic.layer[i]))
      .attr('stroke-opacity', 0.55)
      .attr('stroke-width', 0.8);
    g.append('g')
      .attr('class', 'start')
      .selectAll('circle')
      .data(shown)
      .join('circle')
      .attr('cx', (i) => x(pic.start[2 * i]))
      .attr('cy', (i) => y(pic.start[2 * i + 1]))
      .attr('r', 1.6)
      .attr('fill', 'none')
      .attr('stroke', '#999')
      .attr('stroke-width', 0.6);
    g.append('g')
      .attr('class', 'current')
      .selectAll('circle')
      .data(shown)
      .join('circle')
      .attr('cx', (i) => x(pic.current[2 * i]))
      .attr('cy', (i) => y(pic.current[2 * i + 1]))
      .attr('r', 2.4)
      .attr('fill', (i) => colour(pic.layer[i]))
      .attr('data-layer', (i) => pic.layer[i]);
    // Layer legend (first and last layer colours), in the title row.
    const lg = g.append('g').attr('class', 'legend').attr('font-size', 9.5);
    [0, L - 1].filter((l, i, a) => a.indexOf(l) === i).forEach((l, i) => {
      lg.append('circle').attr('cx', CHART_W - 70 + 34 * i).attr('cy', 12).attr('r', 3).attr('fill', colour(l));
      lg.append('text').attr('x', CHART_W - 64 + 34 * i).attr('y', 15).text(`l=${l}`);
    });
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }
}
