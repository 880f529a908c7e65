// The library API, the package entry (`import { labs, runLab } from 'flowlab'`): the same labs,
// configs, backends and snapshots as the `flowlab` CLI, which is a thin layer over this.
//
//   labs()                          every lab with its parameters, presets and default config
//   runLab(id, config, { backend }) validate the config, run it headless, resolve to the snapshot
//   encodeSnapshot(snapshot, fmt)   the bytes `flowlab run --out file.<fmt>` would write
//
// Bad input throws FieldError (field, value, allowed range) or UnknownLabError before any GPU work.

import { exportSnapshot, type ExportFormat } from './io/export';
import type { Snapshot } from './io/snapshot-types';
import { FieldError } from './io/field-error';
import { LABS, getLab } from './labs/registry';
import { runParsedLab } from './api/run';
import { BACKEND_REQUESTS, type BackendRequest, type LabInfo, type RunLabOptions } from './api/public';

export type { Snapshot, NdArray, DType, TypedArrayOf } from './io/snapshot-types';
export type { ParamSpec, NumberParam, ChoiceParam, BooleanParam, ParamValues, ParamWindow } from './labs/schema';
export type { ExportFormat } from './io/export';
export type { BackendRequest, LabInfo, LabPresetInfo, RunLabOptions } from './api/public';
export { BackendUnavailableError } from './api/public';
export { FieldError } from './io/field-error';
export { UnknownLabError } from './labs/unknown-lab';

/** Every lab: id, title, summary, parameter specs (ranges, defaults, units, help), presets with their configs, the default config. */
export function labs(): LabInfo[] {
  return LABS.map((l) => ({
    id: l.id,
    title: l.title,
    summary: l.summary,
    params: l.params,
    presets: l.presets.map((p) => ({ id: p.id, title: p.title, description: p.description, config: structuredClone(p.config) })),
    defaultConfig: l.defaultConfig(),
  }));
}

function backendOf(options: RunLabOptions): BackendRequest {
  const [value, field] = options.backend !== undefined ? [options.backend, 'options.backend'] : [process.env.FLOWLAB_BACKEND, 'FLOWLAB_BACKEND'];
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) return 'auto';
  const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!(BACKEND_REQUESTS as readonly unknown[]).includes(v)) throw new FieldError(field, value, `one of ${BACKEND_REQUESTS.join(', ')}`);
  return v as BackendRequest;
}

/**
 * Run lab `id` with `config` (a partial config is completed with the lab's defaults, as in a
 * --config file) and resolve to the snapshot `flowlab run` would write: `arrays` (typed arrays
 * with dtype and shape), `meta` (backend, adapter, timings, ...) and the full validated `config`.
 */
export async function runLab(id: string, config: unknown, options: RunLabOptions = {}): Promise<Snapshot> {
  const lab = getLab(id);
  const backend = backendOf(options);
  const parsed = lab.parseConfig(config);
  return runParsedLab(lab, parsed, { backend, onProgress: options.onProgress });
}

/** The bytes of the file `flowlab run --out run.<format>` writes: `fs.writeFileSync('run.npz', encodeSnapshot(s, 'npz'))`. */
export function encodeSnapshot(snapshot: Snapshot, format: ExportFormat): Uint8Array {
  return exportSnapshot(snapshot, format);
}
