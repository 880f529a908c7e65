// Config and state types of the primal-dual lab (NUMERICS.md). The config field names are a public
// contract (CLI config files, snapshots' meta.json, URL state).
//
// Config (JSON):
//   objective  {kind: 'quartic', c}            f = 1/4 sum (x_i - c_i)^4          (default)
//              {kind: 'holder', c}             f = 2/3 sum |x_i - c_i|^(3/2)
//              {kind: 'exp', w}                f = sum exp(x_i) - <w, x>
//              {kind: 'quadratic', Q, c}       f = 1/2 x^T Q x - c^T x  (Q symmetric PSD)
//   A (m x n, 1 <= m < n <= 16, full row rank), b (m)
//   alpha, theta, beta, p (default 0), t0 (default 1), T, h (largest step), integrator
//   initial    {x?, lambda?, dx?, dlambda?} (missing parts zero) or {count, seed, spread}
//   record     frames, evenly spaced in log t, first and last included
//   allowOutsideWindow  accept theta outside [1/(alpha-1), 1/2] or p outside [0, (1-2theta)/theta]
//   compare    {key: 'alpha' | 'theta' | 'beta' | 'p', values} (optional, src/labs/compare.ts): the
//              config run at several values of one parameter side by side (batches.ts)

import type { CompareConfig } from '../compare';

export type ObjectiveKind = 'quartic' | 'holder' | 'exp' | 'quadratic';

export interface ObjectiveInput {
  kind: ObjectiveKind;
  /** quartic, holder: the centre c (n); quadratic: the linear term c (n). */
  c?: number[];
  /** exp: the linear term w (n). */
  w?: number[];
  /** quadratic: Q (n x n, symmetric positive semidefinite). */
  Q?: number[][];
}

/**
 * rotation: the symmetric Cayley rotation step (2nd order); rk4: classical RK4; suzuki4: Suzuki's
 * five-stage composition of the rotation step (4th order, NUMERICS.md "suzuki4").
 */
export type Integrator = 'rotation' | 'rk4' | 'suzuki4';

export const INTEGRATORS: readonly Integrator[] = ['rotation', 'rk4', 'suzuki4'];

export type InitialInput =
  | { x?: number[]; lambda?: number[]; dx?: number[]; dlambda?: number[] }
  | { count: number; seed: number; spread: number };

export interface PrimalDualConfig {
  objective: ObjectiveInput;
  A: number[][];
  b: number[];
  alpha: number;
  theta: number;
  beta: number;
  p?: number;
  t0?: number;
  T: number;
  h: number;
  integrator: Integrator;
  initial: InitialInput;
  record: number;
  allowOutsideWindow?: boolean;
  /** Compare mode: batch 0 the config's own value of `key`, batch b values[b - 1] (batches.ts). */
  compare?: CompareConfig;
}

/** A resolved objective: flat float64 data, dimension n. */
export type Objective =
  | { kind: 'quartic'; n: number; c: Float64Array }
  | { kind: 'holder'; n: number; c: Float64Array }
  | { kind: 'exp'; n: number; w: Float64Array }
  | { kind: 'quadratic'; n: number; Q: Float64Array; c: Float64Array };

/** A constrained problem min f(x) s.t. Ax = b, flattened. */
export interface Problem {
  n: number;
  m: number;
  /** m x n row-major. */
  A: Float64Array;
  b: Float64Array;
  objective: Objective;
}

/** Dynamics parameters (NUMERICS.md "System"). */
export interface DynamicsParams {
  alpha: number;
  theta: number;
  beta: number;
  /** Time scaling s(t) = t^p. */
  p: number;
  t0: number;
  T: number;
  /** Largest step; the grid uses h = (T - t0)/K with K = ceil((T - t0)/h). */
  h: number;
  integrator: Integrator;
}

/** Initial states of `count` trajectories in error coordinates, each array count x (n or m). */
export interface InitialStates {
  count: number;
  /** x - x* */
  e: Float64Array;
  /** lambda - lambda* */
  l: Float64Array;
  /** x' */
  vx: Float64Array;
  /** lambda' */
  vl: Float64Array;
}

/**
 * Recorded frames of a run: B batches x F frames x count trajectories (x n or m), row-major, so
 * batch b's frames are one contiguous block (B = 1 without compare mode: F x count x ...).
 */
export interface PrimalDualFrames<F extends Float64Array | Float32Array = Float64Array | Float32Array> {
  /** Batches (compare mode; 1 without it). */
  batches: number;
  /** Trajectories per batch. */
  count: number;
  n: number;
  m: number;
  /** Grid step index of each frame. */
  steps: number[];
  /** F recorded times. */
  t: Float64Array;
  /** (B x) F x count x n: x = x* + e. */
  x: F;
  /** (B x) F x count x m. */
  lambda: F;
  /** (B x) F x count: E(t). */
  energy: F;
  /** F x count: G = D_f(x, x*) + beta/2 ||Ax - b||^2. */
  gap: F;
  /** F x count: ||Ax - b||. */
  feasibility: F;
  /** F x count: f(x) - f*. */
  objective: F;
  /** F x count: E(t) - E(t0) - integral of dE/dt (trapezoid on the grid). */
  defect: F;
  /** F x count x m: Q(t) = lambda + theta t lambda' - theta^2 t^2 s (Ax - b). */
  Q: F;
}
