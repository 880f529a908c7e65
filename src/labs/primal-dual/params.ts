// The scalar parameters of the primal-dual lab (one schema for panel, URL state, CLI `--set`,
// `flowlab labs` and validation) and its presets. Keys are config paths: `initial.count` is
// config.initial.count. The problem (objective, A, b) and explicit initial states are structured
// inputs checked by config.ts. Windows that depend on other parameters (theta in
// [1/(alpha-1), 1/2], 0 <= p <= (1-2 theta)/theta, T > t0, h <= T - t0) are checked there too.

import type { Preset } from '../lab';
import type { ParamSpec, ParamValues, ParamWindow } from '../schema';
import { MAX_N } from './kkt';
import { thetaWindow } from './reference';
import type { PrimalDualConfig } from './types';

export { MAX_N };
export const MAX_TRAJECTORIES = 1 << 20;
export const MAX_RECORD = 10_001;
/** Most grid steps K = ceil((T - t0)/h) one run may take. */
export const MAX_STEPS = 10_000_000;
/** Most recorded values (frames x trajectories x (n + 2m + 6)) one snapshot may hold (2 GiB in float64). */
export const MAX_RECORDED_VALUES = 2 ** 28;
export const MAX_SEED = 0xffffffff;

export const PRIMAL_DUAL_PARAMS: readonly ParamSpec[] = [
  {
    kind: 'number',
    key: 'alpha',
    label: 'α (damping)',
    min: 3,
    max: 12,
    default: 3,
    step: 0.01,
    help:
      'Damping α/t in x″ + (α/t) x′ + ... The energy decays for 1/(α−1) ≤ θ ≤ 1/2, so α = 3 forces θ = 1/2 (rates O(1/t²), ' +
      'sharp); α > 3 opens the window and gives o(1/t²) strictly inside it.',
  },
  {
    kind: 'number',
    key: 'theta',
    label: 'θ (extrapolation)',
    min: 0.01,
    max: 1,
    default: 0.5,
    step: 0.001,
    help:
      'Extrapolation weight in A^T(λ + θ t λ′) and A(x + θ t x′). Admissible window [1/(α−1), 1/2] (energy non-increasing); ' +
      'o(1/t²) rates need the open window. Outside it the config is refused unless allowOutsideWindow is set.',
    window: thetaPanelWindow,
  },
  {
    kind: 'number',
    key: 'beta',
    label: 'β (penalty)',
    min: 0,
    max: 100,
    default: 1,
    step: 0.01,
    help: 'Augmented-Lagrangian penalty β Aᵀ(Ax − b) in the primal equation (β ≥ 0).',
  },
  {
    kind: 'number',
    key: 'p',
    label: 'p (time scaling)',
    min: 0,
    max: 20,
    default: 0,
    step: 0.01,
    help:
      'Time scaling s(t) = t^p multiplying the forces. Admissible 0 ≤ p ≤ (1 − 2θ)/θ (0 at θ = 1/2); ' +
      'at p = (1 − 2θ)/θ with θ = 1/(α−1) the quantity Q(t) is conserved.',
    window: pPanelWindow,
  },
  {
    kind: 'number',
    key: 't0',
    label: 't₀ (start time)',
    min: 1e-3,
    max: 1e3,
    default: 1,
    scale: 'log',
    unit: 'time',
    help: 'Start time t₀ > 0 (the damping α/t is singular at 0). Initial data x(t₀), λ(t₀), x′(t₀), λ′(t₀).',
  },
  {
    kind: 'number',
    key: 'T',
    label: 'T (end time)',
    min: 1e-2,
    max: 1e5,
    default: 50,
    scale: 'log',
    unit: 'time',
    help: 'End time (T > t₀). Frames are recorded evenly in log t on [t₀, T].',
  },
  {
    kind: 'number',
    key: 'h',
    label: 'h (largest step)',
    min: 1e-5,
    max: 10,
    default: 0.02,
    scale: 'log',
    unit: 'time',
    help:
      'Largest time step: the grid has K = ceil((T − t₀)/h) uniform steps. The rotation step and suzuki4 are stable for any ' +
      'gyration speed h θ t s(t) σ_max(A); RK4 needs it below ~2.8 up to T.',
  },
  {
    kind: 'choice',
    key: 'integrator',
    label: 'integrator',
    options: ['rotation', 'rk4', 'suzuki4'],
    default: 'rotation',
    help:
      'rotation: Cayley rotation of the gyration term, stable for any gyration speed (second order, one force per step). ' +
      'rk4: classical RK4 (explicit, 4 forces per step). suzuki4: five rotation substeps in Suzuki\'s symmetric composition ' +
      '(fourth order, 5 forces per step; stable up to about twice the h of the rotation step).',
  },
  {
    kind: 'number',
    key: 'initial.count',
    label: 'trajectories',
    min: 1,
    max: MAX_TRAJECTORIES,
    default: 128,
    integer: true,
    help: 'Number of trajectories started from a cloud around (x*, λ*) with zero velocities (ignored when initial gives x, λ explicitly).',
  },
  {
    kind: 'number',
    key: 'initial.spread',
    label: 'initial spread',
    min: 0,
    max: 100,
    default: 1,
    step: 0.01,
    help: 'Standard deviation r of the cloud: x(t₀) = x* + r z, λ(t₀) = λ* + r z′ with z, z′ standard normal.',
  },
  {
    kind: 'number',
    key: 'initial.seed',
    label: 'initial seed',
    min: 0,
    max: MAX_SEED,
    default: 1,
    integer: true,
    help: 'Seed of the cloud (counter-based RNG: the same seed gives the same initial states on GPU and CPU).',
  },
  {
    kind: 'number',
    key: 'record',
    label: 'recorded frames',
    min: 2,
    max: MAX_RECORD,
    default: 61,
    integer: true,
    help: 'Frames saved, evenly spaced in log t, first (t₀) and last (T) included (each at the nearest grid step).',
  },
  {
    kind: 'boolean',
    key: 'allowOutsideWindow',
    label: 'allow θ, p outside window',
    default: false,
    help: 'Run with θ outside [1/(α−1), 1/2] or p outside [0, (1 − 2θ)/θ]: the energy may grow and the rates are not guaranteed.',
  },
];

export function paramSpec(key: string): ParamSpec | undefined {
  return PRIMAL_DUAL_PARAMS.find((p) => p.key === key);
}

/** thetaWindow(alpha): the energy window [1/(alpha-1), 1/2] of theta. */
export { thetaWindow };

/** Largest admissible time-scaling exponent for this theta: (1 - 2 theta)/theta. */
export function pMax(theta: number): number {
  return (1 - 2 * theta) / theta;
}

/** theta inside the window, with the same 1e-12 relative slack at 1/(alpha-1) as the reference. */
export function thetaInWindow(alpha: number, theta: number): boolean {
  const [lo, hi] = thetaWindow(alpha);
  return theta >= lo * (1 - 1e-12) && theta <= hi;
}

export function pInWindow(theta: number, p: number): boolean {
  return p >= 0 && p <= pMax(theta) + 1e-12;
}

const short = (v: number): string => String(Number(v.toPrecision(4)));
const OUTSIDE = 'the energy E(t) is not monotone and no rate is guaranteed';

/** The panel band of theta: [1/(alpha-1), 1/2] for the current alpha (a single point at alpha = 3). */
function thetaPanelWindow(values: ParamValues): ParamWindow | null {
  const alpha = values.alpha;
  if (typeof alpha !== 'number' || !(alpha > 1)) return null;
  const [lo, hi] = thetaWindow(alpha);
  const label =
    lo >= hi
      ? `energy window [1/(α−1), 1/2] = {1/2} at α = ${short(alpha)} (a single point)`
      : `energy window [1/(α−1), 1/2] = [${short(lo)}, ${short(hi)}] for α = ${short(alpha)}`;
  return { from: lo, to: hi, label, warning: OUTSIDE };
}

/** The panel band of p: [0, (1 - 2 theta)/theta] for the current theta (empty for theta > 1/2). */
function pPanelWindow(values: ParamValues): ParamWindow | null {
  const theta = values.theta;
  if (typeof theta !== 'number' || !(theta > 0)) return null;
  const hi = pMax(theta);
  const label =
    hi < 0
      ? `range [0, (1−2θ)/θ], empty for θ = ${short(theta)} > 1/2`
      : `range [0, (1−2θ)/θ] = [0, ${short(hi)}] for θ = ${short(theta)}`;
  return { from: 0, to: hi, label, warning: OUTSIDE };
}

// ---- presets --------------------------------------------------------------------------------

/** The test instance (NUMERICS.md "Test instance"): f = 1/4 sum (x_i - c_i)^4, n = 4, m = 2. */
const TEST_A = [
  [1, 2, -1, 0.5],
  [0, 1, 1, -2],
];
const TEST_B = [1, -2];
const TEST_C = [1, -0.5, 0.3, 2];

/**
 * The presets' common config. T = 50 with h = 0.02 is K = 2450 steps, a run of seconds on a GPU at
 * a few dozen steps per frame, with the gyration phase per step (theta t sigma_max(A) h, about 1.3
 * at T) as at the former T = 100, h = 0.01 (9900 steps). No preset compares (config.compare): a
 * preset's `flowlab run` output keeps its shape; the page's Compare control adds alphas.
 */
function base(overrides: Partial<PrimalDualConfig> = {}): PrimalDualConfig {
  return {
    objective: { kind: 'quartic', c: [...TEST_C] },
    A: TEST_A.map((r) => [...r]),
    b: [...TEST_B],
    alpha: 3,
    theta: 0.5,
    beta: 1,
    p: 0,
    t0: 1,
    T: 50,
    h: 0.02,
    integrator: 'rotation',
    record: 61,
    allowOutsideWindow: false,
    ...overrides,
    // From zero data x(t0) = 0, lambda(t0) = 0 unless the preset gives a cloud.
    initial: overrides.initial ?? { x: new Array<number>((overrides.A ?? TEST_A)[0].length).fill(0), lambda: new Array<number>((overrides.A ?? TEST_A).length).fill(0) },
  };
}

/** A deterministic well-conditioned m x n matrix with short decimal entries (the larger preset). */
function spreadMatrix(m: number, n: number): number[][] {
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => Math.round(100 * (Math.sin(1.3 + 2.1 * i + 0.9 * j + 0.37 * i * j) + (i === j ? 1 : 0))) / 100),
  );
}

export const PRIMAL_DUAL_PRESETS: readonly Preset<PrimalDualConfig>[] = [
  {
    id: 'test-instance',
    title: 'Test instance, α = 3, θ = 1/2',
    description:
      "The spec's test instance: f = ¼ Σ (x_i − c_i)⁴, A 2 × 4, β = 1, from a cloud of 128 initial states x* + z, λ* + z′ " +
      '(z, z′ standard normal, zero velocities) at t₀ = 1, run to T = 50 (2450 steps). At α = 3 (θ = 1/2) the quantity Q(t) ' +
      'is conserved and t²‖Ax − b‖ stays bounded but does not decay: the O(1/t²) rate is sharp.',
    config: base({ initial: { count: 128, seed: 1, spread: 1 } }),
  },
  {
    id: 'test-instance-alpha4',
    title: 'Test instance, α = 4, θ = 5/12',
    description:
      'The same problem strictly inside the window 1/3 < θ < 1/2: t² gap, t²‖Ax − b‖ and t²|f − f*| all tend to 0 (o(1/t²)).',
    config: base({ alpha: 4, theta: 5 / 12 }),
  },
  {
    id: 'flat-minimum',
    title: 'Flat minimum (quartic)',
    description:
      'A, b, c chosen so that x*_0 = c_0 exactly (λ*_0 = 0, column 0 of A is e_1): the Hessian 3(x − c)² is singular at x*. ' +
      'x* = (1, 0, 0.8, 1.5), λ* = (0, −1/8).',
    config: base({
      A: [
        [1, 2, -1, 0.5],
        [0, 1, 1, -1],
      ],
      b: [0.95, -0.7],
      alpha: 4,
      theta: 5 / 12,
    }),
  },
  {
    id: 'holder',
    title: 'Hölder-3/2',
    description: 'f = ⅔ Σ |x_i − c_i|^{3/2}: ∇f is only ½-Hölder (unbounded Hessian at x_i = c_i). Test-instance A, b, c; α = 4.',
    config: base({ objective: { kind: 'holder', c: [...TEST_C] }, alpha: 4, theta: 5 / 12 }),
  },
  {
    id: 'exp',
    title: 'Exponential',
    description: 'f = Σ exp(x_i) − ⟨w, x⟩: ∇f grows exponentially (no global Lipschitz constant). Test-instance A, b; α = 4.',
    config: base({ objective: { kind: 'exp', w: [2, 1, 1.5, 1] }, alpha: 4, theta: 5 / 12 }),
  },
  {
    id: 'quadratic',
    title: 'Quadratic (Lipschitz, for comparison)',
    description: 'f = ½ xᵀQx − cᵀx with Q the tridiagonal (−1, 2, −1) matrix: the classical smooth case. Test-instance A, b; α = 4.',
    config: base({
      objective: {
        kind: 'quadratic',
        Q: [
          [2, -1, 0, 0],
          [-1, 2, -1, 0],
          [0, -1, 2, -1],
          [0, 0, -1, 2],
        ],
        c: [...TEST_C],
      },
      alpha: 4,
      theta: 5 / 12,
    }),
  },
  {
    id: 'cloud',
    title: 'Cloud of initial conditions',
    description:
      'The test instance at α = 4, θ = 5/12 from 256 initial states x* + z, λ* + z′ (z, z′ standard normal), zero velocities: ' +
      'phase-plane views of many trajectories converging to the same KKT point.',
    config: base({ alpha: 4, theta: 5 / 12, initial: { count: 256, seed: 1, spread: 1 } }),
  },
  {
    id: 'larger-12x5',
    title: 'Larger: n = 12, m = 5',
    description: 'A quartic in 12 unknowns with 5 constraints (deterministic A), α = 5 and θ = 1/3 inside the window [1/4, 1/2]; 64 trajectories.',
    config: base({
      objective: { kind: 'quartic', c: Array.from({ length: 12 }, (_, j) => Math.round(100 * Math.cos(0.7 * j)) / 100) },
      A: spreadMatrix(5, 12),
      b: [1, -1, 0.5, 0, 2],
      alpha: 5,
      theta: 1 / 3,
      T: 50,
      initial: { count: 64, seed: 2, spread: 0.5 },
    }),
  },
];

export function defaultPrimalDualConfig(): PrimalDualConfig {
  return structuredClone(PRIMAL_DUAL_PRESETS[0].config);
}
