// One schema per parameter set: it drives the panel (lil-gui), the URL state, the CLI config,
// `flowlab labs` and validation. Structured inputs (point sets, matrices) are validated by the
// lab's own config code; scalar parameters are described here.

/**
 * A sub-range of a number parameter that depends on the other values (theta's energy window
 * [1/(alpha-1), 1/2]). The panel draws it as a band on the slider track, recomputed on every
 * change, and marks the controller (style and tooltip) when the value lies outside. `from > to`
 * means no value is admissible (no band; every value is outside). Display only: validation stays
 * in the lab's parseConfig.
 */
import { FieldError } from '../io/field-error';
import { decimalLiteral, strictNumber } from '../io/input';

export interface ParamWindow {
  from: number;
  to: number;
  /** Shown in the tooltip, e.g. "energy window [1/(α−1), 1/2] = [0.333, 0.5]". */
  label: string;
  /** What goes wrong outside (tooltip); a generic sentence when absent. */
  warning?: string;
}

export interface NumberParam {
  kind: 'number';
  key: string;
  label: string;
  min: number;
  max: number;
  default: number;
  /** Slider step; integers when `integer` is set. */
  step?: number;
  integer?: boolean;
  /** Slider mapping: log for ranges spanning decades (tMin, T). */
  scale?: 'linear' | 'log';
  unit?: string;
  help: string;
  /** The admissible sub-range given the other values (null: none to show). Functions are not serialized. */
  window?: (values: ParamValues) => ParamWindow | null;
}

export interface ChoiceParam {
  kind: 'choice';
  key: string;
  label: string;
  options: readonly string[];
  default: string;
  help: string;
}

export interface BooleanParam {
  kind: 'boolean';
  key: string;
  label: string;
  default: boolean;
  help: string;
}

export type ParamSpec = NumberParam | ChoiceParam | BooleanParam;
export type ParamValues = Record<string, number | string | boolean>;

/** FieldError and formatValue live in src/io/field-error.ts (below the labs); re-exported for the labs. */
export { FieldError, formatValue } from '../io/field-error';

export function describeAllowed(p: ParamSpec): string {
  switch (p.kind) {
    case 'number':
      return `${p.integer ? 'an integer' : 'a number'} in [${p.min}, ${p.max}]${p.unit ? ` ${p.unit}` : ''}`;
    case 'choice':
      return `one of ${p.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'boolean':
      return 'true or false';
  }
}

/**
 * Check one value of a config (file, `--set`, panel, library API) against its spec; returns it or
 * throws FieldError. Strict: a number parameter takes a number, never a string ("0.5", "0x10" and
 * " " are refused); URL text goes through checkParamText first.
 */
export function checkParam(p: ParamSpec, value: unknown, fieldPrefix = ''): number | string | boolean {
  const field = fieldPrefix + p.key;
  switch (p.kind) {
    case 'number': {
      const v = strictNumber(value, field, describeAllowed(p));
      if (v < p.min || v > p.max || (p.integer && !Number.isInteger(v))) throw new FieldError(field, value, describeAllowed(p));
      return v;
    }
    case 'choice':
      if (typeof value !== 'string' || !p.options.includes(value)) throw new FieldError(field, value, describeAllowed(p));
      return value;
    case 'boolean': {
      const v = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof v !== 'boolean') throw new FieldError(field, value, describeAllowed(p));
      return v;
    }
  }
}

/**
 * Check one URL value (text) against its spec: a number must be a plain decimal literal (no hex,
 * no padding, no blank), a boolean `true` or `false`; then the checks of checkParam.
 */
export function checkParamText(p: ParamSpec, text: string, fieldPrefix = ''): number | string | boolean {
  if (p.kind !== 'number') return checkParam(p, text, fieldPrefix);
  const n = decimalLiteral(text);
  if (n === undefined) throw new FieldError(fieldPrefix + p.key, text, `${describeAllowed(p)}, written as a plain decimal number`);
  return checkParam(p, n, fieldPrefix);
}

export function defaults(schema: readonly ParamSpec[]): ParamValues {
  return Object.fromEntries(schema.map((p) => [p.key, p.default]));
}
