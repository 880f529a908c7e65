// Run a transformer config to completion without a page (CLI, tests, benchmarks): validated config
// -> model (toModel) -> `iterations` conditional-Wasserstein training steps on the GPU or the
// float64 reference -> a final forward pass with the trained heads -> Snapshot.
//
// GPU path: TransformerTrainer (trainer.ts), everything on the GPU: per submit a chunk of up to
// CHUNK iterations (forward, readout + risk + cotangent, backward, guarded update) and a final
// forward; between chunks only the 16-byte status is read (a halt stops the run early), and the
// risk history once at the end. Sphere runs train on the GPU too (sphere backward). CPU path:
// reference.trainStep. Either path: a non-finite risk is an error naming the iteration and tau
// (the GPU keeps the last finite heads; the error is what the CLI reports).
//
// Snapshot arrays — f32 from the GPU, f64 from the CPU:
//   tokens (record, B, n, d)   the token rows of X^l at the recorded depths l (meta.recordLayers),
//                              forward pass of the final (trained) heads
//   layer (record) i32, depth (record) f64   each recorded frame's layer index l and depth time
//                              l/L (snapshot-meta.ts depthArrays; the CSV export's depth axis)
//   risk (iterations + 1)      risk before each step and after the last (GPU: computed in f32 by
//                              readout-risk.wgsl); absent for task "none"
//   Q, K (L, H, k, d), V (L, H, d, d)   the final heads
//   ntk_ratio () f64, ntk_dependency (B) f64   config.ntk only: ntk.ts lseIndependence on the
//                              input sequences (s_min/s_max and the dependency vector)
//   ntk_lambda_min (m) f64, ntk_lambda_iteration (m) f64   config.ntkEvery > 0 with a task (skipped,
//                              with meta.ntkTrackingSkipped and a warning, above MAX_NTK_OUTPUTS outputs):
//                              lambda_min of the empirical NTK (ntk.ts empiricalNtk, float64, on the
//                              heads of that iteration: the GPU's f32 heads read back, or the CPU's)
//                              at iterations 0, ntkEvery, 2 ntkEvery, ... and the last

import type { GpuContext } from '../../gpu/device';
import { APP_VERSION } from '../../io/app-version';
import type { NdArray, Snapshot } from '../../io/snapshot-types';
import type { HeadlessOptions } from '../lab';
import { sequenceDistributions, toModel } from './model';
import { empiricalNtk, lseIndependence } from './ntk';
import { MAX_NTK_OUTPUTS } from './params';
import { forward, outputCount, riskAndCotangent, rowsOf, trainStep } from './reference';
import { depthArrays, ntkMeta, precisionNote, riskMeta, seedMeta } from './snapshot-meta';
import type { Heads, TransformerConfig, TransformerModel } from './types';

export const LAB_ID = 'transformer';

/** Iterations per GPU submit (each chunk ends with a forward pass and a 16-byte status read). */
const CHUNK = 64;

/** What a training run leaves behind: final heads, recorded token states, the risk curve. */
interface TrainResult {
  Q: Float32Array | Float64Array;
  K: Float32Array | Float64Array;
  V: Float32Array | Float64Array;
  /** (record, B, n, d) token rows of the recorded depths. */
  tokens: Float32Array | Float64Array;
  /** iterations + 1 entries, or null without targets. */
  risk: Float32Array | Float64Array | null;
  /** lambda_min of the empirical NTK at ntkIterations (empty when not tracked). */
  lambdaMin: number[];
  /** Milliseconds spent in the NTK evaluations. */
  ntkMs: number;
}

/** Token rows (query rows dropped) of the recorded depths of a flat (L+1) x B x rows x d state array. */
function recordedTokens<T extends Float32Array | Float64Array>(m: TransformerModel, states: (l: number) => T, make: (len: number) => T): T {
  const { batch, n, d } = m.tokens;
  const rows = rowsOf(m.tokens);
  const out = make(m.recordLayers.length * batch * n * d);
  m.recordLayers.forEach((l, f) => {
    const X = states(l);
    for (let b = 0; b < batch; b++) out.set(X.subarray(b * rows * d, (b * rows + n) * d), (f * batch + b) * n * d);
  });
  return out;
}

/** Iterations whose heads get a lambda_min evaluation: 0, every, 2 every, ... <= steps, and steps. */
export function ntkIterations(steps: number, every: number): number[] {
  if (!(every > 0)) return [];
  const out: number[] = [];
  for (let i = 0; i <= steps; i += every) out.push(i);
  if (out[out.length - 1] !== steps) out.push(steps);
  return out;
}

/**
 * Why lambda_min tracking was asked for (ntkEvery > 0) but is not done: more readout outputs than
 * MAX_NTK_OUTPUTS (one float64 backward pass each). null: tracked, or not asked for.
 */
export function ntkTrackingSkip(m: TransformerModel): string | null {
  if (!(m.ntkEvery > 0) || !m.targets) return null;
  const P = outputCount(m.readout, m.tokens);
  return P > MAX_NTK_OUTPUTS
    ? `ntkEvery = ${m.ntkEvery} ignored: ${P} readout outputs exceed ${MAX_NTK_OUTPUTS} (lambda_min takes one float64 backward pass per output; use a pooled or query readout or fewer sequences)`
    : null;
}

/** The iterations of lambda_min tracking for this model (none without targets, with ntkEvery 0 or when skipped). */
function trackedIterations(m: TransformerModel): number[] {
  return m.targets && !ntkTrackingSkip(m) ? ntkIterations(m.iterations, m.ntkEvery) : [];
}

function haltError(iteration: number, risk: number | string, tau: number): Error {
  return new Error(`transformer: the risk became ${risk} at iteration ${iteration} with tau = ${tau} (training diverged; lower tau)`);
}

/** lambda_min of the empirical NTK of `heads` (float64) and the time it took. */
function lambdaMinOf(m: TransformerModel, heads: Heads): { value: number; ms: number } {
  const t0 = performance.now();
  const value = empiricalNtk(heads, m.tokens, m.readout, m.flow).lambdaMin;
  return { value, ms: performance.now() - t0 };
}

function trainOnCpu(m: TransformerModel, onProgress?: (f: number) => void): TrainResult {
  const heads = m.heads;
  const steps = m.targets ? m.iterations : 0;
  const risk = m.targets ? new Float64Array(steps + 1) : null;
  const track = new Set(trackedIterations(m));
  const lambdaMin: number[] = [];
  let ntkMs = 0;
  const evaluate = (): void => {
    const r = lambdaMinOf(m, heads);
    lambdaMin.push(r.value);
    ntkMs += r.ms;
  };
  for (let it = 0; it < steps; it++) {
    if (track.has(it)) evaluate();
    const r = trainStep(heads, m.tokens, m.readout, m.targets as Float64Array, m.flow, m.tau);
    if (!Number.isFinite(r)) throw haltError(it, r, m.tau);
    (risk as Float64Array)[it] = r;
    onProgress?.((it + 1) / (steps + 1));
  }
  if (track.has(steps)) evaluate();
  const traj = forward(heads, m.tokens, m.flow);
  if (risk && m.targets) {
    risk[steps] = riskAndCotangent(m.readout, m.tokens, traj.states[heads.L], m.targets).risk;
    if (!Number.isFinite(risk[steps])) throw haltError(steps, risk[steps], m.tau);
  }
  const tokens = recordedTokens(m, (l) => traj.states[l], (len) => new Float64Array(len));
  return { Q: heads.Q, K: heads.K, V: heads.V, tokens, risk, lambdaMin, ntkMs };
}

async function trainOnGpu(gpu: GpuContext, m: TransformerModel, onProgress?: (f: number) => void): Promise<TrainResult & { gpuMs: number }> {
  // Imported here so a CPU-only run never loads the GPU classes.
  const { TransformerTrainer } = await import('./trainer');
  const start = performance.now();
  const steps = m.targets ? m.iterations : 0;
  const trainer = await TransformerTrainer.create(gpu, { heads: m.heads, tokens: m.tokens, flow: m.flow, readout: m.readout, targets: m.targets, tau: m.tau, capacity: steps });
  try {
    const track = trackedIterations(m);
    const lambdaMin: number[] = [];
    let ntkMs = 0;
    const evaluate = async (): Promise<void> => {
      const h = await trainer.readHeads();
      const r = lambdaMinOf(m, { ...m.heads, Q: Float64Array.from(h.Q), K: Float64Array.from(h.K), V: Float64Array.from(h.V) });
      lambdaMin.push(r.value);
      ntkMs += r.ms;
    };
    const submit = (count: number): void => {
      const encoder = gpu.device.createCommandEncoder({ label: 'TransformerHeadless.encoder' });
      trainer.encodeIterations(encoder, count);
      gpu.device.queue.submit([encoder.finish()]);
    };
    if (track[0] === 0) await evaluate();
    let next = track[0] === 0 ? 1 : 0;
    if (steps === 0) submit(0);
    for (let done = 0; done < steps; ) {
      const stop = Math.min(done + CHUNK, steps, next < track.length ? track[next] : steps);
      submit(stop - done);
      done = stop;
      const status = await trainer.readStatus();
      if (status.halted) {
        const r = await trainer.readRisk(status.haltIteration + 1);
        throw haltError(status.haltIteration, r[status.haltIteration], m.tau);
      }
      if (next < track.length && track[next] === done) {
        await evaluate();
        next++;
      }
      onProgress?.(done / (steps + 1));
    }
    const risk = m.targets ? await trainer.readRisk(steps + 1) : null;
    if (risk && !Number.isFinite(risk[steps])) throw haltError(steps, risk[steps], m.tau);
    const states = await trainer.sim.readStates();
    const S = trainer.sim.batch * trainer.sim.rows * trainer.sim.d;
    const tokens = recordedTokens(m, (l) => states.subarray(l * S, (l + 1) * S), (len) => new Float32Array(len));
    const { Q, K, V } = await trainer.readHeads();
    return { Q, K, V, tokens, risk, lambdaMin, ntkMs, gpuMs: performance.now() - start - ntkMs };
  } finally {
    trainer.dispose();
  }
}

const arr = (data: Float32Array | Float64Array, shape: number[]): NdArray => ({ dtype: data instanceof Float32Array ? 'f32' : 'f64', shape, data });

export async function runHeadless(config: TransformerConfig, options: HeadlessOptions): Promise<Snapshot> {
  const wallStart = performance.now();
  const m = toModel(config);
  const setupMs = performance.now() - wallStart;

  const gpu = options.gpu;
  const backend = options.backend;
  const trainStart = performance.now();
  let result: TrainResult;
  let gpuMs: number | undefined;
  if (gpu) {
    const r = await trainOnGpu(gpu, m, options.onProgress);
    result = r;
    gpuMs = r.gpuMs;
  } else {
    result = trainOnCpu(m, options.onProgress);
  }
  const trainingMs = performance.now() - trainStart - result.ntkMs;
  options.onProgress?.(1);

  const { L, H, k, d } = m.heads;
  const { batch, n } = m.tokens;
  const arrays: Record<string, NdArray> = {
    tokens: arr(result.tokens, [m.recordLayers.length, batch, n, d]),
    ...depthArrays(m.recordLayers, L),
    ...(result.risk ? { risk: arr(result.risk, [result.risk.length]) } : {}),
    Q: arr(result.Q, [L, H, k, d]),
    K: arr(result.K, [L, H, k, d]),
    V: arr(result.V, [L, H, d, d]),
  };
  const tracked = trackedIterations(m);
  const trackingSkip = ntkTrackingSkip(m);
  if (trackingSkip) console.warn(`flowlab transformer: ${trackingSkip}`);
  if (tracked.length > 0) {
    arrays.ntk_lambda_min = { dtype: 'f64', shape: [tracked.length], data: Float64Array.from(result.lambdaMin) };
    arrays.ntk_lambda_iteration = { dtype: 'f64', shape: [tracked.length], data: Float64Array.from(tracked) };
  }

  let ntk: Record<string, unknown> | null = null;
  let ntkMs: number | undefined;
  if (config.ntk) {
    const ntkStart = performance.now();
    const t = lseIndependence(sequenceDistributions(m.tokens));
    ntkMs = performance.now() - ntkStart;
    arrays.ntk_ratio = { dtype: 'f64', shape: [], data: Float64Array.of(t.ratio) };
    arrays.ntk_dependency = { dtype: 'f64', shape: [batch], data: t.dependency };
    ntk = ntkMeta({ ...t, threshold: 1e-8 });
  }

  const risk = result.risk;
  return {
    lab: LAB_ID,
    config,
    arrays,
    meta: {
      appVersion: APP_VERSION,
      backend,
      adapter: gpu ? gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
      precision: precisionNote(gpu !== null),
      ...(trackingSkip ? { ntkTrackingSkipped: trackingSkip } : {}),
      ...seedMeta(config),
      L,
      H,
      k,
      d,
      batch,
      n,
      rows: rowsOf(m.tokens),
      iterations: risk ? risk.length - 1 : 0,
      recordLayers: m.recordLayers,
      ...riskMeta(risk),
      ...(ntk ? { ntk } : {}),
      timings: {
        setupMs,
        trainingMs,
        ...(risk && risk.length > 1 ? { msPerIteration: trainingMs / (risk.length - 1) } : {}),
        ...(gpuMs !== undefined ? { gpuTotalMs: gpuMs } : {}),
        ...(ntkMs !== undefined ? { ntkMs } : {}),
        ...(tracked.length > 0 ? { ntkTrackingMs: result.ntkMs } : {}),
        totalMs: performance.now() - wallStart,
      },
      createdAt: new Date().toISOString(),
    },
  };
}
