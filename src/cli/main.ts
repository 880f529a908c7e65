// Entry point of the bundled CLI (dist-cli/flowlab.js, launched by bin/flowlab.js).
// process.exit at the end: Dawn keeps native threads alive after the device is destroyed.

import { runCli } from './cli';

let finished = false;
// If the event loop drains while the run is still awaiting (a GPU promise that can never settle),
// Node would exit silently with code 13; say what happened instead.
process.on('beforeExit', () => {
  if (!finished) {
    process.stderr.write('\nflowlab: error: the run stalled (a GPU operation never completed); try FLOWLAB_BACKEND=cpu\n');
    process.exit(1);
  }
});

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
finished = true;
process.stdout.write('', () => process.exit(code));
