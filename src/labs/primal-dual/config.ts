// Validation of untrusted primal-dual configs (CLI files, URL state, json snapshots, the panel,
// imported problems). Every failure is a FieldError naming the field path (`A[1][3]`, `b`,
// `objective.Q[2][0]`, `theta`, `initial.x[2]`), the value and what is allowed. The problem is
// solved for its KKT point here (float64, milliseconds), so an infeasible or rank-deficient A, an
// unbounded objective or a non-convex Q is refused with a field error on `A`, `b` or `objective`
// before anything runs. The result is a complete config with defaults filled in, which is what
// snapshots store as "the full config".
//
// API:
//   parseConfig(raw): PrimalDualConfig                        throws FieldError
//   runSetup(config): {prob, params, batches, init, record}   what page and headless runner build
//   (config.compare: parseCompare of src/labs/compare.ts, each batch's parameters by batches.ts)
//   problemOf(config): PrimalDualProblem                      KKT point + spectral data
//   importProblemJson(text, config): PrimalDualConfig         {"A", "b", "objective"} pasted/dropped
//   withConstraints(config, A, b): PrimalDualConfig           A, b from the page's editor (not validated)
//   objectiveTemplate(kind, n, previous?): ObjectiveInput     fields a kind needs (panel kind switch)
//   trajectoryCount(config), dimensionsOf(config)

import { validateMatrix, validateVector } from '../../io/matrix';
import { integerField, isRecord, rejectUnknownKeys, schemaReader } from '../config-fields';
import { checkJsonTree, parseJsonText } from '../../io/input';
import { batchCount, parseCompare } from '../compare';
import { FieldError } from '../schema';
import { PRIMAL_DUAL_COMPARE_KEYS, batchParams } from './batches';
import { KktError, MAX_N, problemFromInput } from './kkt';
import { MAX_RECORDED_VALUES, MAX_STEPS, PRIMAL_DUAL_PARAMS, pInWindow, pMax, thetaInWindow, thetaWindow } from './params';
import { checkDynamicsParams, initialStates, preparePrimalDualProblem, timeGrid, type PrimalDualProblem } from './reference';
import type { DynamicsParams, InitialInput, InitialStates, Integrator, ObjectiveInput, ObjectiveKind, PrimalDualConfig } from './types';

const TOP_KEYS = ['objective', 'A', 'b', 'alpha', 'theta', 'beta', 'p', 't0', 'T', 'h', 'integrator', 'initial', 'record', 'allowOutsideWindow', 'compare'] as const;
const OBJECTIVE_KINDS: readonly ObjectiveKind[] = ['quartic', 'holder', 'exp', 'quadratic'];
/** Fields each objective kind takes; the first `required` of them must be given. */
const OBJECTIVE_FIELDS: Record<ObjectiveKind, { keys: readonly string[]; required: readonly string[] }> = {
  quartic: { keys: ['c'], required: [] },
  holder: { keys: ['c'], required: [] },
  exp: { keys: ['w'], required: ['w'] },
  quadratic: { keys: ['Q', 'c'], required: ['Q'] },
};
const EXPLICIT_KEYS = ['x', 'lambda', 'dx', 'dlambda'] as const;
const CLOUD_KEYS = ['count', 'seed', 'spread'] as const;
/** exp(x*) must fit float32 on the GPU (NUMERICS.md). */
const EXP_X_MAX = 80;

const schema = schemaReader('primal-dual', PRIMAL_DUAL_PARAMS);

const show = (v: number): string => String(Number(v.toPrecision(12)));

function parseA(raw: unknown): number[][] {
  if (raw === undefined) throw new FieldError('A', undefined, `required: an m x n matrix [[...], ...] with 1 <= m < n <= ${MAX_N}`);
  const describe = `an m x n matrix with 1 <= m < n <= ${MAX_N}`;
  const A = validateMatrix(raw, 'A', { minRows: 1, maxRows: MAX_N - 1, minCols: 2, maxCols: MAX_N, describe });
  const m = A.length;
  const n = A[0].length;
  if (!(m < n)) throw new FieldError('A', `${m} x ${n} matrix`, `${describe} (fewer constraints than unknowns)`);
  return A;
}

function parseObjective(raw: unknown, n: number): ObjectiveInput {
  if (raw === undefined) return { kind: 'quartic', c: new Array<number>(n).fill(0) };
  if (!isRecord(raw)) throw new FieldError('objective', raw, `an object {"kind": ${OBJECTIVE_KINDS.map((k) => `"${k}"`).join(' | ')}, ...}`);
  const kind = raw.kind === undefined ? 'quartic' : raw.kind;
  if (typeof kind !== 'string' || !(OBJECTIVE_KINDS as readonly string[]).includes(kind)) {
    throw new FieldError('objective.kind', raw.kind, `one of ${OBJECTIVE_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  const k = kind as ObjectiveKind;
  const { keys, required } = OBJECTIVE_FIELDS[k];
  rejectUnknownKeys(raw, ['kind', ...keys], 'objective.');
  for (const key of required) {
    if (raw[key] === undefined) throw new FieldError(`objective.${key}`, undefined, `required for kind "${k}"`);
  }
  const why = `n = ${n}, the columns of A`;
  const vec = (key: string): number[] =>
    raw[key] === undefined ? new Array<number>(n).fill(0) : validateVector(raw[key], `objective.${key}`, n, why);
  switch (k) {
    case 'quartic':
    case 'holder':
      return { kind: k, c: vec('c') };
    case 'exp':
      return { kind: k, w: vec('w') };
    case 'quadratic':
      return { kind: k, Q: validateMatrix(raw.Q, 'objective.Q', { rows: n, cols: n, why: `n x n, n = ${n} the columns of A` }), c: vec('c') };
  }
}

function parseInitial(raw: unknown, n: number, m: number): InitialInput {
  if (raw === undefined) return parseInitial({}, n, m);
  const shapes = '{"x": [...], "lambda": [...], "dx": [...], "dlambda": [...]} (missing parts zero) or {"count": n, "seed": s, "spread": r}';
  if (!isRecord(raw)) throw new FieldError('initial', raw, shapes);
  const keys = Object.keys(raw);
  const cloud = keys.some((k) => (CLOUD_KEYS as readonly string[]).includes(k));
  const explicit = keys.some((k) => (EXPLICIT_KEYS as readonly string[]).includes(k));
  if (cloud && explicit) throw new FieldError('initial', raw, `either ${shapes}, not both`);
  if (cloud) {
    rejectUnknownKeys(raw, CLOUD_KEYS, 'initial.');
    return {
      count: schema.number('initial.count', raw.count),
      seed: schema.number('initial.seed', raw.seed),
      spread: schema.number('initial.spread', raw.spread),
    };
  }
  rejectUnknownKeys(raw, EXPLICIT_KEYS, 'initial.');
  // x and lambda are always written out (zeros when missing): the full config then never holds an
  // empty `initial`, which a link (URL state drops empty objects) would turn into the default cloud.
  const out: { x: number[]; lambda: number[]; dx?: number[]; dlambda?: number[] } = { x: new Array<number>(n).fill(0), lambda: new Array<number>(m).fill(0) };
  const nWhy = `n = ${n}, the columns of A`;
  const mWhy = `m = ${m}, the rows of A`;
  if (raw.x !== undefined) out.x = validateVector(raw.x, 'initial.x', n, nWhy);
  if (raw.lambda !== undefined) out.lambda = validateVector(raw.lambda, 'initial.lambda', m, mWhy);
  if (raw.dx !== undefined) out.dx = validateVector(raw.dx, 'initial.dx', n, nWhy);
  if (raw.dlambda !== undefined) out.dlambda = validateVector(raw.dlambda, 'initial.dlambda', m, mWhy);
  return out;
}

/** The KKT solve of a shape-checked problem; KktError becomes a FieldError on its field. */
function solveProblem(A: number[][], b: number[], objective: ObjectiveInput): PrimalDualProblem {
  const fieldValue = (field: string): unknown => (field === 'A' ? A : field === 'b' ? b : field === 'objective.Q' ? objective.Q : objective);
  let prob: PrimalDualProblem;
  try {
    prob = preparePrimalDualProblem(problemFromInput(A, b, objective));
  } catch (e) {
    if (!(e instanceof KktError)) throw e;
    const what =
      e.field === 'A' || e.field === 'b'
        ? 'A of full row rank with Ax = b solvable (a unique KKT point (x*, lambda*))'
        : 'a convex objective with a unique minimizer on {Ax = b}';
    throw new FieldError(e.field, fieldValue(e.field), `${what}; ${e.message}`);
  }
  if (objective.kind === 'exp') {
    const big = prob.kkt.x.findIndex((v) => v > EXP_X_MAX);
    if (big >= 0) {
      throw new FieldError(
        'objective.w',
        objective.w,
        `w giving x* below ${EXP_X_MAX} (exp(x*) must fit float32); got x*[${big}] = ${show(prob.kkt.x[big])}`,
      );
    }
  }
  return prob;
}

function checkWindows(alpha: number, theta: number, p: number, allowOutsideWindow: boolean): void {
  if (allowOutsideWindow) return;
  if (!thetaInWindow(alpha, theta)) {
    const [lo, hi] = thetaWindow(alpha);
    throw new FieldError(
      'theta',
      theta,
      `a number in the energy window [1/(alpha-1), 1/2] = [${show(lo)}, ${hi}] for alpha = ${alpha}` +
        `${alpha === 3 ? ' (alpha = 3 forces theta = 1/2)' : ''}; set "allowOutsideWindow": true to run outside it`,
    );
  }
  if (!pInWindow(theta, p)) {
    throw new FieldError(
      'p',
      p,
      `0 <= p <= (1 - 2 theta)/theta = ${show(pMax(theta))} for theta = ${show(theta)}; set "allowOutsideWindow": true to run outside it`,
    );
  }
}

/** Validate `raw` and fill in defaults. Throws FieldError on the first problem found. */
export function parseConfig(raw: unknown): PrimalDualConfig {
  return parseWithProblem(raw).config;
}

function parseWithProblem(raw: unknown): { config: PrimalDualConfig; prob: PrimalDualProblem } {
  if (!isRecord(raw)) throw new FieldError('config', raw, 'a JSON object with at least A and b');
  rejectUnknownKeys(raw, TOP_KEYS, '');

  const A = parseA(raw.A);
  const m = A.length;
  const n = A[0].length;
  if (raw.b === undefined) throw new FieldError('b', undefined, `required: ${m} finite numbers (m = ${m}, the rows of A)`);
  const b = validateVector(raw.b, 'b', m, `m = ${m}, the rows of A`);
  const objective = parseObjective(raw.objective, n);

  const alpha = schema.number('alpha', raw.alpha);
  const theta = schema.number('theta', raw.theta);
  const beta = schema.number('beta', raw.beta);
  const p = schema.number('p', raw.p);
  const allowOutsideWindow = schema.scalar('allowOutsideWindow', raw.allowOutsideWindow) as boolean;
  checkWindows(alpha, theta, p, allowOutsideWindow);

  const t0 = schema.number('t0', raw.t0);
  const T = schema.number('T', raw.T);
  if (!(T > t0)) throw new FieldError('T', T, `a number in (t0, ${schema.spec('T').max}] with t0 = ${t0}: the run goes from t0 up to T`);
  const h = schema.number('h', raw.h);
  if (!(h <= T - t0)) throw new FieldError('h', h, `a number in [${schema.spec('h').min}, T - t0] = [${schema.spec('h').min}, ${show(T - t0)}]`);
  const { K } = timeGrid({ t0, T, h });
  if (K > MAX_STEPS) {
    throw new FieldError('h', h, `a step giving at most ${MAX_STEPS} steps on [t0, T]; (T - t0)/h = ${show((T - t0) / h)} (use h >= ${show((T - t0) / MAX_STEPS)})`);
  }
  const integrator = schema.scalar('integrator', raw.integrator) as Integrator;
  const initial = parseInitial(raw.initial, n, m);

  const own: Record<string, number> = { alpha, theta, beta, p };
  const compare = parseCompare(raw.compare, PRIMAL_DUAL_COMPARE_KEYS, schema, (key) => own[key]);
  const base: DynamicsParams = { alpha, theta, beta, p, t0, T, h, integrator };
  const batches = batchParams(base, compare, allowOutsideWindow);

  const record = integerField('record', raw.record ?? schema.spec('record').default, 2, schema.spec('record').max, `an integer in [2, ${schema.spec('record').max}]`);
  // Every batch records every trajectory: B x count trajectories in all.
  const count = ('count' in initial ? initial.count : 1) * batchCount(compare);
  if (record * count * (n + 2 * m + 6) > MAX_RECORDED_VALUES) {
    const who = compare ? `${count} trajectories (${batchCount(compare)} batches)` : `${count} trajectories`;
    throw new FieldError(
      'record',
      raw.record ?? record,
      `record x trajectories x (n + 2m + 6) <= ${MAX_RECORDED_VALUES} recorded values; with ${who}, ` +
        `at most ${Math.floor(MAX_RECORDED_VALUES / (count * (n + 2 * m + 6)))} frames`,
    );
  }

  const prob = solveProblem(A, b, objective);
  const config: PrimalDualConfig = { objective, A, b, alpha, theta, beta, p, t0, T, h, integrator, initial, record, allowOutsideWindow };
  if (compare) config.compare = compare;
  try {
    for (const params of batches) checkDynamicsParams(params, allowOutsideWindow);
  } catch (e) {
    // Unreachable when the checks above agree with the reference's; kept as a named refusal.
    throw new FieldError('config', (e as Error).message, 'parameters accepted by the integrator');
  }
  return { config, prob };
}


/** The dynamics parameters of a validated config (its own: batch 0 in compare mode). */
export function dynamicsParams(c: PrimalDualConfig): DynamicsParams {
  return { alpha: c.alpha, theta: c.theta, beta: c.beta, p: c.p ?? 0, t0: c.t0 ?? 1, T: c.T, h: c.h, integrator: c.integrator };
}

/** n (unknowns) and m (constraints) of a validated config. */
export function dimensionsOf(c: PrimalDualConfig): { n: number; m: number } {
  return { n: c.A[0].length, m: c.A.length };
}

/** Number of trajectories a (validated) config runs. */
export function trajectoryCount(c: PrimalDualConfig): number {
  return 'count' in c.initial ? c.initial.count : 1;
}

/** The KKT point and spectral data of a config's problem (validates the config). */
export function problemOf(raw: unknown): PrimalDualProblem {
  return parseWithProblem(raw).prob;
}

/** What both the page and the headless runner build from a config before running. */
export interface RunSetup {
  config: PrimalDualConfig;
  prob: PrimalDualProblem;
  /** The config's own parameters (batch 0). */
  params: DynamicsParams;
  /** Every batch's parameters (batches.ts), [params] without compare mode. */
  batches: DynamicsParams[];
  /** The compared key, null without compare mode. */
  compareKey: string | null;
  /** The initial states of one batch (every batch starts from them). */
  init: InitialStates;
  record: number;
}

/** The parameters of every batch of a validated config. */
export function batchesOf(c: PrimalDualConfig): DynamicsParams[] {
  return batchParams(dynamicsParams(c), c.compare, c.allowOutsideWindow ?? false);
}

/** Validates `raw` and builds everything a run needs. */
export function runSetup(raw: unknown): RunSetup {
  const { config, prob } = parseWithProblem(raw);
  const params = dynamicsParams(config);
  return {
    config,
    prob,
    params,
    batches: batchesOf(config),
    compareKey: config.compare?.key ?? null,
    init: initialStates(prob, config.initial),
    record: config.record,
  };
}

/**
 * The fields a kind needs, for dimension n, keeping what `previous` has that still fits (a panel
 * switching objective.kind): quartic/holder c, exp w (default all 1, which has a minimizer for
 * any A, b), quadratic Q (default identity) and c.
 */
export function objectiveTemplate(kind: ObjectiveKind, n: number, previous?: ObjectiveInput): ObjectiveInput {
  const fits = (v: number[] | undefined): v is number[] => Array.isArray(v) && v.length === n;
  const c = fits(previous?.c) ? [...previous.c] : new Array<number>(n).fill(0);
  switch (kind) {
    case 'quartic':
    case 'holder':
      return { kind, c };
    case 'exp':
      return { kind, w: fits(previous?.w) ? [...previous.w] : new Array<number>(n).fill(1) };
    case 'quadratic': {
      const Q = previous?.Q && previous.Q.length === n && previous.Q.every(fits) ? previous.Q.map((r) => [...r]) : Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
      return { kind, Q, c };
    }
  }
}

/**
 * A problem pasted or dropped on the page: JSON {"A": [[...]], "b": [...], "objective": {...}}
 * (any subset; the rest is kept from `config`) or a bare matrix (replaces A). A change of shape
 * needs b (and objective data) of the new shape in the same JSON. Returns the validated config.
 */
export function importProblemJson(text: string, config: PrimalDualConfig, field = 'problem'): PrimalDualConfig {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError(field, `invalid JSON (${(e as Error).message})`, 'JSON {"A": [[...], ...], "b": [...], "objective": {...}} or a bare matrix [[...], ...]');
  }
  checkJsonTree(raw);
  const patch = Array.isArray(raw) ? { A: raw } : raw;
  if (!isRecord(patch)) throw new FieldError(field, raw, 'an object {"A", "b", "objective"} or a matrix');
  rejectUnknownKeys(patch, ['A', 'b', 'objective'], '');
  const next: Record<string, unknown> = { ...structuredClone(config), ...patch };
  // An objective without data of the new shape falls back to the template of its kind.
  if (patch.A !== undefined && patch.objective === undefined && Array.isArray(patch.A) && Array.isArray(patch.A[0])) {
    const n = (patch.A[0] as unknown[]).length;
    next.objective = objectiveTemplate(config.objective.kind, n, config.objective);
  }
  return parseConfig(next);
}

/** config with A, b replaced; objective and an explicit initial state resized to the new n, m. */
export function withConstraints(c: PrimalDualConfig, A: number[][], b: number[]): PrimalDualConfig {
  const n = A[0]?.length ?? 0;
  const m = A.length;
  const fit = (v: number[] | undefined, len: number) => (v ? Array.from({ length: len }, (_, i) => v[i] ?? 0) : undefined);
  const next: PrimalDualConfig = { ...structuredClone(c), A, b };
  if (n !== c.A[0].length) next.objective = objectiveTemplate(c.objective.kind, n, c.objective);
  if (!('count' in c.initial)) {
    const i = c.initial;
    next.initial = Object.fromEntries(
      Object.entries({ x: fit(i.x, n), lambda: fit(i.lambda, m), dx: fit(i.dx, n), dlambda: fit(i.dlambda, m) }).filter(([, v]) => v !== undefined),
    );
  }
  return next;
}
