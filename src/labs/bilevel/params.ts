// The scalar parameters of the bilevel lab (one schema for panel, URL state, CLI `--set`,
// `flowlab labs` and validation) and its presets. Keys are config paths: `grid.n` is
// config.grid.n. The grid ranges and an explicit perturbation {q, d} are structured inputs checked
// by config.ts.

import type { Preset } from '../lab';
import type { ParamSpec } from '../schema';
import { FAMILIES, type BilevelConfig, type Family } from './types';

/** Largest grid side: 2048^2 pixels (4.2 M) is what the kernel is sized for on a GPU. */
export const MAX_GRID = 2048;
/** The upper-level box: every grid range lies in [-X_LIMIT, X_LIMIT] (keeps the QP/LP polygon non-empty). */
export const X_LIMIT = 3;
/** Largest |q_i|, |d_i| (and eps): with these the polygon stays non-empty and the LP cost non-zero. */
export const MAX_PERTURBATION = 0.3;
export const MAX_SEED = 0xffffffff;

export const BILEVEL_PARAMS: readonly ParamSpec[] = [
  {
    kind: 'choice',
    key: 'family',
    label: 'family',
    options: FAMILIES,
    default: 'qp',
    help:
      'Lower-level problem: qp (strongly convex QP over a moving polygon), disk (SCSC fails on the unit circle), ' +
      'abs (LICQ fails on x₁ = 0), cusp (SOSC fails at the origin), lp (SOSC fails where the cost is perpendicular to an edge).',
  },
  {
    kind: 'number',
    key: 'grid.n',
    label: 'grid N',
    min: 1,
    max: MAX_GRID,
    default: 256,
    integer: true,
    help: 'Pixels per side: N × N upper-level points x, one lower-level solve each. Pixel centres x₁[i] = lo + (i + ½)(hi − lo)/N.',
  },
  {
    kind: 'number',
    key: 'kappa',
    label: 'κ (flag width)',
    min: 1e-3,
    max: 100,
    default: 2,
    step: 0.01,
    help: 'A pixel is flagged for a condition when its margin is below κh (h the larger grid spacing); κ at least the margin’s Lipschitz constant marks every pixel the failure set crosses.',
  },
  {
    kind: 'number',
    key: 'perturbation.eps',
    label: 'ε (perturbation)',
    min: 0,
    max: MAX_PERTURBATION,
    default: 0,
    step: 0.005,
    help: 'Random perturbation size: the tilt q and the right-hand-side shifts d are drawn U[−ε, ε] from the seed (0: nominal problem).',
  },
  {
    kind: 'number',
    key: 'perturbation.seed',
    label: 'perturbation seed',
    min: 0,
    max: MAX_SEED,
    default: 1,
    integer: true,
    help: 'Seed of the perturbation draw (counter-based RNG: the same seed gives the same q, d in the page, the CLI and Python).',
  },
];

function base(family: Family, overrides: Partial<BilevelConfig> = {}): BilevelConfig {
  return { family, grid: { n: 256, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0, seed: 1 }, kappa: 2, ...overrides };
}

export const BILEVEL_PRESETS: readonly Preset<BilevelConfig>[] = [
  {
    id: 'qp',
    title: 'QP over a moving polygon (main)',
    description:
      'min ½|y − p(x)|² s.t. four linear constraints, the ceiling moving with x: ten active-set regions, SCSC failure curves on ' +
      'their boundaries, an LICQ arc where the ceiling passes the apex (0, 1), no SOSC failure (Hessian I).',
    config: base('qp'),
  },
  {
    id: 'qp-perturbed',
    title: 'QP, randomly perturbed (ε = 0.2)',
    description:
      'The same QP with q, d ~ U[−0.2, 0.2]: the failure curves move but do not disappear (rigidity: I(0,0) = {} and ' +
      'I(2,2) = {2} survive every small perturbation), while each condition still holds at almost every x.',
    config: base('qp', { perturbation: { eps: 0.2, seed: 1 } }),
  },
  {
    id: 'disk',
    title: 'Disk: SCSC fails on the unit circle',
    description: 'min ½|y − x|² s.t. |y|² ≤ 1: y* = x / max(1, |x|), μ = (|x| − 1)/2 outside; strict complementarity fails exactly on |x| = 1.',
    config: base('disk'),
  },
  {
    id: 'abs',
    title: 'Abs: LICQ fails on x₁ = 0',
    description:
      'min ½(y + 3)² s.t. x₁ − y ≤ 0, −x₁ − y ≤ 0 (y ∈ ℝ): y* = |x₁|; both constraints are active with the same gradient on x₁ = 0. ' +
      'The multipliers are not unique there and their limits from either side violate strict complementarity, so SCSC is flagged along the same line.',
    config: base('abs'),
  },
  {
    id: 'cusp',
    title: 'Cusp: SOSC fails at the origin only',
    description:
      'min y⁴/4 + x₁y²/2 + x₂y: the fold 4x₁³ + 27x₂² = 0 bounds the region with two local minima; two global minimisers on ' +
      '{x₂ = 0, x₁ < 0} (y* jumps); SOSC fails only at x = (0, 0).',
    config: base('cusp', { grid: { n: 257, x1: [-2, 2], x2: [-2, 2] } }),
  },
  {
    id: 'lp',
    title: 'LP over the polygon',
    description: 'min (cos φ, sin φ)ᵀy over the same polygon, φ = 2x₁ + x₂ + 0.3x₁x₂: y* jumps between vertices; SOSC (and SCSC) fail on the curves where the cost is perpendicular to an edge.',
    config: base('lp'),
  },
];

export function defaultBilevelConfig(): BilevelConfig {
  return structuredClone(BILEVEL_PRESETS[0].config);
}
