// Validation of untrusted transformer configs (CLI files, URL state, json snapshots, the panel).
// Every failure is a FieldError naming the field path (`sequences[3][1][0]`, `params.Q[2][0][1][0]`,
// `task.targets[5]`), the value and what is allowed. parseConfig returns a complete config with
// defaults filled in (what snapshots store as "the full config"); parsing it again gives the same
// config. The config's types are in types.ts; the model a validated config builds is model.ts.
//
// Config (JSON):
//   d            1..8 (explicit sequences set it; a given d must agree)
//   sequences    [[[x, ...], ...], ...] (B x n x d) or {"kind": "gaussian" | "uniform" | "discrete" | "gmm",
//                "count": B, "n": n, "seed": s, + "scale" (gaussian, discrete) | "half" (uniform) |
//                "components": [{"weight", "mean", "cov"}] (gmm)}
//   queries      B x d CLS tokens: explicit sequences with a "query" readout only (generated ones draw them)
//   L, H, k      layers, heads per layer, rows of Q and K (k defaults to d); explicit params set them
//   integrator   "euler" | "heun";  sphere: true normalises tokens to the unit sphere (initially, every layer)
//   params       {"Q": L x H x k x d, "K": L x H x k x d, "V": L x H x d x d}, or
//   init         {"kind": "gaussian", "qk", "v", "seed", "clip"} (kind optional) or
//                {"kind": "clustering", "beta", "T"} (H = 1, k = d: Q = K = sqrt(beta) I, V = T I)
//   task         {"kind": "none"} | {"kind": "teacher", "L", "H", "seed", "qk", "v"} |
//                {"kind": "targets", "readout", "targets": B x n x e (token) or B x e (pooled, query)};
//                each with "readout": "token" | "pooled" | "query" or {"kind", "B": e x d} (default token, B = I)
//   tau, iterations, ntk, record   see params.ts
//   ntkEvery     integer >= 0 (default 0 = off): with a teacher or targets task, lambda_min of the
//                empirical NTK at iterations 0, ntkEvery, 2 ntkEvery, ... and the last (headless.ts);
//                skipped (with a message) above MAX_NTK_OUTPUTS readout outputs; ignored for task "none"

import { cholesky } from '../../math/linalg';
import { validateMatrix, validateVector } from '../../io/matrix';
import { isRecord, integerField, rejectUnknownKeys, schemaReader } from '../config-fields';
import { FieldError } from '../schema';
import type { GeneratedSequences, HeadInitConfig, HeadParams, MixtureComponent, ReadoutConfig, ReadoutKind, SequencesInput, Stepper, TaskConfig, TransformerConfig } from './types';
import {
  D_MAX,
  D_MIN,
  K_MAX,
  MAX_BATCH,
  MAX_COMPONENTS,
  MAX_PARAMETERS,
  MAX_RECORDED_VALUES,
  MAX_TOKENS,
  TRANSFORMER_PARAMS,
} from './params';

/** Output dimension e of a readout (d for the identity map). */
export const readoutDim = (r: ReadoutConfig, d: number): number => (r.B ? r.B.length : d);

const TOP_KEYS = ['d', 'sequences', 'queries', 'L', 'H', 'k', 'integrator', 'sphere', 'params', 'init', 'task', 'tau', 'iterations', 'ntk', 'ntkEvery', 'record'] as const;
const READOUT_KINDS = ['token', 'pooled', 'query'] as const;
const SEQUENCE_KINDS = ['gaussian', 'uniform', 'discrete', 'gmm'] as const;

const schema = schemaReader('transformer', TRANSFORMER_PARAMS);
const num = schema.number;
function positive(field: string, value: unknown, def: number, max: number): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0) || value > max) throw new FieldError(field, value, `a number in (0, ${max}]`);
  return value;
}

function kindOf(raw: Record<string, unknown>, field: string, kinds: readonly string[], def?: string): string {
  const k = raw.kind ?? def;
  if (typeof k !== 'string' || !kinds.includes(k)) throw new FieldError(field, raw.kind, `one of ${kinds.map((s) => JSON.stringify(s)).join(', ')}`);
  return k;
}

function identity(d: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
}

function parseExplicitSequences(raw: unknown[], dGiven: number | undefined): { tokens: number[][][]; d: number } {
  if (raw.length < 1 || raw.length > MAX_BATCH) throw new FieldError('sequences', `${raw.length} sequences`, `1 to ${MAX_BATCH} sequences (B x n x d)`);
  const dShape = dGiven !== undefined ? { cols: dGiven, why: `d = ${dGiven}` } : { minCols: D_MIN, maxCols: D_MAX };
  const first = validateMatrix(raw[0], 'sequences[0]', { minRows: 1, maxRows: MAX_TOKENS, ...dShape, describe: `a sequence: n x d tokens, 1 <= n <= ${MAX_TOKENS}, ${D_MIN} <= d <= ${D_MAX}` });
  const n = first.length;
  const d = first[0].length;
  const tokens = [first];
  for (let b = 1; b < raw.length; b++) {
    tokens.push(validateMatrix(raw[b], `sequences[${b}]`, { rows: n, cols: d, why: `n = ${n} tokens, d = ${d}, as sequences[0]` }));
  }
  return { tokens, d };
}

function parseComponents(raw: unknown, d: number): MixtureComponent[] {
  const field = 'sequences.components';
  if (raw === undefined) {
    // Two well-separated components along the first axis.
    return [-1.5, 1.5].map((m) => ({ weight: 0.5, mean: Array.from({ length: d }, (_, c) => (c === 0 ? m : 0)), cov: identity(d).map((r) => r.map((v) => 0.25 * v)) }));
  }
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_COMPONENTS) {
    throw new FieldError(field, raw, `1 to ${MAX_COMPONENTS} components [{"weight": w, "mean": [d], "cov": d x d}, ...]`);
  }
  // Array.from, not map, over input arrays: map skips the holes of a sparse array (library API input).
  const out = Array.from(raw as unknown[], (c, i): MixtureComponent => {
    const f = `${field}[${i}]`;
    if (!isRecord(c)) throw new FieldError(f, c, '{"weight": w > 0, "mean": [d numbers], "cov": d x d positive definite}');
    rejectUnknownKeys(c, ['weight', 'mean', 'cov'], `${f}.`);
    const weight = positive(`${f}.weight`, c.weight, 1, 1e6);
    const mean = validateVector(c.mean, `${f}.mean`, d, `d = ${d}`);
    const cov = validateMatrix(c.cov, `${f}.cov`, { rows: d, cols: d, why: `d = ${d}` });
    for (let r = 0; r < d; r++)
      for (let s = 0; s < r; s++)
        if (Math.abs(cov[r][s] - cov[s][r]) > 1e-12 * (1 + Math.abs(cov[r][s]))) throw new FieldError(`${f}.cov[${r}][${s}]`, cov[r][s], `equal to cov[${s}][${r}] = ${cov[s][r]} (symmetric)`);
    if (!cholesky(cov.flat(), d)) throw new FieldError(`${f}.cov`, cov, 'a symmetric positive definite d x d matrix');
    return { weight, mean, cov };
  });
  const sum = out.reduce((a, c) => a + c.weight, 0);
  return out.map((c) => ({ ...c, weight: c.weight / sum }));
}

function parseGenerated(raw: Record<string, unknown>, d: number): GeneratedSequences {
  const kind = kindOf(raw, 'sequences.kind', SEQUENCE_KINDS, 'gaussian') as GeneratedSequences['kind'];
  const extra = kind === 'uniform' ? 'half' : kind === 'gmm' ? 'components' : 'scale';
  rejectUnknownKeys(raw, ['kind', 'count', 'n', 'seed', extra], 'sequences.');
  const base = { count: num('sequences.count', raw.count), n: num('sequences.n', raw.n), seed: num('sequences.seed', raw.seed) };
  switch (kind) {
    case 'gaussian':
    case 'discrete':
      return { kind, ...base, scale: positive('sequences.scale', raw.scale, 1, 1e3) };
    case 'uniform':
      return { kind, ...base, half: positive('sequences.half', raw.half, 1, 1e3) };
    case 'gmm':
      return { kind, ...base, components: parseComponents(raw.components, d) };
  }
}

function parseHeadTensor(raw: unknown, field: string, L: number, H: number, rows: number, d: number, rowsWhy: string): number[][][][] {
  if (!Array.isArray(raw) || raw.length !== L) {
    throw new FieldError(field, Array.isArray(raw) ? `${raw.length} layers` : raw, `an L x H x ${rowsWhy} array with L = ${L} layers`);
  }
  return Array.from(raw as unknown[], (layer, l) => {
    const f = `${field}[${l}]`;
    if (!Array.isArray(layer) || layer.length !== H) throw new FieldError(f, Array.isArray(layer) ? `${layer.length} heads` : layer, `H = ${H} heads, each ${rowsWhy}`);
    return Array.from(layer as unknown[], (m, h) => validateMatrix(m, `${f}[${h}]`, { rows, cols: d, why: `${rowsWhy}, d = ${d}` }));
  });
}

/** Outer sizes of params.Q (to infer L, H, k when not given); the full check comes later. */
function paramsShape(raw: unknown): { L?: number; H?: number; k?: number } {
  if (!isRecord(raw) || !Array.isArray(raw.Q)) return {};
  const l0 = raw.Q[0];
  const h0 = Array.isArray(l0) ? l0[0] : undefined;
  return { L: raw.Q.length || undefined, H: Array.isArray(l0) ? l0.length || undefined : undefined, k: Array.isArray(h0) ? h0.length || undefined : undefined };
}

function parseReadout(raw: unknown, field: string, d: number, required: boolean): ReadoutConfig {
  const allowed = `"token", "pooled", "query" or {"kind": ..., "B": e x d matrix (default I)}`;
  if (raw === undefined) {
    if (required) throw new FieldError(field, undefined, `required: ${allowed}`);
    return { kind: 'token' };
  }
  if (typeof raw === 'string') {
    if (!(READOUT_KINDS as readonly string[]).includes(raw)) throw new FieldError(field, raw, allowed);
    return { kind: raw as ReadoutKind };
  }
  if (!isRecord(raw)) throw new FieldError(field, raw, allowed);
  rejectUnknownKeys(raw, ['kind', 'B'], `${field}.`);
  const kind = kindOf(raw, `${field}.kind`, READOUT_KINDS) as ReadoutKind;
  if (raw.B === undefined) return { kind };
  return { kind, B: validateMatrix(raw.B, `${field}.B`, { minRows: 1, maxRows: D_MAX, cols: d, why: `d = ${d}`, describe: `an e x d readout map, 1 <= e <= ${D_MAX}` }) };
}

function parseTargets(raw: unknown, readout: ReadoutConfig, d: number, batch: number, n: number): number[][][] | number[][] {
  const e = readoutDim(readout, d);
  const field = 'task.targets';
  if (readout.kind !== 'token') {
    return validateMatrix(raw, field, { rows: batch, cols: e, why: `B = ${batch} sequences, e = ${e} outputs of the ${readout.kind} readout` });
  }
  if (!Array.isArray(raw) || raw.length !== batch) {
    throw new FieldError(field, Array.isArray(raw) ? `${raw.length} sequences` : raw, `B x n x e = ${batch} x ${n} x ${e} (token readout: one target per token)`);
  }
  return Array.from(raw as unknown[], (t, b) => validateMatrix(t, `${field}[${b}]`, { rows: n, cols: e, why: `n = ${n} tokens, e = ${e} outputs of the token readout` }));
}

function parseTask(raw: unknown, d: number, k: number, batch: number, n: number): TaskConfig {
  if (raw === undefined) return { kind: 'none', readout: parseReadout(undefined, 'task.readout', d, false) };
  if (!isRecord(raw)) throw new FieldError('task', raw, '{"kind": "none"} | {"kind": "teacher", "L", "H", "seed"} | {"kind": "targets", "readout", "targets"}');
  const kind = kindOf(raw, 'task.kind', ['none', 'teacher', 'targets']) as TaskConfig['kind'];
  if (kind === 'none') {
    rejectUnknownKeys(raw, ['kind', 'readout'], 'task.');
    return { kind, readout: parseReadout(raw.readout, 'task.readout', d, false) };
  }
  if (kind === 'teacher') {
    rejectUnknownKeys(raw, ['kind', 'L', 'H', 'seed', 'qk', 'v', 'readout'], 'task.');
    const L = num('task.L', raw.L);
    const H = num('task.H', raw.H);
    checkParameterCount('task.H', L, H, k, d, 'the teacher');
    return { kind, L, H, seed: num('task.seed', raw.seed), qk: num('task.qk', raw.qk), v: num('task.v', raw.v), readout: parseReadout(raw.readout, 'task.readout', d, false) };
  }
  rejectUnknownKeys(raw, ['kind', 'readout', 'targets'], 'task.');
  const readout = parseReadout(raw.readout, 'task.readout', d, true);
  if (raw.targets === undefined) throw new FieldError('task.targets', undefined, 'required: B x n x e (token readout) or B x e (pooled, query)');
  return { kind, readout, targets: parseTargets(raw.targets, readout, d, batch, n) };
}

function checkParameterCount(field: string, L: number, H: number, k: number, d: number, who: string): void {
  const count = L * H * (2 * k * d + d * d);
  if (count > MAX_PARAMETERS) {
    throw new FieldError(field, H, `${who}'s L*H*(2kd + d^2) = ${L}*${H}*${2 * k * d + d * d} = ${count} parameters exceed the cap ${MAX_PARAMETERS}: H <= ${Math.floor(MAX_PARAMETERS / (L * (2 * k * d + d * d)))}`);
  }
}

/** Validate `raw` and fill in defaults. Throws FieldError on the first problem found. */
export function parseConfig(raw: unknown): TransformerConfig {
  if (!isRecord(raw)) throw new FieldError('config', raw, 'a JSON object (all fields optional; see `flowlab labs`)');
  rejectUnknownKeys(raw, TOP_KEYS, '');

  // Sequences and d.
  const dGiven = raw.d === undefined ? undefined : num('d', raw.d);
  let d: number;
  let sequences: SequencesInput;
  let batch: number;
  let n: number;
  if (Array.isArray(raw.sequences)) {
    const ex = parseExplicitSequences(raw.sequences, dGiven);
    d = ex.d;
    sequences = ex.tokens;
    batch = ex.tokens.length;
    n = ex.tokens[0].length;
  } else {
    d = dGiven ?? schema.spec('d').default;
    if (raw.sequences !== undefined && !isRecord(raw.sequences)) {
      throw new FieldError('sequences', raw.sequences, 'B x n x d tokens [[[x, ...], ...], ...] or {"kind": "gaussian" | "uniform" | "discrete" | "gmm", "count": B, "n": n, "seed": s}');
    }
    const gen = parseGenerated(raw.sequences ?? {}, d);
    sequences = gen;
    batch = gen.count;
    n = gen.n;
  }

  // Heads: explicit params or an initialisation, and the sizes they fix.
  if (raw.params !== undefined && raw.init !== undefined) throw new FieldError('init', raw.init, 'absent when params gives the heads explicitly (one of params, init)');
  const shape = paramsShape(raw.params);
  const initRaw = raw.init;
  if (initRaw !== undefined && !isRecord(initRaw)) throw new FieldError('init', initRaw, '{"qk": σ, "v": σ, "seed": s, "clip": c} or {"kind": "clustering", "beta": β, "T": T}');
  const initKind = initRaw === undefined ? 'gaussian' : kindOf(initRaw, 'init.kind', ['gaussian', 'clustering'], 'gaussian');
  const L = raw.L !== undefined ? num('L', raw.L) : (shape.L ?? schema.spec('L').default);
  const H = raw.H !== undefined ? num('H', raw.H) : (shape.H ?? (initKind === 'clustering' ? 1 : schema.spec('H').default));
  const k = raw.k !== undefined ? num('k', raw.k) : (shape.k ?? Math.min(d, K_MAX));
  checkParameterCount('H', L, H, k, d, 'the model');

  let params: HeadParams | undefined;
  let init: HeadInitConfig | undefined;
  if (raw.params !== undefined) {
    if (!isRecord(raw.params)) throw new FieldError('params', raw.params, '{"Q": L x H x k x d, "K": L x H x k x d, "V": L x H x d x d}');
    rejectUnknownKeys(raw.params, ['Q', 'K', 'V'], 'params.');
    params = {
      Q: parseHeadTensor(raw.params.Q, 'params.Q', L, H, k, d, `k x d (k = ${k})`),
      K: parseHeadTensor(raw.params.K, 'params.K', L, H, k, d, `k x d (k = ${k})`),
      V: parseHeadTensor(raw.params.V, 'params.V', L, H, d, d, `d x d (d = ${d})`),
    };
  } else if (initKind === 'clustering') {
    const r = initRaw as Record<string, unknown>;
    rejectUnknownKeys(r, ['kind', 'beta', 'T'], 'init.');
    if (H !== 1) throw new FieldError('H', H, '1 with init.kind "clustering" (one head per layer)');
    if (k !== d) throw new FieldError('k', k, `d = ${d} with init.kind "clustering" (Q = K = sqrt(beta) I)`);
    init = { kind: 'clustering', beta: num('init.beta', r.beta), T: num('init.T', r.T) };
  } else {
    const r = initRaw ?? {};
    rejectUnknownKeys(r, ['kind', 'qk', 'v', 'seed', 'clip'], 'init.');
    init = { kind: 'gaussian', qk: num('init.qk', r.qk), v: num('init.v', r.v), seed: num('init.seed', r.seed), clip: num('init.clip', r.clip) };
  }

  const integrator = schema.scalar('integrator', raw.integrator) as Stepper;
  const sphere = schema.scalar('sphere', raw.sphere) as boolean;
  const task = parseTask(raw.task, d, k, batch, n);
  const readout = task.readout;

  // Query tokens: drawn for generated sequences, given for explicit ones.
  let queries: number[][] | undefined;
  if (raw.queries !== undefined) {
    if (readout.kind !== 'query') throw new FieldError('queries', raw.queries, `absent unless task.readout is "query" (got ${JSON.stringify(readout.kind)})`);
    if (!Array.isArray(sequences)) throw new FieldError('queries', raw.queries, 'absent for generated sequences (their query tokens are drawn with them)');
    queries = validateMatrix(raw.queries, 'queries', { rows: batch, cols: d, why: `B = ${batch} sequences, d = ${d}` });
  } else if (readout.kind === 'query' && Array.isArray(sequences)) {
    throw new FieldError('queries', undefined, `required with explicit sequences and a "query" readout: B x d = ${batch} x ${d} CLS tokens`);
  }
  if (sphere && Array.isArray(sequences)) {
    const rows: [string, number[]][] = [...sequences.flatMap((s, b) => s.map((x, i): [string, number[]] => [`sequences[${b}][${i}]`, x])), ...(queries ?? []).map((x, b): [string, number[]] => [`queries[${b}]`, x])];
    for (const [f, x] of rows) if (!(Math.hypot(...x) > 0)) throw new FieldError(f, x, 'a nonzero token with sphere: true (tokens are normalised to the unit sphere)');
  }

  const tau = num('tau', raw.tau);
  let iterations: number;
  if (task.kind === 'none') {
    iterations = integerField('iterations', raw.iterations ?? 0, 0, 0, '0 with task.kind "none" (nothing to train; give a teacher or targets task)');
  } else {
    iterations = num('iterations', raw.iterations);
  }

  const ntk = schema.scalar('ntk', raw.ntk) as boolean;
  const rows = n + (readout.kind === 'query' ? 1 : 0);
  // ntkEvery is not refused above MAX_NTK_OUTPUTS outputs: the runs skip the tracking and say so
  // (headless.ts ntkTrackingSkip, the page's lambda chart), so moving the B or n slider of a run
  // that tracks lambda_min is not refused because of another field.
  const ntkEvery = schema.number('ntkEvery', raw.ntkEvery);

  let record: number;
  if (raw.record === undefined) record = Math.min(schema.spec('record').default, L + 1);
  else record = integerField('record', raw.record, 2, L + 1, `an integer in [2, L + 1] = [2, ${L + 1}] (L = ${L})`);
  const recorded = record * batch * rows * d;
  if (recorded > MAX_RECORDED_VALUES) {
    throw new FieldError('record', record, `record * B * rows * d = ${record}*${batch}*${rows}*${d} = ${recorded} floats exceed the cap ${MAX_RECORDED_VALUES}: record <= ${Math.floor(MAX_RECORDED_VALUES / (batch * rows * d))}`);
  }

  const out: TransformerConfig = { d, sequences, L, H, k, integrator, sphere, task, tau, iterations, ntk, ntkEvery, record };
  if (queries) out.queries = queries;
  if (params) out.params = params;
  else out.init = init;
  return out;
}
