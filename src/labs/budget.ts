// The memory budget of a run (design: "sizes are checked against a memory budget before anything
// is allocated"). Each lab estimates, from its validated config alone, what a run of it holds at
// its peak: the host arrays, the GPU buffers and their readback copies, the recorded output (the
// snapshot's arrays) and, when the output format is known, the bytes of the encoded file. Every
// entry point (the CLI, the library's runLab, the page's links, panel, presets and imports) checks
// that estimate against a budget right after the lab's parseConfig and before anything is
// allocated, and refuses an oversized run with a MemoryBudgetError: a FieldError naming the
// fields that drive the size, the estimate and the budget.
//
// DOM-free and Node-free: the budget itself comes from the entry point (src/api/budget.ts reads
// the machine's memory, src/app/memory-budget.ts the browser's).
//
// API:
//   estimateFrom(parts, values, largestArray): MemoryEstimate   what a lab's memoryEstimate returns
//   encodedBytes(format, recorded): number                       peak bytes of an export's encoding
//   exportBytes(options, recorded): number                       the export an entry point may write (--out, or the page's largest)
//   checkMemoryBudget(lab, config, budget, options?)            throws MemoryBudgetError
//   withMemoryBudget(lab, budget, options?)                     the lab with a budget-checking parseConfig
//   parseByteSize(text, field): number                          "512MiB", "8GiB", "1e9" -> bytes
//   formatBytes(bytes): string                                  "1.5 GiB"

import { EXPORT_FORMATS, type ExportFormat } from '../io/export';
import { FieldError } from '../io/field-error';

/**
 * Most elements one typed array may hold here (V8: 2^32 - 1 in Node and Chromium): a run whose
 * largest array is longer fails whatever the memory, so the check refuses it up front. The .npz
 * file counts as one byte array (fflate builds the zip in one piece, and a zip without zip64
 * stops at 4 GiB anyway).
 */
export const MAX_ARRAY_ELEMENTS = 2 ** 32 - 1;

export interface EstimateOptions {
  /** The run is written to a file of this format (CLI --out): its encoding's peak counts too. */
  output?: ExportFormat;
  /** The page's run: add what the page holds besides the run (display buffers, history, readbacks). */
  page?: boolean;
}

export interface MemoryEstimate {
  /** Total bytes: the sum of parts (conservative: parts that never coexist are summed anyway). */
  bytes: number;
  /** The config fields that drive the size, the largest part's first. */
  drivers: string[];
  /** The value of each driver (or what it amounts to, e.g. "2 dimensions of mu1.points"). */
  values: Record<string, number | string>;
  /** Bytes by part (recorded, host, gpu, output, page, ...), zero parts left out. */
  parts: Record<string, number>;
  /** Elements of the largest single typed array the run allocates (bytes for the .npz file). */
  largestArray: number;
}

export interface EstimatePart {
  name: string;
  bytes: number;
  drivers: readonly string[];
}

/** What a lab's estimator needs to know about its recorded arrays to price an encoding. */
export interface RecordedSize {
  /** Bytes of the snapshot's arrays. */
  bytes: number;
  /** Number of values in them (text formats write each one). */
  values: number;
  /** Number of arrays (.npy headers, JSON keys). */
  arrays: number;
  /** Rows of the .csv export (0: this lab's snapshots have no csv form). */
  csvRows: number;
  /** Values the .csv export writes (a trajectory's x; a map's every grid array); default: values. */
  csvValues?: number;
}

/** Characters one number takes in the JSON and CSV text at most ("-1.2345678901234567e-123" and a separator). */
const TEXT_BYTES_PER_VALUE = 25;
/** A CSV row's leading columns (frame, t, particle; or i1, i2, x1, x2) and newline, at most. */
const CSV_ROW_PREFIX_BYTES = 64;
/** Headers, meta.json and the config: a generous constant per file and per array. */
const FILE_OVERHEAD = 1 << 20;
const ARRAY_OVERHEAD = 4096;

/**
 * Peak bytes of encoding the recorded arrays as `format`, beyond the arrays themselves: npz holds
 * each array's .npy member and then the zip that copies them (2x); json and csv hold the whole
 * text as UTF-8 chunks until it is written.
 */
export function encodedBytes(format: ExportFormat | undefined, r: RecordedSize): number {
  switch (format) {
    case undefined:
      return 0;
    case 'npz':
      return 2 * (r.bytes + r.arrays * ARRAY_OVERHEAD) + FILE_OVERHEAD;
    case 'json':
      return r.values * TEXT_BYTES_PER_VALUE + r.arrays * ARRAY_OVERHEAD + FILE_OVERHEAD;
    case 'csv':
      return r.csvRows > 0 ? (r.csvValues ?? r.values) * TEXT_BYTES_PER_VALUE + r.csvRows * CSV_ROW_PREFIX_BYTES + FILE_OVERHEAD : 0;
  }
}

/** The single largest array of an encoding (the .npz file is one byte array). */
/**
 * Peak bytes of the export an entry point may write: the CLI's --out format when given; on the
 * page (options.page) the largest of the formats its export menu offers, since the user picks one
 * later; otherwise none. Every lab's 'output' part is this, so the page counts its export alike.
 */
export function exportBytes(options: EstimateOptions, r: RecordedSize): number {
  if (options.output) return encodedBytes(options.output, r);
  return options.page ? Math.max(...EXPORT_FORMATS.map((f) => encodedBytes(f, r))) : 0;
}

export function encodedLargestArray(format: ExportFormat | undefined, r: RecordedSize): number {
  return format === 'npz' ? r.bytes + r.arrays * ARRAY_OVERHEAD + FILE_OVERHEAD : 0;
}

/** The runtime itself (Node or the tab's JavaScript, the modules, V8's heap), added to every estimate. */
export const RUNTIME_BYTES = 64 * 2 ** 20;

/**
 * Assemble a lab's estimate: parts summed (with RUNTIME_BYTES as the part "runtime"), drivers
 * ordered by the size of the parts they drive.
 */
export function estimateFrom(parts: readonly EstimatePart[], values: Record<string, number | string>, largestArray: number): MemoryEstimate {
  const sorted = [...parts, { name: 'runtime', bytes: RUNTIME_BYTES, drivers: [] }].filter((p) => p.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  const drivers: string[] = [];
  for (const p of sorted) for (const d of p.drivers) if (!drivers.includes(d)) drivers.push(d);
  for (const p of parts) for (const d of p.drivers) if (!drivers.includes(d)) drivers.push(d);
  return {
    bytes: sorted.reduce((s, p) => s + p.bytes, 0),
    drivers,
    values: Object.fromEntries(drivers.filter((d) => d in values).map((d) => [d, values[d]])),
    parts: Object.fromEntries(sorted.map((p) => [p.name, p.bytes])),
    largestArray,
  };
}

/** Where a budget comes from and how to raise it, for the refusal's message. */
export interface MemoryBudget {
  bytes: number;
  /** e.g. "half of this machine's 16 GiB" or "--max-memory 8GiB". */
  source: string;
  /** e.g. "raise it with --max-memory" (CLI), "pass maxMemory" (library). */
  raise: string;
}

/** The parts of a LabDefinition the check needs (no import of lab.ts: lab.ts imports this file's types). */
export interface BudgetedLab<Config = unknown> {
  id: string;
  memoryEstimate(config: Config, options?: EstimateOptions): MemoryEstimate;
}

/** A run over its memory budget: a FieldError on the first driver, listing every driver. */
export class MemoryBudgetError extends FieldError {
  constructor(
    readonly estimate: MemoryEstimate,
    readonly budget: MemoryBudget,
    reason: 'budget' | 'array',
  ) {
    const field = estimate.drivers[0] ?? 'config';
    const show = (d: string): string => {
      const v = estimate.values[d];
      return v === undefined ? '?' : typeof v === 'string' ? v : formatCount(v);
    };
    const others = estimate.drivers.slice(1).filter((d) => d in estimate.values);
    const given = `${show(field)}${others.length > 0 ? ` (with ${others.map((d) => `${d} = ${show(d)}`).join(', ')})` : ''}`;
    const parts = Object.entries(estimate.parts)
      .map(([k, v]) => `${k} ${formatBytes(v)}`)
      .join(', ');
    const fields = listOr(estimate.drivers.slice(0, 3));
    const value =
      reason === 'budget'
        ? `${given} needs about ${formatBytes(estimate.bytes)} of memory (${parts})`
        : `${given} needs an array of ${formatCount(estimate.largestArray)} elements`;
    const allowed =
      reason === 'budget'
        ? `at most ${formatBytes(budget.bytes)}, the memory budget (${budget.source}); make ${fields} smaller, or ${budget.raise}`
        : `at most ${formatCount(MAX_ARRAY_ELEMENTS)} elements in one array (a JavaScript limit, whatever the memory); make ${fields} smaller`;
    super(field, value, allowed);
    this.name = 'MemoryBudgetError';
    // The value is a sentence, not input: print it unquoted.
    this.message = `${field}: ${value}; allowed: ${allowed}`;
  }
}

/** Throws MemoryBudgetError when `config`'s estimate exceeds `budget` or one array's length limit. Returns the estimate. */
export function checkMemoryBudget<Config>(lab: BudgetedLab<Config>, config: Config, budget: MemoryBudget, options: EstimateOptions = {}): MemoryEstimate {
  const estimate = lab.memoryEstimate(config, options);
  if (!(estimate.bytes <= budget.bytes)) throw new MemoryBudgetError(estimate, budget, 'budget');
  if (!(estimate.largestArray <= MAX_ARRAY_ELEMENTS)) throw new MemoryBudgetError(estimate, budget, 'array');
  return estimate;
}

/**
 * `lab` with a parseConfig that also checks the memory budget, so that every path through it
 * (the page's links, panel, presets, imports) refuses an oversized run with a field-named error.
 */
export function withMemoryBudget<L extends BudgetedLab<any> & { parseConfig(raw: unknown): unknown }>(lab: L, budget: MemoryBudget, options: EstimateOptions = {}): L {
  return {
    ...lab,
    parseConfig(raw: unknown) {
      const config = lab.parseConfig(raw);
      checkMemoryBudget(lab, config, budget, options);
      return config;
    },
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A byte count: a plain number of bytes ("2000000000", "2e9") or with a unit ("512MiB", "8 GiB", "2GB"). */
export function parseByteSize(text: unknown, field: string): number {
  const allowed = 'a positive number of bytes, optionally with a unit: 512MiB, 8GiB, 2GB, 2e9';
  let bytes: number;
  if (typeof text === 'number') bytes = text;
  else if (typeof text === 'string') {
    const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(text.trim());
    if (!m) throw new FieldError(field, text, allowed);
    bytes = Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()];
  } else throw new FieldError(field, text, allowed);
  if (!(Number.isFinite(bytes) && bytes >= 1)) throw new FieldError(field, text, allowed);
  return Math.floor(bytes);
}

/** "1.5 GiB", "512 MiB", "800 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))} ${units[u]}`;
}

function listOr(items: string[]): string {
  return items.length === 0 ? 'the run' : items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function formatCount(v: number): string {
  return Number.isInteger(v) && Math.abs(v) >= 1e21 ? v.toExponential(3) : String(v);
}
