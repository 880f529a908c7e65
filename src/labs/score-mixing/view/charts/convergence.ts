// The Convergence panel's error chart: RMS endpoint error of each integrator against the number of
// steps on log-log axes, the fitted order in the legend ("rk4, order 3.97"), dotted theory slopes
// (-1, -2, -4) and the rounding floor when the study states one (series from
// ../convergence-series.ts). A stale result says so in the title, which the export keeps too.

import type { Snapshot } from '../../../../io/snapshot-types';
import { LineChart } from '../../../shared/view/line-chart';
import { errorFrame } from '../convergence-series';

const TITLE = 'error vs steps (log-log)';

export class ConvergenceChart {
  private readonly chart: LineChart;

  constructor(parent: HTMLElement) {
    this.chart = new LineChart(parent, 'convergence-error', TITLE, { xLabel: 'steps N', yLabel: 'RMS endpoint error', x: 'log', y: 'log' });
    this.clear();
  }

  show(s: Snapshot): void {
    this.chart.update(errorFrame(s));
  }

  clear(): void {
    this.chart.update({ xMin: 1, xMax: 100, series: [], empty: 'run the study to see the errors' });
  }

  /** Marks (or unmarks) the plotted result as computed for another config. */
  setStale(stale: boolean): void {
    this.chart.setTitle(stale ? `${TITLE}, stale` : TITLE);
  }

  svgText(): string {
    return this.chart.svgText();
  }

  dispose(): void {
    this.chart.dispose();
  }
}
