// `flowlab selftest` (src/cli/selftest-command.ts), spawned as a user would run it: exit 0 when
// every check passes (table with the adapter and one row per kernel), 1 when a check fails (the
// hidden FLOWLAB_SELFTEST_PERTURB makes one kernel's check fail), 2 for a bad flag, named.
// The GPU runs use --lab bilevel (two kernels, seconds on SwiftShader): bilevel/sincos runs
// shaders/bilevel/sincos-probe.wgsl (lib/sincos.wgsl against Math.sin/cos), bilevel/solve the map.

import { describe, expect, it } from 'vitest';
import { cliHarness } from './harness';

const { flowlab } = cliHarness('flowlab-selftest-');

/** No adapter: skipped locally, a failure in CI (a CI machine must run the kernels). */
const noGpu = (r: { code: number | null; stderr: string }): boolean => r.code === 2 && /no WebGPU adapter/.test(r.stderr) && !process.env.CI;

describe('flowlab selftest', () => {
  it('exit 0: a table of the lab\'s kernels (all pass) and the adapter', () => {
    const r = flowlab(['selftest', '--lab', 'bilevel']);
    if (noGpu(r)) return;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^adapter: \S/m);
    expect(r.stdout).toMatch(/lab\s+kernel\s+size\s+max err\/tol\s+result\s+ms/);
    expect(r.stdout).toMatch(/^bilevel\s+bilevel\/solve\s.*\spass\s+\d+$/m);
    expect(r.stdout).toMatch(/^bilevel\s+bilevel\/sincos\s.*\spass\s+\d+$/m);
    expect(r.stdout).not.toMatch(/score-mixing/);
    expect(r.stdout).toMatch(/all 2 checks passed/);
  });

  it('exit 1: a perturbed kernel (FLOWLAB_SELFTEST_PERTURB) fails, named in the table and the JSON', () => {
    const r = flowlab(['selftest', '--lab', 'bilevel'], { FLOWLAB_SELFTEST_PERTURB: 'bilevel/sincos' });
    if (noGpu(r)) return;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^bilevel\s+bilevel\/sincos\s.*\sFAIL\s+\d+$/m);
    expect(r.stdout).toMatch(/^bilevel\s+bilevel\/solve\s.*\spass\s+\d+$/m);
    expect(r.stdout).toMatch(/1 of 2 checks FAILED: bilevel\/sincos/);
    const j = flowlab(['selftest', '--lab', 'bilevel', '--json'], { FLOWLAB_SELFTEST_PERTURB: 'bilevel/solve' });
    expect(j.code, j.stderr).toBe(1);
    const report = JSON.parse(j.stdout) as { adapter: string; pass: boolean; checks: { kernel: string; pass: boolean; maxErrorOverTolerance: number }[] };
    expect(report.pass).toBe(false);
    expect(report.adapter.length).toBeGreaterThan(0);
    const solve = report.checks.find((c) => c.kernel === 'bilevel/solve')!;
    expect(solve.pass).toBe(false);
    expect(solve.maxErrorOverTolerance).toBeGreaterThan(1);
    expect(report.checks.find((c) => c.kernel === 'bilevel/sincos')!.pass).toBe(true);
  });

  it('exit 2: a bad --lab, a flag that does not apply, a stray argument — each named', () => {
    const bad = flowlab(['selftest', '--lab', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lab: got "nope"; allowed: one of score-mixing, primal-dual, transformer, bilevel/);
    const missing = flowlab(['selftest', '--lab']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--lab needs a value/);
    const other = flowlab(['selftest', '--out', 'x.npz']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--out does not apply/);
    const stray = flowlab(['selftest', 'bilevel']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/unexpected argument "bilevel"/);
    const help = flowlab(['--help']);
    expect(help.stdout).toMatch(/flowlab selftest \[--lab <id>\] \[--json\]/);
  });
});
