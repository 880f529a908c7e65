// The library API, the package entry (`import { labs, runLab } from 'flowlab'`): the same labs,
// configs, backends and snapshots as the `flowlab` CLI, which is a thin layer over this.
//
//   labs()                          every lab with its parameters, presets and default config
//   runLab(id, config, { backend }) validate the config, run it headless, resolve to the snapshot
//   encodeSnapshot(snapshot, fmt)   the bytes `flowlab run --out file.<fmt>` would write
//   readSnapshot(text, labId?)      a .json snapshot, checked against its lab (validateSnapshot)
//   runSelfTest({ labs, perturb })  every compute kernel on this machine's GPU vs its float64 reference
//   runConvergence(id, config, { integrators, resolutions }) error vs steps per integrator, fitted orders
//   runSweep(id, config, { vary, shard })  the Cartesian product of the axes' values, one run per point
//   mergeSweeps(files)              the shards of one sweep joined into the unsharded sweep
//
// Bad input throws FieldError (field, value, allowed range) or UnknownLabError before any GPU work;
// a run over its memory budget (options.maxMemory, default 3/4 of this machine's memory) throws
// MemoryBudgetError, a FieldError naming the fields that drive the size, the estimate and the budget.

import { exportSnapshot, type ExportFormat } from './io/export';
import type { Snapshot } from './io/snapshot-types';
import { FieldError } from './io/field-error';
import { checkJsonTree, parseJsonText } from './io/input';
import { parseSnapshotValue } from './io/snapshot-json';
import { LABS, getLab } from './labs/registry';
import { memoryBudget } from './api/budget';
import { runParsedLab } from './api/run';
import { checkSnapshotFor, configOfSnapshotValue, isSnapshotValue } from './api/snapshot-input';
import { runSelfTest as runSelfTestOnGpu } from './api/selftest';
import { runParsedConvergence, studyOf } from './api/convergence';
import { runParsedSweep } from './api/sweep';
import { mergeSweepFiles } from './api/sweep-merge';
import { LIBRARY_SWEEP_NAMES } from './api/sweep-plan';
import { BACKEND_REQUESTS, type BackendRequest, type LabInfo, type MergeSweepsOptions, type RunConvergenceOptions, type RunLabOptions, type RunSelfTestOptions, type RunSweepOptions, type SelfTestReport, type SweepFile } from './api/public';

export type { Snapshot, NdArray, DType, TypedArrayOf } from './io/snapshot-types';
export type { ParamSpec, NumberParam, ChoiceParam, BooleanParam, ParamValues, ParamWindow } from './labs/schema';
export type { ExportFormat } from './io/export';
export type { BackendRequest, LabInfo, LabPresetInfo, RunLabOptions, RunConvergenceOptions, KernelCheck, RunSelfTestOptions, SelfTestReport, SweepAxis, SweepShard, RunSweepOptions, SweepFile, MergeSweepsOptions } from './api/public';
export { BackendUnavailableError } from './api/public';
export { FieldError } from './io/field-error';
export { MemoryBudgetError, type MemoryEstimate } from './labs/budget';
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
  checkJsonTree(config); // nesting depth (no stack overflow later), no __proto__ / constructor / prototype keys
  // A parsed .json snapshot reruns its config, once the whole snapshot passed validateSnapshot.
  const parsed = lab.parseConfig(isSnapshotValue(config) ? configOfSnapshotValue(config, lab) : config);
  const budget = memoryBudget({ maxMemory: options.maxMemory, field: 'options.maxMemory', raise: 'pass a larger maxMemory to runLab (bytes or "32GiB")' });
  return runParsedLab(lab, parsed, { backend, onProgress: options.onProgress, budget });
}

/**
 * Read a .json snapshot (`flowlab run --out run.json`, or the page's export) and check it against
 * its lab — or against `labId` when given: format, version, config, array names, dtypes, shapes,
 * finite state, resume fields. Returns it with typed arrays and its parsed config; throws
 * FieldError naming the field (arrays.x.shape, resume.frame, version) otherwise.
 */
export function readSnapshot(text: string, labId?: string): Snapshot {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError('snapshot', `invalid JSON (${(e as Error).message})`, 'a .json snapshot written by flowlab');
  }
  checkJsonTree(raw);
  const snap = parseSnapshotValue(raw);
  return checkSnapshotFor(snap, getLab(labId ?? snap.lab));
}

/** The bytes of the file `flowlab run --out run.<format>` writes: `fs.writeFileSync('run.npz', encodeSnapshot(s, 'npz'))`. */
export function encodeSnapshot(snapshot: Snapshot, format: ExportFormat): Uint8Array {
  return exportSnapshot(snapshot, format);
}

/**
 * The numerics self-test on this machine's WebGPU adapter (or options.gpu): every compute kernel of
 * every lab (or options.labs) at a small size against its float64 reference, with the tolerances of
 * the repository's GPU tests. Resolves to { adapter, checks (one per kernel: max error / tolerance,
 * pass, ms), pass }; no adapter: BackendUnavailableError.
 */
export function runSelfTest(options: RunSelfTestOptions = {}): Promise<SelfTestReport> {
  return runSelfTestOnGpu(options);
}

/**
 * The lab's convergence study (score-mixing, primal-dual): `config` run by each integrator at each
 * resolution from the same initial state, against a float64 reference at a much finer one.
 * Resolves to the snapshot `flowlab convergence` writes: arrays `steps` (or `h`), `error`
 * (integrators, resolutions), `order` (integrators), and meta naming the integrators. Omitted
 * options take the study's defaults (`flowlab convergence --help`).
 */
export function runConvergence(id: string, config: unknown, options: RunConvergenceOptions = {}): Promise<Snapshot> {
  const lab = getLab(id);
  const study = studyOf(lab);
  const backend = backendOf(options);
  checkJsonTree(config);
  const parsed = lab.parseConfig(isSnapshotValue(config) ? configOfSnapshotValue(config, lab) : config);
  const budget = memoryBudget({ maxMemory: options.maxMemory, field: 'options.maxMemory', raise: 'pass a larger maxMemory to runConvergence (bytes or "32GiB")' });
  const request = {
    integrators: [...(options.integrators ?? study.defaultIntegrators)],
    resolutions: [...(options.resolutions ?? study.defaultResolutions)],
    ...(options.tolerances !== undefined ? { tolerances: [...options.tolerances] } : {}),
  };
  return runParsedConvergence(lab, parsed, request, { backend, onProgress: options.onProgress, budget });
}

/**
 * A sweep of lab `id`: `config` (the base, partial like runLab's) at every point of the Cartesian
 * product of `options.vary` ([{ key, values }], key a config path as `--set`, the first axis the
 * outermost), or only `options.shard` ({ index, count }, 1-based: the flat indices k with
 * k % count == index - 1). Every point's config is validated and the memory budget checked before
 * anything runs; the backend is chosen once, and each point's arrays equal runLab's for its config
 * on that backend bit for bit. Resolves to the snapshot `flowlab sweep` writes (encodeSnapshot(s,
 * 'npz')): unsharded, each array `name` stacked to shape (n1, n2, ..., *run_shape) when all runs
 * agree on its dtype and shape, else `<name>__<k>` per run (always so in a shard); `meta.sweep`
 * { axes, shape, points, shard } and `meta.runs` [{ index, config, meta }].
 */
export async function runSweep(id: string, config: unknown, options: RunSweepOptions): Promise<Snapshot> {
  const lab = getLab(id);
  const backend = backendOf(options);
  checkJsonTree(config);
  const base = isSnapshotValue(config) ? configOfSnapshotValue(config, lab) : config;
  const budget = memoryBudget({ maxMemory: options.maxMemory, field: 'options.maxMemory', raise: 'pass a larger maxMemory to runSweep (bytes or "32GiB")' });
  return runParsedSweep(lab, base, options.vary, options.shard, { backend, onProgress: options.onProgress, budget, names: LIBRARY_SWEEP_NAMES });
}

/**
 * Join the .npz shards of one sweep (`flowlab sweep --shard i/n`, in any order) into the snapshot
 * of the unsharded sweep (`flowlab merge`): same lab, base config and axes, disjoint points that
 * together cover the sweep, else a FieldError naming the file and the missing or repeated points.
 */
export function mergeSweeps(files: readonly SweepFile[], options: MergeSweepsOptions = {}): Snapshot {
  const budget = memoryBudget({ maxMemory: options.maxMemory, field: 'options.maxMemory', raise: 'pass a larger maxMemory to mergeSweeps (bytes or "32GiB")' });
  return mergeSweepFiles(files, budget, LIBRARY_SWEEP_NAMES);
}
