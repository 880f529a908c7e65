// GPU plumbing shared by the score-mixing kernels' hosts (simulation.ts, field.ts,
// score-kernel.ts): atom packing and uniform layouts. The per-device pipeline cache and dispatch
// sizing are generic and live in src/gpu/ (re-exported here for existing importers).
// Layouts are derived from one field list (src/gpu/struct-layout.ts) and a GPU test checks that
// the .wgsl declarations print identically.

import { GpuLimitError, assertStorageFits } from '../../gpu/limits';
import { structLayout } from '../../gpu/struct-layout';
import type { Measure } from './types';

export { pipelineCacheFor } from '../../gpu/pipelines';
export { checkWorkgroupSize, dispatchGrid } from '../../gpu/dispatch';

/** Largest dimension the kernels are specialised for (MAXD in shaders/lib/denoise.wgsl). */
export const MAX_D = 8;
/** Default @workgroup_size: one invocation per particle/pixel, atoms tiled per workgroup. */
export const DEFAULT_WORKGROUP = 64;

/** count: all particles (batches x batchSize); lambda is per batch, in a storage array (compare mode). */
export const GenerateParamsLayout = structLayout('GenerateParams', [
  ['count', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['seed', 'u32'],
  ['batchSize', 'u32'],
  ['batches', 'u32'],
  ['h', 'f32'],
  ['tol', 'f32'],
  ['cullBelow', 'f32'],
  ['cut', 'f32'],
] as const);

export const StepCoefLayout = structLayout('StepCoef', [
  ['t', 'f32'],
  ['tHalf', 'f32'],
  ['tNext', 'f32'],
  ['contraction', 'f32'],
  ['sigma', 'f32'],
  ['pad0', 'f32'],
  ['pad1', 'f32'],
  ['pad2', 'f32'],
] as const);

export const ScoreParamsLayout = structLayout('ScoreParams', [
  ['count', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['lambda', 'f32'],
  ['t', 'f32'],
] as const);

/** Uniform of mixed-score-split.wgsl. */
export const SplitScoreParamsLayout = structLayout('SplitScoreParams', [
  ['count', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['lambda', 'f32'],
  ['t', 'f32'],
  ['chunk', 'u32'],
  ['queryBlocks', 'u32'],
] as const);

export const FieldParamsLayout = structLayout('FieldParams', [
  ['width', 'u32'],
  ['height', 'u32'],
  ['n1', 'u32'],
  ['n2', 'u32'],
  ['t', 'f32'],
  ['lambda', 'f32'],
  ['uMin', 'f32'],
  ['uMax', 'f32'],
  ['vMin', 'f32'],
  ['vMax', 'f32'],
  ['cut', 'f32'],
  ['origin0', 'vec4f'],
  ['origin1', 'vec4f'],
  ['e1_0', 'vec4f'],
  ['e1_1', 'vec4f'],
  ['e2_0', 'vec4f'],
  ['e2_1', 'vec4f'],
] as const);

/** Both measures in the layout of lib/denoise.wgsl: measure 1's atoms then measure 2's, log w in float64 then rounded. */
export function packAtoms(mu1: Measure, mu2: Measure): { points: Float32Array; logW: Float32Array } {
  if (mu1.d !== mu2.d) throw new Error(`score-mixing: mu1 is in R^${mu1.d} but mu2 is in R^${mu2.d}`);
  const points = new Float32Array((mu1.n + mu2.n) * mu1.d);
  points.set(mu1.points, 0);
  points.set(mu2.points, mu1.n * mu1.d);
  const logW = new Float32Array(mu1.n + mu2.n);
  // The log-domain weights when the measure has them (finite even where a weight underflows).
  const logOf = (m: Measure, j: number): number => (m.logWeights ? m.logWeights[j] : Math.log(m.weights[j]));
  for (let j = 0; j < mu1.n; j++) logW[j] = logOf(mu1, j);
  for (let j = 0; j < mu2.n; j++) logW[mu1.n + j] = logOf(mu2, j);
  return { points, logW };
}

/** Checks d and the atom buffers against the device, naming the offending config field. */
export function checkMeasures(device: GPUDevice, mu1: Measure, mu2: Measure): void {
  if (mu1.d !== mu2.d) throw new Error(`score-mixing: mu1 is in R^${mu1.d} but mu2 is in R^${mu2.d}`);
  if (!(Number.isInteger(mu1.d) && mu1.d >= 1 && mu1.d <= MAX_D)) {
    throw new GpuLimitError('mu1.d', mu1.d, MAX_D, 'the GPU kernels are specialised for 1 <= d <= 8');
  }
  if (mu1.n < 1) throw new Error('mu1.points: at least one atom is needed');
  if (mu2.n < 1) throw new Error('mu2.points: at least one atom is needed');
  assertStorageFits(device, 'mu1.points', mu1.n, 4 * mu1.d);
  assertStorageFits(device, 'mu2.points', mu2.n, 4 * mu2.d);
  assertStorageFits(device, 'mu1.points + mu2.points', mu1.n + mu2.n, 4 * mu1.d);
}
