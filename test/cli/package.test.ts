// The package as a user gets it: `npm pack` (prepack builds dist-cli/ and dist-types/), the tarball
// installed into an empty folder with no build tools, then `npx flowlab` and a script that imports
// the library API. One pack and one install for the whole file (the install fetches the runtime
// dependencies from the npm cache or registry: a few seconds to a minute).

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labIds } from '../../src/labs/registry';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'flowlab-package-'));
const app = join(dir, 'app');

function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
}
const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

let tarball = '';
let files: string[] = [];
let install: SpawnSyncReturns<string>;

beforeAll(() => {
  const pack = sh('npm', ['pack', '--pack-destination', dir], root);
  if (pack.status !== 0) throw new Error(`npm pack failed: ${show(pack)}`);
  const name = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack wrote no tarball: ${show(pack)}`);
  tarball = join(dir, name);
  files = sh('tar', ['-tzf', tarball], dir).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'flowlab-user', private: true, type: 'module' }));
  install = sh('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app, 600_000);
}, 900_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships the built CLI, the library, its types, README and LICENSE, and nothing else', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/flowlab.js', 'dist-cli/flowlab.js', 'dist-cli/index.js', 'dist-types/index.d.ts']) {
      expect(files, f).toContain(f);
    }
    const allowed = /^(package\.json|README\.md|LICENSE|bin\/flowlab\.js|dist-cli\/(flowlab|index)\.js|dist-cli\/chunks\/[\w-]+\.js|dist-types\/[\w/-]+\.d\.ts)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => /^(test|\.ci|bench|src|public|shaders|scripts|dist)\//.test(f))).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(1 << 20);
  });
});

describe('the installed package', () => {
  it('installs into an empty folder without vite or a build step', () => {
    expect(install.status, show(install)).toBe(0);
    expect(existsSync(join(app, 'node_modules/flowlab/dist-cli/flowlab.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/vite'))).toBe(false);
  });

  it('`npx flowlab labs` lists every lab', () => {
    const r = sh('npx', ['--no', 'flowlab', 'labs'], app);
    expect(r.status, show(r)).toBe(0);
    for (const id of labIds()) expect(r.stdout).toMatch(new RegExp(`^${id} — `, 'm'));
  });

  it('`npx flowlab run` writes an .npz', () => {
    const r = sh('npx', ['--no', 'flowlab', 'run', 'bilevel', '--preset', 'qp', '--set', 'grid.n=8', '--backend', 'cpu', '--out', 'map.npz'], app);
    expect(r.status, show(r)).toBe(0);
    expect(r.stderr).toMatch(/wrote map\.npz .* on cpu-float64/);
    expect(existsSync(join(app, 'map.npz'))).toBe(true);
  });

  it("a script imports { labs, runLab } from 'flowlab' and gets the snapshot", () => {
    writeFileSync(
      join(app, 'script.mjs'),
      `import { labs, runLab, encodeSnapshot, FieldError } from 'flowlab';
const list = labs();
const s = await runLab('bilevel', { family: 'qp', grid: { n: 8 } }, { backend: 'cpu' });
let refused = '';
try { await runLab('bilevel', { grid: { n: 0 } }, { backend: 'cpu' }); } catch (e) { refused = (e instanceof FieldError) + ' ' + e.message; }
const npz = encodeSnapshot(s, 'npz');
console.log(JSON.stringify({
  labs: list.map((l) => ({ id: l.id, params: l.params.length, presets: l.presets.length })),
  lab: s.lab, n: s.config.grid.n, backend: s.meta.backend,
  active: { dtype: s.arrays.active.dtype, shape: s.arrays.active.shape, isInt32: s.arrays.active.data instanceof Int32Array },
  y: s.arrays.y.shape, refused, npz: String.fromCharCode(npz[0], npz[1]),
}));
`,
    );
    const r = sh(process.execPath, ['script.mjs'], app);
    expect(r.status, show(r)).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.labs.map((l: { id: string }) => l.id)).toEqual(labIds());
    for (const l of out.labs) expect(l.params).toBeGreaterThan(0);
    expect(out).toMatchObject({ lab: 'bilevel', n: 8, backend: 'cpu-float64', y: [8, 8, 2], npz: 'PK' });
    expect(out.active).toEqual({ dtype: 'i32', shape: [8, 8], isInt32: true });
    expect(out.refused).toMatch(/^true grid\.n: got 0; allowed: /);
  });

  it('its type declarations compile in a strict TypeScript project without DOM or WebGPU types', () => {
    writeFileSync(
      join(app, 'check.ts'),
      `import { labs, runLab, FieldError, type LabInfo, type Snapshot, type NdArray } from 'flowlab';
const info: LabInfo[] = labs();
const ranges: string[] = info[0].params.map((p) => (p.kind === 'number' ? \`\${p.key} \${p.min}..\${p.max}\` : p.key));
export async function main(): Promise<number> {
  const s: Snapshot = await runLab('bilevel', { grid: { n: 8 } }, { backend: 'cpu', onProgress: (f: number) => void f });
  const a: NdArray = s.arrays.active;
  if (a.dtype === 'i32' && new FieldError('x', 1, 'y').field === 'x') return a.shape.length + ranges.length;
  return 0;
}
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022'], types: [], skipLibCheck: false },
        files: ['check.ts'],
      }),
    );
    const r = sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    expect(r.status, show(r)).toBe(0);
  });
});
