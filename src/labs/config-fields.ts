// Building blocks every lab's config.ts uses to validate untrusted configs against its schema:
// object checks, unknown-key refusal (typos would otherwise be silent), schema-driven scalars with
// defaults, and integer fields whose range depends on other fields. Every failure is a FieldError
// naming the field path, the value and what is allowed.

import { FieldError, checkParam, describeAllowed, type NumberParam, type ParamSpec } from './schema';
import { strictNumber } from '../io/input';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function rejectUnknownKeys(raw: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw new FieldError(prefix + k, raw[k], `no such field (allowed: ${allowed.join(', ')})`);
  }
}

/**
 * An integer in [min, max]; `allowed` says where the bounds come from. A JSON number only: a
 * string ("12", " 12 ") is refused like any other non-number (URL text is converted before).
 */
export function integerField(field: string, value: unknown, min: number, max: number, allowed: string): number {
  const v = strictNumber(value, field, allowed);
  if (!Number.isInteger(v) || v < min || v > max) throw new FieldError(field, value, allowed);
  return v;
}

export interface SchemaReader {
  /** The number parameter `key` (a programming error when absent). */
  spec(key: string): NumberParam;
  /** The schema's check of `value`, or the default when absent (FieldError when absent and `required`). */
  scalar(key: string, value: unknown, required?: boolean): number | string | boolean;
  number(key: string, value: unknown, required?: boolean): number;
}

/** Schema-driven scalar parsing for one lab's params (`lab` names it in programming errors). */
export function schemaReader(lab: string, params: readonly ParamSpec[]): SchemaReader {
  const find = (key: string): ParamSpec => {
    const p = params.find((q) => q.key === key);
    if (!p) throw new Error(`${lab} params: unknown key ${key}`);
    return p;
  };
  const scalar = (key: string, value: unknown, required = false): number | string | boolean => {
    const p = find(key);
    if (value === undefined) {
      if (required) throw new FieldError(key, undefined, `required: ${describeAllowed(p)}`);
      return p.default;
    }
    return checkParam(p, value);
  };
  return {
    spec(key) {
      const p = find(key);
      if (p.kind !== 'number') throw new Error(`${lab} params: ${key} is not a number parameter`);
      return p;
    },
    scalar,
    number: (key, value, required) => scalar(key, value, required) as number,
  };
}
