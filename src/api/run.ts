// One headless run of a validated config: check its memory budget, pick the backend, run the lab,
// release the device.
// runLab (src/index.ts) and `flowlab run` (src/cli/run-command.ts) both go through here, so a
// script and the CLI get the same snapshot for the same config and backend; runSweep runs each
// point through runOnBackend too.

import type { ExportFormat } from '../io/export';
import type { Snapshot } from '../io/snapshot-types';
import { checkMemoryBudget, type MemoryBudget } from '../labs/budget';
import type { LabDefinition } from '../labs/lab';
import { selectBackend, type BackendChoice } from './backend';
import type { BackendRequest } from './public';

export interface RunHooks {
  backend: BackendRequest;
  /** Called once the backend is chosen, before the run starts (the CLI reports it). */
  onBackend?: (choice: BackendChoice) => void;
  onProgress?: (fraction: number) => void;
  /** The run's memory budget (api/budget.ts memoryBudget): checked before anything is allocated. */
  budget: MemoryBudget;
  /** The format the snapshot will be written in (the CLI's --out): its encoding counts too. */
  output?: ExportFormat;
}

export async function runParsedLab<Config>(lab: LabDefinition<Config>, config: Config, hooks: RunHooks): Promise<Snapshot> {
  // Over budget: a MemoryBudgetError (a FieldError naming the fields that drive the size) before
  // a device is opened or an array allocated.
  checkMemoryBudget(lab, config, hooks.budget, { output: hooks.output });
  const choice = await selectBackend(hooks.backend);
  try {
    hooks.onBackend?.(choice);
    return await runOnBackend(lab, config, choice, hooks.onProgress);
  } finally {
    choice.gpu?.device.destroy();
  }
}

/**
 * One run of a validated config on a chosen backend (the caller owns the device): what
 * runParsedLab does for one run and runSweep (src/api/sweep.ts) for each point, so a sweep's run
 * is the snapshot `flowlab run` writes for the same config and backend.
 */
export async function runOnBackend<Config>(lab: LabDefinition<Config>, config: Config, choice: BackendChoice, onProgress?: (fraction: number) => void): Promise<Snapshot> {
  const snapshot = await lab.runHeadless(config, { gpu: choice.gpu, backend: choice.backend, onProgress });
  snapshot.meta.backendNote = choice.note;
  return snapshot;
}
