// `flowlab selftest [--lab <id>] [--json]`: the numerics self-test on this machine's WebGPU adapter
// (src/api/selftest.ts): every compute kernel of every lab (or of --lab) at a small size against
// its float64 reference. Prints one row per kernel (lab, kernel, size, max error / tolerance,
// pass / FAIL, ms) and the adapter; --json prints { adapter, checks, pass } instead.
// Exit codes: 0 every check passed, 1 a check failed (or a runtime error), 2 a bad flag (named) or
// no WebGPU adapter.
//
// Hidden, for the tests (test/cli/selftest.test.ts): FLOWLAB_SELFTEST_PERTURB=<kernel> perturbs that
// kernel's GPU output before the comparison, so its check fails (proves the checks can fail).

import { runSelfTest } from '../api/selftest';
import { BackendUnavailableError } from '../api/public';
import { labIds } from '../labs/registry';
import { formatRatio, type KernelCheck } from '../labs/selftest';
import { UsageError, type ParsedArgs } from './args';
import type { CliIo } from './run-command';

const ALLOWED_FLAGS = new Set(['lab', 'json', 'quiet']);

function table(checks: KernelCheck[]): string {
  const header = ['lab', 'kernel', 'size', 'max err/tol', 'result', 'ms'];
  const rows = checks.map((c) => [c.lab, c.kernel, c.size, formatRatio(c.maxErrorOverTolerance), c.pass ? 'pass' : 'FAIL', c.ms.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((v, i) => (i === 3 || i === 5 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export async function selftestCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  for (const flag of args.flags.keys()) {
    if (!ALLOWED_FLAGS.has(flag)) throw new UsageError(`flowlab selftest: --${flag} does not apply (options: --lab <id>, --json)`);
  }
  if (args.sets.length > 0) throw new UsageError('flowlab selftest: --set does not apply (options: --lab <id>, --json)');
  if (args.positionals.length > 0) throw new UsageError(`flowlab selftest: unexpected argument ${JSON.stringify(args.positionals[0])} (use --lab <id>)`);
  const lab = args.flags.get('lab');
  if (lab !== undefined && !labIds().includes(lab)) {
    throw new UsageError(`--lab: got ${JSON.stringify(lab)}; allowed: one of ${labIds().join(', ')}`);
  }
  const perturb = io.env.FLOWLAB_SELFTEST_PERTURB || undefined;
  let report;
  try {
    report = await runSelfTest({ labs: lab ? [lab] : undefined, perturb });
  } catch (e) {
    if (e instanceof BackendUnavailableError) {
      io.stderr.write(`flowlab selftest: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (args.flags.has('json')) {
    io.stdout.write(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n');
  } else {
    const failed = report.checks.filter((c) => !c.pass);
    io.stdout.write(`adapter: ${report.adapter}\n\n${table(report.checks)}\n`);
    io.stdout.write(
      failed.length === 0
        ? `all ${report.checks.length} checks passed\n`
        : `${failed.length} of ${report.checks.length} checks FAILED: ${failed.map((c) => c.kernel).join(', ')}\n`,
    );
  }
  return report.pass ? 0 : 1;
}
