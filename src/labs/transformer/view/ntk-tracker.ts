// The page's two NTK features on top of the worker client (ntk-client.ts):
//  - lambda_min of the empirical NTK of the current heads, tracked during training when ntkEvery > 0
//    (the config field the CLI uses too; 0 = off): at the first picture past each multiple of
//    ntkEvery while the worker is free, and at the last picture of a run. Skipped, with the reason
//    shown, above MAX_NTK_OUTPUTS outputs or a prohibitive cost (ntk-jobs.ts).
//  - the injectivity check of the input sequences (button, or config.ntk), shown in the controls.
// A new run (reset()) drops answers that belong to the previous one.

import type { TransformerCharts } from './charts';
import type { Controls } from './controls';
import { NtkClient } from './ntk-client';
import { describeLse, lambdaSkipReason, type LseSummary } from './ntk-jobs';
import type { PictureData, TfRun } from './run';

export class NtkTracker {
  private readonly client = new NtkClient();
  private run: TfRun | null = null;
  private every = 0;
  private iteration = -1;
  private latest: PictureData | null = null;
  /** Why lambda_min is not tracked for this run (null: it is). */
  skip: string | null = null;
  /** The last injectivity check of this run's tokens (null: none, or the tokens changed since). */
  lse: LseSummary | null = null;

  constructor(
    private readonly charts: TransformerCharts,
    private readonly controls: Controls,
  ) {}

  reset(run: TfRun, ntkEvery: number): void {
    this.run = run;
    this.every = ntkEvery;
    this.iteration = -1;
    this.latest = null;
    this.lse = null;
    const m = run.model;
    this.skip = lambdaSkipReason(m.heads, m.tokens, m.readout, m.flow.stepper === 'heun');
    this.controls.setNote(this.skip ?? '');
    this.controls.showNtk(null, ['Tests whether the input sequences are injective for the NTK (log-sum-exp features independent modulo affine functions).']);
  }

  setEvery(ntkEvery: number): void {
    this.every = ntkEvery;
  }

  /** The tokens changed: the check is stale. */
  tokensChanged(): void {
    this.lse = null;
    this.controls.showNtk(null, ['Tokens changed: run the NTK check again.']);
  }

  onPicture(p: PictureData): void {
    this.latest = p;
    this.maybeLambda();
  }

  private maybeLambda(): void {
    const { run, latest: p } = this;
    if (!run || !p || this.skip || this.client.busy('lambda') || p.iteration === this.iteration) return;
    if (!(this.every > 0)) return;
    // The picture's own iteration decides (not the run's progress): a picture read back after the
    // run reached its end is not the last one, and sampling it added an extra lambda_min to the
    // export (seen under load: iterations 0, 8, 12 where the CLI has 0, 12).
    const last = run.halted || p.iteration >= run.target;
    const due = this.iteration < 0 || Math.floor(p.iteration / this.every) > Math.floor(this.iteration / this.every);
    if (!due && !last) return;
    this.iteration = p.iteration;
    const { tokens, readout, flow } = run.model;
    void this.client.run({ kind: 'lambda', iteration: p.iteration, heads: p.heads, tokens, readout, flow }).then((r) => {
      if (this.run !== run) return;
      if (r.kind === 'lambda') this.charts.addLambda(r.iteration, r.lambdaMin, r.lambdaMax);
      else if (r.kind === 'error') {
        this.skip = r.error;
        this.charts.setLambdaSkip(r.error);
        this.controls.setNote(r.error);
      }
      this.maybeLambda();
    });
  }

  check(): void {
    const run = this.run;
    if (!run || this.client.busy('lse')) return;
    this.controls.setNtkBusy(true);
    void this.client.run({ kind: 'lse', tokens: run.model.tokens }).then((r) => {
      this.controls.setNtkBusy(false);
      if (this.run !== run) return;
      if (r.kind === 'lse') {
        this.lse = r.result;
        const { verdict, lines } = describeLse(r.result);
        this.controls.showNtk(verdict, [...lines, `(${r.ms.toFixed(0)} ms${this.client.inWorker ? ', in a worker' : ''})`]);
      } else this.controls.showNtk(null, [`NTK check failed: ${r.kind === 'error' ? r.error : 'unexpected answer'}`]);
    });
  }

  dispose(): void {
    this.run = null;
    this.client.dispose();
  }
}
