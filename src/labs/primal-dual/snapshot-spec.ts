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
//                                                    batch, which the page continues from (finite)
// Compare mode (config.compare, B batches): every per-run array has a leading batch axis of
// length B (x (B, frames, trajectories, n), ...); t, x_star, lambda_star keep their shapes;
// resume_state is (B, trajectories, stride).
// f32 from the GPU, f64 from the CPU. trajectories is the config's count, or the first
// CPU_PAGE_MAX_TRAJECTORIES when the page ran the CPU fallback. resume = { step, t }: step in
// [0, K] (K grid steps), t in [t0, T].
// Page exports made before compare mode compared alphas as separate runs: their resume.alphas
// (the config's alpha first) names the runs of resume_state (runs, trajectories, stride); such a
// snapshot has no config.compare and still validates here; the page maps its alphas to
// config.compare (view/snapshot.ts readResume). resume.alphas with config.compare is refused.

import { batchCount } from '../compare';
import type { ArraySpec, SnapshotSpec } from '../snapshot-spec';
import { dimensionsOf, dynamicsParams, trajectoryCount } from './config';
import { timeGrid } from './reference';
import { stateStride } from './simulation';
import type { PrimalDualConfig } from './types';

/** Trajectories the page's CPU fallback runs at most (the first ones of the config's). */
export const CPU_PAGE_MAX_TRAJECTORIES = 64;
/** Runs of a page export from before compare mode (the config's alpha and 5 more), and their alphas' range. */
export const LEGACY_MAX_RUNS = 6;
export const LEGACY_ALPHA_RANGE: readonly [number, number] = [3, 1000];

export function primalDualSnapshotSpec(cfg: PrimalDualConfig): SnapshotSpec {
  const { n, m } = dimensionsOf(cfg);
  const N = trajectoryCount(cfg);
  const reduced = Math.min(N, CPU_PAGE_MAX_TRAJECTORIES);
  const params = dynamicsParams(cfg);
  const { K } = timeGrid(params);
  const S = stateStride(n, m);
  const float = ['f32', 'f64'] as const;
  const B = batchCount(cfg.compare);
  const compared = cfg.compare !== undefined;
  // The leading batch axis of every per-run array in compare mode.
  const lead: number[] = compared ? [B] : [];
  const leadAxes: string[] = compared ? ['batches'] : [];
  const perRun = (tail: (string | number)[], tailAxes: string[], required = true): ArraySpec => ({
    dtypes: float,
    shape: [...lead, 'frames', 'trajectories', ...tail],
    axes: [...leadAxes, 'frames', 'trajectories', ...tailAxes],
    required,
  });
  const legacyAlphas = `alphas in [${LEGACY_ALPHA_RANGE.join(', ')}] of a page export from before compare mode`;
  return {
    dims: {
      frames: { min: 1, max: cfg.record, what: `in [1, ${cfg.record}] (config record = ${cfg.record})` },
      trajectories: {
        values: [N, reduced],
        what: reduced === N ? `= ${N} (the config's trajectories)` : `= ${N} (the config's trajectories) or ${reduced} (the page's CPU fallback)`,
      },
      runs: compared
        ? { values: [B], what: `= ${B} (the batches of config.compare)` }
        : { min: 1, max: LEGACY_MAX_RUNS, what: `1 (or, in a page export from before compare mode, 1 to ${LEGACY_MAX_RUNS} compared alphas)` },
    },
    arrays: {
      t: { dtypes: ['f64'], shape: ['frames'], axes: ['frames'], required: true, finite: true },
      x: perRun([n], ['n']),
      lambda: perRun([m], ['m']),
      energy: perRun([], []),
      gap: perRun([], []),
      feasibility: perRun([], []),
      objective: perRun([], []),
      defect: perRun([], []),
      Q: perRun([m], ['m'], false),
      x_star: { dtypes: ['f64'], shape: [n], axes: ['n'], required: true, finite: true },
      lambda_star: { dtypes: ['f64'], shape: [m], axes: ['m'], required: true, finite: true },
      resume_state: { dtypes: ['f32'], shape: ['runs', N, S], axes: [compared ? 'batches' : 'runs', 'trajectories', 'stride'], finite: true },
    },
    resume: (dims) => ({
      fields: {
        step: { kind: 'integer', min: 0, max: K, required: dims.runs !== undefined, allowed: `an integer in [0, ${K}] (the grid's steps)` },
        t: { kind: 'number', min: params.t0, max: params.T, allowed: `a time in [t0, T] = [${params.t0}, ${params.T}]` },
        alphas: {
          kind: 'numbers',
          min: LEGACY_ALPHA_RANGE[0],
          max: LEGACY_ALPHA_RANGE[1],
          // Required only to name the runs of a legacy resume_state with more than one run.
          required: !compared && (dims.runs ?? 1) > 1,
          allowed: compared
            ? 'absent: a compared run names its batches in config.compare'
            : dims.runs !== undefined
              ? `${dims.runs} ${legacyAlphas} (one per run of arrays.resume_state), the config's alpha = ${cfg.alpha} first`
              : `1 to ${LEGACY_MAX_RUNS} ${legacyAlphas}, the config's alpha = ${cfg.alpha} first`,
          check(a) {
            if (compared) return 'absent: a compared run names its batches in config.compare';
            const list = a as number[];
            if (list.length < 1 || list.length > LEGACY_MAX_RUNS || (dims.runs !== undefined && list.length !== dims.runs)) {
              return dims.runs !== undefined ? `${dims.runs} alphas (one per run of arrays.resume_state)` : `1 to ${LEGACY_MAX_RUNS} alphas`;
            }
            if (new Set(list).size !== list.length) return 'distinct alphas';
            return list[0] === cfg.alpha ? null : `the config's alpha = ${cfg.alpha} first`;
          },
        },
      },
    }),
  };
}
