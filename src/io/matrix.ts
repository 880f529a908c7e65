// Dense vectors and matrices in and out of JSON, with errors that name the entry (`A[1][3]`,
// `objective.Q[2][0]`, `b`), the value and what is allowed. Config parsers and the page's import
// tools share these checks, so a pasted matrix and a CLI config fail with the same messages.
//
// JSON: a vector is [a, b, ...]; a matrix is an array of equal-length rows [[a, b], [c, d]].

import { FieldError } from './field-error';
import { checkJsonTree, parseJsonText } from './input';

function finiteEntry(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldError(field, v, 'a finite number');
  return v;
}

/** `length` finite numbers; `why` says where the length comes from (e.g. "m = 2, the rows of A"). Returns a copy. */
export function validateVector(raw: unknown, field: string, length: number, why: string): number[] {
  if (!Array.isArray(raw)) throw new FieldError(field, raw, `an array of ${length} finite numbers (${why})`);
  if (raw.length !== length) throw new FieldError(field, `${raw.length} entries`, `${length} entries (${why})`);
  // Array.from, not map: map skips the holes of a sparse array (possible in library API input).
  return Array.from(raw, (v, i) => finiteEntry(`${field}[${i}]`, v));
}

export interface MatrixShape {
  /** Fixed row count, or the range when absent. */
  rows?: number;
  minRows?: number;
  maxRows?: number;
  /** Fixed column count, or the range when absent (then row 0 sets it). */
  cols?: number;
  minCols?: number;
  maxCols?: number;
  /** Where fixed sizes come from, for messages (e.g. "n = 4, the columns of A"). */
  why?: string;
  /** The shape in words for the top-level message, e.g. "an m x n matrix, 1 <= m < n <= 16". */
  describe?: string;
}

/** A matrix of finite numbers as an array of equal-length rows; returns a copy. */
export function validateMatrix(raw: unknown, field: string, shape: MatrixShape = {}): number[][] {
  const minRows = shape.rows ?? shape.minRows ?? 1;
  const maxRows = shape.rows ?? shape.maxRows ?? Infinity;
  const what = shape.describe ?? (shape.rows !== undefined && shape.cols !== undefined ? `a ${shape.rows} x ${shape.cols} matrix` : 'a matrix');
  const why = shape.why ? ` (${shape.why})` : '';
  if (!Array.isArray(raw)) throw new FieldError(field, raw, `${what}${why}: an array of rows [[a, b, ...], ...]`);
  if (raw.length < minRows || raw.length > maxRows) {
    const allowed = minRows === maxRows ? `${minRows}` : maxRows === Infinity ? `at least ${minRows}` : `${minRows} to ${maxRows}`;
    throw new FieldError(field, `${raw.length} rows`, `${allowed} rows: ${what}${why}`);
  }
  const first = raw[0];
  const cols = shape.cols ?? (Array.isArray(first) ? first.length : -1);
  if (shape.cols === undefined) {
    const minCols = shape.minCols ?? 1;
    const maxCols = shape.maxCols ?? Infinity;
    if (!Array.isArray(first)) throw new FieldError(`${field}[0]`, first, `a row: an array of numbers (${what})`);
    if (cols < minCols || cols > maxCols) {
      const range = maxCols === Infinity ? `at least ${minCols}` : `${minCols} to ${maxCols}`;
      throw new FieldError(`${field}[0]`, `${cols} entries`, `a row of ${range} entries (${what})`);
    }
  }
  return Array.from(raw, (row: unknown, i) => {
    const rowField = `${field}[${i}]`;
    if (!Array.isArray(row)) throw new FieldError(rowField, row, `a row: an array of ${cols} finite numbers`);
    if (row.length !== cols) {
      const src = shape.cols !== undefined ? (shape.why ?? `${cols} columns`) : `the length of ${field}[0]`;
      throw new FieldError(rowField, `${row.length} entries`, `${cols} entries (${src})`);
    }
    return Array.from(row as unknown[], (v, j) => finiteEntry(`${rowField}[${j}]`, v));
  });
}

/** A matrix from JSON text (the page's import box); `shape` as for validateMatrix. */
export function parseMatrixJson(text: string, field: string, shape: MatrixShape = {}): number[][] {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError(field, `invalid JSON (${(e as Error).message})`, 'JSON: an array of rows [[a, b, ...], ...]');
  }
  checkJsonTree(raw, field);
  return validateMatrix(raw, field, shape);
}
