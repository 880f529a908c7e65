// Shared harness of the GPU tests: one device per test file, every case inside validation and
// out-of-memory error scopes, and a leak check on GPU buffers (webgpu-utils' habit).
//
// Usage, at the top of a test file:
//   const env = await acquireTestGpu();
//   describe.skipIf(!env.gpu)('...', () => { gpuIt(env, 'name', async (gpu) => { ... }); });
// No adapter: the file fails when process.env.CI is set (a CI machine must test the kernels)
// and is skipped with a printed reason otherwise (e.g. a laptop without Vulkan).

import { afterAll, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import { mulberry32 } from '../../src/math/mulberry32';

export interface GpuTestEnv {
  gpu: GpuContext | null;
  /** How the adapter was found, or why not. */
  note: string;
  /** Labels of the buffers created through the device and not yet destroyed. */
  liveBuffers(): string[];
}

export async function acquireTestGpu(): Promise<GpuTestEnv> {
  const { context, note } = await acquireNodeGpu({ label: 'Test.device' });
  if (!context) {
    if (process.env.CI) throw new Error(`GPU tests need a WebGPU adapter in CI, but none was found: ${note}`);
    console.warn(`[gpu tests skipped] no WebGPU adapter: ${note}`);
    return { gpu: null, note, liveBuffers: () => [] };
  }
  const live = trackBuffers(context.device);
  const uncaptured: string[] = [];
  context.device.addEventListener('uncapturederror', (e) => {
    uncaptured.push((e as GPUUncapturedErrorEvent).error.message);
  });
  afterAll(() => {
    expect(uncaptured, 'uncaptured GPU errors').toEqual([]);
    context.device.destroy();
  });
  return { gpu: context, note: `${context.adapterDescription}; ${note}`, liveBuffers: () => [...live].map((b) => b.label) };
}

/** Counts live buffers by wrapping createBuffer and each buffer's destroy. */
function trackBuffers(device: GPUDevice): Set<GPUBuffer> {
  const live = new Set<GPUBuffer>();
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor) => {
    const buffer = create(desc);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  return live;
}

/**
 * A test case with the device's error scopes around it. Fails on any validation or
 * out-of-memory error and on buffers the case created but did not destroy.
 */
export function gpuIt(env: GpuTestEnv, name: string, body: (gpu: GpuContext) => Promise<void>, timeout?: number): void {
  it(
    name,
    async () => {
      const gpu = env.gpu;
      if (!gpu) return;
      const before = new Set(env.liveBuffers());
      gpu.device.pushErrorScope('out-of-memory');
      gpu.device.pushErrorScope('validation');
      let failure: unknown = null;
      try {
        await body(gpu);
      } catch (e) {
        failure = e;
      }
      const validation = await gpu.device.popErrorScope();
      const oom = await gpu.device.popErrorScope();
      if (failure) throw failure;
      expect(validation?.message ?? null, 'WebGPU validation error').toBeNull();
      expect(oom?.message ?? null, 'WebGPU out-of-memory error').toBeNull();
      const leaked = env.liveBuffers().filter((l) => !before.has(l));
      expect(leaked, 'GPU buffers created by this case and not destroyed').toEqual([]);
    },
    timeout,
  );
}

/** Largest |a_i - b_i| / tol_i, with the index: < 1 means every element is within tolerance. */
export function worstRatio(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: (i: number) => number,
): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / tol(i);
    if (!(r <= ratio)) {
      ratio = Number.isNaN(r) ? Infinity : r;
      index = i;
    }
  }
  return { ratio, index };
}

/** A small deterministic PRNG for test inputs (mulberry32); not the simulation's noise. */
export const testRandom = mulberry32;
