// The bilevel lab's numerics self-test on the user's adapter (src/labs/selftest.ts), with the
// error model of test/gpu/bilevel-solve.test.ts (tolerances.ts, shared with it):
//   solve.wgsl    BilevelSimulation, one small grid per family, vs solveMapReference
//   sincos.wgsl   shaders/lib/sincos.wgsl (which solve.wgsl uses for the LP's angle) through its
//                 probe kernel, vs Math.sin / Math.cos of the same f32 inputs
// sinCosProbe is also what the GPU test runs.

import type { GpuContext } from '../../gpu/device';
import { pipelineCacheFor } from '../../gpu/pipelines';
import { ReadbackPool } from '../../gpu/readback';
import { GpuResources } from '../../gpu/resources';
import { STORAGE_RW } from '../../gpu/usage';
import { applyPerturbation, selfTestRandom, timedCheck, worse, type KernelCheck, type SelfTestOptions } from '../selftest';
import { solveMapReference } from './reference';
import { BilevelSimulation } from './simulation';
import { TOL, compareBilevelMaps, sinCosTolerance } from './tolerances';
import { FAMILIES, type BilevelConfig, type BilevelMap } from './types';

const LAB = 'bilevel';
const GRID = 24;

/** Solves `config` on the GPU in two bands (as the page does) and reads the map back. */
async function gpuMap(gpu: GpuContext, config: BilevelConfig): Promise<BilevelMap> {
  const sim = await BilevelSimulation.create(gpu, config);
  try {
    const encoder = gpu.device.createCommandEncoder({ label: 'BilevelSelfTest.encoder' });
    sim.encodeReset(encoder);
    const half = config.grid.n >> 1;
    sim.encodeRows(encoder, 0, half);
    sim.encodeRows(encoder, half, config.grid.n);
    gpu.device.queue.submit([encoder.finish()]);
    return await sim.readMap();
  } finally {
    sim.dispose();
  }
}

/** Moves y at the first pixel the comparison looks at (no reference flag) by PERTURB_TOLERANCES tolerances. */
function perturbFirstCompared(options: SelfTestOptions | undefined, kernel: string, got: BilevelMap, want: BilevelMap): void {
  const pixels = want.n * want.n;
  for (let k = 0; k < pixels; k++) {
    if (want.fails[0][k] || want.fails[1][k] || want.fails[2][k]) continue;
    const y = got.y.subarray(k * want.ny, k * want.ny + 1);
    applyPerturbation(options, kernel, y, TOL * (1 + Math.abs(want.y[k * want.ny])));
    return;
  }
}

async function solveCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/solve`;
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${FAMILIES.length} families x ${GRID}x${GRID} grid`,
      tolerance: '2e-5 (1 + |value|), cusp y / SOSC scaled by 1/margin, unflagged pixels (test/gpu/bilevel-solve)',
    },
    async () => {
      let worst = 0;
      for (const [fi, family] of FAMILIES.entries()) {
        const config: BilevelConfig = { family, grid: { n: GRID, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0.2, seed: 11 + fi }, kappa: 1.5 };
        const got = await gpuMap(gpu, config);
        const want = solveMapReference(config);
        if (fi === 0) perturbFirstCompared(options, kernel, got, want);
        const r = compareBilevelMaps(config, got, want, family);
        // A flag or active set that must agree and does not: no tolerance covers it.
        const structural = r.problems.some((p) => /flag|active set|not finite/.test(p));
        worst = worse(worst, structural ? Infinity : Math.max(r.y, r.mu, r.margins));
      }
      return worst;
    },
  );
}

const SINCOS_COUNT = 2048;

async function sinCosCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/sincos`;
  return timedCheck(
    { lab: LAB, kernel, size: `${SINCOS_COUNT} arguments in [-16, 16]`, tolerance: '2 ulp + 1e-13 absolute (test/gpu/bilevel-solve)' },
    async () => {
      const rand = selfTestRandom(5);
      const xs = new Float32Array(SINCOS_COUNT);
      // Multiples of pi/32 (zeros of sin and cos, quadrant boundaries) first, then uniform.
      for (let i = 0; i < SINCOS_COUNT; i++) xs[i] = i < 512 ? ((i - 256) * Math.PI) / 32 : -16 + 32 * rand();
      const out = await sinCosProbe(gpu, xs);
      applyPerturbation(options, kernel, out, sinCosTolerance(Math.sin(xs[0])));
      let worst = 0;
      for (let i = 0; i < SINCOS_COUNT; i++) {
        const x = xs[i];
        worst = worse(worst, Math.abs(out[2 * i] - Math.sin(x)) / sinCosTolerance(Math.sin(x)));
        worst = worse(worst, Math.abs(out[2 * i + 1] - Math.cos(x)) / sinCosTolerance(Math.cos(x)));
      }
      return worst;
    },
  );
}

export async function selfTest(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]> {
  return [await solveCheck(gpu, options), await sinCosCheck(gpu, options)];
}

/** sin and cos (interleaved, 2 per input) of every f32 in `xs` by lib/sincos.wgsl, through shaders/bilevel/sincos-probe.wgsl. */
export async function sinCosProbe(gpu: GpuContext, xs: Float32Array): Promise<Float32Array> {
  const { device } = gpu;
  const pipeline = await pipelineCacheFor(device).compute('bilevel/sincos-probe.wgsl', 'main');
  const res = new GpuResources(device, 'SinCosProbe');
  const pool = new ReadbackPool(device, 'SinCosProbe.readback');
  try {
    const input = res.buffer('x', xs.byteLength, STORAGE_RW, xs);
    const out = res.buffer('out', 2 * xs.byteLength, STORAGE_RW);
    const encoder = device.createCommandEncoder({ label: 'SinCosProbe.encoder' });
    const pass = encoder.beginComputePass({ label: 'SinCosProbe.pass' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        label: 'SinCosProbe.bindGroup',
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: input, size: xs.byteLength } },
          { binding: 1, resource: { buffer: out, size: 2 * xs.byteLength } },
        ],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(xs.length / 64));
    pass.end();
    device.queue.submit([encoder.finish()]);
    return new Float32Array(await pool.read(out, 0, 2 * xs.byteLength));
  } finally {
    pool.dispose();
    res.dispose();
  }
}
