// Shared bits of the labs' d3 charts: a standalone SVG root (exportable as a file: xmlns and a
// white background are set inline, so chartSvgs() text opens in any viewer) and number formats.

import { create, type Selection } from 'd3';

export type Svg = Selection<SVGSVGElement, undefined, null, undefined>;

export const CHART_W = 340;
export const CHART_H = 230;
export const MARGIN = { top: 26, right: 14, bottom: 36, left: 52 };

/**
 * A chart's SVG root. It is an image to assistive technology (role img) named by its <title> and
 * described by its <desc>, which the chart keeps current (setChartDescription: what is plotted
 * and the latest values), so a screen reader gets the numbers a sighted user reads off the plot.
 */
export function createChartSvg(parent: HTMLElement, name: string, title: string): Svg {
  const svg = create('svg')
    .attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('width', CHART_W)
    .attr('height', CHART_H)
    .attr('viewBox', `0 0 ${CHART_W} ${CHART_H}`)
    .attr('data-chart', name)
    .attr('font-family', 'system-ui, sans-serif')
    .attr('font-size', 11) as Svg;
  const id = `chart-${name.replace(/[^A-Za-z0-9_-]/g, '-')}-${++chartIds}`;
  svg.attr('role', 'img').attr('aria-labelledby', `${id}-title`).attr('aria-describedby', `${id}-desc`);
  svg.append('title').attr('id', `${id}-title`).text(title);
  svg.append('desc').attr('id', `${id}-desc`).text(`${title}: no data yet.`);
  svg.append('rect').attr('width', CHART_W).attr('height', CHART_H).attr('fill', '#fff');
  svg.append('text').attr('class', 'title').attr('x', 8).attr('y', 16).attr('font-weight', 600).text(title);
  parent.appendChild(svg.node()!);
  return svg;
}

let chartIds = 0;

/** The chart's accessible title (its <title>, and the visible heading when `visible`). */
export function setChartTitle(svg: Svg, title: string, visible = true): void {
  svg.select(':scope > title').text(title);
  if (visible) svg.select(':scope > text.title').text(title);
}

/** The chart's accessible description: what it shows now, in a sentence or two. */
export function setChartDescription(svg: Svg, text: string): void {
  svg.select(':scope > desc').text(text);
}

export function svgText(svg: Svg): string {
  return new XMLSerializer().serializeToString(svg.node()!);
}

export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(digits) : v.toExponential(digits - 1);
}
