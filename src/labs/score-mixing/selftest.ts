// The score-mixing lab's numerics self-test on the user's adapter (src/labs/selftest.ts): the
// three compute kernels at a small size against the float64 reference, with the tolerance model
// of test/gpu/score-mixing-*.test.ts (error-model.ts, shared with those tests):
//   mixed-score.wgsl  evaluateMixedScore vs heat.ts denoise / mixedDenoise, per query
//   generate.wgsl     ScoreMixingSimulation vs ReferenceSampler, SEGMENT steps from the same state
//   generate-adaptive.wgsl  the same with integrator 'adaptive', plus the band where the two paths may
//                     accept different substeps (8 tol (1 + max|x|), test/gpu/score-mixing-adaptive)
//   field.wgsl        PotentialField vs heatPotential / sqDistToSupport, per pixel

import type { GpuContext } from '../../gpu/device';
import { applyPerturbation, selfTestRandom, timedCheck, worse, type KernelCheck, type SelfTestOptions } from '../selftest';
import {
  SEGMENT,
  SEG_MAX,
  SEG_FRACTION,
  SEG_TOL,
  denoiseErrorBound,
  fieldPixelExpectation,
  mixedScoreQuery,
  mixedScoreRatios,
  roundMeasure,
  segmentRatio,
  type FieldPlaneSpec,
} from './error-model';
import { cullSorted } from './cull-tiles';
import { PotentialField } from './field';
import { toMeasure } from './measures';
import { ReferenceSampler, initialParticles, type SamplerOptions } from './reference';
import { evaluateMixedScore } from './score-kernel';
import { ScoreMixingSimulation } from './simulation';
import type { Measure } from './types';

const LAB = 'score-mixing';

/** Random atoms in [-2, 2]^d with random weights; atoms 1 and 2 coincide with atom 0 when asked. */
function randomMeasure(rand: () => number, d: number, n: number, coincident = false): Measure {
  const points = Array.from({ length: n }, () => Array.from({ length: d }, () => 4 * rand() - 2));
  if (coincident && n >= 3) points[1] = points[2] = [...points[0]];
  return toMeasure({ points, weights: points.map(() => 0.2 + rand()) });
}

/** Queries near atoms (scale sqrt(2t)), on atoms, on midpoints (near-ties), in the box and far away. */
function queries(rand: () => number, mu: Measure, t: number, count: number): Float64Array {
  const d = mu.d;
  const atom = (): number[] => {
    const j = Math.floor(rand() * mu.n);
    return Array.from(mu.points.subarray(j * d, (j + 1) * d));
  };
  const out = new Float64Array(count * d);
  for (let q = 0; q < count; q++) {
    const kind = q % 5;
    const a = atom();
    let x: number[];
    if (kind === 0) x = a.map((v) => v + Math.sqrt(2 * t) * (2 * rand() - 1));
    else if (kind === 1) x = a;
    else if (kind === 2) x = atom().map((v, i) => 0.5 * (v + a[i]));
    else if (kind === 3) x = a.map(() => 6 * rand() - 3);
    else x = a.map(() => 1e3 * (2 * rand() - 1));
    out.set(x, q * d);
  }
  return out;
}

// One dimension: each d is a separately compiled pipeline, which dominates the time on a
// software adapter; the test/gpu suite covers d = 1, 3 and 8.
const MIXED_CASES = [
  { d: 2, t: 1, lambda: 7.5 },
  { d: 2, t: 1e-2, lambda: 0.3 },
  { d: 2, t: 1e-4, lambda: 3 },
];
const QUERIES = 64;

async function mixedScoreCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/mixed-score`;
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${MIXED_CASES.length} cases x ${QUERIES} queries, d 2, t 1..1e-4`,
      tolerance: 'f32 softmax error model per query (denoiseErrorBound x 4), as test/gpu/score-mixing-mixed-score',
    },
    async () => {
      const rand = selfTestRandom(2024);
      let worst = 0;
      for (const [ci, { d, t, lambda }] of MIXED_CASES.entries()) {
        const mu1 = randomMeasure(rand, d, 7 + d, true);
        const mu2 = randomMeasure(rand, d, 12);
        const x = queries(rand, mu1, t, QUERIES);
        const out = await evaluateMixedScore(gpu, mu1, mu2, lambda, t, x);
        const [r1, r2] = [roundMeasure(mu1), roundMeasure(mu2)];
        const t32 = Math.fround(t);
        const x32 = Float64Array.from(x, Math.fround);
        if (ci === 0) applyPerturbation(options, kernel, out.m1, denoiseErrorBound(r1, t32, x32.subarray(0, d)).mean);
        for (let q = 0; q < QUERIES; q++) {
          const r = mixedScoreRatios(r1, r2, lambda, t32, x32.subarray(q * d, (q + 1) * d), mixedScoreQuery(out, q, d));
          for (const v of Object.values(r)) worst = worse(worst, v);
        }
      }
      return worst;
    },
  );
}

const GENERATE_COUNT = 64;

/**
 * `opts` from x0 on the GPU, compared every SEGMENT steps with the float64 twin started from the
 * GPU's state: each particle's largest coordinate error (d = 2) per segment, and the largest |x| of
 * the reference. `perturb(got)` sees the GPU state of the last segment (the self-test's failure probe).
 */
async function segmentErrors(gpu: GpuContext, opts: SamplerOptions, x0: Float64Array, perturb: (got: Float32Array | Float64Array) => void): Promise<{ errors: number[]; maxAbs: number }> {
  const errors: number[] = [];
  let maxAbs = 0;
  const sim = await ScoreMixingSimulation.create(gpu, opts, x0);
  try {
    const ref = new ReferenceSampler(opts, x0);
    while (!sim.done) {
      ref.x.set((await sim.readState()).x);
      sim.step(SEGMENT);
      for (let s = 0; s < SEGMENT && !ref.done; s++) ref.step();
      for (const v of ref.x) maxAbs = Math.max(maxAbs, Math.abs(v));
      const got = (await sim.readState()).x;
      if (sim.done) perturb(got);
      for (let p = 0; p < GENERATE_COUNT; p++) {
        const e = Math.max(Math.abs(got[2 * p] - ref.x[2 * p]), Math.abs(got[2 * p + 1] - ref.x[2 * p + 1]));
        errors.push(Number.isNaN(e) ? Infinity : e);
      }
    }
  } finally {
    sim.dispose();
  }
  return { errors, maxAbs };
}

async function generateCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/generate`;
  const steps = 20;
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${GENERATE_COUNT} particles, d 2, ${steps} steps (exp ODE + exp SDE)`,
      tolerance: `per ${SEGMENT}-step segment: ${SEG_TOL} for 99% of particles, ${SEG_MAX} for all (test/gpu/score-mixing-generate)`,
    },
    async () => {
      const rand = selfTestRandom(100);
      const mu1 = randomMeasure(rand, 2, 6);
      const mu2 = randomMeasure(rand, 2, 9);
      const base = { mu1, mu2, T: 2, tMin: 1e-3, steps, integrator: 'exp' as const, seed: 7919 };
      const runs: SamplerOptions[] = [
        { ...base, lambda: 1, sampler: 'ode', beta: 0 },
        { ...base, lambda: 0.5, sampler: 'sde', beta: 1 },
      ];
      const errors: number[] = [];
      for (const [ri, opts] of runs.entries()) {
        const x0 = initialParticles(2, opts.T, { count: GENERATE_COUNT, seed: 31 + ri });
        const run = await segmentErrors(gpu, opts, x0, (got) => {
          if (ri === 0) applyPerturbation(options, kernel, got, SEG_MAX);
        });
        errors.push(...run.errors);
      }
      return segmentRatio(errors.sort((a, b) => a - b));
    },
  );
}

const ADAPTIVE_TOL = 1e-3;

async function adaptiveCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/generate-adaptive`;
  const steps = 10;
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${GENERATE_COUNT} particles, d 2, ${steps} steps, tol ${ADAPTIVE_TOL}`,
      tolerance: `per ${SEGMENT}-step segment: ${SEG_TOL} + 8 tol (1 + max|x|) for 99% of particles, ${SEG_MAX} + that for all (test/gpu/score-mixing-adaptive)`,
    },
    async () => {
      const rand = selfTestRandom(300);
      const opts: SamplerOptions = {
        mu1: randomMeasure(rand, 2, 5),
        mu2: randomMeasure(rand, 2, 7),
        lambda: 2.5,
        T: 1,
        tMin: 1e-3,
        steps,
        integrator: 'adaptive',
        tol: ADAPTIVE_TOL,
        sampler: 'ode',
        beta: 0,
        seed: 0,
      };
      const x0 = initialParticles(2, opts.T, { count: GENERATE_COUNT, seed: 57 });
      // The band where the two paths may accept different substeps, each within tol of the flow.
      const bandOf = (maxAbs: number): number => 8 * ADAPTIVE_TOL * (1 + maxAbs);
      const { errors, maxAbs } = await segmentErrors(gpu, opts, x0, (got) => applyPerturbation(options, kernel, got, SEG_MAX + bandOf(2)));
      const band = bandOf(maxAbs);
      errors.sort((a, b) => a - b);
      const allowed = Math.floor(SEG_FRACTION * errors.length);
      return Math.max(errors[errors.length - 1 - allowed] / (SEG_TOL + band), errors[errors.length - 1] / (SEG_MAX + band));
    },
  );
}

async function fieldCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/field`;
  const [W, H] = [16, 12];
  const planes: FieldPlaneSpec[] = [
    { t: 1, lambda: 0.5, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -3, uMax: 3, vMin: -2.5, vMax: 2.5 },
    { t: 1e-4, lambda: 3, origin: [0, 0], e1: [1, 0], e2: [0, 1], uMin: -3, uMax: 3, vMin: -2.5, vMax: 2.5 },
  ];
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `${W}x${H} pixels, d 2, ${planes.length} planes, 5 + 300 atoms`,
      tolerance: 'phi error 4t x log-u bound + pixel-point rounding (test/gpu/score-mixing-field)',
    },
    async () => {
      const rand = selfTestRandom(77);
      const mu1 = randomMeasure(rand, 2, 5, true);
      const mu2 = randomMeasure(rand, 2, 300); // five tiles of 64 atoms
      const field = await PotentialField.create(gpu, mu1, mu2, W, H);
      let worst = 0;
      try {
        const [r1, r2] = [roundMeasure(cullSorted(mu1)), roundMeasure(cullSorted(mu2))];
        for (const [pi, plane] of planes.entries()) {
          const encoder = gpu.device.createCommandEncoder({ label: 'ScoreMixingSelfTest.fieldEncoder' });
          field.encode(encoder, plane);
          gpu.device.queue.submit([encoder.finish()]);
          const out = await field.read();
          if (pi === 0) applyPerturbation(options, kernel, out, fieldPixelExpectation(r1, r2, plane, W, H, 0, 0, field.eps).tol[0]);
          for (let py = 0; py < H; py++)
            for (let px = 0; px < W; px++) {
              const { want, tol } = fieldPixelExpectation(r1, r2, plane, W, H, px, py, field.eps);
              for (let q = 0; q < 4; q++) {
                worst = worse(worst, Math.abs(out[4 * (py * W + px) + q] - want[q]) / tol[q]);
              }
            }
        }
      } finally {
        field.dispose();
      }
      return worst;
    },
  );
}

/** Every compute kernel of the lab against the float64 reference (render shaders excluded). */
export async function selfTest(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]> {
  return [await mixedScoreCheck(gpu, options), await generateCheck(gpu, options), await adaptiveCheck(gpu, options), await fieldCheck(gpu, options)];
}
