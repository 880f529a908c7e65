// Validation of untrusted bilevel configs (CLI files, URL state, json snapshots, the panel). Every
// failure is a FieldError naming the field path (`grid.x1[1]`, `perturbation.q`, `kappa`), the
// value and what is allowed. The result is a complete config with defaults filled in (what
// snapshots store as "the full config"). Also the grid geometry and the perturbation draw, which
// the page, the headless runner and the kernel all take from here.

import { validateVector } from '../../io/matrix';
import { uniformPair } from '../../math/rng';
import { isRecord, rejectUnknownKeys, schemaReader } from '../config-fields';
import { FieldError } from '../schema';
import { BILEVEL_PARAMS, MAX_PERTURBATION, X_LIMIT } from './params';
import { FAMILIES, FAMILY_DIMS, type BilevelConfig, type Family, type GridConfig, type Perturbation, type PerturbationInput } from './types';

const TOP_KEYS = ['family', 'grid', 'perturbation', 'kappa'] as const;
const GRID_KEYS = ['n', 'x1', 'x2'] as const;
const schema = schemaReader('bilevel', BILEVEL_PARAMS);
const DEFAULT_RANGE: [number, number] = [-2, 2];

function parseRange(raw: unknown, field: string): [number, number] {
  if (raw === undefined) return [...DEFAULT_RANGE];
  const allowed = `[lo, hi] with ${-X_LIMIT} <= lo < hi <= ${X_LIMIT}`;
  const [lo, hi] = validateVector(raw, field, 2, allowed);
  if (lo < -X_LIMIT || lo > X_LIMIT) throw new FieldError(`${field}[0]`, lo, `a number in [${-X_LIMIT}, ${X_LIMIT}]`);
  if (hi < -X_LIMIT || hi > X_LIMIT) throw new FieldError(`${field}[1]`, hi, `a number in [${-X_LIMIT}, ${X_LIMIT}]`);
  if (!(lo < hi)) throw new FieldError(field, raw, allowed);
  return [lo, hi];
}

function parseGrid(raw: unknown): GridConfig {
  if (raw === undefined) return { n: schema.number('grid.n', undefined), x1: [...DEFAULT_RANGE], x2: [...DEFAULT_RANGE] };
  if (!isRecord(raw)) throw new FieldError('grid', raw, '{"n": N, "x1": [lo, hi], "x2": [lo, hi]}');
  rejectUnknownKeys(raw, GRID_KEYS, 'grid.');
  return { n: schema.number('grid.n', raw.n), x1: parseRange(raw.x1, 'grid.x1'), x2: parseRange(raw.x2, 'grid.x2') };
}

function boundedVector(raw: unknown, field: string, length: number, why: string): number[] {
  const v = validateVector(raw, field, length, why);
  v.forEach((x, i) => {
    if (Math.abs(x) > MAX_PERTURBATION) throw new FieldError(`${field}[${i}]`, x, `a number in [${-MAX_PERTURBATION}, ${MAX_PERTURBATION}]`);
  });
  return v;
}

function parsePerturbation(raw: unknown, family: Family): PerturbationInput {
  if (raw === undefined) return { eps: 0, seed: schema.number('perturbation.seed', undefined) };
  const shapes = '{"q": [...], "d": [...]} (explicit) or {"eps": e, "seed": s} (drawn U[-eps, eps])';
  if (!isRecord(raw)) throw new FieldError('perturbation', raw, shapes);
  const keys = Object.keys(raw);
  const explicit = keys.includes('q') || keys.includes('d');
  const drawn = keys.includes('eps') || keys.includes('seed');
  if (explicit && drawn) throw new FieldError('perturbation', raw, `either ${shapes}, not both`);
  if (explicit) {
    rejectUnknownKeys(raw, ['q', 'd'], 'perturbation.');
    const { ny, m } = FAMILY_DIMS[family];
    const q = raw.q === undefined ? new Array<number>(ny).fill(0) : boundedVector(raw.q, 'perturbation.q', ny, `dim y = ${ny} for family "${family}"`);
    const d = raw.d === undefined ? new Array<number>(m).fill(0) : boundedVector(raw.d, 'perturbation.d', m, `m = ${m} constraints for family "${family}"`);
    return { q, d };
  }
  rejectUnknownKeys(raw, ['eps', 'seed'], 'perturbation.');
  return { eps: schema.number('perturbation.eps', raw.eps), seed: schema.number('perturbation.seed', raw.seed) };
}

export function parseConfig(raw: unknown): BilevelConfig {
  if (!isRecord(raw)) throw new FieldError('config', raw, 'an object {"family", "grid", "perturbation", "kappa"}');
  rejectUnknownKeys(raw, TOP_KEYS, '');
  const family = schema.scalar('family', raw.family) as Family;
  if (!FAMILIES.includes(family)) throw new FieldError('family', raw.family, `one of ${FAMILIES.join(', ')}`);
  return {
    family,
    grid: parseGrid(raw.grid),
    perturbation: parsePerturbation(raw.perturbation, family),
    kappa: schema.number('kappa', raw.kappa),
  };
}

// ---- geometry and perturbation ----

/** Pixel centres lo + (i + 0.5)(hi - lo)/n, i = 0..n-1. */
export function pixelCentres(range: readonly [number, number], n: number): Float64Array {
  const [lo, hi] = range;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((i + 0.5) * (hi - lo)) / n;
  return out;
}

/** h, the larger grid spacing. */
export function gridSpacing(grid: GridConfig): number {
  return Math.max((grid.x1[1] - grid.x1[0]) / grid.n, (grid.x2[1] - grid.x2[0]) / grid.n);
}

/** The flag threshold tau = kappa h. */
export function flagThreshold(config: BilevelConfig): number {
  return config.kappa * gridSpacing(config.grid);
}

/** Step counter of the perturbation draw in the counter-based RNG (particle 0, pairs 0, 1, ...). */
export const PERTURBATION_STREAM = 0xb11e7e1;

/**
 * The perturbation a config applies: explicit {q, d}, or value k of q then d drawn as
 * eps (2u_k - 1), u from the counter-based RNG (seed, particle 0, step PERTURBATION_STREAM, pair
 * k >> 1). eps = 0 gives exactly 0.
 */
export function perturbationOf(config: BilevelConfig): Perturbation {
  const { ny, m } = FAMILY_DIMS[config.family];
  const p = config.perturbation;
  if ('q' in p) return { q: [...p.q], d: [...p.d] };
  const values: number[] = [];
  for (let k = 0; k < ny + m; k++) {
    const u = uniformPair(p.seed, 0, PERTURBATION_STREAM, k >> 1)[k & 1];
    values.push(p.eps === 0 ? 0 : p.eps * (2 * u - 1));
  }
  return { q: values.slice(0, ny), d: values.slice(ny) };
}

/** `x` moved inside the grid's box (5% away from its edges), for default markers. */
export function clampToGrid(grid: GridConfig, x: readonly [number, number]): [number, number] {
  const clamp = (v: number, [lo, hi]: readonly [number, number]) => {
    const pad = 0.05 * (hi - lo);
    return Math.min(hi - pad, Math.max(lo + pad, v));
  };
  return [clamp(x[0], grid.x1), clamp(x[1], grid.x2)];
}
