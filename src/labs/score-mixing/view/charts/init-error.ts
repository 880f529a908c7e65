// The Convergence panel's initialisation-error chart: the endpoint error of starting from the
// Gaussian N(0, 2T I) at T instead of u_T (the exact law at T) against T, log-log, with its fitted
// slope (../convergence-series.ts initFrame). Beside the error chart it shows the theory's second
// error source; it says so when the study returned no such arrays.

import type { Snapshot } from '../../../../io/snapshot-types';
import { LineChart } from '../../../shared/view/line-chart';
import { initFrame } from '../convergence-series';

const TITLE = 'initialisation error vs T (log-log)';

export class InitErrorChart {
  private readonly chart: LineChart;

  constructor(parent: HTMLElement) {
    this.chart = new LineChart(parent, 'convergence-init-error', TITLE, { xLabel: 'T', yLabel: 'RMS endpoint error', x: 'log', y: 'log' });
    this.clear();
  }

  /** The study's init_T / init_error arrays; false when it has none (the chart says so). */
  show(s: Snapshot): boolean {
    const frame = initFrame(s);
    this.chart.update(frame ?? { xMin: 1, xMax: 100, series: [], empty: 'this study returned no initialisation error' });
    return frame !== null;
  }

  clear(): void {
    this.chart.update({ xMin: 1, xMax: 100, series: [], empty: 'run the study to see the initialisation error' });
  }

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
