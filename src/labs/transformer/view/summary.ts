// The transformer page's one-sentence summary (RunStatus.summary, announced by the shell's aria-live
// region): the risk at the completed iteration and the latest lambda_min of the empirical NTK, or
// what a run without a task shows. DOM-free; the iteration is status().step, the captions' count.

import type { TransformerModel } from '../types';
import type { LambdaPoint } from './charts';

/** Two significant digits, e.g. 3.2e-2. */
const short = (v: number): string => (Number.isFinite(v) ? v.toExponential(1).replace('e+', 'e') : String(v));

/**
 * "risk 3.2e-2 at iteration 40, lambda_min 1.1e-3": the risk of `iteration` (or the latest one
 * known before it) and the newest lambda_min at or before it; without a task, the forward pass.
 */
export function runSummary(model: TransformerModel, iteration: number, risk: readonly (number | undefined)[], lambda: readonly LambdaPoint[]): string {
  const { batch, n } = model.tokens;
  if (!model.targets) return `forward pass only (no task): ${batch} sequences of ${n} tokens through ${model.heads.L} layers`;
  let at = Math.min(iteration, risk.length - 1);
  while (at >= 0 && !Number.isFinite(risk[at])) at--;
  const parts = [at >= 0 ? `risk ${short(risk[at] as number)} at iteration ${at}` : `iteration ${iteration}, risk not read back yet`];
  let last: LambdaPoint | undefined;
  for (const p of lambda) if (p[0] <= iteration) last = p;
  if (last) parts.push(`lambda_min ${short(last[1])}`);
  return parts.join(', ');
}
