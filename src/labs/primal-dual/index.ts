// The primal-dual lab: Nesterov-accelerated primal-dual dynamics with damping alpha/t for
// min f(x) s.t. Ax = b, f convex without a Lipschitz gradient; the float64 KKT point, the energy
// E(t), the theta window [1/(alpha-1), 1/2] and the O(1/t^2) / o(1/t^2) rates.

import type { LabDefinition } from '../lab';
import { PRIMAL_DUAL_COMPARE_KEYS } from './batches';
import { parseConfig } from './config';
import { primalDualConvergence } from './convergence';
import { runHeadless } from './headless';
import { memoryEstimate } from './memory';
import { primalDualSnapshotSpec } from './snapshot-spec';
import { PRIMAL_DUAL_PARAMS, PRIMAL_DUAL_PRESETS, defaultPrimalDualConfig } from './params';
import type { PrimalDualConfig } from './types';

export const primalDualLab: LabDefinition<PrimalDualConfig> = {
  id: 'primal-dual',
  title: 'Accelerated primal-dual dynamics',
  summary:
    'Nesterov-accelerated primal-dual dynamics x″ + (α/t)x′ + ∇f(x) + Aᵀ(λ + θtλ′) + βAᵀ(Ax − b) = 0, ' +
    'λ″ + (α/t)λ′ = A(x + θtx′) − b for min f(x) s.t. Ax = b with non-Lipschitz ∇f (quartic, Hölder, exp): ' +
    'energy, the θ window [1/(α−1), 1/2], and O(1/t²) vs o(1/t²) rates of gap, ‖Ax − b‖ and |f − f*|.',
  params: PRIMAL_DUAL_PARAMS,
  presets: PRIMAL_DUAL_PRESETS,
  defaultConfig: defaultPrimalDualConfig,
  parseConfig,
  runHeadless,
  memoryEstimate,
  snapshotSpec: primalDualSnapshotSpec,
  compare: { keys: PRIMAL_DUAL_COMPARE_KEYS },
  convergence: primalDualConvergence,
  selfTest: (gpu, options) => import('./selftest').then((m) => m.selfTest(gpu, options)),
  // Browser only: the dynamic import keeps the page (view/: three, d3, DOM) out of the Node
  // bundle (the CLI never calls loadPage).
  async loadPage() {
    const view = await import('./view');
    return view.default;
  },
};

export default primalDualLab;
