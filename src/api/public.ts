// What the library API exposes besides labs() and runLab(): option and result types and the error
// classes a script can catch. Kept free of GPU, DOM and lab imports so that the emitted .d.ts of
// the package entry (src/index.ts) stays small and needs no @webgpu/types or DOM lib.

import type { ParamSpec } from '../labs/schema';
import type { KernelCheck } from '../labs/selftest';

/** Which backend runs a lab: `auto` (a GPU, else SwiftShader, else the float64 CPU reference), `gpu` (WebGPU or fail), `cpu`. */
export type BackendRequest = 'auto' | 'gpu' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'gpu', 'cpu'];

/** `backend: 'gpu'` was asked for and no WebGPU adapter came back (the message says why). */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

export interface LabPresetInfo {
  id: string;
  title: string;
  description: string;
  /** A full config: pass it (or a modified copy) to runLab. */
  config: unknown;
}

/** One lab as `labs()` lists it (what `flowlab labs --json` prints, plus the presets' configs). */
export interface LabInfo {
  id: string;
  title: string;
  summary: string;
  /** The scalar parameters: config key, range or options, default, unit, help. */
  params: readonly ParamSpec[];
  presets: LabPresetInfo[];
  /** The default config (a fresh copy). */
  defaultConfig: unknown;
}

export interface RunLabOptions {
  /** Default: the FLOWLAB_BACKEND environment variable when set, else 'auto' (as the CLI). */
  backend?: BackendRequest;
  /** Called with the completed fraction in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /**
   * Memory budget of the run: bytes, or a size with a unit ("512MiB", "8GiB"). Default: 3/4 of
   * this machine's memory. A config whose estimate (host arrays, GPU buffers, recorded output)
   * exceeds it is refused with a FieldError (MemoryBudgetError) before anything is allocated.
   */
  maxMemory?: number | string;
}

/** Options of runConvergence: RunLabOptions plus the study's integrators and resolutions. */
export interface RunConvergenceOptions extends RunLabOptions {
  /** Integrator names (default: the study's). */
  integrators?: readonly string[];
  /** Step counts (score-mixing) or step sizes h (primal-dual); default: the study's. */
  resolutions?: readonly number[];
  /** Tolerances of the adaptive integrator, when the study has one. */
  tolerances?: readonly number[];
}

/** One axis of a sweep: a config path (as `--set`: lambda, particles.count, mu1.points[0][1]) and its values (JSON values). */
export interface SweepAxis {
  key: string;
  values: readonly unknown[];
}

/** Shard `index` of `count` (1-based): the flat indices k of the sweep with k % count == index - 1. */
export interface SweepShard {
  index: number;
  count: number;
}

/** Options of runSweep: RunLabOptions plus the axes (first = outermost) and an optional shard. */
export interface RunSweepOptions extends RunLabOptions {
  vary: readonly SweepAxis[];
  shard?: SweepShard;
}

/** One shard file for mergeSweeps: its name (for messages) and its bytes. */
export interface SweepFile {
  name: string;
  bytes: Uint8Array;
}

/** Options of mergeSweeps. */
export interface MergeSweepsOptions {
  /** Memory budget (bytes or "8GiB"; default 3/4 of this machine's memory): the files, unpacked and re-encoded, must fit. */
  maxMemory?: number | string;
}

export type { KernelCheck };

/** Options of runSelfTest. */
export interface RunSelfTestOptions {
  /**
   * A device to test: a GpuContext (src/gpu/device.ts) the caller owns and keeps. Default: the
   * machine's WebGPU adapter, acquired like runLab's backend 'gpu' and released afterwards.
   */
  gpu?: { readonly device: unknown; readonly adapterDescription: string };
  /** Lab ids to test (default: every lab). */
  labs?: readonly string[];
  /** A kernel (KernelCheck.kernel) whose GPU output is perturbed so that its check fails. */
  perturb?: string;
}

/** What runSelfTest resolves to. */
export interface SelfTestReport {
  /** The adapter tested, as the snapshots' meta.adapter names it. */
  adapter: string;
  checks: KernelCheck[];
  /** Every check passed. */
  pass: boolean;
}
