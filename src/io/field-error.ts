// The validation error every input path reports (configs, URL state, imported files, snapshots):
// it names the field, the value and the allowed range. Lives below the labs (io, math and the labs
// all throw it) so that no lower layer imports from a lab.

export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${field}: got ${formatValue(value)}; allowed: ${allowed}`);
    this.name = 'FieldError';
  }
}

const MAX_VALUE_CHARS = 60;
const MAX_STRING_CHARS = 1000;

/**
 * A short, readable rendering of an offending value (strings quoted, long JSON cut at 60
 * characters). Written without recursion and stopping at 60 characters, so a value nested
 * 20,000 deep or a million numbers long costs no stack and next to no time.
 */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v.length > MAX_STRING_CHARS ? `${JSON.stringify(v.slice(0, MAX_STRING_CHARS))}... (${v.length} characters)` : JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  try {
    const s = boundedJson(v, MAX_VALUE_CHARS + 1);
    return s === undefined ? safeString(v) : s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 3)}...` : s;
  } catch {
    return safeString(v);
  }
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v); // a prototype-less object has no toString
  }
}

/** JSON.stringify's text of a leaf (undefined when JSON leaves it out: undefined, functions, symbols). */
function leafJson(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > MAX_VALUE_CHARS ? v.slice(0, MAX_VALUE_CHARS + 1) : v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return String(v);
    case 'bigint':
      return String(v);
    case 'object':
      return v === null ? 'null' : undefined;
    default:
      return undefined;
  }
}

type Level = { array: true; v: ArrayLike<unknown>; i: number } | { array: false; v: object; keys: Iterator<string>; first: boolean };

function* ownKeys(o: object): Generator<string> {
  for (const k in o) if (Object.hasOwn(o, k)) yield k;
}

/**
 * The first `limit` (or more) characters of JSON.stringify(v), built with an explicit stack:
 * the same text for plain data (arrays, objects, typed arrays, toJSON), or undefined where
 * JSON.stringify gives undefined.
 */
function boundedJson(value: unknown, limit: number): string | undefined {
  const toJson = (x: unknown, key: string): unknown =>
    typeof x === 'object' && x !== null && typeof (x as { toJSON?: unknown }).toJSON === 'function' ? (x as { toJSON(k: string): unknown }).toJSON(key) : x;
  const root = toJson(value, '');
  if (typeof root !== 'object' || root === null) return leafJson(root);
  let out = '';
  const stack: Level[] = [];
  // Opens a container or writes a leaf; `inArray` turns JSON-less leaves into null.
  const emit = (x: unknown): void => {
    if (typeof x === 'object' && x !== null) {
      if (Array.isArray(x)) {
        out += '[';
        stack.push({ array: true, v: x, i: 0 });
      } else {
        out += '{';
        stack.push({ array: false, v: x, keys: ownKeys(x), first: true });
      }
    } else out += leafJson(x) ?? 'null';
  };
  emit(root);
  while (stack.length > 0 && out.length < limit) {
    const top = stack[stack.length - 1];
    if (top.array) {
      if (top.i >= top.v.length) {
        out += ']';
        stack.pop();
        continue;
      }
      if (top.i > 0) out += ',';
      const i = top.i++;
      emit(toJson(top.v[i], String(i)));
    } else {
      let next = top.keys.next();
      let x: unknown;
      // Keys whose values JSON leaves out (undefined, functions, symbols) are skipped.
      while (!next.done) {
        x = toJson((top.v as Record<string, unknown>)[next.value], next.value);
        if ((typeof x === 'object' && x !== null) || leafJson(x) !== undefined) break;
        next = top.keys.next();
      }
      if (next.done) {
        out += '}';
        stack.pop();
        continue;
      }
      out += `${top.first ? '' : ','}${JSON.stringify(next.value)}:`;
      top.first = false;
      emit(x);
    }
  }
  return out;
}
