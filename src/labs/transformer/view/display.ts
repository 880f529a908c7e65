// Everything the transformer page shows, given what the run reports: the trajectory picture
// (three.js or Canvas 2D), the SVG overlay, the lab controls and the charts, plus the selection
// (sequence, token, attention layer, depth mode, head projection) and what derives from a picture
// of states + heads: picture points, attention weights (float64), the cluster profile, and the head
// particles against the initial heads. The page (page.ts) owns runs and the LabPage contract.

import { ScreenMap, type Bounds } from '../../shared/view/screen-map';
import type { TransformerModel } from '../types';
import { attentionEntropy, attentionWeights, strongestKeys, type AttentionWeights } from './attention';
import { TransformerCharts } from './charts';
import { clusterProfile, dataScale } from './clusters';
import { Controls } from './controls';
import { boundingBox, pictureLayout, picturePoints, type Box, type DepthMode, type PictureLayout } from './geometry';
import { projectHeads, type HeadProjection } from './heads';
import { Overlay } from './overlay';
import type { TrajectoryPicture } from './picture';
import type { PictureData } from './run';
import { moveStep, nextToken, type TokenKeyAction } from './token-keys';

export interface DisplayHandlers {
  /** Move token `row` of `sequence` to `position` (its first coordinates; the others are kept). */
  edit(sequence: number, row: number, position: readonly number[]): void;
  /** Delete token `row` (from every sequence); resolves true when the config changed. */
  remove(row: number): Promise<boolean>;
  /** Add a token (a copy of token `from`, one `offset` away); resolves true when the config changed. */
  add(from: number, offset: readonly number[]): Promise<boolean>;
  ntkCheck(): void;
  importTokens(file: File): void;
  exportTokens(): void;
}

interface Shape {
  L: number;
  H: number;
  batch: number;
  n: number;
  rows: number;
  d: number;
  k: number;
}

export class Display {
  readonly charts: TransformerCharts;
  readonly controls: Controls;
  private readonly overlay: Overlay;
  private model: TransformerModel | null = null;
  private shape: Shape | null = null;
  private pic: PictureData | null = null;
  private points: Float32Array | null = null;
  private layout: PictureLayout | null = null;
  private bounds: Bounds | null = null;
  private box: Box | null = null;
  private keepView = false;
  /** Pixels <-> data of the 2-D picture when its tokens can be dragged (null otherwise). */
  private editMap: ScreenMap | null = null;
  private attention: AttentionWeights | null = null;
  /** The tokens' spread (dataScale of X^0): what a keyboard move step is measured in. */
  private spread = 1;
  private labelHead: string[] = [];
  private size: [number, number] = [1, 1];
  /** Finished iterations (the page's status().step): the caption's count. null: none reported yet. */
  private completed: number | null = null;
  sequence = 0;
  token: number | null = null;
  layer = 0;
  showOthers = true;
  depthMode: DepthMode = 'colour';
  projection: HeadProjection = { kind: 'pca' };

  constructor(
    private picture: TrajectoryPicture,
    overlayHost: HTMLElement,
    controlsHost: HTMLElement,
    chartsHost: HTMLElement,
    private readonly handlers: DisplayHandlers,
  ) {
    this.charts = new TransformerCharts(chartsHost);
    this.overlay = new Overlay(overlayHost, {
      select: (row) => this.selectToken(row),
      edit: (row, p) => this.handlers.edit(this.sequence, row, p),
      key: (a) => this.onKey(a),
    });
    this.controls = new Controls(controlsHost, {
      sequence: (b) => {
        this.sequence = b;
        this.refresh(true);
      },
      showOthers: (v) => {
        this.showOthers = v;
        this.refresh(false);
      },
      depthMode: (m) => {
        this.depthMode = m;
        this.bounds = null;
        this.refresh(true);
      },
      token: (row) => this.selectToken(row),
      layer: (l) => {
        this.layer = l;
        this.updateAttention();
        this.drawOverlay();
      },
      projection: (p) => {
        this.projection = p;
        this.updateHeads();
      },
      ntkCheck: () => this.handlers.ntkCheck(),
      importTokens: (file) => this.handlers.importTokens(file),
      exportTokens: () => this.handlers.exportTokens(),
      addToken: () => this.onKey({ kind: 'add' }),
      deleteToken: () => this.onKey({ kind: 'delete' }),
    });
    this.picture.onViewChange(() => this.drawOverlay());
  }

  /** A new picture implementation (device restored / lost). */
  setPicture(p: TrajectoryPicture): void {
    this.picture = p;
    p.onViewChange(() => this.drawOverlay());
    p.resize(...this.size);
    this.keepView = false;
    this.refresh(true);
  }

  /** A new model (build): selections that still fit are kept. */
  setModel(model: TransformerModel, labelHead: string[]): void {
    const { heads, tokens } = model;
    const rows = tokens.n + (tokens.query ? 1 : 0);
    const shape: Shape = { L: heads.L, H: heads.H, batch: tokens.batch, n: tokens.n, rows, d: heads.d, k: heads.k };
    const same = this.shape && JSON.stringify(this.shape) === JSON.stringify(shape);
    this.model = model;
    this.shape = shape;
    this.labelHead = labelHead;
    if (!same) {
      this.sequence = Math.min(this.sequence, shape.batch - 1);
      this.token = this.token !== null && this.token < rows ? this.token : null;
      this.layer = Math.min(this.layer, shape.L - 1);
      this.bounds = null;
      this.keepView = false;
    }
    this.pic = null;
    this.points = null;
    this.attention = null;
    this.controls.configure(shape, { sequence: this.sequence, token: this.token, layer: this.layer, showOthers: this.showOthers, depth: this.depthMode });
    this.charts.setClusters(null);
    this.charts.setHeads(null, 'waiting for the heads');
    this.updateAttention();
  }

  /** Tokens changed in place (an edit): the next picture refits nothing, keeps the view. */
  setTokens(model: TransformerModel): void {
    this.model = model;
  }

  resize(width: number, height: number): void {
    this.size = [width, height];
    this.picture.resize(width, height);
    this.overlay.resize(width, height);
    this.bounds = null;
    this.refresh(false);
  }

  showPicture(p: PictureData): void {
    this.pic = p;
    this.refresh(false);
    this.updateHeads();
  }

  selectToken(row: number | null): void {
    this.token = row;
    this.controls.showToken(row);
    this.updateAttention();
    this.drawOverlay();
  }

  render(): void {
    this.picture.render();
  }

  /**
   * A token key (overlay) or an add / delete button (controls): the same edits as the mouse's,
   * through the page's handlers, on the selected token of the selected sequence.
   */
  private onKey(a: TokenKeyAction): void {
    const shape = this.shape;
    const model = this.model;
    if (!shape || !model) return;
    const { n, d } = shape;
    const row = this.token !== null && this.token < n ? this.token : null;
    const step = moveStep(this.spread);
    switch (a.kind) {
      case 'select':
        this.selectToken(nextToken(row, a.direction, n));
        return;
      case 'clear':
        this.selectToken(null);
        return;
      case 'move': {
        if (row === null || a.axis >= d) return;
        const base = (this.sequence * n + row) * d;
        const p = Array.from(model.tokens.x.subarray(base, base + d));
        p[a.axis] += a.steps * step;
        this.handlers.edit(this.sequence, row, p);
        return;
      }
      case 'delete':
        if (row === null) return;
        void this.handlers.remove(row).then((ok) => ok && this.selectToken(n > 1 ? Math.min(row, n - 2) : null));
        return;
      case 'add':
        void this.handlers.add(row ?? 0, Array.from({ length: d }, (_, c) => (c === 0 ? 2 * step : 0))).then((ok) => ok && this.selectToken(n));
        return;
    }
  }

  /** The run's finished iterations changed: the caption follows (status().step counts the same). */
  setCompleted(iteration: number): void {
    if (iteration === this.completed) return;
    this.completed = iteration;
    if (this.points && this.shape && this.pic) this.overlay.setLabel(this.label());
  }

  private label(): string[] {
    const shape = this.shape;
    const it = this.completed ?? this.pic?.iteration ?? 0;
    const token = this.token !== null && shape ? ` · token ${this.token === shape.n ? 'CLS' : this.token} at layer ${this.layer}` : '';
    return [...this.labelHead, this.layout?.label ?? '', `iteration ${it}${token}`];
  }

  get picturedIteration(): number | null {
    return this.pic?.iteration ?? null;
  }

  /** Rebuild points and segments from the last picture; `refit` recomputes the 2-D bounds. */
  private refresh(refit: boolean): void {
    const { pic, shape } = this;
    if (!pic || !shape) return;
    const { L, batch, rows, n, d } = shape;
    const spread = dataScale(pic.states, batch, n, rows, d);
    this.spread = spread;
    this.layout = pictureLayout(d, this.depthMode, spread);
    this.points = picturePoints(pic.states, L, batch, rows, d, this.layout);
    this.box = boundingBox(this.points);
    let map: ScreenMap | null = null;
    if (this.layout.dims === 2) {
      const [w, h] = this.size;
      if (refit || !this.bounds || !contains(this.bounds, this.box)) this.bounds = fitBox(this.box, w / h);
      map = new ScreenMap(this.bounds, w, h);
    }
    this.picture.setData({ points: this.points, L, batch, rows, n, selected: this.sequence, showOthers: this.showOthers, layout: this.layout }, this.box, map, this.keepView);
    this.keepView = true;
    this.editMap = this.layout.editable ? map : null;
    this.updateClusters();
    this.updateAttention();
    this.drawOverlay();
  }

  private updateAttention(): void {
    const { pic, shape, model } = this;
    this.attention = null;
    if (!pic || !shape || !model || this.token === null) {
      this.charts.setAttention(null, null, this.token === null ? 'click a token in the picture (or pick one below) to see whom it attends to' : 'waiting for the token states');
      this.controls.setReadout(this.readout());
      return;
    }
    const { batch, rows, n, d } = shape;
    const S = batch * rows * d;
    const X = pic.states.subarray(this.layer * S, (this.layer + 1) * S);
    const w = attentionWeights(pic.heads, this.layer, model.tokens, X, this.sequence, this.token);
    this.attention = w;
    const pi = Float64Array.from({ length: n }, (_, j) => Math.exp(model.tokens.logPi[this.sequence * n + j]));
    const who = this.token === n ? 'the CLS token' : `token ${this.token}`;
    this.charts.setAttention(w, pi, `${who} of sequence ${this.sequence}, layer l = ${this.layer}, iteration ${pic.iteration}`);
    this.controls.setReadout(this.readout());
  }

  private readout(): string[] {
    const w = this.attention;
    if (!w) return ['Click a token (circle: input X⁰, dot: output Xᴸ) to see its attention weights.'];
    const top = strongestKeys(w, 3).map((k) => `${k.key}: ${k.weight.toFixed(3)}`).join(', ');
    const { entropy, max } = attentionEntropy(w);
    return [`attention of ${w.row === this.shape?.n ? 'CLS' : `token ${w.row}`} at layer ${w.layer} (mean over heads): strongest keys ${top}; entropy ${entropy.toFixed(3)} of max log n = ${max.toFixed(3)}`];
  }

  private updateClusters(): void {
    const { pic, shape } = this;
    if (!pic || !shape) return;
    const { L, batch, n, rows, d } = shape;
    const S = batch * rows * d;
    this.charts.setClusters(clusterProfile((l) => pic.states.subarray(l * S, (l + 1) * S), L, batch, n, rows, d, this.sequence));
  }

  private updateHeads(): void {
    const { pic, model } = this;
    if (!pic || !model) return;
    const hp = projectHeads(model.heads, pic.heads, this.projection);
    this.charts.setHeads(hp, `${pic.heads.L * pic.heads.H} heads at iteration ${pic.iteration}; colour: layer`);
  }

  private drawOverlay(): void {
    const { points, shape, pic } = this;
    if (!points || !shape || !pic) return;
    const label = this.label();
    this.overlay.draw({
      project: (x, y, z) => this.picture.project(x, y, z),
      points,
      L: shape.L,
      batch: shape.batch,
      rows: shape.rows,
      n: shape.n,
      sequence: this.sequence,
      token: this.token,
      layer: this.layer,
      weights: this.attention?.mean ?? null,
      editMap: this.editMap,
      label,
    });
  }

  dispose(): void {
    this.overlay.dispose();
    this.controls.dispose();
    this.charts.dispose();
  }
}

function contains(b: Bounds, box: Box): boolean {
  return box.min[0] >= b.xMin && box.max[0] <= b.xMax && box.min[1] >= b.yMin && box.max[1] <= b.yMax;
}

/**
 * Bounds around the box's x, y with an 8% margin (and room at the top for the label), widened to
 * the aspect ratio so both axes have the same scale.
 */
export function fitBox(box: Box, aspect: number): Bounds {
  const cx = (box.min[0] + box.max[0]) / 2;
  let w = Math.max(1e-6, box.max[0] - box.min[0]) * 1.16;
  let h = Math.max(1e-6, box.max[1] - box.min[1]) * 1.3;
  const cy = (box.min[1] + box.max[1]) / 2 + 0.05 * h;
  const a = Number.isFinite(aspect) && aspect > 0 ? aspect : 1;
  if (w / h < a) w = h * a;
  else h = w / a;
  return { xMin: cx - w / 2, xMax: cx + w / 2, yMin: cy - h / 2, yMax: cy + h / 2 };
}
