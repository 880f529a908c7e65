// What a primal-dual snapshot of a config holds (validateSnapshot, src/labs/snapshot-check.ts,
// checks every imported snapshot against it). The arrays are those headless.ts writes, for the
// CLI and the page's export (view/snapshot.ts) alike:
//   t (frames) f64                                   recorded times
//   x (frames, trajectories, n), lambda (frames, trajectories, m)        states of every trajectory
//   energy, gap, feasibility, objective, defect (frames, trajectories)   diagnostics
//   Q (frames, trajectories, m)                      written by both; optional, so page exports
//                                                    made before the page wrote it still import
//   x_star (n), lambda_star (m) f64                  the KKT point (finite)
//   resume_state (runs, trajectories, stride) f32    page on the GPU only: the raw states of every
//                                                    compared run, which the page continues from
//                                                    (finite)
// f32 from the GPU, f64 from the CPU. trajectories is the config's count, or the first
// CPU_PAGE_MAX_TRAJECTORIES when the page ran the CPU fallback. resume = { step, t, alphas }: step in
// [0, K] (K grid steps), t in [t0, T], alphas the compared alphas with the config's alpha first
// (one per run of resume_state).

import type { ArraySpec, SnapshotSpec } from '../snapshot-spec';
import { dimensionsOf, dynamicsParams, trajectoryCount } from './config';
import { timeGrid } from './reference';
import { stateStride } from './simulation';
import type { PrimalDualConfig } from './types';

/** Trajectories the page's CPU fallback runs at most (the first ones of the config's). */
export const CPU_PAGE_MAX_TRAJECTORIES = 64;
/** Compared alphas the page runs at most (the config's and 5 more), and their range. */
export const MAX_COMPARED_RUNS = 6;
export const COMPARE_ALPHA_RANGE: readonly [number, number] = [3, 1000];

export function primalDualSnapshotSpec(cfg: PrimalDualConfig): SnapshotSpec {
  const { n, m } = dimensionsOf(cfg);
  const N = trajectoryCount(cfg);
  const reduced = Math.min(N, CPU_PAGE_MAX_TRAJECTORIES);
  const params = dynamicsParams(cfg);
  const { K } = timeGrid(params);
  const S = stateStride(n, m);
  const float = ['f32', 'f64'] as const;
  const diag = (): ArraySpec => ({ dtypes: float, shape: ['frames', 'trajectories'], axes: ['frames', 'trajectories'], required: true });
  return {
    dims: {
      frames: { min: 1, max: cfg.record, what: `in [1, ${cfg.record}] (config record = ${cfg.record})` },
      trajectories: {
        values: [N, reduced],
        what: reduced === N ? `= ${N} (the config's trajectories)` : `= ${N} (the config's trajectories) or ${reduced} (the page's CPU fallback)`,
      },
      runs: { min: 1, max: MAX_COMPARED_RUNS, what: `in [1, ${MAX_COMPARED_RUNS}] (compared alphas)` },
    },
    arrays: {
      t: { dtypes: ['f64'], shape: ['frames'], axes: ['frames'], required: true, finite: true },
      x: { dtypes: float, shape: ['frames', 'trajectories', n], axes: ['frames', 'trajectories', 'n'], required: true },
      lambda: { dtypes: float, shape: ['frames', 'trajectories', m], axes: ['frames', 'trajectories', 'm'], required: true },
      energy: diag(),
      gap: diag(),
      feasibility: diag(),
      objective: diag(),
      defect: diag(),
      Q: { dtypes: float, shape: ['frames', 'trajectories', m], axes: ['frames', 'trajectories', 'm'] },
      x_star: { dtypes: ['f64'], shape: [n], axes: ['n'], required: true, finite: true },
      lambda_star: { dtypes: ['f64'], shape: [m], axes: ['m'], required: true, finite: true },
      resume_state: { dtypes: ['f32'], shape: ['runs', N, S], axes: ['runs', 'trajectories', 'stride'], finite: true },
    },
    resume: (dims) => ({
      fields: {
        step: { kind: 'integer', min: 0, max: K, required: dims.runs !== undefined, allowed: `an integer in [0, ${K}] (the grid's steps)` },
        t: { kind: 'number', min: params.t0, max: params.T, allowed: `a time in [t0, T] = [${params.t0}, ${params.T}]` },
        alphas: {
          kind: 'numbers',
          min: COMPARE_ALPHA_RANGE[0],
          max: COMPARE_ALPHA_RANGE[1],
          required: dims.runs !== undefined,
          allowed:
            dims.runs !== undefined
              ? `${dims.runs} alphas in [${COMPARE_ALPHA_RANGE.join(', ')}] (one per run of arrays.resume_state), the config's alpha = ${cfg.alpha} first`
              : `1 to ${MAX_COMPARED_RUNS} alphas in [${COMPARE_ALPHA_RANGE.join(', ')}], the config's alpha = ${cfg.alpha} first`,
          check(a) {
            const list = a as number[];
            if (list.length < 1 || list.length > MAX_COMPARED_RUNS || (dims.runs !== undefined && list.length !== dims.runs)) {
              return dims.runs !== undefined ? `${dims.runs} alphas (one per run of arrays.resume_state)` : `1 to ${MAX_COMPARED_RUNS} alphas`;
            }
            return list[0] === cfg.alpha && !list.slice(1).includes(cfg.alpha) ? null : `the config's alpha = ${cfg.alpha} first (and only there)`;
          },
        },
      },
    }),
  };
}
