// Run a transformer config to completion without a page (CLI, tests, benchmarks): validated config
// -> model (toModel) -> `iterations` conditional-Wasserstein training steps on the GPU or the
// float64 reference -> a final forward pass with the trained heads -> Snapshot.
//
// GPU path, per iteration: TransformerSimulation.forward() -> read X^L (query rows included) ->
// readout, risk and P = dR/dX^L on the host in float64 (reference.ts riskAndCotangent) ->
// TransformerBackward.backward(P) -> update(tau). CPU path: reference.trainStep.
// The sphere variant has no GPU backward: a GPU run with sphere: true and iterations > 0 runs on
// the CPU reference instead, and says so (meta.fallback, a warning on stderr).
//
// Snapshot arrays — f32 from the GPU, f64 from the CPU except risk (always f64, computed on the host):
//   tokens (record, B, n, d)   the token rows of X^l at the recorded depths l (meta.recordLayers),
//                              forward pass of the final (trained) heads
//   risk (iterations + 1)      risk before each step and after the last; absent for task "none"
//   Q, K (L, H, k, d), V (L, H, d, d)   the final heads
//   ntk_ratio () f64, ntk_dependency (B) f64   config.ntk only: ntk.ts lseIndependence on the
//                              input sequences (s_min/s_max and the dependency vector)

import type { GpuContext } from '../../gpu/device';
import { ReadbackPool } from '../../gpu/readback';
import { APP_VERSION } from '../../io/app-version';
import type { NdArray, Snapshot } from '../../io/snapshot-types';
import type { Backend, HeadlessOptions } from '../lab';
import { TransformerBackward } from './backward';
import { sequenceDistributions, toModel, type TransformerConfig, type TransformerModel } from './config';
import { lseIndependence } from './ntk';
import { forward, riskAndCotangent, rowsOf, trainStep } from './reference';

export const LAB_ID = 'transformer';

/** What a training run leaves behind: final heads, recorded token states, the risk curve. */
interface TrainResult {
  Q: Float32Array | Float64Array;
  K: Float32Array | Float64Array;
  V: Float32Array | Float64Array;
  /** (record, B, n, d) token rows of the recorded depths. */
  tokens: Float32Array | Float64Array;
  /** iterations + 1 entries, or null without targets. */
  risk: Float64Array | null;
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

function trainOnCpu(m: TransformerModel, onProgress?: (f: number) => void): TrainResult {
  const heads = m.heads;
  const steps = m.targets ? m.iterations : 0;
  const risk = m.targets ? new Float64Array(steps + 1) : null;
  for (let it = 0; it < steps; it++) {
    (risk as Float64Array)[it] = trainStep(heads, m.tokens, m.readout, m.targets as Float64Array, m.flow, m.tau);
    onProgress?.((it + 1) / (steps + 1));
  }
  const traj = forward(heads, m.tokens, m.flow);
  if (risk && m.targets) risk[steps] = riskAndCotangent(m.readout, m.tokens, traj.states[heads.L], m.targets).risk;
  const tokens = recordedTokens(m, (l) => traj.states[l], (len) => new Float64Array(len));
  return { Q: heads.Q, K: heads.K, V: heads.V, tokens, risk };
}

async function trainOnGpu(gpu: GpuContext, m: TransformerModel, onProgress?: (f: number) => void): Promise<TrainResult & { gpuMs: number }> {
  // Imported here so a CPU-only run never compiles a shader.
  const { TransformerSimulation } = await import('./simulation');
  const start = performance.now();
  const { L } = m.heads;
  const steps = m.targets ? m.iterations : 0;
  const sim = await TransformerSimulation.create(gpu, m.heads, m.tokens, m.flow);
  let bw: TransformerBackward | null = null;
  const readback = new ReadbackPool(gpu.device, 'TransformerHeadless.readback');
  try {
    if (steps > 0) bw = await TransformerBackward.create(gpu, sim);
    const risk = m.targets ? new Float64Array(steps + 1) : null;
    const S = sim.batch * sim.rows * sim.d;
    let states: Float32Array = new Float32Array(0);
    for (let it = 0; it <= steps; it++) {
      sim.forward();
      states = await sim.readStates();
      if (!m.targets || !risk) break;
      const XL = Float64Array.from(states.subarray(L * S, (L + 1) * S));
      const { risk: r, cotangent } = riskAndCotangent(m.readout, m.tokens, XL, m.targets);
      risk[it] = r;
      if (it === steps) break;
      if (!Number.isFinite(r)) throw new Error(`transformer: the risk became ${r} at iteration ${it} (lower tau)`);
      (bw as TransformerBackward).backward(cotangent);
      (bw as TransformerBackward).update(m.tau);
      onProgress?.((it + 1) / (steps + 1));
    }
    const tokens = recordedTokens(m, (l) => states.subarray(l * S, (l + 1) * S), (len) => new Float32Array(len));
    const { Q, K, V } = sim.buffers;
    const [q, k, v] = await Promise.all([readback.read(Q, 0, 4 * m.heads.Q.length), readback.read(K, 0, 4 * m.heads.K.length), readback.read(V, 0, 4 * m.heads.V.length)]);
    return { Q: new Float32Array(q), K: new Float32Array(k), V: new Float32Array(v), tokens, risk, gpuMs: performance.now() - start };
  } finally {
    readback.dispose();
    bw?.dispose();
    sim.dispose();
  }
}

const arr = (data: Float32Array | Float64Array, shape: number[]): NdArray => ({ dtype: data instanceof Float32Array ? 'f32' : 'f64', shape, data });

export async function runHeadless(config: TransformerConfig, options: HeadlessOptions): Promise<Snapshot> {
  const wallStart = performance.now();
  const m = toModel(config);
  const setupMs = performance.now() - wallStart;

  let gpu = options.gpu;
  let backend: Backend = options.backend;
  let fallback: string | null = null;
  if (gpu && config.sphere && m.targets && m.iterations > 0) {
    fallback = 'sphere: true with training: the GPU backward has no sphere variant, so this run used the float64 CPU reference';
    console.warn(`flowlab transformer: ${fallback}`);
    gpu = null;
    backend = 'cpu-float64';
  }

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
  const trainingMs = performance.now() - trainStart;
  options.onProgress?.(1);

  const { L, H, k, d } = m.heads;
  const { batch, n } = m.tokens;
  const arrays: Record<string, NdArray> = {
    tokens: arr(result.tokens, [m.recordLayers.length, batch, n, d]),
    ...(result.risk ? { risk: arr(result.risk, [result.risk.length]) } : {}),
    Q: arr(result.Q, [L, H, k, d]),
    K: arr(result.K, [L, H, k, d]),
    V: arr(result.V, [L, H, d, d]),
  };

  let ntk: Record<string, unknown> | null = null;
  let ntkMs: number | undefined;
  if (config.ntk) {
    const ntkStart = performance.now();
    const t = lseIndependence(sequenceDistributions(m.tokens));
    ntkMs = performance.now() - ntkStart;
    arrays.ntk_ratio = { dtype: 'f64', shape: [], data: Float64Array.of(t.ratio) };
    arrays.ntk_dependency = { dtype: 'f64', shape: [batch], data: t.dependency };
    ntk = {
      independent: t.independent,
      verdict: t.independent ? 'injective: the log-sum-exp features are independent modulo affine functions' : 'not injective: a combination of log-sum-exp features is affine (see ntk_dependency)',
      ratio: t.ratio,
      threshold: 1e-8,
      diracs: t.diracs,
      R0: t.R0,
    };
  }

  const risk = result.risk;
  const seq = config.sequences;
  const task = config.task;
  return {
    lab: LAB_ID,
    config,
    arrays,
    meta: {
      appVersion: APP_VERSION,
      backend,
      adapter: gpu ? gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
      precision: gpu ? 'float32 (risk and cotangent float64 on the host)' : 'float64',
      ...(fallback ? { fallback, requestedBackend: options.backend } : {}),
      seed: config.init?.kind === 'gaussian' ? config.init.seed : null,
      seeds: {
        sequences: Array.isArray(seq) ? null : seq.seed,
        init: config.init?.kind === 'gaussian' ? config.init.seed : null,
        teacher: task.kind === 'teacher' ? task.seed : null,
      },
      L,
      H,
      k,
      d,
      batch,
      n,
      rows: rowsOf(m.tokens),
      iterations: risk ? risk.length - 1 : 0,
      recordLayers: m.recordLayers,
      ...(risk ? { riskInitial: risk[0], riskFinal: risk[risk.length - 1], riskDrop: risk[0] / risk[risk.length - 1] } : {}),
      ...(ntk ? { ntk } : {}),
      timings: {
        setupMs,
        trainingMs,
        ...(risk && risk.length > 1 ? { msPerIteration: trainingMs / (risk.length - 1) } : {}),
        ...(gpuMs !== undefined ? { gpuTotalMs: gpuMs } : {}),
        ...(ntkMs !== undefined ? { ntkMs } : {}),
        totalMs: performance.now() - wallStart,
      },
      createdAt: new Date().toISOString(),
    },
  };
}
