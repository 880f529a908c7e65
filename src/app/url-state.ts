// Versioned URL state: a link holds the lab and its full config, so it reopens the same run.
// DOM-free (unit-tested in Node); the browser glue is in url-sync.ts.
//
// Format, version 1 (the decoder accepts v=1 forever — never change what these mean):
//
//   ?v=1&lab=<lab id>&<field>=<value>&...
//
//   * `v`   the format version, "1". A missing `v` with other fields is read as v=1.
//   * `lab` the lab id (LabDefinition.id).
//   * every scalar parameter of the lab's schema (ParamSpec.key, dotted keys such as
//     `particles.count` address nested fields) as plain text: numbers in JavaScript's shortest
//     round-trip form (`String(x)`, parses back to the same float64), booleans `true`/`false`,
//     choices as the option string. A number is read back only from a plain decimal literal
//     (optional sign, digits, fraction, exponent): "0x10", " 0.5 " and "" are refused.
//   * keys __proto__, constructor and prototype are refused anywhere in a path or a JSON value.
//   * every other config field (point sets, particle lists, ...) as `~` followed by base64url
//     (RFC 4648 §5, no padding) of the UTF-8 JSON of that field's value. Non-schema numbers,
//     booleans and plain strings may also appear as plain text; `~` marks JSON unambiguously.
//   * Keys and values are percent-encoded with encodeURIComponent (which leaves `~ - _ .` alone).
//
// Decoding starts from the lab's defaults, applies each field, and validates with the lab's own
// parseConfig. A field that fails (bad number, out of range, broken JSON) is dropped — its
// default is kept — and reported as a FieldError naming field, value and allowed range; the
// fields that were valid are kept. Fields a link does not mention take their defaults, which is
// how links stay valid when a lab gains parameters: new parameters must default to the old
// behaviour.

import { checkParamText, FieldError, type ParamSpec } from '../labs/schema';
import { checkJsonTree, decimalLiteral, setPathSafe } from '../io/input';

export const URL_STATE_VERSION = 1;
const JSON_MARK = '~';
/** Not config fields: the format version, the lab, and the page's view mode (`view=embed`). */
const RESERVED = new Set(['v', 'lab', 'view']);

/** The parts of a LabDefinition the URL codec needs. */
export interface UrlLab {
  id: string;
  params: readonly ParamSpec[];
  defaultConfig(): unknown;
  parseConfig(raw: unknown): unknown;
}

export interface UrlFields {
  /** The `v` parameter as written (null: absent). */
  version: string | null;
  labId: string | null;
  /** The page's view mode (`view=embed`: canvas and charts only), null when absent. */
  view: string | null;
  /** Every other parameter, in order, undecoded. */
  fields: [string, string][];
}

export interface DecodedConfig<C = unknown> {
  /** Validated by lab.parseConfig; the base when nothing in the URL was usable. */
  config: C;
  /** Fields that were rejected (their base value was kept). */
  rejected: FieldError[];
  /** The link's fields that were applied, as `key=value` text (values shortened), in link order. */
  applied: string[];
  /** The link's `v` when this Flowlab does not know that version (the fields were read as v=1); else null. */
  unsupportedVersion: string | null;
}

// ---- base64url of UTF-8 (btoa/atob and TextEncoder exist in browsers and Node >= 16) ----

export function base64urlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

// ---- dotted paths ----

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/**
 * Set the dotted `path` in `obj` (mutates), creating objects on the way: src/io/input.ts's
 * setPathSafe, so __proto__, constructor and prototype are refused with a FieldError.
 */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  setPathSafe(obj, path, value);
}

function deletePath(obj: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  let cur: unknown = obj;
  for (const part of parts.slice(0, -1)) {
    if (!isRecord(cur)) return;
    cur = cur[part];
  }
  if (isRecord(cur)) delete cur[parts[parts.length - 1]];
}

/** Remove empty objects left behind after deleting schema paths. */
function pruneEmpty(v: Record<string, unknown>): void {
  for (const [k, child] of Object.entries(v)) {
    if (isRecord(child)) {
      pruneEmpty(child);
      if (Object.keys(child).length === 0) delete v[k];
    }
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** JSON.stringify, except that -0 stays -0 (JSON.parse reads "-0" back as -0; stringify writes "0"). */
export function stringifyExact(v: unknown): string {
  const token = '__flowlab_negative_zero__';
  return JSON.stringify(v, (_k, x: unknown) => (Object.is(x, -0) ? token : x)).split(`"${token}"`).join('-0');
}

// ---- encode ----

function scalarText(v: number | boolean | string): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Plain text is unambiguous for non-schema values only when it would not parse as something else. */
function plainIsSafe(v: unknown): v is number | boolean | string {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'boolean') return true;
  if (typeof v === 'string') return v !== '' && !v.startsWith(JSON_MARK) && parseLiteral(v) === v;
  return false;
}

function encodePart(key: string, text: string): string {
  return `${encodeURIComponent(key)}=${encodeURIComponent(text)}`;
}

/** The query string (without '?') for `config` of `lab`. */
export function encodeUrlState(lab: Pick<UrlLab, 'id' | 'params'>, config: unknown): string {
  const parts = [`v=${URL_STATE_VERSION}`, encodePart('lab', lab.id)];
  const rest = isRecord(config) ? clone(config) : {};
  for (const p of lab.params) {
    const v = getPath(config, p.key);
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
      parts.push(encodePart(p.key, scalarText(v)));
      deletePath(rest, p.key);
    }
  }
  pruneEmpty(rest);
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined) continue;
    parts.push(encodePart(k, plainIsSafe(v) ? scalarText(v) : JSON_MARK + base64urlEncode(stringifyExact(v))));
  }
  return parts.join('&');
}

// ---- decode ----

/** Split a query string (with or without '?') into version, lab and the other fields. */
export function readUrlFields(search: string): UrlFields {
  const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const fields: [string, string][] = [];
  for (const [k, v] of q) if (!RESERVED.has(k)) fields.push([k, v]);
  return { version: q.get('v'), labId: q.get('lab'), view: q.get('view'), fields };
}

/** True when the URL carries any Flowlab state at all. */
export function hasUrlState(search: string): boolean {
  const f = readUrlFields(search);
  return f.version !== null || f.labId !== null;
}

/** Plain text: true, false, a plain decimal number (no hex, padding or Infinity), else the string. */
function parseLiteral(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return decimalLiteral(text) ?? text;
}

function decodeValue(key: string, text: string): unknown {
  if (!text.startsWith(JSON_MARK)) return parseLiteral(text);
  let value: unknown;
  try {
    value = JSON.parse(base64urlDecode(text.slice(JSON_MARK.length)));
  } catch {
    throw new FieldError(key, text.length > 40 ? `${text.slice(0, 37)}...` : text, '"~" followed by base64url-encoded JSON (URL state v=1)');
  }
  checkJsonTree(value, key); // nesting depth, no __proto__ / constructor / prototype keys
  return value;
}

/** The config field a FieldError refers to, at the top level: "mu1.points[3][0]" -> "mu1". */
function topField(field: string): string {
  return field.split(/[.[]/)[0];
}

/**
 * Decode the config of `lab` from URL fields, starting from `base` (default: the lab's defaults).
 * Never throws for bad fields: they are reported in `rejected` and their base value is kept.
 */
export function decodeConfig<C>(lab: UrlLab, url: UrlFields, base: unknown = lab.defaultConfig()): DecodedConfig<C> {
  // A version this Flowlab does not know (a link from a newer or older release): its fields are
  // still read with the v=1 rules, field by field, and the caller says so and lists what was
  // applied and what was not (describeVersion), so nothing is dropped silently.
  const unsupportedVersion = url.version !== null && url.version !== String(URL_STATE_VERSION) ? url.version : null;
  const { config, rejected } = decodeFields<C>(lab, url, base);
  const failed = new Set(rejected.map((e) => topField(e.field)));
  const applied = url.fields.filter(([k]) => !failed.has(topField(k))).map(([k, v]) => `${k}=${v.length > 24 ? `${v.slice(0, 21)}...` : v}`);
  return { config, rejected, applied, unsupportedVersion };
}

function decodeFields<C>(lab: UrlLab, url: UrlFields, base: unknown): { config: C; rejected: FieldError[] } {
  const rejected: FieldError[] = [];
  const specs = new Map(lab.params.map((p) => [p.key, p]));
  const candidate = (isRecord(base) ? clone(base) : {}) as Record<string, unknown>;
  // Structured fields first (they may replace whole objects), then scalars (which may be nested in them).
  const ordered = [...url.fields.filter(([k]) => !specs.has(k)), ...url.fields.filter(([k]) => specs.has(k))];
  for (const [key, text] of ordered) {
    try {
      const spec = specs.get(key);
      setPath(candidate, key, spec ? checkParamText(spec, text) : decodeValue(key, text));
    } catch (e) {
      if (e instanceof FieldError) rejected.push(e);
      else throw e;
    }
  }
  // Let the lab validate the whole. On a FieldError, a field the link mentioned is reported and
  // reverted to its base value; a field it did not mention (a base value made inconsistent by the
  // link, e.g. record > steps + 1) is removed so the lab fills its default. Retry until valid.
  const mentioned = new Set(url.fields.map(([k]) => topField(k)));
  const attempts = new Map<string, number>();
  for (;;) {
    try {
      return { config: lab.parseConfig(candidate) as C, rejected };
    } catch (e) {
      const err = e instanceof FieldError ? e : new FieldError('config', String((e as Error)?.message ?? e), 'a valid config');
      const top = topField(err.field);
      const n = attempts.get(top) ?? 0;
      attempts.set(top, n + 1);
      if (n === 0 && mentioned.has(top) && isRecord(base) && Object.hasOwn(base, top)) {
        rejected.push(err);
        candidate[top] = clone(base[top]);
      } else if (n <= 1 && Object.hasOwn(candidate, top)) {
        if (n === 0 && mentioned.has(top)) rejected.push(err);
        delete candidate[top];
      } else {
        // Cannot localise the problem: fall back to the base as a whole.
        rejected.push(err);
        return { config: lab.parseConfig(clone(base)) as C, rejected };
      }
    }
  }
}

/**
 * The sentence for a link of an unsupported version: which version it is, that it was read as
 * this one, what was applied and what was not (each rejected field also gets describeRejected).
 */
export function describeVersion(d: Pick<DecodedConfig, 'applied' | 'rejected' | 'unsupportedVersion'>): string {
  const applied = d.applied.length > 0 ? `applied ${d.applied.join(', ')}` : 'no field could be applied';
  const dropped = d.rejected.length > 0 ? `; not applied: ${d.rejected.map((e) => e.field).join(', ')} (defaults kept)` : '';
  return `This link uses URL state version ${JSON.stringify(d.unsupportedVersion)}, which this Flowlab does not support (it reads version ${URL_STATE_VERSION}). It was read as version ${URL_STATE_VERSION}: ${applied}${dropped}.`;
}

/** A sentence for a rejected URL field. */
export function describeRejected(e: FieldError): string {
  return `Link field "${e.field}" rejected: ${e.message.slice(e.field.length + 2)}. Kept the default for it.`;
}
