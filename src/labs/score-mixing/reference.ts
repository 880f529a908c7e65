// Float64 CPU reference of the score-mixing lab: the same mixed denoiser, time grid, integrators
// and counter-based noise as the WGSL kernels (NUMERICS.md, followed literally), so GPU tests can
// compare step for step, and the lab can run without WebGPU. Integrator 'adaptive' steps each
// particle with the embedded pair of adaptive.ts (the twin of generate-adaptive.wgsl).

import { denoiseAt, sqDistToSupport, heatPotential } from '../../math/heat';
import { OnlineLogSumExp } from '../../math/logsumexp';
import { INITIAL_STEP, normal, normalsInto, uniformPair } from '../../math/rng';
import { geometricGrid, recordSteps } from '../../math/timegrid';
import { ADAPTIVE_WORKGROUP, AdaptiveStepper, BOGACKI_SHAMPINE, emptyStats, type AdaptiveStats } from './adaptive';
import type { Integrator, Measure, ParticlesInput, Sampler } from './types';

/** Tolerance of the adaptive integrator when the options give none (the config's default). */
export const DEFAULT_TOL = 1e-4;

export interface SamplerOptions {
  mu1: Measure;
  mu2: Measure;
  lambda: number;
  T: number;
  tMin: number;
  steps: number;
  sampler: Sampler;
  beta: number;
  integrator: Integrator;
  seed: number;
  /** Error tolerance of integrator 'adaptive' (default DEFAULT_TOL); ignored by the others. */
  tol?: number;
}

/**
 * Mixed denoiser with its own scratch, so the samplers' inner loops allocate nothing.
 * m_lam = lambda m1 + (1 - lambda) m2 (affine when lambda > 1: guidance extrapolates).
 */
class MixedDenoiser {
  private readonly m1: Float64Array;
  private readonly m2: Float64Array;
  private readonly acc = new OnlineLogSumExp();

  constructor(
    private readonly mu1: Measure,
    private readonly mu2: Measure,
  ) {
    this.m1 = new Float64Array(mu1.d);
    this.m2 = new Float64Array(mu2.d);
  }

  /** Writes m_lam(t, x[xOff..]) into out[outOff..]. */
  into(lambda: number, t: number, x: ArrayLike<number>, xOff: number, out: Float64Array, outOff: number): void {
    denoiseAt(this.mu1, t, x, xOff, this.m1, 0, this.acc);
    denoiseAt(this.mu2, t, x, xOff, this.m2, 0, this.acc);
    const mu = 1 - lambda;
    for (let i = 0; i < this.m1.length; i++) out[outOff + i] = lambda * this.m1[i] + mu * this.m2[i];
  }
}

/** Guards the API boundary: every formula assumes both measures live in the same R^d. */
function checkSameDimension(mu1: Measure, mu2: Measure): void {
  if (mu1.d !== mu2.d) throw new Error(`score-mixing: mu1 is in R^${mu1.d} but mu2 is in R^${mu2.d}`);
}

/**
 * m_lam(t,x) = lambda m1 + (1 - lambda) m2: the only thing the mixed score needs, since
 * s = -(x - m_lam)/(2t). Exposed for GPU tests that check the denoiser kernel alone.
 */
export function mixedDenoise(
  mu1: Measure,
  mu2: Measure,
  lambda: number,
  t: number,
  x: ArrayLike<number>,
  out: Float64Array,
): void {
  checkSameDimension(mu1, mu2);
  new MixedDenoiser(mu1, mu2).into(lambda, t, x, 0, out, 0);
}

/**
 * Phi_lam^t(x) = lambda phi1^t + (1 - lambda) phi2^t, the landscape the ODE descends
 * (dX/dtau = -(1/4) grad Phi_lam^t); for plots and convergence checks at finite t.
 */
export function potentialAt(mu1: Measure, mu2: Measure, lambda: number, t: number, x: ArrayLike<number>): number {
  return lambda * heatPotential(mu1, t, x) + (1 - lambda) * heatPotential(mu2, t, x);
}

/**
 * Phi_lam(x) = lambda d1^2 + (1 - lambda) d2^2, the t -> 0 limit of potentialAt; piecewise
 * quadratic on the overlay-Voronoi cells, which is what the analysis module reasons about.
 */
export function limitPotential(mu1: Measure, mu2: Measure, lambda: number, x: ArrayLike<number>): number {
  return lambda * sqDistToSupport(mu1, x) + (1 - lambda) * sqDistToSupport(mu2, x);
}

/**
 * Particles at t = T, count*d row-major. {count, seed}: X_i = sqrt(2T) z with the initial-step
 * noise of NUMERICS.md, i.e. the heat flow of a point mass at 0, identical to the GPU's draw.
 */
export function initialParticles(d: number, T: number, particles: ParticlesInput): Float64Array {
  if ('points' in particles) {
    const out = new Float64Array(particles.points.length * d);
    particles.points.forEach((p, i) => {
      if (p.length !== d) throw new Error(`particles.points[${i}] has length ${p.length}, expected d = ${d}`);
      for (let j = 0; j < d; j++) out[i * d + j] = p[j];
    });
    return out;
  }
  const { count, seed } = particles;
  const out = new Float64Array(count * d);
  const scale = Math.sqrt(2 * T);
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) out[i * d + j] = scale * normal(seed, i, INITIAL_STEP, j);
  return out;
}

/**
 * `count` exact samples of u(T) = m * G_T (atom by weight, plus N(0, 2T I)), for flow-invariance
 * experiments (spec checks R4, R11). Not part of NUMERICS.md: the atom uniform uses Threefry pair
 * index 0x7fffffff at the initial step, a counter no normal of dimension < 2^32 ever uses.
 */
export function sampleHeatFlow(m: Measure, T: number, count: number, seed: number): Float64Array {
  const { d, n, points, weights } = m;
  const out = new Float64Array(count * d);
  const scale = Math.sqrt(2 * T);
  for (let i = 0; i < count; i++) {
    const u = uniformPair(seed, i, INITIAL_STEP, 0x7fffffff)[0];
    let atom = 0;
    for (let c = weights[0]; atom < n - 1 && u > c; c += weights[++atom]);
    for (let j = 0; j < d; j++) out[i * d + j] = points[atom * d + j] + scale * normal(seed, i, INITIAL_STEP, j);
  }
  return out;
}

/**
 * Step-by-step float64 sampler on the geometric grid. Holds the state so the page's no-WebGPU
 * fallback and the GPU tests can advance it one step at a time and change lambda mid-run.
 */
export class ReferenceSampler {
  readonly d: number;
  readonly count: number;
  /** t_0 = T > ... > t_K = tMin. */
  readonly grid: Float64Array;
  private readonly opts: SamplerOptions;
  private readonly beta: number;
  /** Uniform step in tau = -log t (heun, rk4). */
  private readonly h: number;
  private lambda: number;
  private kNow = 0;
  private cur: Float64Array;
  private next: Float64Array;
  private readonly mix: MixedDenoiser;
  // Per-particle scratch: mean, noise, RK stages, stage point.
  private readonly m: Float64Array;
  private readonly z: Float64Array;
  private readonly stages: Float64Array[];
  private readonly xs: Float64Array;
  /** Integrator 'adaptive' only: the embedded pair, its tolerance and the work it did. */
  private readonly adaptive: AdaptiveStepper | null;
  private readonly tol: number;
  private readonly work: AdaptiveStats = emptyStats();

  constructor(opts: SamplerOptions, x0: Float64Array) {
    checkSameDimension(opts.mu1, opts.mu2);
    if (opts.sampler === 'sde' && opts.integrator !== 'exp') {
      throw new Error(`integrator '${opts.integrator}' is ODE-only; the SDE sampler needs integrator 'exp'`);
    }
    if (opts.sampler === 'sde' && !(Number.isFinite(opts.beta) && opts.beta >= 0)) {
      throw new Error(`beta must be finite and >= 0, got ${opts.beta}`);
    }
    if (!Number.isFinite(opts.lambda)) throw new Error(`lambda must be finite, got ${opts.lambda}`);
    this.tol = opts.tol ?? DEFAULT_TOL;
    if (opts.integrator === 'adaptive' && !(this.tol > 0 && Number.isFinite(this.tol))) {
      throw new Error(`tol must be finite and > 0, got ${opts.tol}`);
    }
    const d = opts.mu1.d;
    if (x0.length % d !== 0) throw new Error(`x0 has length ${x0.length}, not a multiple of d = ${d}`);
    this.opts = opts;
    this.d = d;
    this.count = x0.length / d;
    this.grid = geometricGrid(opts.T, opts.tMin, opts.steps);
    this.beta = opts.sampler === 'ode' ? 0 : opts.beta;
    this.h = (1 / opts.steps) * Math.log(opts.T / opts.tMin);
    this.lambda = opts.lambda;
    this.cur = Float64Array.from(x0);
    this.next = new Float64Array(x0.length);
    this.mix = new MixedDenoiser(opts.mu1, opts.mu2);
    this.m = new Float64Array(d);
    this.z = new Float64Array(d);
    this.stages = [0, 1, 2, 3].map(() => new Float64Array(d));
    this.xs = new Float64Array(d);
    this.adaptive =
      opts.integrator === 'adaptive'
        ? new AdaptiveStepper(BOGACKI_SHAMPINE, d, (t, y, out) => {
            this.mix.into(this.lambda, t, y, 0, out, 0);
            for (let i = 0; i < d; i++) out[i] = -(y[i] - out[i]) / 2;
          })
        : null;
    for (let i = 0; i < this.cur.length; i++) {
      if (!Number.isFinite(this.cur[i])) {
        throw new Error(`initial particle ${Math.floor(i / d)} has a non-finite coordinate (${this.cur[i]})`);
      }
    }
  }

  /** Index of the current grid time. */
  get k(): number {
    return this.kNow;
  }

  get t(): number {
    return this.grid[this.kNow];
  }

  /** Current positions, count*d. A live buffer that step() replaces: copy it to keep a frame. */
  get x(): Float64Array {
    return this.cur;
  }

  get done(): boolean {
    return this.kNow >= this.opts.steps;
  }

  /** Work of integrator 'adaptive' so far, summed over particles (null for the fixed-step integrators). */
  get stats(): AdaptiveStats | null {
    return this.adaptive ? { ...this.work } : null;
  }

  /** Interactive guidance strength: takes effect from the next step, the grid is unchanged. */
  setLambda(lambda: number): void {
    if (!Number.isFinite(lambda)) throw new Error(`lambda must be finite, got ${lambda}`);
    this.lambda = lambda;
  }

  /**
   * Advances every particle from t_k to t_{k+1}. Writes into a second buffer and swaps only on
   * success, so a blow-up leaves the state at step k for inspection; the error names the first
   * non-finite particle because a silent NaN would poison every later chart and statistic.
   */
  step(): void {
    if (this.done) return;
    const k = this.kNow;
    const t = this.grid[k];
    const tNext = this.grid[k + 1];
    const { d, count } = this;
    let groupAttempts = 0;
    for (let p = 0; p < count; p++) {
      const off = p * d;
      if (this.opts.integrator === 'exp') this.expStep(p, off, k, t, tNext);
      else if (this.adaptive) groupAttempts = Math.max(groupAttempts, this.adaptiveStep(p, off, k));
      else this.rkStep(off, k);
      // The kernel's workgroups run in lock step until their slowest particle is done (workgroups of
      // consecutive particles; a culled GPU run groups them in k-d order instead, particleAt).
      if (this.adaptive && (p % ADAPTIVE_WORKGROUP === ADAPTIVE_WORKGROUP - 1 || p === count - 1)) {
        const members = (p % ADAPTIVE_WORKGROUP) + 1;
        this.work.lockstepEvaluations += members * this.adaptive.evaluations(groupAttempts);
        groupAttempts = 0;
      }
      for (let i = 0; i < d; i++) {
        if (!Number.isFinite(this.next[off + i])) {
          throw new Error(
            `score-mixing reference: particle ${p} became non-finite at step ${k} (t = ${t} -> ${tNext}, ` +
              `lambda = ${this.lambda}); try more steps or a smaller lambda`,
          );
        }
      }
    }
    const swap = this.cur;
    this.cur = this.next;
    this.next = swap;
    this.kNow = k + 1;
  }

  /** Exponential step, m frozen: x' = m + r^((1+beta)/2)(x - m) + sqrt(2 t'(1 - r^beta)) z. */
  private expStep(p: number, off: number, k: number, t: number, tNext: number): void {
    const { d, beta, m, z } = this;
    const r = tNext / t;
    this.mix.into(this.lambda, t, this.cur, off, m, 0);
    const contraction = beta === 0 ? Math.sqrt(r) : Math.pow(r, (1 + beta) / 2);
    if (beta === 0) {
      for (let i = 0; i < d; i++) this.next[off + i] = m[i] + contraction * (this.cur[off + i] - m[i]);
      return;
    }
    const sigma = Math.sqrt(2 * tNext * (1 - Math.pow(r, beta)));
    normalsInto(this.opts.seed, p, k, d, z);
    for (let i = 0; i < d; i++) this.next[off + i] = m[i] + contraction * (this.cur[off + i] - m[i]) + sigma * z[i];
  }

  /**
   * Adaptive substeps of particle p through interval k (adaptive.ts); returns its trial steps.
   * Running out of MAX_ATTEMPTS is an error naming the particle, the step and tol.
   */
  private adaptiveStep(p: number, off: number, k: number): number {
    const stepper = this.adaptive as AdaptiveStepper;
    const { d, xs } = this;
    for (let i = 0; i < d; i++) xs[i] = this.cur[off + i];
    const r = stepper.interval(xs, this.grid[k], this.h, this.tol);
    const attempts = r.accepted + r.rejected;
    this.work.acceptedSteps += r.accepted;
    this.work.rejectedSteps += r.rejected;
    this.work.driftEvaluations += stepper.evaluations(attempts);
    if (r.capped) {
      throw new Error(
        `score-mixing reference: particle ${p} needed more than ${stepper.maxAttempts} adaptive substeps in step ${k} ` +
          `(t = ${this.grid[k]} -> ${this.grid[k + 1]}, tol = ${this.tol}); raise tol or steps`,
      );
    }
    for (let i = 0; i < d; i++) this.next[off + i] = xs[i];
    return attempts;
  }

  /** f(tau, y) = -(y - m_lam(e^-tau, y))/2 into out: the non-stiff similarity-time drift. */
  private drift(tau: number, y: ArrayLike<number>, yOff: number, out: Float64Array): void {
    this.mix.into(this.lambda, Math.exp(-tau), y, yOff, out, 0);
    for (let i = 0; i < this.d; i++) out[i] = -(y[yOff + i] - out[i]) / 2;
  }

  /** Classical Heun or RK4 in tau, stage times exp(-(tau_k + c h)). */
  private rkStep(off: number, k: number): void {
    const { d, h, xs, cur } = this;
    const [k1, k2, k3, k4] = this.stages;
    const tau = -Math.log(this.grid[k]);
    this.drift(tau, cur, off, k1);
    if (this.opts.integrator === 'heun') {
      for (let i = 0; i < d; i++) xs[i] = cur[off + i] + h * k1[i];
      this.drift(tau + h, xs, 0, k2);
      for (let i = 0; i < d; i++) this.next[off + i] = cur[off + i] + (h / 2) * (k1[i] + k2[i]);
      return;
    }
    for (let i = 0; i < d; i++) xs[i] = cur[off + i] + (h / 2) * k1[i];
    this.drift(tau + h / 2, xs, 0, k2);
    for (let i = 0; i < d; i++) xs[i] = cur[off + i] + (h / 2) * k2[i];
    this.drift(tau + h / 2, xs, 0, k3);
    for (let i = 0; i < d; i++) xs[i] = cur[off + i] + h * k3[i];
    this.drift(tau + h, xs, 0, k4);
    for (let i = 0; i < d; i++) {
      this.next[off + i] = cur[off + i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    }
  }
}

/**
 * Runs the whole schedule and keeps R = record frames at steps round(j K/(R-1)) (the snapshot
 * layout the GPU simulation also produces). onProgress gets the fraction done, at most ~100 times.
 */
export function runReference(
  opts: SamplerOptions,
  x0: Float64Array,
  record: number,
  onProgress?: (f: number) => void,
): { t: Float64Array; x: Float64Array; steps: number[]; stats: AdaptiveStats | null } {
  const sampler = new ReferenceSampler(opts, x0);
  const steps = recordSteps(opts.steps, record);
  const frameSize = sampler.count * sampler.d;
  const t = new Float64Array(steps.length);
  const x = new Float64Array(steps.length * frameSize);
  let lastPercent = -1;
  steps.forEach((kTarget, frame) => {
    while (sampler.k < kTarget) {
      sampler.step();
      const percent = Math.floor((100 * sampler.k) / opts.steps);
      if (onProgress && percent !== lastPercent) {
        lastPercent = percent;
        onProgress(sampler.k / opts.steps);
      }
    }
    t[frame] = sampler.grid[kTarget];
    x.set(sampler.x, frame * frameSize);
  });
  return { t, x, steps, stats: sampler.stats };
}
