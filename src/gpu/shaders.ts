// The WGSL sources, shared verbatim by the page, the CLI and the tests.
//
// Vite (dev server, page build, CLI build and vitest) inlines every file under shaders/ through
// import.meta.glob, so no runtime file access is needed in any environment.
//
// Composition: a line `#include "lib/name.wgsl"` is replaced by that file's text (once per
// composed module, recursively). That is the only preprocessing; specialisation uses WGSL
// `override` constants.

const raw = import.meta.glob('/shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** Map 'lib/rng.wgsl' -> source text. */
const sources = new Map<string, string>(
  Object.entries(raw).map(([path, text]) => [path.replace(/^\/shaders\//, ''), text]),
);

const includeLine = /^[ \t]*#include[ \t]+"([^"]+)"[ \t]*$/gm;

/** Source of shaders/<path> with its #include lines expanded. Throws for unknown paths or cycles. */
export function shaderSource(path: string): string {
  return compose(path, new Set(), []);
}

export function shaderPaths(): string[] {
  return [...sources.keys()].sort();
}

function compose(path: string, included: Set<string>, stack: string[]): string {
  const text = sources.get(path);
  if (text === undefined) {
    throw new Error(`WGSL file shaders/${path} not found (known: ${shaderPaths().join(', ')})`);
  }
  if (stack.includes(path)) throw new Error(`WGSL include cycle: ${[...stack, path].join(' -> ')}`);
  included.add(path);
  return text.replace(includeLine, (_line, inc: string) => {
    if (included.has(inc)) return `// (already included: ${inc})`;
    return `// ---- begin ${inc}\n${compose(inc, included, [...stack, path])}\n// ---- end ${inc}`;
  });
}
