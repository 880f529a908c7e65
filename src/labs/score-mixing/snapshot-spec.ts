// What a score-mixing snapshot of a config holds (validateSnapshot, src/labs/snapshot-check.ts,
// checks every imported snapshot against it). The arrays are those headless.ts writes and the
// page's export (view/snapshot.ts) too:
//   t (frames) f64                     recorded times (the frames recorded so far: CLI `record`)
//   x (frames, particles, d) f32|f64   the particles per frame; the run continues from
//                                      x[resume.frame], so every value must be finite
//   critical_points (points, d) f64    stable critical points of Phi_lambda (derived; optional)
//   resume_state (particles, d) f32|f64  page only, optional: the state at resume.step when the
//                                      run stood between recorded steps (finite)
// particles is the config's count, or the first CPU_PAGE_MAX_PARTICLES of it when the page ran
// the CPU fallback. resume = { step, t, frame }: step in [0, steps], t the grid time of that step
// (t_k = T (tMin/T)^(k/steps), in [tMin, T]), frame in [0, frames - 1] with arrays.t[frame] that
// same time (x[frame] is the state at resume.step); with resume_state, resume is required, frame
// absent, and the run continues from resume_state at resume.step.
// Compare mode (config.compare, compare-run.ts): B = 1 + compare.values.length batches lead x
// (batches, frames, particles, d) and resume_state (batches, particles, d); critical_points is
// (batches, points, d) padded with NaN (not checked finite) beside critical_counts (batches) i32.

import { geometricGrid } from '../../math/timegrid';
import type { DimSpec, ResumeField, SnapshotSpec } from '../snapshot-spec';
import { batchCount } from '../compare';
import { dimensionOf, particleCount } from './config';
import type { ScoreMixingConfig } from './types';

/** Particles the page's CPU fallback runs at most (the first ones of the config's). */
export const CPU_PAGE_MAX_PARTICLES = 2000;

/** Relative tolerance of resume.t against the grid time of resume.step (f32 -> f64 and pow rounding). */
const T_REL_TOL = 1e-6;

export function scoreMixingSnapshotSpec(cfg: ScoreMixingConfig): SnapshotSpec {
  const d = dimensionOf(cfg);
  const count = particleCount(cfg);
  const reduced = Math.min(count, CPU_PAGE_MAX_PARTICLES);
  const B = batchCount(cfg.compare);
  // The leading batch axis of a compared run (none without compare).
  const lead = <D extends string | number>(dims: readonly D[]): (D | 'batches')[] => (cfg.compare ? ['batches', ...dims] : [...dims]);
  const batchesDim: Record<string, DimSpec> = cfg.compare
    ? { batches: { values: [B], what: `= ${B} (1 + compare.values.length: ${cfg.compare.key} = ${[cfg.lambda, ...cfg.compare.values].join(', ')})` } }
    : {};
  return {
    dims: {
      frames: { min: 1, max: cfg.record, what: `in [1, ${cfg.record}] (config record = ${cfg.record})` },
      particles: {
        values: [count, reduced],
        what: reduced === count ? `= ${count} (the config's particles)` : `= ${count} (the config's particles) or ${reduced} (the page's CPU fallback)`,
      },
      points: { min: cfg.compare ? 1 : 0, what: cfg.compare ? '>= 1 (the most critical points of a batch, NaN-padded)' : '>= 0' },
      ...batchesDim,
    },
    arrays: {
      t: { dtypes: ['f64'], shape: ['frames'], axes: ['frames'], required: true, finite: true },
      x: { dtypes: ['f32', 'f64'], shape: lead(['frames', 'particles', d]), axes: lead(['frames', 'particles', 'd']), required: true, finite: true },
      critical_points: { dtypes: ['f64'], shape: lead(['points', d]), axes: lead(['points', 'd']), finite: !cfg.compare },
      ...(cfg.compare ? { critical_counts: { dtypes: ['i32'], shape: ['batches'], axes: ['batches'] } } : {}),
      resume_state: { dtypes: ['f32', 'f64'], shape: lead(['particles', d]), axes: lead(['particles', 'd']), finite: true },
    },
    resume: (dims, arrays) => {
      const hasState = Object.prototype.hasOwnProperty.call(arrays, 'resume_state');
      const grid = geometricGrid(cfg.T, cfg.tMin, cfg.steps);
      const times = arrays.t.data;
      const fields: Record<string, ResumeField> = {
        step: {
          kind: 'integer',
          min: 0,
          max: cfg.steps,
          required: true,
          allowed: `an integer in [0, ${cfg.steps}] (config steps)`,
          check(step, r) {
            // Without resume_state the run continues from x[frame]: that frame must be at this step.
            if (hasState || typeof step !== 'number') return null;
            const f = typeof r.frame === 'number' ? r.frame : dims.frames - 1;
            const want = grid[step];
            return Math.abs(times[f] - want) <= T_REL_TOL * want ? null : `the grid step of the frame the run continues from (arrays.t[${f}] = ${times[f]}; step ${step} is at t = ${want})`;
          },
        },
        t: {
          kind: 'number',
          min: cfg.tMin,
          max: cfg.T,
          required: true,
          allowed: `a time in [tMin, T] = [${cfg.tMin}, ${cfg.T}]`,
          check(t, r) {
            if (typeof r.step !== 'number' || typeof t !== 'number') return null;
            const want = grid[r.step];
            return Math.abs(t - want) <= T_REL_TOL * want ? null : `the grid time of resume.step = ${r.step}: t = T (tMin/T)^(step/steps) = ${want}`;
          },
        },
        frame: {
          kind: 'integer',
          min: 0,
          max: dims.frames - 1,
          allowed: `an integer in [0, ${dims.frames - 1}] (arrays.x holds ${dims.frames} frames)`,
          check: () => (hasState ? 'absent: arrays.resume_state holds the state the run continues from' : null),
        },
      };
      // With resume_state the snapshot is useless without the step it stands at.
      return { required: hasState, fields };
    },
  };
}
