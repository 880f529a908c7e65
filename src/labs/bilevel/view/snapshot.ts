// The page's export: the complete map of the run's config through snapshotOfMap (headless.ts), so
// a page export holds the same arrays, shapes and meta as `flowlab run bilevel` of that config
// (GPU: float32 from the kernel; CPU: the float64 reference). resume.step is the number of rows
// shown, so a json snapshot re-opens the map as far as it had been computed.

import type { GpuContext } from '../../../gpu/device';
import type { Snapshot } from '../../../io/snapshot-types';
import { validateSnapshot, type SnapshotLab } from '../../snapshot-check';
import { parseConfig } from '../config';
import { LAB_ID, snapshotOfMap } from '../headless';
import { bilevelSnapshotSpec } from '../snapshot-spec';
import type { BilevelConfig } from '../types';
import { GpuMapRun } from './run-gpu';
import type { CpuMapRun } from './run-cpu';

export async function pageSnapshot(run: GpuMapRun | CpuMapRun, gpu: GpuContext | null, timings: Record<string, number>): Promise<Snapshot> {
  const map = await run.map();
  const onGpu = run instanceof GpuMapRun && gpu !== null;
  const snap = snapshotOfMap(run.config, map, {
    backend: onGpu ? (gpu.isSoftware ? 'webgpu-swiftshader' : 'webgpu') : 'cpu-float64',
    adapter: onGpu ? gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
    precision: onGpu ? 'float32' : 'float64',
    timings,
  });
  return { ...snap, resume: { step: run.rows } };
}

const SNAPSHOT_LAB: SnapshotLab<BilevelConfig> = { id: LAB_ID, parseConfig, snapshotSpec: bilevelSnapshotSpec };

/** The config and the rows computed (resume.step, 0 without) of a snapshot that passed validateSnapshot. */
export function readResume(snapshot: Snapshot): { config: BilevelConfig; rows: number } {
  const s = validateSnapshot(snapshot, SNAPSHOT_LAB);
  return { config: s.config, rows: (s.resume as { step?: number } | undefined)?.step ?? 0 };
}
