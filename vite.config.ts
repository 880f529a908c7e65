/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// One config for the demo page (vite / vite build) and the test runner (vitest).
// GPU tests share one SwiftShader device per file and are CPU-heavy, so files run one at a time.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
