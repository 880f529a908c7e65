// The model a validated transformer config builds: the float64 reference's inputs (heads, token
// batch, flow options, readout, targets, the teacher) and the recorded depth indices, so the
// headless runner and the page build the same model from the same config (config.ts validates it).

import { readoutDim } from './config';
import { gaussianBatch, mixtureBatch, randomDiscrete, uniformBoxBatch, type BatchShape } from './data';
import { clusteringHeads, initHeads } from './heads';
import { forward, onSphere, outputCount, readoutOutputs, rowsOf } from './reference';
import type { FlowOptions, HeadParams, Heads, Readout, ReadoutConfig, TokenBatch, TokenDistribution, TransformerConfig, TransformerModel } from './types';

const flat = (a: readonly unknown[]): Float64Array => Float64Array.from(a.flat(3) as number[]);

function explicitHeads(c: TransformerConfig, p: HeadParams): Heads {
  return { L: c.L, H: c.H, k: c.k, d: c.d, Q: flat(p.Q), K: flat(p.K), V: flat(p.V) };
}

function tokenBatch(c: TransformerConfig, query: boolean): TokenBatch {
  const s = c.sequences;
  const d = c.d;
  if (Array.isArray(s)) {
    const n = s[0].length;
    return { batch: s.length, n, d, x: flat(s), logPi: new Float64Array(s.length * n).fill(-Math.log(n)), query: query ? flat(c.queries ?? []) : null };
  }
  const shape: BatchShape = { batch: s.count, n: s.n, d, seed: s.seed, query };
  switch (s.kind) {
    case 'gaussian':
      return gaussianBatch(shape, s.scale);
    case 'uniform':
      return uniformBoxBatch(shape, s.half);
    case 'gmm':
      return mixtureBatch(shape, {
        kind: 'gaussianMixture',
        d,
        weights: Float64Array.from(s.components.map((m) => m.weight)),
        means: Float64Array.from(s.components.flatMap((m) => m.mean)),
        covs: Float64Array.from(s.components.flatMap((m) => m.cov.flat())),
      });
    case 'discrete': {
      // Sequence b is randomDiscrete(seed, b): n Gaussian atoms with random weights (log pi non-uniform).
      const x = new Float64Array(s.count * s.n * d);
      const logPi = new Float64Array(s.count * s.n);
      for (let b = 0; b < s.count; b++) {
        const mu = randomDiscrete(s.seed, b, s.n, d, s.scale);
        if (mu.kind !== 'discrete') throw new Error('randomDiscrete: expected a discrete distribution');
        x.set(mu.points, b * s.n * d);
        mu.weights.forEach((w, i) => (logPi[b * s.n + i] = Math.log(w)));
      }
      const q = query ? gaussianBatch(shape, s.scale).query : null;
      return { batch: s.count, n: s.n, d, x, logPi, query: q };
    }
  }
}

/** The d x d identity, row-major. */
function identity(d: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
}

function toReadout(r: ReadoutConfig, d: number): Readout {
  return { kind: r.kind, e: readoutDim(r, d), B: Float64Array.from((r.B ?? identity(d)).flat()) };
}

/** Evenly spaced depth indices round(i L / (record - 1)), i = 0..record-1 (distinct: record <= L + 1). */
export function recordLayers(L: number, record: number): number[] {
  return Array.from({ length: record }, (_, i) => Math.round((i * L) / (record - 1)));
}

/** Builds the reference's inputs from a validated config (heads, tokens, flow options, readout, targets). */
export function toModel(c: TransformerConfig): TransformerModel {
  const readout = toReadout(c.task.readout, c.d);
  const drawn = tokenBatch(c, readout.kind === 'query');
  const tokens = c.sphere ? onSphere(drawn) : drawn;
  const flow: FlowOptions = { stepper: c.integrator, sphere: c.sphere };
  let heads: Heads;
  if (c.params) heads = explicitHeads(c, c.params);
  else if (c.init?.kind === 'clustering') heads = clusteringHeads(c.d, c.init.beta, c.init.T, c.L);
  else {
    const i = c.init;
    if (!i) throw new Error('toModel: neither params nor init (config not validated?)');
    heads = initHeads({ L: c.L, H: c.H, k: c.k, d: c.d, seed: i.seed, qkScale: i.qk, vScale: i.v, clip: i.clip });
  }
  let targets: Float64Array | null = null;
  let teacher: Heads | null = null;
  const t = c.task;
  if (t.kind === 'teacher') {
    teacher = initHeads({ L: t.L, H: t.H, k: c.k, d: c.d, seed: t.seed, qkScale: t.qk, vScale: t.v, clip: 3 });
    targets = readoutOutputs(readout, tokens, forward(teacher, tokens, flow).states[teacher.L]);
  } else if (t.kind === 'targets') {
    targets = Float64Array.from((t.targets as unknown[]).flat(2) as number[]);
    if (targets.length !== outputCount(readout, tokens)) throw new Error('toModel: targets do not match the readout (config not validated?)');
  }
  return { heads, tokens, flow, readout, targets, teacher, recordLayers: recordLayers(c.L, c.record), tau: c.tau, iterations: c.iterations, ntk: c.ntk, ntkEvery: c.ntkEvery ?? 0 };
}

/** Each sequence as a discrete token distribution (atoms and weights pi), for the NTK injectivity test. */
export function sequenceDistributions(tb: TokenBatch): TokenDistribution[] {
  const { n, d } = tb;
  return Array.from({ length: tb.batch }, (_, b) => ({
    kind: 'discrete' as const,
    d,
    points: tb.x.slice(b * n * d, (b + 1) * n * d),
    weights: Float64Array.from({ length: n }, (_, i) => Math.exp(tb.logPi[b * n + i])),
  }));
}

/** Rows per sequence in the flow state (n, plus the query token with a query readout). */
export function flowRows(m: TransformerModel): number {
  return rowsOf(m.tokens);
}
