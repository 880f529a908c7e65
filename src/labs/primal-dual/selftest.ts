// The primal-dual lab's numerics self-test on the user's adapter (src/labs/selftest.ts):
// dynamics.wgsl through runPrimalDualOnGpu against runPrimalDualReference on two presets shrunk to
// 150 steps (the quartic test instance with each integrator, the Hölder objective with rotation), every
// recorded array compared with the tolerances of test/gpu/primal-dual.test.ts (tolerances.ts,
// shared with it). All three steppers (INTEGRATOR = 0 rotation, 1 RK4, 2 suzuki4) are checked.

import type { GpuContext } from '../../gpu/device';
import { applyPerturbation, timedCheck, worse, worstRatio, type KernelCheck, type SelfTestOptions } from '../selftest';
import { runSetup } from './config';
import { PRIMAL_DUAL_PRESETS } from './params';
import { runPrimalDualReference } from './reference';
import { runPrimalDualOnGpu } from './simulation';
import { STATE_TOL, dynamicsComparisons } from './tolerances';

const LAB = 'primal-dual';
const COUNT = 48;
const CASES = [
  { preset: 'test-instance', integrator: 'rotation', h: 0.02 },
  { preset: 'holder', integrator: 'rotation', h: 0.01 },
  { preset: 'test-instance', integrator: 'rk4', h: 0.02 },
  { preset: 'test-instance', integrator: 'suzuki4', h: 0.02 },
] as const;
const STEPS = 150;

export async function selfTest(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]> {
  const kernel = `${LAB}/dynamics`;
  const check = await timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${CASES.length} runs (quartic, Hölder; quartic with RK4 and suzuki4; n 4, m 2) x ${COUNT} trajectories x ${STEPS} steps, rotation, RK4 and suzuki4`,
      tolerance: `state ${STATE_TOL} abs; E, gap, f - f* 1e-4 rel + 1e-6 (f32 rounding over K steps, test/gpu/primal-dual)`,
    },
    async () => {
      let worst = 0;
      for (const [ci, c] of CASES.entries()) {
        const preset = PRIMAL_DUAL_PRESETS.find((p) => p.id === c.preset);
        if (!preset) throw new Error(`primal-dual self-test: no preset '${c.preset}'`);
        const { prob, params, init } = runSetup({
          ...structuredClone(preset.config),
          integrator: c.integrator,
          h: c.h,
          T: (preset.config.t0 ?? 1) + STEPS * c.h,
          initial: { count: COUNT, seed: 7 + ci, spread: 0.5 },
          record: 4,
        });
        const want = runPrimalDualReference(prob, params, init, 4);
        const got = await runPrimalDualOnGpu(gpu, prob, params, init, 4);
        if (ci === 0) applyPerturbation(options, kernel, got.x, STATE_TOL);
        for (const [, a, b, tol] of dynamicsComparisons(got, want)) worst = worse(worst, worstRatio(a, b, tol));
      }
      return worst;
    },
  );
  return [check];
}
