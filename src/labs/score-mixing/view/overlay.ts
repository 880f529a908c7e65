// SVG layer over the canvas (host.overlay): contour lines of the potential (solid: Phi_lam^t at
// the scrub t; dashed: the t -> 0 limit, same levels), overlay-Voronoi cells (d = 2), score
// arrows, stable critical points, the atoms of both measures, and atom editing:
//   click on empty space: add an atom to the measure being edited (mu1/mu2 toggle in the controls),
//   drag an atom: move it (the run restarts on release),
//   shift-click, alt-click or right-click an atom: delete it.
// For d > 2 an added atom takes the slice origin's other coordinates; a drag moves only the two
// shown ones. For d = 1 only the horizontal position matters (atoms sit on the t = tMin row).

import { geoPath, geoTransform, select, type ContourMultiPolygon, type Selection } from 'd3';
import type { PointSetInput } from '../types';
import type { Projection, ScreenMap } from './geometry';
import type { FieldGrid } from './field';
import { OKABE_ITO } from '../../shared/view/palette';

type G = Selection<SVGGElement, unknown, null, undefined>;

export type MeasureId = 'mu1' | 'mu2';

export interface AtomEdit {
  measure: MeasureId;
  points: number[][];
  weights?: number[];
}

export interface Arrow {
  x: number;
  y: number;
  dx: number;
  dy: number;
}

/**
 * Atom colours. mu2 is Okabe-Ito sky blue; mu1 keeps its light red: the markers sit at
 * fill-opacity 0.85 on the dimmed colour map, and the page test (test/e2e/app.test.ts) reads the
 * exported PNG for a red marker (r > 200, r - g > 70, r - b > 80). Okabe-Ito vermillion (213, 94, 0)
 * blends to r ~ 190 on the dark end of viridis, and orange to r - g ~ 69, so neither passes.
 */
const COLORS: Record<MeasureId, string> = { mu1: '#ff6b5a', mu2: OKABE_ITO.skyBlue };

export class Overlay {
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly gContours: G;
  private readonly gCells: G;
  private readonly gArrows: G;
  private readonly gScrub: G;
  private readonly gCps: G;
  private readonly gAtoms: G;
  private readonly label: Selection<SVGTextElement, unknown, null, undefined>;
  private map: ScreenMap | null = null;
  private projection: Projection | null = null;
  private sets: Record<MeasureId, PointSetInput> | null = null;
  private drag: { measure: MeasureId; index: number; moved: boolean } | null = null;
  editTarget: MeasureId = 'mu1';
  editable = true;

  constructor(
    parent: HTMLElement,
    private readonly onEdit: (edit: AtomEdit) => void,
    private readonly onRefuse: (text: string) => void,
  ) {
    this.svg = select(parent)
      .append('svg')
      .attr('class', 'score-mixing-overlay')
      .style('position', 'absolute')
      .style('inset', '0')
      .style('width', '100%')
      .style('height', '100%')
      .style('pointer-events', 'all')
      .style('user-select', 'none')
      // Drags are ours: without this a touch drag becomes a pan and the browser cancels the pointer.
      .style('touch-action', 'none') as unknown as Selection<SVGSVGElement, unknown, null, undefined>;
    this.gContours = this.svg.append('g').attr('class', 'contours');
    this.gCells = this.svg.append('g').attr('class', 'cells');
    this.gArrows = this.svg.append('g').attr('class', 'arrows');
    this.gScrub = this.svg.append('g').attr('class', 'scrub');
    this.gCps = this.svg.append('g').attr('class', 'critical-points');
    this.gAtoms = this.svg.append('g').attr('class', 'atoms');
    this.label = this.svg.append('text').attr('x', 8).attr('y', 16).attr('fill', '#ddd').attr('font-size', 12).attr('font-family', 'system-ui, sans-serif');
    this.svg.on('pointerdown', (ev: PointerEvent) => this.onBackgroundDown(ev));
    this.svg.on('pointermove', (ev: PointerEvent) => this.onMove(ev));
    this.svg.on('pointerup', (ev: PointerEvent) => this.onUp(ev));
    // A cancelled pointer (capture lost, window switch) ends the drag where it got to.
    this.svg.on('pointercancel', (ev: PointerEvent) => this.onUp(ev));
    this.svg.on('contextmenu', (ev: Event) => ev.preventDefault());
  }

  setMap(map: ScreenMap, projection: Projection): void {
    this.map = map;
    this.projection = projection;
    this.svg.attr('viewBox', `0 0 ${map.width} ${map.height}`);
  }

  setLabel(text: string): void {
    this.label.text(text);
  }

  /** Contours of a grid channel in grid coordinates, mapped through the grid's bounds. */
  drawContours(grid: FieldGrid, current: ContourMultiPolygon[], limit: ContourMultiPolygon[]): void {
    const m = this.map;
    if (!m) return;
    const b = grid.bounds;
    const tx = geoTransform({
      point(gx: number, gy: number) {
        const u = b.xMin + (gx / grid.width) * (b.xMax - b.xMin);
        const v = b.yMin + (gy / grid.height) * (b.yMax - b.yMin);
        this.stream.point(m.sx(u), m.sy(v));
      },
    });
    const path = geoPath(tx);
    this.gContours.selectAll('*').remove();
    this.gContours
      .selectAll('path.limit')
      .data(limit)
      .join('path')
      .attr('class', 'limit')
      .attr('d', (c) => path(c))
      .attr('fill', 'none')
      .attr('stroke', '#fff')
      .attr('stroke-opacity', 0.45)
      .attr('stroke-dasharray', '3 3')
      .attr('stroke-width', 0.8);
    this.gContours
      .selectAll('path.current')
      .data(current)
      .join('path')
      .attr('class', 'current')
      .attr('d', (c) => path(c))
      .attr('fill', 'none')
      .attr('stroke', '#fff')
      .attr('stroke-opacity', 0.8)
      .attr('stroke-width', 1);
  }

  drawCells(polygons: [number, number][][]): void {
    const m = this.map;
    this.gCells.selectAll('*').remove();
    if (!m) return;
    this.gCells
      .selectAll('polygon')
      .data(polygons)
      .join('polygon')
      .attr('points', (p) => p.map(([x, y]) => `${m.sx(x)},${m.sy(y)}`).join(' '))
      .attr('fill', 'none')
      .attr('stroke', OKABE_ITO.orange)
      .attr('stroke-opacity', 0.7)
      .attr('stroke-width', 1);
  }

  /** Arrows in data coordinates (already scaled to data lengths). */
  drawArrows(arrows: Arrow[]): void {
    const m = this.map;
    this.gArrows.selectAll('*').remove();
    if (!m) return;
    const d = arrows
      .map((a) => {
        const x0 = m.sx(a.x);
        const y0 = m.sy(a.y);
        const x1 = m.sx(a.x + a.dx);
        const y1 = m.sy(a.y + a.dy);
        const len = Math.hypot(x1 - x0, y1 - y0);
        if (!(len > 0.5)) return '';
        const ux = (x1 - x0) / len;
        const uy = (y1 - y0) / len;
        const h = Math.min(4, len * 0.4);
        return `M${x0},${y0}L${x1},${y1}M${x1 - h * (ux - 0.5 * uy)},${y1 - h * (uy + 0.5 * ux)}L${x1},${y1}L${x1 - h * (ux + 0.5 * uy)},${y1 - h * (uy - 0.5 * ux)}`;
      })
      .join('');
    this.gArrows.append('path').attr('d', d).attr('stroke', '#e8e8e8').attr('stroke-opacity', 0.55).attr('stroke-width', 1).attr('fill', 'none');
  }

  /** d = 1: a horizontal line at the scrub time (picture y); null hides it. */
  drawScrub(y: number | null, text: string): void {
    const m = this.map;
    this.gScrub.selectAll('*').remove();
    if (!m || y === null) return;
    this.gScrub.append('line').attr('x1', 0).attr('x2', m.width).attr('y1', m.sy(y)).attr('y2', m.sy(y)).attr('stroke', OKABE_ITO.yellow).attr('stroke-dasharray', '6 4');
    this.gScrub.append('text').attr('x', m.width - 6).attr('y', m.sy(y) - 4).attr('text-anchor', 'end').attr('fill', OKABE_ITO.yellow).attr('font-size', 11).text(text);
  }

  /** Critical points already in picture coordinates. */
  drawCriticalPoints(points: [number, number][]): void {
    const m = this.map;
    this.gCps.selectAll('*').remove();
    if (!m) return;
    const star = (x: number, y: number) => `M${x - 6},${y}L${x + 6},${y}M${x},${y - 6}L${x},${y + 6}M${x - 4},${y - 4}L${x + 4},${y + 4}M${x - 4},${y + 4}L${x + 4},${y - 4}`;
    this.gCps
      .selectAll('path')
      .data(points)
      .join('path')
      .attr('class', 'cp')
      .attr('d', ([x, y]) => star(m.sx(x), m.sy(y)))
      .attr('stroke', OKABE_ITO.yellow)
      .attr('stroke-width', 2);
  }

  /** Atoms of both measures; for d = 1 they sit at picture y = y1d. */
  drawAtoms(sets: Record<MeasureId, PointSetInput>, y1d = 0): void {
    this.sets = sets;
    const m = this.map;
    const p = this.projection;
    this.gAtoms.selectAll('*').remove();
    if (!m || !p) return;
    for (const id of ['mu2', 'mu1'] as MeasureId[]) {
      const set = sets[id];
      const total = set.weights ? set.weights.reduce((s, w) => s + w, 0) : set.points.length;
      const g = this.gAtoms.append('g').attr('class', id);
      set.points.forEach((pt, i) => {
        const w = set.weights ? set.weights[i] / total : 1 / set.points.length;
        const r = 3.5 + 9 * Math.sqrt(w);
        const x = m.sx(pt[p.d === 1 ? 0 : p.ax]);
        const y = m.sy(p.d === 1 ? y1d : pt[p.ay]);
        const shape = g.append<SVGElement>(id === 'mu1' ? 'circle' : 'rect');
        if (id === 'mu1') shape.attr('cx', x).attr('cy', y).attr('r', r);
        else shape.attr('x', x - r * 0.85).attr('y', y - r * 0.85).attr('width', r * 1.7).attr('height', r * 1.7);
        shape
          .attr('class', 'atom')
          .attr('data-measure', id)
          .attr('data-index', i)
          .attr('fill', COLORS[id])
          .attr('fill-opacity', 0.85)
          .attr('stroke', '#111')
          .attr('stroke-width', 1.2)
          .style('cursor', 'move')
          .on('pointerdown', (ev: PointerEvent) => this.onAtomDown(ev, id, i));
        shape.append('title').text(`${id}[${i}] = (${pt.map((v) => +v.toFixed(4)).join(', ')}), weight ${w.toFixed(3)}`);
      });
    }
  }

  private dataAt(ev: PointerEvent): [number, number] | null {
    const m = this.map;
    if (!m) return null;
    const rect = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * m.width;
    const py = ((ev.clientY - rect.top) / rect.height) * m.height;
    return [m.dataX(px), m.dataY(py)];
  }

  private onAtomDown(ev: PointerEvent, measure: MeasureId, index: number): void {
    ev.stopPropagation();
    ev.preventDefault();
    if (!this.editable || !this.sets) return;
    if (ev.shiftKey || ev.altKey || ev.button === 2) {
      const set = this.sets[measure];
      if (set.points.length <= 1) {
        this.onRefuse(`${measure} needs at least one atom; add another before deleting this one`);
        return;
      }
      const points = set.points.filter((_, i) => i !== index);
      const weights = set.weights?.filter((_, i) => i !== index);
      this.onEdit({ measure, points, weights });
      return;
    }
    this.drag = { measure, index, moved: false };
    (this.svg.node() as SVGSVGElement).setPointerCapture?.(ev.pointerId);
  }

  private onBackgroundDown(ev: PointerEvent): void {
    if (!this.editable || !this.sets || !this.projection || ev.button !== 0) return;
    const at = this.dataAt(ev);
    if (!at) return;
    const p = this.projection;
    const set = this.sets[this.editTarget];
    const pt = Array.from(p.origin);
    pt[p.d === 1 ? 0 : p.ax] = round(at[0]);
    if (p.d > 1) pt[p.ay] = round(at[1]);
    const points = [...set.points, pt];
    // New atoms get the mean weight so existing relative weights are unchanged.
    const weights = set.weights ? [...set.weights, set.weights.reduce((s, w) => s + w, 0) / set.weights.length] : undefined;
    this.onEdit({ measure: this.editTarget, points, weights });
  }

  private onMove(ev: PointerEvent): void {
    if (!this.drag || !this.sets || !this.projection) return;
    const at = this.dataAt(ev);
    if (!at) return;
    const p = this.projection;
    const set = this.sets[this.drag.measure];
    const pt = [...set.points[this.drag.index]];
    pt[p.d === 1 ? 0 : p.ax] = round(at[0]);
    if (p.d > 1) pt[p.ay] = round(at[1]);
    const points = set.points.map((q, i) => (i === this.drag!.index ? pt : q));
    this.sets = { ...this.sets, [this.drag.measure]: { ...set, points } };
    this.drag.moved = true;
    this.drawAtoms(this.sets, this.lastY1d);
  }

  private onUp(_ev: PointerEvent): void {
    const drag = this.drag;
    this.drag = null;
    if (!drag || !drag.moved || !this.sets) return;
    const set = this.sets[drag.measure];
    this.onEdit({ measure: drag.measure, points: set.points, weights: set.weights });
  }

  lastY1d = 0;

  dispose(): void {
    this.svg.remove();
  }
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
