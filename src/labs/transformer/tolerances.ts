// Float32 tolerances of the transformer kernels against the float64 reference, shared by
// test/gpu/transformer*.test.ts and the self-test (selftest.ts): one copy.
//
// Forward (attention-forward.wgsl). The inputs are rounded once (relative eps = 2^-24). A logit
// l = <Qz, Kz'> + log pi is a sum of O(k d) products, so its f32 error is ~ k d eps (1 + Lambda),
// Lambda = max |l| (the terms are bounded by the logit scale times O(1) cancellation). A logit
// error dl moves the softmax mean a by at most dl * max|z_j - a| (d a / d l_j = W_j (z_j - a)),
// and the online rescaling itself only multiplies by exp(<= 0) factors (relative eps each). So one
// velocity evaluation is off by ~ |V| (k d eps (1 + Lambda) + n-independent eps) * Xmax; WGSL's
// exp is accurate to 3 + 2|x| ULP, i.e. ~2 Lambda eps relative for arguments down to -Lambda,
// the same order. The kernels run the softmax in base 2 (exp2 of log2(e) l, log2(e) folded into
// Q z and log pi once: one more rounding of each, relative eps, so at most eps Lambda more in a
// logit, inside k d eps (1 + Lambda); exp2 has the same 3 + 2|x| ULP bound) with one exp2 per pair
// (conditional rescale: the factors are still exp2(<= 0)); neither changes the model. L stages of
// dt = 1/L add these up (sum of dt = 1), amplified by the flow's
// Lipschitz factor, O(1) at these depths. So |gpu - ref| ~ c eps (1 + Lambda) Xmax with c of
// order one: measured c <= 0.4 (SwiftShader); FORWARD_C = 16.
//
// Backward (attention-vjp-rows/keys, head-gradients, heun-combine, sphere-project). Entry error
// <= C eps (1 + Lambda) max|ref array|: logits carry k d eps (1 + Lambda) absolute error, exp adds
// ~2 Lambda eps relative, every recomputed weight inherits it; the gradients are sums of such
// terms, so their error is relative to the array's scale. Measured c <= 0.7 for d <= 3 Euler,
// <= 1.6 for large logits, ~12 for d = 8, k = 5 Heun (rounding only the inputs already gives
// c ~ 1.2 there). BACKWARD_C = 64 leaves a 5x margin over the worst measured case. With the kept
// forward LSE (one exp2 per pair, W = exp2(l2 - LSE2) from the forward's own logits, whose error is
// the forward's logit error above) and the two-level gradient sums (shorter f32 sum chains than
// the serial ones) the model is unchanged; measured (SwiftShader, issue 13 kernels): c <= 1.7 for
// d <= 3 Euler, <= 2.8 with sphere or Heun, 6.9 for d = 8, k = 5 Heun.
//
// Update (head-update.wgsl): theta - tau L H g, off by 4 eps |theta| plus the gradient's error
// times tau L H.
//
// Risk history (readout-risk.wgsl in the trainer loop). X^L is off by ~ c eps (1 + Lambda) Xmax
// (forward model), and R = sum_q w_q |r_q|^2 / 2 with sum_q w_q = 1 moves by at most
// |B| |dX| sqrt(2 R) (Cauchy-Schwarz); the f32 sums of the risk add ~ eps R each. Each update adds
// the backward's error to the heads, so the curves drift apart about linearly in i:
// tol_i = C eps (1 + Lambda) (1 + i) (R_i + |B| Xmax sqrt(2 R_i)). Measured c_i <= 0.11
// (SwiftShader); RISK_C = 2 leaves a 20x margin.

import type { Heads, TokenBatch } from './types';

export const EPS = 2 ** -24;
export const FORWARD_C = 16;
export const BACKWARD_C = 64;
export const RISK_C = 2;

/** max |l_ij| over all layers, heads, sequences, rows and keys of the reference states. */
export function maxLogit(heads: Heads, tb: TokenBatch, states: Float64Array[]): number {
  const { L, H, k, d } = heads;
  const rows = tb.n + (tb.query ? 1 : 0);
  const proj = (M: Float64Array, p: number, Z: Float64Array, o: number, r: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += M[(p * k + r) * d + c] * Z[o + c];
    return s;
  };
  let big = 0;
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++)
      for (let b = 0; b < tb.batch; b++)
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < tb.n; j++) {
            let lg = tb.logPi[b * tb.n + j];
            for (let r = 0; r < k; r++) lg += proj(heads.Q, l * H + h, states[l], (b * rows + i) * d, r) * proj(heads.K, l * H + h, states[l], (b * rows + j) * d, r);
            big = Math.max(big, Math.abs(lg));
          }
  return big;
}

/** Absolute tolerance of every state entry of the forward pass. */
export function forwardTolerance(lambda: number, xMax: number): number {
  return FORWARD_C * EPS * (1 + lambda) * xMax;
}

/** Absolute tolerance of every entry of a gradient array whose largest |entry| is `scale`. */
export function gradientTolerance(lambda: number, scale: number): number {
  return BACKWARD_C * EPS * (1 + lambda) * scale;
}

/** Tolerance of theta - factor g after head-update (factor = tau L H). */
export function updateTolerance(theta: number, factor: number, lambda: number, gradScale: number): number {
  return EPS * 4 * Math.abs(theta) + factor * gradientTolerance(lambda, gradScale);
}

/** Tolerance of riskHistory[i] whose float64 value is R (bNorm = |B|, xMax = max |X| of the states). */
export function riskTolerance(i: number, R: number, lambda: number, bNorm: number, xMax: number): number {
  return RISK_C * EPS * (1 + lambda) * (1 + i) * (R + bNorm * xMax * Math.sqrt(2 * R));
}
