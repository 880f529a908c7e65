// Peak memory of a bilevel map, from its validated config (budget.ts; NUMERICS.md "Memory").
// An n x n grid, y in R^ny and m multipliers per pixel (by family). Counted, in bytes:
//   recorded  the snapshot: x1, x2 (n); y (n, n, ny), mu (n, n, m), the three margins (n, n) in
//             float64 (the CPU path's dtype); active (n, n) i32; the three fails (n, n) u8
//   host      the failure flags computed twice (flagsOf), the active-set analysis' scratch, the
//             GPU path's readbacks: 5 copies of y, margins, codes, mu (4 n^2 (ny + m + 4)) and
//             the float32 arrays unpacked from them
//   gpu       y, mu, margins, codes (4 n^2 (ny + m + 4)) and as much again in staging buffers
//   output    the encoding of the recorded arrays: --out's format, or on the page the largest
//             format its export menu offers (budget.ts exportBytes)
//   page      the page's GPU map and its band readbacks, the display's codes and texture (2 x 4 n^2),
//             a snapshot's readback (as the GPU path's host part), and the refinement chart's side
//             map at its largest level (refinementLevels up to MAX_GRID; one level lives at a time)
// Drivers: grid.n, family.

import { encodedLargestArray, estimateFrom, exportBytes, type EstimateOptions, type MemoryEstimate, type RecordedSize } from '../budget';
import { refinementLevels } from './analysis';
import { MAX_GRID } from './params';
import { FAMILY_DIMS, type BilevelConfig } from './types';

export function memoryEstimate(config: BilevelConfig, options: EstimateOptions = {}): MemoryEstimate {
  const { n } = config.grid;
  const { ny, m } = FAMILY_DIMS[config.family];
  const px = n * n;
  const floatsPerPixel = ny + m + 3;
  const recordedValues = 2 * n + px * (floatsPerPixel + 1 + 3) + 3 + ny + m;
  const recordedBytes = 8 * (2 * n + px * floatsPerPixel + 3 + ny + m) + 4 * px + 3 * px;
  const recorded: RecordedSize = { bytes: recordedBytes, values: recordedValues, arrays: 13, csvRows: px };
  const gpuMap = 4 * px * (ny + m + 4);
  const readback = gpuMap + 4 * px * (ny + m + 4) + 3 * px;
  const host = 3 * px + 8 * px + readback;
  const gpu = 2 * gpuMap + 8 * n;
  const refineN = Math.max(...refinementLevels(n, MAX_GRID));
  const refinement = 4 * refineN * refineN * (ny + m + 4);
  const page = options.page ? gpu + 2 * 4 * px + readback + refinement : 0;
  const drivers = ['grid.n', 'family'];
  return estimateFrom(
    [
      { name: 'recorded', bytes: recorded.bytes, drivers },
      { name: 'host', bytes: host, drivers },
      { name: 'gpu', bytes: gpu, drivers },
      { name: 'output', bytes: exportBytes(options, recorded), drivers },
      { name: 'page', bytes: page, drivers },
    ],
    { 'grid.n': n, family: `${config.family} (${ny} + ${m} values per pixel)` },
    Math.max(px * Math.max(ny, m, 3), encodedLargestArray(options.output, recorded)),
  );
}
