import { defineConfig } from 'vite';

// Builds the Node entry points (the `flowlab` CLI and the benchmark) into dist-cli/.
// Bundling lets them share the page's `import.meta.glob` of the WGSL sources, so the CLI runs the
// exact shader text the browser runs. Node packages (webgpu, fflate, ...) stay external.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist-cli',
    target: 'node20',
    emptyOutDir: true,
    rollupOptions: {
      input: { flowlab: 'src/cli/main.ts', bench: 'bench/run.ts' },
      output: { entryFileNames: '[name].js', format: 'es' },
    },
  },
});
