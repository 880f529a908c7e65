// lib/rng.wgsl on the GPU against src/math/rng.ts: Threefry-2x32-20 bit-exact (Random123 known
// answers plus random keys/counters), normal() within f32 accuracy of the float64 value.

import { describe, expect } from 'vitest';
import { normal, threefry2x32, INITIAL_STEP } from '../../src/math/rng';
import { ReadbackPool } from '../../src/gpu/readback';
import { GpuResources } from '../../src/gpu/resources';
import { STORAGE_RW } from '../../src/gpu/usage';
import { pipelineCacheFor } from '../../src/gpu/pipelines';
import { acquireTestGpu, gpuIt, testRandom } from './harness';
import type { GpuContext } from '../../src/gpu/device';

const env = await acquireTestGpu();

async function probe(gpu: GpuContext, words: Uint32Array): Promise<{ raw: Uint32Array; z: Float32Array }> {
  const n = words.length / 4;
  const { device } = gpu;
  const pipeline = await pipelineCacheFor(device).compute('test/rng-probe.wgsl', 'main');
  const res = new GpuResources(device, 'RngProbe');
  const pool = new ReadbackPool(device, 'RngProbe.readback');
  try {
    const input = res.buffer('inputs', words.byteLength, STORAGE_RW, words);
    const raw = res.buffer('raw', 8 * n, STORAGE_RW);
    // Exactly n floats: the probe bounds itself with arrayLength(&z).
    const z = device.createBuffer({ label: 'RngProbe.z', size: 4 * n, usage: STORAGE_RW });
    try {
      const encoder = device.createCommandEncoder({ label: 'RngProbe.encoder' });
      const pass = encoder.beginComputePass({ label: 'RngProbe.pass' });
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        device.createBindGroup({
          label: 'RngProbe.bindGroup',
          layout: pipeline.getBindGroupLayout(0),
          entries: [input, raw, z].map((buffer, binding) => ({ binding, resource: { buffer } })),
        }),
      );
      pass.dispatchWorkgroups(Math.ceil(n / 64));
      pass.end();
      device.queue.submit([encoder.finish()]);
      const [r, zz] = await Promise.all([pool.read(raw, 0, 8 * n), pool.read(z, 0, 4 * n)]);
      return { raw: new Uint32Array(r), z: new Float32Array(zz) };
    } finally {
      z.destroy();
    }
  } finally {
    pool.dispose();
    res.dispose();
  }
}

describe.skipIf(!env.gpu)(`lib/rng.wgsl on ${env.note}`, () => {
  gpuIt(env, 'threefry2x32 matches the Random123 known answers and the TypeScript version bit for bit', async (gpu) => {
    const kat: [number[], [number, number]][] = [
      [[0, 0, 0, 0], [0x6b200159, 0x99ba4efe]],
      [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
      [[0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
    ];
    const rand = testRandom(7);
    const n = 4096;
    const words = new Uint32Array(4 * n);
    kat.forEach(([w], i) => words.set(w, 4 * i));
    for (let i = 4 * kat.length; i < words.length; i++) words[i] = Math.floor(rand() * 2 ** 32);
    const { raw } = await probe(gpu, words);
    kat.forEach(([, want], i) => expect([raw[2 * i], raw[2 * i + 1]], `KAT ${i}`).toEqual(want));
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      const [a, b] = threefry2x32(words[4 * i], words[4 * i + 1], words[4 * i + 2], words[4 * i + 3]);
      if (a !== raw[2 * i] || b !== raw[2 * i + 1]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  gpuIt(env, 'normal(seed, particle, step, j) matches the float64 value to f32 accuracy', async (gpu) => {
    const rand = testRandom(11);
    const n = 16384;
    const words = new Uint32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const seed = i < 64 ? i : Math.floor(rand() * 2 ** 32);
      const particle = Math.floor(rand() * (i % 2 ? 1e6 : 2 ** 32));
      const step = i % 7 === 0 ? INITIAL_STEP : Math.floor(rand() * 1e5);
      const j = Math.floor(rand() * 8);
      words.set([seed, j, particle, step], 4 * i);
    }
    const { z } = await probe(gpu, words);
    // Tolerance: lib/rng.wgsl evaluates ln u1 and sin/cos(2 pi u2) itself from the integer bits
    // (no platform log/sin/cos, whose WGSL error bounds are 2^-21 and 2^-11 absolute), each to a
    // few f32 ulps, so z should agree to a few ulps: 1e-6 relative to max(|z|, 1) leaves margin.
    let worst = 0;
    let worstAt = -1;
    for (let i = 0; i < n; i++) {
      const want = normal(words[4 * i], words[4 * i + 2], words[4 * i + 3], words[4 * i + 1]);
      const tol = 1e-6 * Math.max(1, Math.abs(want));
      const r = Math.abs(z[i] - want) / tol;
      if (!(r <= worst)) {
        worst = r;
        worstAt = i;
      }
    }
    console.log(`normal(): worst |z_gpu - z_f64| / (1e-6 max(|z|, 1)) = ${worst.toFixed(3)} at input ${worstAt}`);
    expect(worst).toBeLessThan(1);
  });
});
