// The uniform/storage structs the hosts pack (src/labs/score-mixing/gpu-common.ts, derived from
// one field list) must be declared identically in the WGSL that reads them, and every shader file
// must compile on the device.

import { describe, expect, it } from 'vitest';
import { shaderPaths, shaderSource } from '../../src/gpu/shaders';
import {
  FieldParamsLayout,
  GenerateParamsLayout,
  ScoreParamsLayout,
  StepCoefLayout,
} from '../../src/labs/score-mixing/gpu-common';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

describe('score-mixing struct layouts', () => {
  const cases = [
    ['score-mixing/generate.wgsl', GenerateParamsLayout],
    ['score-mixing/generate.wgsl', StepCoefLayout],
    ['score-mixing/mixed-score.wgsl', ScoreParamsLayout],
    ['score-mixing/field.wgsl', FieldParamsLayout],
  ] as const;
  for (const [path, layout] of cases) {
    it(`${layout.name} in ${path} is the layout the host packs`, () => {
      expect(shaderSource(path)).toContain(layout.wgsl());
    });
  }
});

describe.skipIf(!env.gpu)(`every shader compiles on ${env.note}`, () => {
  // lib/ snippets rely on their includer's overrides (D, WG); they compile as part of the kernels.
  gpuIt(env, 'no WGSL compilation errors', async (gpu) => {
    for (const path of shaderPaths().filter((p) => !p.startsWith('lib/'))) {
      const module = gpu.device.createShaderModule({ label: `Test.${path}`, code: shaderSource(path) });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      expect(errors.map((e) => `${path}:${e.lineNum}: ${e.message}`)).toEqual([]);
    }
  });
});
