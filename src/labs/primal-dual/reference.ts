// Float64 CPU reference of the primal-dual lab: the same error coordinates, rotation-exact step,
// its fourth-order composition suzuki4, RK4, time grid, frames and diagnostics as shaders/primal-dual/dynamics.wgsl (NUMERICS.md,
// followed literally), so the GPU test can compare them, and the lab runs without WebGPU.
//
// API:
//   preparePrimalDualProblem(problem): PrimalDualProblem   KKT point (float64), error-form
//                                     objective, A A^T = U diag(sigma^2) U^T
//   checkDynamicsParams(params, allowOutsideWindow?)       throws naming the field
//   timeGrid(params): {K, h}; gridTime(params, grid, k); recordStepsLog(t0, T, K, record)
//   rotationSubsteps(integrator), substepCoefs(params, t, h): the rotation (sub)steps of one step
//     and their float64 constants (the GPU's StepCoef table is built from the same function)
//   evaluationsPerStep(integrator); dynamicsRhs(prob, params): y' on y = (e, l, vx, vl)
//   initialStates(prob, initial: InitialInput): InitialStates
//   diagnosticsAt(prob, params, t, state...): Diagnostics  one trajectory at time t
//   class PrimalDualReference: step(), k, t, done, state (e, l, vx, vl), frame()
//   runPrimalDualReference(prob, params | batches, initial, record, onProgress?): PrimalDualFrames<Float64Array>
//     (compare mode: one run per batch from the same initial states, batch-major frames; batchFrames)

import { matMul, matTVec, matVec, symmetricEigen, transpose } from '../../math/linalg';
import { INITIAL_STEP, normal } from '../../math/rng';
import { solveKkt, type KktPoint } from './kkt';
import { bregman, errorObjective, gradDiff, reverseBregman, type ErrorObjective } from './objectives';
import { INTEGRATORS, type DynamicsParams, type Integrator, type InitialInput, type InitialStates, type PrimalDualFrames, type Problem } from './types';

export interface PrimalDualProblem {
  problem: Problem;
  n: number;
  m: number;
  kkt: KktPoint;
  err: ErrorObjective;
  /** A A^T = U diag(sigma2) U^T; U is m x m row-major, column j the j-th eigenvector. */
  U: Float64Array;
  sigma2: Float64Array;
  /** Largest singular value of A (gyration frequency theta t s sigmaMax). */
  sigmaMax: number;
}

export function preparePrimalDualProblem(problem: Problem): PrimalDualProblem {
  const kkt = solveKkt(problem);
  const { A, m, n } = problem;
  const eig = symmetricEigen(matMul(A, transpose(A, m, n), m, n, m), m);
  const sigma2 = eig.values.map((v) => Math.max(v, 0));
  return { problem, n, m, kkt, err: errorObjective(problem.objective, kkt.x), U: eig.vectors, sigma2, sigmaMax: Math.sqrt(sigma2[0]) };
}

/** theta window [1/(alpha-1), 1/2] and p window [0, (1 - 2 theta)/theta] (where E(t) is a Lyapunov function). */
export function thetaWindow(alpha: number): [number, number] {
  return [1 / (alpha - 1), 0.5];
}

export function checkDynamicsParams(p: DynamicsParams, allowOutsideWindow = false): void {
  const need = (ok: boolean, field: string, value: number, range: string): void => {
    if (!ok) throw new Error(`${field} = ${value} is outside the allowed range (${range})`);
  };
  need(Number.isFinite(p.alpha) && p.alpha >= 3, 'alpha', p.alpha, 'alpha >= 3');
  need(Number.isFinite(p.beta) && p.beta >= 0, 'beta', p.beta, 'beta >= 0');
  need(Number.isFinite(p.theta) && p.theta > 0, 'theta', p.theta, 'theta > 0');
  need(Number.isFinite(p.p) && p.p >= 0, 'p', p.p, 'p >= 0');
  need(Number.isFinite(p.t0) && p.t0 > 0, 't0', p.t0, 't0 > 0');
  need(Number.isFinite(p.T) && p.T > p.t0, 'T', p.T, `T > t0 = ${p.t0}`);
  need(Number.isFinite(p.h) && p.h > 0 && p.h <= p.T - p.t0, 'h', p.h, `0 < h <= T - t0 = ${p.T - p.t0}`);
  if (!INTEGRATORS.includes(p.integrator)) throw new Error(`integrator = ${JSON.stringify(p.integrator)} is not one of ${INTEGRATORS.join(', ')}`);
  if (!allowOutsideWindow) {
    const [lo, hi] = thetaWindow(p.alpha);
    need(p.theta >= lo * (1 - 1e-12) && p.theta <= hi, 'theta', p.theta, `energy window 1/(alpha-1) = ${lo} <= theta <= 1/2; set allowOutsideWindow to override`);
    const pMax = (1 - 2 * p.theta) / p.theta;
    need(p.p <= pMax + 1e-12, 'p', p.p, `0 <= p <= (1 - 2 theta)/theta = ${pMax}; set allowOutsideWindow to override`);
  }
}

/** K = ceil((T - t0)/h) steps of the uniform step (T - t0)/K <= h, so t_K = T exactly. */
export function timeGrid(params: Pick<DynamicsParams, 't0' | 'T' | 'h'>): { K: number; h: number } {
  const K = Math.max(1, Math.ceil((params.T - params.t0) / params.h - 1e-9));
  return { K, h: (params.T - params.t0) / K };
}

/**
 * Suzuki's fractal composition S(p h) S(p h) S((1 - 4p) h) S(p h) S(p h), p = 1/(4 - 4^(1/3)), of a
 * symmetric second-order step S is symmetric and fourth order; its longest substep is 0.66 h
 * (backwards), so it stays stable at larger h than S itself (NUMERICS.md "suzuki4"; Yoshida's
 * triple jump, substeps 1.35 h and -1.70 h, was measured to lose half of S's stable range).
 */
export const SUZUKI_P = 1 / (4 - Math.cbrt(4));

/** Fractions of h of the rotation substeps one step of `integrator` takes, in order (rk4: none). */
export function rotationSubsteps(integrator: Integrator): readonly number[] {
  if (integrator === 'suzuki4') return [SUZUKI_P, SUZUKI_P, 1 - 4 * SUZUKI_P, SUZUKI_P, SUZUKI_P];
  return integrator === 'rotation' ? [1] : [];
}

/** Force evaluations per step and trajectory (the studies' cost measure). */
export function evaluationsPerStep(integrator: Integrator): number {
  return integrator === 'rk4' ? 4 : rotationSubsteps(integrator).length;
}

/** The float64 constants of one rotation (sub)step of signed length H starting at time tStart. */
export interface RotationCoefs {
  /** Midpoint time tStart + H/2, where the non-autonomous coefficients are frozen. */
  tm: number;
  /** exp(-alpha H/(2 tm)): half the damping (> 1 for the backward middle substep of suzuki4). */
  damp: number;
  /** Cayley parameter H theta tm s(tm)/2. */
  kRot: number;
  /** Half kick (H/2) s(tm). */
  hs: number;
  /** Half drift H/2. */
  drift: number;
}

export function rotationCoefs(params: Pick<DynamicsParams, 'alpha' | 'theta' | 'p'>, tStart: number, H: number): RotationCoefs {
  const tm = tStart + H / 2;
  const s = Math.pow(tm, params.p);
  return { tm, damp: Math.exp((-params.alpha * H) / (2 * tm)), kRot: (H * params.theta * tm * s) / 2, hs: (H / 2) * s, drift: H / 2 };
}

/** The rotation substeps' constants of the step from t of length h (one entry per substep). */
export function substepCoefs(params: Pick<DynamicsParams, 'alpha' | 'theta' | 'p' | 'integrator'>, t: number, h: number): RotationCoefs[] {
  const out: RotationCoefs[] = [];
  let at = 0;
  for (const w of rotationSubsteps(params.integrator)) {
    out.push(rotationCoefs(params, t + at * h, w * h));
    at += w;
  }
  return out;
}

export function gridTime(params: Pick<DynamicsParams, 't0' | 'T'>, grid: { K: number; h: number }, k: number): number {
  return k === grid.K ? params.T : params.t0 + k * grid.h;
}

/** Frame j at the grid step nearest t0 (T/t0)^(j/(R-1)), j = 0..R-1 (first and last included). */
export function recordStepsLog(t0: number, T: number, K: number, record: number): number[] {
  if (!(Number.isInteger(record) && record >= 2)) throw new Error(`record = ${record} is outside the allowed range (integer >= 2)`);
  const out: number[] = [];
  for (let j = 0; j < record; j++) {
    const t = t0 * Math.pow(T / t0, j / (record - 1));
    out.push(j === record - 1 ? K : Math.min(K, Math.max(0, Math.round(((t - t0) / (T - t0)) * K))));
  }
  return out;
}

/**
 * Initial states in error coordinates. Explicit {x, lambda, dx, dlambda}: missing parts zero, one
 * trajectory. Cloud {count, seed, spread}: trajectory i has x - x* = spread z_0..n-1,
 * lambda - lambda* = spread z_n..n+m-1, zero velocities, z_j = normal(seed, i, INITIAL_STEP, j).
 */
export function initialStates(prob: PrimalDualProblem, initial: InitialInput): InitialStates {
  const { n, m, kkt } = prob;
  if ('count' in initial) {
    const { count, seed, spread } = initial;
    if (!(Number.isInteger(count) && count >= 1)) throw new Error(`initial.count = ${count} is outside the allowed range (integer >= 1)`);
    if (!(Number.isFinite(spread) && spread >= 0)) throw new Error(`initial.spread = ${spread} is outside the allowed range (finite, >= 0)`);
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new Error(`initial.seed = ${seed} is outside the allowed range (integer 0..2^32-1)`);
    const e = new Float64Array(count * n);
    const l = new Float64Array(count * m);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < n; j++) e[i * n + j] = spread * normal(seed, i, INITIAL_STEP, j);
      for (let j = 0; j < m; j++) l[i * m + j] = spread * normal(seed, i, INITIAL_STEP, n + j);
    }
    return { count, e, l, vx: new Float64Array(count * n), vl: new Float64Array(count * m) };
  }
  const vec = (field: string, v: number[] | undefined, len: number): Float64Array => {
    if (v === undefined) return new Float64Array(len);
    if (!Array.isArray(v) || v.length !== len) throw new Error(`initial.${field} must have ${len} entries, got ${v?.length}`);
    v.forEach((a, i) => {
      if (!Number.isFinite(a)) throw new Error(`initial.${field}[${i}] = ${a} is not a finite number`);
    });
    return Float64Array.from(v);
  };
  const x = vec('x', initial.x, n);
  const lam = vec('lambda', initial.lambda, m);
  return {
    count: 1,
    e: x.map((v, i) => v - kkt.x[i]),
    l: lam.map((v, i) => v - kkt.lambda[i]),
    vx: vec('dx', initial.dx, n),
    vl: vec('dlambda', initial.dlambda, m),
  };
}

export interface Diagnostics {
  energy: number;
  gap: number;
  feasibility: number;
  /** f - f* = D_f(x, x*) - <lambda*, A e> */
  objective: number;
  /** dE/dt (the identity's right-hand side). */
  rate: number;
}

/** Scratch for one trajectory (no allocation in the step loop). */
class Scratch {
  readonly g: Float64Array;
  readonly Ae: Float64Array;
  readonly Atl: Float64Array;
  readonly Fx: Float64Array;
  readonly Fl: Float64Array;
  readonly tmpN: Float64Array;
  readonly tmpM: Float64Array;
  readonly tmpM2: Float64Array;
  constructor(n: number, m: number) {
    this.g = new Float64Array(n);
    this.Ae = new Float64Array(m);
    this.Atl = new Float64Array(n);
    this.Fx = new Float64Array(n);
    this.Fl = new Float64Array(m);
    this.tmpN = new Float64Array(n);
    this.tmpM = new Float64Array(m);
    this.tmpM2 = new Float64Array(m);
  }
}

/** F0 in error coordinates: Fx = g(e) + A^T l + beta A^T A e, Fl = -A e. */
function force(prob: PrimalDualProblem, beta: number, e: Float64Array, l: Float64Array, s: Scratch): void {
  const { A, m, n } = prob.problem;
  gradDiff(prob.err, e, s.g);
  matVec(A, m, n, e, s.Ae);
  for (let i = 0; i < m; i++) s.tmpM[i] = l[i] + beta * s.Ae[i];
  matTVec(A, m, n, s.tmpM, s.Atl);
  for (let i = 0; i < n; i++) s.Fx[i] = s.g[i] + s.Atl[i];
  for (let i = 0; i < m; i++) s.Fl[i] = -s.Ae[i];
}

const sq = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
};

export function diagnosticsAt(
  prob: PrimalDualProblem,
  params: DynamicsParams,
  t: number,
  e: Float64Array,
  l: Float64Array,
  vx: Float64Array,
  vl: Float64Array,
  Qout?: Float64Array,
): Diagnostics {
  const { A, m, n } = prob.problem;
  const { theta, beta, alpha } = params;
  const s = Math.pow(t, params.p);
  const xi = theta * (alpha - 1) - 1;
  const Ae = matVec(A, m, n, e);
  const r2 = sq(Ae);
  const D = bregman(prob.err, e);
  const Dr = reverseBregman(prob.err, e);
  const gap = D + (beta / 2) * r2;
  let w2 = 0;
  for (let i = 0; i < n; i++) w2 += (e[i] + theta * t * vx[i]) ** 2;
  for (let i = 0; i < m; i++) w2 += (l[i] + theta * t * vl[i]) ** 2;
  const energy = theta * theta * t * t * s * gap + 0.5 * w2 + (xi / 2) * (sq(e) + sq(l));
  const rate =
    -theta * t * s * (1 - 2 * theta - theta * params.p) * gap -
    theta * t * s * Dr -
    ((theta * beta * t * s) / 2) * r2 -
    xi * theta * t * (sq(vx) + sq(vl));
  let lAe = 0;
  for (let i = 0; i < m; i++) lAe += prob.kkt.lambda[i] * Ae[i];
  if (Qout) for (let i = 0; i < m; i++) Qout[i] = prob.kkt.lambda[i] + l[i] + theta * t * vl[i] - theta * theta * t * t * s * Ae[i];
  return { energy, gap, feasibility: Math.sqrt(r2), objective: D - lAe, rate };
}

/**
 * Step-by-step float64 integrator of `count` trajectories on the grid t_k = t0 + k h. Holds the
 * state (error coordinates) and the energy-identity accumulators, like the GPU's state buffer.
 */
export class PrimalDualReference {
  readonly n: number;
  readonly m: number;
  readonly count: number;
  readonly K: number;
  readonly h: number;
  /** Live state, count x n / count x m (copy to keep). */
  readonly e: Float64Array;
  readonly l: Float64Array;
  readonly vx: Float64Array;
  readonly vl: Float64Array;
  /** Per trajectory: E(t0), integral of dE/dt so far, dE/dt at the current time. */
  readonly E0: Float64Array;
  readonly integral: Float64Array;
  readonly rate: Float64Array;
  private kNow = 0;
  private readonly s: Scratch;
  private readonly stages: Float64Array[];
  private readonly rhs: (t: number, y: Float64Array, out: Float64Array) => void;

  constructor(
    readonly prob: PrimalDualProblem,
    readonly params: DynamicsParams,
    init: InitialStates,
  ) {
    const { n, m } = prob;
    this.n = n;
    this.m = m;
    this.count = init.count;
    const g = timeGrid(params);
    this.K = g.K;
    this.h = g.h;
    this.e = Float64Array.from(init.e);
    this.l = Float64Array.from(init.l);
    this.vx = Float64Array.from(init.vx);
    this.vl = Float64Array.from(init.vl);
    this.E0 = new Float64Array(this.count);
    this.integral = new Float64Array(this.count);
    this.rate = new Float64Array(this.count);
    this.s = new Scratch(n, m);
    this.stages = Array.from({ length: 6 }, () => new Float64Array(2 * (n + m)));
    this.rhs = dynamicsRhs(prob, params);
    for (let i = 0; i < this.count; i++) {
      const d = this.diag(i, params.t0);
      this.E0[i] = d.energy;
      this.rate[i] = d.rate;
    }
  }

  get k(): number {
    return this.kNow;
  }

  get t(): number {
    return gridTime(this.params, this, this.kNow);
  }

  get done(): boolean {
    return this.kNow >= this.K;
  }

  private views(i: number): [Float64Array, Float64Array, Float64Array, Float64Array] {
    const { n, m } = this;
    return [this.e.subarray(i * n, (i + 1) * n), this.l.subarray(i * m, (i + 1) * m), this.vx.subarray(i * n, (i + 1) * n), this.vl.subarray(i * m, (i + 1) * m)];
  }

  /** Diagnostics of trajectory i at time t (its current state). */
  diag(i: number, t = this.t, Qout?: Float64Array): Diagnostics {
    const [e, l, vx, vl] = this.views(i);
    return diagnosticsAt(this.prob, this.params, t, e, l, vx, vl, Qout);
  }

  /** Advances every trajectory from t_k to t_{k+1}; throws naming the first non-finite one. */
  step(): void {
    if (this.done) return;
    const k = this.kNow;
    const t = gridTime(this.params, this, k);
    const tEnd = gridTime(this.params, this, k + 1);
    const substeps = substepCoefs(this.params, t, this.h);
    for (let i = 0; i < this.count; i++) {
      const [e, l, vx, vl] = this.views(i);
      if (this.params.integrator === 'rk4') this.rk4Step(t, e, l, vx, vl);
      else for (const c of substeps) this.rotationStep(c, e, l, vx, vl);
      const d = diagnosticsAt(this.prob, this.params, tEnd, e, l, vx, vl);
      if (!Number.isFinite(d.energy)) {
        throw new Error(`primal-dual reference: trajectory ${i} became non-finite at step ${k} (t = ${t}); try a smaller h`);
      }
      this.integral[i] += (this.h / 2) * (this.rate[i] + d.rate);
      this.rate[i] = d.rate;
    }
    this.kNow = k + 1;
  }

  /**
   * One rotation (sub)step in error coordinates (NUMERICS.md "Rotation step"), in the symmetric
   * order damp-kick / rotate / kick-damp, which makes it second order; `c` from rotationCoefs
   * (its length may be negative: the middle substep of suzuki4).
   */
  private rotationStep(c: RotationCoefs, e: Float64Array, l: Float64Array, vx: Float64Array, vl: Float64Array): void {
    const { n, m, s: sc } = this;
    const { A } = this.prob.problem;
    const { damp: d, hs, kRot, drift } = c;
    for (let i = 0; i < n; i++) e[i] += drift * vx[i];
    for (let i = 0; i < m; i++) l[i] += drift * vl[i];
    force(this.prob, this.params.beta, e, l, sc);
    for (let i = 0; i < n; i++) vx[i] = d * vx[i] - hs * sc.Fx[i];
    for (let i = 0; i < m; i++) vl[i] = d * vl[i] - hs * sc.Fl[i];
    cayley(A, m, n, this.prob.U, this.prob.sigma2, kRot, vx, vl, sc);
    // Second half: kick, then damp (symmetric; see NUMERICS.md "Rotation step" on the first-order D K R D K order).
    const dhs = d * hs;
    for (let i = 0; i < n; i++) vx[i] = d * vx[i] - dhs * sc.Fx[i];
    for (let i = 0; i < m; i++) vl[i] = d * vl[i] - dhs * sc.Fl[i];
    for (let i = 0; i < n; i++) e[i] += drift * vx[i];
    for (let i = 0; i < m; i++) l[i] += drift * vl[i];
  }

  /** Classical RK4 on y = (e, l, vx, vl), stage times t, t + h/2, t + h. */
  private rk4Step(t: number, e: Float64Array, l: Float64Array, vx: Float64Array, vl: Float64Array): void {
    const { n, m, h } = this;
    const N = 2 * (n + m);
    const [y, k1, k2, k3, k4, ys] = this.stages;
    y.set(e, 0);
    y.set(l, n);
    y.set(vx, n + m);
    y.set(vl, 2 * n + m);
    this.rhs(t, y, k1);
    for (let i = 0; i < N; i++) ys[i] = y[i] + (h / 2) * k1[i];
    this.rhs(t + h / 2, ys, k2);
    for (let i = 0; i < N; i++) ys[i] = y[i] + (h / 2) * k2[i];
    this.rhs(t + h / 2, ys, k3);
    for (let i = 0; i < N; i++) ys[i] = y[i] + h * k3[i];
    this.rhs(t + h, ys, k4);
    for (let i = 0; i < N; i++) y[i] += (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    e.set(y.subarray(0, n));
    l.set(y.subarray(n, n + m));
    vx.set(y.subarray(n + m, 2 * n + m));
    vl.set(y.subarray(2 * n + m, N));
  }
}

/**
 * The right-hand side of the system on y = (e, l, vx, vl) (2(n + m) entries):
 * y' = (vx, vl, -a vx - w A^T vl - s Fx, -a vl + w A vx - s Fl), a = alpha/t, w = theta t s(t).
 * RK4 and the adaptive float64 reference (fine-reference.ts) both integrate exactly this.
 */
export function dynamicsRhs(prob: PrimalDualProblem, params: DynamicsParams): (t: number, y: Float64Array, out: Float64Array) => void {
  const { n, m } = prob;
  const { A } = prob.problem;
  const { alpha, theta, beta, p } = params;
  const sc = new Scratch(n, m);
  return (t, y, out) => {
    const s = Math.pow(t, p);
    const a = alpha / t;
    const w = theta * t * s;
    const e = y.subarray(0, n);
    const l = y.subarray(n, n + m);
    const vx = y.subarray(n + m, 2 * n + m);
    const vl = y.subarray(2 * n + m);
    force(prob, beta, e, l, sc);
    matTVec(A, m, n, vl, sc.tmpN);
    matVec(A, m, n, vx, sc.tmpM);
    for (let i = 0; i < n; i++) out[i] = vx[i];
    for (let i = 0; i < m; i++) out[n + i] = vl[i];
    for (let i = 0; i < n; i++) out[n + m + i] = -a * vx[i] - w * sc.tmpN[i] - s * sc.Fx[i];
    for (let i = 0; i < m; i++) out[2 * n + m + i] = -a * vl[i] + w * sc.tmpM[i] - s * sc.Fl[i];
  };
}

/**
 * Cayley rotation (I + kM) v_new = (I - kM) v, M = [[0, A^T], [-A, 0]], in place:
 *   r1 = vx - k A^T vl; r2 = vl + k A vx; q = U diag(1/(1 + k^2 sigma^2)) U^T (r2 + k A r1);
 *   vx = r1 - k A^T q; vl = q.
 */
export function cayley(
  A: Float64Array,
  m: number,
  n: number,
  U: Float64Array,
  sigma2: Float64Array,
  k: number,
  vx: Float64Array,
  vl: Float64Array,
  sc: { tmpN: Float64Array; tmpM: Float64Array; tmpM2: Float64Array },
): void {
  const r1 = sc.tmpN;
  matTVec(A, m, n, vl, r1);
  for (let i = 0; i < n; i++) r1[i] = vx[i] - k * r1[i];
  const rhs = sc.tmpM;
  matVec(A, m, n, vx, rhs);
  const Ar1 = sc.tmpM2;
  matVec(A, m, n, r1, Ar1);
  for (let i = 0; i < m; i++) rhs[i] = vl[i] + k * rhs[i] + k * Ar1[i];
  // c = diag(1/(1 + k^2 s2)) U^T rhs, then q = U c.
  const c = sc.tmpM2;
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += U[i * m + j] * rhs[i];
    c[j] = s / (1 + k * k * sigma2[j]);
  }
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += U[i * m + j] * c[j];
    vl[i] = s;
  }
  matTVec(A, m, n, vl, vx);
  for (let i = 0; i < n; i++) vx[i] = r1[i] - k * vx[i];
}

/** Empty frame arrays for `batches` x F frames x count trajectories (batch-major, types.ts). */
export function allocFrames<F extends Float64Array | Float32Array>(
  make: (len: number) => F,
  count: number,
  n: number,
  m: number,
  steps: number[],
  t: Float64Array,
  batches = 1,
): PrimalDualFrames<F> {
  const cells = batches * steps.length * count;
  return {
    batches,
    count,
    n,
    m,
    steps,
    t,
    x: make(cells * n),
    lambda: make(cells * m),
    energy: make(cells),
    gap: make(cells),
    feasibility: make(cells),
    objective: make(cells),
    defect: make(cells),
    Q: make(cells * m),
  };
}

/** The frame arrays of one batch (views into `frames`: batch b is a contiguous block). */
export function batchFrames<F extends Float64Array | Float32Array>(frames: PrimalDualFrames<F>, b: number): PrimalDualFrames<F> {
  const cells = frames.t.length * frames.count;
  const { n, m } = frames;
  const at = (a: F, w: number): F => a.subarray(b * cells * w, (b + 1) * cells * w) as F;
  return {
    ...frames,
    batches: 1,
    x: at(frames.x, n),
    lambda: at(frames.lambda, m),
    energy: at(frames.energy, 1),
    gap: at(frames.gap, 1),
    feasibility: at(frames.feasibility, 1),
    objective: at(frames.objective, 1),
    defect: at(frames.defect, 1),
    Q: at(frames.Q, m),
  };
}

/**
 * Runs [t0, T] and keeps `record` frames at recordStepsLog(...): one run per entry of `params`
 * (compare mode's batches, all from the same initial states), in batch-major frames. onProgress
 * gets the fraction done, at most ~100 times per batch.
 */
export function runPrimalDualReference(
  prob: PrimalDualProblem,
  params: DynamicsParams | readonly DynamicsParams[],
  initial: InitialStates,
  record: number,
  onProgress?: (f: number) => void,
): PrimalDualFrames<Float64Array> {
  const list = Array.isArray(params) ? (params as readonly DynamicsParams[]) : [params as DynamicsParams];
  const first = list[0];
  const grid = timeGrid(first);
  const steps = recordStepsLog(first.t0, first.T, grid.K, record);
  const t = Float64Array.from(steps, (k) => gridTime(first, grid, k));
  const out = allocFrames((len) => new Float64Array(len), initial.count, prob.n, prob.m, steps, t, list.length);
  list.forEach((p, b) => {
    if (p.t0 !== first.t0 || p.T !== first.T || p.h !== first.h || p.integrator !== first.integrator) {
      throw new Error(`primal-dual reference: batch ${b} has another time grid or integrator than batch 0`);
    }
    try {
      runBatch(prob, p, initial, batchFrames(out, b), onProgress && ((f) => onProgress((b + f) / list.length)));
    } catch (e) {
      if (list.length === 1) throw e;
      // Name the batch: which of the compared runs blew up.
      throw new Error(`${(e as Error).message} [batch ${b}: alpha = ${p.alpha}, theta = ${p.theta}, p = ${p.p}, beta = ${p.beta}]`);
    }
  });
  return out;
}

/** One batch's run into `out` (its frames, preallocated). */
function runBatch(prob: PrimalDualProblem, params: DynamicsParams, initial: InitialStates, out: PrimalDualFrames<Float64Array>, onProgress?: (f: number) => void): void {
  const sim = new PrimalDualReference(prob, params, initial);
  const { n, m, count } = sim;
  const { steps, t } = out;
  const Q = new Float64Array(m);
  let lastPercent = -1;
  steps.forEach((target, f) => {
    while (sim.k < target) {
      sim.step();
      const percent = Math.floor((100 * sim.k) / sim.K);
      if (onProgress && percent !== lastPercent) {
        lastPercent = percent;
        onProgress(sim.k / sim.K);
      }
    }
    for (let i = 0; i < count; i++) {
      const d = sim.diag(i, t[f], Q);
      const at = f * count + i;
      for (let j = 0; j < n; j++) out.x[at * n + j] = prob.kkt.x[j] + sim.e[i * n + j];
      for (let j = 0; j < m; j++) out.lambda[at * m + j] = prob.kkt.lambda[j] + sim.l[i * m + j];
      out.Q.set(Q, at * m);
      out.energy[at] = d.energy;
      out.gap[at] = d.gap;
      out.feasibility[at] = d.feasibility;
      out.objective[at] = d.objective;
      out.defect[at] = d.energy - sim.E0[i] - sim.integral[i];
    }
  });
}
