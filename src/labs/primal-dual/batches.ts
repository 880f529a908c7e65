// Compare mode of the primal-dual lab (config.compare, src/labs/compare.ts): which parameters it
// batches and the full dynamics parameters of every batch. All four keys change only per-batch
// constants of the kernel (the StepCoef table and the PdBatch entry), never the time grid or a
// buffer size, and none of them moves the KKT point (it solves min f s.t. Ax = b alone), so
// x*, lambda* are computed once for all batches.
//
// config.ts drops the config's own value from compare.values (batch 0 runs it already; a panel or
// --set change of the key onto a compared value keeps working). Admissibility of each batch's
// (alpha, theta, p, beta), decided once here for the page and the CLI alike (meta.batches records
// the result):
//   alpha  a compared alpha keeps the config's theta if it lies in that alpha's window
//          [1/(alpha-1), 1/2], else theta moves to the nearest end, and p is clamped into
//          [0, (1 - 2 theta)/theta] (the page's behaviour before compare mode: comparing alpha = 3
//          with a config at alpha = 4, theta = 5/12 runs alpha = 3 at theta = 1/2). With
//          allowOutsideWindow every batch keeps the config's theta and p as given.
//   theta  refused (FieldError on compare.values[i]) outside [1/(alpha-1), 1/2] or when the
//          config's p exceeds (1 - 2 theta)/theta for it, unless allowOutsideWindow
//   p      refused outside [0, (1 - 2 theta)/theta], unless allowOutsideWindow
//   beta   any value of the schema's range (the window does not involve beta)

import type { CompareConfig } from '../compare';
import { FieldError } from '../schema';
import { pInWindow, pMax, thetaInWindow, thetaWindow } from './params';
import type { DynamicsParams } from './types';

export const PRIMAL_DUAL_COMPARE_KEYS = ['alpha', 'theta', 'beta', 'p'] as const;
export type PrimalDualCompareKey = (typeof PRIMAL_DUAL_COMPARE_KEYS)[number];

/** Greek letter of a compared key, for legends and messages. */
export const COMPARE_SYMBOL: Readonly<Record<string, string>> = { alpha: 'α', theta: 'θ', beta: 'β', p: 'p' };

const show = (v: number): string => String(Number(v.toPrecision(12)));

/** theta for a compared alpha: the chosen one if inside [1/(alpha-1), 1/2], else the nearest end; p clamped likewise. */
export function paramsForAlpha(base: DynamicsParams, alpha: number): DynamicsParams {
  if (alpha === base.alpha) return base;
  const [lo, hi] = thetaWindow(alpha);
  const theta = Math.min(hi, Math.max(lo, base.theta));
  const p = Math.min(base.p, Math.max(0, pMax(theta)));
  return { ...base, alpha, theta, p };
}

/**
 * The dynamics parameters of every batch, batch 0 the config's own (`base`). Throws a FieldError
 * naming compare.values[i] for a theta or p batch outside its window (without allowOutsideWindow).
 */
export function batchParams(base: DynamicsParams, compare: CompareConfig | undefined, allowOutsideWindow: boolean): DynamicsParams[] {
  if (!compare) return [base];
  return [base, ...compare.values.map((v, i) => oneBatch(base, compare.key, v, `compare.values[${i}]`, allowOutsideWindow))];
}

function oneBatch(base: DynamicsParams, key: string, v: number, field: string, allow: boolean): DynamicsParams {
  const outside = '; set "allowOutsideWindow": true to run outside it';
  switch (key) {
    case 'alpha':
      return allow ? { ...base, alpha: v } : paramsForAlpha(base, v);
    case 'beta':
      return { ...base, beta: v };
    case 'theta':
      if (!allow && !thetaInWindow(base.alpha, v)) {
        const [lo, hi] = thetaWindow(base.alpha);
        throw new FieldError(field, v, `a theta in the energy window [1/(alpha-1), 1/2] = [${show(lo)}, ${hi}] for the config's alpha = ${base.alpha}${outside}`);
      }
      if (!allow && !pInWindow(v, base.p)) {
        throw new FieldError(field, v, `a theta with the config's p = ${base.p} <= (1 - 2 theta)/theta (theta <= ${show(1 / (2 + base.p))})${outside}`);
      }
      return { ...base, theta: v };
    case 'p':
      if (!allow && !pInWindow(base.theta, v)) {
        throw new FieldError(field, v, `0 <= p <= (1 - 2 theta)/theta = ${show(pMax(base.theta))} for the config's theta = ${show(base.theta)}${outside}`);
      }
      return { ...base, p: v };
    default:
      throw new FieldError('compare.key', key, `one of ${PRIMAL_DUAL_COMPARE_KEYS.join(', ')}`);
  }
}

/** What a snapshot's meta.batches records: each batch's actual (alpha, theta, p, beta). */
export function batchesMeta(batches: readonly DynamicsParams[]): { alpha: number; theta: number; p: number; beta: number }[] {
  return batches.map((b) => ({ alpha: b.alpha, theta: b.theta, p: b.p, beta: b.beta }));
}

/** A batch's value of a compared key (alpha, theta, beta or p). */
export function keyValue(params: DynamicsParams, key: string): number {
  return (params as unknown as Record<string, number>)[key];
}

/**
 * Legend text of batch b: "α = 3 (config)", "α = 4", plus what compare mode changed besides the
 * key ("α = 8, θ = 0.5 (window end)"); without compare the config's alpha.
 */
export function batchLabel(key: string | null, batches: readonly DynamicsParams[], b: number): string {
  const p = batches[b];
  const base = batches[0];
  const k = key ?? 'alpha';
  const value = keyValue(p, k);
  let text = `${COMPARE_SYMBOL[k] ?? k} = ${show(value)}`;
  if (b === 0) return key ? `${text} (config)` : text;
  if (k === 'alpha' && p.theta !== base.theta) text += `, θ = ${p.theta.toPrecision(4)} (window end)`;
  if (k === 'alpha' && p.p !== base.p) text += `, p = ${p.p.toPrecision(3)}`;
  return text;
}

/** "trajectory 3", or "trajectory 3 of batch 1 (alpha = 4)" in compare mode, for a buffer index. */
export function trajectoryName(index: number, perBatch: number, key: string | null, batches: readonly DynamicsParams[]): string {
  if (batches.length <= 1 || !key) return `trajectory ${index}`;
  const b = Math.floor(index / perBatch);
  const value = batches[b] ? keyValue(batches[b], key) : undefined;
  return `trajectory ${index % perBatch} of batch ${b} (${key} = ${value})`;
}
