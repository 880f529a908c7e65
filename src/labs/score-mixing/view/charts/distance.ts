// Log-log chart of the distance from particles to their limit (the nearest stable critical point
// of Phi_lam) against t, for a fixed sample of particles (the first ones in the buffer, which are
// i.i.d. draws). Shows the median and the 10-90% band, a few individual particles, the fitted
// slope over the small-t half of the run (t <= sqrt(T tMin), past the t = O(1) transient) and a
// dashed sqrt(t) reference through the last median: the theory says slope 1/2. The samples come
// from the run's fixed schedule (view/sample-schedule.ts), so their density does not depend on the
// speed; the fit uses only the samples inside its t-window, states how many, and waits for
// MIN_FIT_SAMPLES of them before it claims a slope.

import { axisBottom, axisLeft, line, area, scaleLog } from 'd3';
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

export class DistanceChart {
  private readonly svg: Svg;
  private samples: DistanceSample[] = [];
  fit: SlopeFit | null = null;
  private T = 1;
  private tMin = 1e-4;

  constructor(parent: HTMLElement) {
    this.svg = createChartSvg(parent, 'distance', 'distance to limit vs t (log-log)');
    this.render();
  }

  reset(T: number, tMin: number): void {
    this.samples = [];
    this.fit = null;
    this.T = T;
    this.tMin = tMin;
    this.render();
  }

  add(s: DistanceSample): void {
    this.addAll([s]);
  }

  /** Several samples, one render. */
  addAll(list: readonly DistanceSample[]): void {
    if (list.length === 0) return;
    for (const s of [...list].sort((a, b) => b.t - a.t)) {
      // A resumed or restored run may revisit t: keep the samples ordered and unique in t.
      this.samples = this.samples.filter((o) => o.t > s.t);
      this.samples.push(s);
    }
    const tFit = Math.sqrt(this.T * this.tMin);
    this.fit = fitLogLogSlope(
      this.samples.map((o) => o.t),
      this.samples.map((o) => o.median),
      tFit,
    );
    this.render();
  }

  get count(): number {
    return this.samples.length;
  }

  /** The sample at the smallest t so far (the newest of a run going down in t), or null. */
  get latest(): DistanceSample | null {
    return this.samples.length > 0 ? this.samples[this.samples.length - 1] : null;
  }

  /** The <desc>: samples, the latest median distance, the fitted slope against the theory's 1/2. */
  private describe(): string {
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
    const ys = this.samples.flatMap((s) => [s.p10, s.p90, ...s.traces]).filter((v) => v > 0 && Number.isFinite(v));
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

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }
}
