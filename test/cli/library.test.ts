// The library API (src/index.ts, the package entry) against the CLI it underlies: labs() lists what
// `flowlab labs --json` lists, and runLab resolves to the snapshot `flowlab run` writes.
// CPU backend only (in-process, no Dawn); the installed package is tested in package.test.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeNpz } from '../../src/io/npz';
import { BackendUnavailableError, FieldError, UnknownLabError, encodeSnapshot, labs, runLab } from '../../src/index';
import { labIds } from '../../src/labs/registry';
import { cliHarness } from './harness';

const { dir, flowlab, writeConfig } = cliHarness('flowlab-library-');
const config = { family: 'qp', grid: { n: 8 }, perturbation: { eps: 0.2, seed: 3 } };

afterEach(() => {
  delete process.env.FLOWLAB_BACKEND;
});

describe('labs()', () => {
  it('lists every lab with the parameters, presets and default config of `flowlab labs --json`', () => {
    const json = JSON.parse(flowlab(['labs', '--json']).stdout) as { id: string; params: unknown[]; presets: { id: string }[]; defaultConfig: unknown }[];
    const list = labs();
    expect(list.map((l) => l.id)).toEqual(labIds());
    for (const [i, l] of list.entries()) {
      expect(JSON.parse(JSON.stringify(l.params))).toEqual(json[i].params);
      expect(l.presets.map((p) => p.id)).toEqual(json[i].presets.map((p) => p.id));
      expect(l.defaultConfig).toEqual(json[i].defaultConfig);
      for (const p of l.presets) expect(p.config).toBeTruthy();
    }
  });

  it('hands out copies: changing a listed preset does not change the next list', () => {
    const first = labs()[0].presets[0].config as Record<string, unknown>;
    first.lambda = 123;
    expect((labs()[0].presets[0].config as Record<string, unknown>).lambda).not.toBe(123);
  });
});

describe('runLab', () => {
  it('resolves to the snapshot `flowlab run` writes (same arrays, config and backend)', async () => {
    const snap = await runLab('bilevel', config, { backend: 'cpu' });
    const out = join(dir, 'cli.npz');
    const r = flowlab(['run', 'bilevel', '--config', writeConfig('bilevel.json', config), '--backend', 'cpu', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const cli = decodeNpz(readFileSync(out));
    expect(Object.keys(snap.arrays).sort()).toEqual(Object.keys(cli.arrays).sort());
    for (const [k, a] of Object.entries(snap.arrays)) {
      expect({ k, dtype: a.dtype, shape: a.shape }).toEqual({ k, dtype: cli.arrays[k].dtype, shape: cli.arrays[k].shape });
      expect(Array.from(a.data)).toEqual(Array.from(cli.arrays[k].data));
    }
    const meta = cli.meta as Record<string, unknown>;
    expect(snap.config).toEqual(meta.config);
    expect(snap.meta.backend).toBe('cpu-float64');
    expect(snap.meta.backendNote).toBe(meta.backendNote);
    // encodeSnapshot writes the same kind of file.
    expect(Object.keys(decodeNpz(encodeSnapshot(snap, 'npz')).arrays).sort()).toEqual(Object.keys(cli.arrays).sort());
  });

  it('takes FLOWLAB_BACKEND when no backend is given, and reports progress', async () => {
    process.env.FLOWLAB_BACKEND = 'cpu';
    const seen: number[] = [];
    const snap = await runLab('bilevel', { grid: { n: 4 } }, { onProgress: (f) => seen.push(f) });
    expect(snap.meta.backend).toBe('cpu-float64');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((f) => f >= 0 && f <= 1)).toBe(true);
  });

  it('rejects bad input with the CLI messages, before any GPU work', async () => {
    await expect(runLab('nope', {})).rejects.toThrow(UnknownLabError);
    await expect(runLab('nope', {})).rejects.toThrow(/unknown lab "nope"; known labs: score-mixing, primal-dual, transformer, bilevel/);
    await expect(runLab('bilevel', { grid: { n: 0 } }, { backend: 'gpu' })).rejects.toThrow(FieldError);
    await expect(runLab('bilevel', config, { backend: 'fast' as never })).rejects.toThrow(/options.backend: got "fast"; allowed: one of auto, gpu, cpu/);
    process.env.FLOWLAB_BACKEND = 'quick';
    await expect(runLab('bilevel', config)).rejects.toThrow(/FLOWLAB_BACKEND: got "quick"/);
    expect(new BackendUnavailableError('x')).toBeInstanceOf(Error);
  });
});
