// Peak memory of a transformer run, from its validated config (budget.ts; NUMERICS.md "Memory").
// B sequences of n tokens in R^d (rows = n, + 1 with a query readout), S = B rows d floats per
// depth, L layers of H heads, np = L H (2kd + d^2) head parameters, P readout outputs, R recorded
// depths, I iterations. Counted, in bytes:
//   recorded  the snapshot: tokens (R, B, n, d), risk (I + 1), the heads Q, K, V (np), the NTK
//             arrays, in float64 (the CPU path's dtype)
//   host      the float64 flow states (2 (L+1) S), the backward pass's cotangents (6 S), the heads,
//             their gradients and the previous heads (5 np), the teacher's, targets and tokens, the
//             GPU path's state readback (4 (L+1) S) and its float32 copies
//   gpu       states, scratch and cotangents, heads, previous heads and gradients, the backward's
//             per-row buffers (4 B H rows (3k + 2d + 2)), the risk history, targets, staging
//   ntk       lambda_min tracking (ntkEvery > 0 with a task and P <= MAX_NTK_OUTPUTS): the P x np
//             Jacobian, its transpose, the QR copy and U of the SVD and the backward passes'
//             garbage (5 P np f64) and K (P^2);
//             config.ntk: the log-sum-exp table (4000 query points)
//   output    the encoding of the recorded arrays: --out's format, or on the page the largest
//             format its export menu offers (budget.ts exportBytes)
//   page      the page's own GPU run and state readbacks, its NTK worker (the ntk part again)
// Drivers: ntkEvery (with H, L), record, sequences (count, n), d, L, H, iterations.

import { encodedLargestArray, estimateFrom, exportBytes, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { MAX_NTK_OUTPUTS } from './params';
import type { TransformerConfig } from './types';

/**
 * P x np float64 arrays alive at once in one lambda_min evaluation (ntk.ts empiricalNtk): J, its
 * transpose, the QR copy and U of svdJacobi (4), and one more for the backward passes' garbage,
 * which V8 collects late (measured: 864 MB peak RSS for P = 512, np = 49152, i.e. 4.3 P np 8).
 */
const NTK_JACOBIAN_COPIES = 5;
/** Query points of lseIndependence (ntk.ts default). */
const LSE_POINTS = 4000;

export function memoryEstimate(config: TransformerConfig, options: EstimateOptions = {}): MemoryEstimate {
  const { d, L, H, k, record: R, iterations: I } = config;
  const seq = config.sequences;
  const explicit = Array.isArray(seq);
  const B = explicit ? seq.length : seq.count;
  const n = explicit ? (seq[0]?.length ?? 0) : seq.n;
  const readout = config.task.readout;
  const rows = n + (readout.kind === 'query' ? 1 : 0);
  const e = readout.B ? readout.B.length : d;
  const S = B * rows * d;
  const np = L * H * (2 * k * d + d * d);
  const teacherNp = config.task.kind === 'teacher' ? config.task.L * config.task.H * (2 * k * d + d * d) : 0;
  const trains = config.task.kind !== 'none';
  const P = trains ? (readout.kind === 'token' ? B * n * e : B * e) : 0;
  const every = config.ntkEvery ?? 0;
  const tracked = trains && every > 0 && P <= MAX_NTK_OUTPUTS ? Math.floor(I / every) + 2 : 0;

  const countField = explicit ? 'sequences' : 'sequences.count';
  const lengthField = explicit ? 'sequences' : 'sequences.n';
  // tokens, layer + depth (R each), risk, heads, lambda tracking, the NTK check.
  const recordedValues = R * B * n * d + 2 * R + (trains ? I + 1 : 0) + np + 2 * tracked + (config.ntk ? 1 + B : 0);
  // The csv: one row per (recorded layer, sequence, token) with its d coordinates (io/csv.ts depthCsvChunks).
  const recorded: RecordedSize = { bytes: 8 * recordedValues, values: recordedValues, arrays: 11, csvRows: R * B * n, csvValues: R * B * n * d };
  const host =
    8 * (2 * (L + 1) * S + 6 * S + 5 * np + 3 * teacherNp + (L + 1) * S * (teacherNp > 0 ? 1 : 0) + 2 * P + 2 * B * n * (d + 1)) +
    4 * (2 * (L + 1) * S + 3 * np + (I + 1));
  const gpu =
    4 * ((L + 1) * S + 8 * S + L * B * rows + 5 * np + B * H * rows * (3 * k + 2 * d + 2) + (I + 1) + P + e * d + B * n) + 4 * (L + 1) * S;
  const ntkTracking = tracked > 0 ? 8 * (NTK_JACOBIAN_COPIES * P * np + P * P + (L + 1) * rows * d) : 0;
  const lse = config.ntk ? 8 * LSE_POINTS * (2 * d + 1 + 4 * B) : 0;
  const page = options.page ? gpu + 4 * 2 * (L + 1) * S + ntkTracking : 0;
  const shapeDrivers = [countField, lengthField, 'd', 'L', 'H'];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers: ['record', countField, lengthField, 'd'] },
      { name: 'host', bytes: host, drivers: shapeDrivers },
      { name: 'gpu', bytes: gpu, drivers: [...shapeDrivers, 'iterations'] },
      { name: 'ntk', bytes: ntkTracking + lse, drivers: tracked > 0 ? ['ntkEvery', 'H', 'L', countField] : ['ntk', countField] },
      { name: 'output', bytes: exportBytes(options, recorded), drivers: ['record', countField, lengthField] },
      { name: 'page', bytes: page, drivers: shapeDrivers },
    ],
    {
      record: R,
      [countField]: explicit ? `${B} x ${n} tokens` : B,
      ...(explicit ? {} : { [lengthField]: n }),
      d,
      L,
      H,
      iterations: I,
      ntkEvery: `${every} (${P} outputs x ${np} parameters)`,
      ntk: String(config.ntk),
    },
    Math.max(R * B * n * d, (L + 1) * S, tracked > 0 ? P * np : 0, encodedLargestArray(options.output, recorded)),
  );
}
