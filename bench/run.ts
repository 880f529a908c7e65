// `npm run bench` (then the small-t culling, culled field, culled generation and
// split-atom-range lines, bench/small-t.ts, bench/field.ts, bench/generate.ts and bench/split.ts,
// and the primal-dual, transformer and bilevel benches: bench/primal-dual.ts,
// bench/transformer.ts, bench/bilevel.ts); `npm run bench -- --only <line>` runs one line
// (bench/args.ts lists them; `--only` alone or a bad name lists them and exits 2);
// `--only mixed-score` runs the four mixed-score lines together.
// Pairs per second of the mixed-score evaluation (Tweedie means of both measures, m_lam and the
// mixed score at M particles; one pair = one particle against one atom) by
//   1. the two-pass WGSL kernel it had until issue 13 (shaders/bench/mixed-score-two-pass.wgsl),
//   2. today's single-pass exp2 kernel (shaders/score-mixing/mixed-score.wgsl) through Dawn,
//   3. the same kernel with two queries per invocation (register blocking, override QPI = 2),
//   4. the float64 TypeScript reference (src/math/heat.ts denoise),
//   5. a vectorised numpy float32 version (bench/numpy_score.py), when python3 + numpy are present,
// all measured in this one run; every line prints its ratio to the line measured before it, and
// the WGSL lines the fraction of the GPU's exp bound (bench/exp-bound.ts; both kernels need one
// exp per pair) when the GPU is known. Defaults: M = 65,536 particles, N = 1,024 atoms per
// measure, d = 2 (pairs per evaluation = M * 2N).
//
// GPU timing: timestamp queries around a pass of `reps` dispatches when the device has
// 'timestamp-query', else wall clock from submit to onSubmittedWorkDone. On a software adapter
// (SwiftShader) the same M and N are used with fewer repetitions, and the TS reference runs on a
// stated subset of the particles.
//
// Environment: BENCH_M, BENCH_N, BENCH_D, BENCH_REPS, BENCH_TS_M (TS subset), FLOWLAB_BACKEND=cpu
// (skip the GPU). Built by Vite (import.meta.glob of the WGSL), so run it as dist-cli/bench.js.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GpuContext } from '../src/gpu/device';
import { acquireNodeGpu } from '../src/gpu/node-gpu';
import { GpuResources } from '../src/gpu/resources';
import { STORAGE_R, STORAGE_RW, UNIFORM_W } from '../src/gpu/usage';
import { denoise } from '../src/math/heat';
import { DEFAULT_WORKGROUP, ScoreParamsLayout, dispatchGrid, packAtoms, pipelineCacheFor } from '../src/labs/score-mixing/gpu-common';
import { evaluateMixedScore } from '../src/labs/score-mixing/score-kernel';
import type { Measure } from '../src/labs/score-mixing/types';
import { BENCH_LINES, type BenchLine, type BenchSelection, parseBenchArgs, runsLine } from './args';
import { benchBilevel } from './bilevel';
import { expBoundNote, formatRate } from './exp-bound';
import { benchPrimalDual } from './primal-dual';
import { benchField } from './field';
import { benchGenerate } from './generate';
import { benchSmallT } from './small-t';
import { benchSplit } from './split';
import { benchTransformer } from './transformer';

const env = process.env;
const M = Number(env.BENCH_M ?? 65536);
const N = Number(env.BENCH_N ?? 1024);
const D = Number(env.BENCH_D ?? 2);
const T_EVAL = 0.05;
const LAMBDA = 0.5;
const PAIRS_PER_PARTICLE = 2 * N;

/** Small deterministic generator (mulberry32) so every run sees the same data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeMeasure(n: number, d: number, next: () => number): Measure {
  const points = new Float64Array(n * d).map(() => -2 + 4 * next());
  const weights = new Float64Array(n).map(() => 0.5 + next());
  const total = weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < n; j++) weights[j] /= total;
  return { d, n, points, weights };
}

function makeParticles(m: number, d: number, next: () => number): Float64Array {
  const x = new Float64Array(m * d);
  for (let i = 0; i < x.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * Math.SQRT2;
    const a = 2 * Math.PI * next();
    x[i] = r * Math.cos(a);
    if (i + 1 < x.length) x[i + 1] = r * Math.sin(a);
  }
  return x;
}


interface Timed {
  pairsPerS: number;
  detail: string;
}

/** float64 TS reference on `count` particles (the first ones). */
function benchTs(mu1: Measure, mu2: Measure, x: Float64Array, count: number): Timed & { mLam: Float64Array } {
  const d = mu1.d;
  const m1 = new Float64Array(d);
  const m2 = new Float64Array(d);
  const mLam = new Float64Array(count * d);
  const score = new Float64Array(count * d);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const xi = x.subarray(i * d, (i + 1) * d);
    denoise(mu1, T_EVAL, xi, m1);
    denoise(mu2, T_EVAL, xi, m2);
    for (let c = 0; c < d; c++) {
      const m = LAMBDA * m1[c] + (1 - LAMBDA) * m2[c];
      mLam[i * d + c] = m;
      score[i * d + c] = -(xi[c] - m) / (2 * T_EVAL);
    }
  }
  const s = (performance.now() - start) / 1000;
  return { pairsPerS: (count * PAIRS_PER_PARTICLE) / s, detail: `${count} particles${count < M ? ' (subset)' : ''}, 1 pass, ${s.toFixed(2)} s`, mLam };
}

/**
 * A mixed-score WGSL kernel (`shader`: today's or the bench baseline, same bindings; `qpi`
 * queries per invocation, today's kernel only): `reps` dispatches in one compute pass, timed by
 * timestamps or wall clock.
 */
async function benchGpu(gpu: GpuContext, shader: string, qpi: 1 | 2, mu1: Measure, mu2: Measure, x: Float64Array, reps: number): Promise<Timed> {
  const { device } = gpu;
  const count = x.length / D;
  const pipeline = await pipelineCacheFor(device).compute(shader, 'main', qpi === 1 ? { D, WG: DEFAULT_WORKGROUP } : { D, WG: DEFAULT_WORKGROUP, QPI: qpi });
  const grid = dispatchGrid(device, 'points', Math.ceil(count / qpi), DEFAULT_WORKGROUP);
  const res = new GpuResources(device, 'Bench');
  // Same bindings as score-kernel.ts evaluateMixedScore (which has no timestamp hook).
  const atoms = packAtoms(mu1, mu2);
  const bindGroup = device.createBindGroup({
    label: 'Bench.bindGroup',
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: res.buffer('atomPoints', atoms.points.byteLength, STORAGE_R, atoms.points) } },
      { binding: 1, resource: { buffer: res.buffer('atomLogW', atoms.logW.byteLength, STORAGE_R, atoms.logW) } },
      {
        binding: 2,
        resource: {
          buffer: res.buffer('params', ScoreParamsLayout.size, UNIFORM_W, new Uint8Array(ScoreParamsLayout.pack({ count, n1: mu1.n, n2: mu2.n, lambda: LAMBDA, t: T_EVAL }))),
        },
      },
      { binding: 3, resource: { buffer: res.buffer('queries', count * D * 4, STORAGE_R, new Float32Array(x)) } },
      { binding: 4, resource: { buffer: res.buffer('result', count * (4 * D + 2) * 4, STORAGE_RW) } },
    ],
  });
  let querySet: GPUQuerySet | null = null;
  let resolve: GPUBuffer | null = null;
  let readTs: GPUBuffer | null = null;
  if (gpu.hasTimestamps) {
    querySet = device.createQuerySet({ label: 'Bench.timestamps', type: 'timestamp', count: 2 });
    resolve = res.buffer('tsResolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    readTs = res.buffer('tsRead', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }
  const run = async (n: number, groups: [number, number] = grid): Promise<{ gpuMs: number | null; wallMs: number }> => {
    const encoder = device.createCommandEncoder({ label: 'Bench.encoder' });
    const pass = encoder.beginComputePass({
      label: 'Bench.pass',
      ...(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {}),
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < n; r++) pass.dispatchWorkgroups(groups[0], groups[1]);
    pass.end();
    if (querySet && resolve && readTs) {
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readTs, 0, 16);
    }
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - start;
    let gpuMs: number | null = null;
    if (readTs) {
      await readTs.mapAsync(GPUMapMode.READ);
      const [b, e] = new BigUint64Array(readTs.getMappedRange().slice(0));
      readTs.unmap();
      gpuMs = Number(e - b) / 1e6;
    }
    return { gpuMs, wallMs };
  };
  try {
    // Warm-up (pipeline, first touch of buffers); one workgroup on software adapters, where a full
    // dispatch takes seconds.
    await run(1, gpu.isSoftware ? [1, 1] : grid);
    const timed = await run(reps);
    const useTs = timed.gpuMs !== null && timed.gpuMs > 0;
    const ms = (useTs ? (timed.gpuMs as number) : timed.wallMs) / reps;
    return {
      pairsPerS: (count * PAIRS_PER_PARTICLE) / (ms / 1000),
      detail: `${reps} dispatches in one pass, ${ms.toFixed(2)} ms each (${useTs ? 'timestamp-query' : 'wall clock to onSubmittedWorkDone'})`,
    };
  } finally {
    querySet?.destroy();
    res.dispose();
  }
}

function benchNumpy(reps: number): Timed | string {
  const candidates = [new URL('./numpy_score.py', import.meta.url), new URL('../bench/numpy_score.py', import.meta.url)].map((u) => fileURLToPath(u));
  const script = candidates.find((p) => existsSync(p));
  if (!script) return 'bench/numpy_score.py not found';
  const r = spawnSync('python3', [script, '--M', String(M), '--N', String(N), '--d', String(D), '--t', String(T_EVAL), '--lam', String(LAMBDA), '--reps', String(reps)], {
    encoding: 'utf8',
  });
  if (r.error) return `python3 not available (${r.error.message})`;
  if (r.status !== 0) return /No module named .numpy/.test(r.stderr) ? 'numpy not installed' : `numpy baseline failed: ${r.stderr.trim().split('\n').pop()}`;
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { pairs_per_s: number; seconds: number[]; numpy: string };
  return {
    pairsPerS: out.pairs_per_s,
    detail: `numpy ${out.numpy}, best of ${out.seconds.length}: ${Math.min(...out.seconds).toFixed(2)} s`,
  };
}

const WGSL_LINES = {
  'mixed-score:two-pass': { label: 'WGSL two-pass (f32)', shader: 'bench/mixed-score-two-pass.wgsl', qpi: 1 },
  'mixed-score:single-pass': { label: 'WGSL 1-pass exp2 (f32)', shader: 'score-mixing/mixed-score.wgsl', qpi: 1 },
  'mixed-score:blocked': { label: 'WGSL 1-pass, 2 q/inv', shader: 'score-mixing/mixed-score.wgsl', qpi: 2 },
} as const satisfies Partial<Record<BenchLine, { label: string; shader: string; qpi: 1 | 2 }>>;
type WgslLine = keyof typeof WGSL_LINES;

/** One printed line: rate, ratio to the line measured before it in this run, exp bound, detail. */
function printLine(label: string, r: Timed | string, prev: { label: string; rate: number } | null, expNote: string | null): void {
  if (typeof r === 'string') {
    console.log(`  ${label.padEnd(24)} skipped: ${r}`);
    return;
  }
  const ratio = prev ? `${(r.pairsPerS / prev.rate).toFixed(2)}x ${prev.label}` : 'ratio n/a (first line of this run)';
  console.log(`  ${label.padEnd(24)} ${formatRate(r.pairsPerS).padStart(16)}   ${ratio}${expNote ? `; ${expNote}` : ''}   ${r.detail}`);
}

/** float64 m_lam at the first k particles (the sanity check's expectation). */
function referenceMLam(mu1: Measure, mu2: Measure, x: Float64Array, k: number): Float64Array {
  return benchTs(mu1, mu2, x, k).mLam;
}

async function mixedScoreBench(only: BenchSelection | null): Promise<void> {
  const next = rng(12345);
  const mu1 = makeMeasure(N, D, next);
  const mu2 = makeMeasure(N, D, next);
  const x = makeParticles(M, D, next);
  console.log(`flowlab bench: mixed score, M = ${M} particles, N = ${N} atoms per measure (2 measures), d = ${D}, t = ${T_EVAL}, lambda = ${LAMBDA}`);
  console.log(`pairs per evaluation = M * 2N = ${(M * PAIRS_PER_PARTICLE).toLocaleString('en-US')}`);

  const wgslLines = (Object.keys(WGSL_LINES) as WgslLine[]).filter((line) => runsLine(only, line));
  const wantGpu = wgslLines.length > 0;
  let gpu: GpuContext | null = null;
  if (!wantGpu) {
    // No WGSL line selected: no adapter needed.
  } else if ((env.FLOWLAB_BACKEND ?? '').toLowerCase() !== 'cpu') {
    const r = await acquireNodeGpu({ label: 'Bench.device' });
    gpu = r.context;
    console.log(gpu ? `adapter: ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''} (${r.note}); timestamp-query: ${gpu.hasTimestamps ? 'yes' : 'no'}` : `adapter: none (${r.note})`);
  } else {
    console.log('adapter: skipped (FLOWLAB_BACKEND=cpu)');
  }
  const software = gpu?.isSoftware ?? true;
  const reps = Number(env.BENCH_REPS ?? (software ? 2 : 20));
  const tsCount = Math.min(M, Number(env.BENCH_TS_M ?? (software ? 2048 : M)));

  let prev: { label: string; rate: number } | null = null;
  const measured = (label: string, r: Timed | string, expNote: string | null): void => {
    printLine(label, r, prev, expNote);
    if (typeof r !== 'string') prev = { label, rate: r.pairsPerS };
  };
  for (const line of wgslLines) {
    const { label, shader, qpi } = WGSL_LINES[line];
    if (!gpu) {
      measured(label, 'no WebGPU adapter', null);
      continue;
    }
    const r = await benchGpu(gpu, shader, qpi, mu1, mu2, x, reps);
    measured(label, r, expBoundNote(gpu.adapterDescription, r.pairsPerS, 1));
  }
  if (runsLine(only, 'mixed-score:ts')) measured('TS reference (f64)', benchTs(mu1, mu2, x, tsCount), null);
  if (runsLine(only, 'mixed-score:numpy')) measured('numpy (f32)', benchNumpy(software ? 2 : 3), null);

  // Sanity: today's kernel (each measured query count per invocation) agrees with the float64
  // reference on the first particles.
  for (const qpi of [1, 2] as const) {
    if (!gpu || !wgslLines.some((line) => line !== 'mixed-score:two-pass' && WGSL_LINES[line].qpi === qpi)) continue;
    const k = Math.min(256, M);
    const want = referenceMLam(mu1, mu2, x, k);
    const r = await evaluateMixedScore(gpu, mu1, mu2, LAMBDA, T_EVAL, x.subarray(0, k * D), { split: 1, queriesPerInvocation: qpi });
    let err = 0;
    for (let i = 0; i < k * D; i++) err = Math.max(err, Math.abs(r.mLam[i] - want[i]));
    console.log(`check: max |m_lam(WGSL, ${qpi} q/inv) - m_lam(f64)| over ${k} particles = ${err.toExponential(2)}`);
  }
  gpu?.device.destroy();
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (!args.ok) {
    console.error(args.message);
    process.exit(2);
  }
  const { only } = args;
  if (BENCH_LINES.some((l) => l.startsWith('mixed-score:') && runsLine(only, l))) await mixedScoreBench(only);
  for (const [line, bench] of [['small-t', benchSmallT], ['field', benchField], ['generate', benchGenerate], ['split', benchSplit]] as const) {
    if (!runsLine(only, line)) continue;
    const gpu = (env.FLOWLAB_BACKEND ?? '').toLowerCase() === 'cpu' ? null : (await acquireNodeGpu({ label: `Bench.${line}` })).context;
    await bench(gpu);
    gpu?.device.destroy();
  }
  if (runsLine(only, 'primal-dual')) await benchPrimalDual();
  if (runsLine(only, 'transformer')) await benchTransformer();
  if (runsLine(only, 'bilevel')) await benchBilevel();
}

await main();
process.exit(0);
