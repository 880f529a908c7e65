#!/usr/bin/env node
// Thin launcher: the CLI is bundled by `npm run build:cli`. In a checkout scripts/setup.sh, `npm test`
// and `npm run build` run it; `npm pack` runs it too (prepack), so an installed package carries
// dist-cli/ and needs no build tools.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist-cli/flowlab.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('flowlab: the CLI is not built yet; run `npm run build:cli` in the flowlab folder.');
  process.exit(2);
}
await import(entry);
