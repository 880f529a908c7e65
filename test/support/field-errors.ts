// Shared helpers for config tests: parse, expect a FieldError, return it for assertions on the
// field path, the value and the allowed range.
import { expect } from 'vitest';
import { FieldError } from '../../src/labs/schema';

/** The FieldError that `parse(raw)` throws (fails the test if it throws none or another kind). */
export function fieldError(parse: (raw: unknown) => unknown, raw: unknown): FieldError {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return e as FieldError;
  }
  throw new Error('expected a FieldError');
}

/** Field errors for variations of a valid config: `patch` edits a fresh copy from `make`. */
export function fieldErrors(parse: (raw: unknown) => unknown, make: () => any) {
  return {
    error: (raw: unknown) => fieldError(parse, raw),
    withField(patch: (c: any) => void): FieldError {
      const c = make();
      patch(c);
      return fieldError(parse, c);
    },
  };
}
