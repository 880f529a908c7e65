// Validation of untrusted score-mixing configs (CLI files, URL state, json snapshots, the panel).
// Every failure is a FieldError naming the field path (`mu1.points[3][1]`, `particles.count`),
// the value and what is allowed. The result is a complete config with defaults filled in, which
// is what snapshots store as "the full config".

import { MAX_ATOMS, D_MAX, D_MIN, validatePointSet, validatePoints } from './point-sets';
import { isRecord, integerField, rejectUnknownKeys, schemaReader } from '../config-fields';
import { FieldError, describeAllowed } from '../schema';
import { MAX_PARTICLES, SCORE_MIXING_PARAMS } from './params';
import { toMeasure } from './measures';
import { batchValues, parseCompare } from '../compare';
import { initialParticles, type SamplerOptions } from './reference';
import type { Integrator, ParticlesInput, Sampler, ScoreMixingConfig } from './types';

export { MAX_ATOMS, D_MIN, D_MAX };

const TOP_KEYS = ['mu1', 'mu2', 'lambda', 'T', 'tMin', 'steps', 'sampler', 'beta', 'integrator', 'tol', 'particles', 'record', 'seed', 'compare'] as const;

/** The parameters compare mode runs side by side (lambda: mixture of experts vs guidance). */
export const SCORE_MIXING_COMPARE_KEYS = ['lambda'] as const;

const params = schemaReader('score-mixing', SCORE_MIXING_PARAMS);
const spec = params.spec;
/** A scalar parameter: the schema's check, or its default when absent (and `required` is false). */
const scalar = (key: string, value: unknown, required = false): number | string => params.scalar(key, value, required) as number | string;

function checkWeightSum(field: string, weights: number[] | undefined): void {
  if (!weights) return;
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(sum)) throw new FieldError(field, `sum ${sum}`, 'weights whose sum is finite (they are normalised to sum 1)');
}

function parseParticles(raw: unknown, d: number): ParticlesInput {
  if (raw === undefined) {
    return { count: spec('particles.count').default, seed: spec('particles.seed').default };
  }
  if (!isRecord(raw)) {
    throw new FieldError('particles', raw, '{"count": n, "seed": s} (X(T) ~ N(0, 2T I)) or {"points": [[...], ...]}');
  }
  if ('points' in raw) {
    rejectUnknownKeys(raw, ['points'], 'particles.');
    const points = validatePoints(raw.points, 'particles.points', {
      maxPoints: MAX_PARTICLES,
      d,
      dSource: 'the dimension of mu1.points',
    });
    return { points };
  }
  rejectUnknownKeys(raw, ['count', 'seed'], 'particles.');
  if (raw.count === undefined) {
    throw new FieldError('particles.count', undefined, `required (or give particles.points): ${describeAllowed(spec('particles.count'))}`);
  }
  return {
    count: scalar('particles.count', raw.count) as number,
    seed: scalar('particles.seed', raw.seed) as number,
  };
}

/** Validate `raw` and fill in defaults. Throws FieldError on the first problem found. */
export function parseConfig(raw: unknown): ScoreMixingConfig {
  if (!isRecord(raw)) throw new FieldError('config', raw, 'a JSON object with at least mu1, mu2 and lambda');
  rejectUnknownKeys(raw, TOP_KEYS, '');

  if (raw.mu1 === undefined) throw new FieldError('mu1', undefined, 'required: {"points": [[...], ...], "weights": [...] (optional)}');
  if (raw.mu2 === undefined) throw new FieldError('mu2', undefined, 'required: {"points": [[...], ...], "weights": [...] (optional)}');
  const mu1 = validatePointSet(raw.mu1, 'mu1', { maxPoints: MAX_ATOMS, dMin: D_MIN, dMax: D_MAX });
  const d = mu1.points[0].length;
  const mu2 = validatePointSet(raw.mu2, 'mu2', { maxPoints: MAX_ATOMS, d, dSource: 'the dimension of mu1.points' });
  checkWeightSum('mu1.weights', mu1.weights);
  checkWeightSum('mu2.weights', mu2.weights);

  const lambda = scalar('lambda', raw.lambda, true) as number;
  const T = scalar('T', raw.T) as number;
  const tMin = scalar('tMin', raw.tMin) as number;
  if (!(tMin < T)) throw new FieldError('tMin', tMin, `a number in [${spec('tMin').min}, T) with T = ${T}: generation runs from T down to tMin`);
  const steps = scalar('steps', raw.steps) as number;
  const sampler = scalar('sampler', raw.sampler) as Sampler;
  const integrator = scalar('integrator', raw.integrator) as Integrator;
  if (sampler !== 'ode' && integrator !== 'exp') {
    throw new FieldError('integrator', integrator, `"exp" when sampler is ${JSON.stringify(sampler)} ("heun", "rk4" and "adaptive" require sampler "ode")`);
  }
  const tol = scalar('tol', raw.tol) as number;
  const beta = scalar('beta', raw.beta) as number;
  const particles = parseParticles(raw.particles, d);

  let record: number;
  if (raw.record === undefined) {
    record = Math.min(spec('record').default, steps + 1);
  } else {
    record = integerField('record', raw.record, 2, steps + 1, `an integer in [2, steps + 1] = [2, ${steps + 1}] (steps = ${steps})`);
  }
  const seed = scalar('seed', raw.seed) as number;
  const compare = parseCompare(raw.compare, SCORE_MIXING_COMPARE_KEYS, params, () => lambda);

  // compare only when given, so a config without it (and its snapshots' meta) is unchanged.
  return { mu1, mu2, lambda, T, tMin, steps, sampler, beta, integrator, tol, particles, record, seed, ...(compare ? { compare } : {}) };
}

/** lambda of each batch: the config's own first, then compare.values (one value without compare). */
export function batchLambdas(c: ScoreMixingConfig): number[] {
  return batchValues(c.lambda, c.compare);
}

/** Number of particles a (validated) config runs. */
export function particleCount(c: ScoreMixingConfig): number {
  return 'points' in c.particles ? c.particles.points.length : c.particles.count;
}

/** Dimension of a (validated) config. */
export function dimensionOf(c: ScoreMixingConfig): number {
  return c.mu1.points[0].length;
}

/** What both the page and the headless runner build from a validated config before running. */
export interface RunSetup {
  opts: SamplerOptions;
  /** Initial particles X(T), count*d. */
  x0: Float64Array;
  d: number;
  count: number;
}

export function runSetup(c: ScoreMixingConfig): RunSetup {
  const mu1 = toMeasure(c.mu1);
  const mu2 = toMeasure(c.mu2);
  const d = dimensionOf(c);
  return {
    opts: {
      mu1,
      mu2,
      lambda: c.lambda,
      T: c.T,
      tMin: c.tMin,
      steps: c.steps,
      sampler: c.sampler,
      // The ODE is the beta = 0 member of the family (NUMERICS.md): no noise is drawn.
      beta: c.sampler === 'ode' ? 0 : c.beta,
      integrator: c.integrator,
      seed: c.seed,
      tol: c.tol,
    },
    x0: initialParticles(d, c.T, c.particles),
    d,
    count: particleCount(c),
  };
}
