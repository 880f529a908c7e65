// Training with the float64 reference, for the page without WebGPU (at the sizes reduceForCpu
// allows): reference.trainStep per iteration inside a per-frame time budget, then one forward pass
// of the current heads for the picture and the risk after the last update. Same events as the GPU
// run, delivered synchronously. A non-finite risk halts like the GPU trainer does: the heads go
// back to the last ones with a finite risk and training stops until tau changes or a reset.

import { cloneHeads } from '../heads';
import { forward, riskAndCotangent, trainStep } from '../reference';
import type { Heads, TokenBatch, TransformerModel } from '../types';
import type { RunEvents, TfRun } from './run';

export class CpuTfRun implements TfRun {
  readonly kind = 'cpu' as const;
  iteration = 0;
  halted = false;
  /** Every update runs synchronously inside frame(): applied is completed. */
  get completed(): number {
    return this.iteration;
  }
  target: number;
  private heads: Heads;
  /** Heads after iteration - 1 updates (what a halt at `iteration` restores). */
  private previous: Heads | null = null;
  private risk: number[] = [];
  private tau: number;
  private needForward = true;
  private lastStates: Float64Array | null = null;

  constructor(
    public model: TransformerModel,
    private readonly events: RunEvents,
  ) {
    this.heads = cloneHeads(model.heads);
    this.tau = model.tau;
    this.target = model.targets ? model.iterations : 0;
  }

  frame(steps: number, _now: number, budgetMs = 12): number {
    const { model } = this;
    const Y = model.targets;
    const start = performance.now();
    let did = 0;
    const from = this.iteration;
    while (Y && !this.halted && did < steps && this.iteration < this.target) {
      const before = cloneHeads(this.heads);
      const r = trainStep(this.heads, model.tokens, model.readout, Y, model.flow, this.tau);
      if (!Number.isFinite(r)) {
        this.halt(before);
        break;
      }
      this.risk[this.iteration] = r;
      this.previous = before;
      this.iteration++;
      did++;
      if (performance.now() - start > budgetMs) break;
    }
    if (did > 0 || this.needForward) {
      this.needForward = false;
      const traj = forward(this.heads, model.tokens, model.flow);
      if (Y) {
        const r = riskAndCotangent(model.readout, model.tokens, traj.states[this.heads.L], Y).risk;
        if (Number.isFinite(r)) this.risk[this.iteration] = r;
        else {
          this.halt(this.heads);
          return did;
        }
      }
      const S = traj.states[0].length;
      const states = new Float64Array((this.heads.L + 1) * S);
      traj.states.forEach((X, l) => states.set(X, l * S));
      this.lastStates = states;
      if (Y) this.events.risk(Math.min(from, this.iteration), this.risk.slice(Math.min(from, this.iteration), this.iteration + 1));
      this.events.picture({ iteration: this.iteration, states, heads: cloneHeads(this.heads) });
    }
    return did;
  }

  /** The risk of `this.iteration`'s heads was not finite: back to the previous heads, stop. */
  private halt(current: Heads): void {
    const haltIteration = this.iteration;
    if (this.previous && haltIteration > 0) {
      this.heads = this.previous;
      this.iteration = haltIteration - 1;
    } else this.heads = current;
    this.previous = null;
    this.halted = true;
    this.needForward = true;
    this.risk.length = this.iteration + 1;
    this.events.halted(haltIteration, this.iteration);
  }

  setTau(tau: number): void {
    this.tau = tau;
    if (this.halted) {
      this.halted = false;
      this.needForward = true;
    }
  }

  setData(tokens: TokenBatch, targets: Float64Array | null): void {
    this.model = { ...this.model, tokens, targets: targets ?? this.model.targets };
    this.needForward = true;
  }

  continueFrom(heads: Heads, iteration: number): void {
    this.heads = cloneHeads(heads);
    this.previous = null;
    this.iteration = this.model.targets ? iteration : 0;
    this.risk.length = Math.min(this.risk.length, this.iteration);
    this.halted = false;
    this.needForward = true;
  }

  /** The CPU run is capped small (reduceForCpu), so pictures are cheap: one per frame that trained. */
  pictureCost(_ms: number): void {}

  requestPicture(): void {
    if (!this.lastStates) this.needForward = true;
    else this.events.picture({ iteration: this.iteration, states: this.lastStates, heads: cloneHeads(this.heads) });
  }

  async exactHeads(): Promise<{ Q: Float64Array; K: Float64Array; V: Float64Array }> {
    return { Q: Float64Array.from(this.heads.Q), K: Float64Array.from(this.heads.K), V: Float64Array.from(this.heads.V) };
  }

  async exactStates(): Promise<Float64Array> {
    const traj = forward(this.heads, this.model.tokens, this.model.flow);
    const S = traj.states[0].length;
    const out = new Float64Array(traj.states.length * S);
    traj.states.forEach((X, l) => out.set(X, l * S));
    return out;
  }

  async exactRisk(from: number): Promise<Float64Array> {
    if (!this.model.targets) return new Float64Array(0);
    if (this.risk[this.iteration] === undefined) {
      const traj = forward(this.heads, this.model.tokens, this.model.flow);
      this.risk[this.iteration] = riskAndCotangent(this.model.readout, this.model.tokens, traj.states[this.heads.L], this.model.targets).risk;
    }
    return Float64Array.from(this.risk.slice(from, this.iteration + 1), (v) => (v === undefined ? NaN : v));
  }

  dispose(): void {
    this.lastStates = null;
  }
}
