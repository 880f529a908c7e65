// What every lab provides. The app shell, the CLI and the tests only talk to labs through this,
// so a new lab is a new folder plus one line in registry.ts.

import type { GpuContext } from '../gpu/device';
import type { Snapshot } from '../io/snapshot-types';
import type { EstimateOptions, MemoryEstimate } from './budget';
import type { CompareSupport } from './compare';
import type { ConvergenceStudy } from './convergence';
import type { HeadlessOptions } from './headless-options';
import type { ParamSpec } from './schema';
import type { KernelCheck, SelfTestOptions } from './selftest';
import type { SnapshotSpec } from './snapshot-spec';

export type { Backend, HeadlessOptions } from './headless-options';

export interface Preset<Config> {
  id: string;
  title: string;
  description: string;
  config: Config;
}

export interface LabDefinition<Config = unknown> {
  id: string;
  title: string;
  summary: string;
  /** Scalar parameters (sliders, choices) of the config, by config key. */
  params: readonly ParamSpec[];
  presets: readonly Preset<Config>[];
  defaultConfig(): Config;
  /** Validate untrusted input (file, URL, panel). Throws FieldError naming field, value, allowed range. */
  parseConfig(raw: unknown): Config;
  /** Run to completion without a page (CLI, tests, benchmarks). */
  runHeadless(config: Config, options: HeadlessOptions): Promise<Snapshot>;
  /**
   * Peak memory of a run of a validated config (host arrays, GPU buffers, recorded output, the
   * output encoding when options.output is given, the page's holdings when options.page), from
   * the config alone: every entry point checks it against a budget (budget.ts) before running.
   */
  memoryEstimate(config: Config, options?: EstimateOptions): MemoryEstimate;
  /**
   * What a snapshot of `config` must hold (arrays, dtypes, shapes, finite state, resume fields):
   * validateSnapshot (snapshot-check.ts) checks every imported snapshot against it.
   */
  snapshotSpec(config: Config): SnapshotSpec;
  /**
   * The numerics self-test (src/labs/selftest.ts): every compute kernel of the lab at a small size
   * on `gpu` against its float64 reference, with the tolerance model of the lab's GPU tests.
   * options.perturb names a kernel whose output is perturbed so that its check fails.
   */
  selfTest(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]>;
  /** Compare mode (config.compare, src/labs/compare.ts): the parameters the lab runs side by side in one dispatch. */
  compare?: CompareSupport;
  /** The lab's convergence study (`flowlab convergence <lab>`, runConvergence), when it has one. */
  convergence?: ConvergenceStudy<Config>;
  /** Browser only; loaded lazily so Node bundles never pull in three or d3. */
  loadPage?(): Promise<(host: ViewHost) => Promise<LabPage<Config>>>;
}

export interface Notice {
  level: 'info' | 'warn' | 'error';
  text: string;
  /** A later notice with the same key replaces this one (one notice per recurring problem). */
  key?: string;
}

/** What the app shell lends a lab's page. */
export interface ViewHost {
  /** The main canvas; the lab draws on it with its own renderer on host.gpu.device. */
  canvas: HTMLCanvasElement;
  /** Positioned over the canvas, same size: SVG overlays, labels. */
  overlay: HTMLElement;
  /** Side column for d3 charts. */
  charts: HTMLElement;
  /** Lab-specific controls beyond the schema panel (the t scrubber, point-set tools). */
  controls: HTMLElement;
  /** null: no WebGPU; the page runs the float64 reference at reduced size. */
  gpu: GpuContext | null;
  /** Show a notice; returns a function that dismisses it (e.g. once the problem is fixed). */
  notify(notice: Notice): () => void;
  /** The page changed the config itself (e.g. atoms dragged): the shell updates panel + URL. */
  configChanged(config: unknown): void;
  /**
   * Throws a FieldError (budget.ts MemoryBudgetError, naming the fields that drive the size) when
   * a validated config exceeds the page's memory budget. setConfig calls it before allocating
   * anything, so the page's own edits and imports are held to the budget like the shell's.
   */
  checkMemory(config: unknown): void;
}

export interface RunStatus {
  step: number;
  steps: number;
  t: number;
  done: boolean;
  /** Set when the run paused itself (e.g. non-finite values detected): shown to the user. */
  haltedReason?: string;
  /**
   * What `step` counts, named the same in the HUD and the lab's captions: 'step' (a time step),
   * 'iteration' (a training iteration), 'row' (a row of a map). Absent: 'step'. The HUD measures
   * the rate itself (`step` completed per second over a sliding window), so pages report no rate.
   */
  unit?: 'step' | 'iteration' | 'row';
  /** GPU pass timings in ms when timestamp queries are available. */
  passMs?: Record<string, number>;
  /**
   * The step a device loss would continue from: the last state the page holds off the GPU
   * (absent: it keeps none and would start over). The shell reports `step - savedStep` as redone.
   */
  savedStep?: number;
}

export interface LabPage<Config> {
  /** Apply a validated config; throws (FieldError) and keeps the previous state on failure. */
  setConfig(config: Config): Promise<void>;
  /** Called once per animation frame. Advances `steps` steps when > 0, draws. Never awaits a readback. */
  frame(steps: number): void;
  reset(): Promise<void>;
  status(): RunStatus;
  /** For export; may await readbacks (not called from the frame loop). */
  snapshot(): Promise<Snapshot>;
  /** Continue exactly from a json snapshot made by snapshot(). */
  restore(snapshot: Snapshot): Promise<void>;
  /** SVG text of each chart, for export. */
  chartSvgs(): { name: string; svg: string }[];
  /**
   * One sentence on the lab's key metric for the aria-live region (e.g. "fitted slope 0.49,
   * 12 samples"). Not part of status(), which runs every frame: the shell asks for it only when
   * it may announce (at most every few seconds while running).
   */
  summary?(): string | undefined;
  /**
   * The device was lost: the shell passes a new context (null: none could be had); continue from
   * the last state held (status().savedStep). The shell tells the user the step it continued at
   * and how many steps were redone.
   */
  deviceRestored(gpu: GpuContext | null): Promise<void>;
  dispose(): void;
}
