// Keyboard and touch token editing of the transformer page, DOM-free parts: the key map
// (token-keys.ts: select / move / delete / add, Shift for larger steps, modifiers left to the
// browser), the selection order, the move step, and the config rewrites for a deleted or added
// token (edit.ts: from every sequence, token-readout targets following, FieldErrors at the limits).

import { describe, expect, it } from 'vitest';
import { FieldError } from '../../src/labs/schema';
import { parseConfig } from '../../src/labs/transformer/config';
import { toModel } from '../../src/labs/transformer/model';
import { MAX_TOKENS } from '../../src/labs/transformer/params';
import { withTokenAdded, withTokenRemoved } from '../../src/labs/transformer/view/edit';
import { LARGE_STEPS, moveStep, nextToken, tokenKeyAction } from '../../src/labs/transformer/view/token-keys';

const key = (k: string, shiftKey = false) => tokenKeyAction({ key: k, shiftKey });

describe('token keys', () => {
  it('maps the keys to select, move, delete, add and clear', () => {
    expect(key(']')).toEqual({ kind: 'select', direction: 1 });
    expect(key('[')).toEqual({ kind: 'select', direction: -1 });
    expect(key('ArrowRight')).toEqual({ kind: 'move', axis: 0, steps: 1 });
    expect(key('ArrowLeft', true)).toEqual({ kind: 'move', axis: 0, steps: -LARGE_STEPS });
    expect(key('ArrowUp')).toEqual({ kind: 'move', axis: 1, steps: 1 });
    expect(key('ArrowDown')).toEqual({ kind: 'move', axis: 1, steps: -1 });
    expect(key('Delete')).toEqual({ kind: 'delete' });
    expect(key('Backspace')).toEqual({ kind: 'delete' });
    expect(key('a')).toEqual({ kind: 'add' });
    expect(key('Escape')).toEqual({ kind: 'clear' });
    // Keys the page keeps (Space plays, ? helps) and modified keys (browser shortcuts).
    expect(key(' ')).toBeNull();
    expect(key('?')).toBeNull();
    expect(tokenKeyAction({ key: 'a', shiftKey: false, ctrlKey: true })).toBeNull();
  });

  it('selects around the tokens, wrapping, from none to the first or last', () => {
    expect(nextToken(null, 1, 4)).toBe(0);
    expect(nextToken(null, -1, 4)).toBe(3);
    expect(nextToken(3, 1, 4)).toBe(0);
    expect(nextToken(0, -1, 4)).toBe(3);
    expect(nextToken(4, 1, 4)).toBe(0); // the CLS row: back to the tokens
    expect(nextToken(null, 1, 0)).toBeNull();
  });

  it('moves by about 1/50 of the spread, rounded to 1, 2 or 5 times a power of ten', () => {
    expect(moveStep(1)).toBeCloseTo(0.02, 15);
    expect(moveStep(3)).toBeCloseTo(0.05, 15);
    expect(moveStep(0.4)).toBeCloseTo(0.005, 15);
    expect(moveStep(NaN)).toBeCloseTo(0.02, 15);
  });
});

const base = (over: Record<string, unknown> = {}) =>
  parseConfig({ d: 2, sequences: { kind: 'gaussian', count: 2, n: 3, seed: 1 }, L: 2, H: 1, k: 2, task: { kind: 'teacher', L: 1, H: 1, seed: 2, qk: 1, v: 1, readout: 'token' }, iterations: 4, record: 2, ...over });

describe('token delete and add (every sequence keeps n tokens)', () => {
  it('deletes token i from every sequence', () => {
    const cfg = base();
    const m = toModel(cfg);
    const next = withTokenRemoved(cfg, m.tokens, 1);
    const seqs = next.sequences as number[][][];
    expect(seqs.map((s) => s.length)).toEqual([2, 2]);
    const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
    expect(seqs[1][1]).toEqual(Array.from(m.tokens.x.subarray((1 * 3 + 2) * 2, (1 * 3 + 3) * 2), r6));
    expect(() => withTokenRemoved(next, toModel(next).tokens, 5)).toThrow(RangeError);
  });

  it('refuses to delete the last token with a FieldError', () => {
    const one = parseConfig({ ...base(), sequences: [[[1, 0]], [[0, 1]]] });
    expect(() => withTokenRemoved(one, toModel(one).tokens, 0)).toThrow(FieldError);
  });

  it('adds a copy of token i shifted by the offset to every sequence; token targets follow', () => {
    const cfg = parseConfig({ ...base(), sequences: [[[1, 0], [0, 1]], [[2, 2], [3, 3]]], task: { kind: 'targets', readout: 'token', targets: [[[1, 1], [2, 2]], [[3, 3], [4, 4]]] } });
    const next = withTokenAdded(cfg, toModel(cfg).tokens, 1, [0.5, 0]);
    expect(next.sequences).toEqual([[[1, 0], [0, 1], [0.5, 1]], [[2, 2], [3, 3], [3.5, 3]]]);
    expect((next.task as { targets: unknown }).targets).toEqual([[[1, 1], [2, 2], [2, 2]], [[3, 3], [4, 4], [4, 4]]]);
    const back = withTokenRemoved(next, toModel(next).tokens, 2);
    expect(back.sequences).toEqual(cfg.sequences);
    expect((back.task as { targets: unknown }).targets).toEqual((cfg.task as { targets: unknown }).targets);
  });

  it('on the sphere the added token is normalised; at MAX_TOKENS adding is refused', () => {
    const s = parseConfig({ ...base(), sphere: true, sequences: [[[1, 0]], [[0, 1]]] });
    const next = withTokenAdded(s, toModel(s).tokens, 0, [0, 1]);
    const p = (next.sequences as number[][][])[0][1];
    expect(Math.hypot(...p)).toBeCloseTo(1, 6);
    const full = parseConfig({ ...base(), sequences: { kind: 'gaussian', count: 1, n: MAX_TOKENS, seed: 1 } });
    expect(() => withTokenAdded(full, toModel(full).tokens, 0, [0.1, 0])).toThrow(FieldError);
  });
});
