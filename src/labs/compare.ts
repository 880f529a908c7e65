// Compare mode: one config run at several values of one scalar parameter side by side, in one GPU
// dispatch per step (a batch axis in the lab's buffers), overlaid in the charts with a legend.
//
// Public contract (config files, URL state, snapshots):
//   config.compare = { key: "<a parameter the lab can batch>", values: [v1, v2, ...] }
// runs B = 1 + values.length batches: batch 0 is the config's own value of `key`, batch b the
// value values[b - 1]; every other field is shared, so the time grid, the initial states and the
// noise are the same in every batch. Absent: one batch, nothing changes. In the URL it travels
// like every structured field (`compare=~<base64url JSON>`, url-state.ts).
// A snapshot of a compared run gives every per-run array a leading batch axis of length B
// (x: (B, frames, particles, d)); arrays shared by all batches (the recorded times t) keep their
// shape; meta.compare = { key, values: [own, v1, v2, ...] } names the batches in order.
// Which keys a lab can batch is its choice (LabDefinition.compare): parameters that change only
// per-step constants or uniforms, never the grid or a buffer size.

import { FieldError } from '../io/field-error';
import { isRecord, rejectUnknownKeys, type SchemaReader } from './config-fields';

/** Compared values besides the config's own: 8 batches at most, a legend that stays readable. */
export const MAX_COMPARE_VALUES = 7;

export interface CompareConfig {
  key: string;
  values: number[];
}

/** What a lab supports: the parameter keys it can batch. */
export interface CompareSupport {
  keys: readonly string[];
}

/**
 * config.compare, checked: undefined when absent; else the key one of `keys`, 1 to
 * MAX_COMPARE_VALUES values each valid for the key's parameter (schema range) and distinct from
 * each other. A value equal to `own` (the config's value of the key) is left out, and compare is
 * undefined when nothing else is left: batch 0 always runs the own value, so listing it is
 * redundant, not an error — and moving the key (panel, --set, a link) onto a compared value keeps
 * working (alpha 3 -> 4 with values [4, 8] runs 4 and 8). FieldErrors name compare.key or
 * compare.values[i] (the index in the given list).
 */
export function parseCompare(raw: unknown, keys: readonly string[], schema: SchemaReader, ownOf: (key: string) => number): CompareConfig | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) throw new FieldError('compare', raw, `an object { key, values } (key one of ${keys.join(', ')})`);
  rejectUnknownKeys(raw, ['key', 'values'], 'compare.');
  if (typeof raw.key !== 'string' || !keys.includes(raw.key)) throw new FieldError('compare.key', raw.key, `one of ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
  const key = raw.key;
  const { values } = raw;
  if (!Array.isArray(values) || values.length < 1 || values.length > MAX_COMPARE_VALUES + 1) {
    throw new FieldError('compare.values', values, `an array of 1 to ${MAX_COMPARE_VALUES} values of ${key} (besides the config's own)`);
  }
  const own = ownOf(key);
  const seen = new Set<number>();
  const kept: number[] = [];
  values.forEach((v, i) => {
    const field = `compare.values[${i}]`;
    let x: number;
    try {
      x = schema.number(key, v, true);
    } catch (e) {
      if (e instanceof FieldError) throw new FieldError(field, v, e.allowed);
      throw e;
    }
    if (seen.has(x)) throw new FieldError(field, v, `a value of ${key} not listed before`);
    seen.add(x);
    if (x !== own) kept.push(x);
  });
  if (kept.length > MAX_COMPARE_VALUES) throw new FieldError('compare.values', values, `at most ${MAX_COMPARE_VALUES} values of ${key} besides the config's own (${key} = ${own})`);
  return kept.length === 0 ? undefined : { key, values: kept };
}

/** The batches' values of the compared key: the config's own first. */
export function batchValues(own: number, compare: CompareConfig | undefined): number[] {
  return compare ? [own, ...compare.values] : [own];
}

/** Number of batches (1 without compare). */
export function batchCount(compare: CompareConfig | undefined): number {
  return compare ? 1 + compare.values.length : 1;
}

/** meta.compare of a snapshot (null without compare). */
export function compareMeta(own: number, compare: CompareConfig | undefined): { key: string; values: number[] } | null {
  return compare ? { key: compare.key, values: batchValues(own, compare) } : null;
}
