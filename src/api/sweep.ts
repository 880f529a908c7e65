// One sweep of a lab (runSweep in src/index.ts, `flowlab sweep` in src/cli/sweep-command.ts): the
// Cartesian product of the axes' values over a base config, each point a plain run.
//
//   1. plan (sweep-plan.ts): axes, shard, every point's config validated, memory budget of the
//      shard — all before a device is opened;
//   2. the backend is selected once and every point of the shard runs on it through runOnBackend,
//      the function runLab and `flowlab run` use: a point's arrays are the ones `flowlab run`
//      writes for the same config on the same backend, bit for bit;
//   3. the device is released and the runs become one snapshot (sweep-assemble.ts): stacked
//      arrays, or `<name>__<k>` per run for a shard or differing shapes; meta.json records the
//      axes, shape, points, shard and every run's config and meta.
// Progress is over the whole shard: (j + f) / n while its j-th of n runs reports f; never
// decreasing, ending at 1.

import { APP_VERSION } from '../io/app-version';
import type { Snapshot } from '../io/snapshot-types';
import type { MemoryBudget } from '../labs/budget';
import type { LabDefinition } from '../labs/lab';
import { selectBackend, type BackendChoice } from './backend';
import type { BackendRequest } from './public';
import { runOnBackend } from './run';
import { assembleSweep, type SweepRun } from './sweep-assemble';
import { checkSweepBudget, planSweep, type SweepNames, type SweepPlan } from './sweep-plan';

export interface SweepHooks {
  backend: BackendRequest;
  /** Called once the backend is chosen, before the first run (the CLI reports it). */
  onBackend?: (choice: BackendChoice) => void;
  /** Called after the plan is checked, before the backend is chosen (the CLI reports the points). */
  onPlan?: (plan: SweepPlan<unknown>) => void;
  onProgress?: (fraction: number) => void;
  budget: MemoryBudget;
  /** The names of the axes and shard in messages (--vary / options.vary). */
  names: SweepNames;
}

/**
 * Plan, check and run the sweep of `base` over `axes` (first = outermost), or of its shard; resolve
 * to the snapshot the CLI writes as .npz. Bad axes, shard, point configs or an over-budget shard
 * throw FieldErrors (SweepPointError, MemoryBudgetError) before any GPU work.
 */
export async function runParsedSweep<Config>(lab: LabDefinition<Config>, base: unknown, axes: unknown, shard: unknown, hooks: SweepHooks): Promise<Snapshot> {
  const plan = planSweep(lab, base, axes, shard, hooks.names);
  checkSweepBudget(lab, plan, hooks.budget, hooks.names);
  hooks.onPlan?.(plan as SweepPlan<unknown>);
  const start = performance.now();
  let shown = 0;
  const report = (fraction: number): void => {
    const f = Math.min(1, Math.max(shown, Number.isFinite(fraction) ? fraction : shown));
    shown = f;
    hooks.onProgress?.(f);
  };
  const n = plan.points.length;
  const runs: SweepRun[] = [];
  const choice = await selectBackend(hooks.backend);
  try {
    hooks.onBackend?.(choice);
    for (const [j, point] of plan.points.entries()) {
      const snapshot = await runOnBackend(lab, point.config, choice, (f) => report((j + Math.min(1, Math.max(0, f))) / n));
      runs.push({ index: point.index, config: snapshot.config, arrays: snapshot.arrays, meta: snapshot.meta });
      report((j + 1) / n);
    }
  } finally {
    choice.gpu?.device.destroy();
  }
  const layout = { lab: lab.id, appVersion: APP_VERSION, base: plan.base, axes: plan.axes, shape: plan.shape, shard: plan.shard };
  return assembleSweep(layout, runs, performance.now() - start);
}
