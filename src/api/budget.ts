// The memory budget of a headless run (the library's runLab and the CLI): by default 3/4 of this
// machine's memory (os.totalmem(); the estimates of src/labs/*/memory.ts are upper bounds, so
// the rest is headroom for Node, the GPU driver and the system), or what the caller sets
// (runLab's maxMemory, the CLI's --max-memory). Node-only: the page has its own
// (src/app/memory-budget.ts), and src/labs/budget.ts, which checks it, knows neither.

import { totalmem } from 'node:os';
import { formatBytes, parseByteSize, type MemoryBudget } from '../labs/budget';

/** Fraction of the machine's memory a run may plan to use by default. */
export const DEFAULT_MEMORY_FRACTION = 0.75;

export interface BudgetRequest {
  /** Bytes, or a size with a unit ("512MiB", "8GiB", "2e9"); undefined: the default. */
  maxMemory?: number | string;
  /** The field that set maxMemory, for messages ("--max-memory", "options.maxMemory"). */
  field: string;
  /** How to raise the budget, in the caller's words ("raise it with --max-memory 32GiB"). */
  raise: string;
}

/** The budget a run is checked against: the caller's maxMemory, else DEFAULT_MEMORY_FRACTION of this machine's memory. */
export function memoryBudget(request: BudgetRequest): MemoryBudget {
  if (request.maxMemory !== undefined) {
    const bytes = parseByteSize(request.maxMemory, request.field);
    return { bytes, source: `${request.field} ${typeof request.maxMemory === 'string' ? request.maxMemory.trim() : request.maxMemory}`, raise: request.raise };
  }
  const total = totalmem();
  return {
    bytes: Math.floor(DEFAULT_MEMORY_FRACTION * total),
    source: `by default ${DEFAULT_MEMORY_FRACTION * 100}% of this machine's ${formatBytes(total)}`,
    raise: request.raise,
  };
}
