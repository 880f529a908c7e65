// The scalar parameters of the transformer lab (one schema for the panel, URL state, CLI `--set`,
// `flowlab labs` and validation) and its presets. Keys are config paths: `init.qk` is
// config.init.qk. Structured inputs (explicit sequences, explicit heads, targets, readout maps,
// mixture components) and the cross-field rules (shapes vs d/L/H/k, size caps) live in config.ts.

import type { Preset } from '../lab';
import type { ParamSpec } from '../schema';
import type { TransformerConfig } from './types';

/** Size limits of one run (the issue's: B <= 64, n <= 256, L <= 64, H <= 256; d, k <= 8). */
export const D_MIN = 1;
export const D_MAX = 8;
export const K_MAX = 8;
export const MAX_BATCH = 64;
export const MAX_TOKENS = 256;
export const MAX_LAYERS = 64;
export const MAX_HEADS = 256;
/**
 * Most head parameters L*H*(2kd + d^2) (8 MiB in float64, 4 MiB in f32; the full L, H, k, d box
 * would be 3.1M). Also bounds the training step's work per token pair.
 */
export const MAX_PARAMETERS = 1 << 20;
/** Most recorded floats record * B * rows * d in one snapshot (32 MiB in float64). */
export const MAX_RECORDED_VALUES = 1 << 22;
/** Most readout outputs for the empirical NTK (one backward pass each, then a P x P Gram matrix). */
export const MAX_NTK_OUTPUTS = 512;
export const MAX_ITERATIONS = 100_000;
export const MAX_SEED = 0xffffffff;
/** Mixture components of generated "gmm" sequences. */
export const MAX_COMPONENTS = 16;

export const TRANSFORMER_PARAMS: readonly ParamSpec[] = [
  {
    kind: 'number',
    key: 'd',
    label: 'd (token dimension)',
    min: D_MIN,
    max: D_MAX,
    default: 2,
    integer: true,
    help: 'Token dimension. d = 2 or 3 is drawn; up to 8 is computed. Explicit sequences set it (a given d must agree).',
  },
  {
    kind: 'number',
    key: 'sequences.count',
    label: 'sequences (B)',
    min: 1,
    max: MAX_BATCH,
    default: 16,
    integer: true,
    help: 'Number of generated sequences in the batch (explicit sequences give it by their length).',
  },
  {
    kind: 'number',
    key: 'sequences.n',
    label: 'tokens per sequence (n)',
    min: 1,
    max: MAX_TOKENS,
    default: 8,
    integer: true,
    help: 'Tokens per generated sequence; each sequence is the empirical distribution of its n tokens (weights 1/n).',
  },
  {
    kind: 'number',
    key: 'sequences.seed',
    label: 'data seed',
    min: 0,
    max: MAX_SEED,
    default: 2,
    integer: true,
    help: 'Seed of the generated tokens (counter-based RNG keyed by seed and token index: GPU and CPU draw the same batch).',
  },
  {
    kind: 'number',
    key: 'L',
    label: 'L (layers)',
    min: 1,
    max: MAX_LAYERS,
    default: 8,
    integer: true,
    help: 'Depth: L layers integrate depth time [0, 1] with dt = 1/L (explicit params set it by their length).',
  },
  {
    kind: 'number',
    key: 'H',
    label: 'H (heads per layer)',
    min: 1,
    max: MAX_HEADS,
    default: 16,
    integer: true,
    help: 'Width: the layer velocity is the mean over H heads. Duplicating every head leaves the flow unchanged.',
  },
  {
    kind: 'number',
    key: 'k',
    label: 'k (query/key dimension)',
    min: 1,
    max: K_MAX,
    default: 2,
    integer: true,
    help: 'Rows of Q and K (k x d). Default: d.',
  },
  {
    kind: 'choice',
    key: 'integrator',
    label: 'integrator',
    options: ['euler', 'heun'],
    default: 'euler',
    help: 'Depth stepper, one step per layer: euler X + dt v(X); heun X + dt/2 (v(X) + v(X + dt v(X))).',
  },
  {
    kind: 'boolean',
    key: 'sphere',
    label: 'sphere',
    default: false,
    help: 'Normalise every token to the unit sphere (initially and after every layer): the Geshkovski et al. clustering flow.',
  },
  {
    kind: 'number',
    key: 'init.qk',
    label: 'σ (Q, K init)',
    min: 0,
    max: 10,
    default: 0.5,
    step: 0.01,
    help: 'Standard deviation of the Q and K entries at initialisation (clipped normals).',
  },
  {
    kind: 'number',
    key: 'init.v',
    label: 'σ (V init)',
    min: 0,
    max: 10,
    default: 0,
    step: 0.01,
    help: 'Standard deviation of the V entries at initialisation; 0 gives V = 0, the identity flow.',
  },
  {
    kind: 'number',
    key: 'init.seed',
    label: 'head seed',
    min: 0,
    max: MAX_SEED,
    default: 3,
    integer: true,
    help: 'Seed of the head initialisation (head l*H + h draws from the counter-based RNG).',
  },
  {
    kind: 'number',
    key: 'init.clip',
    label: 'init clip',
    min: 0.1,
    max: 10,
    default: 3,
    step: 0.1,
    help: 'Standard normals are clipped to [-clip, clip] before scaling.',
  },
  {
    kind: 'number',
    key: 'init.beta',
    label: 'β (clustering temperature)',
    min: 0,
    max: 100,
    default: 4,
    step: 0.1,
    help: 'Clustering heads: Q = K = sqrt(β) I, so the logits are β <x, y> (init.kind "clustering").',
  },
  {
    kind: 'number',
    key: 'init.T',
    label: 'T (clustering depth time)',
    min: 1e-3,
    max: 1e3,
    default: 1,
    scale: 'log',
    help: 'Clustering heads: V = T I, so the L layers integrate depth time T with step T/L.',
  },
  {
    kind: 'number',
    key: 'task.L',
    label: 'teacher L',
    min: 1,
    max: MAX_LAYERS,
    default: 4,
    integer: true,
    help: 'Teacher depth (task.kind "teacher"): targets are the teacher network\'s readout of the same sequences.',
  },
  {
    kind: 'number',
    key: 'task.H',
    label: 'teacher H',
    min: 1,
    max: MAX_HEADS,
    default: 2,
    integer: true,
    help: 'Teacher heads per layer.',
  },
  {
    kind: 'number',
    key: 'task.seed',
    label: 'teacher seed',
    min: 0,
    max: MAX_SEED,
    default: 1,
    integer: true,
    help: 'Seed of the teacher heads.',
  },
  {
    kind: 'number',
    key: 'task.qk',
    label: 'teacher σ (Q, K)',
    min: 0,
    max: 10,
    default: 1,
    step: 0.01,
    help: 'Standard deviation of the teacher\'s Q and K entries.',
  },
  {
    kind: 'number',
    key: 'task.v',
    label: 'teacher σ (V)',
    min: 0,
    max: 10,
    default: 1,
    step: 0.01,
    help: 'Standard deviation of the teacher\'s V entries.',
  },
  {
    kind: 'number',
    key: 'tau',
    label: 'τ (step)',
    min: 1e-6,
    max: 100,
    default: 0.5,
    scale: 'log',
    help: 'Gradient-flow step: θ_{l,h} ← θ_{l,h} − τ L H ∂R/∂θ_{l,h} (conditional Wasserstein, full batch).',
  },
  {
    kind: 'number',
    key: 'iterations',
    label: 'training steps',
    min: 0,
    max: MAX_ITERATIONS,
    default: 100,
    integer: true,
    help: 'Training steps (0: forward only). Default 100 with a task, 0 with task.kind "none" (which allows only 0).',
  },
  {
    kind: 'boolean',
    key: 'ntk',
    label: 'NTK check',
    default: false,
    help:
      'Run the NTK injectivity check: log-sum-exp features of the input sequences modulo affine functions ' +
      '(dependent when s_min/s_max < 1e-8), with the dependency vector and Dirac-like sequences. λ_min of the ' +
      "model's empirical NTK is tracked separately (NTK λ_min every).",
  },
  {
    kind: 'number',
    key: 'ntkEvery',
    label: 'NTK λ_min every',
    min: 0,
    max: MAX_ITERATIONS,
    default: 0,
    integer: true,
    help:
      'Track λ_min of the empirical NTK K = L H J J^T during training: float64 on the CPU (one backward pass per ' +
      'readout output; ~2 s for the teacher → student preset) at iterations 0, every, 2·every, … and the last (the ' +
      'page: at the first picture past each multiple, in a worker). 0 = off; needs a teacher or targets task; ' +
      'skipped, with a message, above 512 readout outputs.',
  },
  {
    kind: 'number',
    key: 'record',
    label: 'recorded layers',
    min: 2,
    max: MAX_LAYERS + 1,
    default: 9,
    integer: true,
    help: 'Depth states saved, evenly spaced over l = 0..L (first and last included); at most L + 1.',
  },
];

export function paramSpec(key: string): ParamSpec | undefined {
  return TRANSFORMER_PARAMS.find((p) => p.key === key);
}

// ---- presets --------------------------------------------------------------------------------

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/** Six fixed tokens in the plane per sequence (three sequences), and a translate of the first. */
function translatedCopySequences(): number[][][] {
  const s0 = [[0.9, 0.1], [-0.4, 0.8], [-0.7, -0.5], [0.2, -0.9], [0.5, 0.6], [-0.1, -0.2]];
  const s1 = [[1.2, -0.3], [0.1, 1.1], [-0.9, 0.2], [-0.3, -1.0], [0.7, 0.3], [0.0, 0.5]];
  const s2 = [[0.4, 0.4], [-1.1, 0.3], [0.6, -0.7], [-0.2, 1.3], [1.0, -0.1], [-0.6, -0.8]];
  const t = [0.5, -0.25];
  return [s0, s1, s2, s0.map(([x, y]) => [r6(x + t[0]), r6(y + t[1])])];
}

export const TRANSFORMER_PRESETS: readonly Preset<TransformerConfig>[] = [
  {
    id: 'teacher-student',
    title: 'Teacher → student',
    description:
      'The spec\'s run: a teacher (L = 4, H = 2, unit Gaussian Q, K, V) labels 16 sequences of 8 Gaussian tokens in d = 2 ' +
      '(token-wise readout, B = I); a student (L = 8, H = 16, Q, K ~ 0.5 N(0, 1), V = 0) trained with τ = 0.5 takes the ' +
      'risk from ~1e-1 to ~1e-2 in 100 steps and ~1e-3 in 600.',
    config: {
      d: 2,
      sequences: { kind: 'gaussian', count: 16, n: 8, seed: 2, scale: 1 },
      L: 8,
      H: 16,
      k: 2,
      integrator: 'euler',
      sphere: false,
      init: { kind: 'gaussian', qk: 0.5, v: 0, seed: 3, clip: 3 },
      task: { kind: 'teacher', L: 4, H: 2, seed: 1, qk: 1, v: 1, readout: { kind: 'token' } },
      tau: 0.5,
      iterations: 600,
      ntk: false,
      ntkEvery: 50,
      record: 9,
    },
  },
  {
    id: 'sphere-clustering',
    title: 'Clustering on the sphere',
    description:
      'Geshkovski et al.: n = 5 tokens on the sphere in d = 3, one head per layer with Q = K = sqrt(β) I (β = 4) and ' +
      'V = T I, tokens normalised after every layer; L = 64 Heun layers (the cap) integrate depth time T = 16, dt = 0.25. ' +
      'Tokens drift toward clusters; merging into one or two takes depth time ~200 (metastability, see the unit test).',
    config: {
      d: 3,
      sequences: { kind: 'gaussian', count: 1, n: 5, seed: 1, scale: 1 },
      L: 64,
      H: 1,
      k: 3,
      integrator: 'heun',
      sphere: true,
      init: { kind: 'clustering', beta: 4, T: 16 },
      task: { kind: 'none', readout: { kind: 'token' } },
      tau: 0.5,
      iterations: 0,
      ntk: false,
      ntkEvery: 0,
      record: 65,
    },
  },
  {
    id: 'gaussian-sequences',
    title: 'Gaussian sequences (closed-form check)',
    description:
      'Sequences of 256 Gaussian tokens in d = 2 through random heads (Q, K, V ~ 0.5 N(0, 1)): a Gaussian law stays ' +
      'Gaussian, with mean and covariance following a closed-form ODE; the tokens\' moments track it.',
    config: {
      d: 2,
      sequences: { kind: 'gaussian', count: 4, n: 256, seed: 5, scale: 1 },
      L: 16,
      H: 4,
      k: 2,
      integrator: 'heun',
      sphere: false,
      init: { kind: 'gaussian', qk: 0.5, v: 0.5, seed: 7, clip: 3 },
      task: { kind: 'none', readout: { kind: 'token' } },
      tau: 0.5,
      iterations: 0,
      ntk: false,
      ntkEvery: 0,
      record: 17,
    },
  },
  {
    id: 'ntk-translate',
    title: 'NTK: a translated copy',
    description:
      'Four sequences of six tokens in d = 2, the last a translate of the first by (0.5, −0.25): their log-sum-exp ' +
      'features differ by an affine function, so the NTK injectivity check fails with dependency (e_0 − e_3)/√2.',
    config: {
      d: 2,
      sequences: translatedCopySequences(),
      L: 4,
      H: 4,
      k: 2,
      integrator: 'heun',
      sphere: false,
      init: { kind: 'gaussian', qk: 0.5, v: 0.5, seed: 3, clip: 3 },
      task: { kind: 'none', readout: { kind: 'pooled' } },
      tau: 0.5,
      iterations: 0,
      ntk: true,
      ntkEvery: 0,
      record: 5,
    },
  },
];

export function defaultTransformerConfig(): TransformerConfig {
  return structuredClone(TRANSFORMER_PRESETS[0].config);
}
