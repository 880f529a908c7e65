// Config rewrites the page makes itself (DOM-free, unit-tested):
//  - explicitConfig / withTokenMoved: a dragged token makes the batch explicit (the config's
//    `sequences` become the B x n x d numbers the model was built from, rounded to 1e-6 so links
//    stay short), with the moved token in place; validated by parseConfig, so a bad edit throws a
//    FieldError and the caller keeps its state.
//  - withTokenRemoved / withTokenAdded: keyboard and touch edits that change n. A batch is B x n x d
//    (every sequence has n tokens), so token i goes from every sequence, and an added token joins
//    every sequence (a copy of token i shifted by an offset); token-readout targets follow the rows.
//  - withImportedTokens / tokensJson: a token file (JSON: a B x n x d array, or {"sequences",
//    "queries"}) replaces the batch; d follows the file; validated by parseConfig like a drag.
//  - reduceForCpu: the no-WebGPU fallback runs the float64 reference, so the batch, the sequence
//    length and then the width and depth are capped until one training step (or the one forward
//    pass of a task "none") fits a per-frame budget. What was cut is listed for the notice.

import { FieldError } from '../../schema';
import { checkJsonTree, parseJsonText } from '../../../io/input';
import { parseConfig } from '../config';
import { MAX_TOKENS } from '../params';
import type { TokenBatch, TransformerConfig } from '../types';

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

function rowsOf(a: Float64Array, count: number, d: number): number[][] {
  return Array.from({ length: count }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d), r6));
}

/** `config` with its sequences (and query tokens) given explicitly as the numbers in `tokens`. */
export function explicitConfig(config: TransformerConfig, tokens: TokenBatch): TransformerConfig {
  const { batch, n, d } = tokens;
  const next: TransformerConfig = structuredClone(config);
  next.sequences = Array.from({ length: batch }, (_, b) => rowsOf(tokens.x.subarray(b * n * d, (b + 1) * n * d), n, d));
  if (config.task.readout.kind === 'query' && tokens.query) next.queries = rowsOf(tokens.query, batch, d);
  return next;
}

/** True when making the batch explicit drops non-uniform token weights ("discrete" sequences). */
export function dropsWeights(config: TransformerConfig): boolean {
  return !Array.isArray(config.sequences) && config.sequences.kind === 'discrete';
}

/**
 * The config with token i of sequence b at `position` (d numbers; on the sphere it is normalised).
 * Throws FieldError when the result is not a valid config (non-finite entries, a zero token on the sphere).
 */
export function withTokenMoved(config: TransformerConfig, tokens: TokenBatch, b: number, i: number, position: readonly number[]): TransformerConfig {
  const { batch, n, d } = tokens;
  if (!(Number.isInteger(b) && b >= 0 && b < batch)) throw new RangeError(`sequence ${b} outside 0..${batch - 1}`);
  if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`token ${i} outside 0..${n - 1}`);
  const next = explicitConfig(config, tokens);
  let p = position.slice(0, d).map(Number);
  if (config.sphere) {
    const r = Math.hypot(...p);
    if (r > 0) p = p.map((v) => v / r);
  }
  (next.sequences as number[][][])[b][i] = p.map((v) => (Number.isFinite(v) ? r6(v) : v));
  return parseConfig(next);
}

/** Token-readout targets (B x n x e) are per token: the edit of the rows applies to them too. */
function editTargets(next: TransformerConfig, rows: (seq: number[][]) => number[][]): void {
  const t = next.task;
  if (t.kind === 'targets' && t.readout.kind === 'token') next.task = { ...t, targets: (t.targets as number[][][]).map(rows) };
}

/**
 * The config without token i: removed from every sequence (the batch stays B x n x d), with its
 * token-readout targets. Throws FieldError when it is the last token.
 */
export function withTokenRemoved(config: TransformerConfig, tokens: TokenBatch, i: number): TransformerConfig {
  const { n } = tokens;
  if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`token ${i} outside 0..${n - 1}`);
  if (n <= 1) throw new FieldError('sequences', `n = ${n} token`, 'at least 1 token per sequence (the last one cannot be deleted)');
  const next = explicitConfig(config, tokens);
  const drop = (seq: number[][]): number[][] => seq.filter((_, j) => j !== i);
  next.sequences = (next.sequences as number[][][]).map(drop);
  editTargets(next, drop);
  return parseConfig(next);
}

/**
 * The config with a token n added to every sequence: a copy of that sequence's token `from` plus
 * `offset` (d numbers; on the sphere normalised), and a copy of its token-readout target. Throws
 * FieldError at MAX_TOKENS tokens.
 */
export function withTokenAdded(config: TransformerConfig, tokens: TokenBatch, from: number, offset: readonly number[]): TransformerConfig {
  const { n, d } = tokens;
  if (!(Number.isInteger(from) && from >= 0 && from < n)) throw new RangeError(`token ${from} outside 0..${n - 1}`);
  if (n >= MAX_TOKENS) throw new FieldError('sequences', `n = ${n} tokens`, `at most ${MAX_TOKENS} tokens per sequence`);
  const next = explicitConfig(config, tokens);
  next.sequences = (next.sequences as number[][][]).map((seq) => {
    let p = seq[from].map((v, c) => v + (offset[c] ?? 0));
    if (config.sphere) {
      const r = Math.hypot(...p);
      if (r > 0) p = p.map((v) => v / r);
    }
    return [...seq, p.slice(0, d).map(r6)];
  });
  editTargets(next, (seq) => [...seq, [...seq[from]]]);
  return parseConfig(next);
}

const TOKEN_FILE = 'a B x n x d array of token rows, or {"sequences": B x n x d, "queries": B x d (query readout only)}';

/**
 * `config` with the batch of a token file (JSON text): the sequences (and CLS tokens) become explicit
 * and d follows the file. Throws FieldError naming the field (\`tokens file\`, \`sequences[2][0][1]\`,
 * \`task.readout.B\`, ...) when the file or the resulting config is invalid; nothing is changed then.
 */
export function withImportedTokens(config: TransformerConfig, text: string): TransformerConfig {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new FieldError('tokens file', text.length > 40 ? `${text.slice(0, 37)}...` : text, `JSON (${(e as Error).message}): ${TOKEN_FILE}`);
  }
  checkJsonTree(raw, 'tokens file');
  const obj = Array.isArray(raw) ? { sequences: raw } : raw;
  if (typeof obj !== 'object' || obj === null || !Array.isArray((obj as { sequences?: unknown }).sequences)) throw new FieldError('tokens file', raw, TOKEN_FILE);
  const { sequences, queries, ...rest } = obj as { sequences: unknown[]; queries?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0 && !(extra.length === 1 && extra[0] === 'd')) throw new FieldError(`tokens file.${extra.find((k) => k !== 'd')}`, 'present', 'only "sequences", "queries" and "d"');
  const first = (sequences[0] as unknown[] | undefined)?.[0];
  const d = Array.isArray(first) ? first.length : config.d;
  const next: TransformerConfig = { ...structuredClone(config), d, sequences: sequences as number[][][] };
  if (queries !== undefined) next.queries = queries as number[][];
  else delete next.queries;
  return parseConfig(next);
}

/** The batch as a token file withImportedTokens reads back: {"d", "sequences", "queries"?}. */
export function tokensJson(tokens: TokenBatch): string {
  const { batch, n, d } = tokens;
  const sequences = Array.from({ length: batch }, (_, b) => rowsOf(tokens.x.subarray(b * n * d, (b + 1) * n * d), n, d));
  return JSON.stringify({ d, sequences, ...(tokens.query ? { queries: rowsOf(tokens.query, batch, d) } : {}) });
}

/** Budgets in attention pair evaluations (L H B n^2, doubled for Heun) for the CPU fallback. */
export const CPU_CAPS = { batch: 8, n: 32, trainWork: 1 << 17, forwardWork: 1 << 22 } as const;

export function attentionWork(L: number, H: number, batch: number, n: number, heun: boolean): number {
  return L * H * batch * n * n * (heun ? 2 : 1);
}

function sizes(c: TransformerConfig): { batch: number; n: number } {
  return Array.isArray(c.sequences) ? { batch: c.sequences.length, n: c.sequences[0].length } : { batch: c.sequences.count, n: c.sequences.n };
}

/** A config the float64 reference can train at frame rate, and what was reduced (empty: nothing). */
export function reduceForCpu(config: TransformerConfig): { config: TransformerConfig; reduced: string[] } {
  const c = config;
  const { batch: B0, n: n0 } = sizes(c);
  let B = Math.min(B0, CPU_CAPS.batch);
  let n = Math.min(n0, CPU_CAPS.n);
  let L = c.L;
  let H = c.H;
  const budget = c.task.kind === 'none' ? CPU_CAPS.forwardWork : CPU_CAPS.trainWork;
  const heun = c.integrator === 'heun';
  while (attentionWork(L, H, B, n, heun) > budget) {
    if (H > 1) H = Math.ceil(H / 2);
    else if (n > 4) n = Math.ceil(n / 2);
    else if (L > 1) L = Math.ceil(L / 2);
    else break;
  }
  const reduced: string[] = [];
  if (B < B0) reduced.push(`B ${B0} → ${B}`);
  if (n < n0) reduced.push(`n ${n0} → ${n}`);
  if (L < c.L) reduced.push(`L ${c.L} → ${L}`);
  if (H < c.H) reduced.push(`H ${c.H} → ${H}`);
  if (reduced.length === 0) return { config: c, reduced };

  const next: TransformerConfig = structuredClone(c);
  if (Array.isArray(c.sequences)) {
    next.sequences = c.sequences.slice(0, B).map((s) => s.slice(0, n));
    if (c.queries) next.queries = c.queries.slice(0, B);
  } else next.sequences = { ...c.sequences, count: B, n };
  if (c.task.kind === 'targets') {
    const t = c.task.targets as unknown[];
    next.task = {
      ...c.task,
      targets: c.task.readout.kind === 'token' ? (t as number[][][]).slice(0, B).map((s) => s.slice(0, n)) : (t as number[][]).slice(0, B),
    };
  }
  if (c.params) {
    const cut = (m: number[][][][]) => m.slice(0, L).map((layer) => layer.slice(0, H));
    next.params = { Q: cut(c.params.Q), K: cut(c.params.K), V: cut(c.params.V) };
  }
  next.L = L;
  next.H = H;
  next.record = Math.min(c.record, L + 1);
  return { config: parseConfig(next), reduced };
}
