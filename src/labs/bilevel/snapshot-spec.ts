// What a bilevel snapshot of a config holds (validateSnapshot, src/labs/snapshot-check.ts, checks
// every imported snapshot against it): the arrays headless.ts's snapshotOfMap writes for the CLI
// and the page alike, N = grid.n, dim y and m from the family:
//   x1, x2 (N) f64 (finite); y (N, N, dim y), mu (N, N, m), margin_licq/scsc/sosc (N, N) f32|f64
//   (margins may be +Infinity); active (N, N) i32; fail_licq/scsc/sosc (N, N) u8; fraction (3),
//   q (dim y), d (m) f64 (finite).
// The map is recomputed from the config, so no array is a state to continue from; resume = { step }
// is the number of rows the page had computed, in [0, N].

import type { ArraySpec, SnapshotSpec } from '../snapshot-spec';
import { CONDITIONS, FAMILY_DIMS, type BilevelConfig } from './types';

export function bilevelSnapshotSpec(cfg: BilevelConfig): SnapshotSpec {
  const N = cfg.grid.n;
  const { ny, m } = FAMILY_DIMS[cfg.family];
  const float = ['f32', 'f64'] as const;
  const grid = (dtypes: readonly ('f32' | 'f64' | 'i32' | 'u8')[]): ArraySpec => ({ dtypes, shape: [N, N], axes: ['x1 index', 'x2 index'], required: true });
  const arrays: SnapshotSpec['arrays'] = {
    x1: { dtypes: ['f64'], shape: [N], axes: ['grid.n'], required: true, finite: true },
    x2: { dtypes: ['f64'], shape: [N], axes: ['grid.n'], required: true, finite: true },
    y: { dtypes: float, shape: [N, N, ny], axes: ['x1 index', 'x2 index', `dim y (family ${cfg.family})`], required: true },
    mu: { dtypes: float, shape: [N, N, m], axes: ['x1 index', 'x2 index', `m (family ${cfg.family})`], required: true },
    active: grid(['i32']),
    ...Object.fromEntries(CONDITIONS.map((c) => [`margin_${c}`, grid(float)])),
    ...Object.fromEntries(CONDITIONS.map((c) => [`fail_${c}`, grid(['u8'])])),
    fraction: { dtypes: ['f64'], shape: [3], axes: ['LICQ, SCSC, SOSC'], required: true, finite: true },
    q: { dtypes: ['f64'], shape: [ny], axes: ['dim y'], required: true, finite: true },
    d: { dtypes: ['f64'], shape: [m], axes: ['m'], required: true, finite: true },
  };
  return {
    arrays,
    resume: () => ({
      fields: { step: { kind: 'integer', min: 0, max: N, allowed: `an integer in [0, ${N}] (rows of the map computed; grid.n = ${N})` } },
    }),
  };
}
