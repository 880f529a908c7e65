// shaders/render/trajectory-segments.wgsl through TrajectorySegmentsGpu against the CPU picture
// (view/geometry.ts picturePoints + view/picture.ts trajectorySegments): the same segments in the
// same order per part, for the 2-D colour layout (d = 2), the 3-D depth-axis layout (d = 2), d = 3,
// with a query row, the other sequences hidden, shown, and thinned by stride (a case with more than
// MAX_OTHER_SEGMENTS), and a non-finite state (the CPU skips the segment, the GPU marks it w = 0).

import { describe, expect, it } from 'vitest';
import { shaderSource } from '../../src/gpu/shaders';
import { pictureLayout, picturePoints, type DepthMode } from '../../src/labs/transformer/view/geometry';
import { MAX_OTHER_SEGMENTS, trajectorySegments } from '../../src/labs/transformer/view/picture';
import { SegmentParamsLayout, TrajectorySegmentsGpu } from '../../src/labs/transformer/view/segments-gpu';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

interface Case {
  name: string;
  L: number;
  batch: number;
  n: number;
  query: boolean;
  d: number;
  mode: DepthMode;
  selected: number;
  showOthers: boolean;
}

const CASES: Case[] = [
  { name: '2-D colour, d 2, others shown', L: 5, batch: 4, n: 3, query: false, d: 2, mode: 'colour', selected: 1, showOthers: true },
  { name: '3-D depth axis, d 2, query, others hidden', L: 4, batch: 3, n: 5, query: true, d: 2, mode: 'axis', selected: 2, showOthers: false },
  { name: 'd 3, query, others thinned by stride', L: 2000, batch: 40, n: 3, query: true, d: 3, mode: 'colour', selected: 2, showOthers: true },
];

it('the kernel declares the Params the host packs', () => {
  expect(shaderSource('render/trajectory-segments.wgsl')).toContain(SegmentParamsLayout.wgsl());
});

describe.skipIf(!env.gpu)('trajectory segments on the GPU', () => {
  for (const c of CASES) {
    gpuIt(env, c.name, async (gpu) => {
      const { device } = gpu;
      const rows = c.n + (c.query ? 1 : 0);
      const rand = testRandom(c.L * 31 + c.d);
      const states = Float32Array.from({ length: (c.L + 1) * c.batch * rows * c.d }, () => 4 * rand() - 2);
      states[((1 * c.batch + c.selected) * rows + 1) * c.d] = NaN; // layer 1, selected sequence, row 1
      const layout = pictureLayout(c.d, c.mode, 1.7);
      const shape = { L: c.L, batch: c.batch, rows, n: c.n, d: c.d };
      const spec = { ...shape, selected: c.selected, showOthers: c.showOthers, layout };
      const expected = trajectorySegments({ ...spec, points: picturePoints(states, c.L, c.batch, rows, c.d, layout) });
      if (c.L === 2000) expect((c.batch - 1) * rows * c.L).toBeGreaterThan(MAX_OTHER_SEGMENTS);

      const owner = await TrajectorySegmentsGpu.create(device, shape, 'Test');
      const stateBuf = device.createBuffer({ label: 'Test.states', size: states.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(stateBuf, 0, states);
      const seg = owner.configure(spec)!;
      const total = seg.parts.reduce((s, p) => s + p.count, 0);
      const read = device.createBuffer({ label: 'Test.read', size: 32 * total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder();
      owner.encode(encoder, stateBuf);
      encoder.copyBufferToBuffer(seg.buffer, 0, read, 0, 32 * total);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(read.getMappedRange().slice(0));
      read.unmap();
      read.destroy();
      stateBuf.destroy();
      owner.dispose();

      let worst = 0;
      let hidden = 0;
      expect(seg.parts.map((p) => p.name)).toEqual(expected.map((p) => p.name));
      for (const [i, part] of seg.parts.entries()) {
        const want = expected[i];
        const got: number[] = [];
        for (let s = part.first; s < part.first + part.count; s++) {
          const w0 = out[8 * s + 3];
          const w1 = out[8 * s + 7];
          expect(w0).toBe(w1);
          if (w0 === 0) {
            hidden++;
            continue;
          }
          for (const e of [0, 4]) for (let k = 0; k < 3; k++) got.push(out[8 * s + e + k]);
        }
        expect(got.length, `${part.name} segments drawn`).toBe(want.positions.length);
        for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - want.positions[j]));
        expect(part.opacity).toBe(want.opacity);
      }
      console.log(`${c.name}: ${total} segments, ${hidden} hidden, max |GPU - CPU| = ${worst}`);
      expect(hidden).toBeGreaterThan(0);
      expect(worst).toBeLessThanOrEqual(1e-6);
    }, 60_000);
  }
});
