// Bifurcation chart in lambda: for lambda on a grid over [0, lambdaMax], the stable critical
// points of Phi_lam (analysis.ts), drawn by their horizontal picture coordinate (the x-axis of the
// main view). Births and deaths of each pair's point (lambdaIntervals) are marked with triangles
// (green up: born, red down: dies) at c_ab(lambda) = lambda a + (1 - lambda) b. A vertical line
// marks the current lambda; clicking the chart picks lambda (onPick).
// Recomputed only when the atoms, the axis or lambdaMax change; moving lambda only moves the line.
// Compare mode: the compared batches' lambdas are marked too, each a dashed line in its batch's
// colour (line.batch-lambda, data-batch), and lambdaMax covers the largest of them.

import { axisBottom, axisLeft, pointer, scaleLinear } from 'd3';
import { lambdaIntervals, stableCriticalPoints } from '../../analysis';
import type { Measure } from '../../types';
import { CHART_H, CHART_W, MARGIN, createChartSvg, fmt, setChartDescription, svgText, type Svg } from '../../../shared/view/chart-svg';
import { OKABE_ITO } from '../../../shared/view/palette';

interface Dot {
  lambda: number;
  v: number;
}

/** A compared batch's lambda (batches 1..B-1) and its colour. */
export interface ComparedLambda {
  lambda: number;
  colour: string;
  batch: number;
}

export class LambdaChart {
  private readonly svg: Svg;
  private dots: Dot[] = [];
  private births: Dot[] = [];
  private deaths: Dot[] = [];
  private lambdaMax = 2;
  private lambda = 0.5;
  private axis = 0;
  private compared: readonly ComparedLambda[] = [];
  error: string | null = null;

  constructor(
    parent: HTMLElement,
    private readonly onPick: (lambda: number) => void,
  ) {
    this.svg = createChartSvg(parent, 'lambda', 'stable critical points vs λ');
    this.svg.style('cursor', 'crosshair').on('click', (ev: MouseEvent) => {
      const [px] = pointer(ev, this.svg.node());
      const x = this.xScale();
      const l = x.invert(px);
      if (px >= MARGIN.left && px <= CHART_W - MARGIN.right) this.onPick(Math.round(Math.max(0, l) * 100) / 100);
    });
    this.render();
  }

  private xScale() {
    return scaleLinear().domain([0, this.lambdaMax]).range([MARGIN.left, CHART_W - MARGIN.right]);
  }

  /** Recompute the diagram for these measures; `axis` is the coordinate drawn vertically; `compared`: the other batches' lambdas. */
  update(mu1: Measure, mu2: Measure, axis: number, lambda: number, compared: readonly ComparedLambda[] = []): void {
    this.axis = axis;
    this.lambda = lambda;
    this.compared = compared;
    this.lambdaMax = Math.min(10, Math.max(2, Math.ceil(Math.max(lambda, ...compared.map((c) => c.lambda)) * 1.25)));
    const d = mu1.d;
    const work = mu1.n * mu2.n;
    const samples = work > 4000 ? 24 : work > 400 ? 60 : 160;
    this.dots = [];
    this.births = [];
    this.deaths = [];
    this.error = null;
    try {
      for (let s = 0; s <= samples; s++) {
        const l = (this.lambdaMax * s) / samples;
        for (const cp of stableCriticalPoints(mu1, mu2, l)) this.dots.push({ lambda: l, v: cp.x[axis] });
      }
      const at = (a: number, b: number, l: number) => l * mu1.points[a * d + axis] + (1 - l) * mu2.points[b * d + axis];
      for (const iv of lambdaIntervals(mu1, mu2, this.lambdaMax)) {
        if (iv.b < 0) continue; // a bisector-sliding guidance point: shown by the dots only
        // lambda = 1 is where the regime changes, not a birth or death.
        const edge = (l: number) => l > 1e-9 && Math.abs(l - 1) > 1e-9 && l < this.lambdaMax - 1e-9;
        if (edge(iv.from)) this.births.push({ lambda: iv.from, v: at(iv.a, iv.b, iv.from) });
        if (edge(iv.to)) this.deaths.push({ lambda: iv.to, v: at(iv.a, iv.b, iv.to) });
      }
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.render();
  }

  setLambda(lambda: number): void {
    this.lambda = lambda;
    if (lambda > this.lambdaMax) return; // the caller re-runs update() to widen the range
    this.svg.select('line.current').attr('x1', this.xScale()(lambda)).attr('x2', this.xScale()(lambda));
  }

  get range(): number {
    return this.lambdaMax;
  }

  private render(): void {
    const svg = this.svg;
    svg.selectAll('g.plot').remove();
    const g = svg.append('g').attr('class', 'plot');
    setChartDescription(
      svg,
      `Stable critical points of Phi_lambda, coordinate ${this.axis}, against lambda: ${this.births.length} births and ${this.deaths.length} deaths of critical points over lambda from 0 to ${fmt(this.lambdaMax)}; current lambda ${fmt(this.lambda)}${this.compared.length ? `, compared with ${this.compared.map((c) => fmt(c.lambda)).join(', ')}` : ''}.${this.error ? ` ${this.error}` : ''}`,
    );
    const x = this.xScale();
    const vs = [...this.dots, ...this.births, ...this.deaths].map((p) => p.v).filter(Number.isFinite);
    const lo = vs.length ? Math.min(...vs) : -1;
    const hi = vs.length ? Math.max(...vs) : 1;
    const pad = Math.max(0.1, 0.08 * (hi - lo));
    const y = scaleLinear().domain([lo - pad, hi + pad]).range([CHART_H - MARGIN.bottom, MARGIN.top]);
    g.append('g').attr('transform', `translate(0,${CHART_H - MARGIN.bottom})`).call(axisBottom(x).ticks(6));
    g.append('g').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5));
    g.append('text').attr('x', CHART_W - MARGIN.right).attr('y', CHART_H - 4).attr('text-anchor', 'end').text('λ');
    g.append('text')
      .attr('transform', `translate(12,${(CHART_H - MARGIN.bottom + MARGIN.top) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(`x*[${this.axis}]`);
    if (this.lambdaMax > 1) {
      g.append('rect')
        .attr('x', x(1))
        .attr('y', MARGIN.top)
        .attr('width', x(this.lambdaMax) - x(1))
        .attr('height', CHART_H - MARGIN.bottom - MARGIN.top)
        .attr('fill', '#f4efe4');
      g.append('text').attr('x', x(1) + 4).attr('y', MARGIN.top + 10).attr('fill', '#a08050').text('guidance λ > 1');
    }
    g.selectAll('circle.cp')
      .data(this.dots)
      .join('circle')
      .attr('class', 'cp')
      .attr('cx', (p) => x(p.lambda))
      .attr('cy', (p) => y(p.v))
      .attr('r', 1.4)
      .attr('fill', '#333');
    const tri = (p: Dot, up: boolean) => {
      const cx = x(p.lambda);
      const cy = y(p.v);
      return up ? `M${cx},${cy - 4}L${cx + 4},${cy + 3}L${cx - 4},${cy + 3}Z` : `M${cx},${cy + 4}L${cx + 4},${cy - 3}L${cx - 4},${cy - 3}Z`;
    };
    g.selectAll('path.birth').data(this.births).join('path').attr('class', 'birth').attr('d', (p) => tri(p, true)).attr('fill', OKABE_ITO.bluishGreen);
    g.selectAll('path.death').data(this.deaths).join('path').attr('class', 'death').attr('d', (p) => tri(p, false)).attr('fill', OKABE_ITO.vermillion);
    for (const c of this.compared) {
      g.append('line')
        .attr('class', 'batch-lambda')
        .attr('data-batch', c.batch)
        .attr('data-lambda', c.lambda)
        .attr('x1', x(c.lambda))
        .attr('x2', x(c.lambda))
        .attr('y1', MARGIN.top)
        .attr('y2', CHART_H - MARGIN.bottom)
        .attr('stroke', c.colour)
        .attr('stroke-dasharray', '4 2')
        .attr('stroke-width', 1.5);
    }
    g.append('line')
      .attr('class', 'current')
      .attr('x1', x(this.lambda))
      .attr('x2', x(this.lambda))
      .attr('y1', MARGIN.top)
      .attr('y2', CHART_H - MARGIN.bottom)
      .attr('stroke', OKABE_ITO.blue)
      .attr('stroke-width', 1.5);
    if (this.error) g.append('text').attr('x', MARGIN.left + 4).attr('y', MARGIN.top + 24).attr('fill', '#c00').text(this.error.slice(0, 60));
  }

  svgText(): string {
    return svgText(this.svg);
  }

  dispose(): void {
    this.svg.remove();
  }
}
