// One reusable d3 line chart for the transformer page: series against a linear x (training
// iteration, or depth layer), log or linear y. The risk, lambda_min and cluster-count charts are
// built from it. Each series path carries data-* attributes (label, number of drawable points,
// first and last values) so tests and exported SVGs can be read without parsing paths.

import { axisBottom, axisLeft, line, scaleLinear, scaleLog } from 'd3';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, svgText, type Svg } from '../shared/chart-svg';

export interface XYSeries {
  label: string;
  colour: string;
  dash?: string;
  width?: number;
  /** Draw a dot at every point (sparse series such as lambda_min); 'hollow': rings. */
  dots?: boolean | 'hollow';
  points: [number, number][];
  data?: Record<string, string | number>;
}

export interface XYFrame {
  xMin: number;
  xMax: number;
  series: XYSeries[];
  notes?: { text: string; colour?: string }[];
  /** Shown instead of the plot when no series has a drawable point. */
  empty?: string;
  /** Integer ticks on x (layers). */
  integerX?: boolean;
}

export class XYChart {
  private readonly svg: Svg;
  private frame: XYFrame = { xMin: 0, xMax: 1, series: [] };

  constructor(
    parent: HTMLElement,
    readonly name: string,
    title: string,
    private readonly xLabel: string,
    private readonly yLabel: string,
    private readonly yScale: 'log' | 'linear',
  ) {
    this.svg = createChartSvg(parent, name, title);
    // Axes draw in currentColor: dark on the white chart, in the page (light text) and in exported files.
    this.svg.attr('color', '#333');
    this.render();
  }

  setTitle(title: string): void {
    this.svg.select('text.title').text(title);
  }

  update(frame: XYFrame): void {
    this.frame = frame;
    this.render();
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }

  private render(): void {
    const f = this.frame;
    this.svg.selectAll('g.plot').remove();
    const g = this.svg.append('g').attr('class', 'plot');
    const logY = this.yScale === 'log';
    // On a log axis values below 1e-300 are zeros to any precision computed here (and break d3's log ticks).
    const ok = (v: number) => Number.isFinite(v) && (!logY || v > 1e-300);
    const notes = f.notes ?? [];
    const top = MARGIN.top + 4 + 11 * notes.length;
    const x = scaleLinear()
      .domain([f.xMin, Math.max(f.xMax, f.xMin + 1)])
      .range([MARGIN.left, CHART_W - MARGIN.right]);
    const ys = f.series.flatMap((s) => s.points.map((p) => p[1])).filter(ok);
    let lo = ys.length ? Math.min(...ys) : logY ? 1e-3 : 0;
    let hi = ys.length ? Math.max(...ys) : 1;
    if (logY) {
      lo = Math.max(lo, hi * 1e-14);
      if (hi / lo < 10) [lo, hi] = [lo / 3, hi * 3];
      [lo, hi] = [lo / 1.5, hi * 1.5];
    } else {
      const pad = (hi - lo) * 0.08 || Math.max(1e-12, Math.abs(hi) * 0.1) || 1;
      [lo, hi] = [Math.min(lo - pad, lo >= 0 ? 0 : lo - pad), hi + pad];
    }
    const y = (logY ? scaleLog() : scaleLinear()).domain([lo, hi]).range([CHART_H - MARGIN.bottom, top]).clamp(true);
    const xAxis = axisBottom(x).ticks(5, f.integerX ? 'd' : '~g');
    if (f.integerX) xAxis.tickValues(x.ticks(Math.min(6, Math.max(1, f.xMax - f.xMin))).filter(Number.isInteger));
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(xAxis);
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(logY ? axisLeft(y).ticks(4, '.0e') : axisLeft(y).ticks(4));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text(this.xLabel);
    g.append('text')
      .attr('transform', `translate(11,${(CHART_H - MARGIN.bottom + MARGIN.top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(this.yLabel);
    notes.forEach((n, i) => {
      g.append('text').attr('class', 'note').attr('x', MARGIN.left + 4).attr('y', MARGIN.top + 8 + 11 * i).attr('font-size', 9.5).attr('fill', n.colour ?? '#555').text(n.text);
    });
    if (f.series.every((s) => !s.points.some((p) => ok(p[1])))) {
      g.append('text')
        .attr('class', 'empty')
        .attr('x', (MARGIN.left + CHART_W - MARGIN.right) / 2)
        .attr('y', (top + CHART_H - MARGIN.bottom) / 2)
        .attr('text-anchor', 'middle')
        .attr('fill', '#888')
        .text(f.empty ?? 'no data yet');
    }
    for (const s of f.series) {
      const pts = s.points.filter((p) => ok(p[1]));
      const path = line<[number, number]>()
        .defined((p) => ok(p[1]))
        .x((p) => x(p[0]))
        .y((p) => y(p[1]));
      const el = g
        .append('path')
        .attr('class', 'series')
        .attr('d', path(s.points) ?? '')
        .attr('fill', 'none')
        .attr('stroke', s.colour)
        .attr('stroke-width', s.width ?? 1.6)
        .attr('stroke-dasharray', s.dash ?? '')
        .attr('data-label', s.label)
        .attr('data-n', pts.length)
        .attr('data-first', pts.length ? pts[0][1] : '')
        .attr('data-last', pts.length ? pts[pts.length - 1][1] : '')
        .attr('data-last-x', pts.length ? pts[pts.length - 1][0] : '');
      for (const [k, v] of Object.entries(s.data ?? {})) el.attr(`data-${k}`, v);
      el.append('title').text(`${s.label}${pts.length ? `: last ${fmt(pts[pts.length - 1][1])}` : ''}`);
      if (s.dots) {
        g.append('g')
          .selectAll('circle')
          .data(pts)
          .join('circle')
          .attr('cx', (p) => x(p[0]))
          .attr('cy', (p) => y(p[1]))
          .attr('r', s.dots === 'hollow' ? 3 : 2.2)
          .attr('fill', s.dots === 'hollow' ? '#fff' : s.colour)
          .attr('stroke', s.colour)
          .attr('stroke-width', s.dots === 'hollow' ? 1.2 : 0);
      }
    }
  }
}

export { fmt };
