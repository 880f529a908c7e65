// Every shader file must compile on the device. (Each lab's struct layouts are checked against
// its WGSL in that lab's own test, e.g. test/gpu/score-mixing-layouts.test.ts.)

import { describe, expect } from 'vitest';
import { shaderPaths, shaderSource } from '../../src/gpu/shaders';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

describe.skipIf(!env.gpu)(`every shader compiles on ${env.note}`, () => {
  // lib/ snippets (and the benchmark's own, bench/lib/) rely on their includer's overrides (D, WG);
  // they compile as part of the kernels. The benchmark baselines under bench/ compile like the rest.
  const isSnippet = (p: string): boolean => p.startsWith('lib/') || p.startsWith('bench/lib/');
  gpuIt(env, 'no WGSL compilation errors', async (gpu) => {
    for (const path of shaderPaths().filter((p) => !isSnippet(p))) {
      const module = gpu.device.createShaderModule({ label: `Test.${path}`, code: shaderSource(path) });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      expect(errors.map((e) => `${path}:${e.lineNum}: ${e.message}`)).toEqual([]);
    }
  });

  gpuIt(env, 'the benchmark baseline kernel is among the compiled files', async () => {
    expect(shaderPaths()).toContain('bench/mixed-score-two-pass.wgsl');
    expect(shaderSource('bench/mixed-score-two-pass.wgsl')).toContain('// ---- begin bench/lib/denoise-two-pass.wgsl');
  });
});
