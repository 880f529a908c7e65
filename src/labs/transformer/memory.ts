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
//             per-row buffers (4 B H rows (3k + 2d + 2)), the forward's per-head softmax state
//             (4 B H rows (d + 1) per kept (layer, stage) slot, headStateSlots), the key pass's
//             per-head cotangents (4 B H rows d), the gradient partials, the risk history,
//             targets, staging
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

/**
 * Bytes of per-head softmax state (a_i and LSE2_i per (layer, stage, sequence, head, row), f32)
 * that the GPU forward may keep for the backward (TransformerSimulation.savesHeadStates). Above
 * it, one slot is reused and the backward recomputes it (one more pass over the keys per VJP).
 * 128 MiB is also the storage-binding size every WebGPU device supports.
 */
export const HEAD_STATE_BUDGET = 128 * 2 ** 20;

/**
 * Rows of (sequence, row) terms one workgroup of head-gradients.wgsl sums at the default workgroup
 * size (64 invocations x PER = 8 terms each): the first level of its two-level reduction.
 */
export const GRADIENT_CHUNK_ROWS = 64 * 8;

/**
 * Slots of TransformerSimulation's headStates buffer (each batch x H x rows x (d + 1) f32): one
 * per (layer, stage) when they fit `cap` bytes, else 1.
 */
export function headStateSlots(L: number, stages: number, batch: number, H: number, rows: number, d: number, cap = HEAD_STATE_BUDGET): number {
  return 4 * L * stages * batch * H * rows * (d + 1) <= cap ? L * stages : 1;
}

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
  // Heads in the grid (issue 13): the forward's per-head softmax state (headStates, headStateSlots
  // slots of B H rows (d + 1)), the key pass's per-head cotangents (B H rows d) and the head
  // gradients' per-chunk partial sums (one layer's np / L entries per chunk of GRADIENT_CHUNK_ROWS
  // of the B rows terms, at the default workgroup size).
  const headSlots = headStateSlots(L, config.integrator === 'heun' ? 2 : 1, B, H, rows, d);
  const perHead = B * H * rows * (headSlots * (d + 1) + d) + (np / L) * Math.ceil((B * rows) / GRADIENT_CHUNK_ROWS);
  const gpu =
    4 * ((L + 1) * S + 8 * S + L * B * rows + 5 * np + B * H * rows * (3 * k + 2 * d + 2) + perHead + (I + 1) + P + e * d + B * n) + 4 * (L + 1) * S;
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
