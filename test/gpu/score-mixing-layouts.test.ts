// The uniform/storage structs the score-mixing hosts pack (src/labs/score-mixing/gpu-common.ts,
// derived from one field list) must be declared identically in the WGSL that reads them.

import { describe, expect, it } from 'vitest';
import { shaderSource } from '../../src/gpu/shaders';
import {
  FieldParamsLayout,
  GenerateParamsLayout,
  ScoreParamsLayout,
  SplitScoreParamsLayout,
  StepCoefLayout,
} from '../../src/labs/score-mixing/gpu-common';
import { CulledScoreParamsLayout } from '../../src/labs/score-mixing/culled-score';

describe('score-mixing struct layouts', () => {
  const cases = [
    ['score-mixing/generate.wgsl', GenerateParamsLayout],
    ['score-mixing/generate.wgsl', StepCoefLayout],
    ['score-mixing/mixed-score.wgsl', ScoreParamsLayout],
    ['score-mixing/field.wgsl', FieldParamsLayout],
    ['score-mixing/mixed-score-culled.wgsl', CulledScoreParamsLayout],
    ['score-mixing/mixed-score-split.wgsl', SplitScoreParamsLayout],
  ] as const;
  for (const [path, layout] of cases) {
    it(`${layout.name} in ${path} is the layout the host packs`, () => {
      expect(shaderSource(path)).toContain(layout.wgsl());
    });
  }

  it('the three mixed-score kernels write their outputs through one snippet (lib/mixed-score-store.wgsl)', () => {
    for (const path of ['score-mixing/mixed-score.wgsl', 'score-mixing/mixed-score-culled.wgsl', 'score-mixing/mixed-score-split.wgsl']) {
      const src = shaderSource(path);
      expect(src, path).toContain('// ---- begin lib/mixed-score-store.wgsl');
      expect(src.split('fn storeMixedScore(').length - 1, path).toBe(1);
      expect(src.split('storeMixedScore(').length - 1, path).toBeGreaterThan(1);
    }
  });
});
