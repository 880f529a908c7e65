#!/usr/bin/env node
// Thin launcher: the CLI is bundled by `npm run build:cli` (run automatically by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist-cli/flowlab.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('flowlab: the CLI is not built yet; run `npm run build:cli` in the flowlab folder.');
  process.exit(2);
}
await import(entry);
