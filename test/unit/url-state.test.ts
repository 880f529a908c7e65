import { describe, expect, it } from 'vitest';
import {
  base64urlDecode,
  base64urlEncode,
  decodeConfig,
  describeVersion,
  encodeUrlState,
  hasUrlState,
  readUrlFields,
  type UrlLab,
} from '../../src/app/url-state';
import { checkParam, FieldError, type ParamSpec } from '../../src/labs/schema';

// A small lab shaped like score-mixing: scalars (one nested), a choice, a boolean and point sets.
interface Cfg {
  mu1: { points: number[][]; weights?: number[] };
  lambda: number;
  tMin: number;
  steps: number;
  sampler: string;
  trails: boolean;
  particles: { count: number; seed: number } | { points: number[][] };
  seed: number;
}

const params: ParamSpec[] = [
  { kind: 'number', key: 'lambda', label: 'λ', min: 0, max: 1, default: 0.5, help: '' },
  { kind: 'number', key: 'tMin', label: 't_min', min: 1e-6, max: 1, default: 1e-3, scale: 'log', help: '' },
  { kind: 'number', key: 'steps', label: 'K', min: 1, max: 1000, default: 100, integer: true, help: '' },
  { kind: 'choice', key: 'sampler', label: 'sampler', options: ['ode', 'sde'], default: 'ode', help: '' },
  { kind: 'boolean', key: 'trails', label: 'trails', default: false, help: '' },
  { kind: 'number', key: 'particles.count', label: 'N', min: 1, max: 100000, default: 256, integer: true, help: '' },
  { kind: 'number', key: 'seed', label: 'seed', min: 0, max: 2 ** 32 - 1, default: 1, integer: true, help: '' },
];

function defaultConfig(): Cfg {
  return {
    mu1: { points: [[0, 0], [1, 1]] },
    lambda: 0.5,
    tMin: 1e-3,
    steps: 100,
    sampler: 'ode',
    trails: false,
    particles: { count: 256, seed: 7 },
    seed: 1,
  };
}

function parseConfig(raw: unknown): Cfg {
  const r = raw as Record<string, unknown>;
  const out = defaultConfig();
  for (const p of params) {
    if (p.key.includes('.')) continue;
    (out as unknown as Record<string, unknown>)[p.key] = checkParam(p, r[p.key]);
  }
  const mu1 = r.mu1 as Cfg['mu1'];
  if (!mu1 || !Array.isArray(mu1.points) || mu1.points.length === 0) throw new FieldError('mu1.points', mu1, 'a non-empty list of points');
  mu1.points.forEach((pt, i) => {
    if (!Array.isArray(pt) || pt.length !== 2 || pt.some((c) => typeof c !== 'number' || !Number.isFinite(c))) {
      throw new FieldError(`mu1.points[${i}]`, pt, 'a point [x, y] of finite numbers');
    }
  });
  out.mu1 = mu1;
  const parts = r.particles as Record<string, unknown>;
  if (parts && 'points' in parts) out.particles = { points: parts.points as number[][] };
  else out.particles = { count: checkParam(params[5], parts?.count, '') as number, seed: Number(parts?.seed ?? 0) };
  return out;
}

const lab: UrlLab = { id: 'toy', params, defaultConfig, parseConfig };

function roundTrip(cfg: Cfg) {
  const search = '?' + encodeUrlState(lab, cfg);
  const url = readUrlFields(search);
  expect(url.version).toBe('1');
  expect(url.labId).toBe('toy');
  return decodeConfig<Cfg>(lab, url);
}

describe('url state v=1', () => {
  it('round-trips every parameter exactly, including awkward floats and the seed', () => {
    const cfg = defaultConfig();
    cfg.lambda = 0.1 + 0.2; // 0.30000000000000004
    cfg.tMin = 1.2345678901234567e-5;
    cfg.steps = 777;
    cfg.sampler = 'sde';
    cfg.trails = true;
    cfg.seed = 4294967295;
    cfg.particles = { count: 12345, seed: 99 };
    cfg.mu1 = { points: [[Math.PI, -1e-300], [5e-324, 1 / 3]], weights: [0.25, 0.75] };
    const { config, rejected } = roundTrip(cfg);
    expect(rejected).toEqual([]);
    expect(config).toEqual(cfg);
  });

  it('keeps structured alternatives (particles given as points)', () => {
    const cfg = defaultConfig();
    cfg.particles = { points: [[1, 2], [3, 4]] };
    const { config, rejected } = roundTrip(cfg);
    expect(rejected).toEqual([]);
    expect(config.particles).toEqual({ points: [[1, 2], [3, 4]] });
  });

  it('writes scalars as plain query params and structured fields as ~base64url(JSON)', () => {
    const q = encodeUrlState(lab, defaultConfig());
    expect(q.startsWith('v=1&lab=toy&')).toBe(true);
    expect(q).toContain('lambda=0.5');
    expect(q).toContain('particles.count=256');
    expect(q).toMatch(/mu1=~[A-Za-z0-9_-]+(&|$)/);
    // particles.seed is not in the schema: it travels as JSON of the remaining object
    expect(q).toMatch(/particles=~/);
  });

  it('decodes a hand-written v=1 link forever (frozen example)', () => {
    const mu1 = base64urlEncode(JSON.stringify({ points: [[0.5, -0.5]] }));
    const link = `?v=1&lab=toy&lambda=0.25&tMin=1e-4&steps=50&sampler=sde&trails=true&particles.count=64&seed=3&mu1=~${mu1}`;
    const { config, rejected } = decodeConfig<Cfg>(lab, readUrlFields(link));
    expect(rejected).toEqual([]);
    expect(config).toMatchObject({ lambda: 0.25, tMin: 1e-4, steps: 50, sampler: 'sde', trails: true, seed: 3 });
    expect(config.mu1.points).toEqual([[0.5, -0.5]]);
    expect((config.particles as { count: number }).count).toBe(64);
  });

  it('keeps valid fields and names each rejected one with value and allowed range', () => {
    const link = '?v=1&lab=toy&lambda=1.5&steps=20&sampler=xyz&tMin=abc';
    const { config, rejected } = decodeConfig<Cfg>(lab, readUrlFields(link));
    expect(config.steps).toBe(20);
    expect(config.lambda).toBe(0.5);
    expect(config.sampler).toBe('ode');
    expect(config.tMin).toBe(1e-3);
    const byField = Object.fromEntries(rejected.map((e) => [e.field, e]));
    expect(Object.keys(byField).sort()).toEqual(['lambda', 'sampler', 'tMin']);
    expect(byField.lambda.message).toContain('1.5');
    expect(byField.lambda.allowed).toContain('[0, 1]');
  });

  it('reverts a structured field the lab rejects and keeps the rest', () => {
    const bad = base64urlEncode(JSON.stringify({ points: [[0, 'x']] }));
    const { config, rejected } = decodeConfig<Cfg>(lab, readUrlFields(`?v=1&lab=toy&lambda=0.75&mu1=~${bad}`));
    expect(config.lambda).toBe(0.75);
    expect(config.mu1).toEqual(defaultConfig().mu1);
    expect(rejected.map((e) => e.field)).toEqual(['mu1.points[0]']);
  });

  it('reports broken base64/JSON as a field error', () => {
    const { config, rejected } = decodeConfig<Cfg>(lab, readUrlFields('?v=1&lab=toy&mu1=~!!notbase64&steps=9'));
    expect(config.steps).toBe(9);
    expect(rejected[0].field).toBe('mu1');
  });

  it('reads a link of an unknown version as v=1 and says what was applied and what was not', () => {
    const d = decodeConfig<Cfg>(lab, readUrlFields('?v=9&lab=toy&lambda=0.1&steps=-3'));
    expect(d.unsupportedVersion).toBe('9');
    expect(d.config).toEqual({ ...defaultConfig(), lambda: 0.1 });
    expect(d.applied).toEqual(['lambda=0.1']);
    expect(d.rejected.map((e) => e.field)).toEqual(['steps']);
    const text = describeVersion(d);
    expect(text).toContain('version "9"');
    expect(text).toContain('applied lambda=0.1');
    expect(text).toContain('not applied: steps');
    // A supported version says nothing about versions; view is not a config field.
    const ok = decodeConfig<Cfg>(lab, readUrlFields('?v=1&lab=toy&lambda=0.1&view=embed'));
    expect(ok.unsupportedVersion).toBeNull();
    expect(ok.applied).toEqual(['lambda=0.1']);
    expect(readUrlFields('?v=1&lab=toy&view=embed').view).toBe('embed');
  });

  it('fills fields the link does not mention with defaults; detects presence of state', () => {
    const { config } = decodeConfig<Cfg>(lab, readUrlFields('?v=1&lab=toy&lambda=0'));
    expect(config).toEqual({ ...defaultConfig(), lambda: 0 });
    expect(hasUrlState('?v=1&lab=toy')).toBe(true);
    expect(hasUrlState('')).toBe(false);
    expect(hasUrlState('?utm=1')).toBe(false);
  });

  it('base64url handles unicode and every length mod 3', () => {
    for (const s of ['', 'a', 'ab', 'abc', 'λ → ∞ 🙂', '{"x":[1,2,3]}']) expect(base64urlDecode(base64urlEncode(s))).toBe(s);
    expect(base64urlEncode('??>')).not.toMatch(/[+/=]/);
  });
});

describe('url state v=1 with the score-mixing schema', async () => {
  const { parseConfig } = await import('../../src/labs/score-mixing/config');
  const { SCORE_MIXING_PARAMS, SCORE_MIXING_PRESETS, defaultScoreMixingConfig } = await import('../../src/labs/score-mixing/params');
  const sm: UrlLab = { id: 'score-mixing', params: SCORE_MIXING_PARAMS, defaultConfig: defaultScoreMixingConfig, parseConfig };

  it('round-trips every preset exactly', () => {
    for (const p of SCORE_MIXING_PRESETS) {
      const cfg = parseConfig(structuredClone(p.config));
      const { config, rejected } = decodeConfig(sm, readUrlFields(encodeUrlState(sm, cfg)));
      expect(rejected).toEqual([]);
      expect(config).toEqual(cfg);
    }
  });

  it('round-trips explicit particle points and a fractional λ', () => {
    const cfg = parseConfig({ ...defaultScoreMixingConfig(), lambda: 1 / 7, particles: { points: [[0.1, 0.2], [-3, 4]] } });
    const { config, rejected } = decodeConfig(sm, readUrlFields(encodeUrlState(sm, cfg)));
    expect(rejected).toEqual([]);
    expect(config).toEqual(cfg);
  });

  it('a short link with few steps adapts the default record count instead of failing', () => {
    const { config, rejected } = decodeConfig<{ steps: number; record: number }>(sm, readUrlFields('?v=1&lab=score-mixing&steps=10'));
    expect(rejected).toEqual([]);
    expect(config.steps).toBe(10);
    expect(config.record).toBeLessThanOrEqual(11);
  });

  it('tMin >= T is rejected by name; the rest of the link is kept', () => {
    const { config, rejected } = decodeConfig<{ tMin: number; T: number; lambda: number }>(sm, readUrlFields('?v=1&lab=score-mixing&T=0.01&tMin=0.5&lambda=0.25'));
    expect(config.lambda).toBe(0.25);
    expect(config.T).toBe(0.01);
    expect(config.tMin).toBeLessThan(config.T);
    expect(rejected.map((e) => e.field)).toContain('tMin');
  });
});

describe('url state v=1 with the primal-dual schema (matrices as ~JSON)', async () => {
  const { parseConfig } = await import('../../src/labs/primal-dual/config');
  const { PRIMAL_DUAL_PARAMS, PRIMAL_DUAL_PRESETS, defaultPrimalDualConfig } = await import('../../src/labs/primal-dual/params');
  const pd: UrlLab = { id: 'primal-dual', params: PRIMAL_DUAL_PARAMS, defaultConfig: defaultPrimalDualConfig, parseConfig };

  it('round-trips every preset exactly (A, b, objective as ~base64url JSON; theta = 5/12 exactly)', () => {
    for (const p of PRIMAL_DUAL_PRESETS) {
      const cfg = parseConfig(structuredClone(p.config));
      const q = encodeUrlState(pd, cfg);
      expect(q).toMatch(/(^|&)A=~[A-Za-z0-9_-]+(&|$)/);
      expect(q).toMatch(/(^|&)b=~[A-Za-z0-9_-]+(&|$)/);
      expect(q).toMatch(/(^|&)objective=~/);
      const { config, rejected } = decodeConfig(pd, readUrlFields(q));
      expect(rejected, p.id).toEqual([]);
      expect(config, p.id).toEqual(cfg);
    }
  });

  it('round-trips explicit initial states and a quadratic objective', () => {
    const cfg = parseConfig({
      ...defaultPrimalDualConfig(),
      objective: { kind: 'quadratic', Q: [[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]], c: [0.1, 0.2, 1 / 3, -0] },
      initial: { x: [0.5, -1e-300, 0, 1], dlambda: [1 / 7, 2] },
    });
    const { config, rejected } = decodeConfig(pd, readUrlFields(encodeUrlState(pd, cfg)));
    expect(rejected).toEqual([]);
    expect(config).toEqual(cfg);
  });

  it('a link with theta outside the window is rejected by name; the rest is kept', () => {
    const { config, rejected } = decodeConfig<{ theta: number; alpha: number; beta: number }>(pd, readUrlFields('?v=1&lab=primal-dual&alpha=4&theta=0.2&beta=2'));
    expect(config.alpha).toBe(4);
    expect(config.beta).toBe(2);
    expect(config.theta).toBe(0.5);
    expect(rejected.map((e) => e.field)).toEqual(['theta']);
  });
});
