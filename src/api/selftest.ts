// runSelfTest: the numerics self-test of every lab (or some) on a WebGPU adapter — each compute
// kernel at a small size against its float64 reference (src/labs/<lab>/selftest.ts). The library
// entry (src/index.ts) and `flowlab selftest` (src/cli/selftest-command.ts) both call this; the
// page's "Self-test" button runs the same runLabSelfTests on the page's device.

import type { GpuContext } from '../gpu/device';
import { LABS } from '../labs/registry';
import { runLabSelfTests } from '../labs/selftest';
import { selectBackend } from './backend';
import type { RunSelfTestOptions, SelfTestReport } from './public';

/**
 * Runs the checks on options.gpu, or on the machine's adapter (acquired as backend 'gpu' and
 * destroyed afterwards; none: BackendUnavailableError). Unknown labs or a perturb naming no kernel
 * throw FieldError.
 */
export async function runSelfTest(options: RunSelfTestOptions = {}): Promise<SelfTestReport> {
  const given = options.gpu as GpuContext | undefined;
  const gpu = given ?? (await selectBackend('gpu')).gpu;
  if (!gpu) throw new Error('runSelfTest: no GPU context'); // selectBackend('gpu') throws before this
  try {
    const checks = await runLabSelfTests(LABS, gpu, { labs: options.labs, perturb: options.perturb });
    return { adapter: gpu.adapterDescription, checks, pass: checks.every((c) => c.pass) };
  } finally {
    if (!given) gpu.device.destroy();
  }
}
