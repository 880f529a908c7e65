// What the page's Convergence panel asks the study (DOM-free, unit-tested): the config at a
// reduced particle count, the step counts typed in the panel, the `flowlab convergence` command
// line that reproduces the same study, and whether a result still belongs to the page's config
// (staleness). The numerics are the study's (../convergence.ts); this file only frames requests.

import type { Backend } from '../../headless-options';
import type { ConvergenceRequest } from '../../convergence';
import { FieldError } from '../../schema';
import { particleCount } from '../config';
import type { ScoreMixingConfig } from '../types';

/** Particles of a study on the page's GPU (float32): small enough to run beside the animation. */
export const GPU_STUDY_PARTICLES = 64;
/** Particles of a study on the CPU float64 reference (no WebGPU): it runs on the page's main thread. */
export const CPU_STUDY_PARTICLES = 32;
function withoutCompare(compared: ScoreMixingConfig): ScoreMixingConfig {
  const { compare: _compare, ...cfg } = compared;
  return cfg;
}

/** Step counts the panel starts with (a factor 2 apart: the fitted order reads off directly). */
export const DEFAULT_STUDY_STEPS: readonly number[] = [4, 8, 16, 32, 64];
/** The most step counts, and the largest, the panel accepts (each one is a whole run per integrator). */
export const MAX_STUDY_STEP_COUNTS = 12;
export const MAX_STUDY_STEPS = 4096;
/** The file the panel's "Download config" saves and its command line reads. */
export const STUDY_CONFIG_FILE = 'score-mixing-convergence-config.json';
export const STUDY_OUT_FILE = 'conv.npz';

/**
 * The config a study runs: at most `max` particles (fewer drawn, or the first `max` given points)
 * and one lambda, the config's own (a study measures one dynamics: config.compare, the compared
 * lambdas of the picture, is left out).
 */
export function reduceParticles(compared: ScoreMixingConfig, max: number): ScoreMixingConfig {
  const cfg = compared.compare ? withoutCompare(compared) : compared;
  const p = cfg.particles;
  if ('points' in p) return p.points.length <= max ? cfg : { ...cfg, particles: { points: p.points.slice(0, max) } };
  return p.count <= max ? cfg : { ...cfg, particles: { count: max, seed: p.seed } };
}

/** "4, 8 16" -> [4, 8, 16]: distinct integers in [1, MAX_STUDY_STEPS], at most MAX_STUDY_STEP_COUNTS. */
export function parseStepCounts(text: string): number[] {
  const allowed = `a list of distinct integers in [1, ${MAX_STUDY_STEPS}] separated by commas or spaces, at most ${MAX_STUDY_STEP_COUNTS} of them`;
  const items = text.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0) throw new FieldError('convergence.steps', text, allowed);
  if (items.length > MAX_STUDY_STEP_COUNTS) throw new FieldError('convergence.steps', `${items.length} values`, allowed);
  const values = items.map((s, i) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1 || v > MAX_STUDY_STEPS) throw new FieldError(`convergence.steps[${i}]`, s, `an integer in [1, ${MAX_STUDY_STEPS}]`);
    return v;
  });
  if (new Set(values).size !== values.length) throw new FieldError('convergence.steps', text, allowed);
  return values.sort((a, b) => a - b);
}

/** "1e-3, 1e-4" -> [0.001, 0.0001]: distinct tolerances in (0, 1), at most MAX_STUDY_STEP_COUNTS. */
export function parseTolerances(text: string): number[] {
  const allowed = `a list of distinct numbers in (0, 1) separated by commas or spaces, at most ${MAX_STUDY_STEP_COUNTS} of them`;
  const items = text.split(/[\s,]+/).filter((s) => s !== '');
  if (items.length === 0 || items.length > MAX_STUDY_STEP_COUNTS) throw new FieldError('convergence.tolerances', text, allowed);
  const values = items.map((s, i) => {
    const v = Number(s);
    if (!(v > 0 && v < 1)) throw new FieldError(`convergence.tolerances[${i}]`, s, 'a number in (0, 1)');
    return v;
  });
  if (new Set(values).size !== values.length) throw new FieldError('convergence.tolerances', text, allowed);
  return values;
}

/** The integrators picked in the panel, in the study's order; none picked is a FieldError. */
export function pickedIntegrators(all: readonly string[], picked: ReadonlySet<string>): string[] {
  const list = all.filter((name) => picked.has(name));
  if (list.length === 0) throw new FieldError('convergence.integrators', '(none)', `at least one of ${all.join(', ')}`);
  return list;
}

/**
 * `npx flowlab convergence score-mixing ...` for the same request on the same backend, reading the
 * config the panel's "Download config" saves (the page's config at the study's particle count).
 */
export function cliCommand(request: ConvergenceRequest, backend: Backend): string {
  const parts = [
    'npx flowlab convergence score-mixing',
    `--config ${STUDY_CONFIG_FILE}`,
    `--integrators ${request.integrators.join(',')}`,
    `--steps ${request.resolutions.join(',')}`,
    ...(request.tolerances ? [`--tols ${request.tolerances.join(',')}`] : []),
    `--backend ${backend === 'cpu-float64' ? 'cpu' : 'gpu'}`,
    `--out ${STUDY_OUT_FILE}`,
  ];
  return parts.join(' ');
}

/** How to run the same study at the config's own size (count form only: given points are in the file). */
export function fullSizeHint(full: ScoreMixingConfig, reduced: ScoreMixingConfig): string {
  const n = particleCount(full);
  if (n === particleCount(reduced)) return 'This is the config’s own particle count.';
  if ('points' in full.particles) return `The file holds the first ${particleCount(reduced)} of the config’s ${n} given particles; export the page’s config for all of them.`;
  return `At the config’s full size add --set particles.count=${n}.`;
}

/**
 * Config keys the study (../convergence.ts) does not read: record (it keeps end states), steps,
 * integrator and tol (the request gives step counts, integrators and tolerances). beta and seed
 * shape only the SDE sampler's part, so they count only when either config is an SDE one. Every
 * other key changes the numbers, so a change to it makes a result stale.
 */
const UNREAD_KEYS: readonly string[] = ['record', 'steps', 'integrator', 'tol'];
const SDE_KEYS: readonly string[] = ['beta', 'seed'];

/** Top-level config keys the study reads whose values differ between a and b. */
export function changedKeys(a: ScoreMixingConfig, b: ScoreMixingConfig): string[] {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const ode = a.sampler === 'ode' && b.sampler === 'ode';
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
  return keys.filter((k) => !UNREAD_KEYS.includes(k) && !(ode && SDE_KEYS.includes(k)) && JSON.stringify(ra[k]) !== JSON.stringify(rb[k]));
}

/** "λ = 2.5, 64 particles" */
export function describeStudyConfig(cfg: ScoreMixingConfig): string {
  return `λ = ${cfg.lambda}, ${particleCount(cfg)} particles`;
}

/**
 * The sentence under a result: what it was computed for and, when the page's config (reduced the
 * same way) differs in a key the study reads, which keys changed and that it must run again.
 */
export function resultCaption(computedFor: ScoreMixingConfig, current: ScoreMixingConfig | null): { text: string; stale: boolean } {
  const base = `computed for ${describeStudyConfig(computedFor)}`;
  const changed = current ? changedKeys(computedFor, current) : [];
  if (changed.length === 0) return { text: base, stale: false };
  return { text: `${base}; the config changed (${changed.join(', ')}) — run again`, stale: true };
}
