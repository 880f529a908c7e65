// The Convergence panel's chart data from a study snapshot (DOM-free, unit-tested): per integrator
// its RMS endpoint error against the number of steps, labelled with the fitted order ("rk4, order
// 3.97"), and a dotted segment of its theoretical slope (exp 1, heun 2, rk4 4) drawn through one of
// its own points; the rounding floor the study computed (arrays.floor). The initialisation error (a
// Gaussian at T in place of u_T) against T, with its fitted log-log slope. When the study ran the
// adaptive integrator (adaptive_* arrays): error against drift evaluations per particle for every
// integrator, the adaptive one's points by tolerance.
//
// Reference segments stay inside their integrator's own error range, so they never stretch the
// chart's y axis; each is anchored at the integrator's finest point the study fitted its order on
// (fit_used: error well above the floor), since points near the floor measure rounding.

import { fitLogLogSlope } from '../../../math/slope';
import type { NdArray, Snapshot } from '../../../io/snapshot-types';
import type { LineFrame, LineSeries } from '../../shared/view/line-chart';
import { seriesColour } from '../../shared/view/palette';

/** The order each fixed-step integrator converges at in theory (NUMERICS.md): the reference slopes. */
export const THEORY_ORDER: Readonly<Record<string, number>> = { exp: 1, heun: 2, rk4: 4 };

export interface StudyRow {
  name: string;
  /** Per step count (NaN where the integrator has no fixed-step runs: 'adaptive'). */
  error: number[];
  order: number;
  /** Rounding floor per step count, or null when the study gives none. */
  floor: number[] | null;
  /** Whether the fit used each point (fit_used), or null when the study does not say. */
  used: boolean[] | null;
  /** Drift evaluations per particle per step count, or null. */
  evaluations: number[] | null;
}

/** The study's per-integrator rows, read from its snapshot. */
export interface StudyRows {
  steps: number[];
  rows: StudyRow[];
}

function values(a: NdArray | undefined): number[] {
  return a ? Array.from(a.data as ArrayLike<number>, Number) : [];
}

/** Row i of an (integrators, k) array, or null when the array is absent or mis-shaped. */
function row(a: NdArray | undefined, i: number, n: number, k: number): number[] | null {
  if (!a || a.shape.length !== 2 || a.shape[0] !== n || a.shape[1] !== k) return null;
  return values(a).slice(i * k, (i + 1) * k);
}

export function studyRows(s: Snapshot): StudyRows {
  const steps = values(s.arrays.steps);
  const order = values(s.arrays.order);
  const names = (s.meta.integrators as string[] | undefined) ?? [];
  const k = steps.length;
  const n = names.length;
  const err = s.arrays.error;
  if (!err || err.shape.length !== 2 || err.shape[1] !== k || err.shape[0] !== n) {
    throw new Error(`convergence study: error has shape [${err?.shape.join(', ') ?? ''}], expected [${n}, ${k}] (meta.integrators by steps)`);
  }
  return {
    steps,
    rows: names.map((name, i) => ({
      name,
      error: row(err, i, n, k)!,
      order: order[i] ?? NaN,
      floor: row(s.arrays.floor, i, n, k),
      used: row(s.arrays.fit_used, i, n, k)?.map((u) => u === 1) ?? null,
      evaluations: row(s.arrays.evaluations, i, n, k),
    })),
  };
}

const finite = (v: number): boolean => Number.isFinite(v) && v > 0;

/** "rk4, order 3.97" or "rk4, no fitted order". */
export function orderLabel(name: string, order: number): string {
  return Number.isFinite(order) ? `${name}, order ${order.toFixed(2)}` : `${name}, no fitted order`;
}

/**
 * The dotted theory-slope segment of one integrator on log-log axes: error ~ C N^-p through its
 * anchor (its finest fitted point, else its finest point), clipped to the integrator's own error
 * range and to its step counts.
 */
export function referenceSegment(steps: readonly number[], error: readonly number[], p: number, used: readonly boolean[] | null): [number, number][] {
  const idx = steps.map((_, i) => i).filter((i) => steps[i] > 0 && finite(error[i]));
  if (idx.length < 2) return [];
  const fitted = idx.filter((i) => used?.[i] === true);
  const a = (fitted.length > 0 ? fitted : idx)[(fitted.length > 0 ? fitted : idx).length - 1];
  const [na, ea] = [steps[a], error[a]];
  const errs = idx.map((i) => error[i]);
  const ns = idx.map((i) => steps[i]);
  const nLo = Math.max(Math.min(...ns), na * Math.pow(ea / Math.max(...errs), 1 / p));
  const nHi = Math.min(Math.max(...ns), na * Math.pow(ea / Math.min(...errs), 1 / p));
  if (!(nHi > nLo)) return [];
  const at = (n: number): [number, number] => [n, ea * Math.pow(na / n, p)];
  return [at(nLo), at(nHi)];
}

/** Rows with at least one finite error (the fixed-step ones; 'adaptive' has its own arrays). */
function plotted(rows: readonly StudyRow[]): { row: StudyRow; colour: string }[] {
  return rows.map((r, i) => ({ row: r, colour: seriesColour(i) })).filter(({ row: r }) => r.error.some(finite));
}

/** The error-against-steps chart: one dotted series per integrator, its theory slope, the floor. */
export function errorFrame(s: Snapshot): LineFrame {
  const { steps, rows } = studyRows(s);
  const shown = plotted(rows);
  const series: LineSeries[] = [];
  for (const { row: r, colour } of shown) {
    series.push({ label: orderLabel(r.name, r.order), colour, dots: true, points: steps.map((n, j) => [n, r.error[j]]), data: { integrator: r.name, kind: 'study', order: Number.isFinite(r.order) ? r.order : '' } });
    const p = THEORY_ORDER[r.name];
    const seg = p === undefined ? [] : referenceSegment(steps, r.error, p, r.used);
    if (seg.length > 0) series.push({ label: `slope −${p} (${r.name} theory)`, colour, dash: '2 3', width: 0.9, points: seg, data: { integrator: r.name, kind: 'reference', slope: -p } });
  }
  // The floor grows with the evaluations: the highest of the shown integrators' at each step count.
  const floors = steps.map((_, j) => Math.max(...shown.map(({ row: r }) => r.floor?.[j] ?? NaN).filter(finite)));
  const hasFloor = floors.some(finite);
  if (hasFloor) series.push({ label: 'rounding floor', colour: '#888', dash: '5 3', width: 0.9, points: steps.map((n, j) => [n, floors[j]]), data: { kind: 'floor' } });
  const refs = shown.map(({ row: r }) => THEORY_ORDER[r.name]).filter((p) => p !== undefined);
  const key = [refs.length > 0 ? `dotted: slopes ${refs.map((p) => `−${p}`).join(', ')} (theory)` : '', hasFloor ? 'dashed grey: rounding floor' : ''].filter(Boolean).join('; ');
  const notes = [...shown.map(({ row: r, colour }) => ({ text: orderLabel(r.name, r.order), colour })), ...(key ? [{ text: key }] : [])];
  const xMin = Math.min(...steps);
  const xMax = Math.max(...steps);
  return { xMin, xMax: Math.max(xMax, xMin * 1.0001), series, notes, empty: 'no finite errors' };
}

/**
 * Error against drift evaluations per particle (the work): the fixed-step integrators' rows and the
 * adaptive integrator's points by tolerance; null when the study has no adaptive_* arrays.
 */
export function workFrame(s: Snapshot): LineFrame | null {
  const err = values(s.arrays.adaptive_error);
  const evals = values(s.arrays.adaptive_evaluations);
  if (err.length === 0 || err.length !== evals.length) return null;
  const { rows } = studyRows(s);
  const series: LineSeries[] = plotted(rows)
    .filter(({ row: r }) => r.evaluations !== null)
    .map(({ row: r, colour }) => ({ label: r.name, colour, dots: true, points: r.evaluations!.map((e, j) => [e, r.error[j]] as [number, number]), data: { integrator: r.name, kind: 'study' } }));
  const adaptiveIndex = rows.findIndex((r) => r.name === 'adaptive');
  const tols = values(s.arrays.adaptive_tol);
  const order = evals.map((_, i) => i).sort((a, b) => evals[a] - evals[b]);
  series.push({ label: 'adaptive', colour: seriesColour(adaptiveIndex >= 0 ? adaptiveIndex : rows.length), dots: 'hollow', points: order.map((i) => [evals[i], err[i]]), data: { integrator: 'adaptive', kind: 'adaptive', tolerances: order.map((i) => tols[i]).join(',') } });
  const xs = series.flatMap((x) => x.points.map((p) => p[0])).filter(finite);
  const xMin = Math.min(...xs);
  return {
    xMin,
    xMax: Math.max(Math.max(...xs), xMin * 1.0001),
    series,
    notes: [{ text: `adaptive: tolerances ${tols.map((t) => t.toExponential(0)).join(', ')} (rings)` }],
    empty: 'no finite errors',
  };
}

/** The initialisation-error chart (error against T, log-log) with its fitted slope, or null when the study has no such arrays. */
export function initFrame(s: Snapshot): LineFrame | null {
  const T = values(s.arrays.init_T);
  const err = values(s.arrays.init_error);
  if (T.length === 0 || T.length !== err.length) return null;
  const fit = fitLogLogSlope(T, err);
  const slope = Number.isFinite(fit.slope) ? fit.slope : NaN;
  const label = Number.isFinite(slope) ? `initialisation error, slope ${slope.toFixed(2)}` : 'initialisation error';
  const order = T.map((_, i) => i).sort((a, b) => T[a] - T[b]);
  return {
    xMin: Math.min(...T),
    xMax: Math.max(Math.max(...T), Math.min(...T) * 1.0001),
    series: [{ label, colour: seriesColour(0), dots: true, points: order.map((i) => [T[i], err[i]]), data: { kind: 'init', slope: Number.isFinite(slope) ? slope : '' } }],
    notes: [{ text: `${label} (Gaussian at T in place of u_T)`, colour: seriesColour(0) }],
    empty: 'no finite errors',
  };
}
