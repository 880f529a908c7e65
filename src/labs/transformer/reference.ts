// Float64 CPU reference of the transformer lab: the attention flow in depth (Euler or Heun, optional
// sphere normalisation), its exact discrete adjoint (softmax recomputed from the stored per-layer
// states, never stored), readouts with a fixed map B, the risk, and the conditional-Wasserstein
// training step. NUMERICS.md is the definition, followed literally, so the WGSL kernels can be
// compared against it entry by entry.
//
// API:
//   initialState(tb): X^0 (batch x rows x d, query token in row n)
//   layerVelocity(heads, l, tb, Z, out)          v_l(Z) = (1/H) sum_h V_h a_h(Z)
//   forward(heads, tb, opts): Trajectory         X^0..X^L
//   backward(heads, tb, opts, traj, P): Gradients  VJP of X^L -> (theta, X^0) for cotangent P
//   readoutOutputs / readoutVjp / riskAndCotangent(readout, tb, XL, Y)
//   riskGradient(heads, tb, readout, Y, opts): { risk, grads, traj }
//   trainStep(heads, tb, readout, Y, opts, tau): theta <- theta - tau L H dR/dtheta (in place)

import { OnlineLogSumExp } from '../../math/logsumexp';
import type { FlowOptions, Gradients, Heads, Readout, TokenBatch, Trajectory } from './types';

export const rowsOf = (tb: TokenBatch): number => tb.n + (tb.query ? 1 : 0);

/** X^0 in the flow layout: batch x rows x d, tokens then the query token (if any). */
export function initialState(tb: TokenBatch): Float64Array {
  const { batch, n, d } = tb;
  const rows = rowsOf(tb);
  const Z = new Float64Array(batch * rows * d);
  for (let b = 0; b < batch; b++) {
    Z.set(tb.x.subarray(b * n * d, (b + 1) * n * d), b * rows * d);
    if (tb.query) Z.set(tb.query.subarray(b * d, (b + 1) * d), (b * rows + n) * d);
  }
  return Z;
}

/** Per-sequence work arrays of one head (sizes fixed by rows, n, k, d; reused everywhere). */
class Scratch {
  readonly qz: Float64Array;
  readonly kz: Float64Array;
  readonly W: Float64Array;
  readonly a: Float64Array;
  readonly dA: Float64Array;
  readonly dl: Float64Array;
  readonly dqz: Float64Array;
  readonly dkz: Float64Array;
  readonly acc = new OnlineLogSumExp();
  constructor(rows: number, n: number, k: number, d: number) {
    this.qz = new Float64Array(rows * k);
    this.kz = new Float64Array(n * k);
    this.W = new Float64Array(rows * n);
    this.a = new Float64Array(rows * d);
    this.dA = new Float64Array(rows * d);
    this.dl = new Float64Array(rows * n);
    this.dqz = new Float64Array(rows * k);
    this.dkz = new Float64Array(n * k);
  }
}

/** qz_i = Q z_i for all rows, kz_j = K z_j for the n key tokens of sequence b. */
function project(heads: Heads, p: number, Z: Float64Array, zOff: number, rows: number, n: number, s: Scratch): void {
  const { k, d, Q, K } = heads;
  const mo = p * k * d;
  for (let i = 0; i < rows; i++)
    for (let r = 0; r < k; r++) {
      let q = 0;
      let kk = 0;
      for (let c = 0; c < d; c++) {
        const z = Z[zOff + i * d + c];
        q += Q[mo + r * d + c] * z;
        kk += K[mo + r * d + c] * z;
      }
      s.qz[i * k + r] = q;
      if (i < n) s.kz[i * k + r] = kk;
    }
}

function logit(s: Scratch, k: number, i: number, j: number, logPi: Float64Array, piOff: number): number {
  let l = logPi[piOff + j];
  for (let r = 0; r < k; r++) l += s.qz[i * k + r] * s.kz[j * k + r];
  return l;
}

/**
 * out_i += weight V a_i for head p on one sequence, a_i = softmax-weighted mean of the keys,
 * accumulated with the online log-sum-exp (running max, rescale on growth) as the kernel does.
 */
function addHeadVelocity(heads: Heads, p: number, Z: Float64Array, zOff: number, rows: number, n: number, logPi: Float64Array, piOff: number, weight: number, out: Float64Array, s: Scratch): void {
  const { k, d, V } = heads;
  project(heads, p, Z, zOff, rows, n, s);
  const a = s.a;
  for (let i = 0; i < rows; i++) {
    s.acc.reset();
    a.fill(0, i * d, (i + 1) * d);
    for (let j = 0; j < n; j++) {
      const w = s.acc.add(logit(s, k, i, j, logPi, piOff));
      if (s.acc.scale !== 1) for (let c = 0; c < d; c++) a[i * d + c] *= s.acc.scale;
      for (let c = 0; c < d; c++) a[i * d + c] += w * Z[zOff + j * d + c];
    }
    for (let c = 0; c < d; c++) a[i * d + c] /= s.acc.sum;
    const vo = p * d * d;
    for (let r = 0; r < d; r++) {
      let v = 0;
      for (let c = 0; c < d; c++) v += V[vo + r * d + c] * a[i * d + c];
      out[zOff + i * d + r] += weight * v;
    }
  }
}

/**
 * Softmax weights W_{row, j} (j < n keys) of head p on sequence b at the state Z (batch x rows x d):
 * the attention the velocity applies, with the same logits (log pi_j + <Q z_row, K z_j>)
 * normalised by their online log-sum-exp. For the page's attention view.
 */
export function headAttention(heads: Heads, p: number, tb: TokenBatch, Z: Float64Array, b: number, row: number): Float64Array {
  const rows = rowsOf(tb);
  const { n } = tb;
  if (!(row >= 0 && row < rows)) throw new RangeError(`row ${row} outside 0..${rows - 1}`);
  const s = new Scratch(rows, n, heads.k, heads.d);
  project(heads, p, Z, b * rows * tb.d, rows, n, s);
  for (let j = 0; j < n; j++) s.acc.add(logit(s, heads.k, row, j, tb.logPi, b * n));
  const lse = s.acc.value;
  return Float64Array.from({ length: n }, (_, j) => Math.exp(logit(s, heads.k, row, j, tb.logPi, b * n) - lse));
}

/** out = v_l(Z) = (1/H) sum_h A_{theta_{l,h}}[mu(Z)](Z), all sequences. */
export function layerVelocity(heads: Heads, l: number, tb: TokenBatch, Z: Float64Array, out: Float64Array): Float64Array {
  const rows = rowsOf(tb);
  const s = new Scratch(rows, tb.n, heads.k, heads.d);
  out.fill(0);
  for (let b = 0; b < tb.batch; b++)
    for (let h = 0; h < heads.H; h++) addHeadVelocity(heads, l * heads.H + h, Z, b * rows * tb.d, rows, tb.n, tb.logPi, b * tb.n, 1 / heads.H, out, s);
  return out;
}

/**
 * VJP of one head on one sequence (spec "Backward", softmax recomputed): for the output cotangent
 * U (rows x d) adds dV, dQ, dK into g and the state cotangent (value, query and key paths) into dZ.
 */
function headVjp(heads: Heads, p: number, Z: Float64Array, zOff: number, rows: number, n: number, logPi: Float64Array, piOff: number, U: Float64Array, dZ: Float64Array, g: Gradients, s: Scratch): void {
  const { k, d, Q, K, V } = heads;
  project(heads, p, Z, zOff, rows, n, s);
  const { W, a, dA, dl, dqz, dkz } = s;
  for (let i = 0; i < rows; i++) {
    s.acc.reset();
    for (let j = 0; j < n; j++) s.acc.add(logit(s, k, i, j, logPi, piOff));
    const lse = s.acc.value;
    for (let c = 0; c < d; c++) a[i * d + c] = 0;
    for (let j = 0; j < n; j++) {
      const w = Math.exp(logit(s, k, i, j, logPi, piOff) - lse);
      W[i * n + j] = w;
      for (let c = 0; c < d; c++) a[i * d + c] += w * Z[zOff + j * d + c];
    }
  }
  const vo = p * d * d;
  const mo = p * k * d;
  for (let i = 0; i < rows; i++) {
    // dV += U_i a_i^T ; dA_i = V^T U_i
    for (let r = 0; r < d; r++) {
      const u = U[zOff + i * d + r];
      for (let c = 0; c < d; c++) g.dV[vo + r * d + c] += u * a[i * d + c];
    }
    for (let c = 0; c < d; c++) {
      let t = 0;
      for (let r = 0; r < d; r++) t += U[zOff + i * d + r] * V[vo + r * d + c];
      dA[i * d + c] = t;
    }
    // dW_ij = dA_i . z_j ; dl = W * (dW - rowsum(dW * W))
    let rowsum = 0;
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += dA[i * d + c] * Z[zOff + j * d + c];
      dl[i * n + j] = t;
      rowsum += t * W[i * n + j];
    }
    for (let j = 0; j < n; j++) dl[i * n + j] = W[i * n + j] * (dl[i * n + j] - rowsum);
  }
  // dqz = dl kz ; dkz = dl^T qz
  dqz.fill(0);
  dkz.fill(0);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < n; j++) {
      const t = dl[i * n + j];
      for (let r = 0; r < k; r++) {
        dqz[i * k + r] += t * s.kz[j * k + r];
        dkz[j * k + r] += t * s.qz[i * k + r];
      }
    }
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < d; c++) {
      const z = Z[zOff + i * d + c];
      let back = 0;
      for (let r = 0; r < k; r++) {
        g.dQ[mo + r * d + c] += dqz[i * k + r] * z;
        back += dqz[i * k + r] * Q[mo + r * d + c];
        if (i < n) {
          g.dK[mo + r * d + c] += dkz[i * k + r] * z;
          back += dkz[i * k + r] * K[mo + r * d + c];
        }
      }
      if (i < n) for (let m = 0; m < rows; m++) back += W[m * n + i] * dA[m * d + c];
      dZ[zOff + i * d + c] += back;
    }
}

/** Adds J^T U of the layer velocity v_l at Z into dZ, and the head gradients into g. */
function layerVjp(heads: Heads, l: number, tb: TokenBatch, Z: Float64Array, U: Float64Array, dZ: Float64Array, g: Gradients): void {
  const rows = rowsOf(tb);
  const s = new Scratch(rows, tb.n, heads.k, heads.d);
  const Uh = U.map((u) => u / heads.H);
  for (let b = 0; b < tb.batch; b++)
    for (let h = 0; h < heads.H; h++) headVjp(heads, l * heads.H + h, Z, b * rows * tb.d, rows, tb.n, tb.logPi, b * tb.n, Uh, dZ, g, s);
}

interface StepParts {
  v1: Float64Array;
  /** Heun only: the predictor Z + dt v1 and its velocity. */
  Zt: Float64Array | null;
  v2: Float64Array | null;
  /** The step before normalisation. */
  Y: Float64Array;
}

function stepParts(heads: Heads, l: number, tb: TokenBatch, Z: Float64Array, opts: FlowOptions): StepParts {
  const dt = 1 / heads.L;
  const v1 = layerVelocity(heads, l, tb, Z, new Float64Array(Z.length));
  if (opts.stepper === 'euler') return { v1, Zt: null, v2: null, Y: Z.map((z, i) => z + dt * v1[i]) };
  const Zt = Z.map((z, i) => z + dt * v1[i]);
  const v2 = layerVelocity(heads, l, tb, Zt, new Float64Array(Z.length));
  return { v1, Zt, v2, Y: Z.map((z, i) => z + (dt / 2) * (v1[i] + v2[i])) };
}

function normaliseRows(Y: Float64Array, d: number): Float64Array {
  const out = new Float64Array(Y.length);
  for (let o = 0; o < Y.length; o += d) {
    let r = 0;
    for (let c = 0; c < d; c++) r += Y[o + c] ** 2;
    r = Math.sqrt(r);
    for (let c = 0; c < d; c++) out[o + c] = Y[o + c] / r;
  }
  return out;
}

/** The batch with every token and query token divided by its norm (the sphere variant's X^0). */
export function onSphere(tb: TokenBatch): TokenBatch {
  return { ...tb, x: normaliseRows(tb.x, tb.d), query: tb.query && normaliseRows(tb.query, tb.d) };
}

/** X^0..X^L. Euler: X + dt v(X); Heun: X + dt/2 (v(X) + v(X + dt v(X))); dt = 1/L; then normalise if sphere. */
export function forward(heads: Heads, tb: TokenBatch, opts: FlowOptions): Trajectory {
  const states = [initialState(tb)];
  for (let l = 0; l < heads.L; l++) {
    const { Y } = stepParts(heads, l, tb, states[l], opts);
    states.push(opts.sphere ? normaliseRows(Y, tb.d) : Y);
  }
  return { rows: rowsOf(tb), states };
}

/**
 * Exact adjoint of the discrete flow: for the cotangent P of X^L returns dR/dtheta and dR/dX^0
 * (split into tokens and query). Each layer recomputes its step from the stored X^l.
 */
export function backward(heads: Heads, tb: TokenBatch, opts: FlowOptions, traj: Trajectory, PL: Float64Array): Gradients {
  const g: Gradients = {
    dQ: new Float64Array(heads.Q.length),
    dK: new Float64Array(heads.K.length),
    dV: new Float64Array(heads.V.length),
    dX: new Float64Array(tb.x.length),
    dQuery: tb.query ? new Float64Array(tb.query.length) : null,
  };
  const dt = 1 / heads.L;
  const d = tb.d;
  let P = Float64Array.from(PL);
  for (let l = heads.L - 1; l >= 0; l--) {
    const Z = traj.states[l];
    const parts = stepParts(heads, l, tb, Z, opts);
    let PY = P;
    if (opts.sphere) {
      // y = Y/|Y|: dY = (P - y (y . P)) / |Y|.
      PY = new Float64Array(P.length);
      for (let o = 0; o < P.length; o += d) {
        let r = 0;
        for (let c = 0; c < d; c++) r += parts.Y[o + c] ** 2;
        r = Math.sqrt(r);
        let yp = 0;
        for (let c = 0; c < d; c++) yp += (parts.Y[o + c] / r) * P[o + c];
        for (let c = 0; c < d; c++) PY[o + c] = (P[o + c] - (parts.Y[o + c] / r) * yp) / r;
      }
    }
    const next = Float64Array.from(PY);
    if (opts.stepper === 'euler') {
      layerVjp(heads, l, tb, Z, PY.map((p) => dt * p), next, g);
    } else {
      // Y = Z + dt/2 v(Z) + dt/2 v(Zt), Zt = Z + dt v(Z): the cotangent reaching Zt is
      // Pt = J(Zt)^T (dt/2 PY), and v(Z) receives dt/2 PY + dt Pt.
      const Ut = PY.map((p) => (dt / 2) * p);
      const Pt = new Float64Array(P.length);
      layerVjp(heads, l, tb, parts.Zt as Float64Array, Ut, Pt, g);
      for (let i = 0; i < next.length; i++) next[i] += Pt[i];
      layerVjp(heads, l, tb, Z, PY.map((p, i) => (dt / 2) * p + dt * Pt[i]), next, g);
    }
    P = next;
  }
  const rows = rowsOf(tb);
  for (let b = 0; b < tb.batch; b++) {
    g.dX.set(P.subarray(b * rows * d, (b * rows + tb.n) * d), b * tb.n * d);
    if (g.dQuery) g.dQuery.set(P.subarray((b * rows + tb.n) * d, (b * rows + tb.n + 1) * d), b * d);
  }
  return g;
}

/** Pooled weights pi_i = exp(log pi_i) of sequence b. */
const piOf = (tb: TokenBatch, b: number, i: number): number => Math.exp(tb.logPi[b * tb.n + i]);

/** Number of readout outputs: token batch*n*e, pooled and query batch*e. */
export const outputCount = (r: Readout, tb: TokenBatch): number => (r.kind === 'token' ? tb.batch * tb.n * r.e : tb.batch * r.e);

/** The readout's features of sequence b, output row i (token i, or the pooled/query token). */
function feature(r: Readout, tb: TokenBatch, XL: Float64Array, b: number, i: number, out: Float64Array): void {
  const { n, d } = tb;
  const rows = rowsOf(tb);
  out.fill(0);
  if (r.kind === 'pooled') {
    for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) out[c] += piOf(tb, b, j) * XL[(b * rows + j) * d + c];
  } else {
    const row = r.kind === 'query' ? n : i;
    for (let c = 0; c < d; c++) out[c] = XL[(b * rows + row) * d + c];
  }
}

/** B applied to the readout features: token batch x n x e, pooled/query batch x e. */
export function readoutOutputs(r: Readout, tb: TokenBatch, XL: Float64Array): Float64Array {
  const per = r.kind === 'token' ? tb.n : 1;
  const out = new Float64Array(outputCount(r, tb));
  const f = new Float64Array(tb.d);
  for (let b = 0; b < tb.batch; b++)
    for (let i = 0; i < per; i++) {
      feature(r, tb, XL, b, i, f);
      for (let o = 0; o < r.e; o++) {
        let t = 0;
        for (let c = 0; c < tb.d; c++) t += r.B[o * tb.d + c] * f[c];
        out[(b * per + i) * r.e + o] = t;
      }
    }
  return out;
}

/** Cotangent of X^L (batch x rows x d) for a cotangent G of readoutOutputs. */
export function readoutVjp(r: Readout, tb: TokenBatch, G: ArrayLike<number>): Float64Array {
  const { n, d, batch } = tb;
  const rows = rowsOf(tb);
  const per = r.kind === 'token' ? n : 1;
  const P = new Float64Array(batch * rows * d);
  const bt = new Float64Array(d);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < per; i++) {
      bt.fill(0);
      for (let o = 0; o < r.e; o++) for (let c = 0; c < d; c++) bt[c] += r.B[o * d + c] * G[(b * per + i) * r.e + o];
      if (r.kind === 'pooled') {
        for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) P[(b * rows + j) * d + c] += piOf(tb, b, j) * bt[c];
      } else {
        const row = r.kind === 'query' ? n : i;
        for (let c = 0; c < d; c++) P[(b * rows + row) * d + c] += bt[c];
      }
    }
  return P;
}

/**
 * R = (1/batch) sum_b [sum_i pi_i] 1/2 |B out - Y|^2 (the pi-sum for token-wise readouts only;
 * Y has the layout of readoutOutputs) and its cotangent dR/dX^L.
 */
export function riskAndCotangent(r: Readout, tb: TokenBatch, XL: Float64Array, Y: ArrayLike<number>): { risk: number; cotangent: Float64Array } {
  const out = readoutOutputs(r, tb, XL);
  const G = new Float64Array(out.length);
  let risk = 0;
  for (let q = 0; q < out.length; q++) {
    const w = (r.kind === 'token' ? Math.exp(tb.logPi[Math.floor(q / r.e)]) : 1) / tb.batch;
    const res = out[q] - Y[q];
    risk += 0.5 * w * res * res;
    G[q] = w * res;
  }
  return { risk, cotangent: readoutVjp(r, tb, G) };
}

export function riskGradient(heads: Heads, tb: TokenBatch, r: Readout, Y: ArrayLike<number>, opts: FlowOptions): { risk: number; grads: Gradients; traj: Trajectory } {
  const traj = forward(heads, tb, opts);
  const { risk, cotangent } = riskAndCotangent(r, tb, traj.states[heads.L], Y);
  return { risk, grads: backward(heads, tb, opts, traj, cotangent), traj };
}

/**
 * One conditional-Wasserstein gradient step theta_{l,h} <- theta_{l,h} - tau L H dR/dtheta_{l,h}
 * (mass moves only within a layer; the L*H factor keeps heads moving as L, H grow). In place;
 * returns the risk before the step.
 */
export function trainStep(heads: Heads, tb: TokenBatch, r: Readout, Y: ArrayLike<number>, opts: FlowOptions, tau: number): number {
  const { risk, grads } = riskGradient(heads, tb, r, Y, opts);
  const f = tau * heads.L * heads.H;
  for (let i = 0; i < heads.Q.length; i++) {
    heads.Q[i] -= f * grads.dQ[i];
    heads.K[i] -= f * grads.dK[i];
  }
  for (let i = 0; i < heads.V.length; i++) heads.V[i] -= f * grads.dV[i];
  return risk;
}
