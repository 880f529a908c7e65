// The transformer page's export equals the CLI's on the CPU path: the page's snapshot builder
// (view/snapshot.ts buildSnapshot) fed by the page's CPU run (view/run-cpu.ts CpuTfRun) trained to
// the end, against runHeadless with the float64 reference for the same config. Both are float64 and
// run the same reference code, so every array the CLI writes must be there with the same dtype and
// shape and exactly equal values, and every meta key the CLI writes must be there too. Plus the
// one-sentence status summary and the CSV's row count (record x B x n).

import { describe, expect, it } from 'vitest';
import { exportSnapshot } from '../../src/io/export';
import type { Snapshot } from '../../src/io/snapshot-types';
import { parseConfig } from '../../src/labs/transformer/config';
import { runHeadless } from '../../src/labs/transformer/headless';
import { toModel } from '../../src/labs/transformer/model';
import type { TransformerConfig } from '../../src/labs/transformer/types';
import type { LambdaPoint } from '../../src/labs/transformer/view/charts';
import { runNtkJob } from '../../src/labs/transformer/view/ntk-jobs';
import { CpuTfRun } from '../../src/labs/transformer/view/run-cpu';
import { buildSnapshot, validatedConfig } from '../../src/labs/transformer/view/snapshot';
import { runSummary } from '../../src/labs/transformer/view/summary';

/** 3 sequences x 4 tokens, d = 2, L = 4 (record 3: layers 0, 2, 4), a teacher, 6 iterations, NTK check and lambda_min at 0 and 6. */
const CONFIG = parseConfig({ d: 2, sequences: { kind: 'gaussian', count: 3, n: 4, seed: 5 }, L: 4, H: 2, k: 2, task: { kind: 'teacher', L: 2, H: 1, seed: 9, qk: 1, v: 1, readout: 'token' }, iterations: 6, tau: 0.5, record: 3, ntk: true, ntkEvery: 6 });

/** What the page exports after training `config` to the end on its CPU run. */
async function pageSnapshot(config: TransformerConfig): Promise<Snapshot> {
  const model = toModel(config);
  const lambda: LambdaPoint[] = [];
  const lambdaAt = (iteration: number, heads: typeof model.heads): void => {
    const r = runNtkJob({ id: 0, kind: 'lambda', iteration, heads, tokens: model.tokens, readout: model.readout, flow: model.flow });
    if (r.kind !== 'lambda') throw new Error(`lambda job: ${r.kind}`);
    lambda.push([iteration, r.lambdaMin, r.lambdaMax]);
  };
  const run = new CpuTfRun(model, { risk: () => undefined, picture: () => undefined, halted: () => undefined });
  lambdaAt(0, model.heads);
  while (run.iteration < run.target) run.frame(run.target, 0, Infinity);
  expect(run.completed).toBe(config.iterations);
  const heads = await run.exactHeads();
  lambdaAt(run.iteration, { ...model.heads, ...heads });
  const lse = runNtkJob({ id: 0, kind: 'lse', tokens: model.tokens });
  if (lse.kind !== 'lse') throw new Error('lse job failed');
  return buildSnapshot({
    config,
    requested: null,
    reduced: [],
    model,
    iteration: run.iteration,
    heads,
    states: await run.exactStates(),
    risk: await run.exactRisk(0),
    lambda,
    lse: lse.result,
    trackingSkip: null,
    backend: 'cpu-float64',
    adapter: 'none (CPU float64 reference)',
    timings: { trainingFrameMs: 0, sinceBuildMs: 0 },
  });
}

describe('transformer page snapshot = CLI snapshot (CPU, float64)', () => {
  it('has every CLI array with the same dtype, shape and exactly equal values, and every CLI meta key', async () => {
    const cli = await runHeadless(CONFIG, { gpu: null, backend: 'cpu-float64' });
    const page = await pageSnapshot(CONFIG);
    expect(Object.keys(cli.arrays).sort()).toEqual(['K', 'Q', 'V', 'depth', 'layer', 'ntk_dependency', 'ntk_lambda_iteration', 'ntk_lambda_min', 'ntk_ratio', 'risk', 'tokens']);
    for (const [name, a] of Object.entries(cli.arrays)) {
      const b = page.arrays[name];
      expect(b, `page array ${name}`).toBeDefined();
      expect(b.dtype, name).toBe(a.dtype);
      expect(b.shape, name).toEqual(a.shape);
      expect(Array.from(b.data), name).toEqual(Array.from(a.data));
    }
    // The page tracks lambda_max besides (the scale lambda_min is read against).
    expect(Object.keys(page.arrays).filter((k) => !(k in cli.arrays))).toEqual(['ntk_lambda_max']);
    expect(Array.from(cli.arrays.layer.data)).toEqual([0, 2, 4]);
    expect(Array.from(cli.arrays.depth.data)).toEqual([0, 0.5, 1]);

    const missing = Object.keys(cli.meta).filter((k) => !(k in page.meta));
    expect(missing).toEqual([]);
    // Same values except what describes the machine and the moment: adapter text, timings, createdAt.
    for (const k of Object.keys(cli.meta)) {
      if (['adapter', 'timings', 'createdAt'].includes(k)) continue;
      expect(page.meta[k], `meta.${k}`).toEqual(cli.meta[k]);
    }
    expect(page.meta.ntk).toMatchObject({ verdict: expect.stringMatching(/injective/) });
    // Both pass the one snapshot validator (the new layer/depth arrays included).
    expect(validatedConfig(cli)).toEqual(CONFIG);
    expect(validatedConfig(page)).toEqual(CONFIG);
  });

  it('the csv of either has record x B x n rows with the layer and depth of each frame', async () => {
    const cli = await runHeadless(CONFIG, { gpu: null, backend: 'cpu-float64' });
    const page = await pageSnapshot(CONFIG);
    const text = new TextDecoder().decode(exportSnapshot(page, 'csv'));
    expect(text).toBe(new TextDecoder().decode(exportSnapshot(cli, 'csv')));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('frame,layer,depth,sequence,token,x0,x1');
    expect(lines).toHaveLength(1 + 3 * 3 * 4);
    expect(lines[1 + 3 * 4].split(',').slice(0, 5)).toEqual(['1', '2', '0.5', '0', '0']);
    // float64 coordinates in full: the first row is tokens[0, 0, 0, :] exactly.
    expect(lines[1].split(',').slice(5).map(Number)).toEqual(Array.from(cli.arrays.tokens.data.subarray(0, 2)));
  });
});

describe('transformer status summary', () => {
  const model = toModel(CONFIG);
  it('names the risk at the counted iteration and the latest lambda_min', () => {
    expect(runSummary(model, 2, [0.5, 0.25, 0.0321], [[0, 1.1e-3, 2]])).toBe('risk 3.2e-2 at iteration 2, lambda_min 1.1e-3');
    // Not read back yet for iteration 3: the latest risk known, named by its own iteration.
    expect(runSummary(model, 3, [0.5, 0.25, 0.0321], [])).toBe('risk 3.2e-2 at iteration 2');
    expect(runSummary(model, 0, [], [])).toBe('iteration 0, risk not read back yet');
  });

  it('without a task: the forward pass', () => {
    const none = toModel(parseConfig({ ...CONFIG, task: { kind: 'none', readout: 'token' }, iterations: 0, ntkEvery: 0 }));
    expect(runSummary(none, 0, [], [])).toBe('forward pass only (no task): 3 sequences of 4 tokens through 4 layers');
  });
});
