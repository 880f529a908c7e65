// The transformer lab's numerics self-test on the user's adapter (src/labs/selftest.ts), through the
// entry points test/gpu/transformer*.test.ts use, with their tolerances (tolerances.ts):
//   attention-forward.wgsl          TransformerSimulation.forward vs reference forward(), every layer
//   attention-vjp-rows+keys.wgsl    TransformerBackward: the state cotangent dX^0 (and the query's)
//   head-gradients.wgsl             TransformerBackward: dQ, dK, dV
//   head-update.wgsl                TransformerBackward.update: theta - tau L H dR/dtheta
//   readout-risk.wgsl               TransformerTrainer: the risk history vs the float64 trainStep curve
// One Heun case with query tokens and two key tiles (rows 71 > 64), so the Heun combine pass runs
// inside the backward too; d = k = 3 throughout, so the trainer reuses the compiled pipelines.

import type { GpuContext } from '../../gpu/device';
import { ReadbackPool } from '../../gpu/readback';
import { applyPerturbation, selfTestRandom, timedCheck, worse, worstRatio, type KernelCheck, type SelfTestOptions } from '../selftest';
import { TransformerBackward, type GpuGradients } from './backward';
import { gaussianBatch } from './data';
import { cloneHeads, initHeads } from './heads';
import { backward, forward, outputCount, riskAndCotangent, trainStep } from './reference';
import { TransformerSimulation } from './simulation';
import { TransformerTrainer } from './trainer';
import { forwardTolerance, gradientTolerance, maxLogit, riskTolerance, updateTolerance } from './tolerances';
import type { FlowOptions, Readout } from './types';

const LAB = 'transformer';
const D = 3;
const FLOW: FlowOptions = { stepper: 'heun', sphere: false };
const SHAPE = { batch: 2, n: 70, L: 2, H: 2 };
const TAU = 0.05;
/** The trainer's step: small enough that the risk decreases steadily (the drift model of riskTolerance). */
const TRAIN_TAU = 0.1;

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/** Worst |got - want| / gradientTolerance over the arrays, perturbing the first when asked. */
function gradientRatio(options: SelfTestOptions | undefined, kernel: string, lambda: number, pairs: [Float32Array | null, Float64Array | null][]): number {
  let worst = 0;
  for (const [pi, [got, want]] of pairs.entries()) {
    if (!got || !want) continue;
    const tol = gradientTolerance(lambda, maxAbs(want));
    if (pi === 0) applyPerturbation(options, kernel, got, tol);
    worst = worse(worst, got.length === want.length ? worstRatio(got, want, () => tol) : Infinity);
  }
  return worst;
}

async function forwardAndBackward(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]> {
  const size = `batch ${SHAPE.batch}, n ${SHAPE.n} + query, d ${D}, L ${SHAPE.L}, H ${SHAPE.H}, Heun`;
  const heads = initHeads({ L: SHAPE.L, H: SHAPE.H, k: D, d: D, seed: 301, qkScale: 1.5, vScale: 1, clip: 3 });
  const tb = gaussianBatch({ batch: SHAPE.batch, n: SHAPE.n, d: D, seed: 401, query: true });
  const traj = forward(heads, tb, FLOW);
  const lambda = maxLogit(heads, tb, traj.states);
  const rand = selfTestRandom(9);
  const P = Float64Array.from({ length: traj.states[0].length }, () => 2 * rand() - 1);
  let sim: TransformerSimulation | null = null;
  let bw: TransformerBackward | null = null;
  try {
    const checks: KernelCheck[] = [];
    checks.push(
      await timedCheck(
        { lab: LAB, kernel: `${LAB}/attention-forward`, size, tolerance: '16 eps (1 + max|logit|) max|X| per state entry (test/gpu/transformer)' },
        async () => {
          sim = await TransformerSimulation.create(gpu, heads, tb, FLOW);
          sim.forward();
          const got = await sim.readStates();
          const want = new Float64Array(got.length);
          traj.states.forEach((s, l) => want.set(s, l * s.length));
          const tol = forwardTolerance(lambda, maxAbs(want));
          applyPerturbation(options, `${LAB}/attention-forward`, got, tol);
          return worstRatio(got, want, () => tol);
        },
      ),
    );
    const grads: { got: GpuGradients | null } = { got: null };
    const wantGrads = backward(heads, tb, FLOW, traj, P);
    const gradTolerance = '64 eps (1 + max|logit|) max|gradient| per entry (test/gpu/transformer-backward)';
    checks.push(
      await timedCheck({ lab: LAB, kernel: `${LAB}/attention-vjp-rows+keys`, size, tolerance: gradTolerance }, async () => {
        const s = sim!;
        bw = await TransformerBackward.create(gpu, s);
        s.forward();
        bw.backward(P);
        grads.got = await bw.readGradients();
        return gradientRatio(options, `${LAB}/attention-vjp-rows+keys`, lambda, [
          [grads.got.dX, wantGrads.dX],
          [grads.got.dQuery, wantGrads.dQuery],
        ]);
      }),
    );
    checks.push(
      await timedCheck({ lab: LAB, kernel: `${LAB}/head-gradients`, size, tolerance: gradTolerance }, async () => {
        const g = grads.got!;
        return gradientRatio(options, `${LAB}/head-gradients`, lambda, [
          [g.dQ, wantGrads.dQ],
          [g.dK, wantGrads.dK],
          [g.dV, wantGrads.dV],
        ]);
      }),
    );
    checks.push(
      await timedCheck(
        { lab: LAB, kernel: `${LAB}/head-update`, size: `${heads.Q.length + heads.K.length + heads.V.length} parameters, tau ${TAU}`, tolerance: '4 eps |theta| + tau L H x the gradient tolerance (test/gpu/transformer-backward)' },
        async () => {
          bw!.update(TAU);
          const pool = new ReadbackPool(gpu.device, 'TransformerSelfTest.readback');
          try {
            const f = TAU * SHAPE.L * SHAPE.H;
            let worst = 0;
            for (const [name, theta, g] of [['Q', heads.Q, wantGrads.dQ], ['K', heads.K, wantGrads.dK], ['V', heads.V, wantGrads.dV]] as const) {
              const got = new Float32Array(await pool.read(sim!.buffers[name], 0, 4 * theta.length));
              const scale = maxAbs(g);
              if (name === 'Q') applyPerturbation(options, `${LAB}/head-update`, got, updateTolerance(theta[0], f, lambda, scale));
              worst = worse(worst, worstRatio(got, Float64Array.from(theta, (v, i) => v - f * g[i]), (i) => updateTolerance(theta[i], f, lambda, scale)));
            }
            return worst;
          } finally {
            pool.dispose();
          }
        },
      ),
    );
    return checks;
  } finally {
    (bw as TransformerBackward | null)?.dispose();
    (sim as TransformerSimulation | null)?.dispose();
  }
}

async function readoutRiskCheck(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck> {
  const kernel = `${LAB}/readout-risk`;
  const iterations = 4;
  const [batch, n, e, L, H] = [3, 5, 2, 2, 2];
  return timedCheck(
    {
      lab: LAB,
      kernel,
      size: `token readout, batch ${batch}, n ${n}, d ${D}, e ${e}, ${iterations} training iterations`,
      tolerance: '2 eps (1 + max|logit|) (1 + i) (R_i + |B| max|X| sqrt(2 R_i)) (test/gpu/transformer-trainer)',
    },
    async () => {
      const heads = initHeads({ L, H, k: D, d: D, seed: 500, qkScale: 0.7, vScale: 0.3, clip: 3 });
      const tokens = gaussianBatch({ batch, n, d: D, seed: 501 });
      const rand = selfTestRandom(500);
      const B = Float64Array.from({ length: e * D }, () => 2 * rand() - 1);
      const readout: Readout = { kind: 'token', e, B };
      const targets = Float64Array.from({ length: outputCount(readout, tokens) }, () => 2 * rand() - 1);
      // The float64 curve: the risk before each trainStep and after the last.
      const ref = cloneHeads(heads);
      const want = new Float64Array(iterations + 1);
      for (let i = 0; i < iterations; i++) want[i] = trainStep(ref, tokens, readout, targets, FLOW, TRAIN_TAU);
      want[iterations] = riskAndCotangent(readout, tokens, forward(ref, tokens, FLOW).states[L], targets).risk;
      const traj = forward(heads, tokens, FLOW);
      const lambda = maxLogit(heads, tokens, traj.states);
      const xMax = traj.states.reduce((m, s) => Math.max(m, maxAbs(s)), 0);
      const bNorm = Math.hypot(...B);
      const trainer = await TransformerTrainer.create(gpu, { heads, tokens, flow: FLOW, readout, targets, tau: TRAIN_TAU, capacity: iterations });
      try {
        const encoder = gpu.device.createCommandEncoder({ label: 'TransformerSelfTest.trainerEncoder' });
        trainer.encodeIterations(encoder, iterations);
        gpu.device.queue.submit([encoder.finish()]);
        const got = await trainer.readRisk(iterations + 1);
        const tol = (i: number): number => riskTolerance(i, want[i], lambda, bNorm, xMax);
        applyPerturbation(options, kernel, got, tol(0));
        return worstRatio(got, want, tol);
      } finally {
        trainer.dispose();
      }
    },
  );
}

export async function selfTest(gpu: GpuContext, options?: SelfTestOptions): Promise<KernelCheck[]> {
  return [...(await forwardAndBackward(gpu, options)), await readoutRiskCheck(gpu, options)];
}
