// The memory budget (src/labs/budget.ts) and its entry points that need no run: the byte-size
// reader behind --max-memory and runLab's maxMemory, the refusal's message, the default budgets
// (machine: src/api/budget.ts; page: src/app/memory-budget.ts), and the page's paths — a link
// (url-state decodeConfig), the panel and presets (CurrentLab.doApply), the page's own edits
// (ViewHost.checkMemory) — refusing the issue's score-mixing run while keeping the previous state.
import { totalmem } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_MEMORY_FRACTION, memoryBudget } from '../../src/api/budget';
import { CurrentLab } from '../../src/app/current-lab';
import { budgetedLabs, pageMemoryBudget, PAGE_BUDGET_DEFAULT } from '../../src/app/memory-budget';
import type { ShellParts } from '../../src/app/shell-parts';
import { decodeConfig, readUrlFields } from '../../src/app/url-state';
import { checkMemoryBudget, encodedBytes, estimateFrom, formatBytes, MemoryBudgetError, parseByteSize, RUNTIME_BYTES, withMemoryBudget } from '../../src/labs/budget';
import { LABS, getLab } from '../../src/labs/registry';
import { FieldError } from '../../src/labs/schema';

const GiB = 2 ** 30;
const sm = getLab('score-mixing');
// The page link uses 2e5 particles: with a million, even the default 41 recorded frames (which the
// page keeps as its exportable trajectory) exceed the page's 2 GiB, and the link could not be kept.
const issueLink = '?v=1&lab=score-mixing&particles.count=200000&steps=100000&record=100001';
const issueConfig = () => ({ ...structuredClone(sm.defaultConfig()), particles: { count: 1e6, seed: 1 }, steps: 1e5, record: 1e5 + 1 });

describe('byte sizes', () => {
  it('reads bytes with or without a unit', () => {
    expect(parseByteSize('2000000000', 'f')).toBe(2e9);
    expect(parseByteSize('2e9', 'f')).toBe(2e9);
    expect(parseByteSize('512MiB', 'f')).toBe(512 * 2 ** 20);
    expect(parseByteSize(' 8 GiB ', 'f')).toBe(8 * GiB);
    expect(parseByteSize('2GB', 'f')).toBe(2e9);
    expect(parseByteSize('1.5g', 'f')).toBe(1.5e9);
    expect(parseByteSize(4096, 'f')).toBe(4096);
  });

  it('refuses anything else with a FieldError naming the field', () => {
    for (const bad of ['', 'lots', '-1GiB', '0', '0x10', '8 GiBs', 'Infinity', '1e999', NaN, -5, null, {}]) {
      let err: unknown;
      try {
        parseByteSize(bad, '--max-memory');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FieldError);
      expect((err as FieldError).field).toBe('--max-memory');
    }
  });

  it('prints sizes in binary units', () => {
    expect(formatBytes(800)).toBe('800 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(17.7 * GiB)).toBe('17.7 GiB');
    expect(formatBytes(1.6e12)).toBe('1.46 TiB');
  });
});

describe('estimates and the check', () => {
  it('sum the parts with the runtime, order the drivers by the parts they drive', () => {
    const e = estimateFrom(
      [
        { name: 'host', bytes: 10, drivers: ['a', 'b'] },
        { name: 'recorded', bytes: 1000, drivers: ['c', 'a'] },
        { name: 'page', bytes: 0, drivers: ['d'] },
      ],
      { a: 1, b: 'two', c: 3, d: 4 },
      7,
    );
    expect(e.bytes).toBe(1010 + RUNTIME_BYTES);
    expect(e.drivers).toEqual(['c', 'a', 'b', 'd']);
    expect(e.parts).toEqual({ recorded: 1000, host: 10, runtime: RUNTIME_BYTES });
  });

  it('price the encodings: npz twice the arrays, json and csv as text', () => {
    const r = { bytes: 8e6, values: 1e6, arrays: 2, csvRows: 5e5, csvValues: 1e6 };
    expect(encodedBytes(undefined, r)).toBe(0);
    expect(encodedBytes('npz', r)).toBeGreaterThanOrEqual(16e6);
    expect(encodedBytes('json', r)).toBeGreaterThanOrEqual(25e6);
    expect(encodedBytes('csv', r)).toBeGreaterThan(encodedBytes('json', r));
    expect(encodedBytes('csv', { ...r, csvRows: 0 })).toBe(0);
  });

  it('return the estimate within the budget; refuse over it with a FieldError naming field, estimate and budget', () => {
    const config = sm.parseConfig(issueConfig());
    const small = sm.parseConfig(sm.defaultConfig());
    expect(checkMemoryBudget(sm, small, { bytes: GiB, source: 's', raise: 'r' }).bytes).toBeLessThan(GiB);
    let err: unknown;
    try {
      checkMemoryBudget(sm, config, { bytes: 8 * GiB, source: 'by default 75% of this machine', raise: 'raise it with --max-memory' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect(err).toBeInstanceOf(FieldError);
    const f = err as MemoryBudgetError;
    expect(f.field).toBe('record');
    expect(f.allowed).toBe('at most 8 GiB, the memory budget (by default 75% of this machine); make record, particles.count or mu1.points smaller, or raise it with --max-memory');
    expect(f.message.startsWith('record: 100001 (with particles.count = 1000000')).toBe(true);
    expect(f.estimate.bytes).toBeGreaterThan(1e12);
  });
});

describe('default budgets', () => {
  it('a headless run may plan 3/4 of this machine; maxMemory overrides it', () => {
    const d = memoryBudget({ field: '--max-memory', raise: 'r' });
    expect(d.bytes).toBe(Math.floor(DEFAULT_MEMORY_FRACTION * totalmem()));
    expect(d.source).toMatch(/^by default 75% of this machine's \d/);
    expect(memoryBudget({ maxMemory: '512MiB', field: '--max-memory', raise: 'r' })).toEqual({ bytes: 512 * 2 ** 20, source: '--max-memory 512MiB', raise: 'r' });
    expect(() => memoryBudget({ maxMemory: 'much', field: 'options.maxMemory', raise: 'r' })).toThrow(/^options\.maxMemory: got "much"/);
  });

  it('the page plans half of the reported device memory within [1, 4] GiB, 2 GiB when unreported', () => {
    expect(pageMemoryBudget(undefined).bytes).toBe(PAGE_BUDGET_DEFAULT);
    expect(pageMemoryBudget(0.5).bytes).toBe(GiB);
    expect(pageMemoryBudget(4).bytes).toBe(2 * GiB);
    expect(pageMemoryBudget(8).bytes).toBe(4 * GiB);
    expect(pageMemoryBudget(64).bytes).toBe(4 * GiB);
    expect(pageMemoryBudget(4).raise).toMatch(/flowlab run --max-memory/);
  });

  it("every lab's presets and default config open on the smallest page budget", () => {
    for (const lab of budgetedLabs(LABS, pageMemoryBudget(0.25))) {
      expect(() => lab.parseConfig(lab.defaultConfig())).not.toThrow();
      for (const p of lab.presets) expect(() => lab.parseConfig(p.config)).not.toThrow();
    }
  });
});

describe("the page's paths (budgeted labs)", () => {
  const labs = budgetedLabs(LABS, pageMemoryBudget(undefined));
  const budgeted = labs.find((l) => l.id === 'score-mixing')!;

  it('keep everything but parseConfig (same id, params, presets, estimate)', () => {
    expect(labs.map((l) => l.id)).toEqual(LABS.map((l) => l.id));
    expect(budgeted.memoryEstimate).toBe(sm.memoryEstimate);
    expect(budgeted.loadPage).toBe(sm.loadPage);
    expect(() => budgeted.parseConfig(issueConfig())).toThrow(MemoryBudgetError);
    expect(() => withMemoryBudget(sm, { bytes: 1, source: 's', raise: 'r' }).parseConfig(sm.defaultConfig())).toThrow(/allowed: at most 1 B, the memory budget \(s\)/);
  });

  it('a link asking for the issue run keeps the other fields, reverts record and names it', () => {
    const { config, rejected } = decodeConfig<{ record: number; steps: number; particles: { count: number } }>(budgeted, readUrlFields(issueLink));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toBeInstanceOf(MemoryBudgetError);
    expect(rejected[0].field).toBe('record');
    expect(rejected[0].message).toMatch(/needs about [\d.]+ TiB of memory .* at most 2 GiB, the memory budget \(this page's budget/);
    expect(config.record).toBe(41);
    expect(config.steps).toBe(1e5);
    expect(config.particles.count).toBe(2e5);
    expect(() => budgeted.parseConfig(config)).not.toThrow();
  });

  it('the panel (doApply) refuses it and keeps the previous config and page; the page\'s own edits are checked too', async () => {
    const error = vi.fn();
    const shell = {
      labs,
      notices: { error, show: vi.fn() },
      loop: { hold: <T>(work: () => Promise<T>) => work(), invalidate: vi.fn() },
      controls: { showPreset: vi.fn() },
      url: { replace: vi.fn(), push: vi.fn() },
      halt: { clear: vi.fn() },
      layout: { overlay: {}, charts: {}, labControls: {} },
      session: { gpu: null },
    } as unknown as ShellParts;
    const current = new CurrentLab(shell);
    const setConfig = vi.fn(async () => undefined);
    const before = budgeted.parseConfig(budgeted.defaultConfig());
    current.lab = budgeted;
    current.page = { setConfig } as never;
    current.config = before;

    expect(await current.doApply(issueConfig(), {})).toBe(false);
    expect(setConfig).not.toHaveBeenCalled();
    expect(current.config).toBe(before);
    expect(error).toHaveBeenCalledTimes(1);
    const [e, context] = error.mock.calls[0] as [FieldError, string];
    expect(e).toBeInstanceOf(MemoryBudgetError);
    expect(e.field).toBe('record');
    expect(context).toBe('Rejected (kept the previous value)');

    const moderate = { ...structuredClone(budgeted.defaultConfig()), particles: { count: 100_000, seed: 1 } };
    expect(await current.doApply(moderate, {})).toBe(true);
    expect(setConfig).toHaveBeenCalledTimes(1);

    // What a page calls in setConfig before allocating (its own imports and edits).
    const host = (current as unknown as { host(c: unknown): { checkMemory(c: unknown): void } }).host({});
    expect(() => host.checkMemory(sm.parseConfig(issueConfig()))).toThrow(MemoryBudgetError);
    expect(() => host.checkMemory(sm.parseConfig(moderate))).not.toThrow();
  });
});
