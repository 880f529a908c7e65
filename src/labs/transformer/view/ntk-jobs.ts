// The page's float64 NTK work, as plain messages (DOM-free): run by ntk-worker.ts in a Web Worker so
// the page stays responsive, or directly where workers are missing, and by the unit tests.
//   lse     the injectivity check of ntk.ts: lseIndependence(sequenceDistributions(tokens))
//   lambda  lambda_min of the empirical NTK of the current heads (ntk.ts empiricalNtk)
// Both are refused (with a reason) above MAX_NTK_OUTPUTS outputs or a work estimate that would keep
// a CPU busy for minutes.

import { sequenceDistributions } from '../model';
import { empiricalNtk, lseIndependence } from '../ntk';
import { MAX_NTK_OUTPUTS } from '../params';
import { outputCount } from '../reference';
import type { FlowOptions, Heads, Readout, TokenBatch } from '../types';

export type NtkRequest =
  | { id: number; kind: 'lse'; tokens: TokenBatch }
  | { id: number; kind: 'lambda'; iteration: number; heads: Heads; tokens: TokenBatch; readout: Readout; flow: FlowOptions };

export interface LseSummary {
  independent: boolean;
  ratio: number;
  threshold: number;
  singularValues: Float64Array;
  dependency: Float64Array;
  diracs: number[];
  R0: number;
  batch: number;
}

export type NtkResponse =
  | { id: number; kind: 'lse'; result: LseSummary; ms: number }
  | { id: number; kind: 'lambda'; iteration: number; lambdaMin: number; lambdaMax: number; P: number; ms: number }
  | { id: number; kind: 'error'; error: string };

/** Dependent when s_min/s_max is below this (ntk.ts's default). */
export const LSE_THRESHOLD = 1e-8;

/**
 * Rough operation count of one empiricalNtk: P backward passes, each on the one sequence its output
 * belongs to (ntk.ts), then the SVD of the P x #params Jacobian (QR of its transpose, then Jacobi
 * rotations of the r x r factor, r = min(P, #params), about 10 sweeps).
 */
export function lambdaCost(heads: Pick<Heads, 'L' | 'H' | 'k' | 'd'>, tokens: Pick<TokenBatch, 'batch' | 'n'>, P: number, heun: boolean): number {
  const pairsPerSequence = heads.L * heads.H * tokens.n * tokens.n * (heun ? 2 : 1);
  const params = heads.L * heads.H * (2 * heads.k * heads.d + heads.d * heads.d);
  const r = Math.min(P, params);
  return P * 4 * pairsPerSequence * (heads.k + heads.d) + 2 * Math.max(P, params) * r * r + 10 * 4 * r * r * r;
}

/** Most operations of one lambda_min job (about a minute of one CPU core in float64 JavaScript). */
export const LAMBDA_BUDGET = 2e10;

/** Why lambda_min is not tracked for this model, or null when it is. */
export function lambdaSkipReason(heads: Pick<Heads, 'L' | 'H' | 'k' | 'd'>, tokens: TokenBatch, readout: Readout, heun: boolean): string | null {
  const P = outputCount(readout, tokens);
  if (P > MAX_NTK_OUTPUTS) {
    return `λ_min of the empirical NTK is not tracked: ${P} readout outputs exceed ${MAX_NTK_OUTPUTS} (one backward pass each); use a pooled or query readout or fewer sequences.`;
  }
  const cost = lambdaCost(heads, tokens, P, heun);
  if (cost > LAMBDA_BUDGET) {
    return `λ_min of the empirical NTK is not tracked: about ${cost.toExponential(1)} float64 operations per evaluation (limit ${LAMBDA_BUDGET.toExponential(0)}); use fewer heads, layers or tokens.`;
  }
  return null;
}

/**
 * Largest eigenvalue of a symmetric positive semi-definite P x P matrix by power iteration (the
 * scale lambda_min is read against: below ~1e-14 lambda_max it is zero to float64 round-off).
 */
export function largestEigenvalue(K: Float64Array, P: number, iterations = 200): number {
  let v = new Float64Array(P).fill(1 / Math.sqrt(P));
  let lambda = 0;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      let s = 0;
      for (let j = 0; j < P; j++) s += K[i * P + j] * v[j];
      w[i] = s;
    }
    const norm = Math.hypot(...w);
    if (!(norm > 0)) return 0;
    const done = Math.abs(norm - lambda) <= 1e-12 * norm;
    lambda = norm;
    v = w.map((x) => x / norm);
    if (done) break;
  }
  return lambda;
}

export function runNtkJob(req: NtkRequest): NtkResponse {
  const start = performance.now();
  try {
    if (req.kind === 'lse') {
      const r = lseIndependence(sequenceDistributions(req.tokens), { threshold: LSE_THRESHOLD });
      return {
        id: req.id,
        kind: 'lse',
        result: { independent: r.independent, ratio: r.ratio, threshold: LSE_THRESHOLD, singularValues: r.singularValues, dependency: r.dependency, diracs: r.diracs, R0: r.R0, batch: req.tokens.batch },
        ms: performance.now() - start,
      };
    }
    const skip = lambdaSkipReason(req.heads, req.tokens, req.readout, req.flow.stepper === 'heun');
    if (skip) return { id: req.id, kind: 'error', error: skip };
    const r = empiricalNtk(req.heads, req.tokens, req.readout, req.flow);
    return { id: req.id, kind: 'lambda', iteration: req.iteration, lambdaMin: r.lambdaMin, lambdaMax: largestEigenvalue(r.K, r.P), P: r.P, ms: performance.now() - start };
  } catch (e) {
    return { id: req.id, kind: 'error', error: (e as Error).message ?? String(e) };
  }
}

const f3 = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(2));

/** The NTK check panel's text: verdict, s_min/s_max against the threshold, dependency, Dirac-like sequences. */
export function describeLse(r: LseSummary): { verdict: 'independent' | 'dependent'; lines: string[] } {
  const lines: string[] = [];
  const verdict = r.independent ? 'independent' : 'dependent';
  lines.push(
    r.independent
      ? `INDEPENDENT: the ${r.batch} sequences' log-sum-exp features are linearly independent modulo affine functions (the NTK condition holds)`
      : `DEPENDENT: a combination of the ${r.batch} sequences' log-sum-exp features is affine (the NTK condition fails)`,
  );
  lines.push(`s_min/s_max = ${f3(r.ratio)}  (dependent below ${f3(r.threshold)}; ${r.singularValues.length} columns, R0 = ${f3(r.R0)})`);
  if (r.diracs.length > 0) lines.push(`Dirac-like sequences (affine F by itself): ${r.diracs.join(', ')}`);
  if (!r.independent) {
    const idx = Array.from(r.dependency, (_, i) => i)
      .filter((i) => Math.abs(r.dependency[i]) > 1e-3)
      // Largest |c_i| first; near-ties (a translate's ±1/sqrt 2) by index, so round-off cannot reorder them.
      .sort((a, b) => {
        const da = Math.abs(r.dependency[a]);
        const db = Math.abs(r.dependency[b]);
        return Math.abs(da - db) <= 1e-9 * Math.max(da, db) ? a - b : db - da;
      })
      .slice(0, 8);
    lines.push(`dependency c (Σ cᵢ Fᵢ ≈ affine): ${idx.map((i) => `c${i} = ${r.dependency[i].toFixed(4)}`).join(', ')}${idx.length < r.dependency.filter((v) => Math.abs(v) > 1e-3).length ? ', …' : ''}`);
  }
  lines.push('F_b(z) = log Σ_j π_j exp⟨z, x_j⟩ at 4000 multi-scale points, span{1, z} projected out, one-sided Jacobi SVD (float64)');
  return { verdict, lines };
}
