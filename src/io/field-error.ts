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

/** A short, readable rendering of an offending value (strings quoted, long JSON cut at 60 characters). */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}
