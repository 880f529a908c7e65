// Peak memory of a primal-dual run, from its validated config (budget.ts; NUMERICS.md "Memory").
// N trajectories, n unknowns, m constraints, F recorded frames, K = ceil((T - t0)/h) steps,
// S = 3(n + m) + 4 floats of GPU state per trajectory. Counted, in bytes:
//   recorded  the snapshot: t (F); x, lambda, Q (F, N, n | m) and the five diagnostics (F, N) in
//             float64 (the CPU path's dtype; the GPU's float32 is half); x_star, lambda_star
//   host      the initial states and the reference's copies (2 x 2N(n + m) f64), its per-trajectory
//             energy terms (3N f64), the GPU path's packed upload (4 N S), step constants (one
//             36-byte StepCoef per grid point, 5 per step for suzuki4), and its 4 frame readbacks
//             in flight: the copies and their unpacked arrays
//   gpu       state and diagnostics (4 N (S + 5 + m)), step constants, 4 staging pairs
//   output    the encoding of the recorded arrays: --out's format, or on the page the largest
//             format its export menu offers (budget.ts exportBytes)
//   page      4 runs (the config's alpha and the 3 compared by default), each with its simulation,
//             its GPU diagnostics history (4 F N (5 + m)), the copy read back for the charts and
//             their summaries; the config's run also keeps every trajectory's state at every
//             recorded frame on the GPU (its trajectory buffer, 4 F N S, view/run-gpu.ts); an
//             export reads both back in chunks (staging <= EXPORT_CHUNK) into the snapshot's
//             frames (4 F N (n + 2m + 5) f32; CPU fallback: 8 F N (n + 2m + 5) f64 per run) and
//             adds the resume states of all runs (2 x 4 N S each); the projector and its trail
// Drivers: record, initial.count, A (n and m), h (K).

import { trailLengthFor } from '../shared/trails';
import { encodedLargestArray, estimateFrom, exportBytes, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { dimensionsOf, dynamicsParams, trajectoryCount } from './config';
import { timeGrid } from './reference';
import { PdStepCoefLayout, stepCoefEntries } from './simulation';
import { CPU_PAGE_MAX_TRAJECTORIES } from './snapshot-spec';
import type { PrimalDualConfig } from './types';

/** Frames read back at once in runPrimalDualOnGpu (simulation.ts: a pool of 8, state and diagnostics per frame). */
const FRAMES_IN_FLIGHT = 4;
/** Runs the page holds: the config's alpha and its default comparison set (view/page.ts). */
const PAGE_RUNS = 4;
/** Bytes an export reads back at once (view/run-gpu.ts EXPORT_CHUNK). */
const EXPORT_CHUNK = 64 * 2 ** 20;


export function memoryEstimate(config: PrimalDualConfig, options: EstimateOptions = {}): MemoryEstimate {
  const N = trajectoryCount(config);
  const { n, m } = dimensionsOf(config);
  const F = config.record;
  const { K } = timeGrid(dynamicsParams(config));
  const coefBytes = PdStepCoefLayout.size * stepCoefEntries(config.integrator, K).entries;
  const S = 3 * (n + m) + 4;
  const D = 5 + m;
  const countField = 'count' in config.initial ? 'initial.count' : 'initial';

  const perFrame = N * (n + 2 * m + 5);
  const recordedValues = F + F * perFrame + n + m;
  // The csv export is the trajectory: t and x, one row per frame and trajectory.
  const recorded: RecordedSize = { bytes: 8 * recordedValues, values: recordedValues, arrays: 11, csvRows: F * N, csvValues: F * N * n };
  const inFlight = FRAMES_IN_FLIGHT * 4 * N * (S + D + 2 * (n + m) + D);
  const host = 2 * 8 * N * 2 * (n + m) + 8 * 3 * N + 4 * N * S + coefBytes + 16 * F + inFlight;
  const gpu = 4 * N * (S + D) + coefBytes + FRAMES_IN_FLIGHT * 4 * N * (S + D) + 4 * (n * n + 2 * m * n + 4 * (n + m));
  let page = 0;
  if (options.page) {
    const diagHistory = 4 * F * N * D;
    const cpuFrames = 8 * F * Math.min(N, CPU_PAGE_MAX_TRAJECTORIES) * (n + 2 * m + 5);
    const perRun = 4 * N * (S + D) + coefBytes + 2 * diagHistory + 4 * F * N * 5 + 2 * 4 * N * S + cpuFrames;
    // The exported run's trajectory buffer, an export's staging chunk and the unpacked frames
    // (f64 on the CPU fallback, whose runs each keep their frames on the host).
    const trajectory = 4 * F * N * S + Math.min(EXPORT_CHUNK, 4 * F * N * (S + D)) + 8 * F * N * (n + 2 * m + 5);
    page = PAGE_RUNS * perRun + trajectory + 16 * (1 + trailLengthFor(N)) * N;
  }
  const driversRecorded = ['record', countField, 'A'];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers: driversRecorded },
      { name: 'host', bytes: host, drivers: [countField, 'A', 'h'] },
      { name: 'gpu', bytes: gpu, drivers: [countField, 'A', 'h'] },
      { name: 'output', bytes: exportBytes(options, recorded), drivers: driversRecorded },
      { name: 'page', bytes: page, drivers: ['record', countField, 'A', 'h'] },
    ],
    { record: F, [countField]: N, A: `${m} x ${n}`, h: `${config.h} (K = ${K} steps)` },
    Math.max(F * N * n, encodedLargestArray(options.output, recorded)),
  );
}
