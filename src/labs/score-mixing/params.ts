// The scalar parameters of the score-mixing lab (one schema for panel, URL state, CLI `--set`,
// `flowlab labs` and validation) and its presets. Keys are config paths: `particles.count` is
// config.particles.count. Point sets (mu1, mu2, particles.points) are structured inputs checked
// by config.ts.

import type { Preset } from '../lab';
import type { ParamSpec } from '../schema';
import type { ScoreMixingConfig } from './types';

export const MAX_STEPS = 100_000;
export const MAX_PARTICLES = 1_000_000;
export const MAX_SEED = 0xffffffff;

export const SCORE_MIXING_PARAMS: readonly ParamSpec[] = [
  {
    kind: 'number',
    key: 'lambda',
    label: 'λ (mixing weight)',
    min: 0,
    max: 10,
    default: 0.5,
    step: 0.01,
    help:
      'Mixed score s = λ ∇log u1 + (1−λ) ∇log u2. 0 ≤ λ ≤ 1: mixture of experts; λ > 1: classifier-free ' +
      'guidance with weight w = λ − 1 (mu1 conditional, mu2 unconditional).',
  },
  {
    kind: 'number',
    key: 'T',
    label: 'T (start time)',
    min: 1e-3,
    max: 1e3,
    default: 1,
    scale: 'log',
    unit: 'heat time',
    help: 'Generation starts at t = T with X(T) ~ N(0, 2T I) (the heat flow of a point mass) and runs down to tMin.',
  },
  {
    kind: 'number',
    key: 'tMin',
    label: 't_min (end time)',
    min: 1e-8,
    max: 1,
    default: 1e-4,
    scale: 'log',
    unit: 'heat time',
    help: 'Generation stops at t = tMin (must be < T). Particles approach the critical points of Φ_λ at rate √t.',
  },
  {
    kind: 'number',
    key: 'steps',
    label: 'steps',
    min: 1,
    max: MAX_STEPS,
    default: 400,
    integer: true,
    help: 'Steps on the geometric grid t_k = T (tMin/T)^(k/steps), uniform in τ = −log t. For λ > 1 use ≥ 200.',
  },
  {
    kind: 'number',
    key: 'particles.count',
    label: 'particles',
    min: 1,
    max: MAX_PARTICLES,
    default: 4096,
    integer: true,
    help: 'Number of particles drawn from N(0, 2T I) (ignored when particles.points gives them explicitly).',
  },
  {
    kind: 'number',
    key: 'particles.seed',
    label: 'initial seed',
    min: 0,
    max: MAX_SEED,
    default: 1,
    integer: true,
    help: 'Seed of the initial draw X(T) (counter-based RNG: the same seed gives the same particles on GPU and CPU).',
  },
  {
    kind: 'choice',
    key: 'sampler',
    label: 'sampler',
    options: ['ode', 'sde'],
    default: 'ode',
    help: 'ode: probability-flow ODE (deterministic). sde: reverse SDE family dX = (1+β) s dr + √(2β) dW.',
  },
  {
    kind: 'choice',
    key: 'integrator',
    label: 'integrator',
    options: ['exp', 'heun', 'rk4', 'adaptive'],
    default: 'exp',
    help:
      'exp: exponential step with the denoiser frozen (first order, ODE and SDE). heun, rk4: in τ, ODE only. ' +
      'adaptive: Bogacki–Shampine 3(2) substeps with error control inside every step (tolerance tol), ODE only.',
  },
  {
    kind: 'number',
    key: 'tol',
    label: 'tol (adaptive)',
    min: 1e-8,
    max: 1e-1,
    default: 1e-4,
    scale: 'log',
    help:
      'Error tolerance of the adaptive integrator: each substep keeps its local error below tol (1 + |x|) per ' +
      'coordinate. Below ~1e-6 the GPU is limited by float32 rounding and takes many more substeps. Used only when integrator is "adaptive".',
  },
  {
    kind: 'number',
    key: 'beta',
    label: 'β (SDE family)',
    min: 0,
    max: 10,
    default: 1,
    step: 0.05,
    help: 'SDE family parameter; β = 1 is the usual reverse SDE, β = 0 the ODE. Used only when sampler is "sde".',
  },
  {
    kind: 'number',
    key: 'record',
    label: 'recorded frames',
    min: 2,
    max: MAX_STEPS + 1,
    default: 41,
    integer: true,
    help: 'Frames saved, evenly spaced in τ = −log t, first (t = T) and last (t = tMin) included; at most steps + 1.',
  },
  {
    kind: 'number',
    key: 'seed',
    label: 'noise seed',
    min: 0,
    max: MAX_SEED,
    default: 0,
    integer: true,
    help: 'Seed of the SDE noise (keyed by seed, particle and step, so GPU and CPU draw the same numbers).',
  },
];

export function paramSpec(key: string): ParamSpec | undefined {
  return SCORE_MIXING_PARAMS.find((p) => p.key === key);
}

// ---- presets --------------------------------------------------------------------------------

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

function circle(n: number, radius: number, phase = 0): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const a = phase + (2 * Math.PI * i) / n;
    return [r6(radius * Math.cos(a)), r6(radius * Math.sin(a))];
  });
}

function grid(n: number, half: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.push([r6(-half + (2 * half * i) / (n - 1)), r6(-half + (2 * half * j) / (n - 1))]);
  return out;
}

/** A small cluster: a centre plus `n - 1` points on a circle of radius `r` around it. */
function cluster(cx: number, cy: number, n: number, r: number, phase: number): number[][] {
  return [[cx, cy], ...circle(n - 1, r, phase).map(([x, y]) => [r6(cx + x), r6(cy + y)])];
}

function base(overrides: Partial<ScoreMixingConfig> & Pick<ScoreMixingConfig, 'mu1' | 'mu2'>): ScoreMixingConfig {
  return {
    lambda: 0.5,
    T: 1,
    tMin: 1e-4,
    steps: 400,
    sampler: 'ode',
    beta: 1,
    integrator: 'exp',
    tol: 1e-4,
    particles: { count: 4096, seed: 1 },
    record: 41,
    seed: 0,
    ...overrides,
  };
}

export const SCORE_MIXING_PRESETS: readonly Preset<ScoreMixingConfig>[] = [
  {
    id: 'three-vs-one',
    title: 'Three atoms vs one',
    description:
      'mu1: three weighted atoms (the R1 check data), mu2: one atom. At λ = 0.5 particles gather at the midpoints ' +
      'c_ab = (a + b)/2 that lie in their own overlay cell.',
    config: base({
      mu1: { points: [[-1, 0], [1, 0.5], [0, 1.5]], weights: [0.2, 0.3, 0.5] },
      mu2: { points: [[0.5, -1]] },
    }),
  },
  {
    id: 'guidance-subset',
    title: 'Guidance: subset',
    description:
      'Classifier-free guidance (λ = 3) with supp mu1 ⊂ supp mu2: every particle ends on one of the two ' +
      'conditional atoms, none on the other three.',
    config: base({
      mu1: { points: [[-1, 1], [1, 1]] },
      mu2: { points: [[-1, 1], [1, 1], [-1, -1], [1, -1], [0, 0]] },
      lambda: 3,
    }),
  },
  {
    id: 'two-clusters',
    title: 'Two clusters',
    description: 'Two clusters of six atoms, one per measure; λ moves the limit points between and beyond them.',
    config: base({
      mu1: { points: cluster(-2, 0, 6, 0.6, 0) },
      mu2: { points: cluster(2, 0.5, 6, 0.6, 0.4) },
      lambda: 0.5,
    }),
  },
  {
    id: 'ring-vs-grid',
    title: 'Ring vs grid',
    description: 'mu1: twelve atoms on a circle of radius 2; mu2: a 4 × 4 grid. Many overlay cells, many limit points.',
    config: base({
      mu1: { points: circle(12, 2) },
      mu2: { points: grid(4, 1.5) },
      lambda: 0.5,
    }),
  },
  {
    id: 'tetrahedron-vs-cube-3d',
    title: '3-D: tetrahedron vs cube',
    description: 'd = 3: the four vertices of a tetrahedron against the eight of a cube, λ = 0.7.',
    config: base({
      mu1: { points: [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]] },
      mu2: {
        points: [-1, 1].flatMap((x) => [-1, 1].flatMap((y) => [-1, 1].map((z) => [0.8 * x, 0.8 * y, 0.8 * z]))),
      },
      lambda: 0.7,
      particles: { count: 2048, seed: 1 },
    }),
  },
  {
    id: 'axes-8d',
    title: '8-D: guidance toward the axes',
    description: 'd = 8: mu1 the points 2 e_1..2 e_4, mu2 those plus 2 e_5..2 e_8 (a superset); λ = 2 guidance recovers mu1.',
    config: base({
      mu1: { points: Array.from({ length: 4 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 2 : 0))) },
      mu2: { points: Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 2 : 0))) },
      lambda: 2,
      particles: { count: 2048, seed: 1 },
    }),
  },
];

export function defaultScoreMixingConfig(): ScoreMixingConfig {
  return structuredClone(SCORE_MIXING_PRESETS[0].config);
}
