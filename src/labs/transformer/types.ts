// Types of the transformer lab's float64 foundation (NUMERICS.md is the exact definition the WGSL
// kernels follow). Everything is flat row-major Float64Array with explicit dimensions, so the
// same buffers can be uploaded to the GPU without repacking.

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
