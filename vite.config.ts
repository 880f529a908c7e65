/// <reference types="vitest/config" />
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * The page's Content-Security-Policy: only the app's own scripts, workers (the transformer's NTK
 * worker is a bundled file), styles and images; no network connections (connect-src 'none'); no
 * inline scripts, no inline <style> elements or style attributes from markup (the app sets styles
 * through the CSSOM, which CSP allows, and lil-gui's stylesheet is bundled instead of injected).
 * img-src data: blob: for the PNG export (the SVG overlay becomes an image through a blob: URL);
 * font-src data: for lil-gui's icon font. test/e2e/csp.test.ts loads every lab under it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Puts the policy into the built index.html as <meta http-equiv> (right after <meta charset>,
 * before any script or stylesheet). Build only: `npm run dev` needs Vite's inline styles and its HMR
 * websocket, which this policy refuses.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'flowlab-content-security-policy',
    apply: 'build',
    transformIndexHtml(html) {
      const tag = `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`;
      const charset = /<meta charset="utf-8" \/>\n/;
      if (!charset.test(html)) throw new Error('flowlab-content-security-policy: index.html has no <meta charset="utf-8" /> line to put the policy after');
      return html.replace(charset, (m) => `${m}    ${tag}\n`);
    },
  };
}

/** lil-gui's stylesheet, which its package does not export (it injects a <style> by default). */
const LIL_GUI_CSS = join(dirname(createRequire(import.meta.url).resolve('lil-gui')), 'lil-gui.css');

// One config for the demo page (vite / vite build) and the test runner (vitest).
// GPU tests share one SwiftShader device per file and are CPU-heavy, so files run one at a time.
export default defineConfig({
  base: './',
  plugins: [contentSecurityPolicy()],
  resolve: { alias: [{ find: /^lil-gui\/dist\/lil-gui\.css$/, replacement: LIL_GUI_CSS }] },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 2000 },
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
