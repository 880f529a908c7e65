// SVG layer over the canvas (host.overlay): contour lines of the potential (solid: Phi_lam^t at
// the scrub t; dashed: the t -> 0 limit, same levels), overlay-Voronoi cells (d = 2), score
// arrows, stable critical points, the atoms of both measures, and atom editing:
//   click on empty space: add an atom to the measure being edited (mu1/mu2 toggle in the controls),
//   drag an atom: move it (the run restarts on release),
//   shift-click, alt-click or right-click an atom: delete it; on a touch screen a long press
//   deletes it (and a tap selects it for the controls' "delete selected atom" button).
// Without a pointer (the SVG takes keyboard focus; its aria-label lists the keys): n or ] selects
// the next atom, [ the previous one, the arrow keys move the selected atom (Shift: 5x farther),
// Delete or Backspace removes it, a adds an atom to the edited measure at the centre of the view,
// Escape clears the selection. The selected atom is drawn with a ring. Every edit goes out through
// onEdit, like the mouse's, so the page validates it and the panel and URL follow.
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

/** The atom the keyboard (or a tap) selected. */
export interface AtomSelection {
  measure: MeasureId;
  index: number;
  point: number[];
}

/** What the overlay's aria-label says about the keys (also the controls' hint). */
export const ATOM_KEYS_HELP =
  'n or ] selects the next atom, [ the previous one, arrow keys move it (Shift: 5 times farther), Delete or Backspace removes it, a adds an atom at the centre, Escape clears the selection';

/** A touch held this long on an atom, without moving, deletes it. */
const LONG_PRESS_MS = 650;
/** ... and moving farther than this (px) makes it a drag instead. */
const LONG_PRESS_SLOP = 8;
/** An arrow key moves the selected atom by this fraction of the view's width (Shift: 5x). */
const KEY_STEP = 0.02;

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
  /** Compare mode: which colour is which batch (under the label). */
  private readonly gLegend: G;
  private readonly label: Selection<SVGTextElement, unknown, null, undefined>;
  private map: ScreenMap | null = null;
  private projection: Projection | null = null;
  private sets: Record<MeasureId, PointSetInput> | null = null;
  private drag: { measure: MeasureId; index: number; moved: boolean; x: number; y: number } | null = null;
  private selected: { measure: MeasureId; index: number } | null = null;
  private longPress: ReturnType<typeof setTimeout> | null = null;
  editTarget: MeasureId = 'mu1';
  editable = true;

  constructor(
    parent: HTMLElement,
    private readonly onEdit: (edit: AtomEdit) => void,
    private readonly onRefuse: (text: string) => void,
    private readonly onSelect: (s: AtomSelection | null) => void = () => undefined,
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
    this.gLegend = this.svg.append('g').attr('class', 'batch-legend');
    this.label = this.svg.append('text').attr('x', 8).attr('y', 16).attr('fill', '#ddd').attr('font-size', 12).attr('font-family', 'system-ui, sans-serif');
    this.svg.on('pointerdown', (ev: PointerEvent) => this.onBackgroundDown(ev));
    this.svg.on('pointermove', (ev: PointerEvent) => this.onMove(ev));
    this.svg.on('pointerup', (ev: PointerEvent) => this.onUp(ev));
    // A cancelled pointer (capture lost, window switch) ends the drag where it got to.
    this.svg.on('pointercancel', (ev: PointerEvent) => this.onUp(ev));
    this.svg.on('contextmenu', (ev: Event) => ev.preventDefault());
    this.svg
      .attr('tabindex', 0)
      .attr('role', 'application')
      .attr('aria-label', `Run picture with editable atoms. Keys: ${ATOM_KEYS_HELP}.`)
      .on('keydown', (ev: KeyboardEvent) => this.onKey(ev))
      // A visible focus ring (the page's CSP allows style attributes set from script).
      .on('focus', () => this.svg.style('outline', '2px solid #ffd400').style('outline-offset', '-2px'))
      .on('blur', () => this.svg.style('outline', 'none'));
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

  /**
   * Critical points already in picture coordinates: the run's (batch 0, path.cp, yellow) and, in
   * compare mode, every other batch's in its colour (path.cp-batch, data-batch; a smaller star, so
   * a point shared by two batches shows both).
   */
  drawCriticalPoints(points: [number, number][], compared: readonly { batch: number; colour: string; points: [number, number][] }[] = []): void {
    const m = this.map;
    this.gCps.selectAll('*').remove();
    if (!m) return;
    const star = (x: number, y: number, r = 6) => {
      const q = (2 * r) / 3;
      return `M${x - r},${y}L${x + r},${y}M${x},${y - r}L${x},${y + r}M${x - q},${y - q}L${x + q},${y + q}M${x - q},${y + q}L${x + q},${y - q}`;
    };
    for (const c of compared) {
      this.gCps
        .append('g')
        .selectAll('path')
        .data(c.points)
        .join('path')
        .attr('class', 'cp-batch')
        .attr('data-batch', c.batch)
        .attr('d', ([x, y]) => star(m.sx(x), m.sy(y), 4.5))
        .attr('stroke', c.colour)
        .attr('stroke-width', 1.8);
    }
    this.gCps
      .append('g')
      .selectAll('path')
      .data(points)
      .join('path')
      .attr('class', 'cp')
      .attr('d', ([x, y]) => star(m.sx(x), m.sy(y)))
      .attr('stroke', OKABE_ITO.yellow)
      .attr('stroke-width', 2);
  }

  /** Compare mode: a swatch and a name per batch under the label (none for a single run). */
  setLegend(entries: readonly { text: string; colour: string }[]): void {
    this.gLegend.selectAll('*').remove();
    entries.forEach((e, i) => {
      const y = 32 + 14 * i;
      this.gLegend.append('circle').attr('cx', 13).attr('cy', y - 4).attr('r', 4).attr('fill', e.colour);
      this.gLegend.append('text').attr('class', 'batch-legend-entry').attr('x', 22).attr('y', y).attr('fill', '#ddd').attr('font-size', 11).attr('font-family', 'system-ui, sans-serif').text(e.text);
    });
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
        if (this.selected?.measure === id && this.selected.index === i) {
          // Not an .atom: a ring around the selected one, drawn over it and transparent to the pointer.
          this.gAtoms
            .append('circle')
            .attr('class', 'atom-selection')
            .attr('data-measure', id)
            .attr('data-index', i)
            .attr('cx', x)
            .attr('cy', y)
            .attr('r', r + 5)
            .attr('fill', 'none')
            .attr('stroke', OKABE_ITO.yellow)
            .attr('stroke-width', 2.5)
            .style('pointer-events', 'none');
        }
      });
    }
    this.onSelect(this.selection);
  }

  /** The selected atom, when it still exists. */
  get selection(): AtomSelection | null {
    const s = this.selected;
    const pt = s && this.sets?.[s.measure].points[s.index];
    return s && pt ? { ...s, point: pt } : null;
  }

  /** Selects an atom (null: none), redraws, and tells the controls. */
  select(s: { measure: MeasureId; index: number } | null): void {
    this.selected = s;
    if (this.sets) this.drawAtoms(this.sets, this.lastY1d);
    else this.onSelect(null);
  }

  /** Deletes the selected atom (the controls' button, Delete, a long press), never the last of a measure. */
  deleteSelected(): void {
    const s = this.selection;
    if (s) this.deleteAtom(s.measure, s.index);
  }

  private deleteAtom(measure: MeasureId, index: number): void {
    if (!this.editable || !this.sets) return;
    const set = this.sets[measure];
    if (set.points.length <= 1) {
      this.onRefuse(`${measure} needs at least one atom; add another before deleting this one`);
      return;
    }
    const points = set.points.filter((_, i) => i !== index);
    const weights = set.weights?.filter((_, i) => i !== index);
    // The selection stays on the atom that takes its place (or the new last one).
    if (this.selected?.measure === measure) this.selected = { measure, index: Math.min(this.selected.index, points.length - 1) };
    this.onEdit({ measure, points, weights });
  }

  /** Adds an atom to the edited measure at data point `at` (the shown coordinates) and selects it. */
  private addAtom(at: [number, number]): void {
    if (!this.editable || !this.sets || !this.projection) return;
    const p = this.projection;
    const set = this.sets[this.editTarget];
    const pt = Array.from(p.origin);
    pt[p.d === 1 ? 0 : p.ax] = round(at[0]);
    if (p.d > 1) pt[p.ay] = round(at[1]);
    const points = [...set.points, pt];
    // New atoms get the mean weight so existing relative weights are unchanged.
    const weights = set.weights ? [...set.weights, set.weights.reduce((s, w) => s + w, 0) / set.weights.length] : undefined;
    this.selected = { measure: this.editTarget, index: points.length - 1 };
    this.onEdit({ measure: this.editTarget, points, weights });
  }

  /** All atoms in keyboard order: mu1's, then mu2's. */
  private order(): { measure: MeasureId; index: number }[] {
    if (!this.sets) return [];
    return (['mu1', 'mu2'] as MeasureId[]).flatMap((measure) => this.sets![measure].points.map((_, index) => ({ measure, index })));
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !this.sets || !this.map || !this.projection) return;
    const s = this.selection;
    const all = this.order();
    const at = s ? all.findIndex((a) => a.measure === s.measure && a.index === s.index) : -1;
    const b = this.map.bounds;
    const step = KEY_STEP * (b.xMax - b.xMin) * (ev.shiftKey ? 5 : 1);
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (ev.key === 'n' || ev.key === ']') this.select(all[(at + 1) % all.length] ?? null);
    else if (ev.key === '[') this.select(all[at < 0 ? all.length - 1 : (at - 1 + all.length) % all.length] ?? null);
    else if (ev.key === 'a') this.addAtom([(b.xMin + b.xMax) / 2, (b.yMin + b.yMax) / 2]);
    else if (ev.key === 'Escape' && s) this.select(null);
    else if ((ev.key === 'Delete' || ev.key === 'Backspace') && s) this.deleteAtom(s.measure, s.index);
    else if (ev.key in moves && s && this.editable) this.moveBy(s, moves[ev.key]);
    // Anything else (the shell's shortcuts; arrows with nothing selected) goes on to the window.
    else return;
    ev.preventDefault();
    ev.stopPropagation();
  }

  /** Moves the selected atom by (dx, dy) in the shown coordinates (d = 1: dx only). */
  private moveBy(s: AtomSelection, [dx, dy]: [number, number]): void {
    const p = this.projection!;
    if (p.d === 1 && dx === 0) return;
    const set = this.sets![s.measure];
    const pt = [...s.point];
    pt[p.d === 1 ? 0 : p.ax] = round(pt[p.d === 1 ? 0 : p.ax] + dx);
    if (p.d > 1) pt[p.ay] = round(pt[p.ay] + dy);
    const points = set.points.map((q, i) => (i === s.index ? pt : q));
    // Shown at once; the page applies (or refuses and redraws) the config.
    this.sets = { ...this.sets!, [s.measure]: { ...set, points } };
    this.drawAtoms(this.sets, this.lastY1d);
    this.onEdit({ measure: s.measure, points, weights: set.weights });
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
      this.deleteAtom(measure, index);
      return;
    }
    this.drag = { measure, index, moved: false, x: ev.clientX, y: ev.clientY };
    (this.svg.node() as SVGSVGElement).setPointerCapture?.(ev.pointerId);
    // preventDefault above keeps the focus where it was: take it, so the keys act on this atom.
    (this.svg.node() as SVGSVGElement).focus({ preventScroll: true });
    this.select({ measure, index });
    if (ev.pointerType === 'touch') {
      this.cancelLongPress();
      this.longPress = setTimeout(() => {
        this.longPress = null;
        if (this.drag && !this.drag.moved) {
          this.drag = null;
          this.deleteAtom(measure, index);
        }
      }, LONG_PRESS_MS);
    }
  }

  private cancelLongPress(): void {
    if (this.longPress !== null) clearTimeout(this.longPress);
    this.longPress = null;
  }

  private onBackgroundDown(ev: PointerEvent): void {
    if (!this.editable || !this.sets || !this.projection || ev.button !== 0) return;
    const at = this.dataAt(ev);
    if (!at) return;
    this.addAtom(at);
  }

  private onMove(ev: PointerEvent): void {
    if (!this.drag || !this.sets || !this.projection) return;
    // A touch that wobbles a little is still a long press, not a drag.
    if (ev.pointerType === 'touch' && !this.drag.moved && Math.hypot(ev.clientX - this.drag.x, ev.clientY - this.drag.y) <= LONG_PRESS_SLOP) return;
    this.cancelLongPress();
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
    this.cancelLongPress();
    const drag = this.drag;
    this.drag = null;
    if (!drag || !drag.moved || !this.sets) return;
    const set = this.sets[drag.measure];
    this.onEdit({ measure: drag.measure, points: set.points, weights: set.weights });
  }

  lastY1d = 0;

  dispose(): void {
    this.cancelLongPress();
    this.svg.remove();
  }
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
