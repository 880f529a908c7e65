// The page's snapshots (DOM-free). Same arrays, dtypes and meta keys as the CLI's (headless.ts;
// the shared parts come from snapshot-meta.ts): tokens (record, B, n, d) of the current heads at the
// recorded depths, layer and depth (record) of those frames, risk (iteration + 1; f32 when the heads
// are, as the GPU's history is), Q, K, V (current heads), plus
// what the page tracked: ntk_lambda_min at ntk_lambda_iteration (the CLI's names) and ntk_lambda_max
// of the empirical NTK, and the NTK
// check's ntk_ratio / ntk_dependency when it was run. `resume` holds the iteration; with the heads
// (exact f32 from the GPU, f64 from the CPU) and the risk history, restore() continues the run
// exactly. readResume validates a snapshot against the model its config builds, naming fields.

import { APP_VERSION } from '../../../io/app-version';
import type { NdArray, Snapshot } from '../../../io/snapshot-types';
import type { Backend } from '../../lab';
import { FieldError } from '../../schema';
import { validateSnapshot, type SnapshotLab } from '../../snapshot-check';
import { parseConfig } from '../config';
import { depthArrays, ntkMeta, precisionNote, riskMeta, seedMeta } from '../snapshot-meta';
import { transformerSnapshotSpec } from '../snapshot-spec';
import type { Heads, TransformerConfig, TransformerModel } from '../types';
import type { LambdaPoint } from './charts';
import type { LseSummary } from './ntk-jobs';

export const LAB_ID = 'transformer';

/** The lab's pieces validateSnapshot needs (the page cannot import the lab's index). */
const SNAPSHOT_LAB: SnapshotLab<TransformerConfig> = { id: LAB_ID, parseConfig, snapshotSpec: transformerSnapshotSpec };

/** The snapshot's parsed config, once the whole snapshot passed validateSnapshot (shapes, finite heads, resume). */
export function validatedConfig(snap: Snapshot): TransformerConfig {
  return validateSnapshot(snap, SNAPSHOT_LAB).config;
}

type Floats = Float32Array | Float64Array;
const arr = (data: Floats, shape: number[]): NdArray => ({ dtype: data instanceof Float32Array ? 'f32' : 'f64', shape, data });

export interface SnapshotInput {
  config: TransformerConfig;
  /** The config asked for, when the CPU fallback reduced it. */
  requested: TransformerConfig | null;
  reduced: string[];
  model: TransformerModel;
  iteration: number;
  heads: { Q: Floats; K: Floats; V: Floats };
  /** (L+1) x B x rows x d of the current heads. */
  states: Floats;
  /** Risk of iterations 0..iteration, or null without a task. */
  risk: Float64Array | null;
  lambda: LambdaPoint[];
  lse: LseSummary | null;
  /** Why lambda_min tracking was asked for but is not done (meta.ntkTrackingSkipped), or null. */
  trackingSkip?: string | null;
  backend: Backend;
  adapter: string;
  /** Why the run is on its backend (runLab's meta.backendNote). */
  backendNote?: string;
  /** meta.timings: what the page measured (ms). */
  timings?: Record<string, number>;
}

export function buildSnapshot(s: SnapshotInput): Snapshot {
  const { L, H, k, d } = s.model.heads;
  const { batch, n } = s.model.tokens;
  const rows = n + (s.model.tokens.query ? 1 : 0);
  const layers = s.model.recordLayers;
  const S = batch * rows * d;
  const tokens = s.states instanceof Float32Array ? new Float32Array(layers.length * batch * n * d) : new Float64Array(layers.length * batch * n * d);
  layers.forEach((l, f) => {
    for (let b = 0; b < batch; b++) tokens.set(s.states.subarray(l * S + b * rows * d, l * S + (b * rows + n) * d), (f * batch + b) * n * d);
  });
  const f32 = s.heads.Q instanceof Float32Array;
  const arrays: Record<string, NdArray> = {
    tokens: arr(tokens, [layers.length, batch, n, d]),
    ...depthArrays(layers, L),
    ...(s.risk ? { risk: arr(f32 ? Float32Array.from(s.risk) : s.risk, [s.risk.length]) } : {}),
    Q: arr(s.heads.Q, [L, H, k, d]),
    K: arr(s.heads.K, [L, H, k, d]),
    V: arr(s.heads.V, [L, H, d, d]),
  };
  if (s.lambda.length > 0) {
    arrays.ntk_lambda_min = { dtype: 'f64', shape: [s.lambda.length], data: Float64Array.from(s.lambda, (p) => p[1]) };
    arrays.ntk_lambda_max = { dtype: 'f64', shape: [s.lambda.length], data: Float64Array.from(s.lambda, (p) => p[2]) };
    arrays.ntk_lambda_iteration = { dtype: 'f64', shape: [s.lambda.length], data: Float64Array.from(s.lambda, (p) => p[0]) };
  }
  if (s.lse) {
    arrays.ntk_ratio = { dtype: 'f64', shape: [], data: Float64Array.of(s.lse.ratio) };
    arrays.ntk_dependency = { dtype: 'f64', shape: [batch], data: Float64Array.from(s.lse.dependency) };
  }
  const risk = s.risk;
  return {
    lab: LAB_ID,
    config: s.config,
    arrays,
    meta: {
      lab: LAB_ID,
      config: s.config,
      appVersion: APP_VERSION,
      backend: s.backend,
      adapter: s.adapter,
      ...(s.backendNote ? { backendNote: s.backendNote } : {}),
      precision: precisionNote(f32),
      ...(s.trackingSkip ? { ntkTrackingSkipped: s.trackingSkip } : {}),
      ...seedMeta(s.config),
      ...(s.requested ? { requestedConfig: s.requested, reducedForCpu: s.reduced } : {}),
      L,
      H,
      k,
      d,
      batch,
      n,
      rows,
      iterations: s.iteration,
      recordLayers: layers,
      ...riskMeta(risk),
      ...(s.lse ? { ntk: ntkMeta(s.lse) } : {}),
      timings: s.timings ?? {},
      source: 'page',
      createdAt: new Date().toISOString(),
    },
    resume: { iteration: s.iteration },
  };
}

export interface ResumeState {
  iteration: number;
  heads: Heads;
  risk: Float64Array | null;
  lambda: LambdaPoint[];
}

function finiteArray(name: string, a: NdArray | undefined, shape: number[]): Float64Array {
  const want = shape.join(', ');
  if (!a) throw new FieldError(`arrays.${name}`, undefined, `an array of shape [${want}]`);
  if (a.shape.length !== shape.length || a.shape.some((v, i) => v !== shape[i])) throw new FieldError(`arrays.${name}.shape`, `[${a.shape.join(', ')}]`, `[${want}] (the config's sizes)`);
  const out = Float64Array.from(a.data as ArrayLike<number>);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new FieldError(`arrays.${name}.data[${bad}]`, out[bad], 'a finite number');
  return out;
}

/** The state a snapshot continues from, checked against the model of its config. */
export function readResume(snap: Snapshot, model: TransformerModel): ResumeState {
  const { L, H, k, d } = model.heads;
  const heads: Heads = {
    L,
    H,
    k,
    d,
    Q: finiteArray('Q', snap.arrays.Q, [L, H, k, d]),
    K: finiteArray('K', snap.arrays.K, [L, H, k, d]),
    V: finiteArray('V', snap.arrays.V, [L, H, d, d]),
  };
  const training = model.targets !== null;
  const raw = (snap.resume as { iteration?: unknown } | undefined)?.iteration ?? (training ? (snap.arrays.risk?.shape[0] ?? 1) - 1 : 0);
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > (training ? model.iterations : 0)) {
    throw new FieldError('resume.iteration', raw, `an integer in [0, ${training ? model.iterations : 0}] (the config's iterations)`);
  }
  let risk: Float64Array | null = null;
  if (training) {
    const r = snap.arrays.risk;
    if (!r || r.shape.length !== 1 || r.shape[0] !== raw + 1) throw new FieldError('arrays.risk', r ? `shape [${r.shape.join(', ')}]` : undefined, `shape [${raw + 1}] (iteration + 1)`);
    risk = Float64Array.from(r.data as ArrayLike<number>);
  }
  const lv = snap.arrays.ntk_lambda_min?.data;
  const lm = snap.arrays.ntk_lambda_max?.data;
  const li = snap.arrays.ntk_lambda_iteration?.data;
  const lambda: LambdaPoint[] =
    lv && lm && li && lv.length === li.length && lm.length === li.length ? Array.from(lv, (v, i): LambdaPoint => [Number(li[i]), Number(v), Number(lm[i])]).filter(([it]) => it <= raw) : [];
  return { iteration: raw, heads, risk, lambda };
}
