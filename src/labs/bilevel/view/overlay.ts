// The SVG layer over the map: x1 / x2 axes (d3), a one-line label, the legend (legend.ts), the
// rigidity witness (segment, crossings of failure sets, the two endpoints a, b)
// and the probe (the hovered pixel). It also takes the input: pointer hover moves the probe;
// the endpoints are dragged with the pointer; with the keyboard the layer (probe) and each
// endpoint are focusable and move by one pixel per arrow key (Shift: ten).

import { axisBottom, axisLeft, scaleLinear, select, type Selection } from 'd3';
import { CONDITIONS } from '../types';
import type { MapFrame } from './geometry';
import { drawLegend, type LegendData } from './legend';
import { HATCHES } from './palette';

const SVG_NS = 'http://www.w3.org/2000/svg';
const TEXT = '#d9e1ea';
const CROSSING_FILL: Record<string, string> = { licq: '#ffffff', scsc: '#000000', sosc: '#ff00ff' };

type G = Selection<SVGGElement, unknown, null, undefined>;
export type Point = [number, number];

export interface OverlayEvents {
  probe(x: Point): void;
  /** An endpoint moved (final: the drag or key press ended). */
  moveWitness(which: 0 | 1, x: Point, final: boolean): void;
}


export interface WitnessView {
  a: Point;
  b: Point;
  crossings: { t: number; x: Point; condition: string; conditions: readonly string[] }[];
}

export class MapOverlay {
  readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axes: G;
  private readonly legend: G;
  private readonly hit: Selection<SVGRectElement, unknown, null, undefined>;
  private readonly probeG: G;
  private readonly witnessG: G;
  private readonly label: Selection<SVGTextElement, unknown, null, undefined>;
  private readonly focusRing: Selection<SVGRectElement, unknown, null, undefined>;
  private frame: MapFrame | null = null;
  private probeX: Point | null = null;
  private witness: WitnessView | null = null;
  private dragging: 0 | 1 | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    parent: HTMLElement,
    private readonly events: OverlayEvents,
  ) {
    const node = document.createElementNS(SVG_NS, 'svg');
    node.setAttribute('data-layer', 'bilevel-overlay');
    node.setAttribute('tabindex', '0');
    node.setAttribute('role', 'group');
    node.style.cssText = 'position:absolute;inset:0;width:100%;height:100%;font:11px system-ui,sans-serif;outline:none;touch-action:none';
    parent.appendChild(node);
    this.svg = select(node);
    const defs = this.svg.append('defs');
    for (const c of CONDITIONS) {
      const h = HATCHES[c];
      const p = defs.append('pattern').attr('id', `bilevel-hatch-${c}`).attr('width', 6).attr('height', 6).attr('patternUnits', 'userSpaceOnUse');
      p.append('rect').attr('width', 6).attr('height', 6).attr('fill', h.fill);
      for (const s of h.strokes) p.append('path').attr('d', s === '/' ? 'M-1,7L7,-1M-4,4L4,-4M2,10L10,2' : 'M-1,-1L7,7M-4,2L4,10M2,-4L10,4').attr('stroke', h.colour).attr('stroke-width', 1.3);
    }
    this.axes = this.svg.append('g').attr('class', 'axes');
    this.label = this.svg.append('text').attr('class', 'label').attr('fill', TEXT);
    this.hit = this.svg.append('rect').attr('class', 'map-hit').attr('fill', 'transparent').style('cursor', 'crosshair');
    this.focusRing = this.svg.append('rect').attr('fill', 'none').attr('stroke', '#7cc4ff').attr('stroke-width', 2).attr('pointer-events', 'none').attr('visibility', 'hidden');
    this.probeG = this.svg.append('g').attr('class', 'probe').attr('pointer-events', 'none');
    this.witnessG = this.svg.append('g').attr('class', 'witness');
    this.legend = this.svg.append('g').attr('class', 'legend').attr('data-testid', 'bilevel-legend');
    this.listen(node);
  }

  private on<K extends keyof SVGElementEventMap>(el: Element, type: K, fn: (e: SVGElementEventMap[K]) => void): void {
    el.addEventListener(type, fn as EventListener);
    this.cleanups.push(() => el.removeEventListener(type, fn as EventListener));
  }

  private local(e: PointerEvent): Point {
    const r = this.svg.node()!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  private listen(node: SVGSVGElement): void {
    this.on(node, 'pointermove', (e) => {
      const f = this.frame;
      if (!f) return;
      const [px, py] = this.local(e);
      if (this.dragging !== null) {
        this.events.moveWitness(this.dragging, f.clamp([f.dataX1(px), f.dataX2(py)]), false);
        return;
      }
      if (f.contains(px, py)) this.events.probe([f.dataX1(px), f.dataX2(py)]);
    });
    const endDrag = (e: PointerEvent) => {
      if (this.dragging === null || !this.frame) return;
      const f = this.frame;
      const [px, py] = this.local(e);
      const which = this.dragging;
      this.dragging = null;
      if (node.hasPointerCapture(e.pointerId)) node.releasePointerCapture(e.pointerId);
      this.events.moveWitness(which, f.clamp([f.dataX1(px), f.dataX2(py)]), true);
    };
    this.on(node, 'pointerup', endDrag);
    this.on(node, 'pointercancel', endDrag);
    this.on(node, 'pointerdown', (e) => {
      const target = (e.target as Element).closest('[data-witness]');
      if (!target) return;
      e.preventDefault();
      this.dragging = target.getAttribute('data-witness') === 'b' ? 1 : 0;
      node.setPointerCapture(e.pointerId);
      (target as SVGGElement).focus();
    });
    this.on(node, 'focus', () => {
      this.focusRing.attr('visibility', 'visible');
      if (!this.probeX && this.frame) {
        const g = this.frame.grid;
        this.events.probe([(g.x1[0] + g.x1[1]) / 2, (g.x2[0] + g.x2[1]) / 2]);
      }
    });
    this.on(node, 'blur', () => this.focusRing.attr('visibility', 'hidden'));
    this.on(node, 'keydown', (e) => {
      const f = this.frame;
      const d = arrowDelta(e);
      if (!f || !d) return;
      e.preventDefault();
      e.stopPropagation();
      const [hx, hy] = f.spacing;
      const target = (e.target as Element).closest('[data-witness]');
      if (target && this.witness) {
        const which = target.getAttribute('data-witness') === 'b' ? 1 : 0;
        const p = which ? this.witness.b : this.witness.a;
        this.events.moveWitness(which, f.clamp([p[0] + d[0] * hx, p[1] + d[1] * hy]), true);
        return;
      }
      const p = this.probeX ?? [(f.grid.x1[0] + f.grid.x1[1]) / 2, (f.grid.x2[0] + f.grid.x2[1]) / 2];
      this.events.probe(f.clamp([p[0] + d[0] * hx, p[1] + d[1] * hy]));
    });
  }

  /** Axes, label and hit area for a new geometry; redraws the rest. */
  layout(frame: MapFrame, label: string, ariaLabel: string): void {
    this.frame = frame;
    const svg = this.svg;
    svg.attr('aria-label', ariaLabel);
    const g = frame.grid;
    const x = scaleLinear().domain(g.x1).range([frame.left, frame.right]);
    const y = scaleLinear().domain(g.x2).range([frame.bottom, frame.top]);
    this.axes.selectAll('*').remove();
    const ax = this.axes.append('g').attr('color', '#aab3c0').attr('transform', `translate(0,${frame.bottom})`).call(axisBottom(x).ticks(Math.max(2, Math.round(frame.width / 80))));
    ax.selectAll('text').attr('fill', TEXT);
    const ay = this.axes.append('g').attr('color', '#aab3c0').attr('transform', `translate(${frame.left},0)`).call(axisLeft(y).ticks(Math.max(2, Math.round(frame.height / 70))));
    ay.selectAll('text').attr('fill', TEXT);
    this.axes.append('text').attr('x', frame.right).attr('y', frame.bottom + 32).attr('text-anchor', 'end').attr('fill', TEXT).attr('font-size', 12).text('x₁ →');
    this.axes.append('text').attr('x', frame.left - 40).attr('y', frame.top - 8).attr('fill', TEXT).attr('font-size', 12).text('x₂ ↑');
    this.label.attr('x', frame.left).attr('y', frame.top - 8).text(label);
    this.hit.attr('x', frame.left).attr('y', frame.top).attr('width', frame.width).attr('height', frame.height);
    this.focusRing.attr('x', frame.left - 2).attr('y', frame.top - 2).attr('width', frame.width + 4).attr('height', frame.height + 4);
    this.drawProbe();
    this.drawWitness();
  }

  drawLegend(d: LegendData): void {
    drawLegend(this.legend, this.frame, d);
  }

  setProbe(x: Point | null): void {
    this.probeX = x;
    this.drawProbe();
  }

  setWitness(w: WitnessView | null): void {
    this.witness = w;
    this.drawWitness();
  }

  private drawProbe(): void {
    const f = this.frame;
    const g = this.probeG;
    g.selectAll('*').remove();
    if (!f || !this.probeX) return;
    const [i1, i2] = f.pixelOf(this.probeX);
    const [hx, hy] = f.spacing;
    const x0 = f.sx(f.grid.x1[0] + i1 * hx);
    const x1 = f.sx(f.grid.x1[0] + (i1 + 1) * hx);
    const y0 = f.sy(f.grid.x2[0] + (i2 + 1) * hy);
    const y1 = f.sy(f.grid.x2[0] + i2 * hy);
    const cx = f.sx(this.probeX[0]);
    const cy = f.sy(this.probeX[1]);
    const path = `M${cx - 12},${cy}H${cx - 4}M${cx + 4},${cy}H${cx + 12}M${cx},${cy - 12}V${cy - 4}M${cx},${cy + 4}V${cy + 12}`;
    g.append('path').attr('d', path).attr('stroke', '#000').attr('stroke-width', 3.5);
    g.append('path').attr('d', path).attr('stroke', '#fff').attr('stroke-width', 1.5);
    g.append('rect')
      .attr('x', x0)
      .attr('y', y0)
      .attr('width', Math.max(2, x1 - x0))
      .attr('height', Math.max(2, y1 - y0))
      .attr('fill', 'none')
      .attr('stroke', '#fff')
      .attr('stroke-width', 1);
  }

  /** The endpoints are kept across redraws (a focused endpoint keeps the focus while it moves). */
  private markers: G[] = [];

  private drawWitness(): void {
    const f = this.frame;
    const g = this.witnessG;
    const w = this.witness;
    g.selectAll(':scope > :not([data-witness])').remove();
    if (!f || !w) {
      g.selectAll('*').remove();
      this.markers = [];
      return;
    }
    const [ax, ay] = [f.sx(w.a[0]), f.sy(w.a[1])];
    const [bx, by] = [f.sx(w.b[0]), f.sy(w.b[1])];
    const under = g.insert('g', ':first-child').attr('class', 'segment').attr('pointer-events', 'none');
    under.append('line').attr('x1', ax).attr('y1', ay).attr('x2', bx).attr('y2', by).attr('stroke', '#000').attr('stroke-width', 4.5);
    under.append('line').attr('x1', ax).attr('y1', ay).attr('x2', bx).attr('y2', by).attr('stroke', '#fff').attr('stroke-width', 2).attr('stroke-dasharray', '6 3');
    for (const c of w.crossings) {
      under
        .append('circle')
        .attr('class', 'crossing')
        .attr('data-condition', c.condition)
        .attr('data-t', c.t)
        .attr('cx', f.sx(c.x[0]))
        .attr('cy', f.sy(c.x[1]))
        .attr('r', 5.5)
        .attr('fill', CROSSING_FILL[c.condition] ?? '#fff')
        .attr('stroke', c.condition === 'scsc' ? '#fff' : '#000')
        .attr('stroke-width', 1.8)
        .append('title')
        .text(`${c.conditions.map((k) => k.toUpperCase()).join(' + ')} fails at t = ${c.t.toFixed(3)}, x = (${c.x[0].toFixed(3)}, ${c.x[1].toFixed(3)})`);
    }
    if (this.markers.length === 0) {
      this.markers = (['a', 'b'] as const).map((name) => {
        const m = g.append('g').attr('data-witness', name).attr('tabindex', 0).attr('role', 'button').style('cursor', 'grab').style('outline', 'none');
        m.append('circle').attr('class', 'hit').attr('r', 14).attr('fill', 'transparent');
        m.append('circle').attr('class', 'marker').attr('r', 8).attr('fill', '#111').attr('stroke', '#fff').attr('stroke-width', 2);
        m.append('text').attr('y', 4).attr('text-anchor', 'middle').attr('fill', '#fff').attr('font-weight', 700).attr('pointer-events', 'none').text(name);
        m.on('focus', () => m.select('circle.marker').attr('stroke', '#7cc4ff').attr('stroke-width', 3));
        m.on('blur', () => m.select('circle.marker').attr('stroke', '#fff').attr('stroke-width', 2));
        return m;
      });
    }
    ([[w.a, ax, ay], [w.b, bx, by]] as const).forEach(([p, px, py], i) => {
      const name = i ? 'b' : 'a';
      this.markers[i]
        .attr('transform', `translate(${px},${py})`)
        .attr('data-x1', p[0])
        .attr('data-x2', p[1])
        .attr('aria-label', `Witness point ${name} at x = (${p[0].toFixed(3)}, ${p[1].toFixed(3)}): drag it, or use the arrow keys`);
    });
  }

  dispose(): void {
    for (const c of this.cleanups) c();
    this.svg.remove();
  }
}

function arrowDelta(e: KeyboardEvent): [number, number] | null {
  const k = e.shiftKey ? 10 : 1;
  switch (e.key) {
    case 'ArrowLeft':
      return [-k, 0];
    case 'ArrowRight':
      return [k, 0];
    case 'ArrowUp':
      return [0, k];
    case 'ArrowDown':
      return [0, -k];
    default:
      return null;
  }
}
