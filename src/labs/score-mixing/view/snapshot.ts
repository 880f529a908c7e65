// The page's snapshots (DOM-free). One frame of the current particles x (exact f32 from the GPU,
// f64 from the CPU), the stable critical points of the config, meta.json, and `resume` holding the
// step and t, so restore() continues the run from that state. readResume reads that state back,
// checked against the config (x's shape, the step range) with FieldErrors naming the field; a
// snapshot without x or resume restarts the run at t = T.

import { APP_VERSION } from '../../../io/app-version';
import type { Snapshot } from '../../../io/snapshot-types';
import type { Backend } from '../../lab';
import { FieldError } from '../../schema';
import type { CriticalPoint } from '../analysis';
import { dimensionOf } from '../config';
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

/** The state `snapshot` resumes at for `cfg` (its parsed config), or null when it holds none. */
export function readResume(snapshot: Snapshot, cfg: ScoreMixingConfig): ParticleState | null {
  const x = snapshot.arrays.x;
  const resume = snapshot.resume as { step?: unknown; t?: unknown; frame?: unknown } | undefined;
  let state: ParticleState | null = null;
  if (x && resume && typeof resume.step === 'number' && typeof resume.t === 'number') {
    const frame = typeof resume.frame === 'number' ? resume.frame : x.shape[0] - 1;
    const [, count, d] = x.shape;
    if (x.shape.length !== 3 || d !== dimensionOf(cfg)) throw new FieldError('arrays.x', `shape [${x.shape}]`, `(frames, particles, ${dimensionOf(cfg)})`);
    if (!Number.isInteger(resume.step) || resume.step < 0 || resume.step > cfg.steps) {
      throw new FieldError('resume.step', resume.step, `an integer in [0, ${cfg.steps}]`);
    }
    const slice = Float64Array.from(x.data.subarray(frame * count * d, (frame + 1) * count * d));
    state = { step: resume.step, t: resume.t, d, count, x: slice };
  }
  return state;
}
