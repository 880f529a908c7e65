// The shape of the source tree (design card: "one folder per lab with the same shape; dependencies
// one way"). Walks src/ and fails on:
//  * page code outside a view/ folder: a lab's model files (and src/labs/shared's) must not import
//    three, d3 or lil-gui, nor touch the DOM, nor import a view/ file (index.ts's lazy
//    `import('./view')` is the one door to the page);
//  * imports against the layers math <- gpu <- labs <- api (the library: src/index.ts, src/api)
//    <- cli, and labs <- app; io beside gpu knowing no lab;
//  * one lab importing another (shared code lives in src/labs/shared);
//  * import cycles, type-only imports included (a cycle of types is still a cycle to read).

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = walk(SRC).map((p) => relative(ROOT, p));

interface Import {
  spec: string;
  dynamic: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: Import[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1], dynamic: false });
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1], dynamic: false });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], dynamic: true });
  return out;
}

/** The repo-relative .ts file a relative import resolves to, or null (packages, assets). */
function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = join(dirname(join(ROOT, from)), spec.replace(/\?.*$/, ''));
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return relative(ROOT, candidate);
  }
  return null;
}

const graph = new Map<string, { to: string; dynamic: boolean }[]>(
  files.map((f) => [f, importsOf(f).flatMap((i) => {
    const to = resolveImport(f, i.spec);
    return to ? [{ to, dynamic: i.dynamic }] : [];
  })]),
);

/** Layer of a file: math, gpu, io, labs, api, app, cli (or 'root' for src/index.ts, the library entry). */
function layer(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : 'root';
}
const labOf = (file: string): string | null => (file.startsWith('src/labs/') && file.split('/').length > 3 ? file.split('/')[2] : null);
const inView = (file: string): boolean => file.split('/').includes('view');

const ALLOWED: Record<string, readonly string[]> = {
  math: ['math'],
  gpu: ['gpu', 'math'],
  io: ['io', 'math'],
  labs: ['labs', 'gpu', 'math', 'io'],
  api: ['api', 'labs', 'gpu', 'math', 'io'],
  app: ['app', 'labs', 'gpu', 'math', 'io'],
  cli: ['cli', 'api', 'labs', 'gpu', 'math', 'io'],
  root: ['root', 'api', 'labs', 'gpu', 'math', 'io'],
};

describe('source tree shape', () => {
  it('finds the labs and their files', () => {
    expect(files.filter((f) => labOf(f) === 'bilevel').length).toBeGreaterThan(5);
  });

  it('model files of a lab (outside view/) use no page library, no DOM and no view file', () => {
    const bad: string[] = [];
    for (const f of files.filter((p) => p.startsWith('src/labs/') && !inView(p))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const i of importsOf(f)) {
        // d3-dsv (CSV parsing) is DOM-free; the d3 bundle, three and lil-gui are page libraries.
        if (/^(three|d3|lil-gui)(\/|$)|^d3-(?!dsv$)/.test(i.spec)) bad.push(`${f} imports ${i.spec}`);
      }
      const code = text
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
      // lab.ts is the shell's contract with the pages: its ViewHost names the DOM elements it lends.
      if (f !== 'src/labs/lab.ts' && /\b(document|window)\.\w|\bHTML[A-Za-z]*Element\b/.test(code)) bad.push(`${f} touches the DOM`);
      for (const e of graph.get(f) ?? []) {
        const lazyPage = e.dynamic && f.endsWith('/index.ts') && e.to === join(dirname(f), 'view/index.ts');
        if (inView(e.to) && !lazyPage) bad.push(`${f} imports the page file ${e.to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('imports follow the layers math <- gpu <- labs <- (app, cli); io and math know no lab', () => {
    const bad: string[] = [];
    for (const [f, edges] of graph) {
      for (const e of edges) {
        if (!ALLOWED[layer(f)]?.includes(layer(e.to))) bad.push(`${f} (${layer(f)}) imports ${e.to} (${layer(e.to)})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no lab imports another lab (shared code lives in src/labs/shared)', () => {
    const bad: string[] = [];
    for (const [f, edges] of graph) {
      const lab = labOf(f);
      if (!lab || lab === 'shared') continue;
      for (const e of edges) {
        const other = labOf(e.to);
        if (other && other !== lab && other !== 'shared') bad.push(`${f} imports ${e.to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycles (static imports, type-only included)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const e of graph.get(f) ?? []) {
        if (e.dynamic) continue;
        const s = state.get(e.to);
        if (s === 'open') cycles.push([...stack.slice(stack.indexOf(e.to)), e.to].join(' -> '));
        else if (s === undefined) visit(e.to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
