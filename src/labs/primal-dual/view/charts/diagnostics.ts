// The primal-dual charts, fed with recorded diagnostics frames of every batch (compare mode: one
// series per compared value, overlaid, each chart with a legend naming the compared key and value,
// "α = 3 (config)", "α = 4"; median over the batch's trajectories) and, on the GPU, the float64
// shadow of trajectory 0 of batch 0:
//   gap G, ||Ax - b||, |f - f*|  log-log, dotted t^-2 references through the last point, and the
//                                 measured float32 noise |f32 - f64| of trajectory 0 (grey)
//   envelopes                     t^2-weighted running max over [t/2, t] of ||Ax - b|| (solid)
//                                 and G (dashed): -> 0 in the strict window, bounded at alpha = 3
//   E(t)                          with the running identity defect max|E - E0 - int dE/dt| dotted
//   Q(t)                          ||Q(t) - Q(t0)|| of trajectory 0 of each batch: conserved at the
//                                 boundary case
// Renders are coalesced: add() marks dirty, render() (from the frame loop) redraws at most every
// `minMs`.

import { LineChart, type LineSeries } from '../../../shared/view/line-chart';
import { alphaColour } from '../palette';
import type { DiagFrame } from '../run-gpu';

interface Summary {
  t: number;
  gap: number;
  feas: number;
  obj: number;
  energy: number;
  defect: number;
  /** trajectory 0 */
  gap0: number;
  feas0: number;
  obj0: number;
  Q0: number[];
}

/** One batch as the charts show it (view/runs.ts batchInfos). */
export interface BatchInfo {
  /** Legend text: "α = 3 (config)", "α = 4", "β = 2", ... */
  label: string;
  alpha: number;
  theta: number;
  /** The batch's value of the compared key (alpha without compare mode). */
  value: number;
  /** xi = 0 and p = (1 - 2 theta)/theta: Q is conserved. */
  conserved: boolean;
}

function median(v: ArrayLike<number>, f: (x: number) => number = (x) => x): number {
  const a = Array.from(v, f).filter(Number.isFinite).sort((p, q) => p - q);
  if (a.length === 0) return NaN;
  const i = (a.length - 1) / 2;
  return (a[Math.floor(i)] + a[Math.ceil(i)]) / 2;
}

function maxAbs(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
  return s;
}

/** The summary of batch `b` of a frame (its trajectories [b count, (b + 1) count)). */
export function summarise(f: DiagFrame, b = 0): Summary {
  const from = b * f.count;
  const part = (v: ArrayLike<number>): ArrayLike<number> => Array.prototype.slice.call(v, from, from + f.count) as number[];
  return {
    t: f.t,
    gap: median(part(f.gap)),
    feas: median(part(f.feasibility)),
    obj: median(part(f.objective), Math.abs),
    energy: median(part(f.energy)),
    defect: maxAbs(part(f.defect)),
    gap0: f.gap[from],
    feas0: f.feasibility[from],
    obj0: Math.abs(f.objective[from]),
    Q0: Array.from({ length: f.m }, (_, j) => f.Q[from * f.m + j]),
  };
}

/** t^2-weighted running max over [t/2, t] of (t, v) pairs sorted by t. */
export function envelope(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i++) {
    const t = points[i][0];
    let mx = -Infinity;
    for (let j = i; j >= 0 && points[j][0] >= t / 2; j--) {
      const v = points[j][0] ** 2 * points[j][1];
      if (Number.isFinite(v) && v > mx) mx = v;
    }
    out.push([t, mx]);
  }
  return out;
}

export class PrimalDualCharts {
  private readonly gap: LineChart;
  private readonly feas: LineChart;
  private readonly obj: LineChart;
  private readonly env: LineChart;
  private readonly energy: LineChart;
  private readonly q: LineChart;
  private runs: BatchInfo[] = [];
  private data: Map<number, Summary>[] = [];
  private shadow = new Map<number, Summary>();
  private tMin = 1;
  private tMax = 10;
  private float32 = true;
  private dirty = true;
  private last = 0;

  constructor(parent: HTMLElement) {
    this.gap = new LineChart(parent, 'gap', 'gap G = D_f(x, x*) + β/2‖Ax−b‖² (median)', { xLabel: 't', yLabel: 'G', x: 'log', y: 'log' });
    this.feas = new LineChart(parent, 'feasibility', '‖Ax − b‖ (median)', { xLabel: 't', yLabel: '‖Ax−b‖', x: 'log', y: 'log' });
    this.obj = new LineChart(parent, 'objective', '|f(x) − f*| (median)', { xLabel: 't', yLabel: '|f − f*|', x: 'log', y: 'log' });
    this.env = new LineChart(parent, 'envelopes', 't²-weighted envelopes, max over [t/2, t]', { xLabel: 't', yLabel: 't²·(…)', x: 'log', y: 'log' });
    this.energy = new LineChart(parent, 'energy', 'E(t) (median) and identity defect', { xLabel: 't', yLabel: 'E', x: 'log', y: 'log' });
    this.q = new LineChart(parent, 'Q', '‖Q(t) − Q(t0)‖, trajectory 0', { xLabel: 't', yLabel: '‖ΔQ‖', x: 'log', y: 'log' });
  }

  reset(runs: BatchInfo[], tMin: number, tMax: number, float32: boolean): void {
    this.runs = runs;
    this.data = runs.map(() => new Map());
    this.shadow = new Map();
    this.tMin = tMin;
    this.tMax = tMax;
    this.float32 = float32;
    this.dirty = true;
    this.render(true);
  }

  /** Frames of the run: every batch's summary goes to its series. */
  add(frames: readonly DiagFrame[]): void {
    for (const f of frames) {
      for (let b = 0; b < Math.min(f.batches, this.data.length); b++) this.data[b].set(f.slot, summarise(f, b));
    }
    this.dirty = true;
  }

  addShadow(frames: readonly DiagFrame[]): void {
    for (const f of frames) this.shadow.set(f.slot, summarise(f));
    this.dirty = true;
  }

  /**
   * One sentence on the config's run at its latest recorded frame (the page's status summary):
   * t, the median gap and its t²-weighted envelope (bounded at α = 3, -> 0 inside the window).
   */
  summary(): string | undefined {
    const d = this.data[0];
    if (!d || d.size === 0) return undefined;
    const s = [...d.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    const last = s[s.length - 1];
    const env = envelope(s.map((v) => [v.t, v.gap]));
    const short = (v: number): string => (Number.isFinite(v) ? v.toPrecision(2) : 'not finite');
    return `t = ${last.t.toPrecision(3)}: median gap ${short(last.gap)}, t²-weighted gap ${short(env[env.length - 1][1])} (max over [t/2, t])`;
  }

  /** Redraw when something changed and `minMs` passed since the last redraw (force: now). */
  render(force = false, minMs = 150): void {
    const now = performance.now();
    if (!this.dirty || (!force && now - this.last < minMs)) return;
    this.dirty = false;
    this.last = now;
    const sorted = this.data.map((d) => [...d.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s));
    // The legend of every chart: one line per batch, in its series colour.
    const legend = this.runs.length > 1 ? this.runs.map((r, i) => ({ text: r.label, colour: alphaColour(i) })) : [];
    const attrs = (i: number, quantity: string): Record<string, string | number> => ({
      batch: i,
      alpha: this.runs[i].alpha,
      theta: this.runs[i].theta,
      value: this.runs[i].value,
      quantity,
    });
    const base = { xMin: this.tMin, xMax: this.tMax, empty: 'run to collect samples' };
    const per = (key: 'gap' | 'feas' | 'obj', ref: boolean): LineSeries[] =>
      sorted.map((s, i) => ({
        label: this.runs[i].label,
        colour: alphaColour(i),
        points: s.map((o) => [o.t, o[key]] as [number, number]),
        data: attrs(i, key),
        reference: ref ? -2 : undefined,
      }));
    const noise = (key: 'gap0' | 'feas0' | 'obj0'): LineSeries[] => {
      if (!this.float32 || sorted.length === 0) return [];
      const pts: [number, number][] = [];
      for (const [slot, f64] of [...this.shadow.entries()].sort((a, b) => a[0] - b[0])) {
        const f32 = this.data[0].get(slot);
        if (f32) pts.push([f64.t, Math.abs(f32[key] - f64[key])]);
      }
      return [{ label: 'float32 noise', colour: '#999', dash: '1 2', width: 1.2, points: pts, data: { quantity: `${key}-noise` } }];
    };
    const noteRef = { text: 'dotted: t⁻² refs; grey: |f32 − f64|, trajectory 0', colour: '#555' };
    const noteCpu = { text: 'dotted: t⁻² refs (CPU float64 run)', colour: '#555' };
    const n0 = this.float32 ? noteRef : noteCpu;
    this.gap.update({ ...base, series: [...per('gap', true), ...noise('gap0')], notes: [n0, ...legend] });
    this.feas.update({ ...base, series: [...per('feas', true), ...noise('feas0')], notes: [n0, ...legend] });
    this.obj.update({ ...base, series: [...per('obj', true), ...noise('obj0')], notes: [n0, ...legend] });
    const envSeries: LineSeries[] = [];
    sorted.forEach((s, i) => {
      const l = this.runs[i].label;
      envSeries.push({ label: `t²‖Ax−b‖ ${l}`, colour: alphaColour(i), points: envelope(s.map((o) => [o.t, o.feas])), data: attrs(i, 'feas-envelope') });
      envSeries.push({ label: `t²G ${l}`, colour: alphaColour(i), dash: '5 3', width: 1.2, points: envelope(s.map((o) => [o.t, o.gap])), data: attrs(i, 'gap-envelope') });
    });
    const nf = noise('feas0')[0];
    if (nf) envSeries.push({ ...nf, label: 't² float32 noise', points: envelope(nf.points) });
    this.env.update({ ...base, series: envSeries, notes: [{ text: 'solid ‖Ax−b‖, dashed G; grey: f32 noise' }, ...legend] });
    const eSeries: LineSeries[] = [];
    sorted.forEach((s, i) => {
      const l = this.runs[i].label;
      eSeries.push({ label: `E ${l}`, colour: alphaColour(i), points: s.map((o) => [o.t, o.energy]), data: attrs(i, 'energy') });
      eSeries.push({ label: `defect ${l}`, colour: alphaColour(i), dash: '1 2', width: 1.2, points: s.map((o) => [o.t, o.defect]), data: attrs(i, 'defect') });
    });
    this.energy.update({ ...base, series: eSeries, notes: [{ text: 'solid E(t), dotted max |E − E(t0) − ∫dE/dt|' }, ...legend] });
    const qSeries: LineSeries[] = sorted.map((s, i) => {
      const q0 = s[0]?.Q0;
      return {
        label: this.runs[i].label,
        colour: alphaColour(i),
        width: this.runs[i].conserved ? 2.2 : 1.2,
        points: s.map((o) => [o.t, q0 ? Math.hypot(...o.Q0.map((v, j) => v - q0[j])) : NaN] as [number, number]),
        data: { ...attrs(i, 'Q'), conserved: String(this.runs[i].conserved) },
      };
    });
    const conserved = this.runs.filter((r) => r.conserved).map((r) => r.label);
    this.q.update({
      ...base,
      series: qSeries,
      notes: [{ text: conserved.length ? `conserved (ξ = 0): ${conserved.join(', ')} (thick)` : 'no run at the boundary case (ξ = 0, p = (1−2θ)/θ)' }, ...legend],
    });
  }

  svgs(): { name: string; svg: string }[] {
    return [this.gap, this.feas, this.obj, this.env, this.energy, this.q].map((c) => ({ name: c.name, svg: c.svgText() }));
  }

  dispose(): void {
    for (const c of [this.gap, this.feas, this.obj, this.env, this.energy, this.q]) c.dispose();
  }
}
