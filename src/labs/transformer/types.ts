// The transformer lab's data types: the float64 foundation (NUMERICS.md is the exact definition the
// WGSL kernels follow), then the public config (config.ts validates it) and the model a config
// builds (model.ts). The foundation is flat row-major Float64Array with explicit dimensions, so the
// same buffers can be uploaded to the GPU without repacking. This file imports nothing.

/** Depth integrator: one step per layer, dt = 1/L. */
export type Stepper = 'euler' | 'heun';

/** token: loss on every token; pooled: on the pi-weighted mean token; query: on a CLS token. */
export type ReadoutKind = 'token' | 'pooled' | 'query';

/**
 * L layers x H heads of attention parameters theta_{l,h} = (Q, K, V), head index p = l*H + h.
 * Q, K are k x d and V is d x d, each row-major.
 */
export interface Heads {
  L: number;
  H: number;
  k: number;
  d: number;
  /** L*H*k*d: Q[((l*H + h)*k + r)*d + c]. */
  Q: Float64Array;
  /** L*H*k*d, same layout as Q. */
  K: Float64Array;
  /** L*H*d*d: V[((l*H + h)*d + r)*d + c]. */
  V: Float64Array;
}

export interface FlowOptions {
  stepper: Stepper;
  /** Normalise every token to the unit sphere after each step (Geshkovski et al. clustering). */
  sphere: boolean;
}

/**
 * A batch of sequences. The flow state is `rows = n + (query ? 1 : 0)` rows per sequence,
 * batch x rows x d: rows 0..n-1 are the tokens, row n the CLS/query token, which is moved by the
 * flow of the sequence but is never a key (it does not change the sequence's distribution).
 */
export interface TokenBatch {
  batch: number;
  n: number;
  d: number;
  /** batch*n*d tokens. */
  x: Float64Array;
  /** batch*n log-weights log pi (uniform: -log n); each sequence's weights sum to 1. */
  logPi: Float64Array;
  /** batch*d CLS/query tokens, or null when there are none. */
  query: Float64Array | null;
}

/** Readout R = mean over sequences of 1/2 |B out - Y|^2 with a fixed linear map B (e x d). */
export interface Readout {
  kind: ReadoutKind;
  /** Output dimension. */
  e: number;
  /** e*d row-major, fixed (not trained). */
  B: Float64Array;
}

/** Per-layer flow states: states[l] is X^l (batch x rows x d), l = 0..L. */
export interface Trajectory {
  rows: number;
  states: Float64Array[];
}

/** Gradients of a scalar with respect to the heads and the input (same layouts as the inputs). */
export interface Gradients {
  dQ: Float64Array;
  dK: Float64Array;
  dV: Float64Array;
  /** batch*n*d. */
  dX: Float64Array;
  /** batch*d, or null without query tokens. */
  dQuery: Float64Array | null;
}

/**
 * A token distribution for the NTK independence test, in closed form where possible:
 * discrete atoms, a Gaussian mixture (F(z) = LSE_c(log w_c + <z, m_c> + z^T S_c z / 2)) or a
 * uniform box prod_c U[lo_c, hi_c].
 */
export type TokenDistribution =
  | { kind: 'discrete'; d: number; points: Float64Array; weights: Float64Array }
  | { kind: 'gaussianMixture'; d: number; weights: Float64Array; means: Float64Array; covs: Float64Array }
  | { kind: 'uniformBox'; d: number; lo: Float64Array; hi: Float64Array };

// ---- the public config (JSON; config.ts parses and validates it) ------------------------------

interface GeneratedBase {
  count: number;
  n: number;
  seed: number;
}
export interface MixtureComponent {
  weight: number;
  mean: number[];
  cov: number[][];
}
export type GeneratedSequences =
  | (GeneratedBase & { kind: 'gaussian'; scale: number })
  | (GeneratedBase & { kind: 'uniform'; half: number })
  | (GeneratedBase & { kind: 'discrete'; scale: number })
  | (GeneratedBase & { kind: 'gmm'; components: MixtureComponent[] });
export type SequencesInput = number[][][] | GeneratedSequences;

export interface ReadoutConfig {
  kind: ReadoutKind;
  /** e x d, fixed. Absent: the identity of d (e = d), which follows d when d changes. */
  B?: number[][];
}

export interface HeadParams {
  Q: number[][][][];
  K: number[][][][];
  V: number[][][][];
}
export type HeadInitConfig = { kind: 'gaussian'; qk: number; v: number; seed: number; clip: number } | { kind: 'clustering'; beta: number; T: number };
export type TaskConfig =
  | { kind: 'none'; readout: ReadoutConfig }
  | { kind: 'teacher'; L: number; H: number; seed: number; qk: number; v: number; readout: ReadoutConfig }
  /** targets: B x n x e (token) or B x e (pooled, query). */
  | { kind: 'targets'; readout: ReadoutConfig; targets: number[][][] | number[][] };

export interface TransformerConfig {
  d: number;
  sequences: SequencesInput;
  /** Explicit CLS tokens (B x d): explicit sequences with a query readout only. */
  queries?: number[][];
  L: number;
  H: number;
  k: number;
  integrator: Stepper;
  sphere: boolean;
  /** Exactly one of params and init is present in a parsed config. */
  params?: HeadParams;
  init?: HeadInitConfig;
  task: TaskConfig;
  tau: number;
  iterations: number;
  ntk: boolean;
  /** Iterations between empirical-NTK lambda_min evaluations during training (0: off). Parsed configs always have it. */
  ntkEvery?: number;
  record: number;
}

// ---- the model a validated config builds (model.ts) -------------------------------------------

export interface TransformerModel {
  heads: Heads;
  tokens: TokenBatch;
  flow: FlowOptions;
  readout: Readout;
  /** Targets in the layout of readoutOutputs, or null for task "none". */
  targets: Float64Array | null;
  /** The teacher's heads for task "teacher". */
  teacher: Heads | null;
  /** Depth indices l of the recorded states (config.record of them, 0 and L included). */
  recordLayers: number[];
  tau: number;
  iterations: number;
  ntk: boolean;
  /** Iterations between lambda_min evaluations of the empirical NTK during training (0: off). */
  ntkEvery: number;
}
