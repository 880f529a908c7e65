// Transformer lab benchmark (called from bench/run.ts): token-pair interactions per second of the
// attention kernels against the float64 TS reference, at the issue's size B = 16 sequences,
// n = 256 tokens, H = 32 heads, d = k = 2, Euler.
//
// One token-pair interaction = one (sequence, head, query row, key) term of one layer's
// attention: a layer has B * H * n * n of them, in the forward (attention-forward.wgsl: logit,
// online log-sum-exp, weighted sum) and in the backward (attention-vjp-rows + -keys +
// head-gradients, softmax recomputed). Rates are pairs per second of wall time.
//
// GPU: wall clock from submit to onSubmittedWorkDone, after a warm-up pass, of `reps` forward
// passes (or backward passes) in one submit; L layers each. TS: reference.forward / backward on a
// stated subset of the sequences (pairs per sequence are the same, so the subset does not bias
// the rate). On a real GPU a last line times one whole training iteration (forward, backward,
// update) at the largest size the lab accepts (B = 64, n = 256, L = 64, H = 256, d = k = 2);
// on a software adapter it is skipped, with a note.
//
// Environment: BENCH_TF_L (layers, default 2 software / 8 GPU), BENCH_TF_REPS, BENCH_TF_TS_B
// (sequences of the TS subset), FLOWLAB_BACKEND=cpu.

import type { GpuContext } from '../src/gpu/device';
import { acquireNodeGpu } from '../src/gpu/node-gpu';
import { TransformerBackward } from '../src/labs/transformer/backward';
import { gaussianBatch } from '../src/labs/transformer/data';
import { initHeads } from '../src/labs/transformer/heads';
import { backward, forward, rowsOf } from '../src/labs/transformer/reference';
import { TransformerSimulation } from '../src/labs/transformer/simulation';
import type { FlowOptions, Heads, TokenBatch } from '../src/labs/transformer/types';

const B = 16;
const N = 256;
const H = 32;
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

async function gpuRates(gpu: GpuContext, L: number, reps: number): Promise<{ fwd: number; bwd: number; detail: string }> {
  const { heads, tb } = setup(L, H, B, N);
  const sim = await TransformerSimulation.create(gpu, heads, tb, FLOW);
  const bw = await TransformerBackward.create(gpu, sim);
  try {
    const pairs = L * B * H * N * N;
    const P = cotangent(tb);
    sim.forward();
    bw.backward(P);
    await gpu.device.queue.onSubmittedWorkDone();
    const fs = await wall(gpu, () => {
      const enc = gpu.device.createCommandEncoder({ label: 'BenchTransformer.forward' });
      for (let r = 0; r < reps; r++) sim.encodeForward(enc);
      gpu.device.queue.submit([enc.finish()]);
    });
    const bs = await wall(gpu, () => {
      const enc = gpu.device.createCommandEncoder({ label: 'BenchTransformer.backward' });
      for (let r = 0; r < reps; r++) bw.encodeBackward(enc);
      gpu.device.queue.submit([enc.finish()]);
    });
    const g = await bw.readGradients();
    const finite = g.dQ.every(Number.isFinite) && g.dV.every(Number.isFinite);
    return {
      fwd: (reps * pairs) / fs,
      bwd: (reps * pairs) / bs,
      detail: `${reps} pass${reps > 1 ? 'es' : ''} of L = ${L} in one submit: forward ${((1000 * fs) / reps).toFixed(2)} ms, backward ${((1000 * bs) / reps).toFixed(2)} ms per pass${finite ? '' : ' (NON-FINITE gradients!)'}`,
    };
  } finally {
    bw.dispose();
    sim.dispose();
  }
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
      const r = await gpuRates(gpu, L, reps);
      g = r;
      console.log(`  WGSL forward (f32)   ${fmt(r.fwd).padStart(16)}   ${gpu.adapterDescription}${software ? ' [software]' : ''}`);
      console.log(`  WGSL backward (f32)  ${fmt(r.bwd).padStart(16)}   ${r.detail}`);
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
  console.log(`  TS forward (f64)     ${fmt(tsPairs / fs).padStart(16)}   ${subset}, ${fs.toFixed(2)} s`);
  console.log(`  TS backward (f64)    ${fmt(tsPairs / bs).padStart(16)}   ${subset}, ${bs.toFixed(2)} s`);
  console.log(`ratios: ${g ? `forward WGSL / TS = ${(g.fwd / (tsPairs / fs)).toFixed(1)}x, backward WGSL / TS = ${(g.bwd / (tsPairs / bs)).toFixed(1)}x` : 'n/a'}`);

  if (gpu && !software) {
    try {
      console.log(`  largest size (B = 64, n = 256, L = 64, H = 256): ${await largestIteration(gpu)}`);
    } catch (e) {
      console.log(`  largest size (B = 64, n = 256, L = 64, H = 256): failed: ${(e as Error).message}`);
    }
  } else console.log('  largest size (B = 64, n = 256, L = 64, H = 256): skipped on a software adapter (one iteration would take minutes)');
  gpu?.device.destroy();
}
