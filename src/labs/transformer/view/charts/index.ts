// The transformer page's charts (d3, in host.charts), fed by the page:
//   risk        R against training iteration, log y (every iteration the read-backs delivered)
//   lambda_min  smallest eigenvalue of the empirical NTK K = L H J J^T against iteration, log y,
//               computed every so often in the NTK worker (float64), or why it is not tracked
//   clusters    cluster count of the tokens against depth layer l (../clusters.ts: single
//               linkage below 0.1 sigma0), selected sequence and batch mean
//   heads       head particles with their displacement (heads.ts)
//   attention   weights of the selected token (attention.ts)
// Risk and lambda renders are coalesced: set*() marks them dirty, render() (from the frame) redraws
// at most every `minMs`.

import { fmt } from '../../../shared/view/chart-svg';
import { AttentionChart } from './attention';
import { HeadChart } from './heads';
import { LineChart, type LineSeries } from '../../../shared/view/line-chart';
import type { AttentionWeights } from '../attention';
import { CLUSTER_REL_THRESHOLD, type ClusterProfile } from '../clusters';
import type { HeadPicture } from '../heads';
import { CHART } from '../palette';

/** Points drawn per series at most: longer histories keep each bucket's min and max. */
const MAX_POINTS = 2000;

export function decimate(values: ArrayLike<number>, count: number): [number, number][] {
  const out: [number, number][] = [];
  if (count <= MAX_POINTS) {
    for (let i = 0; i < count; i++) out.push([i, values[i]]);
    return out;
  }
  const step = Math.ceil(count / (MAX_POINTS / 2));
  for (let s = 0; s < count; s += step) {
    let lo = s;
    let hi = s;
    for (let i = s; i < Math.min(count, s + step); i++) {
      if (!(values[i] >= values[lo])) lo = i;
      if (!(values[i] <= values[hi])) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) if (out.length === 0 || out[out.length - 1][0] !== i) out.push([i, values[i]]);
  }
  if (out[out.length - 1][0] !== count - 1) out.push([count - 1, values[count - 1]]);
  return out;
}

/** lambda_min and lambda_max of the empirical NTK at an iteration. */
export type LambdaPoint = [iteration: number, lambdaMin: number, lambdaMax: number];

/** lambda_min below this fraction of lambda_max is zero to float64 round-off: drawn hollow at the floor. */
export const LAMBDA_FLOOR = 1e-14;

export interface ChartSetup {
  iterations: number;
  hasTargets: boolean;
  tau: number;
  /** Why lambda_min is not tracked (null: it is). */
  lambdaSkip: string | null;
  /** lambda_min cadence: every `ntkEvery` iterations, 0: not tracked. */
  ntkEvery: number;
  L: number;
}

export class TransformerCharts {
  private readonly risk: LineChart;
  private readonly lambda: LineChart;
  private readonly clusters: LineChart;
  private readonly heads: HeadChart;
  private readonly attention: AttentionChart;
  private setup: ChartSetup = { iterations: 0, hasTargets: false, tau: 0, lambdaSkip: null, ntkEvery: 0, L: 1 };
  private riskValues: number[] = [];
  private lambdaPoints: LambdaPoint[] = [];
  private dirty = true;
  private last = 0;

  constructor(parent: HTMLElement) {
    this.risk = new LineChart(parent, 'risk', 'Risk R(θ) during training', { xLabel: 'iteration', yLabel: 'R', y: 'log' });
    this.lambda = new LineChart(parent, 'lambda-min', 'λ_min of the empirical NTK K = LH·JJᵀ', { xLabel: 'iteration', yLabel: 'λ_min', y: 'log' });
    this.clusters = new LineChart(parent, 'clusters', 'Token clusters through depth', { xLabel: 'layer l', yLabel: 'clusters', zeroBaseline: true });
    this.attention = new AttentionChart(parent);
    this.heads = new HeadChart(parent);
  }

  reset(setup: ChartSetup): void {
    this.setup = setup;
    this.riskValues = [];
    this.lambdaPoints = [];
    this.dirty = true;
    this.render(true);
  }

  /** The panel changed what keeps the run going (step size, budget, lambda_min cadence). */
  setSoft(tau: number, iterations: number, ntkEvery: number): void {
    this.setup = { ...this.setup, tau, iterations, ntkEvery };
    this.dirty = true;
  }

  /** risk[from + i] = values[i]. */
  setRisk(from: number, values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.riskValues[from + i] = values[i];
    this.dirty = true;
  }

  /** Keep the risk of iterations 0..last only (a restore or halt moved back). */
  truncateRisk(last: number): void {
    this.riskValues.length = Math.min(this.riskValues.length, last + 1);
    this.lambdaPoints = this.lambdaPoints.filter(([it]) => it <= last);
    this.dirty = true;
  }

  /** The risk values as held (no copy; holes where none came back yet): for per-frame reads. */
  riskView(): readonly (number | undefined)[] {
    return this.riskValues;
  }

  riskHistory(): number[] {
    return Array.from(this.riskValues, (v) => (v === undefined ? NaN : v));
  }

  addLambda(iteration: number, lambdaMin: number, lambdaMax: number): void {
    this.lambdaPoints = this.lambdaPoints.filter(([it]) => it !== iteration);
    this.lambdaPoints.push([iteration, lambdaMin, lambdaMax]);
    this.lambdaPoints.sort((a, b) => a[0] - b[0]);
    this.dirty = true;
  }

  lambdaHistory(): LambdaPoint[] {
    return this.lambdaPoints.map((p) => [...p]);
  }

  setLambdaSkip(reason: string | null): void {
    this.setup = { ...this.setup, lambdaSkip: reason };
    this.dirty = true;
  }

  setClusters(p: ClusterProfile | null): void {
    const L = this.setup.L;
    const series: LineSeries[] = p
      ? [
          { label: 'selected sequence', colour: CHART.selected, points: p.selected.map((c, l) => [l, c]), data: { quantity: 'selected' } },
          { label: 'batch mean', colour: CHART.primary, dash: '4 2', points: p.mean.map((c, l) => [l, c]), data: { quantity: 'mean' } },
        ]
      : [];
    const notes = p
      ? [
          { text: `single linkage: joined when |xᵢ − xⱼ| < ${CLUSTER_REL_THRESHOLD}·σ₀ = ${fmt(p.eps)}` },
          { text: `σ₀ = RMS spread of X⁰ = ${fmt(p.sigma0)}` },
          { text: `red: selected sequence; blue: mean of ${p.counted} of ${p.batch}` },
        ]
      : [];
    this.clusters.update({ xMin: 0, xMax: L, series, notes, integerX: true, empty: 'waiting for the token states' });
  }

  setHeads(pic: HeadPicture | null, note: string): void {
    this.heads.update(pic, this.setup.L, note);
  }

  setAttention(w: AttentionWeights | null, pi: ArrayLike<number> | null, note: string): void {
    this.attention.update(w, pi, note);
  }

  /** Redraw risk and lambda_min when changed and `minMs` passed since the last redraw (force: now). */
  render(force = false, minMs = 150): void {
    const now = performance.now();
    if (!this.dirty || (!force && now - this.last < minMs)) return;
    this.dirty = false;
    this.last = now;
    const s = this.setup;
    const known = this.riskValues.length;
    const xMax = Math.max(1, s.iterations, known - 1);
    const riskPts = decimate(this.riskHistory(), known);
    const lastRisk = known > 0 ? this.riskValues[known - 1] : NaN;
    this.risk.update({
      xMin: 0,
      xMax,
      series: [{ label: 'risk', colour: CHART.primary, points: riskPts, data: { quantity: 'risk' } }],
      notes: s.hasTargets
        ? [{ text: `τ = ${fmt(s.tau)}: θ ← θ − τLH ∂R/∂θ (full batch)` }, { text: known > 0 ? `R(${known - 1}) = ${fmt(lastRisk, 4)}${known > 1 ? `, R(0)/R = ${fmt(this.riskValues[0] / lastRisk)}` : ''}` : '' }]
        : [{ text: 'task "none": nothing to train' }, { text: 'choose a teacher or targets task' }],
      empty: s.hasTargets ? 'press ▶ to train' : 'no risk without a task',
    });
    const floor = (p: LambdaPoint) => Math.max(p[1], LAMBDA_FLOOR * p[2]);
    const zero = this.lambdaPoints.filter((p) => !(p[1] > LAMBDA_FLOOR * p[2]));
    this.lambda.update({
      xMin: 0,
      xMax,
      series: [
        { label: 'λ_max', colour: '#999', dash: '4 3', width: 1, points: this.lambdaPoints.map((p) => [p[0], p[2]]), data: { quantity: 'lambda-max' } },
        { label: 'λ_min', colour: CHART.lambdaMin, dots: true, points: this.lambdaPoints.map((p) => [p[0], floor(p)]), data: { quantity: 'lambda-min' } },
        { label: 'λ_min ≈ 0', colour: CHART.lambdaMin, dots: 'hollow', width: 0, points: zero.map((p) => [p[0], floor(p)]), data: { quantity: 'lambda-zero' } },
      ],
      notes: s.lambdaSkip
        ? [{ text: s.lambdaSkip.slice(0, 70), colour: CHART.warning }]
        : [
            { text: s.ntkEvery > 0 ? `float64 in a worker: every ${s.ntkEvery} iterations (when free) and at the end` : 'off: set "NTK λ_min every" > 0 to track it' },
            { text: 'grey: λ_max · hollow: λ_min < 1e-14·λ_max (≈ 0)' },
          ],
      empty: s.lambdaSkip ? 'not tracked for this model' : s.ntkEvery > 0 ? 'computing…' : 'not tracked (NTK λ_min every = 0)',
    });
  }

  svgs(): { name: string; svg: string }[] {
    return [this.risk, this.lambda, this.clusters, this.attention, this.heads].map((c) => ({ name: c.name, svg: c.svgText() }));
  }

  dispose(): void {
    for (const c of [this.risk, this.lambda, this.clusters, this.attention, this.heads]) c.dispose();
  }
}
