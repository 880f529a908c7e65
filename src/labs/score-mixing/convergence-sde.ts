// The SDE part of the score-mixing convergence study (convergence.ts), run when the config's
// sampler is 'sde': the exponential SDE step (the only SDE integrator) at each requested step
// count, with the config's beta and noise seed, and its weak error in the first two moments at
// tMin (convergence-moments.ts). The reference:
// - exact, when lambda = 1 and the particles are drawn ({count, seed}): the runs then start from
//   exact samples of u1(T) (sampleHeatFlow, the same normals as the lab's X(T)) so the marginal
//   at tMin is u1(tMin) exactly, with mean sum w a and second moment sum w a a^T + 2 tMin I;
// - otherwise, the same SDE from the config's particles at SDE_REFINEMENT x the finest requested
//   step count, same particle count, on the same backend; its own standard error is added.
// The noise is keyed by (seed, particle, step), so runs at different step counts draw independent
// paths: every error carries Monte Carlo noise, reported next to it, and the fitted orders use
// only points whose error exceeds SE_FIT_FACTOR standard errors.

import type { HeadlessOptions } from '../headless-options';
import { fitLogLogSlope } from '../../math/slope';
import { runSetup } from './config';
import { heatFlowMoments, sampleMoments, weakError, type Moments } from './convergence-moments';
import { finalState, type StudyProgress } from './convergence-runs';
import { sampleHeatFlow } from './reference';
import type { ScoreMixingConfig } from './types';

export const SDE_REFINEMENT = 8;
export const SE_FIT_FACTOR = 4;

export interface SdeStudyResult {
  meanError: Float64Array;
  momentError: Float64Array;
  meanSe: Float64Array;
  momentSe: Float64Array;
  /** [order of the mean error, order of the second-moment error] (NaN: fewer than 2 usable points). */
  order: Float64Array;
  meta: Record<string, unknown>;
}

/** Whether the exact-moment reference applies (header). */
export function sdeExactCase(cfg: ScoreMixingConfig): boolean {
  return cfg.lambda === 1 && 'count' in cfg.particles;
}

/** Cost in particle-atom evaluations of the SDE part (runs and a sampled reference), for planning. */
export function sdeCost(cfg: ScoreMixingConfig, steps: readonly number[], count: number, atoms: number): number {
  const runs = steps.reduce((a, b) => a + b, 0);
  const fine = sdeExactCase(cfg) ? 0 : SDE_REFINEMENT * Math.max(...steps);
  return count * atoms * (runs + fine);
}

/** Order of a weak error: -slope of log error on log steps over the points above SE_FIT_FACTOR SE. */
function fitOrder(steps: readonly number[], error: Float64Array, se: Float64Array): { order: number; used: number[] } {
  const used = steps.filter((_, k) => error[k] > SE_FIT_FACTOR * se[k]);
  const fit = fitLogLogSlope(used, used.map((s) => error[steps.indexOf(s)]));
  return { order: -fit.slope, used };
}

export async function sdeStudy(
  cfg: ScoreMixingConfig,
  steps: readonly number[],
  options: HeadlessOptions,
  progress: StudyProgress,
  atoms: number,
): Promise<SdeStudyResult> {
  const setup = runSetup(cfg);
  const { d, count } = setup;
  const exact = sdeExactCase(cfg);
  const x0 = exact && 'count' in cfg.particles ? sampleHeatFlow(setup.opts.mu1, cfg.T, count, cfg.particles.seed) : setup.x0;
  const sdeCfg: ScoreMixingConfig = { ...cfg, sampler: 'sde', integrator: 'exp', record: 2 };
  let reference: Moments;
  let referenceText: string;
  if (exact) {
    reference = heatFlowMoments(setup.opts.mu1, cfg.tMin);
    referenceText = 'exact moments of u1(tMin) (lambda = 1, X(T) exact samples of u1(T)): mean sum w a, second moment sum w a a^T + 2 tMin I';
  } else {
    const fineSteps = SDE_REFINEMENT * Math.max(...steps);
    const units = count * atoms * fineSteps;
    reference = sampleMoments(await finalState({ ...sdeCfg, steps: fineSteps }, x0, options, progress.part(units)), d);
    progress.finish(units);
    referenceText = `the same SDE at ${fineSteps} steps (${SDE_REFINEMENT} x the finest requested), same particles and count, on the study's backend`;
  }
  const k = steps.length;
  const r = { meanError: new Float64Array(k), momentError: new Float64Array(k), meanSe: new Float64Array(k), momentSe: new Float64Array(k) };
  for (const [j, s] of steps.entries()) {
    const units = count * atoms * s;
    const x = await finalState({ ...sdeCfg, steps: s }, x0, options, progress.part(units));
    progress.finish(units);
    const e = weakError(sampleMoments(x, d), reference);
    r.meanError[j] = e.mean;
    r.momentError[j] = e.second;
    r.meanSe[j] = e.meanSe;
    r.momentSe[j] = e.secondSe;
  }
  const meanFit = fitOrder(steps, r.meanError, r.meanSe);
  const momentFit = fitOrder(steps, r.momentError, r.momentSe);
  return {
    ...r,
    order: Float64Array.from([meanFit.order, momentFit.order]),
    meta: {
      integrator: 'exp',
      beta: cfg.beta,
      noiseSeed: cfg.seed,
      start: exact ? 'exact samples of u1(T) (sampleHeatFlow with particles.seed)' : "the config's particles",
      reference: referenceText,
      errors: 'mean: |mean_h - mean_ref|; moment: ||E_h[X X^T] - E_ref[X X^T]||_F, at tMin',
      standardError: 'sqrt(sum_i Var X_i / N) and sqrt(sum_ij Var(X_i X_j) / N), the reference\'s added in quadrature when sampled',
      orders: ['mean', 'moment'],
      fit: { threshold: `error > ${SE_FIT_FACTOR} standard errors`, usedMean: meanFit.used, usedMoment: momentFit.used },
    },
  };
}
