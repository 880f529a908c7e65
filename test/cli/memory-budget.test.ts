// The memory budget at the headless entry points, in-process (runCli is the CLI without the bin
// launcher; runLab the library): issue 10's score-mixing run (particles 1e6, steps 1e5, record
// 1e5 + 1, each in range) is refused before anything is allocated, exit 2, naming the fields that
// drive the size, the estimate and the budget; --max-memory / maxMemory set the budget, a bad
// value is refused; a .json snapshot given as --config is held to the budget too. CPU backend only.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli';
import { encodeSnapshot, FieldError, MemoryBudgetError, runLab } from '../../src/index';

const dir = mkdtempSync(join(tmpdir(), 'flowlab-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function flowlab(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { FLOWLAB_BACKEND: 'cpu' } });
  return { code, stderr };
}

const issue = ['--preset', 'three-vs-one', '--set', 'particles.count=1000000', '--set', 'steps=100000', '--set', 'record=100001'];
/** 20,000 particles x 41 frames in R^2: about 110 MiB with its .npz (13 MB of frames). */
const moderate = ['--preset', 'three-vs-one', '--set', 'particles.count=20000', '--set', 'steps=40', '--set', 'record=41', '--quiet'];
const issueConfig = { mu1: { points: [[-1, 0], [1, 0.5], [0, 1.5]] }, mu2: { points: [[0.5, -1]] }, lambda: 0.5, particles: { count: 1e6, seed: 1 }, steps: 1e5, record: 1e5 + 1 };

describe('flowlab run: memory budget', () => {
  it('refuses particles 1e6, steps 1e5, record 1e5 + 1 with exit 2 naming the fields, the estimate and the budget; writes nothing', async () => {
    const out = join(dir, 'issue.npz');
    const r = await flowlab(['run', 'score-mixing', ...issue, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flowlab: invalid config: record: 100001 \(with particles\.count = 1000000, mu1\.points = 3 atoms in 2 dimensions, steps = 100000\) needs about \d+(\.\d+)? TiB of memory \(output /);
    expect(r.stderr).toMatch(/allowed: at most \d+(\.\d+)? GiB, the memory budget \(by default 75% of this machine's .*\); make record, particles\.count or mu1\.points smaller, or raise it with --max-memory/);
    expect(existsSync(out)).toBe(false);
  });

  it('--max-memory sets the budget: a moderate run is refused under it and runs above it', async () => {
    const out = join(dir, 'moderate.npz');
    const under = await flowlab(['run', 'score-mixing', ...moderate, '--max-memory', '96MiB', '--out', out]);
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/^flowlab: invalid config: record: 41 \(with particles\.count = 20000, .*allowed: at most 96 MiB, the memory budget \(--max-memory 96MiB\)/);
    expect(existsSync(out)).toBe(false);
    const over = await flowlab(['run', 'score-mixing', ...moderate, '--max-memory=256MiB', '--out', out]);
    expect(over.stderr).toBe('');
    expect(over.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('the output format counts: the same run fits as .npz and not as .json under a budget between them', async () => {
    const npz = await flowlab(['run', 'score-mixing', ...moderate, '--max-memory', '115MiB', '--out', join(dir, 'fits.npz')]);
    expect(npz.code).toBe(0);
    const json = await flowlab(['run', 'score-mixing', ...moderate, '--max-memory', '115MiB', '--out', join(dir, 'fits.json')]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/needs about \d+ MiB of memory \(runtime 64 MiB, output /);
  });

  it('raising --max-memory past the estimate still refuses an array longer than JavaScript allows', async () => {
    const r = await flowlab(['run', 'score-mixing', ...issue, '--max-memory', '100TiB', '--out', join(dir, 'big.npz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flowlab: invalid config: record: 100001 .* needs an array of \d+ elements; allowed: at most 4294967295 elements in one array/);
  });

  it('refuses a bad --max-memory (exit 2) and documents the flag', async () => {
    const r = await flowlab(['run', 'score-mixing', ...moderate, '--max-memory', 'lots', '--out', join(dir, 'bad.npz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('flowlab: --max-memory: got "lots"; allowed: a positive number of bytes, optionally with a unit: 512MiB, 8GiB, 2GB, 2e9\n');
    let help = '';
    await runCli(['--help'], { stdout: { write: (s: string) => (help += s) }, stderr: { write: () => true }, env: {} });
    expect(help).toMatch(/--max-memory <size> +memory budget of the run/);
  });

  it('holds a .json snapshot given as --config to the budget (its config reruns the run)', async () => {
    const snap = await runLab('score-mixing', { ...issueConfig, particles: { count: 500, seed: 1 }, steps: 20, record: 5 }, { backend: 'cpu' });
    const path = join(dir, 'snap.json');
    writeFileSync(path, encodeSnapshot(snap, 'json'));
    const ok = await flowlab(['run', 'score-mixing', '--config', path, '--quiet', '--out', join(dir, 'rerun.npz')]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const r = await flowlab(['run', 'score-mixing', '--config', path, '--set', 'particles.count=1000000', '--set', 'steps=100000', '--set', 'record=100001', '--out', join(dir, 'snap-big.npz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flowlab: invalid config: record: 100001 \(with particles\.count = 1000000/);
  });
});

describe('runLab: memory budget', () => {
  it('rejects the issue run with a MemoryBudgetError (a FieldError) before any work', async () => {
    const err = await runLab('score-mixing', issueConfig, { backend: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect(err).toBeInstanceOf(FieldError);
    expect((err as FieldError).field).toBe('record');
    expect((err as Error).message).toMatch(/or pass a larger maxMemory to runLab/);
  });

  it('maxMemory sets the budget (bytes or with a unit); a bad one is a FieldError on options.maxMemory', async () => {
    const cfg = { ...issueConfig, particles: { count: 20_000, seed: 1 }, steps: 40, record: 41 };
    await expect(runLab('score-mixing', cfg, { backend: 'cpu', maxMemory: 64 * 2 ** 20 })).rejects.toThrow(/allowed: at most 64 MiB, the memory budget \(options\.maxMemory 67108864\)/);
    const snap = await runLab('score-mixing', cfg, { backend: 'cpu', maxMemory: '1GiB' });
    expect(snap.arrays.x.shape).toEqual([41, 20_000, 2]);
    const bad = await runLab('score-mixing', cfg, { backend: 'cpu', maxMemory: 'lots' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FieldError);
    expect((bad as FieldError).field).toBe('options.maxMemory');
  });
});
