// The bilevel lab: maps over a two-parameter upper-level variable x of where the regularity
// conditions of a constrained lower-level problem (LICQ, strict complementarity, SOSC) fail; the
// rigidity witness ("at every x" is not prevalent), random perturbations ("at almost every x" is)
// and the 1-D gap demo (an upper level minimised exactly on the failure set).

import type { LabDefinition } from '../lab';
import { parseConfig } from './config';
import { runHeadless } from './headless';
import { memoryEstimate } from './memory';
import { bilevelSnapshotSpec } from './snapshot-spec';
import { BILEVEL_PARAMS, BILEVEL_PRESETS, defaultBilevelConfig } from './params';
import type { BilevelConfig } from './types';

export const bilevelLab: LabDefinition<BilevelConfig> = {
  id: 'bilevel',
  title: 'Regularity maps of bilevel lower levels',
  summary:
    'For x in a 2-D box, the lower level min_y g(x, y) s.t. h(x, y) ≤ 0 solved exactly at every pixel (QP, disk, abs, cusp, LP): ' +
    'active-set map, where LICQ, strict complementarity and SOSC fail, how the failure fractions halve under refinement, the ' +
    'rigidity witness between two different active sets, random perturbations, and the hypergradient jump of the 1-D gap demo.',
  params: BILEVEL_PARAMS,
  presets: BILEVEL_PRESETS,
  defaultConfig: defaultBilevelConfig,
  parseConfig,
  runHeadless,
  memoryEstimate,
  snapshotSpec: bilevelSnapshotSpec,
  selfTest: (gpu, options) => import('./selftest').then((m) => m.selfTest(gpu, options)),
  // Browser only: the dynamic import keeps the page (d3, DOM) out of the Node bundle.
  async loadPage() {
    const view = await import('./view');
    return view.default;
  },
};

export default bilevelLab;
