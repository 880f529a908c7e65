// What a lab's snapshot must hold for a given config (LabDefinition.snapshotSpec): the arrays by
// name with the dtypes allowed (f32 from the GPU, f64 from the CPU reference), their shapes as
// functions of the config, which of them must be finite (the state a run continues from), and the
// schema of `resume`. One validator (snapshot-check.ts) reads every lab's spec, so the CLI, the
// library API and the page check a snapshot the same way. Types only; DOM-free.

import type { DType, NdArray } from '../io/snapshot-types';

/**
 * One axis of an array's shape: a number fixed by the config, or the name of a dimension several
 * arrays share (frames): bound by the first array that has it, then checked against the others
 * and against SnapshotSpec.dims.
 */
export type Dim = number | string;

export interface ArraySpec {
  dtypes: readonly DType[];
  shape: readonly Dim[];
  /** The name of each axis, for messages: ['frames', 'particles', 'd']. */
  axes: readonly string[];
  /** Absent is a FieldError when set (an optional array is checked only when present). */
  required?: boolean;
  /** Every value must be finite: a state the run continues from, or a float64 result that cannot be NaN. */
  finite?: boolean;
}

/** Where a named dimension may lie: [min, max], or one of `values`; `what` says why, for messages. */
export interface DimSpec {
  min?: number;
  max?: number;
  values?: readonly number[];
  what: string;
}

export interface ResumeField {
  kind: 'integer' | 'number' | 'numbers';
  /** Inclusive bounds of the value (of each element for 'numbers'). */
  min?: number;
  max?: number;
  /** 'numbers' only: the exact length. */
  length?: number;
  required?: boolean;
  /** The allowed range in words (default: built from min, max, length). */
  allowed?: string;
  /**
   * A check against the other resume fields (already type-checked; those absent are undefined):
   * null when fine, else the allowed value in words.
   */
  check?(value: number | number[], resume: Readonly<Record<string, number | number[] | undefined>>): string | null;
}

export interface ResumeSpec {
  /** A snapshot without `resume` is refused when set (otherwise it restarts the run). */
  required?: boolean;
  fields: Readonly<Record<string, ResumeField>>;
}

export interface SnapshotSpec {
  arrays: Readonly<Record<string, ArraySpec>>;
  dims?: Readonly<Record<string, DimSpec>>;
  /** The resume schema, given the dimensions the arrays bound (frames, ...) and the arrays. */
  resume(dims: Readonly<Record<string, number>>, arrays: Readonly<Record<string, NdArray>>): ResumeSpec;
}
