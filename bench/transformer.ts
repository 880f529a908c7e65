// Transformer lab benchmark (called from bench/run.ts): token-pair interactions per second of the
// attention kernels against the kernels they replaced and the float64 TS reference, at the issue's
// size B = 16 sequences, n = 256 tokens, H = 32 heads, d = k = 2, Euler.
//
// One token-pair interaction = one (sequence, head, query row, key) term of one layer's
// attention: a layer has B * H * n * n of them, in the forward (attention-forward.wgsl: logit,
// online log-sum-exp, weighted sum; then attention-forward-sum.wgsl) and in the backward
// (attention-vjp-rows + -keys + -sum, head-gradients + -sum). Rates are pairs per second of wall
// time.
//
// Lines, in this order, all measured in this one run, each with its ratio to the line before it
// (as bench/run.ts prints them): the forward before issue 13 item 3 (shaders/bench/
// transformer-attention-forward.wgsl, bench/transformer-baseline.ts: heads looped inside one
// workgroup per (sequence, row tile), two exp per pair), today's forward (heads in the grid, one
// exp2 per pair, per-row LSE kept), the old backward (softmax recomputed, heads looped in the key
// pass, one invocation per parameter gradient), today's backward (kept LSE: one exp2 per pair in
// each pass; heads in the grid; two-level gradient reduction). The detail of the last line
// cross-checks the two backwards' dQ, dK, dV (max |new - old| / max |old|). On a GPU known by
// name each WGSL line also gives the fraction of its exp bound (bench/exp-bound.ts) at the exps per
// pair that kernel spends (2, 1, 4, 2).
//
// GPU: wall clock from submit to onSubmittedWorkDone, after a warm-up pass, of `reps` forward
// passes (or backward passes) in one submit; L layers each; old and new alternate for `rounds`
// rounds and each line keeps its fastest round (a machine shared with other work slows whichever
// kernel happens to run during the interference, not both). TS: reference.forward / backward on a
// stated subset of the sequences (pairs per sequence are the same, so the subset does not bias
// the rate). On a real GPU a last line times one whole training iteration (forward, backward,
// update) at the largest size the lab accepts (B = 64, n = 256, L = 64, H = 256, d = k = 2);
// on a software adapter it is skipped, with a note.
//
// Environment: BENCH_TF_L (layers, default 2 software / 8 GPU), BENCH_TF_REPS, BENCH_TF_ROUNDS
// (default 1 software / 3 GPU), BENCH_TF_TS_B
// (sequences of the TS subset), BENCH_TF_B, BENCH_TF_N, BENCH_TF_H (a reduced size, e.g. on a
// software adapter), FLOWLAB_BACKEND=cpu.

import type { GpuContext } from '../src/gpu/device';
import { acquireNodeGpu } from '../src/gpu/node-gpu';
import { TransformerBackward } from '../src/labs/transformer/backward';
import { expBoundNote } from './exp-bound';
import { BaselineAttention } from './transformer-baseline';
import { gaussianBatch } from '../src/labs/transformer/data';
import { initHeads } from '../src/labs/transformer/heads';
import { backward, forward, rowsOf } from '../src/labs/transformer/reference';
import { TransformerSimulation } from '../src/labs/transformer/simulation';
import type { FlowOptions, Heads, TokenBatch } from '../src/labs/transformer/types';

const B = Number(process.env.BENCH_TF_B ?? 16);
const N = Number(process.env.BENCH_TF_N ?? 256);
const H = Number(process.env.BENCH_TF_H ?? 32);
const D = 2;
const FLOW: FlowOptions = { stepper: 'euler', sphere: false };

const fmt = (r: number): string => (r >= 1e9 ? `${(r / 1e9).toFixed(2)} G` : `${(r / 1e6).toFixed(2)} M`) + 'pairs/s';

function setup(L: number, h: number, batch: number, n: number): { heads: Heads; tb: TokenBatch } {
  const heads = initHeads({ L, H: h, k: D, d: D, seed: 7, qkScale: 0.7, vScale: 0.7, clip: 4 });
  return { heads, tb: gaussianBatch({ batch, n, d: D, seed: 3 }) };
}

/** A fixed cotangent of X^L (batch x rows x d), small and non-zero everywhere. */
function cotangent(tb: TokenBatch): Float64Array {
  return Float64Array.from({ length: tb.batch * rowsOf(tb) * tb.d }, (_, i) => Math.sin(0.37 * i) / (tb.batch * tb.n));
}

async function wall(gpu: GpuContext, encode: () => void): Promise<number> {
  const start = performance.now();
  encode();
  await gpu.device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / 1000;
}

interface Rates {
  oldFwd: number;
  fwd: number;
  oldBwd: number;
  bwd: number;
  detail: { oldFwd: string; fwd: string; oldBwd: string; bwd: string };
}

async function gpuRates(gpu: GpuContext, L: number, reps: number, rounds: number): Promise<Rates> {
  const { heads, tb } = setup(L, H, B, N);
  const sim = await TransformerSimulation.create(gpu, heads, tb, FLOW);
  const bw = await TransformerBackward.create(gpu, sim);
  const old = await BaselineAttention.create(gpu, sim);
  const { device } = gpu;
  const timed = (label: string, encode: (enc: GPUCommandEncoder) => void): Promise<number> =>
    wall(gpu, () => {
      const enc = device.createCommandEncoder({ label });
      for (let r = 0; r < reps; r++) encode(enc);
      device.queue.submit([enc.finish()]);
    });
  try {
    const pairs = L * B * H * N * N;
    const P = cotangent(tb);
    old.setCotangent(device, P);
    // Warm-up: pipelines, first touch of every buffer.
    const warm = device.createCommandEncoder({ label: 'BenchTransformer.warmup' });
    old.encodeForward(warm);
    sim.encodeForward(warm);
    old.encodeBackward(warm);
    device.queue.submit([warm.finish()]);
    bw.backward(P);
    await device.queue.onSubmittedWorkDone();
    let [ofs, fs, obs, bs] = [Infinity, Infinity, Infinity, Infinity];
    for (let r = 0; r < rounds; r++) {
      // The new forward runs last before the backwards, so both read its states (and the new one its LSE).
      ofs = Math.min(ofs, await timed('BenchTransformer.oldForward', (e) => old.encodeForward(e)));
      fs = Math.min(fs, await timed('BenchTransformer.forward', (e) => sim.encodeForward(e)));
      obs = Math.min(obs, await timed('BenchTransformer.oldBackward', (e) => old.encodeBackward(e)));
      bs = Math.min(bs, await timed('BenchTransformer.backward', (e) => bw.encodeBackward(e)));
    }
    const [g, og] = await Promise.all([bw.readGradients(), old.readGradients(device)]);
    const news = [g.dQ, g.dK, g.dV];
    const finite = news.every((a) => a.every(Number.isFinite));
    const agree = news.map((a, i) => {
      let err = 0;
      let scale = 0;
      for (let e = 0; e < a.length; e++) {
        err = Math.max(err, Math.abs(a[e] - og[i][e]));
        scale = Math.max(scale, Math.abs(og[i][e]));
      }
      return `${['dQ', 'dK', 'dV'][i]} ${(err / (scale || 1)).toExponential(1)}`;
    });
    const per = (sec: number): string => `${((1000 * sec) / reps).toFixed(2)} ms per pass`;
    const tiles = Math.ceil(N / 64);
    const rates = { oldFwd: (reps * pairs) / ofs, fwd: (reps * pairs) / fs, oldBwd: (reps * pairs) / obs, bwd: (reps * pairs) / bs };
    // Exps per pair: old forward 2 (rescale and weight), new 1; old backward 4 (the softmax
    // recomputed in the rows and keys passes), new 2 (one exp2 per pair in each, from the kept LSE).
    const bound = (rate: number, expPerPair: number): string => expBoundNote(gpu.adapterDescription, rate, expPerPair);
    return {
      ...rates,
      detail: {
        oldFwd: `${per(ofs)}, ${reps} pass${reps > 1 ? 'es' : ''} of L = ${L} in one submit, best of ${rounds} round${rounds > 1 ? 's' : ''}, ${B * tiles} workgroups per layer; ${bound(rates.oldFwd, 2)}; ${gpu.adapterDescription}${gpu.isSoftware ? ' [software]' : ''}`,
        fwd: `${per(fs)}, ${B * H * tiles} workgroups per layer + the head sum; LSE kept: ${sim.savesHeadStates ? 'yes' : 'no (over budget)'}; ${bound(rates.fwd, 1)}`,
        oldBwd: `${per(obs)}; ${bound(rates.oldBwd, 4)}`,
        bwd: `${per(bs)}; ${bound(rates.bwd, 2)}; vs old: max |new - old| / max |old| ${agree.join(', ')}${finite ? '' : ' (NON-FINITE gradients!)'}`,
      },
    };
  } finally {
    old.dispose();
    bw.dispose();
    sim.dispose();
  }
}

/** One bench line: rate, its ratio to the line printed before it (bench/run.ts's format), detail. */
function line(label: string, rate: number, prev: { label: string; rate: number } | null, detail: string): { label: string; rate: number } {
  const ratio = prev ? `${(rate / prev.rate).toFixed(2)}x ${prev.label}` : 'ratio n/a (first line of this run)';
  console.log(`  ${label.padEnd(30)} ${fmt(rate).padStart(16)}   ${ratio}   ${detail}`);
  return { label, rate };
}

/** One training iteration at the lab's largest accepted size (GPU only). */
async function largestIteration(gpu: GpuContext): Promise<string> {
  const L = 64;
  const { heads, tb } = setup(L, 256, 64, 256);
  const sim = await TransformerSimulation.create(gpu, heads, tb, FLOW);
  const bw = await TransformerBackward.create(gpu, sim);
  try {
    const P = cotangent(tb);
    sim.forward();
    bw.backward(P);
    await gpu.device.queue.onSubmittedWorkDone();
    const reps = 3;
    const s = await wall(gpu, () => {
      for (let r = 0; r < reps; r++) {
        sim.forward();
        bw.backward(P);
        bw.update(1e-3);
      }
    });
    const pairs = 2 * L * 64 * 256 * 256 * 256;
    return `${((1000 * s) / reps).toFixed(1)} ms per iteration (forward + backward + update), ${fmt((reps * pairs) / s)} forward + backward`;
  } finally {
    bw.dispose();
    sim.dispose();
  }
}

export async function benchTransformer(): Promise<void> {
  const env = process.env;
  let gpu: GpuContext | null = null;
  if ((env.FLOWLAB_BACKEND ?? '').toLowerCase() !== 'cpu') gpu = (await acquireNodeGpu({ label: 'BenchTransformer.device' })).context;
  const software = gpu?.isSoftware ?? true;
  const L = Number(env.BENCH_TF_L ?? (software ? 2 : 8));
  const reps = Number(env.BENCH_TF_REPS ?? (software ? 1 : 10));
  console.log(`\nflowlab bench: transformer attention, B = ${B}, n = ${N}, H = ${H}, d = k = ${D}, L = ${L}, Euler; pairs per pass = L B H n^2 = ${(L * B * H * N * N).toLocaleString('en-US')}`);

  let g: { fwd: number; bwd: number } | null = null;
  if (gpu) {
    try {
      const r = await gpuRates(gpu, L, reps, Number(env.BENCH_TF_ROUNDS ?? (software ? 1 : 3)));
      g = r;
      let prev = line('WGSL forward old (f32)', r.oldFwd, null, r.detail.oldFwd);
      prev = line('WGSL forward heads-grid (f32)', r.fwd, prev, r.detail.fwd);
      prev = line('WGSL backward old (f32)', r.oldBwd, prev, r.detail.oldBwd);
      line('WGSL backward heads-grid (f32)', r.bwd, prev, r.detail.bwd);
    } catch (e) {
      console.log(`  WGSL kernels         failed: ${(e as Error).message}`);
    }
  } else console.log('  WGSL kernels         skipped: no WebGPU adapter');

  const tsB = Math.min(B, Number(env.BENCH_TF_TS_B ?? (software ? 1 : 2)));
  const { heads, tb } = setup(L, H, tsB, N);
  const tsPairs = L * tsB * H * N * N;
  let start = performance.now();
  const traj = forward(heads, tb, FLOW);
  const fs = (performance.now() - start) / 1000;
  start = performance.now();
  backward(heads, tb, FLOW, traj, cotangent(tb));
  const bs = (performance.now() - start) / 1000;
  const subset = `${tsB} of ${B} sequences${tsB < B ? ' (subset)' : ''}`;
  console.log(`  ${'TS forward (f64)'.padEnd(30)} ${fmt(tsPairs / fs).padStart(16)}   ${subset}, ${fs.toFixed(2)} s`);
  console.log(`  ${'TS backward (f64)'.padEnd(30)} ${fmt(tsPairs / bs).padStart(16)}   ${subset}, ${bs.toFixed(2)} s`);
  console.log(`ratios (today's kernels): ${g ? `forward WGSL / TS = ${(g.fwd / (tsPairs / fs)).toFixed(1)}x, backward WGSL / TS = ${(g.bwd / (tsPairs / bs)).toFixed(1)}x` : 'n/a'}`);

  if (gpu && !software) {
    try {
      console.log(`  largest size (B = 64, n = 256, L = 64, H = 256): ${await largestIteration(gpu)}`);
    } catch (e) {
      console.log(`  largest size (B = 64, n = 256, L = 64, H = 256): failed: ${(e as Error).message}`);
    }
  } else console.log('  largest size (B = 64, n = 256, L = 64, H = 256): skipped on a software adapter (one iteration would take minutes)');
  gpu?.device.destroy();
}
