// The page's memory budget. A tab is far more constrained than a Node process: besides the run's
// arrays it holds the GPU buffers, their readback copies, the display and the history the page
// keeps for charts and snapshots (each lab's memoryEstimate with { page: true } counts them).
// The budget is half the device memory the browser reports (navigator.deviceMemory, Chromium:
// GiB, rounded and capped at 8), between 1 and 4 GiB; 2 GiB where it reports nothing. Every lab
// the shell holds checks it in parseConfig (budgetedLabs), so links, the panel, presets, page
// edits and imported snapshots are all refused alike when over it, naming the fields that drive
// the size; larger runs belong to the CLI (flowlab run --max-memory).

import { withMemoryBudget, type MemoryBudget } from '../labs/budget';
import type { AnyLab } from './shell-parts';

const GiB = 2 ** 30;
export const PAGE_BUDGET_DEFAULT = 2 * GiB;
export const PAGE_BUDGET_MIN = 1 * GiB;
export const PAGE_BUDGET_MAX = 4 * GiB;

/** The page's budget for a browser reporting `deviceMemoryGiB` (undefined: it reports nothing). */
export function pageMemoryBudget(deviceMemoryGiB: number | undefined = readDeviceMemory()): MemoryBudget {
  const raise = 'run it with the CLI instead (flowlab run --max-memory), which can use more of this machine';
  if (typeof deviceMemoryGiB !== 'number' || !(deviceMemoryGiB > 0)) {
    return { bytes: PAGE_BUDGET_DEFAULT, source: "this page's budget; the browser does not report its memory", raise };
  }
  const bytes = Math.min(PAGE_BUDGET_MAX, Math.max(PAGE_BUDGET_MIN, (deviceMemoryGiB * GiB) / 2));
  return { bytes, source: `this page's budget: half of the ${deviceMemoryGiB} GiB the browser reports, within [1, 4] GiB`, raise };
}

function readDeviceMemory(): number | undefined {
  const nav = (globalThis as { navigator?: { deviceMemory?: unknown } }).navigator;
  return typeof nav?.deviceMemory === 'number' ? nav.deviceMemory : undefined;
}

/** The labs as the shell holds them: parseConfig also checks the page's memory budget. */
export function budgetedLabs(labs: readonly AnyLab[], budget: MemoryBudget = pageMemoryBudget()): AnyLab[] {
  return labs.map((lab) => withMemoryBudget(lab, budget, { page: true }));
}
