// Peak memory of a score-mixing run, from its validated config (budget.ts; NUMERICS.md "Memory").
// N particles in R^d, K steps, R recorded frames, n1 + n2 atoms. Counted, in bytes:
//   recorded  the snapshot: t (R) and x (R, N, d) in float64 (the CPU path's dtype; the GPU's
//             float32 is half), critical_points (at most n1 n2 of them, counted up to 2^20)
//   host      X(T) (N d f64), the reference's two state arrays (2 N d f64), the time grid and the
//             recorded steps, the GPU path's float32 upload and step constants (N d 4 + 32 K), and
//             the float32 copies of its 4 frame readbacks in flight (4 N d 4)
//   gpu       the particle buffer (N d 4), the step constants (32 K), 4 staging buffers (4 N d 4),
//             the atoms (coordinates and log weights, 4 (n1 + n2)(d + 1)) with the culling's tile
//             and group boxes after them (4 (2d + 1) per 64 and per 1,024 atoms of each measure)
//   output    the encoding of the recorded arrays: --out's format, or on the page the largest
//             format its export menu offers (budget.ts exportBytes)
//   page      the page's projector (positions and trail: 16 (1 + trail) N), its sample history,
//             the last good state (N d f64) and a full readback (2 N d 4); the trajectory it
//             exports: on the GPU the (R + 1) frame slots (recorded frames and a lead frame, f32),
//             their staging buffers and host copies at export ((R + 2) frames each, with the
//             current state); on the CPU fallback the (R + 1) float64 frames of at most
//             CPU_PAGE_MAX_PARTICLES particles
// Compare mode (config.compare): B batches of N particles. Every particle state above counts B
// times (one GPU buffer of B N particles, B N recorded per frame, B sets of critical points), except
// the CPU path's one-batch-at-a-time stepping arrays; the CPU path also holds the B per-batch
// recordings before it joins them (a second copy of x).
// Drivers: record, particles.count (or particles.points), mu1.points (d), steps, compare.values.

import { trailLengthFor } from '../shared/trails';
import { encodedLargestArray, estimateFrom, exportBytes, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { batchCount } from '../compare';
import { dimensionOf, particleCount } from './config';
import { CULL_TILE, GROUP_TILES } from './cull-tiles';
import { CPU_PAGE_MAX_PARTICLES } from './snapshot-spec';
import type { ScoreMixingConfig } from './types';

/** Readbacks in flight in runOnGpu (simulation.ts). */
const FRAMES_IN_FLIGHT = 4;
/** Critical points counted at most (their number is at most n1 n2; in practice far fewer). */
const MAX_COUNTED_CRITICAL_POINTS = 2 ** 20;
/** The page's distance-chart history: slots x sampled particles (view/sample-schedule.ts, at most). */
const PAGE_HISTORY_SLOTS = 128;
const PAGE_SAMPLE_PARTICLES = 512;


export function memoryEstimate(config: ScoreMixingConfig, options: EstimateOptions = {}): MemoryEstimate {
  const N = particleCount(config);
  const d = dimensionOf(config);
  const K = config.steps;
  const R = config.record;
  const countField = 'points' in config.particles ? 'particles.points' : 'particles.count';
  const n1 = config.mu1.points.length;
  const n2 = config.mu2.points.length;
  const B = batchCount(config.compare);
  const batch = N * d;
  const state = B * batch;
  const cps = B * Math.min(n1 * n2, MAX_COUNTED_CRITICAL_POINTS) * d;

  const recordedValues = R + R * state + cps + (B > 1 ? B : 0);
  const recorded: RecordedSize = { bytes: 8 * recordedValues, values: recordedValues, arrays: B > 1 ? 4 : 3, csvRows: R * N * B, csvValues: R * state };
  const boxes = [n1, n2].reduce((sum, n) => sum + Math.ceil(n / CULL_TILE) + Math.ceil(n / (CULL_TILE * GROUP_TILES)), 0);
  const atoms = 4 * (n1 + n2) * (d + 1) + 4 * (2 * d + 1) * boxes;
  const joined = B > 1 ? 8 * R * state : 0;
  const host = 8 * 3 * batch + joined + 16 * (K + 1) + 16 * R + 4 * state + 32 * K + FRAMES_IN_FLIGHT * 4 * state;
  // The particle order after the lambdas (one u32 per particle, when the run culls).
  const gpu = 4 * state + 32 * K + FRAMES_IN_FLIGHT * 4 * state + atoms + 4 * B * (1 + N);
  const trajectory = 4 * (R + 1) * state + 2 * 4 * (R + 2) * state + 8 * (R + 1) * B * Math.min(N, CPU_PAGE_MAX_PARTICLES) * d;
  const page = options.page
    ? B * (16 * (1 + trailLengthFor(N)) * N + PAGE_HISTORY_SLOTS * Math.min(N, PAGE_SAMPLE_PARTICLES) * d * 4 * 2) + 8 * state + 2 * 4 * state + trajectory
    : 0;
  const driversRecorded = ['record', countField, 'mu1.points', ...(B > 1 ? ['compare.values'] : [])];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers: driversRecorded },
      { name: 'host', bytes: host, drivers: [countField, 'mu1.points', 'steps'] },
      { name: 'gpu', bytes: gpu, drivers: [countField, 'mu1.points', 'steps'] },
      { name: 'output', bytes: exportBytes(options, recorded), drivers: driversRecorded },
      { name: 'page', bytes: page, drivers: driversRecorded },
    ],
    { record: R, [countField]: N, 'mu1.points': `${n1} atoms in ${d} dimensions`, steps: K, ...(B > 1 ? { 'compare.values': `${B - 1} values (${B} batches)` } : {}) },
    Math.max(R * state, encodedLargestArray(options.output, recorded)),
  );
}
