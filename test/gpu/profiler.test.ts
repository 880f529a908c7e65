// GpuProfiler on a real device: timed passes come back after the owner calls submitted(), both
// for passes given timestampWrites and for spans around passes encoded by others (timeSpan). On an
// adapter without 'timestamp-query' every method is a no-op and passMs() is undefined.

import { describe, expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { acquireNodeGpu } from '../../src/gpu/node-gpu';
import { GpuProfiler } from '../../src/gpu/profiler';
import { acquireTestGpu, gpuIt } from './harness';

const env = await acquireTestGpu();

/** Enough arithmetic per invocation that the pass takes measurable time even on a fast GPU. */
const BUSY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  var x = f32(id.x) * 1e-3;
  for (var i = 0u; i < 2048u; i++) { x = sin(x) * 0.999 + 0.001 * f32(i & 7u); }
  out[id.x] = x;
}`;

function busyPass(gpu: GpuContext, n: number) {
  const { device } = gpu;
  const module = device.createShaderModule({ label: 'ProfilerTest.busy', code: BUSY_WGSL });
  const pipeline = device.createComputePipeline({ label: 'ProfilerTest.pipeline', layout: 'auto', compute: { module, entryPoint: 'main' } });
  const out = device.createBuffer({ label: 'ProfilerTest.out', size: 4 * n, usage: GPUBufferUsage.STORAGE });
  const bindGroup = device.createBindGroup({ label: 'ProfilerTest.bindGroup', layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] });
  return {
    encode(encoder: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites) {
      const pass = encoder.beginComputePass({ label: 'ProfilerTest.pass', timestampWrites });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(n / 64));
      pass.end();
    },
    dispose: () => out.destroy(),
  };
}

/** Wait (without blocking the GPU) until `name` shows up in passMs(), or fail after `ms`. */
async function passTime(profiler: GpuProfiler, name: string, ms = 10_000): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    const v = profiler.passMs()?.[name];
    if (v !== undefined) return v;
    await profiler.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}

describe.skipIf(!env.gpu)(`GpuProfiler on ${env.note}`, () => {
  gpuIt(env, 'reports a positive time per named pass after submitted(), or undefined without timestamp-query', async (gpu) => {
    const { device } = gpu;
    const profiler = new GpuProfiler(device, 'ProfilerTest.profiler', { smoothing: 1 });
    const busy = busyPass(gpu, 1 << 14);
    try {
      expect(profiler.enabled).toBe(device.features.has('timestamp-query'));
      const encoder = device.createCommandEncoder({ label: 'ProfilerTest.encoder' });
      profiler.beginFrame();
      busy.encode(encoder, profiler.timestampWrites('busy'));
      profiler.timeSpan(encoder, 'span', () => busy.encode(encoder));
      busy.encode(encoder, profiler.timestampWrites('busy')); // same name twice: summed
      profiler.resolve(encoder);
      device.queue.submit([encoder.finish()]);
      profiler.submitted();
      if (!profiler.enabled) {
        expect(profiler.passMs()).toBeUndefined();
        return;
      }
      const busyMs = await passTime(profiler, 'busy');
      const spanMs = await passTime(profiler, 'span');
      expect(busyMs, 'ms of the two "busy" passes').toBeGreaterThan(0);
      expect(spanMs, 'ms of the timeSpan around one "busy" pass').toBeGreaterThan(0);
      expect(busyMs).toBeLessThan(10_000);
      expect(profiler.droppedFrames).toBe(0);
    } finally {
      busy.dispose();
      profiler.dispose();
    }
  });

  gpuIt(env, 'without submitted() the readback never starts (the two-phase contract)', async (gpu) => {
    const { device } = gpu;
    const profiler = new GpuProfiler(device, 'ProfilerTest.profiler', { smoothing: 1 });
    const busy = busyPass(gpu, 64);
    try {
      if (!profiler.enabled) return;
      const encoder = device.createCommandEncoder({ label: 'ProfilerTest.encoder' });
      profiler.beginFrame();
      busy.encode(encoder, profiler.timestampWrites('busy'));
      profiler.resolve(encoder);
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      await new Promise((r) => setTimeout(r, 50));
      expect(profiler.passMs()).toEqual({});
      profiler.submitted();
      expect(await passTime(profiler, 'busy')).toBeGreaterThanOrEqual(0);
    } finally {
      busy.dispose();
      profiler.dispose();
    }
  });

  gpuIt(env, 'is a no-op on a device without timestamp-query', async () => {
    const { context } = await acquireNodeGpu({ label: 'ProfilerTest.noTimestamps', optionalFeatures: [] });
    if (!context) return;
    try {
      const profiler = new GpuProfiler(context.device, 'ProfilerTest.off');
      expect(profiler.enabled).toBe(false);
      const encoder = context.device.createCommandEncoder({ label: 'ProfilerTest.offEncoder' });
      profiler.beginFrame();
      expect(profiler.timestampWrites('x')).toBeUndefined();
      let ran = false;
      profiler.timeSpan(encoder, 'y', () => (ran = true));
      expect(ran).toBe(true);
      profiler.resolve(encoder);
      context.device.queue.submit([encoder.finish()]);
      profiler.submitted();
      expect(profiler.passMs()).toBeUndefined();
      profiler.dispose();
    } finally {
      context.device.destroy();
    }
  });
});
