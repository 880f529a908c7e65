// The in-memory snapshot every lab produces; the writers (npz, csv, json) serialise it.

export type DType = 'f32' | 'f64' | 'i32' | 'u32' | 'u8';
export type TypedArrayOf = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

export interface NdArray {
  dtype: DType;
  shape: number[];
  data: TypedArrayOf;
}

export interface Snapshot {
  lab: string;
  /** The full, validated config: reloading it reproduces the run. */
  config: unknown;
  /** Named arrays, e.g. t (frames), x (frames, particles, d), critical_points (K, d). */
  arrays: Record<string, NdArray>;
  /** lab, config, seed, app version, backend, adapter description, timings, ... */
  meta: Record<string, unknown>;
  /** Optional exact resume state (json snapshots): what a reload needs to continue the run. */
  resume?: unknown;
}
