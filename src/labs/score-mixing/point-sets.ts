// Point sets of the score-mixing lab (empirical measures, particle sets) in and out of JSON and CSV,
// with errors that name the field, the value and what is allowed. The config parser (config.ts)
// and the page's import tools (view/point-sets.ts) share these checks, so a file dropped on the
// page and a CLI config fail with the same messages. DOM-free: the CLI runs this code.
//
// JSON: {"points": [[x, y], ...], "weights": [w, ...]}  (weights optional) or a bare [[x, y], ...].
// CSV:  one point per line; an optional header line names the columns (x, y, z or x0, x1, ...) and
//       may include a weight column (w, weight or weights). Blank lines and lines starting with #
//       are skipped.

import { csvParseRows } from 'd3-dsv';
import { FieldError } from '../../io/field-error';
import { checkJsonTree, parseJsonText } from '../../io/input';
import type { PointSetInput } from './types';

export interface PointLimits {
  /** Most points allowed (default 16384). */
  maxPoints?: number;
  /** Dimension range (default 1..8). */
  dMin?: number;
  dMax?: number;
  /** When set, every point must have this dimension (e.g. d of mu1 when checking mu2). */
  d?: number;
  /** Text naming where `d` came from, for the message (e.g. "the dimension of mu1.points"). */
  dSource?: string;
}

export const MAX_ATOMS = 16384;
export const D_MIN = 1;
export const D_MAX = 8;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty array of equal-length finite-number rows; returns a copy. */
export function validatePoints(raw: unknown, field: string, limits: PointLimits = {}): number[][] {
  const maxPoints = limits.maxPoints ?? MAX_ATOMS;
  const dMin = limits.dMin ?? D_MIN;
  const dMax = limits.dMax ?? D_MAX;
  if (!Array.isArray(raw)) throw new FieldError(field, raw, `an array of points [[x, y, ...], ...] (1 to ${maxPoints} points)`);
  if (raw.length < 1 || raw.length > maxPoints) {
    throw new FieldError(field, `${raw.length} points`, `1 to ${maxPoints} points`);
  }
  const first = raw[0];
  const d = limits.d ?? (Array.isArray(first) ? first.length : -1);
  if (limits.d === undefined && (d < dMin || d > dMax)) {
    throw new FieldError(`${field}[0]`, first, `a point with ${dMin} to ${dMax} coordinates`);
  }
  const out: number[][] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const p = raw[i];
    if (!Array.isArray(p)) throw new FieldError(`${field}[${i}]`, p, `a point: an array of ${d} numbers`);
    if (p.length !== d) {
      const why = limits.d !== undefined ? (limits.dSource ?? `dimension ${d}`) : `the dimension of ${field}[0]`;
      throw new FieldError(`${field}[${i}]`, p, `${d} coordinates (${why}); got ${p.length}`);
    }
    const row = new Array<number>(d);
    for (let j = 0; j < d; j++) {
      const v = p[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldError(`${field}[${i}][${j}]`, v, 'a finite number');
      row[j] = v;
    }
    out[i] = row;
  }
  return out;
}

/** Optional positive finite weights, one per point; returns a copy (not normalised). */
export function validateWeights(raw: unknown, field: string, count: number): number[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new FieldError(field, raw, `an array of ${count} positive numbers (one per point), or omitted for uniform weights`);
  if (raw.length !== count) throw new FieldError(field, `${raw.length} weights`, `${count} weights, one per point`);
  return Array.from(raw as unknown[], (w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) throw new FieldError(`${field}[${i}]`, w, 'a finite number > 0');
    return w;
  });
}

/** {points, weights?} with all checks; unknown keys are rejected (typos would otherwise be silent). */
export function validatePointSet(raw: unknown, field: string, limits: PointLimits = {}): PointSetInput {
  if (!isRecord(raw)) throw new FieldError(field, raw, 'an object {"points": [[x, y, ...], ...], "weights": [...] (optional)}');
  for (const k of Object.keys(raw)) {
    if (k !== 'points' && k !== 'weights') throw new FieldError(`${field}.${k}`, raw[k], 'no such field (allowed: points, weights)');
  }
  const points = validatePoints(raw.points, `${field}.points`, limits);
  const weights = validateWeights(raw.weights, `${field}.weights`, points.length);
  return weights === undefined ? { points } : { points, weights };
}

/** A point set from JSON text: {"points", "weights"?} or a bare array of points. */
export function parsePointSetJson(text: string, field = 'points', limits: PointLimits = {}): PointSetInput {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError(field, `invalid JSON (${(e as Error).message})`, 'JSON: {"points": [[x, y], ...], "weights": [...]} or [[x, y], ...]');
  }
  checkJsonTree(raw, field);
  if (Array.isArray(raw)) return { points: validatePoints(raw, field, limits) };
  return validatePointSet(raw, field, limits);
}

const WEIGHT_NAMES = new Set(['w', 'weight', 'weights']);

/**
 * A point set from CSV text (see the header comment for the layout). Field names say line and column.
 * The text is cut into lines here (blank and # lines skipped, error messages name the line in the
 * file) and each line's cells are split by d3-dsv (RFC 4180 quoting: "a,b" and "" escapes).
 */
export function parsePointSetCsv(text: string, field = 'points.csv', limits: PointLimits = {}): PointSetInput {
  const lines = text.split(/\r?\n/);
  let weightCol = -1;
  let columns = -1;
  let headerSeen = false;
  const points: number[][] = [];
  const weights: number[] = [];
  const maxPoints = limits.maxPoints ?? MAX_ATOMS;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = (csvParseRows(line)[0] ?? []).map((c) => c.trim());
    const lineNo = li + 1;
    if (!headerSeen && points.length === 0 && cells.some((c) => c !== '' && !Number.isFinite(Number(c)))) {
      headerSeen = true;
      columns = cells.length;
      weightCol = cells.findIndex((c) => WEIGHT_NAMES.has(c.toLowerCase()));
      continue;
    }
    if (columns < 0) columns = cells.length;
    if (cells.length !== columns) {
      throw new FieldError(`${field} line ${lineNo}`, line, `${columns} comma-separated values, like the ${headerSeen ? 'header' : 'first row'}`);
    }
    const row: number[] = [];
    for (let c = 0; c < cells.length; c++) {
      const v = cells[c] === '' ? NaN : Number(cells[c]);
      if (!Number.isFinite(v)) throw new FieldError(`${field} line ${lineNo} column ${c + 1}`, cells[c], 'a finite number');
      if (c === weightCol) {
        if (v <= 0) throw new FieldError(`${field} line ${lineNo} column ${c + 1} (weight)`, v, 'a finite number > 0');
        weights.push(v);
      } else row.push(v);
    }
    points.push(row);
    if (points.length > maxPoints) throw new FieldError(field, `more than ${maxPoints} points`, `1 to ${maxPoints} points`);
  }
  if (points.length === 0) throw new FieldError(field, 'no data rows', `1 to ${maxPoints} points, one per line`);
  const checked = validatePoints(points, field, limits);
  return weightCol >= 0 ? { points: checked, weights } : { points: checked };
}

/** JSON text of a point set (weights only when given). */
export function pointSetToJson(ps: PointSetInput): string {
  return JSON.stringify(ps.weights ? { points: ps.points, weights: ps.weights } : { points: ps.points });
}

/** CSV text with a header x0,x1,...[,w]. */
export function pointSetToCsv(ps: PointSetInput): string {
  const d = ps.points[0]?.length ?? 0;
  const header = [...Array.from({ length: d }, (_, j) => `x${j}`), ...(ps.weights ? ['w'] : [])].join(',');
  const rows = ps.points.map((p, i) => [...p.map(String), ...(ps.weights ? [String(ps.weights[i])] : [])].join(','));
  return [header, ...rows].join('\n') + '\n';
}

/** Load a point set by file name: .csv -> CSV, anything else -> JSON. */
export function parsePointSetFile(name: string, text: string, limits: PointLimits = {}): PointSetInput {
  return /\.csv$/i.test(name) ? parsePointSetCsv(text, name, limits) : parsePointSetJson(text, name, limits);
}
