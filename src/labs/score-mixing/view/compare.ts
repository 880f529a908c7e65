// Compare mode on the score-mixing page (config.compare, src/labs/compare.ts). The model runs
// compared batches (one GPU dispatch for all batches, `flowlab run` / runLab / runHeadless), but
// the page does not draw them yet (per-batch colours, overlaid distance chart, stars per batch):
// until it does, it refuses such a config by name instead of silently running batch 0 alone and
// exporting a snapshot without the batch axis.

import { FieldError } from '../../schema';
import type { ScoreMixingConfig } from '../types';

/** Throws a FieldError naming `compare` when cfg compares lambdas (the page runs single configs). */
export function refuseCompareOnPage(cfg: ScoreMixingConfig): void {
  if (!cfg.compare) return;
  throw new FieldError(
    'compare',
    `{ key: ${JSON.stringify(cfg.compare.key)}, values: [${cfg.compare.values.join(', ')}] }`,
    'absent on the page for now: run compared lambdas with `flowlab run score-mixing --config <file> --out run.npz` or runLab (x gets a leading batch axis)',
  );
}
