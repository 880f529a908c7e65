// Command line of `npm run bench` (bench/run.ts): `--only <line>` runs one line of the benchmark.
// Kept free of GPU and Node imports so test/unit/bench-args.test.ts can check it directly.
//
// Lines are named <bench>:<kernel> for the mixed-score bench (each of its kernels is one line,
// measured against the line before it in the same run); the primal-dual, transformer and bilevel
// benches are one line each (their WGSL and TS rows run together and print their own ratio).
// `--only mixed-score` runs the mixed-score bench's lines together (old vs new in one run).

/** Every line `--only` accepts, in the order a full run measures them. */
export const BENCH_LINES = [
  'mixed-score:two-pass',
  'mixed-score:single-pass',
  'mixed-score:blocked',
  'mixed-score:ts',
  'mixed-score:numpy',
  'small-t',
  'field',
  'generate',
  'split',
  'primal-dual',
  'transformer',
  'bilevel',
] as const;

export type BenchLine = (typeof BENCH_LINES)[number];

/** Names that select several lines: every line named `<group>:...`. */
export const BENCH_GROUPS = ['mixed-score'] as const;

export type BenchSelection = BenchLine | (typeof BENCH_GROUPS)[number];

export type BenchArgs = { ok: true; only: BenchSelection | null } | { ok: false; message: string };

const known = (): string => `known lines: ${BENCH_LINES.join(', ')} (or the group ${BENCH_GROUPS.join(', ')})`;
const selectable: readonly string[] = [...BENCH_LINES, ...BENCH_GROUPS];

/** Parses the bench's arguments (process.argv.slice(2)). A bad one names the flag and lists the lines. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let only: BenchSelection | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--only=') ? arg.slice('--only='.length) : null;
    if (arg !== '--only' && eq === null) return { ok: false, message: `bench: unknown argument '${arg}' (only --only <line> is accepted; ${known()})` };
    const value = eq ?? argv[i + 1];
    if (eq === null) i++;
    if (value === undefined || value === '' || value.startsWith('--')) return { ok: false, message: `bench: --only needs a line name; ${known()}` };
    if (!selectable.includes(value)) return { ok: false, message: `bench: --only '${value}' is not a bench line; ${known()}` };
    if (only !== null) return { ok: false, message: `bench: --only given twice ('${only}' and '${value}'); it runs one line` };
    only = value as BenchSelection;
  }
  return { ok: true, only };
}

/** Whether a run with `only` measures `line`. */
export function runsLine(only: BenchSelection | null, line: BenchLine): boolean {
  return only === null || only === line || line.startsWith(`${only}:`);
}
