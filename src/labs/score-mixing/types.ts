// Config and state types of the score-mixing lab. The config field names are a public contract
// (CLI config files, snapshots' meta.json, URL state).

import type { CompareConfig } from '../compare';

export interface PointSetInput {
  points: number[][];
  /** Optional positive weights; normalised to sum 1. Omitted: uniform. */
  weights?: number[];
}

export type ParticlesInput = { count: number; seed: number } | { points: number[][] };

export type Sampler = 'ode' | 'sde';
export type Integrator = 'exp' | 'heun' | 'rk4' | 'adaptive';

export interface ScoreMixingConfig {
  mu1: PointSetInput;
  mu2: PointSetInput;
  lambda: number;
  T: number;
  tMin: number;
  steps: number;
  sampler: Sampler;
  /** SDE family parameter: dX = (1+beta) s dr + sqrt(2 beta) dW. Ignored by the ODE (beta = 0). */
  beta: number;
  integrator: Integrator;
  /** Error tolerance of integrator 'adaptive' (substeps per grid step); ignored by the others. */
  tol: number;
  particles: ParticlesInput;
  /** Frames saved, evenly spaced in tau = -log t, first and last included. */
  record: number;
  /** Seed of the SDE noise. */
  seed: number;
  /** Compare mode (src/labs/compare.ts): lambda at several values side by side; absent: one run. */
  compare?: CompareConfig;
}

/** A validated, flattened empirical measure (n atoms in R^d, weights summing to 1); lives in src/math. */
export type { Measure } from '../../math/measure';

/** Particle positions at one time. */
export interface ParticleState {
  /** Index k of the geometric grid t_k = T (tMin/T)^(k/steps). */
  step: number;
  t: number;
  d: number;
  count: number;
  /** count*d row-major. */
  x: Float64Array | Float32Array;
}
