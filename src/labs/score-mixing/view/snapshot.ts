// The page's snapshots (DOM-free): the same arrays, shapes and meta keys as the CLI's
// (headless.ts runHeadless), for the frames recorded so far. t (frames) f64, the grid times of the
// recorded steps the run has passed; x (frames, particles, d), f32 from the GPU and f64 from the
// CPU; critical_points (K, d) f64; meta with runHeadless's keys (plus backendNote as runLab adds,
// and source: 'page'). A run that stands on a recorded step exports what the CLI writes at that
// point, resume = { step, t, frame } included: a completed page run equals `flowlab run` of its
// config. Between recorded steps the export still holds only the recorded frames, and the current
// state goes into arrays.resume_state (particles, d) with resume = { step, t }, so restore()
// continues from exactly that state.
//
// readResume reads a snapshot back after the lab's one validator (validateSnapshot against
// snapshot-spec.ts: shapes against the config, finite positions, resume fields in range and
// consistent with arrays.t) with FieldErrors naming the field; it returns the state to continue
// from and the recorded frames that came with it. A snapshot without resume restarts the run at T.
// Compare mode (config.compare, compare-run.ts): the runs hold frames frame-major (frames, B, N, d),
// the layout of the GPU buffer; the export is headless.ts's: x (B, frames, N, d), critical_points
// (B, Kmax, d) NaN-padded with critical_counts (B), meta.compare, meta.criticalPoints per batch,
// resume_state (B, N, d). readResume turns x back into frame-major frames and the state into
// (B, N, d) with count = B N.

import { APP_VERSION } from '../../../io/app-version';
import type { Snapshot } from '../../../io/snapshot-types';
import { geometricGrid } from '../../../math/timegrid';
import type { Backend } from '../../lab';
import { batchCount, compareMeta } from '../../compare';
import { validateSnapshot, type SnapshotLab } from '../../snapshot-check';
import type { CriticalPoint } from '../analysis';
import { toBatchMajor } from '../compare-run';
import { parseConfig } from '../config';
import { scoreMixingSnapshotSpec } from '../snapshot-spec';
import type { ParticleState, ScoreMixingConfig } from '../types';
import type { RecordedFrames, TrajectoryFrames } from './run-cpu';

export const LAB_ID = 'score-mixing';

export interface SnapshotInput {
  config: ScoreMixingConfig;
  /** The stable critical points of each batch's lambda (one list without compare). */
  cps: readonly CriticalPoint[][];
  /** The frames recorded so far (steps and positions, (frames, B, N, d); the lead frame of a restored run included). */
  frames: TrajectoryFrames<Float32Array | Float64Array>;
  /** The run's current state (step >= the last frame's step): count = B N, x (B, N, d). */
  state: ParticleState;
  backend: Backend;
  adapter: string;
  /** Why this backend (runLab's meta.backendNote): WebGPU, or the CPU fallback and its particle count. */
  backendNote: string;
  /** What the export took on the page (the page measures no simulation time of its own). */
  timings: Record<string, number>;
}

/** (B, F, N, d) to (F, B, N, d): the inverse of toBatchMajor. */
function toFrameMajor(x: ArrayLike<number>, frames: number, batches: number, frameSize: number): Float64Array {
  const out = new Float64Array(frames * batches * frameSize);
  for (let b = 0; b < batches; b++) {
    for (let f = 0; f < frames; f++) {
      const from = (b * frames + f) * frameSize;
      const to = (f * batches + b) * frameSize;
      for (let i = 0; i < frameSize; i++) out[to + i] = x[from + i];
    }
  }
  return out;
}

/** critical_points of the snapshot: (K, d) for one batch, (B, Kmax, d) NaN-padded with critical_counts for compared ones (as compare-run.ts batchCriticalPoints). */
function criticalArrays(cps: readonly CriticalPoint[][], d: number, compared: boolean): Snapshot['arrays'] {
  if (!compared) {
    const cp = new Float64Array(cps[0].length * d);
    cps[0].forEach((c, k) => cp.set(c.x.subarray(0, d), k * d));
    return { critical_points: { dtype: 'f64', shape: [cps[0].length, d], data: cp } };
  }
  const kmax = Math.max(1, ...cps.map((c) => c.length));
  const points = new Float64Array(cps.length * kmax * d).fill(NaN);
  cps.forEach((list, b) => list.forEach((c, k) => points.set(c.x.subarray(0, d), (b * kmax + k) * d)));
  return {
    critical_points: { dtype: 'f64', shape: [cps.length, kmax, d], data: points },
    critical_counts: { dtype: 'i32', shape: [cps.length], data: Int32Array.from(cps, (c) => c.length) },
  };
}

export function buildSnapshot({ config, cps, frames, state, backend, adapter, backendNote, timings }: SnapshotInput): Snapshot {
  const { d } = state;
  const B = batchCount(config.compare);
  const compared = config.compare !== undefined;
  const count = state.count / B;
  if (cps.length !== B) throw new Error(`score-mixing snapshot: critical points of ${cps.length} batches for ${B}`);
  const grid = geometricGrid(config.T, config.tMin, config.steps);
  const n = frames.steps.length;
  if (frames.x.length !== n * B * count * d) throw new Error(`score-mixing snapshot: ${frames.x.length} values for ${n} frames of ${B} x ${count} x ${d}`);
  if (n === 0) throw new Error('score-mixing snapshot: no frame recorded yet');
  const f32 = frames.x instanceof Float32Array;
  const lead = (dims: number[]): number[] => (compared ? [B, ...dims] : dims);
  const arrays: Snapshot['arrays'] = {
    t: { dtype: 'f64', shape: [n], data: Float64Array.from(frames.steps, (k) => grid[k]) },
    x: { dtype: f32 ? 'f32' : 'f64', shape: lead([n, count, d]), data: toBatchMajor(frames.x, n, B, count * d) },
    ...criticalArrays(cps, d, compared),
  };
  const onFrame = frames.steps[n - 1] === state.step;
  if (!onFrame) {
    const x = f32 ? Float32Array.from(state.x) : Float64Array.from(state.x);
    arrays.resume_state = { dtype: f32 ? 'f32' : 'f64', shape: lead([count, d]), data: x };
  }
  const cpMeta = (list: readonly CriticalPoint[]) => list.map((c) => ({ a: c.a, b: c.b, value: c.value, regime: c.regime }));
  return {
    lab: LAB_ID,
    config,
    arrays,
    // The keys of runHeadless's meta (lab and config go to meta.json through the exporter).
    meta: {
      seed: config.seed,
      particlesSeed: 'seed' in config.particles ? config.particles.seed : null,
      appVersion: APP_VERSION,
      backend,
      adapter,
      precision: f32 ? 'float32' : 'float64',
      d,
      particles: count,
      frames: n,
      recordedSteps: [...frames.steps],
      criticalPoints: compared ? cps.map(cpMeta) : cpMeta(cps[0]),
      ...(compared ? { compare: compareMeta(config.lambda, config.compare) } : {}),
      timings,
      createdAt: new Date().toISOString(),
      backendNote,
      source: 'page',
    },
    resume: onFrame ? { step: state.step, t: grid[state.step], frame: n - 1 } : { step: state.step, t: grid[state.step] },
  };
}

/** The lab's pieces validateSnapshot needs (the page cannot import the lab's index). */
export const SNAPSHOT_LAB: SnapshotLab<ScoreMixingConfig> = { id: LAB_ID, parseConfig, snapshotSpec: scoreMixingSnapshotSpec };

export interface PageResume {
  config: ScoreMixingConfig;
  /** The state to continue from (float64), or null: the run restarts at t = T. */
  state: ParticleState | null;
  /** The snapshot's recorded frames (t and x), kept when they are the config's recorded frames up to state.step. */
  recorded: RecordedFrames | null;
}

/**
 * The parsed config of `snapshot`, the state it resumes at and its frames. The whole snapshot
 * passes validateSnapshot first: x's shape against the config (batches, particles, d), every
 * position finite, resume.step in [0, steps], resume.t the grid time of that step, resume.frame a
 * frame of x at that step (or, with arrays.resume_state, no frame: that array is the state).
 * A compared snapshot's state holds every batch (count = B N, x (B, N, d)) and its frames come
 * back frame-major, as the runs hold them.
 */
export function readResume(snapshot: Snapshot): PageResume {
  const { config, arrays, resume } = validateSnapshot(snapshot, SNAPSHOT_LAB);
  const x = arrays.x;
  if (resume === undefined) return { config, state: null, recorded: null };
  const r = resume as { step: number; t: number; frame?: number };
  const B = batchCount(config.compare);
  const [frames, count, d] = x.shape.slice(-3);
  const size = count * d;
  const byFrame = B > 1 ? toFrameMajor(x.data, frames, B, size) : x.data;
  const recorded: RecordedFrames = { t: arrays.t.data, x: byFrame, count, batches: B };
  // The grid's own time (resume.t agrees with it to 1e-6): the run continues on the same grid.
  const t = geometricGrid(config.T, config.tMin, config.steps)[r.step];
  const raw = arrays.resume_state;
  if (raw) return { config, state: { step: r.step, t, d, count: B * count, x: Float64Array.from(raw.data) }, recorded };
  const frame = r.frame ?? frames - 1;
  const slice = Float64Array.from(byFrame.subarray(frame * B * size, (frame + 1) * B * size));
  return { config, state: { step: r.step, t, d, count: B * count, x: slice }, recorded };
}
