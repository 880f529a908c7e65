// The transformer lab: batches of token sequences transported through depth by attention (a
// mean-field limit of infinitely deep and wide transformers), heads trained by a conditional-
// Wasserstein gradient flow (exact discrete adjoint), Gaussian closed forms, and the
// log-sum-exp-modulo-affine NTK injectivity test. The page (view/: trajectories through depth,
// training, attention, head particles, NTK check) loads lazily through loadPage.

import type { LabDefinition } from '../lab';
import { parseConfig } from './config';
import { runHeadless } from './headless';
import { memoryEstimate } from './memory';
import { transformerSnapshotSpec } from './snapshot-spec';
import { TRANSFORMER_PARAMS, TRANSFORMER_PRESETS, defaultTransformerConfig } from './params';
import type { TransformerConfig } from './types';

export const transformerLab: LabDefinition<TransformerConfig> = {
  id: 'transformer',
  title: 'Infinitely deep and wide transformers',
  summary:
    'Tokens flow through depth s ∈ [0, 1] by attention dX/ds = mean over heads of V·softmax(⟨QX, KY⟩)Y (Euler/Heun, ' +
    'optional sphere); heads trained by a conditional-Wasserstein gradient flow θ ← θ − τLH ∂R/∂θ with the exact ' +
    'adjoint (teacher → student); NTK injectivity via linear independence of log-sum-exp features modulo affine functions.',
  params: TRANSFORMER_PARAMS,
  presets: TRANSFORMER_PRESETS,
  defaultConfig: defaultTransformerConfig,
  parseConfig,
  runHeadless,
  memoryEstimate,
  snapshotSpec: transformerSnapshotSpec,
  selfTest: (gpu, options) => import('./selftest').then((m) => m.selfTest(gpu, options)),
  // Browser only: the dynamic import keeps three, d3 and the DOM out of the Node bundle (the CLI
  // never calls loadPage; vite.cli.config.ts stubs ./view).
  async loadPage() {
    const view = await import('./view');
    return view.default;
  },
};

export default transformerLab;
