// bench/device.sh, bench/device-pack.sh and bench/device-sources.sh (the real-GPU bench's set-up
// for a machine that reaches no registry): they parse, the sources hash is stable and follows the
// sources, and device.sh refuses a pack built from other sources (numbers from a stale bundle
// would be credited to the wrong kernels). Packing itself (a vite build and ~30 MiB of xz) is
// not run here.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const scripts = ['bench/device.sh', 'bench/device-pack.sh', 'bench/device-sources.sh'];
const bash = (args: string[], cwd: string) => spawnSync('bash', args, { cwd, encoding: 'utf8', timeout: 60_000 });

describe('device bench scripts', () => {
  const work = mkdtempSync(join(tmpdir(), 'flowlab-device-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A minimal tree: the scripts and a few source files. */
  function tree(name: string): string {
    const dir = join(work, name);
    mkdirSync(join(dir, 'bench'), { recursive: true });
    for (const s of scripts) cpSync(join(root, s), join(dir, s));
    for (const f of ['src/math/heat.ts', 'shaders/lib/denoise.wgsl', 'vite.cli.config.ts', 'package.json', 'tsconfig.json']) cpSync(join(root, f), join(dir, f), { recursive: true });
    return dir;
  }

  it('every script parses (bash -n)', () => {
    for (const s of scripts) expect(bash(['-n', s], root).status, s).toBe(0);
  });

  it('the sources hash is 64 hex digits, stable, and changes with a shader', () => {
    const dir = tree('hash');
    const first = bash(['bench/device-sources.sh'], dir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(bash(['bench/device-sources.sh'], dir).stdout).toBe(first.stdout);
    writeFileSync(join(dir, 'shaders/lib/denoise.wgsl'), '// changed\n', { flag: 'a' });
    expect(bash(['bench/device-sources.sh'], dir).stdout).not.toBe(first.stdout);
  });

  it('device.sh refuses a .device-pack built from other sources, before unpacking anything', () => {
    const dir = tree('stale');
    mkdirSync(join(dir, '.device-pack'));
    writeFileSync(join(dir, '.device-pack/sources.sha256'), '0'.repeat(64) + '\n');
    const r = bash(['bench/device.sh'], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\.device-pack was built from other sources than this tree: run bash bench\/device-pack\.sh again/);
  });
});
