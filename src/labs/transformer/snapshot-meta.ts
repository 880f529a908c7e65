// The parts of a transformer snapshot that the CLI (headless.ts) and the page (view/snapshot.ts)
// must write identically, in one place so the two cannot drift: the depth axis of the recorded
// frames (arrays `layer` and `depth`, which the CSV exporter reads), the precision note, the seeds,
// the risk summary and the NTK injectivity verdict in meta. DOM-free.

import type { NdArray } from '../../io/snapshot-types';
import type { TransformerConfig } from './types';

/**
 * The recorded frames on the depth axis: `layer` (record) i32, the layer index l of each frame
 * (model.recordLayers), and `depth` (record) f64, its depth time l * dt with the steppers' layer
 * step dt = 1/L (NUMERICS.md), so depth runs 0..1 whatever L is.
 */
export function depthArrays(recordLayers: readonly number[], L: number): { layer: NdArray; depth: NdArray } {
  return {
    layer: { dtype: 'i32', shape: [recordLayers.length], data: Int32Array.from(recordLayers) },
    depth: { dtype: 'f64', shape: [recordLayers.length], data: Float64Array.from(recordLayers, (l) => l / L) },
  };
}

/** meta.precision: what the numbers of a run on the GPU (f32) or on the CPU reference (f64) are. */
export function precisionNote(gpu: boolean): string {
  return gpu ? 'float32 (every kernel, the readout, risk and cotangent included: risk is f32 from the GPU; ntk_lambda_min is float64 on the f32 heads)' : 'float64';
}

/** meta.seed and meta.seeds of a config (null where a part is not drawn). */
export function seedMeta(config: TransformerConfig): { seed: number | null; seeds: { sequences: number | null; init: number | null; teacher: number | null } } {
  const seq = config.sequences;
  const task = config.task;
  const init = config.init?.kind === 'gaussian' ? config.init.seed : null;
  return {
    seed: init,
    seeds: { sequences: Array.isArray(seq) ? null : seq.seed, init, teacher: task.kind === 'teacher' ? task.seed : null },
  };
}

/** meta.riskInitial, riskFinal, riskDrop of a risk history (empty: none). */
export function riskMeta(risk: ArrayLike<number> | null): { riskInitial?: number; riskFinal?: number; riskDrop?: number } {
  if (!risk || risk.length === 0) return {};
  const first = risk[0];
  const last = risk[risk.length - 1];
  return { riskInitial: first, riskFinal: last, riskDrop: first / last };
}

/** What the NTK injectivity check (ntk.ts lseIndependence) found, as meta.ntk. */
export interface LseVerdict {
  independent: boolean;
  ratio: number;
  threshold: number;
  diracs: number[];
  R0: number;
}

export function ntkMeta(t: LseVerdict): Record<string, unknown> {
  return {
    independent: t.independent,
    verdict: t.independent ? 'injective: the log-sum-exp features are independent modulo affine functions' : 'not injective: a combination of log-sum-exp features is affine (see ntk_dependency)',
    ratio: t.ratio,
    threshold: t.threshold,
    diracs: t.diracs,
    R0: t.R0,
  };
}
