// The score-mixing lab: two empirical measures, a mixed (or guided) score, particles generated
// from t = T down to tMin, and the stable critical points of Phi_lam they converge to.

import type { LabDefinition } from '../lab';
import { SCORE_MIXING_COMPARE_KEYS, parseConfig } from './config';
import { scoreMixingConvergence } from './convergence';
import { runHeadless } from './headless';
import { memoryEstimate } from './memory';
import { scoreMixingSnapshotSpec } from './snapshot-spec';
import { SCORE_MIXING_PARAMS, SCORE_MIXING_PRESETS, defaultScoreMixingConfig } from './params';
import type { ScoreMixingConfig } from './types';

export const scoreMixingLab: LabDefinition<ScoreMixingConfig> = {
  id: 'score-mixing',
  title: 'Score mixing and guidance',
  summary:
    'Diffusion sampling with the mixed score λ∇log u1 + (1−λ)∇log u2 of two empirical measures: ' +
    'mixture of experts (0 ≤ λ ≤ 1) and classifier-free guidance (λ > 1); particles converge at rate √t ' +
    'to the stable critical points of Φ_λ = λ d1² + (1−λ) d2².',
  params: SCORE_MIXING_PARAMS,
  presets: SCORE_MIXING_PRESETS,
  defaultConfig: defaultScoreMixingConfig,
  parseConfig,
  runHeadless,
  memoryEstimate,
  snapshotSpec: scoreMixingSnapshotSpec,
  // lambda side by side in one dispatch (a per-batch lambda in the generation kernels).
  compare: { keys: SCORE_MIXING_COMPARE_KEYS },
  convergence: scoreMixingConvergence,
  selfTest: (gpu, options) => import('./selftest').then((m) => m.selfTest(gpu, options)),
  // Browser only: the dynamic import keeps the page (three, d3, DOM) out of the Node bundle (the
  // CLI never calls loadPage).
  async loadPage() {
    const view = await import('./view');
    return view.default;
  },
};

export default scoreMixingLab;
