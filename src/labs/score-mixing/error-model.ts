// Float32 error model of the tiled online log-sum-exp denoiser (shaders/lib/denoise.wgsl), used
// to state the tolerances per query instead of one global epsilon, by the GPU tests
// (test/gpu/score-mixing-*.test.ts) and the self-test (selftest.ts) alike: one copy.
//
// The GPU sees f32-rounded atoms, queries and t, so the expected values are the float64
// reference (src/math/heat.ts) evaluated at those rounded inputs; what remains is the f32
// arithmetic of the kernel (single pass in base 2 since issue 13):
//  * l_j = log2 w_j - |x - y_j|^2 c with c = log2(e)/(4t): the D-term distance, the f32 constant
//    log2 e, the division, the scaling and the subtraction each round, and log2 w_j = log w_j *
//    log2 e rounds twice more; in natural-log units (times ln 2)
//    |d logit_j| <= eps ((D + 4) L_j + 2|log w_j|), L_j = |x - y_j|^2/(4t). (The two-pass e-base
//    kernel had one rounding less in each term: D + 3 and |log w_j|.)
//    exp2(l_j - M) adds the WGSL bound (3 + 2|l_j - M|) ulp, |l_j - M| = log2(e) |logit_j - M|.
//  * The running maximum grows at the records of the logit sequence (atom order, as the kernel
//    walks it); each record rescales the partial sums S_old by r = exp2(M_old - l_j), with the
//    exp2 bound (3 + 2 log2(e) delta) ulp, delta = logit_j - logit_old. That error enters the sum
//    as S_old r (3 + 2 log2(e) delta) eps and is rescaled with it by every later record; the sum
//    of those, over the final S, moves log u by that much and the mean by it times the atom
//    spread (r scales the sum and the weighted sum alike, so it only reweights old against new
//    atoms). rescaleError() replays the records in float64.
//  * A logit error moves the softmax: dm = sum_j p_j dlogit_j (y_j - m) and
//    d log u = sum_j p_j dlogit_j, so the sensitivity is large only where atoms nearly tie
//    (p_j bounded away from 0 and 1 for two atoms), which is what the small-t and coincident-atom
//    cases probe. Far-away queries have huge L_j but one dominant atom, so the bound stays small.
//  * The running sums add ~sqrt(n) eps relative rounding (sums of positive terms, random-walk
//    model; the worst case n eps is far too pessimistic to test anything).
// Every tolerance below multiplies this model by a safety factor SAFETY = 4.

import { denoise, heatPotential, sqDistToSupport } from '../../math/heat';
import { mixedDenoise } from './reference';
import type { Measure } from './types';

export const EPS = 2 ** -24;
export const SAFETY = 4;

/** The measure as the GPU sees it: coordinates rounded to f32 (weights stay; log w rounding is in the model). */
export function roundMeasure(m: Measure): Measure {
  return { ...m, points: Float64Array.from(m.points, Math.fround) };
}

export interface DenoiseErrorBound {
  /** Bound on |m_gpu - m| (Euclidean). */
  mean: number;
  /** Bound on |log u_gpu - log u|. */
  logU: number;
  /** Bound on |d^2_gpu - d^2| (squared distance to the support). */
  dist2: number;
}

/**
 * Error bound of the f32 denoiser of `m` at (t, x), from the float64 softmax at the same inputs;
 * `chunk` (atoms per chunk) for mixed-score-split.wgsl, whose chunks are merged in order.
 */
export function denoiseErrorBound(m: Measure, t: number, x: ArrayLike<number>, chunk = Infinity): DenoiseErrorBound {
  const { d, n, points, weights } = m;
  const L = new Float64Array(n);
  const logit = new Float64Array(n);
  let M = -Infinity;
  let d2min = Infinity;
  let ymax = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const diff = x[i] - points[j * d + i];
      s += diff * diff;
      ymax = Math.max(ymax, Math.abs(points[j * d + i]));
    }
    d2min = Math.min(d2min, s);
    L[j] = s / (4 * t);
    logit[j] = Math.log(weights[j]) - L[j];
    M = Math.max(M, logit[j]);
  }
  const p = Float64Array.from(logit, (l) => Math.exp(l - M));
  const S = p.reduce((a, b) => a + b, 0);
  const mean = new Float64Array(d);
  for (let j = 0; j < n; j++) {
    p[j] /= S;
    for (let i = 0; i < d; i++) mean[i] += p[j] * points[j * d + i];
  }
  let meanErr = 0;
  let logErr = 0;
  for (let j = 0; j < n; j++) {
    const dl = EPS * ((d + 4) * L[j] + 2 * Math.abs(Math.log(weights[j])) + 3 + 2 * Math.LOG2E * Math.abs(logit[j] - M));
    let r = 0;
    for (let i = 0; i < d; i++) r += (points[j * d + i] - mean[i]) ** 2;
    meanErr += p[j] * dl * Math.sqrt(r);
    logErr += p[j] * dl;
  }
  const sumRounding = (8 + 2 * Math.sqrt(n)) * EPS;
  const rescale = rescaleError(logit, chunk);
  const halfLog = (d / 2) * Math.abs(Math.log(4 * Math.PI * t));
  return {
    mean: SAFETY * (meanErr + (sumRounding + 2 * rescale) * ymax * Math.sqrt(d)),
    // (M + log2 S) ln 2: the f32 ln 2 and the product round on top of the old e-base terms.
    logU: SAFETY * (logErr + sumRounding + rescale + EPS * (2 * (Math.abs(M) + Math.log(S)) + halfLog)),
    dist2: SAFETY * (d + 2) * EPS * d2min + 1e-30,
  };
}

/** Running max, sum and absolute rescale error of a replay, natural-log units. */
interface Replay {
  M: number;
  S: number;
  E: number;
}

/**
 * Relative error of the kernel's final sum from its rescales (see the header): replays the
 * running maximum over the logits in atom order, in float64 and natural-log units. With chunks
 * (mixed-score-split.wgsl) each chunk is replayed from scratch and the chunks are merged in order,
 * each merge rounding like a rescale of both sums (one exp2 and one multiply each) plus their
 * addition.
 */
function rescaleError(logit: Float64Array, chunk: number): number {
  let total: Replay | null = null;
  for (let lo = 0; lo < logit.length; lo += Math.min(chunk, logit.length)) {
    const part = replay(logit.subarray(lo, Math.min(logit.length, lo + chunk)));
    total = total ? mergeReplays(total, part) : part;
  }
  return total ? total.E / total.S : 0;
}

function replay(logit: Float64Array): Replay {
  let M = -Infinity;
  let S = 0;
  let E = 0;
  for (const l of logit) {
    if (l > M) {
      const delta = l - M;
      const r = Math.exp(-delta); // 0 at the first atom, where S and E are 0 too
      if (S > 0) E = E * r + S * r * (3 + 2 * Math.LOG2E * delta) * EPS;
      S *= r;
      M = l;
    }
    S += Math.exp(l - M);
  }
  return { M, S, E };
}

function mergeReplays(a: Replay, b: Replay): Replay {
  const M = Math.max(a.M, b.M);
  const scaled = (p: Replay): Replay => {
    const delta = M - p.M;
    const r = Math.exp(-delta);
    return { M, S: p.S * r, E: p.E * r + p.S * r * (3 + 2 * Math.LOG2E * delta) * EPS };
  };
  const [sa, sb] = [scaled(a), scaled(b)];
  const S = sa.S + sb.S;
  return { M, S, E: sa.E + sb.E + S * EPS };
}

const norm = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
};

/** The outputs of mixed-score.wgsl for one query: m1, m2, m_lam and the score (d each), log u1, log u2. */
export interface MixedScoreQuery {
  m1: ArrayLike<number>;
  m2: ArrayLike<number>;
  mLam: ArrayLike<number>;
  score: ArrayLike<number>;
  logU1: number;
  logU2: number;
}

/** Query q's outputs within whole-evaluation arrays (evaluateMixedScore's result, count*d and count each). */
export function mixedScoreQuery(
  out: { m1: Float32Array; m2: Float32Array; mLam: Float32Array; score: Float32Array; logU1: Float32Array; logU2: Float32Array },
  q: number,
  d: number,
): MixedScoreQuery {
  const at = (v: Float32Array): Float32Array => v.subarray(q * d, (q + 1) * d);
  return { m1: at(out.m1), m2: at(out.m2), mLam: at(out.mLam), score: at(out.score), logU1: out.logU1[q], logU2: out.logU2[q] };
}

export type MixedScoreRatios = Record<'m1' | 'm2' | 'mLam' | 'score' | 'logU1' | 'logU2', number>;

/**
 * |gpu - float64| / tolerance of every output of mixed-score.wgsl at one query xq (f32-rounded),
 * for the f32-rounded measures r1, r2 and t32: the means in the Euclidean norm against the
 * denoiser bounds, m_lam = lam m1 + (1 - lam) m2 and the score -(x - m_lam)/(2t) with the
 * rounding of that combination on top.
 */
export function mixedScoreRatios(r1: Measure, r2: Measure, lambda: number, t32: number, xq: ArrayLike<number>, got: MixedScoreQuery, chunk = Infinity): MixedScoreRatios {
  const d = r1.d;
  const m1 = new Float64Array(d);
  const m2 = new Float64Array(d);
  const mLam = new Float64Array(d);
  const logU1 = denoise(r1, t32, xq, m1);
  const logU2 = denoise(r2, t32, xq, m2);
  mixedDenoise(r1, r2, lambda, t32, xq, mLam);
  const b1 = denoiseErrorBound(r1, t32, xq, chunk);
  const b2 = denoiseErrorBound(r2, t32, xq, chunk);
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>): number => norm(Array.from({ length: d }, (_, i) => a[i] - b[i]));
  const tolLam =
    Math.abs(lambda) * b1.mean + Math.abs(1 - lambda) * b2.mean +
    SAFETY * 2 * EPS * (Math.abs(lambda) * norm(m1) + Math.abs(1 - lambda) * norm(m2));
  const score = Array.from(mLam, (v, i) => -(xq[i] - v) / (2 * t32));
  const tolScore = (tolLam + SAFETY * 2 * EPS * (norm(xq) + norm(mLam))) / (2 * t32) + SAFETY * 2 * EPS * norm(score);
  return {
    m1: diff(got.m1, m1) / b1.mean,
    m2: diff(got.m2, m2) / b2.mean,
    mLam: diff(got.mLam, mLam) / tolLam,
    score: diff(got.score, score) / tolScore,
    logU1: Math.abs(got.logU1 - logU1) / b1.logU,
    logU2: Math.abs(got.logU2 - logU2) / b2.logU,
  };
}

/** A plane of field.wgsl (the FieldPlane of field.ts, restated to keep this file GPU-free). */
export interface FieldPlaneSpec {
  t: number;
  lambda: number;
  origin: number[];
  e1: number[];
  e2: number[];
  uMin: number;
  uMax: number;
  vMin: number;
  vMax: number;
}

/** Pixel centre (px, py) of the plane, in float64: the GPU forms the same point in f32. */
export function fieldPixelPoint(p: FieldPlaneSpec, d: number, w: number, h: number, px: number, py: number): Float64Array {
  const u = p.uMin + ((px + 0.5) * (p.uMax - p.uMin)) / w;
  const v = p.vMin + ((py + 0.5) * (p.vMax - p.vMin)) / h;
  return Float64Array.from({ length: d }, (_, c) => p.origin[c] + u * p.e1[c] + v * p.e2[c]);
}

/**
 * The float64 values of field.wgsl's four outputs at pixel (px, py) — phi1, phi2, Phi_lam^t and the
 * limit Phi_lam — and their tolerances, for the f32-rounded measures r1, r2 (atoms in [-2, 2]^d) in
 * the order the kernel walks them (roundMeasure(cullSorted(mu))) and the culling's eps: skipping
 * adds at most 4t n eps to phi (shaders/lib/cull.wgsl) and nothing to the exact Phi_lam.
 */
export function fieldPixelExpectation(
  r1: Measure,
  r2: Measure,
  plane: FieldPlaneSpec,
  w: number,
  h: number,
  px: number,
  py: number,
  cullEps: number,
): { want: [number, number, number, number]; tol: [number, number, number, number] } {
  const d = r1.d;
  const { lambda } = plane;
  const t32 = Math.fround(plane.t);
  const x = fieldPixelPoint(plane, d, w, h, px, py);
  // The GPU's pixel point differs from x by the rounding of o + u e1 + v e2 (~4 eps times its
  // terms); the potentials move by |grad phi| = 2|x - m| (resp. 2 d) times that.
  let scale = 0;
  for (let c = 0; c < d; c++) scale += (Math.abs(plane.origin[c]) + 4 * Math.abs(plane.e1[c]) + 4 * Math.abs(plane.e2[c])) ** 2;
  const dx = SAFETY * 4 * EPS * Math.sqrt(scale);
  const phi1 = heatPotential(r1, t32, x);
  const phi2 = heatPotential(r2, t32, x);
  const d1 = sqDistToSupport(r1, x);
  const d2 = sqDistToSupport(r2, x);
  const b1 = denoiseErrorBound(r1, t32, x);
  const b2 = denoiseErrorBound(r2, t32, x);
  // |grad phi_i| = 2|x - m_i| <= 2 (sqrt(d_i^2) + the atom spread at that t): bounded by
  // 2 (sqrt(d^2) + 8) for atoms in [-2, 2]^d.
  const tol1 = 4 * t32 * (b1.logU + r1.n * cullEps) + 2 * (Math.sqrt(d1) + 8) * dx + SAFETY * EPS * Math.abs(phi1);
  const tol2 = 4 * t32 * (b2.logU + r2.n * cullEps) + 2 * (Math.sqrt(d2) + 8) * dx + SAFETY * EPS * Math.abs(phi2);
  const tolL1 = b1.dist2 + 2 * Math.sqrt(d1) * dx;
  const tolL2 = b2.dist2 + 2 * Math.sqrt(d2) * dx;
  return {
    want: [phi1, phi2, lambda * phi1 + (1 - lambda) * phi2, lambda * d1 + (1 - lambda) * d2],
    tol: [
      tol1,
      tol2,
      Math.abs(lambda) * tol1 + Math.abs(1 - lambda) * tol2 + SAFETY * 2 * EPS * (Math.abs(lambda * phi1) + Math.abs((1 - lambda) * phi2)),
      Math.abs(lambda) * tolL1 + Math.abs(1 - lambda) * tolL2 + SAFETY * 2 * EPS * (Math.abs(lambda * d1) + Math.abs((1 - lambda) * d2)),
    ],
  };
}

// generate.wgsl, step for step ("shadowing"): every SEGMENT steps the reference is reset to the
// GPU's positions, both advance SEGMENT steps, and the positions are compared. This isolates the
// kernel's per-step error from the amplification of rounding by the flow itself (guidance,
// lambda > 1, expands distances at t = O(1), so whole runs of the float64 and f32 versions drift
// apart there even when both are right). Tolerance: the f32 per-step error is ~1e-7 of the atom
// spread times the softmax conditioning (the model above), amplified at most ~10x over a segment:
// SEG_TOL = 1e-5 absolute for all but SEG_FRACTION of the particles (near-ties at small t), and
// SEG_MAX = 1e-3 for every particle.
export const SEGMENT = 5;
export const SEG_TOL = 1e-5;
export const SEG_FRACTION = 0.01;
export const SEG_MAX = 1e-3;

/**
 * The segment criterion as one ratio (<= 1 exactly when at most SEG_FRACTION of the errors exceed
 * SEG_TOL and none exceeds SEG_MAX): max(e_q / SEG_TOL, e_max / SEG_MAX), e_q the error that
 * SEG_FRACTION of them may exceed. `errors` sorted ascending, NaN as Infinity.
 */
export function segmentRatio(errors: readonly number[]): number {
  if (errors.length === 0) return 0;
  const allowed = Math.floor(SEG_FRACTION * errors.length);
  return Math.max(errors[errors.length - 1 - allowed] / SEG_TOL, errors[errors.length - 1] / SEG_MAX);
}

// Whole runs (runOnGpu against runReference): a particle sitting on a basin boundary can be tipped
// into the other basin by a rounding difference, so for all but MAX_FLIP_FRACTION of the particles
// the endpoint agrees to ABS_TOL (absolute; atoms lie in [-2, 2]^d, so 1e-4 is 2.5e-5 of the
// spread, ~100x the accumulated rounding).
export const ABS_TOL = 1e-4;
export const MAX_FLIP_FRACTION = 0.02;
