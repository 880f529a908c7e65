// Run a bilevel config without a page (CLI, library API, tests, benchmarks): validate -> the map
// on the GPU (options.gpu, shaders/bilevel/solve.wgsl) or in float64 (reference.ts) -> Snapshot.
// The page builds its export with the same snapshotOfMap, so a page export and `flowlab run` of
// the same config hold the same arrays, shapes and meta.
//
// Snapshot arrays, all indexed [i1, i2] at x = (x1[i1], x2[i2]) (N = grid.n):
//   x1, x2 (N) f64; y (N, N, dim y); mu (N, N, m); active (N, N) i32 bitmask (bit k = constraint
//   k + 1); margin_licq, margin_scsc, margin_sosc (N, N), zero exactly where the condition fails
//   (+Infinity where it cannot fail); fail_licq, fail_scsc, fail_sosc (N, N) u8 = margin < kappa h;
//   fraction (3) f64 failure fractions (LICQ, SCSC, SOSC); q (dim y), d (m) f64, the perturbation
//   used. y, mu and margins are f32 from the GPU and f64 from the CPU.

import { APP_VERSION } from '../../io/app-version';
import type { NdArray, Snapshot } from '../../io/snapshot-types';
import type { Backend, HeadlessOptions } from '../lab';
import { activeRegions, activeSetLabel, defaultWitnessPoints, rigidityWitness } from './analysis';
import { flagThreshold, gridSpacing, parseConfig, perturbationOf } from './config';
import { CONSTRAINT_NAMES, solveMapReference } from './reference';
import { solveMapOnGpu } from './simulation';
import { CONDITIONS, type BilevelConfig, type BilevelMap } from './types';

export const LAB_ID = 'bilevel';

export interface MapRunInfo {
  backend: Backend;
  adapter: string;
  precision: 'float32' | 'float64';
  timings: Record<string, number>;
}

const floatArray = (data: Float32Array | Float64Array, shape: number[]): NdArray => ({
  dtype: data instanceof Float32Array ? 'f32' : 'f64',
  shape,
  data,
});

/** The snapshot of a finished map (the CLI's and the page's export). */
export function snapshotOfMap(config: BilevelConfig, map: BilevelMap, info: MapRunInfo): Snapshot {
  const { n, ny, m } = map;
  const p = perturbationOf(config);
  const arrays: Record<string, NdArray> = {
    x1: { dtype: 'f64', shape: [n], data: map.x1 },
    x2: { dtype: 'f64', shape: [n], data: map.x2 },
    y: floatArray(map.y, [n, n, ny]),
    mu: floatArray(map.mu, [n, n, m]),
    active: { dtype: 'i32', shape: [n, n], data: map.active },
  };
  CONDITIONS.forEach((c, k) => (arrays[`margin_${c}`] = floatArray(map.margins[k], [n, n])));
  CONDITIONS.forEach((c, k) => (arrays[`fail_${c}`] = { dtype: 'u8', shape: [n, n], data: map.fails[k] }));
  arrays.fraction = { dtype: 'f64', shape: [3], data: Float64Array.from(map.fraction) };
  arrays.q = { dtype: 'f64', shape: [ny], data: Float64Array.from(p.q) };
  arrays.d = { dtype: 'f64', shape: [m], data: Float64Array.from(p.d) };

  const [wa, wb] = defaultWitnessPoints(config);
  const witness = rigidityWitness(config.family, p, wa, wb);
  const regions = activeRegions(map.active);
  return {
    lab: LAB_ID,
    config,
    arrays,
    // lab and config are added to meta.json by the exporter (snapshotMeta), not repeated here.
    meta: {
      seed: 'seed' in config.perturbation ? config.perturbation.seed : null,
      appVersion: APP_VERSION,
      backend: info.backend,
      adapter: info.adapter,
      precision: info.precision,
      family: config.family,
      n,
      dimY: ny,
      constraints: CONSTRAINT_NAMES[config.family],
      h: gridSpacing(config.grid),
      tau: flagThreshold(config),
      perturbation: p,
      fraction: Object.fromEntries(CONDITIONS.map((c, k) => [c, map.fraction[k]])),
      activeSets: regions.map((bits) => ({ bitmask: bits, constraints: activeSetLabel(config.family, bits) })),
      witness: {
        a: witness.a.x,
        b: witness.b.x,
        strictA: activeSetLabel(config.family, witness.a.strict),
        strictB: activeSetLabel(config.family, witness.b.strict),
        differ: witness.differ,
        crossings: witness.crossings.map((c) => ({ t: c.t, x: c.x, conditions: c.conditions, margin: c.margin })),
      },
      timings: info.timings,
      createdAt: new Date().toISOString(),
    },
  };
}

export async function runHeadless(config: BilevelConfig, options: HeadlessOptions): Promise<Snapshot> {
  const wallStart = performance.now();
  const cfg = parseConfig(config);
  let map: BilevelMap;
  const timings: Record<string, number> = {};
  if (options.gpu) {
    const r = await solveMapOnGpu(options.gpu, cfg, options.onProgress);
    map = r.map;
    timings.gpuMs = r.gpuMs;
  } else {
    const n = cfg.grid.n;
    const band = Math.max(1, Math.floor(65536 / n));
    map = solveMapReference(cfg, 0, Math.min(band, n));
    for (let row = band; row < n; row += band) {
      options.onProgress?.(row / n);
      solveMapReference(cfg, row, Math.min(n, row + band), map);
    }
  }
  options.onProgress?.(1);
  timings.solveMs = performance.now() - wallStart;
  const snapshot = snapshotOfMap(cfg, map, {
    backend: options.backend,
    adapter: options.gpu ? options.gpu.adapterDescription : 'CPU (float64 TypeScript reference)',
    precision: options.gpu ? 'float32' : 'float64',
    timings,
  });
  timings.totalMs = performance.now() - wallStart;
  return snapshot;
}
