// SVG layer over the trajectory picture (host.overlay), positioned with the picture's own projection
// so it follows orbiting. For the selected sequence it draws the input tokens X^0 (hollow circles),
// the outputs X^L (dots), the query/CLS token as a diamond, and for the selected token its position
// at the attention layer l with lines to every key X^l_j, width and opacity proportional to the
// mean attention weight. Interaction (markers only; the background lets pointer events through to
// the canvas, where OrbitControls or the Canvas 2D orbit take them):
//   click a marker                       select that token (its attention is shown)
//   drag an input token (2-D pictures)   move it; on release the page edits the config
// Keyboard (the picture takes focus: Tab, or a click on a marker): token-keys.ts maps the keys to
// select / move / delete / add, which go to the same handlers as the mouse edits; the selected
// token is drawn in the selection colour, the focused picture with an outline.
// Every marker carries data-token (row) and data-role so tests can find it.

import { select, type Selection } from 'd3';
import type { ScreenMap } from '../../shared/view/screen-map';
import { PICTURE } from './palette';
import { pointAt } from './picture';
import { tokenKeyAction, TOKEN_KEYS_HELP, type TokenKeyAction } from './token-keys';

type G = Selection<SVGGElement, unknown, null, undefined>;

const SVG_NS = 'http://www.w3.org/2000/svg';

/** One marker of the selected sequence: the input X^0 or the output X^L of a row, on screen at p. */
interface Marker {
  key: string;
  role: 'input' | 'output';
  row: number;
  query: boolean;
  p: [number, number];
}

export interface OverlayState {
  project(x: number, y: number, z: number): [number, number] | null;
  /** Picture points (geometry.ts), and their shape. */
  points: Float32Array;
  L: number;
  batch: number;
  rows: number;
  n: number;
  sequence: number;
  /** Selected row (token i < n, or n for the query token), or null. */
  token: number | null;
  /** Depth layer of the attention shown. */
  layer: number;
  /** Mean attention weights of the selected token over its n keys, or null. */
  weights: Float64Array | null;
  /** 2-D pictures of the plane: input tokens can be dragged (map: pixels <-> data). */
  editMap: ScreenMap | null;
  label: string[];
}

export interface OverlayHandlers {
  select(row: number): void;
  edit(row: number, position: [number, number]): void;
  /** A token key pressed while the picture has focus (token-keys.ts). */
  key(action: TokenKeyAction): void;
}

export class Overlay {
  private readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly gLines: G;
  private readonly gMarkers: G;
  private readonly gLabel: G;
  private state: OverlayState | null = null;
  private drag: { row: number; x0: number; y0: number; moved: boolean; el: SVGCircleElement } | null = null;

  constructor(
    parent: HTMLElement,
    private readonly handlers: OverlayHandlers,
  ) {
    this.svg = select(parent)
      .append('svg')
      .attr('class', 'transformer-overlay')
      .attr('data-testid', 'transformer-overlay')
      .style('position', 'absolute')
      .style('inset', '0')
      .style('width', '100%')
      .style('height', '100%')
      // The background passes pointer events to the canvas (orbit); markers take their own.
      .style('pointer-events', 'none')
      .style('user-select', 'none')
      .style('outline', 'none')
      // Focusable for keyboard editing; the keys are named where a screen reader announces it.
      .attr('tabindex', 0)
      .attr('role', 'group')
      .attr('aria-label', TOKEN_KEYS_HELP)
      .attr('aria-keyshortcuts', '] [ ArrowLeft ArrowRight ArrowUp ArrowDown Delete Backspace A Escape') as unknown as Selection<SVGSVGElement, unknown, null, undefined>;
    const node = this.svg.node() as SVGSVGElement;
    node.addEventListener('keydown', (e) => this.onKey(e));
    node.addEventListener('focus', () => (node.style.outline = `2px solid ${PICTURE.selected}`));
    node.addEventListener('blur', () => (node.style.outline = 'none'));
    this.gLines = this.svg.append('g').attr('class', 'attention-lines');
    this.gMarkers = this.svg.append('g').attr('class', 'markers');
    this.gLabel = this.svg.append('g').attr('class', 'label').attr('font-family', 'system-ui, sans-serif').attr('font-size', 12).attr('fill', PICTURE.label);
  }

  resize(width: number, height: number): void {
    this.svg.attr('viewBox', `0 0 ${width} ${height}`);
  }

  draw(state: OverlayState): void {
    this.state = state;
    // Redrawing replaces the markers: not while one is dragged (it would lose the pointer).
    if (this.drag) return;
    const { points, L, batch, rows, n, sequence: b, project } = state;
    const at = (l: number, r: number) => {
      const [x, y, z] = pointAt(points, l, b, r, batch, rows);
      return project(x, y, z);
    };
    this.setLabel(state.label);

    this.gLines.selectAll('*').remove();
    if (state.token !== null && state.weights) {
      const from = at(state.layer, state.token);
      const w = state.weights;
      let max = 0;
      for (const v of w) max = Math.max(max, v);
      for (let j = 0; j < n && from; j++) {
        const to = at(state.layer, j);
        if (!to || !(w[j] > 0)) continue;
        const f = w[j] / (max || 1);
        this.gLines
          .append('line')
          .attr('x1', from[0])
          .attr('y1', from[1])
          .attr('x2', to[0])
          .attr('y2', to[1])
          .attr('stroke', PICTURE.selected)
          .attr('stroke-opacity', 0.15 + 0.85 * f)
          .attr('stroke-width', 0.5 + 4 * f)
          .attr('data-key', j)
          .attr('data-weight', w[j]);
      }
      if (from) {
        this.gLines.append('circle').attr('cx', from[0]).attr('cy', from[1]).attr('r', 9).attr('fill', 'none').attr('stroke', PICTURE.selected).attr('stroke-width', 2).attr('data-role', 'selected').attr('data-token', state.token);
      }
    }

    // Markers are joined by (role, row), not re-created: a marker keeps its element (and its
    // handlers) from picture to picture, so a click or a drag never lands on a detached node.
    const markers: Marker[] = [];
    for (let r = 0; r < rows; r++) {
      const query = r >= n;
      const pL = at(L, r);
      const p0 = at(0, r);
      if (pL) markers.push({ key: `output-${r}`, role: 'output', row: r, query, p: pL });
      if (p0) markers.push({ key: `input-${r}`, role: 'input', row: r, query, p: p0 });
    }
    const editable = (m: Marker): boolean => m.role === 'input' && !m.query && this.state?.editMap != null;
    this.gMarkers
      .selectAll<SVGElement, Marker>('[data-role]')
      .data(markers, (m) => m.key)
      .join((enter) =>
        enter
          .append((m) => document.createElementNS(SVG_NS, m.role === 'output' && m.query ? 'rect' : 'circle') as SVGElement)
          .attr('data-role', (m) => m.role)
          .attr('data-token', (m) => m.row)
          .style('pointer-events', 'all')
          .each(function (m) {
            select(this).append('title');
          })
          .on('click', (_ev: MouseEvent, m: Marker) => {
            if (m.role === 'output') this.handlers.select(m.row);
          })
          .on('pointerdown', (ev: PointerEvent, m: Marker) => {
            if (m.role === 'input') this.down(ev, m.row, editable(m));
          })
          .on('pointermove', (ev: PointerEvent) => this.move(ev))
          .on('pointerup', (ev: PointerEvent) => this.up(ev))
          .on('pointercancel', (ev: PointerEvent) => this.up(ev)),
      )
      .each(function (m) {
        const el = select(this);
        const [x, y] = m.p;
        const who = m.query ? 'query (CLS) token' : `token ${m.row}`;
        if (m.role === 'output') {
          el.attr('fill', m.query ? PICTURE.query : PICTURE.token).style('cursor', 'pointer');
          if (m.query) el.attr('x', x - 4).attr('y', y - 4).attr('width', 8).attr('height', 8).attr('transform', `rotate(45 ${x} ${y})`);
          else el.attr('cx', x).attr('cy', y).attr('r', 3.5);
          el.select('title').text(`${who}: output X^L (click: attention)`);
          return;
        }
        const canEdit = editable(m);
        el.attr('cx', x)
          .attr('cy', y)
          .attr('r', 6)
          .attr('fill', 'rgba(0,0,0,0.01)')
          .attr('stroke', m.query ? PICTURE.query : state.token === m.row ? PICTURE.selected : PICTURE.token)
          .attr('stroke-width', state.token === m.row ? 2.5 : 1.5)
          .style('cursor', canEdit ? 'grab' : 'pointer')
          .style('touch-action', 'none');
        el.select('title').text(`${who}: input X^0${canEdit ? ' (drag to move, click: attention)' : ' (click: attention)'}`);
      });
  }

  /** The caption lines alone (the iteration count changes more often than the picture). */
  setLabel(lines: string[]): void {
    if (this.state) this.state.label = lines;
    this.gLabel.selectAll('*').remove();
    lines.forEach((t, i) => this.gLabel.append('text').attr('x', 8).attr('y', 18 + 15 * i).text(t));
  }

  private onKey(e: KeyboardEvent): void {
    const action = tokenKeyAction(e);
    if (!action) return;
    // Handled here: the shell's shortcuts (→ steps the run, P saves a PNG) must not see it.
    e.preventDefault();
    e.stopPropagation();
    this.handlers.key(action);
  }

  private down(ev: PointerEvent, row: number, editable: boolean): void {
    ev.stopPropagation();
    // Keyboard editing continues from the token just clicked.
    (this.svg.node() as SVGSVGElement).focus({ preventScroll: true });
    const el = ev.currentTarget as SVGCircleElement;
    if (!editable) {
      this.handlers.select(row);
      return;
    }
    el.setPointerCapture?.(ev.pointerId);
    this.drag = { row, x0: ev.clientX, y0: ev.clientY, moved: false, el };
  }

  private move(ev: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    const dx = ev.clientX - d.x0;
    const dy = ev.clientY - d.y0;
    if (!d.moved && Math.hypot(dx, dy) < 3) return;
    d.moved = true;
    const rect = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
    d.el.setAttribute('cx', String(ev.clientX - rect.left));
    d.el.setAttribute('cy', String(ev.clientY - rect.top));
  }

  private up(ev: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (!d.moved) {
      this.handlers.select(d.row);
      return;
    }
    const map = this.state?.editMap;
    if (map && ev.type !== 'pointercancel') {
      const rect = (this.svg.node() as SVGSVGElement).getBoundingClientRect();
      this.handlers.edit(d.row, [map.dataX(ev.clientX - rect.left), map.dataY(ev.clientY - rect.top)]);
    }
    // Pictures that arrived during the drag were held back.
    if (this.state) this.draw(this.state);
  }

  dispose(): void {
    this.svg.remove();
  }
}
