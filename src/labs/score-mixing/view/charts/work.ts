// The Convergence panel's work chart, shown only when the study ran the adaptive integrator: RMS
// endpoint error against drift evaluations per particle (log-log) for the fixed-step integrators
// and the adaptive one's points by tolerance (../convergence-series.ts workFrame), the fair
// comparison of an error-controlled integrator with fixed steps.

import type { Snapshot } from '../../../../io/snapshot-types';
import { LineChart } from '../../../shared/view/line-chart';
import { workFrame } from '../convergence-series';

const TITLE = 'error vs drift evaluations (log-log)';

export class WorkChart {
  private readonly holder: HTMLDivElement;
  private readonly chart: LineChart;
  private shown = false;

  constructor(parent: HTMLElement) {
    this.holder = document.createElement('div');
    this.holder.hidden = true;
    parent.appendChild(this.holder);
    this.chart = new LineChart(this.holder, 'convergence-work', TITLE, { xLabel: 'evaluations per particle', yLabel: 'RMS endpoint error', x: 'log', y: 'log' });
  }

  /** Shows the study's adaptive points, or hides the chart when it has none; returns whether shown. */
  show(s: Snapshot): boolean {
    const frame = workFrame(s);
    if (frame) this.chart.update(frame);
    this.shown = frame !== null;
    this.holder.hidden = !this.shown;
    return this.shown;
  }

  get visible(): boolean {
    return this.shown;
  }

  setStale(stale: boolean): void {
    this.chart.setTitle(stale ? `${TITLE}, stale` : TITLE);
  }

  svgText(): string {
    return this.chart.svgText();
  }

  dispose(): void {
    this.holder.remove();
  }
}
