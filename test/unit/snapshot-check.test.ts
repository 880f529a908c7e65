// The one snapshot validator (src/labs/snapshot-check.ts) against every lab's snapshotSpec: a
// snapshot each lab writes (headless, CPU) passes after a json round trip; the hostile cases of
// issue 10 are refused with a FieldError naming the field — version 99, arrays null or "NaN", a
// negative resume.t, a frame past the end, NaN positions, a particle count that disagrees with
// the config — and so are wrong dtypes, unknown / missing arrays, shapes that disagree with the
// config or with one another, and unknown resume fields. The score-mixing page's readResume goes
// through the same validator.

import { beforeAll, describe, expect, it } from 'vitest';
import { FieldError } from '../../src/io/field-error';
import { parseSnapshotJson, snapshotToJson } from '../../src/io/snapshot-json';
import type { Snapshot } from '../../src/io/snapshot-types';
import { getLab, LABS } from '../../src/labs/registry';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import { readResume as scoreMixingReadResume } from '../../src/labs/score-mixing/view/snapshot';
import { readResume as primalDualReadResume } from '../../src/labs/primal-dual/view/snapshot';
import { toModel } from '../../src/labs/transformer/model';
import { buildSnapshot as transformerPageSnapshot } from '../../src/labs/transformer/view/snapshot';

const SMALL: Record<string, unknown> = {
  'score-mixing': { ...(getLab('score-mixing').defaultConfig() as object), particles: { count: 16, seed: 1 }, steps: 20, record: 5 },
  // One run: the resume.alphas cases below are page exports from before compare mode.
  'primal-dual': { ...(getLab('primal-dual').defaultConfig() as object), compare: undefined, T: 2, h: 0.1, record: 5 },
  transformer: {
    ...(getLab('transformer').defaultConfig() as object),
    sequences: { kind: 'gaussian', count: 3, n: 4, seed: 2, scale: 1 },
    L: 2,
    H: 2,
    iterations: 3,
    ntkEvery: 0,
    record: 2,
  },
  bilevel: { ...(getLab('bilevel').defaultConfig() as object), grid: { n: 8, x1: [-2, 2], x2: [-2, 2] } },
};

/** JSON text of each lab's CPU headless snapshot of its SMALL config. */
const texts: Record<string, string> = {};

beforeAll(async () => {
  for (const lab of LABS) {
    const snap = await lab.runHeadless(lab.parseConfig(SMALL[lab.id]), { gpu: null, backend: 'cpu-float64' });
    texts[lab.id] = snapshotToJson(snap);
  }
}, 60_000);

/** A fresh parsed copy of lab's snapshot, as JSON, edited by `patch` before parsing. */
function edited(labId: string, patch: (raw: any) => void): string {
  const raw = JSON.parse(texts[labId]);
  patch(raw);
  return JSON.stringify(raw);
}

/** The FieldError that parsing + validating `text` for lab `labId` throws. */
function refusal(labId: string, text: string): FieldError {
  try {
    validateSnapshot(parseSnapshotJson(text), getLab(labId));
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return e as FieldError;
  }
  throw new Error('expected a FieldError');
}

describe('validateSnapshot: what every lab writes passes', () => {
  for (const id of ['score-mixing', 'primal-dual', 'transformer', 'bilevel']) {
    it(`${id}: the headless CPU snapshot, after a json round trip`, () => {
      const snap = validateSnapshot(parseSnapshotJson(texts[id]), getLab(id));
      expect(snap.config).toEqual(getLab(id).parseConfig(SMALL[id]));
    });
  }

  it('score-mixing: the page export (one f32 frame, resume at a grid step) passes', () => {
    const text = edited('score-mixing', (s) => {
      const [F, N, d] = s.arrays.x.shape;
      s.arrays.x = { dtype: 'f32', shape: [1, N, d], data: s.arrays.x.data.slice((F - 2) * N * d, (F - 1) * N * d).map((v: number) => Math.fround(v)) };
      s.arrays.t = { dtype: 'f64', shape: [1], data: [s.arrays.t.data[F - 2]] };
      s.resume = { step: 15, t: s.arrays.t.data[0], frame: 0 };
    });
    expect(validateSnapshot(parseSnapshotJson(text), getLab('score-mixing')).resume).toEqual({ step: 15, t: expect.any(Number), frame: 0 });
  });

  it("transformer: the page's export (f32 heads, risk and lambda tracking up to the iteration) passes", () => {
    const cfg = getLab('transformer').parseConfig(SMALL.transformer) as Parameters<typeof toModel>[0];
    const m = toModel(cfg);
    const rows = m.tokens.n + (m.tokens.query ? 1 : 0);
    const snap = transformerPageSnapshot({
      config: cfg,
      requested: null,
      reduced: [],
      model: m,
      iteration: 2,
      heads: { Q: Float32Array.from(m.heads.Q), K: Float32Array.from(m.heads.K), V: Float32Array.from(m.heads.V) },
      states: new Float32Array((cfg.L + 1) * m.tokens.batch * rows * cfg.d),
      risk: Float64Array.of(0.3, 0.2, 0.1),
      lambda: [[0, 1e-3, 2]],
      lse: null,
      backend: 'webgpu',
      adapter: 'test',
    });
    expect(() => validateSnapshot(parseSnapshotJson(snapshotToJson(snap)), getLab('transformer'))).not.toThrow();
    // risk must hold iteration + 1 values
    expect(() => validateSnapshot({ ...snap, resume: { iteration: 1 } }, getLab('transformer'))).toThrow(/^resume\.iteration/);
  });
});

describe('validateSnapshot: the hostile snapshots of issue 10', () => {
  it('version 99 is refused naming version', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.version = 99))).field).toBe('version');
  });

  it('arrays null, an array null, data "NaN" are refused naming the array', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays = null))).field).toBe('arrays');
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.x = null))).field).toBe('arrays.x');
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.x.data = 'NaN'))).field).toBe('arrays.x.data');
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.x = 'NaN'))).field).toBe('arrays.x');
  });

  it('NaN positions (state arrays must be finite) are refused naming the element', () => {
    const e = refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.x.data[7] = 'NaN')));
    expect(e.field).toBe('arrays.x.data[7]');
    expect(e.message).toMatch(/finite/);
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.x.data[0] = 'Infinity'))).field).toBe('arrays.x.data[0]');
  });

  it('a negative resume.t, or a t off the grid time of resume.step, is refused naming resume.t', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.resume.t = -1))).field).toBe('resume.t');
    const off = refusal('score-mixing', edited('score-mixing', (s) => (s.resume.t = 0.5)));
    expect(off.field).toBe('resume.t');
    expect(off.allowed).toMatch(/grid time of resume\.step/);
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.resume.t = 'NaN'))).field).toBe('resume.t');
  });

  it('a frame past the end (or negative, or fractional) is refused naming resume.frame', () => {
    for (const frame of [5, 99, -1, 1.5]) {
      const e = refusal('score-mixing', edited('score-mixing', (s) => (s.resume.frame = frame)));
      expect(e.field).toBe('resume.frame');
      expect(e.allowed).toMatch(/\[0, 4\]/);
    }
  });

  it('a step outside [0, steps] is refused naming resume.step', () => {
    for (const step of [-1, 21, 2.5, '3']) expect(refusal('score-mixing', edited('score-mixing', (s) => (s.resume.step = step))).field).toBe('resume.step');
  });

  it('a particle count that disagrees with the config is refused naming arrays.x.shape', () => {
    const fewer = edited('score-mixing', (s) => {
      const [F, , d] = s.arrays.x.shape;
      s.arrays.x.shape = [F, 8, d];
      s.arrays.x.data = s.arrays.x.data.slice(0, F * 8 * d);
    });
    const e = refusal('score-mixing', fewer);
    expect(e.field).toBe('arrays.x.shape');
    expect(e.allowed).toMatch(/16/);
    // ... or the config changed under the arrays
    const e2 = refusal('score-mixing', edited('score-mixing', (s) => (s.config.particles.count = 32)));
    expect(e2.field).toBe('arrays.x.shape');
  });
});

describe('validateSnapshot: names, dtypes, shapes, resume fields', () => {
  it('another lab, a bad config (named config.<field>)', () => {
    expect(refusal('primal-dual', texts['score-mixing']).field).toBe('lab');
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.config.lambda = 99))).field).toBe('config.lambda');
  });

  it('an unknown array, a missing required array, a forbidden array name', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.extra = { dtype: 'f64', shape: [1], data: [0] }))).field).toBe('arrays.extra');
    expect(refusal('score-mixing', edited('score-mixing', (s) => delete s.arrays.x)).field).toBe('arrays.x');
    const proto = texts['score-mixing'].replace('"arrays":{', '"arrays":{"__proto__":{"dtype":"f64","shape":[1],"data":[0]},');
    expect(refusal('score-mixing', proto).field).toBe('arrays.__proto__');
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('a dtype the lab does not write', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.t.dtype = 'f32'))).field).toBe('arrays.t.dtype');
    expect(refusal('bilevel', edited('bilevel', (s) => (s.arrays.active.dtype = 'f64'))).field).toBe('arrays.active.dtype');
  });

  it('shapes against the config and against one another (frames of t and x agree)', () => {
    const e = refusal('score-mixing', edited('score-mixing', (s) => (s.arrays.t = { dtype: 'f64', shape: [4], data: s.arrays.t.data.slice(0, 4) })));
    expect(e.field).toBe('arrays.x.shape');
    expect(e.allowed).toMatch(/frames = 4, as in arrays\.t/);
    expect(refusal('bilevel', edited('bilevel', (s) => (s.config.grid.n = 9))).field).toBe('arrays.x1.shape');
    expect(refusal('transformer', edited('transformer', (s) => (s.config.H = 3))).field).toBe('arrays.Q.shape');
    expect(refusal('primal-dual', edited('primal-dual', (s) => (s.config.record = 4))).field).toBe('arrays.t.shape');
  });

  it('finite state of the other labs: transformer heads', () => {
    expect(refusal('transformer', edited('transformer', (s) => (s.arrays.V.data[3] = 'NaN'))).field).toBe('arrays.V.data[3]');
  });

  it('resume: not an object, unknown fields, each lab its own range', () => {
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.resume = 3))).field).toBe('resume');
    expect(refusal('score-mixing', edited('score-mixing', (s) => (s.resume.extra = 1))).field).toBe('resume.extra');
    expect(refusal('bilevel', edited('bilevel', (s) => (s.resume = { step: 9 }))).field).toBe('resume.step');
    expect(refusal('transformer', edited('transformer', (s) => (s.resume = { iteration: 4 }))).field).toBe('resume.iteration');
    // iteration + 1 must be the length of the risk history
    expect(refusal('transformer', edited('transformer', (s) => (s.resume = { iteration: 2 }))).field).toBe('resume.iteration');
    expect(() => validateSnapshot(parseSnapshotJson(edited('transformer', (s) => (s.resume = { iteration: 3 }))), getLab('transformer'))).not.toThrow();
    expect(refusal('primal-dual', edited('primal-dual', (s) => (s.resume = { step: -2 }))).field).toBe('resume.step');
    expect(refusal('primal-dual', edited('primal-dual', (s) => (s.resume = { step: 1, alphas: [4] }))).field).toBe('resume.alphas');
  });

  it('in-memory snapshots too (the library API): data length against the shape', () => {
    const snap = parseSnapshotJson(texts['bilevel']);
    const bad: Snapshot = { ...snap, arrays: { ...snap.arrays, x1: { ...snap.arrays.x1, data: new Float64Array(3) } } };
    expect(() => validateSnapshot(bad, getLab('bilevel'))).toThrow(/arrays\.x1\.data/);
  });
});

describe("the pages' readResume go through the validator", () => {
  it('score-mixing: the hostile resume cases are refused; a good one resumes at its frame', () => {
    const read = (text: string) => scoreMixingReadResume(parseSnapshotJson(text));
    expect(() => read(edited('score-mixing', (s) => (s.resume.t = -1)))).toThrow(/resume\.t/);
    expect(() => read(edited('score-mixing', (s) => (s.resume.frame = 5)))).toThrow(/resume\.frame/);
    expect(() => read(edited('score-mixing', (s) => (s.arrays.x.data[1] = 'NaN')))).toThrow(/arrays\.x\.data\[1\]/);
    expect(() => read(edited('score-mixing', (s) => (s.config.particles.count = 17)))).toThrow(/arrays\.x\.shape/);
    const { state, config } = read(texts['score-mixing']);
    expect(config.steps).toBe(20);
    expect(state).toMatchObject({ step: 20, count: 16, d: 2 });
    expect(state!.x.length).toBe(32);
    expect(read(edited('score-mixing', (s) => delete s.resume)).state).toBeNull();
  });

  it('primal-dual: resume_state must be finite and match the runs named by resume.alphas', () => {
    const text = edited('primal-dual', (s) => {
      const N = s.arrays.energy.shape[1];
      s.arrays.resume_state = { dtype: 'f32', shape: [2, N, 22], data: new Array(2 * N * 22).fill(0) };
      s.resume = { step: 3, t: 1.3, alphas: [3, 8] };
    });
    // The compared alphas of such an export become config.compare (view/snapshot.ts readResume).
    expect(primalDualReadResume(parseSnapshotJson(text))).toMatchObject({ step: 3, config: { compare: { key: 'alpha', values: [8] } } });
    const nan = JSON.parse(text);
    nan.arrays.resume_state.data[5] = 'NaN';
    expect(() => primalDualReadResume(parseSnapshotJson(JSON.stringify(nan)))).toThrow(/arrays\.resume_state\.data\[5\]/);
    const runs = JSON.parse(text);
    runs.resume.alphas = [3, 8, 4];
    expect(() => primalDualReadResume(parseSnapshotJson(JSON.stringify(runs)))).toThrow(/resume\.alphas/);
  });
});
