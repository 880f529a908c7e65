// Every shader file must compile on the device. (Each lab's struct layouts are checked against
// its WGSL in that lab's own test, e.g. test/gpu/score-mixing-layouts.test.ts.)

import { describe, expect } from 'vitest';
import { shaderPaths, shaderSource } from '../../src/gpu/shaders';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

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
