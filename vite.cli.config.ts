import { defineConfig, type Plugin } from 'vite';

// Lab pages (src/labs/<lab>/view/: three, d3, DOM) are browser-only and loaded through
// `import('./view')` in each lab's index.ts. In the Node bundle that import is replaced by a stub,
// so dist-cli never contains page code (and builds even before a lab's view exists).
function noLabViewsInNode(): Plugin {
  const stub = '\0flowlab:lab-view-stub';
  return {
    name: 'flowlab:no-lab-views-in-node',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer && /[\\/]src[\\/]labs[\\/][^\\/]+[\\/]index\.ts$/.test(importer) && /^\.\/view(\.ts)?$/.test(source)) return stub;
      return null;
    },
    load(id) {
      if (id !== stub) return null;
      return 'export default function createPage() { throw new Error("lab pages are browser-only; the Node bundle does not include them"); }\n';
    },
  };
}

// Builds the Node entry points into dist-cli/: the `flowlab` CLI (flowlab.js), the library API
// (index.js, the package entry: `import { labs, runLab } from 'flowlab'`) and the benchmark
// (bench.js, not packed). Code they share goes to dist-cli/chunks/.
// Bundling lets them share the page's `import.meta.glob` of the WGSL sources, so the CLI runs the
// exact shader text the browser runs. Node packages (webgpu, fflate, ...) stay external.
export default defineConfig({
  plugins: [noLabViewsInNode()],
  build: {
    ssr: true,
    outDir: 'dist-cli',
    target: 'node20',
    emptyOutDir: true,
    // public/ (favicon, manifest, example inputs) belongs to the page build (dist/), not here.
    copyPublicDir: false,
    rollupOptions: {
      input: { flowlab: 'src/cli/main.ts', index: 'src/index.ts', bench: 'bench/run.ts' },
      output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', format: 'es' },
    },
  },
});
