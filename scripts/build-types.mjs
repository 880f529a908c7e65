// `npm run build:types`: the library's .d.ts files in dist-types/ (package.json "types").
// tsc (tsconfig.lib.json) emits declarations for src/index.ts and every module it imports, the
// labs' GPU and page code included; only the files that dist-types/index.d.ts reaches through
// relative imports are kept, so the package ships a handful of small declarations that need no
// @webgpu/types, DOM or three types. A reached file that names such types fails the build.
// Relative specifiers get their .js extension on the way (src/ imports without one, for the
// bundler; a consumer with moduleResolution node16/nodenext needs it in an ES module package).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const emitted = join(root, 'node_modules/.cache/flowlab-types');
const out = join(root, 'dist-types');

rmSync(emitted, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { cwd: root, stdio: 'inherit' });

/** The .d.ts files reachable from index.d.ts through relative specifiers (import/export ... from, import("...")). */
function reachable(entry) {
  const seen = new Set();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`build-types: ${relative(root, file)} is referenced but was not emitted`);
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const spec = m[1].replace(/\.(js|ts)$/, '');
      const base = resolve(dirname(file), spec);
      todo.push(existsSync(`${base}.d.ts`) ? `${base}.d.ts` : join(base, 'index.d.ts'));
    }
  }
  return [...seen].sort();
}

/** './io/export' -> './io/export.js' (or './x/index.js' for a folder), as Node's ESM resolution wants. */
function withExtensions(file, text) {
  return text.replace(/((?:from\s+|import\s*\(\s*)['"])(\.{1,2}\/[^'"]+?)(['"])/g, (all, head, spec, tail) => {
    if (/\.js$/.test(spec)) return all;
    const base = resolve(dirname(file), spec);
    return `${head}${spec}${existsSync(`${base}.d.ts`) ? '.js' : '/index.js'}${tail}`;
  });
}

const files = reachable(join(emitted, 'index.d.ts'));
const foreign = /\b(GPU[A-Z]\w+|HTML\w*Element|from\s+['"](three|d3[\w-]*|lil-gui|webgpu)['"])/;
for (const f of files) {
  const hit = foreign.exec(readFileSync(f, 'utf8'));
  if (hit) throw new Error(`build-types: ${relative(emitted, f)} names ${hit[0]}: keep GPU, DOM and page types out of the public declarations`);
}
rmSync(out, { recursive: true, force: true });
for (const f of files) {
  const to = join(out, relative(emitted, f));
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, withExtensions(f, readFileSync(f, 'utf8')));
}
console.log(`build-types: ${files.length} declaration files in ${relative(root, out)}/: ${files.map((f) => relative(emitted, f)).join(', ')}`);
