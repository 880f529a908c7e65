// shaders/bilevel/solve.wgsl (through BilevelSimulation) against the float64 reference
// (solveMapReference, src/labs/bilevel/reference.ts) on random grids of every family, plus
// shaders/lib/sincos.wgsl against Math.sin/cos.
//
// Float32 error model (the tolerances below):
//  * The GPU sees the pixel centres, q, d and tau rounded once to f32 (relative 2^-24 = EPS;
//    |x| <= 3, |q|, |d| <= 0.3).
//  * Every output is a short closed form: O(10) flops on values of size O(1..10) (p(x) <= ~7.5, the
//    ceiling <= ~3.6, the LP angle phi <= ~12, whose rounding (~1e-6 absolute) moves cos/sin phi by
//    as much). With sin/cos from lib/sincos.wgsl (a few ulps), each of y, mu, slacks and therefore
//    the min/max-built LICQ/SCSC margins is off by at most ~20 flops x 12 x EPS ~ 1.4e-5 absolute
//    in the worst linear accumulation (typically ~1e-6): TOL = 2e-5 (1 + |value|) holds it.
//  * Conditioning: where the active set is the same, the formulas are Lipschitz in their inputs
//    with constants O(1), except the cusp, whose root z of f(z) = z^3 + x1 z - |b| moves by
//    delta f / f'(z), f' = 3 y^2 + x1 = the SOSC margin: TOL for the cusp's y is multiplied by
//    max(1, 1 / margin_sosc) (margin_sosc >= tau at unflagged pixels), and its SOSC margin's by
//    6 |y| on top.
//  * Where a margin is within rounding of 0 the solution is not determined to f32 (two candidate
//    active sets KKT to rounding, the disk's inside/outside test): those pixels are flagged by the
//    float64 reference itself (margin < tau), so y, mu, margins and the active set are compared
//    only at pixels the reference does not flag (any condition). Flags: the GPU's flags must
//    equal the reference's except where the reference margin lies within TOL-noise of tau.
// Checked: the GPU's counts equal the number of flags in its own codes exactly.

import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { ReadbackPool } from '../../src/gpu/readback';
import { GpuResources } from '../../src/gpu/resources';
import { STORAGE_RW } from '../../src/gpu/usage';
import { pipelineCacheFor } from '../../src/gpu/pipelines';
import { shaderSource } from '../../src/gpu/shaders';
import { flagThreshold, perturbationOf } from '../../src/labs/bilevel/config';
import { cuspObjective, solveMapReference } from '../../src/labs/bilevel/reference';
import { BilevelParamsLayout, BilevelSimulation, FAMILY_INDEX, solveMapOnGpu } from '../../src/labs/bilevel/simulation';
import { FAMILIES, FAMILY_DIMS, type BilevelConfig, type BilevelMap, type Family } from '../../src/labs/bilevel/types';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

const TOL = 2e-5;
const EPS = 2 ** -24;

/** Solve `config` on the GPU in a few uneven bands (as the page does), then read the map back. */
async function gpuMap(gpu: GpuContext, config: BilevelConfig, bands = 3): Promise<BilevelMap> {
  const sim = await BilevelSimulation.create(gpu, config);
  try {
    const n = config.grid.n;
    const encoder = gpu.device.createCommandEncoder({ label: 'Test.bilevelEncoder' });
    sim.encodeReset(encoder);
    // Bands encoded back to back into one encoder: each dispatch must see its own row range.
    const cuts = [0, ...Array.from({ length: bands - 1 }, (_, b) => Math.floor(((b + 1) * n * (b + 2)) / ((bands + 1) * bands))), n];
    for (let b = 0; b + 1 < cuts.length; b++) sim.encodeRows(encoder, cuts[b], Math.max(cuts[b], cuts[b + 1]));
    gpu.device.queue.submit([encoder.finish()]);
    const map = await sim.readMap();
    const counts = await sim.readCounts();
    // The workgroup-reduced counts are exact: they equal the flags in the GPU's own codes.
    for (let c = 0; c < 3; c++) expect(counts[c], `fail count ${c}`).toBe(map.fails[c].reduce((a, v) => a + v, 0));
    expect(counts.map((c) => c / (n * n))).toEqual(map.fraction);
    return map;
  } finally {
    sim.dispose();
  }
}

interface Report {
  y: number;
  mu: number;
  margins: number;
  compared: number;
  flagged: number;
  /** Pixels whose GPU flags differ from the reference's (each within noise of tau). */
  flagMismatches: number;
  /** Flagged pixels whose GPU active set differs from the reference's. */
  activeMismatches: number;
}

/** Compares a GPU map with the float64 one; returns the worst |gpu - ref| / tol per quantity. */
function compareMaps(config: BilevelConfig, got: BilevelMap, want: BilevelMap, label: string): Report {
  const { n, ny, m } = want;
  const family = config.family;
  const tau = flagThreshold(config);
  const b0 = perturbationOf(config).q[0] ?? 0;
  const report: Report = { y: 0, mu: 0, margins: 0, compared: 0, flagged: 0, flagMismatches: 0, activeMismatches: 0 };
  const worse = (key: 'y' | 'mu' | 'margins', gotV: number, wantV: number, tol: number, what: string): void => {
    const r = gotV === wantV ? 0 : Math.abs(gotV - wantV) / tol;
    if (!(r <= 1)) {
      expect.fail(`${label}: ${what}: GPU ${gotV} vs float64 ${wantV} (tol ${tol.toExponential(2)})`);
    }
    report[key] = Math.max(report[key], r);
  };
  for (let i1 = 0; i1 < n; i1++) {
    for (let i2 = 0; i2 < n; i2++) {
      const k = i1 * n + i2;
      const at = `pixel (${i1}, ${i2}) x = (${want.x1[i1]}, ${want.x2[i2]})`;
      // Every flag agrees unless the reference margin is within noise of tau.
      for (let c = 0; c < 3; c++) {
        const mg = want.margins[c][k];
        if (got.fails[c][k] !== want.fails[c][k]) {
          report.flagMismatches++;
          const noise = marginTol(family, c, want, k);
          expect(Math.abs(mg - tau), `${label}: ${at}: flag ${c} differs but margin ${mg} is not within ${noise} of tau ${tau}`).toBeLessThanOrEqual(noise);
        }
      }
      if (want.fails[0][k] || want.fails[1][k] || want.fails[2][k]) {
        report.flagged++;
        if (got.active[k] !== want.active[k]) report.activeMismatches++;
        for (let j = 0; j < ny; j++) expect(Number.isFinite(got.y[k * ny + j]), `${label}: ${at}: y finite`).toBe(true);
        continue;
      }
      report.compared++;
      expect(got.active[k], `${label}: ${at}: active set`).toBe(want.active[k]);
      const cuspCond = family === 'cusp' ? Math.max(1, 1 / want.margins[2][k]) : 1;
      const x1 = want.x1[i1];
      const b = want.x2[i2] + b0;
      if (family === 'cusp' && x1 < 0 && Math.abs(b) <= 8 * EPS * (Math.abs(want.x2[i2]) + Math.abs(b0))) {
        // The Maxwell set b = 0, x1 < 0: two global minimisers +-sqrt(-x1); which one a rounding
        // of b picks is arbitrary, so compare the objective values (the margins do not depend on the sign).
        const g = cuspObjective(got.y[k], x1, b);
        const gw = cuspObjective(want.y[k], x1, b);
        worse('y', g, gw, TOL * (1 + Math.abs(gw)), `${at}: g(y)`);
      } else for (let j = 0; j < ny; j++) {
        const w = want.y[k * ny + j];
        worse('y', got.y[k * ny + j], w, TOL * (1 + Math.abs(w)) * cuspCond, `${at}: y[${j}]`);
      }
      for (let j = 0; j < m; j++) {
        const w = want.mu[k * m + j];
        worse('mu', got.mu[k * m + j], w, TOL * (1 + Math.abs(w)), `${at}: mu[${j}]`);
      }
      for (let c = 0; c < 3; c++) worse('margins', got.margins[c][k], want.margins[c][k], marginTol(family, c, want, k), `${at}: margin ${c}`);
    }
  }
  return report;
}

function marginTol(family: Family, c: number, want: BilevelMap, k: number): number {
  const mg = want.margins[c][k];
  const base = TOL * (1 + (Number.isFinite(mg) ? Math.abs(mg) : 0));
  if (family !== 'cusp' || c !== 2) return base;
  const y = want.y[k];
  return base * (1 + 6 * Math.abs(y)) * Math.max(1, 1 / Math.max(mg, 1e-30));
}

function randomRange(rand: () => number): [number, number] {
  const a = -3 + 6 * rand();
  const b = -3 + 6 * rand();
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return hi - lo < 0.5 ? [Math.max(-3, lo - 0.5), Math.min(3, hi + 0.5)] : [lo, hi];
}

function randomConfig(rand: () => number, family: Family, index: number): BilevelConfig {
  const { ny, m } = FAMILY_DIMS[family];
  const n = 24 + Math.floor(rand() * 41);
  const u = (): number => 0.3 * (2 * rand() - 1);
  const perturbation =
    index % 3 === 0
      ? { q: Array.from({ length: ny }, u), d: Array.from({ length: m }, u) }
      : index % 3 === 1
        ? { eps: 0.3 * rand(), seed: Math.floor(rand() * 2 ** 32) }
        : { eps: 0, seed: 1 };
  // One in three grids is the default box [-2, 2]^2, where the interesting curves lie.
  const grid = index % 3 === 2 ? { n, x1: [-2, 2] as [number, number], x2: [-2, 2] as [number, number] } : { n, x1: randomRange(rand), x2: randomRange(rand) };
  return { family, grid, perturbation, kappa: 0.5 + 2.5 * rand() };
}

describe('bilevel struct layout', () => {
  it('BilevelParams in bilevel/solve.wgsl is the layout the host packs', () => {
    expect(shaderSource('bilevel/solve.wgsl')).toContain(BilevelParamsLayout.wgsl());
  });
});

describe.skipIf(!env.gpu)(`bilevel solve.wgsl on ${env.note}`, () => {
  const worst: Record<string, Report> = {};
  const note = (family: string, r: Report): void => {
    const w = (worst[family] ??= { y: 0, mu: 0, margins: 0, compared: 0, flagged: 0, flagMismatches: 0, activeMismatches: 0 });
    w.y = Math.max(w.y, r.y);
    w.mu = Math.max(w.mu, r.mu);
    w.margins = Math.max(w.margins, r.margins);
    w.compared += r.compared;
    w.flagged += r.flagged;
    w.flagMismatches += r.flagMismatches;
    w.activeMismatches += r.activeMismatches;
  };

  for (const family of FAMILIES) {
    gpuIt(env, `${family}: random grids, ranges and perturbations match the float64 reference`, async (gpu) => {
      const rand = testRandom(1000 + FAMILY_INDEX[family]);
      for (let index = 0; index < 8; index++) {
        const config = randomConfig(rand, family, index);
        const label = `${family} #${index} ${JSON.stringify(config)}`;
        const got = await gpuMap(gpu, config, 1 + (index % 3));
        const want = solveMapReference(config);
        note(family, compareMaps(config, got, want, label));
      }
    });
  }

  gpuIt(env, 'cusp: the origin and the Maxwell set x2 = 0, x1 < 0 (odd N, symmetric range)', async (gpu) => {
    for (const n of [25, 33]) {
      const config: BilevelConfig = { family: 'cusp', grid: { n, x1: [-1.5, 1.5], x2: [-1.5, 1.5] }, perturbation: { eps: 0, seed: 1 }, kappa: 1 };
      const got = await gpuMap(gpu, config);
      const want = solveMapReference(config);
      note('cusp', compareMaps(config, got, want, `cusp origin n = ${n}`));
      const mid = (n - 1) / 2;
      expect(want.x1[mid]).toBe(0);
      expect(want.x2[mid]).toBe(0);
      const origin = mid * n + mid;
      expect(Math.abs(got.y[origin])).toBe(0);
      expect(got.fails[2][origin]).toBe(1);
      // On the Maxwell row both report the negative minimiser (b = 0 exactly in both precisions).
      for (let i1 = 0; i1 < mid; i1++) {
        const k = i1 * n + mid;
        expect(got.y[k]).toBeLessThan(0);
        expect(Math.abs(got.y[k] - want.y[k])).toBeLessThanOrEqual(TOL * (1 + Math.abs(want.y[k])));
      }
    }
    // A tilt q moves the Maxwell set to x2 = -q1: signs may differ there, g(y) may not.
    const tilted: BilevelConfig = { family: 'cusp', grid: { n: 31, x1: [-2, 0.5], x2: [-0.6, 0.4] }, perturbation: { q: [0.1], d: [] }, kappa: 1 };
    note('cusp', compareMaps(tilted, await gpuMap(gpu, tilted), solveMapReference(tilted), 'cusp tilted Maxwell set'));
  });

  gpuIt(env, 'abs: the LICQ tie x1 = (d1 - d2)/2 on a pixel centre', async (gpu) => {
    // d = (0.25, -0.25): the tie is x1 = 0.25, the centre of column 16 of 33 on [-1.75, 2.25]; every
    // quantity there is exact in f32, so both report the tie (active = 3, mu = g/2 each).
    const config: BilevelConfig = { family: 'abs', grid: { n: 33, x1: [-1.75, 2.25], x2: [-1, 1] }, perturbation: { q: [0.125], d: [0.25, -0.25] }, kappa: 1 };
    const got = await gpuMap(gpu, config);
    const want = solveMapReference(config);
    note('abs', compareMaps(config, got, want, 'abs tie'));
    expect(want.x1[16]).toBe(0.25);
    for (let i2 = 0; i2 < 33; i2++) {
      const k = 16 * 33 + i2;
      expect(want.active[k]).toBe(3);
      expect(got.active[k]).toBe(3);
      expect(got.mu[2 * k]).toBe(want.mu[2 * k]);
      expect(got.mu[2 * k + 1]).toBe(want.mu[2 * k + 1]);
      expect(got.fails[0][k]).toBe(1);
      expect(got.margins[0][k]).toBe(0);
    }
  });

  gpuIt(env, 'lp: large |phi| (up to ~12) and the qp on the far corners', async (gpu) => {
    const boxes: [number, number][][] = [
      [[2, 3], [2, 3]],
      [[-3, -2], [-3, -2]],
      [[-3, 3], [2.5, 3]],
    ];
    for (const family of ['lp', 'qp'] as const) {
      for (const [x1, x2] of boxes) {
        const config: BilevelConfig = { family, grid: { n: 40, x1, x2 }, perturbation: { eps: 0.25, seed: 9 }, kappa: 1 };
        note(family, compareMaps(config, await gpuMap(gpu, config), solveMapReference(config), `${family} ${JSON.stringify(config.grid)}`));
      }
    }
  });

  gpuIt(env, 'grid n = 1 for every family, and solveMapOnGpu in bands with progress', async (gpu) => {
    for (const family of FAMILIES) {
      const config: BilevelConfig = { family, grid: { n: 1, x1: [0.1, 0.9], x2: [-0.7, 0.3] }, perturbation: { eps: 0.1, seed: 3 }, kappa: 2 };
      note(family, compareMaps(config, await gpuMap(gpu, config, 1), solveMapReference(config), `${family} n = 1`));
    }
    const config: BilevelConfig = { family: 'qp', grid: { n: 48, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0.2, seed: 1 }, kappa: 2 };
    const progress: number[] = [];
    const { map, gpuMs } = await solveMapOnGpu(gpu, config, (f) => progress.push(f));
    expect(gpuMs).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    note('qp', compareMaps(config, map, solveMapReference(config), 'solveMapOnGpu'));
  });

  gpuIt(env, 'fail counts equal the flags in the codes, and a too large grid is refused by name', async (gpu) => {
    const config: BilevelConfig = { family: 'disk', grid: { n: 45, x1: [-2, 2], x2: [-2, 2] }, perturbation: { eps: 0, seed: 1 }, kappa: 3 };
    // gpuMap checks counts == flags in the codes; here many workgroups hold flags (the circle).
    const map = await gpuMap(gpu, config, 4);
    expect(map.fraction[1]).toBeGreaterThan(0.05);
    const limit = Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
    const huge = Math.ceil(Math.sqrt(limit / 16)) + 1;
    await expect(BilevelSimulation.create(gpu, { ...config, family: 'qp', grid: { ...config.grid, n: huge } })).rejects.toThrow(/grid\.n/);
  });

  gpuIt(env, 'lib/sincos.wgsl matches Math.sin/cos of the same f32 input to 2 ulps (+1e-13 near zeros) on [-16, 16]', async (gpu) => {
    const rand = testRandom(5);
    const count = 1 << 14;
    const xs = new Float32Array(count);
    // Multiples of pi/16 (zeros of sin and cos, quadrant boundaries) first, then uniform.
    for (let i = 0; i < count; i++) xs[i] = i < 512 ? ((i - 256) * Math.PI) / 32 : -16 + 32 * rand();
    const out = await sinCosProbe(gpu, xs);
    // Bound: 2 ulp(value) relative, plus the absolute error of the reduced argument near a zero of
    // sin or cos (|k| 2e-15 from the three-part pi/2 and ~1 ulp of r, below 1e-13 for |x| <= 16).
    const ulp = (v: number): number => (Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23));
    let worst = 0;
    let worstAt = '';
    let worstUlp = 0;
    for (let i = 0; i < count; i++) {
      const x = xs[i];
      for (const [j, want] of [Math.sin(x), Math.cos(x)].entries()) {
        const err = Math.abs(out[2 * i + j] - want);
        const r = err / (2 * ulp(want) + 1e-13);
        if (Math.abs(want) > 1e-3) worstUlp = Math.max(worstUlp, err / ulp(want));
        if (r > worst) {
          worst = r;
          worstAt = `${j ? 'cos' : 'sin'}(${x}) = ${want}, error ${err.toExponential(2)}`;
        }
      }
    }
    console.log(`sincos.wgsl: worst error / (2 ulp + 1e-13) = ${worst.toFixed(3)} at ${worstAt}; worst ulp where |value| > 1e-3: ${worstUlp.toFixed(2)}`);
    expect(worst).toBeLessThanOrEqual(1);
  });

  gpuIt(env, 'worst tolerance ratios per family (printed)', async () => {
    for (const [family, r] of Object.entries(worst)) {
      console.log(
        `bilevel ${family}: worst |gpu - f64| / tol: y ${r.y.toFixed(3)}, mu ${r.mu.toFixed(3)}, margins ${r.margins.toFixed(3)} ` +
          `(${r.compared} pixels compared; ${r.flagged} flagged by the reference, ${r.activeMismatches} of them with another active set; ` +
          `${r.flagMismatches} flags differ, each within noise of tau)`,
      );
      expect(Math.max(r.y, r.mu, r.margins)).toBeLessThanOrEqual(1);
    }
  });
});

async function sinCosProbe(gpu: GpuContext, xs: Float32Array): Promise<Float32Array> {
  const { device } = gpu;
  const pipeline = await pipelineCacheFor(device).compute('test/sincos-probe.wgsl', 'main');
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
