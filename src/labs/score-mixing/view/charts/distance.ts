// Log-log chart of the distance from particles to their limit (the nearest stable critical point
// of Phi_lam) against t, for a fixed sample of particles (the first ones in the buffer, which are
// i.i.d. draws). Shows the median and the 10-90% band, a few individual particles, the fitted
// slope over the small-t half of the run (t <= sqrt(T tMin), past the t = O(1) transient) and a
// dashed sqrt(t) reference through the last median: the theory says slope 1/2. The samples come
// from the run's fixed schedule (view/sample-schedule.ts), so their density does not depend on the
// speed; the fit uses only the samples inside its t-window, states how many, and waits for
// MIN_FIT_SAMPLES of them before it claims a slope.
// Compare mode: one series per batch (reset's `batches`: a label "λ = 0.5 (config)" and a colour
// each), every batch's median and 10-90% band overlaid in its colour with its own fitted slope, and
// a legend naming each batch with its slope (text.legend-entry, data-* for tests and readers);
// the individual traces and the single fit label are drawn only for a single batch.

import { axisBottom, axisLeft, line, area, scaleLog, type ScaleLogarithmic, type Selection } from 'd3';
import { fitLogLogSlope, type SlopeFit } from '../../../../math/slope';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, setChartDescription, svgText, type Svg } from '../../../shared/view/chart-svg';
import { OKABE_ITO } from '../../../shared/view/palette';

/** Fewer samples in the fit window than this: no slope is shown (two points always fit exactly). */
export const MIN_FIT_SAMPLES = 4;

export interface DistanceSample {
  t: number;
  median: number;
  p10: number;
  p90: number;
  /** Distances of the first few sampled particles (individual traces). */
  traces: number[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

export function summarise(t: number, distances: number[], traces = 8): DistanceSample {
  const finite = distances.filter((v) => Number.isFinite(v));
  const sorted = [...finite].sort((a, b) => a - b);
  return { t, median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), traces: distances.slice(0, traces) };
}

/** A compared batch as the chart names and colours it. */
export interface DistanceBatch {
  label: string;
  colour: string;
  lambda: number;
}

/** One batch's samples (ordered by decreasing t, unique in t) and their fit. */
interface BatchSeries extends DistanceBatch {
  samples: DistanceSample[];
  fit: SlopeFit | null;
}

/** A fit that may be shown: enough samples in the window and a finite slope. */
export function fitShown(f: SlopeFit | null): f is SlopeFit {
  return f !== null && f.n >= MIN_FIT_SAMPLES && Number.isFinite(f.slope);
}

export class DistanceChart {
  private readonly svg: Svg;
  private series: BatchSeries[] = [];
  private T = 1;
  private tMin = 1e-4;

  constructor(parent: HTMLElement) {
    this.svg = createChartSvg(parent, 'distance', 'distance to limit vs t (log-log)');
    this.reset(1, 1e-4);
  }

  /** Starts over for a run from T to tMin; `batches`: the compared batches (one series each; default one). */
  reset(T: number, tMin: number, batches: readonly DistanceBatch[] = [{ label: 'median', colour: OKABE_ITO.blue, lambda: NaN }]): void {
    this.series = batches.map((b) => ({ ...b, samples: [], fit: null }));
    this.T = T;
    this.tMin = tMin;
    this.render();
  }

  add(s: DistanceSample): void {
    this.addAll([s]);
  }

  /** Several samples of batch `batch`, one render. */
  addAll(list: readonly DistanceSample[], batch = 0): void {
    const series = this.series[batch];
    if (list.length === 0 || !series) return;
    for (const s of [...list].sort((a, b) => b.t - a.t)) {
      // A resumed or restored run may revisit t: keep the samples ordered and unique in t.
      series.samples = series.samples.filter((o) => o.t > s.t);
      series.samples.push(s);
    }
    const tFit = Math.sqrt(this.T * this.tMin);
    series.fit = fitLogLogSlope(
      series.samples.map((o) => o.t),
      series.samples.map((o) => o.median),
      tFit,
    );
    this.render();
  }

  /** Batch 0's fit (the config's own lambda). */
  get fit(): SlopeFit | null {
    return this.series[0]?.fit ?? null;
  }

  /** Every batch's fit, in batch order. */
  get fits(): (SlopeFit | null)[] {
    return this.series.map((s) => s.fit);
  }

  /** Batch 0's sample count. */
  get count(): number {
    return this.series[0]?.samples.length ?? 0;
  }

  /** Batch 0's sample at the smallest t so far (the newest of a run going down in t), or null. */
  get latest(): DistanceSample | null {
    const samples = this.series[0]?.samples ?? [];
    return samples.length > 0 ? samples[samples.length - 1] : null;
  }

  /** Batch 0's samples (the single-batch chart). */
  private get samples(): DistanceSample[] {
    return this.series[0]?.samples ?? [];
  }

  /** The <desc>: samples, the latest median distance, the fitted slope against the theory's 1/2 (per batch when compared). */
  private describe(): string {
    if (this.series.length > 1) {
      const parts = this.series.map((s) => {
        const last = s.samples[s.samples.length - 1];
        if (!last) return `${s.label}: no samples yet`;
        return `${s.label}: ${s.samples.length} samples, median ${fmt(last.median)} at t = ${fmt(last.t)}, ${fitShown(s.fit) ? `fitted slope ${fmt(s.fit.slope, 3)} over ${s.fit.n} samples` : 'no fitted slope yet'}`;
      });
      return `Distance of the particles to their nearest stable critical point against t, log-log, for ${this.series.length} compared runs (theory: slope 0.5): ${parts.join('; ')}.`;
    }
    const last = this.latest;
    if (!last) return 'Distance of the particles to their nearest stable critical point against t, log-log: no samples yet.';
    const f = this.fit;
    const fit = f && f.n >= MIN_FIT_SAMPLES && Number.isFinite(f.slope) ? `fitted slope ${fmt(f.slope, 3)} over ${f.n} samples (theory 0.5)` : 'no fitted slope yet';
    return `Distance of the particles to their nearest stable critical point against t, log-log: ${this.samples.length} samples, median ${fmt(last.median)} at t = ${fmt(last.t)}; ${fit}.`;
  }

  private render(): void {
    const svg = this.svg;
    svg.selectAll('g.plot').remove();
    const g = svg.append('g').attr('class', 'plot');
    const x = scaleLog().domain([this.tMin, this.T]).range([MARGIN.left, CHART_W - MARGIN.right]);
    const compared = this.series.length > 1;
    const ys = this.series.flatMap((b) => b.samples.flatMap((s) => [s.p10, s.p90, ...(compared ? [] : s.traces)])).filter((v) => v > 0 && Number.isFinite(v));
    const yMin = ys.length ? Math.min(...ys) : 1e-3;
    const yMax = ys.length ? Math.max(...ys) : 10;
    const y = scaleLog()
      .domain([Math.min(yMin, yMax / 10) / 1.5, yMax * 1.5])
      .range([CHART_H - MARGIN.bottom, MARGIN.top])
      .clamp(true);
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(axisBottom(x).ticks(5, '.0e'));
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(4, '.0e'));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text('t');
    g.append('text')
      .attr('transform', `translate(12,${(CHART_H - MARGIN.bottom + MARGIN.top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text('|X − x*|');
    setChartDescription(svg, this.describe());
    if (compared) {
      this.renderBatches(g, x, y);
      return;
    }
    if (this.samples.length === 0) {
      g.append('text').attr('x', CHART_W / 2).attr('y', CHART_H / 2).attr('text-anchor', 'middle').attr('fill', '#888').text('run to collect samples');
      return;
    }
    const pos = (v: number) => v > 0 && Number.isFinite(v);
    const band = area<DistanceSample>()
      .defined((s) => pos(s.p10) && pos(s.p90))
      .x((s) => x(s.t))
      .y0((s) => y(s.p10))
      .y1((s) => y(s.p90));
    g.append('path').attr('d', band(this.samples)).attr('fill', OKABE_ITO.blue).attr('opacity', 0.18);
    const nTraces = Math.max(0, ...this.samples.map((s) => s.traces.length));
    for (let k = 0; k < nTraces; k++) {
      const l = line<DistanceSample>()
        .defined((s) => pos(s.traces[k]))
        .x((s) => x(s.t))
        .y((s) => y(s.traces[k]));
      g.append('path').attr('d', l(this.samples)).attr('fill', 'none').attr('stroke', '#9ab').attr('stroke-width', 0.7);
    }
    const med = line<DistanceSample>()
      .defined((s) => pos(s.median))
      .x((s) => x(s.t))
      .y((s) => y(s.median));
    g.append('path').attr('class', 'median').attr('d', med(this.samples)).attr('fill', 'none').attr('stroke', OKABE_ITO.blue).attr('stroke-width', 2);
    const last = this.samples[this.samples.length - 1];
    if (pos(last.median)) {
      // sqrt(t) reference through the newest median.
      const c = last.median / Math.sqrt(last.t);
      const ref = [this.tMin, this.T].map((t) => [x(t), y(c * Math.sqrt(t))] as [number, number]);
      g.append('path').attr('d', line()(ref)).attr('stroke', '#555').attr('stroke-dasharray', '4 3').attr('fill', 'none');
    }
    const f = this.fit;
    let label = 'fit: waiting for t ≤ √(T·tMin)';
    if (f && f.n > 0 && f.n < MIN_FIT_SAMPLES) label = `fit: waiting for more samples (n = ${f.n} of ${MIN_FIT_SAMPLES})`;
    else if (f && Number.isFinite(f.slope)) {
      const tFit = Math.sqrt(this.T * this.tMin);
      const ts = [Math.max(this.tMin, Math.min(...this.samples.map((s) => s.t))), tFit];
      const pts = ts.map((t) => [x(t), y(Math.exp(f.intercept) * Math.pow(t, f.slope))] as [number, number]);
      g.append('path').attr('class', 'fit').attr('d', line()(pts)).attr('stroke', OKABE_ITO.vermillion).attr('stroke-width', 1.5).attr('fill', 'none');
      label = `fitted slope ${fmt(f.slope, 3)} (R² ${fmt(f.r2, 3)}, n = ${f.n})`;
    }
    const fitted = f !== null && f.n >= MIN_FIT_SAMPLES && Number.isFinite(f.slope);
    g.append('text')
      .attr('class', 'fit-label')
      .attr('x', MARGIN.left + 6)
      .attr('y', MARGIN.top + 10)
      .attr('fill', OKABE_ITO.vermillion)
      .attr('data-samples', this.samples.length)
      .attr('data-fit-n', f?.n ?? 0)
      .attr('data-fit-slope', fitted ? f.slope : '')
      .text(label);
    g.append('text').attr('x', MARGIN.left + 6).attr('y', MARGIN.top + 23).attr('fill', '#555').text('dashed: √t reference, blue: median, band 10–90%');
  }

  /** Compare mode: every batch's band, median and fit in its colour, and the legend. */
  private renderBatches(g: Selection<SVGGElement, undefined, null, undefined>, x: ScaleLogarithmic<number, number>, y: ScaleLogarithmic<number, number>): void {
    const pos = (v: number) => v > 0 && Number.isFinite(v);
    const tFit = Math.sqrt(this.T * this.tMin);
    this.series.forEach((s, b) => {
      if (s.samples.length === 0) return;
      const band = area<DistanceSample>()
        .defined((o) => pos(o.p10) && pos(o.p90))
        .x((o) => x(o.t))
        .y0((o) => y(o.p10))
        .y1((o) => y(o.p90));
      g.append('path').attr('class', 'band').attr('data-batch', b).attr('d', band(s.samples)).attr('fill', s.colour).attr('opacity', 0.1);
      const med = line<DistanceSample>()
        .defined((o) => pos(o.median))
        .x((o) => x(o.t))
        .y((o) => y(o.median));
      g.append('path')
        .attr('class', 'median')
        .attr('d', med(s.samples))
        .attr('fill', 'none')
        .attr('stroke', s.colour)
        .attr('stroke-width', 2)
        .attr('data-batch', b)
        .attr('data-lambda', s.lambda)
        .attr('data-label', s.label)
        .attr('data-samples', s.samples.length);
      if (fitShown(s.fit)) {
        const f = s.fit;
        const ts = [Math.max(this.tMin, Math.min(...s.samples.map((o) => o.t))), tFit];
        const pts = ts.map((t) => [x(t), y(Math.exp(f.intercept) * Math.pow(t, f.slope))] as [number, number]);
        g.append('path').attr('class', 'fit').attr('data-batch', b).attr('d', line()(pts)).attr('stroke', s.colour).attr('stroke-width', 1.2).attr('stroke-dasharray', '5 2').attr('fill', 'none');
      }
    });
    // The legend: a swatch in the batch's colour, the text in the chart's dark grey (readable on white whatever the colour).
    const legend = g.append('g').attr('class', 'legend');
    this.series.forEach((s, b) => {
      const yRow = MARGIN.top + 8 + 11 * b;
      const f = s.fit;
      const shown = fitShown(f);
      const text = `${s.label}: ${shown ? `slope ${fmt(f.slope, 3)} (n = ${f.n})` : s.samples.length === 0 ? 'no samples yet' : 'fit waiting'}`;
      legend.append('line').attr('x1', MARGIN.left + 6).attr('x2', MARGIN.left + 20).attr('y1', yRow - 3).attr('y2', yRow - 3).attr('stroke', s.colour).attr('stroke-width', 3);
      legend
        .append('text')
        .attr('class', 'legend-entry')
        .attr('x', MARGIN.left + 24)
        .attr('y', yRow)
        .attr('font-size', 9.5)
        .attr('fill', '#333')
        .attr('data-batch', b)
        .attr('data-lambda', s.lambda)
        .attr('data-colour', s.colour)
        .attr('data-samples', s.samples.length)
        .attr('data-fit-n', f?.n ?? 0)
        .attr('data-fit-slope', shown ? f.slope : '')
        .text(text);
    });
    g.append('text').attr('x', MARGIN.left + 6).attr('y', CHART_H - MARGIN.bottom - 6).attr('font-size', 9.5).attr('fill', '#555').text('medians, bands 10–90%, dashed: fits (theory 0.5)');
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }
}
