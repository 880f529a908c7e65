// `flowlab convergence <lab> --config c.json [--set k=v ...] [--integrators a,b] [--steps 4,8 | --h 0.02,0.01]
//   [--tols 1e-3,1e-4] --out conv.npz`: the lab's convergence study (src/labs/convergence.ts) through
// the library (src/api/convergence.ts), written as .npz or .json. Prints one row per integrator
// (fitted order, error at each resolution) on stderr unless --quiet.

import { exportSnapshotParts, type ExportFormat } from '../io/export';
import { FieldError } from '../io/field-error';
import type { Snapshot } from '../io/snapshot-types';
import { getLab } from '../labs/registry';
import { studyOf, runParsedConvergence } from '../api/convergence';
import { UsageError, type ParsedArgs } from './args';
import { backendRequest } from './backend';
import { cliMemoryBudget, outPath, outputFormat, rawConfigOf } from './config-input';
import { ProgressReporter } from './progress';
import { human, writeParts, type CliIo } from './run-command';

const ALLOWED_FLAGS = new Set(['config', 'preset', 'out', 'format', 'integrators', 'steps', 'h', 'tols', 'backend', 'max-memory', 'quiet']);

/** "a,b,c" -> ['a', 'b', 'c']; an empty list or an empty item is named by its flag. */
export function listFlag(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new UsageError(`--${flag}: got ${JSON.stringify(text)}; allowed: a comma-separated list of values, none empty`);
  return items;
}

/** "4,8,16" -> [4, 8, 16]; an item that is not a number is named. */
export function numberListFlag(flag: string, text: string): number[] {
  return listFlag(flag, text).map((s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new UsageError(`--${flag}[${i}]: got ${JSON.stringify(s)}; allowed: a finite number`);
    return v;
  });
}

function summary(snapshot: Snapshot): string {
  const names = (snapshot.meta.integrators as string[] | undefined) ?? [];
  const order = snapshot.arrays.order?.data;
  const error = snapshot.arrays.error;
  const k = error ? error.shape[1] : 0;
  const exp = (v: number | bigint): string => Number(v).toExponential(2);
  const lines = names.map((name, i) => {
    const errs = error ? Array.from(error.data.subarray(i * k, (i + 1) * k), exp).join(' ') : '';
    const o = order ? Number(order[i]) : NaN;
    return `  ${name.padEnd(10)} order ${Number.isFinite(o) ? o.toFixed(2) : '  - '}   error ${errs}`;
  });
  const { adaptive_tol: tol, adaptive_error: aErr, adaptive_evaluations: aEval } = snapshot.arrays;
  if (tol && aErr && aEval) {
    const points = Array.from(tol.data, (t, j) => `tol ${exp(t)}: ${exp(aErr.data[j])} in ${Number(aEval.data[j]).toFixed(0)} evaluations`);
    lines.push(`  ${'adaptive'.padEnd(10)} ${points.join('; ')}`);
  }
  return lines.join('\n') + '\n';
}

export async function convergenceCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const labId = args.positionals[0];
  if (!labId) throw new UsageError('flowlab convergence: missing <lab> (score-mixing or primal-dual)');
  if (args.positionals.length > 1) throw new UsageError(`flowlab convergence: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const lab = getLab(labId);
  if (!lab.convergence) throw new UsageError(`flowlab convergence: lab ${JSON.stringify(lab.id)} has no convergence study (labs with one: score-mixing, primal-dual)`);
  const study = studyOf(lab);
  for (const flag of args.flags.keys()) {
    if (!ALLOWED_FLAGS.has(flag)) throw new UsageError(`flowlab convergence: --${flag} does not apply (options: ${[...ALLOWED_FLAGS].map((f) => `--${f}`).join(', ')})`);
  }
  if (args.varies.length > 0) throw new UsageError('flowlab convergence: --vary does not apply (use flowlab sweep)');
  const otherAxis = study.axis === 'steps' ? 'h' : 'steps';
  if (args.flags.has(otherAxis)) throw new UsageError(`flowlab convergence ${lab.id}: --${otherAxis} does not apply; this study's resolutions are --${study.axis}`);

  const out = outPath(args, 'convergence', 'file.npz|.json');
  const format: ExportFormat = outputFormat(out, args.flags.get('format'));
  if (format === 'csv') throw new UsageError(`--out: got ${JSON.stringify(out)}; allowed: a .npz or .json file (a study has arrays of several shapes)`);

  const integratorsText = args.flags.get('integrators');
  const resolutionsText = args.flags.get(study.axis);
  const tolsText = args.flags.get('tols');
  const request = {
    integrators: integratorsText !== undefined ? listFlag('integrators', integratorsText) : [...study.defaultIntegrators],
    resolutions: resolutionsText !== undefined ? numberListFlag(study.axis, resolutionsText) : [...study.defaultResolutions],
    ...(tolsText !== undefined ? { tolerances: numberListFlag('tols', tolsText) } : {}),
  };

  const raw = rawConfigOf(args, lab, 'convergence');
  const budget = cliMemoryBudget(args.flags.get('max-memory'));
  const config = lab.parseConfig(raw);
  const quiet = args.flags.has('quiet');
  const progress = new ProgressReporter(`flowlab convergence ${lab.id}`, io.stderr, !quiet);
  const snapshot = await runParsedConvergence(lab, config, request, {
    backend: backendRequest(args.flags.get('backend'), io.env.FLOWLAB_BACKEND),
    onBackend: (choice) => {
      if (!quiet) io.stderr.write(`flowlab: backend ${choice.backend}: ${choice.note}\n`);
    },
    onProgress: (f) => progress.update(f),
    budget,
  }).catch((e: unknown) => {
    // A request error names a flag (--steps[1], --tols): a usage error, not an "invalid config".
    if (e instanceof FieldError && e.field.startsWith('--')) throw new UsageError(e.message);
    throw e;
  });
  progress.done();
  const bytes = writeParts(out, exportSnapshotParts(snapshot, format));
  if (!quiet) io.stderr.write(`${summary(snapshot)}flowlab: wrote ${out} (${human(bytes)})\n`);
  return 0;
}
