// One reusable d3 chart for the primal-dual page: series against t on a log t axis, log or linear
// y, with optional power-law reference lines (t^-2 through a series' last point) and horizontal
// or rising "floor" lines. The page composes the gap, feasibility, objective, envelope, energy and
// Q charts from it. Every series carries data-* attributes (alpha, last value) so tests and
// exported SVGs can be read without parsing paths.

import { axisBottom, axisLeft, line, scaleLinear, scaleLog } from 'd3';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, svgText, type Svg } from '../shared/chart-svg';

export interface Series {
  /** Legend text. */
  label: string;
  colour: string;
  /** SVG dash pattern, '' for solid. */
  dash?: string;
  width?: number;
  /** Points (t, value); non-positive values are skipped on a log y axis. */
  points: [number, number][];
  /** Extra data-* attributes on the path (e.g. alpha). */
  data?: Record<string, string | number>;
  /** Draw a t^power reference through the last drawable point. */
  reference?: number;
}

export interface ChartFrame {
  tMin: number;
  tMax: number;
  series: Series[];
  /** Short lines of text under the title (legend, notes). */
  notes?: { text: string; colour?: string }[];
}

export class LogLogChart {
  private readonly svg: Svg;
  private frame: ChartFrame = { tMin: 1, tMax: 10, series: [] };

  constructor(
    parent: HTMLElement,
    readonly name: string,
    title: string,
    private readonly yLabel: string,
    private readonly yScale: 'log' | 'linear' = 'log',
  ) {
    this.svg = createChartSvg(parent, name, title);
    this.render();
  }

  update(frame: ChartFrame): void {
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
    const { svg } = this;
    const f = this.frame;
    svg.selectAll('g.plot').remove();
    const g = svg.append('g').attr('class', 'plot');
    const logY = this.yScale === 'log';
    const ok = (v: number) => Number.isFinite(v) && (!logY || v > 0);
    const x = scaleLog()
      .domain([f.tMin, Math.max(f.tMax, f.tMin * 1.0001)])
      .range([MARGIN.left, CHART_W - MARGIN.right])
      .clamp(true);
    const ys = f.series.flatMap((s) => s.points.map((p) => p[1])).filter(ok);
    let lo = ys.length ? Math.min(...ys) : logY ? 1e-6 : -1;
    let hi = ys.length ? Math.max(...ys) : logY ? 1 : 1;
    if (logY) {
      lo = Math.max(lo, hi * 1e-14);
      if (hi / lo < 10) [lo, hi] = [lo / 3, hi * 3];
      [lo, hi] = [lo / 1.5, hi * 1.5];
    } else {
      const pad = (hi - lo) * 0.08 || Math.max(1e-12, Math.abs(hi) * 0.1) || 1;
      [lo, hi] = [lo - pad, hi + pad];
    }
    const y = (logY ? scaleLog() : scaleLinear()).domain([lo, hi]).range([CHART_H - MARGIN.bottom, MARGIN.top + 4 + 11 * (f.notes?.length ?? 0)]).clamp(true);
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(axisBottom(x).ticks(5, '~g'));
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(logY ? axisLeft(y).ticks(4, '.0e') : axisLeft(y).ticks(4));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text('t');
    g.append('text')
      .attr('transform', `translate(11,${(CHART_H - MARGIN.bottom + MARGIN.top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(this.yLabel);
    (f.notes ?? []).forEach((n, i) => {
      g.append('text')
        .attr('class', 'note')
        .attr('x', MARGIN.left + 4)
        .attr('y', MARGIN.top + 8 + 11 * i)
        .attr('font-size', 9.5)
        .attr('fill', n.colour ?? '#555')
        .text(n.text);
    });
    if (f.series.every((s) => s.points.length === 0)) {
      g.append('text').attr('x', CHART_W / 2).attr('y', CHART_H / 2).attr('text-anchor', 'middle').attr('fill', '#888').text('run to collect samples');
      return;
    }
    for (const s of f.series) {
      const pts = s.points.filter((p) => ok(p[1]) && p[0] > 0);
      const path = line<[number, number]>()
        .defined((p) => ok(p[1]))
        .x((p) => x(p[0]))
        .y((p) => y(p[1]));
      const last = pts[pts.length - 1];
      const el = g
        .append('path')
        .attr('class', 'series')
        .attr('d', path(s.points.filter((p) => p[0] > 0)))
        .attr('fill', 'none')
        .attr('stroke', s.colour)
        .attr('stroke-width', s.width ?? 1.6)
        .attr('stroke-dasharray', s.dash ?? '')
        .attr('data-label', s.label)
        .attr('data-n', pts.length)
        .attr('data-last', last ? last[1] : '');
      for (const [k, v] of Object.entries(s.data ?? {})) el.attr(`data-${k}`, v);
      if (s.reference !== undefined && last && logY) {
        const c = last[1] / Math.pow(last[0], s.reference);
        const ref = [f.tMin, f.tMax].map((t) => [x(t), y(c * Math.pow(t, s.reference!))] as [number, number]);
        g.append('path').attr('class', 'reference').attr('d', line()(ref)).attr('stroke', s.colour).attr('stroke-width', 0.8).attr('stroke-dasharray', '2 3').attr('opacity', 0.7).attr('fill', 'none');
      }
    }
  }
}

/** Colours per compared alpha (primary first). */
export const ALPHA_COLOURS = ['#1f5fa8', '#d9534f', '#2e8b57', '#9b59b6', '#e67e22', '#16a0a0'];

export function alphaColour(i: number): string {
  return ALPHA_COLOURS[i % ALPHA_COLOURS.length];
}

export { fmt };
