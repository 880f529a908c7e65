// Peak memory of a primal-dual run, from its validated config (budget.ts; NUMERICS.md "Memory").
// N trajectories, n unknowns, m constraints, F recorded frames, K = ceil((T - t0)/h) steps,
// S = 3(n + m) + 4 floats of GPU state per trajectory. Counted, in bytes:
//   recorded  the snapshot: t (F); x, lambda, Q (F, N, n | m) and the five diagnostics (F, N) in
//             float64 (the CPU path's dtype; the GPU's float32 is half); x_star, lambda_star
//   host      the initial states and the reference's copies (2 x 2N(n + m) f64), its per-trajectory
//             energy terms (3N f64), the GPU path's packed upload (4 N S), step constants (32 (K+1)),
//             and its 4 frame readbacks in flight: the copies and their unpacked arrays
//   gpu       state and diagnostics (4 N (S + 5 + m)), step constants, 4 staging pairs
//   output    the encoding of the recorded arrays when the output format is known (budget.ts)
//   page      4 runs (the config's alpha and the 3 compared by default), each with its simulation,
//             diagnostics history (4 F N (5 + m)) and the states of up to 4096 trajectories per
//             frame, read back (staging and copy) for a snapshot; the projector and its trail
// Drivers: record, initial.count, A (n and m), h (K).

import { trailLengthFor } from '../shared/trails';
import { encodedBytes, encodedLargestArray, estimateFrom, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { dimensionsOf, dynamicsParams, trajectoryCount } from './config';
import { timeGrid } from './reference';
import type { PrimalDualConfig } from './types';

/** Frames read back at once in runPrimalDualOnGpu (simulation.ts: a pool of 8, state and diagnostics per frame). */
const FRAMES_IN_FLIGHT = 4;
/** Runs the page holds: the config's alpha and its default comparison set (view/page.ts). */
const PAGE_RUNS = 4;
/** States kept per recorded frame on the page (view/runs.ts KEEP_STATES). */
const PAGE_KEEP_STATES = 4096;


export function memoryEstimate(config: PrimalDualConfig, options: EstimateOptions = {}): MemoryEstimate {
  const N = trajectoryCount(config);
  const { n, m } = dimensionsOf(config);
  const F = config.record;
  const { K } = timeGrid(dynamicsParams(config));
  const S = 3 * (n + m) + 4;
  const D = 5 + m;
  const countField = 'count' in config.initial ? 'initial.count' : 'initial';

  const perFrame = N * (n + 2 * m + 5);
  const recordedValues = F + F * perFrame + n + m;
  // The csv export is the trajectory: t and x, one row per frame and trajectory.
  const recorded: RecordedSize = { bytes: 8 * recordedValues, values: recordedValues, arrays: 11, csvRows: F * N, csvValues: F * N * n };
  const inFlight = FRAMES_IN_FLIGHT * 4 * N * (S + D + 2 * (n + m) + D);
  const host = 2 * 8 * N * 2 * (n + m) + 8 * 3 * N + 4 * N * S + 32 * (K + 1) + 16 * F + inFlight;
  const gpu = 4 * N * (S + D) + 32 * (K + 1) + FRAMES_IN_FLIGHT * 4 * N * (S + D) + 4 * (n * n + 2 * m * n + 4 * (n + m));
  let page = 0;
  if (options.page) {
    const keep = Math.min(N, PAGE_KEEP_STATES);
    const history = 4 * F * (N * D + keep * S);
    const perRun = 4 * N * (S + D) + 32 * (K + 1) + 3 * history + 4 * F * N * 5;
    page = PAGE_RUNS * perRun + 16 * (1 + trailLengthFor(N)) * N;
  }
  const driversRecorded = ['record', countField, 'A'];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers: driversRecorded },
      { name: 'host', bytes: host, drivers: [countField, 'A', 'h'] },
      { name: 'gpu', bytes: gpu, drivers: [countField, 'A', 'h'] },
      { name: 'output', bytes: encodedBytes(options.output, recorded), drivers: driversRecorded },
      { name: 'page', bytes: page, drivers: ['record', countField, 'A', 'h'] },
    ],
    { record: F, [countField]: N, A: `${m} x ${n}`, h: `${config.h} (K = ${K} steps)` },
    Math.max(F * N * n, encodedLargestArray(options.output, recorded)),
  );
}
