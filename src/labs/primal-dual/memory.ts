// Peak memory of a primal-dual run, from its validated config (budget.ts; NUMERICS.md "Memory").
// N trajectories, n unknowns, m constraints, F recorded frames, K = ceil((T - t0)/h) steps,
// S = 3(n + m) + 4 floats of GPU state per trajectory, B batches (config.compare; 1 without), so
// B N trajectories in the buffers and the recorded arrays. Counted, in bytes:
//   recorded  the snapshot: t (F); x, lambda, Q ((B,) F, N, n | m) and the five diagnostics
//             ((B,) F, N) in float64 (the CPU path's dtype; the GPU's float32 is half); x_star, lambda_star
//   host      the initial states and the reference's copies (2 x 2N(n + m) f64; it runs the batches
//             one after another), its per-trajectory energy terms (3N f64), the GPU path's packed
//             upload (4 B N S), step constants (one 36-byte StepCoef per grid point and batch, 5 per
//             step for suzuki4), and its 4 frame readbacks in flight: the copies and their unpacked arrays
//   gpu       state and diagnostics (4 B N (S + 5 + m)), step constants, 4 staging pairs
//   output    the encoding of the recorded arrays: --out's format, or on the page the largest
//             format its export menu offers (budget.ts exportBytes)
//   page      one batched run (all B batches in one simulation): its GPU diagnostics history
//             (4 F B N (5 + m)), the copy read back for the charts and their summaries, and every
//             trajectory's state at every recorded frame on the GPU (the trajectory buffer,
//             4 F B N S, view/run-gpu.ts); an export reads both back in chunks (staging <=
//             EXPORT_CHUNK) into the snapshot's frames (4 F B N (n + 2m + 5) f32; CPU fallback:
//             8 F B N' (n + 2m + 5) f64 with N' <= 64) and adds the resume states (2 x 4 B N S);
//             the projector and its trail (batch 0's N trajectories are drawn)
// Drivers: record, initial.count, A (n and m), h (K), compare (B).

import { trailLengthFor } from '../shared/trails';
import { encodedLargestArray, estimateFrom, exportBytes, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { dimensionsOf, dynamicsParams, trajectoryCount } from './config';
import { timeGrid } from './reference';
import { PdBatchLayout, PdStepCoefLayout, stepCoefEntries } from './simulation';
import { batchCount } from '../compare';
import { CPU_PAGE_MAX_TRAJECTORIES } from './snapshot-spec';
import type { PrimalDualConfig } from './types';

/** Frames read back at once in runPrimalDualOnGpu (simulation.ts: a pool of 8, state and diagnostics per frame). */
const FRAMES_IN_FLIGHT = 4;
/** Bytes an export reads back at once (view/run-gpu.ts EXPORT_CHUNK). */
const EXPORT_CHUNK = 64 * 2 ** 20;


export function memoryEstimate(config: PrimalDualConfig, options: EstimateOptions = {}): MemoryEstimate {
  const N1 = trajectoryCount(config);
  const B = batchCount(config.compare);
  // Every buffer and recorded array holds all batches.
  const N = B * N1;
  const { n, m } = dimensionsOf(config);
  const F = config.record;
  const { K } = timeGrid(dynamicsParams(config));
  const coefBytes = B * (PdStepCoefLayout.size * stepCoefEntries(config.integrator, K).entries + PdBatchLayout.size);
  const S = 3 * (n + m) + 4;
  const D = 5 + m;
  const countField = 'count' in config.initial ? 'initial.count' : 'initial';

  const perFrame = N * (n + 2 * m + 5);
  const recordedValues = F + F * perFrame + n + m;
  // The csv export is the trajectory: t and x, one row per frame and trajectory.
  const recorded: RecordedSize = { bytes: 8 * recordedValues, values: recordedValues, arrays: 11, csvRows: F * N, csvValues: F * N * n };
  const inFlight = FRAMES_IN_FLIGHT * 4 * N * (S + D + 2 * (n + m) + D);
  const host = 2 * 8 * N1 * 2 * (n + m) + 8 * 3 * N1 + 4 * N * S + coefBytes + 16 * F + inFlight;
  const gpu = 4 * N * (S + D) + coefBytes + FRAMES_IN_FLIGHT * 4 * N * (S + D) + 4 * (n * n + 2 * m * n + 4 * (n + m));
  let page = 0;
  if (options.page) {
    const diagHistory = 4 * F * N * D;
    const cpuFrames = 8 * F * B * Math.min(N1, CPU_PAGE_MAX_TRAJECTORIES) * (n + 2 * m + 5);
    const run = 4 * N * (S + D) + coefBytes + 2 * diagHistory + 4 * F * N * 5 + 2 * 4 * N * S + cpuFrames;
    // The trajectory buffer, an export's staging chunk and the unpacked frames (f64 on the CPU
    // fallback, whose batches keep their frames on the host).
    const trajectory = 4 * F * N * S + Math.min(EXPORT_CHUNK, 4 * F * N * (S + D)) + 8 * F * N * (n + 2 * m + 5);
    page = run + trajectory + 16 * (1 + trailLengthFor(N1)) * N1;
  }
  const driversRecorded = ['record', countField, 'A', ...(B > 1 ? ['compare'] : [])];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers: driversRecorded },
      { name: 'host', bytes: host, drivers: [countField, 'A', 'h', ...driversRecorded.slice(3)] },
      { name: 'gpu', bytes: gpu, drivers: [countField, 'A', 'h', ...driversRecorded.slice(3)] },
      { name: 'output', bytes: exportBytes(options, recorded), drivers: driversRecorded },
      { name: 'page', bytes: page, drivers: ['record', countField, 'A', 'h', ...driversRecorded.slice(3)] },
    ],
    { record: F, [countField]: N1, A: `${m} x ${n}`, h: `${config.h} (K = ${K} steps)`, ...(B > 1 ? { compare: `${B} batches` } : {}) },
    Math.max(F * N * n, encodedLargestArray(options.output, recorded)),
  );
}
