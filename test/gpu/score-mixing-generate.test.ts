// shaders/score-mixing/generate.wgsl through ScoreMixingSimulation / runOnGpu against the float64
// ReferenceSampler with the same seed and grid: exponential ODE, exponential SDE (beta = 1 and
// beta = 0.5), Heun and RK4, lambda in {0.5, 1, 3, 7.5}, d in {1, 2, 3, 8}; with thousands of atoms
// the small-t steps cull (lib/cull.wgsl, below generationCulling's cullBelow; its bound
// n eps diam = 1e-7 diam per evaluation is far inside SEG_TOL). Also the stepping mechanics
// (chunking, live lambda, restore, with and without culling), the spatial particle order of culled
// runs (bit-identical to particle-order slots), lanes (several invocations per particle, forced
// here: float64 shadowing, chunk/restore and compare batches bit for bit) and blow-up detection.

import { describe, expect, it } from 'vitest';
import { ReferenceSampler, initialParticles, runReference, type SamplerOptions } from '../../src/labs/score-mixing/reference';
import { toMeasure } from '../../src/labs/score-mixing/measures';
import { ScoreMixingSimulation, generationLanes, lambdasAndOrder, runOnGpu, type SimulationTuning } from '../../src/labs/score-mixing/simulation';
import type { GpuContext } from '../../src/gpu/device';
import type { Integrator, Measure, Sampler } from '../../src/labs/score-mixing/types';
import { ABS_TOL, MAX_FLIP_FRACTION, SEGMENT, SEG_FRACTION, SEG_MAX, SEG_TOL } from '../../src/labs/score-mixing/error-model';
import { generationCulling } from '../../src/labs/score-mixing/cull-tiles';
import { kdOrder } from '../../src/math/kd-order';
import { acquireTestGpu, gpuIt, testRandom } from './harness';

const env = await acquireTestGpu();

function randomMeasure(rand: () => number, d: number, n: number): Measure {
  const points = Array.from({ length: n }, () => Array.from({ length: d }, () => 4 * rand() - 2));
  return toMeasure({ points, weights: points.map(() => 0.2 + rand()) });
}

interface RunCase {
  name: string;
  d: number;
  lambda: number;
  sampler: Sampler;
  beta: number;
  integrator: Integrator;
  steps: number;
  tMin: number;
  /** mu2 contains mu1's atoms (guidance that returns the conditional atoms, spec check R9). */
  nested?: boolean;
  /** Also compare the whole run (only where the flow does not amplify f32 rounding). */
  whole: boolean;
  /** Atoms of mu1 and mu2 (default 6 and 9; thousands make the small-t steps cull). */
  atoms?: [number, number];
}

function options(c: RunCase, seed: number): SamplerOptions {
  const rand = testRandom(seed);
  const [n1, n2] = c.atoms ?? [6, 9];
  const mu1 = randomMeasure(rand, c.d, n1);
  let mu2 = randomMeasure(rand, c.d, n2);
  if (c.nested) {
    const rows = (m: Measure): number[][] => Array.from({ length: m.n }, (_, j) => Array.from(m.points.subarray(j * c.d, (j + 1) * c.d)));
    mu2 = toMeasure({ points: [...rows(mu1), ...rows(mu2).slice(0, 3)] });
  }
  return {
    mu1,
    mu2,
    lambda: c.lambda,
    T: 2,
    tMin: c.tMin,
    steps: c.steps,
    sampler: c.sampler,
    beta: c.beta,
    integrator: c.integrator,
    seed: seed * 7919,
  };
}

// Tolerances (whole runs: ABS_TOL for all but MAX_FLIP_FRACTION of the particles; segments: SEG_TOL
// for all but SEG_FRACTION, SEG_MAX for all): src/labs/score-mixing/error-model.ts, shared with the self-test.
const COUNT = 192;

const RUNS: RunCase[] = [
  { name: 'exp ODE, lambda 1, d 2', d: 2, lambda: 1, sampler: 'ode', beta: 0, integrator: 'exp', steps: 40, tMin: 1e-3, whole: true },
  { name: 'exp SDE beta 1, lambda 0.5, d 3', d: 3, lambda: 0.5, sampler: 'sde', beta: 1, integrator: 'exp', steps: 40, tMin: 1e-3, whole: true },
  { name: 'exp SDE beta 0.5, lambda 3, d 2', d: 2, lambda: 3, sampler: 'sde', beta: 0.5, integrator: 'exp', steps: 60, tMin: 1e-3, whole: false },
  { name: 'heun, lambda 3, d 1', d: 1, lambda: 3, sampler: 'ode', beta: 0, integrator: 'heun', steps: 30, tMin: 1e-3, whole: true },
  { name: 'rk4, lambda 1.5, d 8', d: 8, lambda: 1.5, sampler: 'ode', beta: 0, integrator: 'rk4', steps: 60, tMin: 1e-2, whole: false },
  { name: 'exp ODE, lambda 7.5, supp mu1 in supp mu2, d 2', d: 2, lambda: 7.5, sampler: 'ode', beta: 0, integrator: 'exp', steps: 200, tMin: 1e-4, nested: true, whole: false },
  { name: 'exp ODE, lambda 0.5, d 2, down to t = 1e-6', d: 2, lambda: 0.5, sampler: 'ode', beta: 0, integrator: 'exp', steps: 60, tMin: 1e-6, whole: true },
  { name: 'exp SDE beta 1, lambda 3, d 2, 1024 + 1500 atoms (culled at small t)', d: 2, lambda: 3, sampler: 'sde', beta: 1, integrator: 'exp', steps: 30, tMin: 1e-4, whole: false, atoms: [1024, 1500] },
  { name: 'rk4, lambda 0.5, d 3, 1100 + 1024 atoms (culled at small t)', d: 3, lambda: 0.5, sampler: 'ode', beta: 0, integrator: 'rk4', steps: 20, tMin: 1e-3, whole: true, atoms: [1100, 1024] },
];

/** Largest coordinate difference of each particle, sorted ascending. */
function particleErrors(a: ArrayLike<number>, b: ArrayLike<number>, d: number, count: number, offset = 0): number[] {
  const errs: number[] = [];
  for (let p = 0; p < count; p++) {
    let e = 0;
    for (let j = 0; j < d; j++) e = Math.max(e, Math.abs(a[offset + p * d + j] - b[offset + p * d + j]));
    errs.push(Number.isNaN(e) ? Infinity : e);
  }
  return errs.sort((x, y) => x - y);
}

const summary = (errs: number[]): string =>
  `median ${errs[errs.length >> 1].toExponential(1)}, 99% ${errs[Math.floor(0.99 * errs.length)].toExponential(1)}, ` +
  `max ${errs[errs.length - 1].toExponential(1)}`;


describe.skipIf(!env.gpu)(`generate.wgsl on ${env.note}`, () => {
  /** Every SEGMENT steps of case i against the float64 sampler restarted from the GPU's state. */
  async function segmentCheck(gpu: GpuContext, i: number, tuning: SimulationTuning = {}): Promise<void> {
    const c = RUNS[i];
    const opts = options(c, 100 + i);
    // The culled cases do cull: their last grid steps lie below cullBelow; the others never do.
    const { cullBelow } = generationCulling(opts.mu1, opts.mu2);
    if (c.atoms) expect(cullBelow).toBeGreaterThan(10 * c.tMin);
    else expect(cullBelow).toBe(0);
    const x0 = initialParticles(c.d, opts.T, { count: COUNT, seed: 31 + i });
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0, tuning);
    expect(sim.lanes).toBe(tuning.lanes ?? sim.lanes);
    const ref = new ReferenceSampler(opts, x0);
    const all: number[] = [];
    while (!sim.done) {
      ref.x.set((await sim.readState()).x);
      sim.step(SEGMENT);
      for (let s = 0; s < SEGMENT; s++) ref.step();
      expect(ref.k).toBe(sim.k);
      const errs = particleErrors((await sim.readState()).x, ref.x, c.d, COUNT);
      all.push(...errs);
    }
    sim.dispose();
    all.sort((a, b) => a - b);
    const beyond = all.filter((e) => !(e <= SEG_TOL)).length;
    console.log(`${c.name}, lanes ${sim.lanes}, per ${SEGMENT} steps: ${summary(all)}, beyond ${SEG_TOL}: ${beyond} of ${all.length}`);
    expect(beyond).toBeLessThanOrEqual(SEG_FRACTION * all.length);
    expect(all[all.length - 1]).toBeLessThanOrEqual(SEG_MAX);
  }

  RUNS.forEach((c, i) => {
    gpuIt(env, `${c.name}: each ${SEGMENT}-step segment matches ReferenceSampler from the same state`, (gpu) => segmentCheck(gpu, i));
  });

  // Lanes (several invocations per particle, merged in lane order; lib/denoise.wgsl): dense and
  // culled cases, d = 2, 3 and 8, forced here (a software adapter runs one lane by default).
  for (const [i, lanes] of [[0, 16], [4, 2], [RUNS.length - 2, 4], [RUNS.length - 1, 2]] as const) {
    gpuIt(env, `${RUNS[i].name}, ${lanes} lanes per particle: each ${SEGMENT}-step segment matches ReferenceSampler`, (gpu) => segmentCheck(gpu, i, { lanes }));
  }

  RUNS.filter((c) => c.whole).forEach((c) => {
    const i = RUNS.indexOf(c);
    gpuIt(env, `${c.name}: a whole runOnGpu run matches runReference`, async (gpu) => {
      const opts = options(c, 100 + i);
      const x0 = initialParticles(c.d, opts.T, { count: COUNT, seed: 31 + i });
      const record = 3;
      const want = runReference(opts, x0, record);
      let progress = 0;
      const got = await runOnGpu(gpu, opts, x0, record, (f) => {
        expect(f).toBeGreaterThan(progress);
        progress = f;
      });
      expect(progress).toBe(1);
      expect(got.steps).toEqual(want.steps);
      expect(Array.from(got.t)).toEqual(Array.from(want.t));
      for (let f = 0; f < record; f++) {
        const errs = particleErrors(got.x, want.x, c.d, COUNT, f * COUNT * c.d);
        const flips = errs.filter((e) => !(e <= ABS_TOL)).length;
        console.log(`${c.name}, whole run, frame ${f} (t = ${want.t[f].toExponential(1)}): ${summary(errs)}, beyond ${ABS_TOL}: ${flips}`);
        expect(flips, `particles beyond ${ABS_TOL} at frame ${f}`).toBeLessThanOrEqual(MAX_FLIP_FRACTION * COUNT);
      }
    });
  });

  for (const [c, tuning] of [[RUNS[2], {}], [RUNS[RUNS.length - 2], {}], [RUNS[RUNS.length - 2], { lanes: 4 }]] as [RunCase, SimulationTuning][]) gpuIt(env, `${c.name}${tuning.lanes ? `, ${tuning.lanes} lanes` : ''}: chunked encodes, live lambda and restoreState reproduce one straight run bit for bit`, async (gpu) => {
    const opts = options(c, 500);
    const x0 = initialParticles(c.d, opts.T, { count: 100, seed: 3 });
    // Straight: 25 steps, lambda -> 1.5, the rest; one dispatch per 64 steps.
    const a = await ScoreMixingSimulation.create(gpu, opts, x0, tuning);
    a.step(25);
    a.setLambda(1.5);
    a.step(1000);
    expect(a.done).toBe(true);
    expect(a.k).toBe(c.steps);
    const straight = await a.readState();
    // Chunked: 4 steps per dispatch, irregular encodes into shared encoders, a restore half way.
    const b = await ScoreMixingSimulation.create(gpu, opts, x0, { ...tuning, stepsPerDispatch: 4 });
    const enc = gpu.device.createCommandEncoder({ label: 'Test.encoder' });
    expect(b.encodeSteps(enc, 7) + b.encodeSteps(enc, 11)).toBe(18);
    gpu.device.queue.submit([enc.finish()]);
    b.step(2);
    const mid = await b.readState();
    expect(mid.step).toBe(20);
    b.step(3);
    b.restoreState(mid); // back to step 20
    expect(b.k).toBe(20);
    b.step(5);
    b.setLambda(1.5);
    b.step(1);
    b.step(c.steps);
    const chunked = await b.readState();
    expect(chunked.step).toBe(c.steps);
    expect(Array.from(chunked.x)).toEqual(Array.from(straight.x));
    // Reference with the same lambda switch at step 25 (a float64 run: within the run tolerance).
    const ref = new ReferenceSampler(opts, x0);
    while (ref.k < 25) ref.step();
    ref.setLambda(1.5);
    while (!ref.done) ref.step();
    let far = 0;
    for (let p = 0; p < 100; p++) {
      let e = 0;
      for (let j = 0; j < c.d; j++) e = Math.max(e, Math.abs(straight.x[p * c.d + j] - ref.x[p * c.d + j]));
      if (!(e <= ABS_TOL)) far++;
    }
    expect(far).toBeLessThanOrEqual(MAX_FLIP_FRACTION * 100);
    a.dispose();
    b.dispose();
  });

  it('generationLanes: 1 on a software adapter or with few atoms, else a power of two towards 65,536 invocations, from the batch size alone', () => {
    expect(generationLanes(true, 1024, 65536, 65536, 64)).toBe(1);
    expect(generationLanes(false, 1024, 1000, 1023, 64)).toBe(1);
    expect(generationLanes(false, 1024, 4096, 10, 64)).toBe(16); // capped at MAX_LANES
    expect(generationLanes(false, 8192, 4096, 4096, 64)).toBe(8);
    expect(generationLanes(false, 65536, 4096, 4096, 64)).toBe(1);
    expect(generationLanes(false, 1024, 4096, 4096, 4)).toBe(4); // a divisor of the workgroup size
    expect(generationLanes(false, 1024, 4096, 4096, 128)).toBe(1); // workgroup memory of the merge
  });

  gpuIt(env, 'lanes: compare batches equal their single runs bit for bit; a bad lane count is refused naming it', async (gpu) => {
    const c = RUNS[RUNS.length - 2]; // culled exp SDE
    const opts = options(c, 502);
    const x0 = initialParticles(c.d, opts.T, { count: 70, seed: 9 });
    const run = async (lambdas: number[]) => {
      const sim = await ScoreMixingSimulation.create(gpu, opts, x0, { lanes: 4 }, lambdas);
      // One k-d leaf per workgroup: 64 / 4 particles.
      expect(Array.from(sim.slotOrder!)).toEqual(Array.from(kdOrder(x0, c.d, 16)));
      sim.step(1000);
      const x = Array.from((await sim.readState()).x);
      sim.dispose();
      return x;
    };
    const both = await run([3, 0.5]);
    expect(both.slice(0, 70 * c.d)).toEqual(await run([3]));
    expect(both.slice(70 * c.d)).toEqual(await run([0.5]));
    await expect(ScoreMixingSimulation.create(gpu, opts, x0, { lanes: 3 })).rejects.toThrow(/lanes must be a power of two in \[1, 16\] dividing the workgroup size 64, got 3/);
  });

  it('lambdasAndOrder: the lambdas\' bits, then slot b N + k -> particle b N + order[k]', () => {
    const words = lambdasAndOrder([3, 0.5], Uint32Array.from([2, 0, 1]));
    expect(Array.from(new Float32Array(words.buffer, 0, 2))).toEqual([3, 0.5]);
    expect(Array.from(words.subarray(2))).toEqual([2, 0, 1, 5, 3, 4]);
    expect(Array.from(new Float32Array(lambdasAndOrder([1.5], null).buffer))).toEqual([1.5]);
  });

  gpuIt(env, 'the spatial particle order of a culled run changes the work, not the results: exp SDE (noise keys), compare batches and adaptive equal particle-order slots bit for bit', async (gpu) => {
    const c = RUNS[RUNS.length - 2]; // exp SDE, 1024 + 1500 atoms: the small-t steps cull
    const opts = options(c, 501);
    expect(generationCulling(opts.mu1, opts.mu2).cullBelow).toBeGreaterThan(0);
    const count = 200; // three full workgroups and a partial one
    const x0 = initialParticles(c.d, opts.T, { count, seed: 8 });
    const order = kdOrder(x0, c.d, 64);
    expect(order.some((p, k) => p !== k), 'the k-d order of x0 is not the identity').toBe(true);
    const run = async (o: SamplerOptions, sortParticles: boolean, lambdas?: number[]) => {
      const sim = await ScoreMixingSimulation.create(gpu, o, x0, { sortParticles, lanes: 1 }, lambdas);
      expect(Array.from(sim.slotOrder!)).toEqual(Array.from(order, (p, k) => (sortParticles ? p : k)));
      sim.step(1000);
      const state = await sim.readState();
      const stats = await sim.readStats();
      sim.dispose();
      return { x: Array.from(state.x), accepted: stats?.acceptedSteps };
    };
    for (const [label, o, lambdas] of [
      ['exp SDE', opts, undefined],
      ['exp SDE, compare lambda 3 and 0.5', opts, [3, 0.5]],
      ['adaptive ODE', { ...opts, sampler: 'ode', beta: 0, integrator: 'adaptive', tol: 1e-4, steps: 8 }, undefined],
    ] as [string, SamplerOptions, number[] | undefined][]) {
      const sorted = await run(o, true, lambdas);
      const plain = await run(o, false, lambdas);
      expect(sorted.x.every(Number.isFinite), label).toBe(true);
      expect(sorted.x, label).toEqual(plain.x);
      expect(sorted.accepted, label).toBe(plain.accepted);
    }
  });

  gpuIt(env, 'non-finite particles are detected and the first one is named', async (gpu) => {
    const opts = options(RUNS[0], 600);
    const count = 150;
    const x0 = initialParticles(2, opts.T, { count, seed: 4 });
    const sim = await ScoreMixingSimulation.create(gpu, opts, x0);
    expect(await sim.checkFinite()).toEqual({ ok: true });
    sim.step(3);
    const state = await sim.readState();
    const x = Float32Array.from(state.x);
    x[2 * 77 + 1] = NaN;
    x[2 * 130] = Infinity;
    x[2 * 140 + 1] = -Infinity;
    sim.restoreState({ ...state, x });
    expect(await sim.checkFinite()).toEqual({ ok: false, firstBad: 77 });
    sim.step(4); // NaN and inf propagate through the step; the others stay finite
    expect(await sim.checkFinite()).toEqual({ ok: false, firstBad: 77 });
    const after = await sim.readState();
    let bad = 0;
    for (let p = 0; p < count; p++) if (!Number.isFinite(after.x[2 * p]) || !Number.isFinite(after.x[2 * p + 1])) bad++;
    expect(bad).toBe(3);
    sim.dispose();
  });

  gpuIt(env, 'dispose destroys every buffer; the particle buffer is usable as a vertex buffer', async (gpu) => {
    const opts = options(RUNS[0], 700);
    const sim = await ScoreMixingSimulation.create(gpu, opts, initialParticles(2, opts.T, { count: 10, seed: 1 }));
    expect(sim.particles.usage & GPUBufferUsage.VERTEX).toBeTruthy();
    expect(sim.particles.usage & GPUBufferUsage.STORAGE).toBeTruthy();
    sim.step(2);
    await sim.readState();
    await sim.checkFinite();
    expect(env.liveBuffers().length).toBeGreaterThan(0);
    sim.dispose();
    expect(env.liveBuffers()).toEqual([]);
    expect(() => sim.step(1)).toThrow(/disposed/);
  });
});
