// Config and result types of the bilevel lab (NUMERICS.md). The config field names are a public
// contract (CLI config files, snapshots' meta.json, URL state).
//
// Config (JSON):
//   family        "qp" | "disk" | "abs" | "cusp" | "lp"   the lower-level problem
//   grid          {n, x1: [lo, hi], x2: [lo, hi]}          N x N pixels of the upper-level x;
//                 pixel centres x1[i] = lo + (i + 0.5)(hi - lo)/N
//   perturbation  {q, d} explicit, or {eps, seed}: q, d ~ U[-eps, eps] (counter-based RNG);
//                 absent: nominal (q = 0, d = 0). q tilts the objective (+ q^T y), d shifts the
//                 right-hand sides of the constraints (h_i(x, y) <= d_i)
//   kappa         failure flag where a margin < kappa h, h the larger grid spacing

export type Family = 'qp' | 'disk' | 'abs' | 'cusp' | 'lp';
export const FAMILIES: readonly Family[] = ['qp', 'disk', 'abs', 'cusp', 'lp'];

/** dim(y) and the number of constraints m of each family. */
export const FAMILY_DIMS: Record<Family, { ny: number; m: number }> = {
  qp: { ny: 2, m: 4 },
  disk: { ny: 2, m: 1 },
  abs: { ny: 1, m: 2 },
  cusp: { ny: 1, m: 0 },
  lp: { ny: 2, m: 4 },
};

export interface GridConfig {
  n: number;
  x1: [number, number];
  x2: [number, number];
}

export type PerturbationInput = { q: number[]; d: number[] } | { eps: number; seed: number };

export interface BilevelConfig {
  family: Family;
  grid: GridConfig;
  perturbation: PerturbationInput;
  kappa: number;
}

/** The perturbation actually applied: q (dim y), d (m). */
export interface Perturbation {
  q: number[];
  d: number[];
}

/** The three regularity conditions, in the order of every margin/flag array. */
export const CONDITIONS = ['licq', 'scsc', 'sosc'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** The exact lower-level solution at one x and its regularity margins (float64). */
export interface PixelSolution {
  /** y*(x), length dim y. */
  y: number[];
  /** Multipliers, length m (0 for inactive constraints). */
  mu: number[];
  /** Slacks s_i = -h_i(x, y*) - ... >= 0, length m. */
  slack: number[];
  /** Bit k set: constraint k + 1 is active (in the solved active set). */
  active: number;
  /** LICQ, SCSC, SOSC margins, each >= 0 and zero exactly where the condition fails (+Infinity: cannot fail). */
  margins: [number, number, number];
}

/** A whole map, arrays indexed [i1, i2] (pixel i1 * n + i2). Float64 on the CPU, float32 from the GPU. */
export interface BilevelMap {
  n: number;
  ny: number;
  m: number;
  x1: Float64Array;
  x2: Float64Array;
  y: Float32Array | Float64Array;
  mu: Float32Array | Float64Array;
  active: Int32Array;
  /** margin_licq, margin_scsc, margin_sosc, each n * n. */
  margins: [Float32Array | Float64Array, Float32Array | Float64Array, Float32Array | Float64Array];
  /** fail_licq, fail_scsc, fail_sosc (0/1), each n * n. */
  fails: [Uint8Array, Uint8Array, Uint8Array];
  /** Failure fractions (LICQ, SCSC, SOSC). */
  fraction: [number, number, number];
}
