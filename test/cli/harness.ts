// Shared harness of the CLI tests: the built CLI (bin/flowlab.js -> dist-cli/flowlab.js) spawned
// as a user would run it, in a fresh temporary directory per test file. Test files run one at a
// time (vite.config.ts: fileParallelism false), so each file rebuilding dist-cli cannot race.
//
// Usage, at the top of a test file:  const cli = cliHarness('flowlab-cli-');

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/flowlab.js');

export const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  /** The temporary working directory (removed after the file's tests). */
  dir: string;
  flowlab(args: string[], env?: Record<string, string>): CliResult;
  /** Writes `config` as JSON (or a string as is) into dir; returns the path. */
  writeConfig(name: string, config: unknown): string;
  /** python3 -c script args...: exit code, stdout, stderr. */
  python(script: string, args: string[]): CliResult;
  /**
   * `flowlab run <lab> --config <config> --out <dir>/<lab>-<backend>.npz` with FLOWLAB_BACKEND =
   * backend, run once per backend and cached, so several tests can inspect the same output.
   */
  cachedRun(lab: string, config: unknown, backend: RunBackend): CachedRun;
}

export type RunBackend = 'gpu' | 'cpu';

export interface CachedRun {
  out: string;
  code: number | null;
  stderr: string;
}

/** No adapter: skip the GPU path locally, fail in CI (a CI machine must run it). */
export function gpuMissing(r: { code: number | null; stderr: string }): boolean {
  return r.code === 1 && /no WebGPU adapter/.test(r.stderr) && !process.env.CI;
}

export function cliHarness(prefix: string): CliHarness {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(() => {
    // Always rebuild (about a second): a stale dist-cli would test old code.
    const r = spawnSync('npm', ['run', 'build:cli'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build:cli failed:\n${r.stdout}\n${r.stderr}`);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const flowlab = (args: string[], env: Record<string, string> = {}): CliResult => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const runs = new Map<string, CachedRun>();
  return {
    dir,
    flowlab,
    cachedRun(lab, config, backend) {
      const key = `${lab}-${backend}`;
      let r = runs.get(key);
      if (!r) {
        const out = join(dir, `${key}.npz`);
        const configPath = join(dir, `${key}.json`);
        writeFileSync(configPath, JSON.stringify(config));
        const p = flowlab(['run', lab, '--config', configPath, '--out', out], { FLOWLAB_BACKEND: backend });
        r = { out, code: p.code, stderr: p.stderr };
        runs.set(key, r);
      }
      return r;
    },
    writeConfig(name, config) {
      const p = join(dir, name);
      writeFileSync(p, typeof config === 'string' ? config : JSON.stringify(config));
      return p;
    },
    python(script, args) {
      const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}
