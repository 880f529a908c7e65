// What a transformer snapshot of a config holds (validateSnapshot, src/labs/snapshot-check.ts,
// checks every imported snapshot against it). The arrays are those headless.ts writes and the
// page's export (view/snapshot.ts), f32 from the GPU and f64 from the CPU:
//   tokens (record, B, n, d)                 token rows at the recorded depths
//   layer (record) i32, depth (record) f64   layer index l and depth time l/L of each recorded
//                                            frame (optional: snapshots written before them lack them)
//   risk (iterations + 1)                    the risk history (present with a task; the page's
//                                            holds resume.iteration + 1 entries)
//   Q, K (L, H, k, d), V (L, H, d, d)        the heads the run continues from (finite)
//   ntk_lambda_min, ntk_lambda_max, ntk_lambda_iteration (tracked) f64   lambda_min tracking
//   ntk_ratio () f64, ntk_dependency (B) f64 the NTK injectivity check (config.ntk)
// resume = { iteration }: in [0, iterations] with a task (0 without), risk.length - 1 when absent.

import type { ArraySpec, SnapshotSpec } from '../snapshot-spec';
import type { TransformerConfig } from './types';

/** B (sequences) and n (tokens per sequence) of a validated config. */
function batchShape(c: TransformerConfig): { batch: number; n: number } {
  const s = c.sequences;
  return Array.isArray(s) ? { batch: s.length, n: s[0].length } : { batch: s.count, n: s.n };
}

export function transformerSnapshotSpec(cfg: TransformerConfig): SnapshotSpec {
  const { L, H, k, d, record } = cfg;
  const { batch, n } = batchShape(cfg);
  const training = cfg.task.kind !== 'none';
  const maxIteration = training ? cfg.iterations : 0;
  const float = ['f32', 'f64'] as const;
  const heads = (last: 'k' | 'd'): ArraySpec => ({ dtypes: float, shape: [L, H, last === 'k' ? k : d, d], axes: ['L', 'H', last, 'd'], required: true, finite: true });
  const lambda: ArraySpec = { dtypes: ['f64'], shape: ['tracked'], axes: ['tracked iterations'] };
  return {
    dims: {
      history: { min: 1, max: maxIteration + 1, what: `in [1, ${maxIteration + 1}] (iterations + 1 = ${cfg.iterations + 1})` },
      tracked: { min: 0, what: '>= 0' },
    },
    arrays: {
      tokens: { dtypes: float, shape: [record, batch, n, d], axes: ['record', 'B', 'n', 'd'], required: true },
      layer: { dtypes: ['i32'], shape: [record], axes: ['record'] },
      depth: { dtypes: ['f64'], shape: [record], axes: ['record'], finite: true },
      risk: { dtypes: float, shape: ['history'], axes: ['iteration + 1'], required: training },
      Q: heads('k'),
      K: heads('k'),
      V: heads('d'),
      ntk_lambda_min: lambda,
      ntk_lambda_max: lambda,
      ntk_lambda_iteration: lambda,
      ntk_ratio: { dtypes: ['f64'], shape: [], axes: [] },
      ntk_dependency: { dtypes: ['f64'], shape: [batch], axes: ['B'] },
    },
    resume: (dims) => ({
      fields: {
        iteration: {
          kind: 'integer',
          min: 0,
          max: maxIteration,
          allowed: `an integer in [0, ${maxIteration}] (${training ? "the config's iterations" : 'no training without a task'})`,
          check: (it) => (dims.history === undefined || dims.history === (it as number) + 1 ? null : `arrays.risk's length - 1 = ${dims.history - 1}`),
        },
      },
    }),
  };
}
