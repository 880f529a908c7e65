// One d3 line chart for every lab: series against a linear or log x (training iteration, depth
// layer, time t), log or linear y, with optional dots (sparse series such as lambda_min), power-law
// reference lines through a series' last point (t^-2 on the primal-dual log-log charts), notes
// under the title and an "empty" message. Each series path carries data-* attributes (label,
// number of drawable points, first and last values, and the series' own data) so tests and
// exported SVGs can be read without parsing paths.

import { axisBottom, axisLeft, line, scaleLinear, scaleLog } from 'd3';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, setChartDescription, setChartTitle, svgText, type Svg } from './chart-svg';

export interface LineSeries {
  label: string;
  colour: string;
  /** SVG dash pattern, '' for solid. */
  dash?: string;
  width?: number;
  /** Draw a dot at every drawable point; 'hollow': rings. */
  dots?: boolean | 'hollow';
  /** Points (x, y); y that a log axis cannot show (<= 1e-300, non-finite) are gaps, as x <= 0 on a log x. */
  points: [number, number][];
  /** Extra data-* attributes on the path (e.g. alpha, quantity). */
  data?: Record<string, string | number>;
  /** Log-log charts: draw c x^reference through the last drawable point. */
  reference?: number;
}

export interface LineFrame {
  xMin: number;
  xMax: number;
  series: LineSeries[];
  /** Short lines of text under the title (legend, notes). */
  notes?: { text: string; colour?: string }[];
  /** Shown instead of the plot when no series has a drawable point. */
  empty?: string;
  /** Integer ticks on x (layers). */
  integerX?: boolean;
}

export interface LineChartAxes {
  xLabel: string;
  yLabel: string;
  x?: 'linear' | 'log';
  y?: 'linear' | 'log';
  /** Linear y: keep 0 in view when every value is >= 0 (counts). */
  zeroBaseline?: boolean;
}

export class LineChart {
  private readonly svg: Svg;
  private frame: LineFrame = { xMin: 0, xMax: 1, series: [] };

  constructor(
    parent: HTMLElement,
    readonly name: string,
    title: string,
    private readonly axes: LineChartAxes,
  ) {
    this.svg = createChartSvg(parent, name, title);
    // Axes draw in currentColor: dark on the white chart, in the page (light text) and in exported files.
    this.svg.attr('color', '#333');
    if (axes.x === 'log') this.frame = { xMin: 1, xMax: 10, series: [] };
    this.render();
  }

  setTitle(title: string): void {
    setChartTitle(this.svg, title);
  }

  update(frame: LineFrame): void {
    this.frame = frame;
    this.render();
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }

  /** The <desc> text: axes, ranges, and each series' latest point. */
  private describe(): string {
    const f = this.frame;
    const { xLabel, yLabel } = this.axes;
    const parts = f.series
      .map((s) => {
        const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
        const last = pts[pts.length - 1];
        return last ? `${s.label}: ${pts.length} points, last ${fmt(last[1])} at ${fmt(last[0])}` : `${s.label}: no points`;
      })
      .join('; ');
    const title = this.svg.select(':scope > title').text();
    const notes = (f.notes ?? []).map((n) => n.text).join('; ');
    return `${title}. ${yLabel} against ${xLabel}${this.axes.x === 'log' || this.axes.y === 'log' ? ` (${[this.axes.x === 'log' ? 'log x' : '', this.axes.y === 'log' ? 'log y' : ''].filter(Boolean).join(', ')})` : ''}. ${parts || (f.empty ?? 'no data yet')}${notes ? `. ${notes}` : ''}.`;
  }

  private render(): void {
    const f = this.frame;
    const { xLabel, yLabel } = this.axes;
    const logX = this.axes.x === 'log';
    const logY = this.axes.y === 'log';
    this.svg.selectAll('g.plot').remove();
    setChartDescription(this.svg, this.describe());
    const g = this.svg.append('g').attr('class', 'plot');
    // On a log axis values below 1e-300 are zeros to any precision computed here (and break d3's log ticks).
    const ok = (v: number) => Number.isFinite(v) && (!logY || v > 1e-300);
    const okX = (v: number) => Number.isFinite(v) && (!logX || v > 0);
    const drawable = (p: [number, number]) => okX(p[0]) && ok(p[1]);
    const notes = f.notes ?? [];
    const top = MARGIN.top + 4 + 11 * notes.length;
    const x = (logX ? scaleLog().domain([f.xMin, Math.max(f.xMax, f.xMin * 1.0001)]) : scaleLinear().domain([f.xMin, Math.max(f.xMax, f.xMin + 1)]))
      .range([MARGIN.left, CHART_W - MARGIN.right])
      .clamp(logX);
    const ys = f.series.flatMap((s) => s.points.filter(drawable).map((p) => p[1]));
    let lo = ys.length ? Math.min(...ys) : logY ? 1e-3 : 0;
    let hi = ys.length ? Math.max(...ys) : 1;
    if (logY) {
      lo = Math.max(lo, hi * 1e-14);
      if (hi / lo < 10) [lo, hi] = [lo / 3, hi * 3];
      [lo, hi] = [lo / 1.5, hi * 1.5];
    } else {
      const pad = (hi - lo) * 0.08 || Math.max(1e-12, Math.abs(hi) * 0.1) || 1;
      [lo, hi] = [this.axes.zeroBaseline && lo >= 0 ? Math.min(lo - pad, 0) : lo - pad, hi + pad];
    }
    const y = (logY ? scaleLog() : scaleLinear()).domain([lo, hi]).range([CHART_H - MARGIN.bottom, top]).clamp(true);
    const xAxis = axisBottom(x).ticks(5, f.integerX ? 'd' : '~g');
    if (f.integerX) xAxis.tickValues(x.ticks(Math.min(6, Math.max(1, f.xMax - f.xMin))).filter(Number.isInteger));
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(xAxis);
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(logY ? axisLeft(y).ticks(4, '.0e') : axisLeft(y).ticks(4));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text(xLabel);
    g.append('text')
      .attr('transform', `translate(11,${(CHART_H - MARGIN.bottom + MARGIN.top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(yLabel);
    notes.forEach((n, i) => {
      g.append('text').attr('class', 'note').attr('x', MARGIN.left + 4).attr('y', MARGIN.top + 8 + 11 * i).attr('font-size', 9.5).attr('fill', n.colour ?? '#555').text(n.text);
    });
    if (f.series.every((s) => !s.points.some(drawable))) {
      g.append('text')
        .attr('class', 'empty')
        .attr('x', (MARGIN.left + CHART_W - MARGIN.right) / 2)
        .attr('y', (top + CHART_H - MARGIN.bottom) / 2)
        .attr('text-anchor', 'middle')
        .attr('fill', '#888')
        .text(f.empty ?? 'no data yet');
    }
    for (const s of f.series) {
      const pts = s.points.filter(drawable);
      const path = line<[number, number]>()
        .defined(drawable)
        .x((p) => x(p[0]))
        .y((p) => y(p[1]));
      const last = pts[pts.length - 1];
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
        .attr('data-last', last ? last[1] : '')
        .attr('data-last-x', last ? last[0] : '');
      for (const [k, v] of Object.entries(s.data ?? {})) el.attr(`data-${k}`, v);
      el.append('title').text(`${s.label}${last ? `: last ${fmt(last[1])}` : ''}`);
      if (s.reference !== undefined && last && logX && logY) {
        const power = s.reference;
        const c = last[1] / Math.pow(last[0], power);
        const ref = [f.xMin, f.xMax].map((t) => [x(t), y(c * Math.pow(t, power))] as [number, number]);
        g.append('path').attr('class', 'reference').attr('d', line()(ref)).attr('stroke', s.colour).attr('stroke-width', 0.8).attr('stroke-dasharray', '2 3').attr('opacity', 0.7).attr('fill', 'none');
      }
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
