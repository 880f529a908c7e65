// Shared checks of a lab's memoryEstimate against what a run really allocates: the snapshot's
// arrays of a float64 CPU run (runHeadless) and the bytes each export format produces from it.
import { expect } from 'vitest';
import { exportSnapshotParts, EXPORT_FORMATS } from '../../src/io/export';
import type { Snapshot } from '../../src/io/snapshot-types';
import { RUNTIME_BYTES } from '../../src/labs/budget';
import type { LabDefinition } from '../../src/labs/lab';

export interface MeasuredRun {
  snapshot: Snapshot;
  /** Bytes of the snapshot's typed arrays. */
  arrayBytes: number;
  /** Elements of its longest array. */
  longest: number;
}

/** Run `raw` on the float64 CPU path and measure the snapshot's arrays. */
export async function measureCpuRun(lab: LabDefinition<any>, raw: unknown): Promise<MeasuredRun> {
  const config = lab.parseConfig(raw);
  const snapshot = await lab.runHeadless(config, { gpu: null, backend: 'cpu-float64' });
  const arrays = Object.values(snapshot.arrays);
  return {
    snapshot,
    arrayBytes: arrays.reduce((s, a) => s + a.data.byteLength, 0),
    longest: Math.max(...arrays.map((a) => a.data.length)),
  };
}

/**
 * The estimate of `raw` is an upper bound of the run's recorded arrays and of each encoding's
 * peak (npz: the .npy members and the zip, 2x the file; json, csv: the whole text), and within
 * `factor` of them (beyond 2 MiB of constant per-file and per-array overhead).
 */
export async function expectEstimateBounds(lab: LabDefinition<any>, raw: unknown, factor = 2): Promise<MeasuredRun> {
  const config = lab.parseConfig(raw);
  const run = await measureCpuRun(lab, raw);
  const plain = lab.memoryEstimate(config);
  expect(plain.parts.recorded).toBeGreaterThanOrEqual(run.arrayBytes);
  expect(plain.parts.recorded).toBeLessThanOrEqual(factor * run.arrayBytes);
  expect(plain.largestArray).toBeGreaterThanOrEqual(run.longest);
  expect(plain.bytes).toBeGreaterThanOrEqual(run.arrayBytes + RUNTIME_BYTES);
  expect(plain.parts.output ?? 0).toBe(0);
  for (const format of EXPORT_FORMATS) {
    let parts: Uint8Array[];
    try {
      parts = exportSnapshotParts(run.snapshot, format);
    } catch {
      continue; // this lab's snapshots have no such form (a transformer run has no csv)
    }
    const fileBytes = parts.reduce((s, p) => s + p.length, 0);
    const peak = format === 'npz' ? 2 * fileBytes : fileBytes;
    const e = lab.memoryEstimate(config, { output: format });
    expect({ format, output: e.parts.output >= peak }).toEqual({ format, output: true });
    expect({ format, tight: e.parts.output - (2 << 20) <= factor * peak, output: e.parts.output, peak }).toEqual({ format, tight: true, output: e.parts.output, peak });
    expect(e.bytes).toBeGreaterThan(plain.bytes);
  }
  // The page holds more than a headless run (its own buffers, history, readbacks), never less.
  expect(lab.memoryEstimate(config, { page: true }).bytes).toBeGreaterThanOrEqual(plain.bytes);
  return run;
}
