// The page's snapshots (DOM-free). One frame of the current particles x (exact f32 from the GPU,
// f64 from the CPU), the stable critical points of the config, meta.json, and `resume` holding the
// step and t, so restore() continues the run from that state. readResume reads that state back
// after the lab's one validator (validateSnapshot against snapshot-spec.ts: x's shape against the
// config, finite positions, resume fields in range) with FieldErrors naming the field; a snapshot
// without resume restarts the run at t = T.

import { APP_VERSION } from '../../../io/app-version';
import type { Snapshot } from '../../../io/snapshot-types';
import type { Backend } from '../../lab';
import { validateSnapshot, type SnapshotLab } from '../../snapshot-check';
import type { CriticalPoint } from '../analysis';
import { parseConfig } from '../config';
import { scoreMixingSnapshotSpec } from '../snapshot-spec';
import type { ParticleState, ScoreMixingConfig } from '../types';

export const LAB_ID = 'score-mixing';

export interface SnapshotInput {
  config: ScoreMixingConfig;
  cps: CriticalPoint[];
  state: ParticleState;
  backend: Backend;
  adapter: string;
}

export function buildSnapshot({ config, cps, state, backend, adapter }: SnapshotInput): Snapshot {
  const d = state.d;
  const cp = new Float64Array(cps.length * d);
  cps.forEach((c, k) => cp.set(c.x.subarray(0, d), k * d));
  const x = state.x instanceof Float32Array ? state.x : Float64Array.from(state.x);
  return {
    lab: LAB_ID,
    config,
    arrays: {
      t: { dtype: 'f64', shape: [1], data: Float64Array.of(state.t) },
      x: { dtype: x instanceof Float32Array ? 'f32' : 'f64', shape: [1, state.count, d], data: x },
      critical_points: { dtype: 'f64', shape: [cps.length, d], data: cp },
    },
    meta: {
      lab: LAB_ID,
      config,
      seed: config.seed,
      appVersion: APP_VERSION,
      backend,
      adapter,
      particles: state.count,
      source: 'page',
    },
    resume: { step: state.step, t: state.t, frame: 0 },
  };
}

/** The lab's pieces validateSnapshot needs (the page cannot import the lab's index). */
export const SNAPSHOT_LAB: SnapshotLab<ScoreMixingConfig> = { id: LAB_ID, parseConfig, snapshotSpec: scoreMixingSnapshotSpec };

/**
 * The parsed config of `snapshot` and the state it resumes at (null when it holds no resume: the
 * run restarts at t = T). The whole snapshot passes validateSnapshot first: x's shape against the
 * config (particles, d), every position finite, resume.step in [0, steps], resume.t the grid time
 * of that step, resume.frame a frame of x.
 */
export function readResume(snapshot: Snapshot): { config: ScoreMixingConfig; state: ParticleState | null } {
  const { config, arrays, resume } = validateSnapshot(snapshot, SNAPSHOT_LAB);
  const x = arrays.x;
  if (resume === undefined) return { config, state: null };
  const r = resume as { step: number; t: number; frame?: number };
  const [frames, count, d] = x.shape;
  const frame = r.frame ?? frames - 1;
  const slice = Float64Array.from(x.data.subarray(frame * count * d, (frame + 1) * count * d));
  return { config, state: { step: r.step, t: r.t, d, count, x: slice } };
}
