// SVG layer over the picture: coordinate axes of the chosen plane (absolute coordinates), the KKT
// point (x*, lambda*) computed in float64 (palette.ts KKT_COLOUR), and a one-line label. Pointer
// events pass through.

import { axisBottom, axisLeft, scaleLinear, select, type Selection } from 'd3';
import type { ScreenMap } from '../../shared/view/screen-map';
import { KKT_COLOUR } from './palette';

export class Overlay {
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;

  constructor(parent: HTMLElement) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    node.setAttribute('data-layer', 'primal-dual-overlay');
    node.style.cssText = 'position:absolute;inset:0;width:100%;height:100%;pointer-events:none;font:11px system-ui,sans-serif';
    parent.appendChild(node);
    this.svg = select(node);
  }

  /** map: absolute coordinates of the plane -> CSS pixels. */
  draw(map: ScreenMap, names: [string, string], kkt: [number, number], label: string): void {
    const svg = this.svg;
    svg.selectAll('*').remove();
    const b = map.bounds;
    const x = scaleLinear().domain([b.xMin, b.xMax]).range([0, map.width]);
    const y = scaleLinear().domain([b.yMin, b.yMax]).range([map.height, 0]);
    const ax = svg.append('g').attr('color', '#aab').attr('transform', `translate(0,${map.height - 18})`).call(axisBottom(x).ticks(6));
    ax.selectAll('text').attr('fill', '#ccd');
    const ay = svg.append('g').attr('color', '#aab').attr('transform', 'translate(40,0)').call(axisLeft(y).ticks(6));
    ay.selectAll('text').attr('fill', '#ccd');
    svg.append('text').attr('x', map.width - 8).attr('y', map.height - 24).attr('text-anchor', 'end').attr('fill', '#ccd').text(names[0]);
    svg.append('text').attr('x', 46).attr('y', 14).attr('fill', '#ccd').text(names[1]);
    const kx = map.sx(kkt[0]);
    const ky = map.sy(kkt[1]);
    const g = svg.append('g').attr('data-kkt', `${kkt[0]},${kkt[1]}`);
    g.append('circle').attr('cx', kx).attr('cy', ky).attr('r', 7).attr('fill', 'none').attr('stroke', KKT_COLOUR).attr('stroke-width', 2);
    g.append('path').attr('d', `M${kx - 11},${ky}H${kx + 11}M${kx},${ky - 11}V${ky + 11}`).attr('stroke', KKT_COLOUR).attr('stroke-width', 1.5);
    g.append('text').attr('x', kx + 10).attr('y', ky - 10).attr('fill', KKT_COLOUR).text('KKT (x*, λ*)');
    svg.append('text').attr('class', 'label').attr('x', map.width - 8).attr('y', 14).attr('text-anchor', 'end').attr('fill', '#ccd').text(label);
  }

  dispose(): void {
    this.svg.remove();
  }
}
