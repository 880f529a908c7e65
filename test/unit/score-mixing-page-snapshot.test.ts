// The score-mixing page's export (view/snapshot.ts buildSnapshot over a CpuRun, DOM-free) against
// the CLI's (headless.ts runHeadless) on the float64 CPU path: a completed page run, stepped at
// uneven speeds, holds exactly the CLI's arrays (names, dtypes, shapes, values bit for bit), meta
// keys and resume. Mid-run exports hold the frames recorded so far (the CLI's first ones, exactly);
// between recorded steps the current state goes into arrays.resume_state and readResume continues
// from it exactly; the snapshot validator stays strict about resume_state. Also: every step recorded
// (record = steps + 1), a live lambda change (the trajectory starts over at that step) and an
// old one-frame export (the trajectory starts with that frame).
// Compare mode (config.compare over lambda): the page's CpuRun of B batches exports what runHeadless
// writes for the same config — x (B, frames, N, d), critical_points (B, Kmax, d) NaN-padded with
// critical_counts, meta.compare, per-batch meta.criticalPoints — whole and part-way (resume_state
// (B, N, d)), and a compared json reload continues to the same end; the page's memory estimate
// counts every batch.

import { describe, expect, it } from 'vitest';
import { parseSnapshotJson, snapshotToJson } from '../../src/io/snapshot-json';
import type { Snapshot } from '../../src/io/snapshot-types';
import { getLab } from '../../src/labs/registry';
import { stableCriticalPoints } from '../../src/labs/score-mixing/analysis';
import { batchLambdas, parseConfig, runSetup } from '../../src/labs/score-mixing/config';
import { memoryEstimate } from '../../src/labs/score-mixing/memory';
import { runHeadless } from '../../src/labs/score-mixing/headless';
import type { ScoreMixingConfig } from '../../src/labs/score-mixing/types';
import { CpuRun, CPU_MAX_PARTICLES, type RecordedFrames } from '../../src/labs/score-mixing/view/run-cpu';
import { buildSnapshot, readResume } from '../../src/labs/score-mixing/view/snapshot';
import { validateSnapshot } from '../../src/labs/snapshot-check';
import { geometricGrid } from '../../src/math/timegrid';

const lab = getLab('score-mixing');

function config(over: Partial<ScoreMixingConfig> = {}): ScoreMixingConfig {
  // steps 20, record 6: frames at steps 0, 4, 8, 12, 16, 20.
  return parseConfig({ ...(lab.defaultConfig() as object), particles: { count: 24, seed: 3 }, steps: 20, record: 6, lambda: 0.7, ...over });
}

/** A CpuRun of cfg as the page builds it (page.ts buildNow, no WebGPU; these counts are below the CPU cap). */
function pageRun(cfg: ScoreMixingConfig, state: ReturnType<typeof readResume>['state'] = null, recorded: RecordedFrames | null = null): CpuRun {
  const { opts, x0 } = runSetup(cfg);
  const run = new CpuRun(opts, x0, 4, cfg.record, batchLambdas(cfg));
  if (state) run.restore(state, cfg.lambda, recorded);
  return run;
}

/** Advances at a repeating pattern of speeds (including 0-step frames) until step `to`. */
function play(run: CpuRun, to: number, speeds = [3, 0, 1, 5, 2]): void {
  for (let i = 0; run.k < to; i++) run.advance(Math.min(speeds[i % speeds.length], to - run.k));
  run.takeSamples();
}

function exportOf(run: CpuRun, cfg: ScoreMixingConfig): Snapshot {
  const { opts } = runSetup(cfg);
  return buildSnapshot({
    config: cfg,
    cps: batchLambdas(cfg).map((lambda) => stableCriticalPoints(opts.mu1, opts.mu2, lambda)),
    frames: run.recordedFrames(),
    state: run.state(),
    backend: 'cpu-float64',
    adapter: 'CPU (float64 TypeScript reference)',
    backendNote: 'test',
    timings: { readbackMs: 0, totalMs: 0 },
  });
}

/** The CLI's snapshot of cfg on the CPU. */
const cli = (cfg: ScoreMixingConfig) => runHeadless(cfg, { gpu: null, backend: 'cpu-float64' });

/** Through the json file and back, as a user's reload goes. */
const roundTrip = (s: Snapshot) => parseSnapshotJson(snapshotToJson(s));

describe('score-mixing page export = CLI snapshot (CPU float64)', () => {
  for (const [name, over] of [
    ['ODE, exp', {}],
    ['SDE, beta 0.8', { sampler: 'sde', beta: 0.8 }],
    ['rk4, every step recorded (record = steps + 1)', { integrator: 'rk4', steps: 5, record: 6 }],
  ] as [string, Partial<ScoreMixingConfig>][]) {
    it(`${name}: a completed run exports exactly the CLI's arrays, meta keys and resume`, async () => {
      const cfg = config(over);
      const run = pageRun(cfg);
      play(run, cfg.steps);
      const page = exportOf(run, cfg);
      const want = await cli(cfg);
      expect(Object.keys(page.arrays).sort()).toEqual(Object.keys(want.arrays).sort());
      for (const [k, a] of Object.entries(want.arrays)) {
        expect(page.arrays[k].dtype, k).toBe(a.dtype);
        expect(page.arrays[k].shape, k).toEqual(a.shape);
        expect(Array.from(page.arrays[k].data), k).toEqual(Array.from(a.data));
      }
      // runLab adds backendNote to runHeadless's meta; the page has both, and says it is the page.
      expect(Object.keys(page.meta).sort()).toEqual([...Object.keys(want.meta), 'backendNote', 'source'].sort());
      for (const k of ['seed', 'particlesSeed', 'backend', 'adapter', 'precision', 'd', 'particles', 'frames', 'recordedSteps', 'criticalPoints']) {
        expect(page.meta[k], k).toEqual(want.meta[k]);
      }
      expect(page.resume).toEqual(want.resume);
      expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
    });
  }

  it('the CPU fallback at reduced particles equals the CLI run of the reduced count (same seed)', async () => {
    // The page's fallback runs the first CPU_MAX_PARTICLES particles of the config (page.ts
    // buildNow). Particle i's initial draw is keyed by (seed, i) and every particle moves on its own,
    // so those are exactly the particles of the same config with particles.count = CPU_MAX_PARTICLES.
    const cfg = config({ particles: { count: CPU_MAX_PARTICLES + 100, seed: 9 }, steps: 8, record: 3 });
    const { opts, x0 } = runSetup(cfg);
    const run = new CpuRun(opts, x0.slice(0, CPU_MAX_PARTICLES * 2), 4, cfg.record);
    play(run, cfg.steps, [5]);
    const page = exportOf(run, cfg);
    const want = await cli({ ...cfg, particles: { count: CPU_MAX_PARTICLES, seed: 9 } });
    expect(page.arrays.x.shape).toEqual([3, CPU_MAX_PARTICLES, 2]);
    expect(Array.from(page.arrays.x.data)).toEqual(Array.from(want.arrays.x.data));
    expect(page.resume).toEqual(want.resume);
    expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
  });

  it('on a recorded step mid-run: the CLI frames so far, resume at the last one, no resume_state', async () => {
    const cfg = config();
    const want = await cli(cfg);
    const run = pageRun(cfg);
    play(run, 12);
    const page = exportOf(run, cfg);
    expect(page.arrays.resume_state).toBeUndefined();
    expect(page.arrays.x.shape).toEqual([4, 24, 2]);
    expect(Array.from(page.arrays.t.data)).toEqual(Array.from(want.arrays.t.data.subarray(0, 4)));
    expect(Array.from(page.arrays.x.data)).toEqual(Array.from(want.arrays.x.data.subarray(0, 4 * 24 * 2)));
    expect(page.resume).toEqual({ step: 12, t: want.arrays.t.data[3], frame: 3 });
    expect(page.meta.recordedSteps).toEqual([0, 4, 8, 12]);
  });

  it('between recorded steps: the recorded frames only, the state in resume_state, and the reload continues from it exactly', async () => {
    const cfg = config();
    const want = await cli(cfg);
    const run = pageRun(cfg);
    play(run, 10);
    const page = roundTrip(exportOf(run, cfg));
    expect(page.arrays.x.shape).toEqual([3, 24, 2]); // steps 0, 4, 8
    expect(Array.from(page.arrays.x.data)).toEqual(Array.from(want.arrays.x.data.subarray(0, 3 * 24 * 2)));
    expect(page.arrays.resume_state.shape).toEqual([24, 2]);
    expect(page.arrays.resume_state.dtype).toBe('f64');
    expect(page.resume).toEqual({ step: 10, t: geometricGrid(cfg.T, cfg.tMin, cfg.steps)[10] });

    const back = readResume(page);
    expect(back.state!.step).toBe(10);
    expect(Array.from(back.state!.x)).toEqual(Array.from(run.state().x));
    // The reloaded run holds the file's frames at once, and records the rest as it goes.
    const resumed = pageRun(back.config, back.state, back.recorded);
    expect(resumed.recordedFrames().steps).toEqual([0, 4, 8]);
    play(resumed, cfg.steps);
    const done = exportOf(resumed, cfg);
    expect(done.arrays.x.shape).toEqual(want.arrays.x.shape);
    expect(done.resume).toEqual(want.resume);
    expect(Array.from(done.arrays.t.data)).toEqual(Array.from(want.arrays.t.data));
    // The frames before the reload are the file's, bit for bit. After it the CPU run steps on the
    // sub-grid t_10..tMin (run-cpu.ts restore), whose times agree with the full grid's to a few ulps
    // and whose steps take the same ratio, so the ODE continues to ~1e-12: a float64 tolerance.
    const x = done.arrays.x.data;
    const ref = want.arrays.x.data;
    for (let i = 0; i < 3 * 48; i++) expect(x[i]).toBe(ref[i]);
    for (let i = 3 * 48; i < ref.length; i++) expect(Math.abs(x[i] - ref[i])).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(ref[i])));
  });

  it('a live lambda change starts the trajectory over at that step, with the state there as its first frame', () => {
    const cfg = config();
    const run = pageRun(cfg);
    play(run, 6);
    const at6 = run.state();
    run.setLambda(1.5);
    play(run, 14);
    const page = exportOf(run, { ...cfg, lambda: 1.5 });
    expect(page.meta.recordedSteps).toEqual([6, 8, 12]);
    expect(Array.from(page.arrays.x.data.subarray(0, 48))).toEqual(Array.from(at6.x));
    expect(page.arrays.resume_state).toBeDefined();
    expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
  });

  it('an older one-frame export at a step off the record schedule: the trajectory starts with that frame', async () => {
    const cfg = config();
    const run = pageRun(cfg);
    play(run, 10);
    const s = run.state();
    const old: Snapshot = {
      lab: 'score-mixing',
      config: cfg,
      arrays: { t: { dtype: 'f64', shape: [1], data: Float64Array.of(s.t) }, x: { dtype: 'f64', shape: [1, 24, 2], data: s.x } },
      meta: {},
      resume: { step: 10, t: s.t, frame: 0 },
    };
    const back = readResume(roundTrip(old));
    const resumed = pageRun(back.config, back.state, back.recorded);
    play(resumed, 16);
    const page = exportOf(resumed, cfg);
    expect(page.meta.recordedSteps).toEqual([10, 12, 16]);
    expect(Array.from(page.arrays.t.data)).toEqual([10, 12, 16].map((k) => geometricGrid(cfg.T, cfg.tMin, cfg.steps)[k]));
    expect(page.resume).toEqual({ step: 16, t: page.arrays.t.data[2], frame: 2 });
    expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
  });
});

/** The page export of a run equals the CLI's snapshot: array names, dtypes, shapes and values bit for bit (NaN padding included), meta keys and values, resume. */
function expectSameAsCli(page: Snapshot, want: Snapshot): void {
  expect(Object.keys(page.arrays).sort()).toEqual(Object.keys(want.arrays).sort());
  for (const [k, a] of Object.entries(want.arrays)) {
    expect(page.arrays[k].dtype, k).toBe(a.dtype);
    expect(page.arrays[k].shape, k).toEqual(a.shape);
    expect(Array.from(page.arrays[k].data), k).toEqual(Array.from(a.data));
  }
  expect(Object.keys(page.meta).sort()).toEqual([...Object.keys(want.meta), 'backendNote', 'source'].sort());
  for (const k of ['seed', 'particlesSeed', 'backend', 'adapter', 'precision', 'd', 'particles', 'frames', 'recordedSteps', 'criticalPoints', 'compare']) {
    expect(page.meta[k], k).toEqual(want.meta[k]);
  }
  expect(page.resume).toEqual(want.resume);
}

describe('score-mixing page export of a compared run = CLI snapshot (CPU float64)', () => {
  // lambda 0.7 (config), 2.5 and 0: three batches, with different numbers of critical points.
  const compared = (over: Partial<ScoreMixingConfig> = {}) => config({ compare: { key: 'lambda', values: [2.5, 0] }, ...over });

  for (const [name, over] of [
    ['ODE, exp', {}],
    ['SDE, beta 0.8', { sampler: 'sde', beta: 0.8 }],
  ] as [string, Partial<ScoreMixingConfig>][]) {
    it(`${name}: a completed run exports exactly the CLI's batch-major arrays, meta.compare and resume`, async () => {
      const cfg = compared(over);
      const run = pageRun(cfg);
      expect([run.batches, run.batchSize, run.count]).toEqual([3, 24, 72]);
      play(run, cfg.steps);
      const page = exportOf(run, cfg);
      const want = await cli(cfg);
      expect(want.arrays.x.shape).toEqual([3, 6, 24, 2]);
      expectSameAsCli(page, want);
      expect(page.meta.compare).toEqual({ key: 'lambda', values: [0.7, 2.5, 0] });
      // The batches' critical points differ (so the padding is exercised).
      expect(new Set(Array.from(page.arrays.critical_counts.data)).size).toBeGreaterThan(1);
      expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
    });
  }

  it('on a recorded step mid-run: every batch holds the CLI frames so far', async () => {
    const cfg = compared();
    const want = await cli(cfg);
    const run = pageRun(cfg);
    play(run, 12);
    const page = exportOf(run, cfg);
    expect(page.arrays.resume_state).toBeUndefined();
    expect(page.arrays.x.shape).toEqual([3, 4, 24, 2]);
    const frame = 24 * 2;
    for (let b = 0; b < 3; b++) {
      const got = page.arrays.x.data.subarray(b * 4 * frame, (b + 1) * 4 * frame);
      expect(Array.from(got), `batch ${b}`).toEqual(Array.from(want.arrays.x.data.subarray(b * 6 * frame, (b * 6 + 4) * frame)));
    }
    expect(page.resume).toEqual({ step: 12, t: want.arrays.t.data[3], frame: 3 });
  });

  it('between recorded steps: resume_state (B, N, d); the json reload continues every batch to the CLI end', async () => {
    const cfg = compared({ sampler: 'sde', beta: 0.8 });
    const want = await cli(cfg);
    const run = pageRun(cfg);
    play(run, 10);
    const page = roundTrip(exportOf(run, cfg));
    expect(page.arrays.x.shape).toEqual([3, 3, 24, 2]); // steps 0, 4, 8
    expect(page.arrays.resume_state.shape).toEqual([3, 24, 2]);
    expect(page.resume).toEqual({ step: 10, t: geometricGrid(cfg.T, cfg.tMin, cfg.steps)[10] });
    expect(() => validateSnapshot(page, lab)).not.toThrow();

    const back = readResume(page);
    expect(back.config.compare).toEqual(cfg.compare);
    expect(back.state!.count).toBe(72);
    expect(Array.from(back.state!.x)).toEqual(Array.from(run.state().x));
    const resumed = pageRun(back.config, back.state, back.recorded);
    expect(resumed.recordedFrames().steps).toEqual([0, 4, 8]);
    play(resumed, cfg.steps);
    const done = exportOf(resumed, cfg);
    expect(done.arrays.x.shape).toEqual(want.arrays.x.shape);
    expect(done.resume).toEqual(want.resume);
    // Per batch: the file's frames bit for bit; after the reload the CPU run steps on the sub-grid
    // t_10..tMin whose SDE noise is keyed by the sub-run's step (run-cpu.ts): only the ODE part
    // continues exactly, so the later frames are checked against the CLI's for their shape only,
    // and against a reload of the same state to be reproducible.
    const frame = 24 * 2;
    for (let b = 0; b < 3; b++) {
      const from = b * 6 * frame;
      expect(Array.from(done.arrays.x.data.subarray(from, from + 3 * frame)), `batch ${b}`).toEqual(Array.from(want.arrays.x.data.subarray(from, from + 3 * frame)));
    }
    const again = pageRun(back.config, back.state, back.recorded);
    play(again, cfg.steps, [4]);
    expect(Array.from(exportOf(again, cfg).arrays.x.data)).toEqual(Array.from(done.arrays.x.data));
  });

  it('an ODE reload between recorded steps ends with the CLI trajectory of every batch (float64 tolerance)', async () => {
    const cfg = compared();
    const want = await cli(cfg);
    const run = pageRun(cfg);
    play(run, 10);
    const back = readResume(roundTrip(exportOf(run, cfg)));
    const resumed = pageRun(back.config, back.state, back.recorded);
    play(resumed, cfg.steps);
    const done = exportOf(resumed, cfg);
    const x = done.arrays.x.data;
    const ref = want.arrays.x.data;
    expect(x.length).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(x[i] - ref[i]), `[${i}]`).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(ref[i])));
  });

  it('the CPU fallback at reduced particles runs each batch\'s first particles: the CLI run of the reduced count', async () => {
    const cfg = compared({ particles: { count: CPU_MAX_PARTICLES + 50, seed: 9 }, steps: 4, record: 2, compare: { key: 'lambda', values: [2.5] } });
    const { opts, x0 } = runSetup(cfg);
    const run = new CpuRun(opts, x0.slice(0, CPU_MAX_PARTICLES * 2), 4, cfg.record, batchLambdas(cfg));
    play(run, cfg.steps, [4]);
    const page = exportOf(run, cfg);
    const want = await cli({ ...cfg, particles: { count: CPU_MAX_PARTICLES, seed: 9 } });
    expect(page.arrays.x.shape).toEqual([2, 2, CPU_MAX_PARTICLES, 2]);
    expect(Array.from(page.arrays.x.data)).toEqual(Array.from(want.arrays.x.data));
    expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
    // A full-count state (a GPU run's, B x N) continues on the reduced run: each batch's first particles.
    const full = { step: 2, t: geometricGrid(cfg.T, cfg.tMin, cfg.steps)[2], d: 2, count: 2 * (CPU_MAX_PARTICLES + 50), x: new Float64Array(2 * (CPU_MAX_PARTICLES + 50) * 2).map((_, i) => i) };
    const cont = new CpuRun(opts, x0.slice(0, CPU_MAX_PARTICLES * 2), 4, cfg.record, batchLambdas(cfg));
    cont.restore(full, cfg.lambda, null);
    const s = cont.state();
    expect(s.count).toBe(2 * CPU_MAX_PARTICLES);
    expect(s.x[CPU_MAX_PARTICLES * 2]).toBe((CPU_MAX_PARTICLES + 50) * 2); // batch 1 starts at the state's batch 1
  });

  it('a live lambda change moves batch 0 only; the trajectory of every batch starts over there', () => {
    const cfg = compared();
    const run = pageRun(cfg);
    play(run, 6);
    const at6 = run.state();
    run.setLambda(1.5);
    play(run, 14);
    const page = exportOf(run, { ...cfg, lambda: 1.5 });
    expect(page.meta.recordedSteps).toEqual([6, 8, 12]);
    expect(page.meta.compare).toEqual({ key: 'lambda', values: [1.5, 2.5, 0] });
    const frame = 24 * 2;
    for (let b = 0; b < 3; b++) {
      expect(Array.from(page.arrays.x.data.subarray(b * 3 * frame, b * 3 * frame + frame)), `batch ${b}`).toEqual(Array.from(at6.x.subarray(b * frame, (b + 1) * frame)));
    }
    expect(() => validateSnapshot(roundTrip(page), lab)).not.toThrow();
  });

  it("the page's memory estimate counts every batch (its page part grows with B)", () => {
    const one = memoryEstimate(config({ particles: { count: 5000, seed: 1 } }), { page: true });
    const three = memoryEstimate(compared({ particles: { count: 5000, seed: 1 } }), { page: true });
    expect(three.parts.page).toBeGreaterThanOrEqual(3 * one.parts.page * 0.99);
    expect(three.drivers).toContain('compare.values');
  });
});

describe('the snapshot validator stays strict about resume_state and the resumed frame', () => {
  async function midRun(): Promise<Snapshot> {
    const cfg = config();
    const run = pageRun(cfg);
    play(run, 10);
    return roundTrip(exportOf(run, cfg));
  }

  const refusal = (s: Snapshot) => {
    try {
      validateSnapshot(s, lab);
    } catch (e) {
      return (e as { field?: string; message: string }).field ?? (e as Error).message;
    }
    return 'accepted';
  };

  it('resume_state needs a resume, no frame, the particle count of x and finite values', async () => {
    const s = await midRun();
    expect(refusal(s)).toBe('accepted');
    expect(refusal({ ...s, resume: undefined })).toBe('resume');
    expect(refusal({ ...s, resume: { ...(s.resume as object), frame: 2 } })).toBe('resume.frame');
    const state = s.arrays.resume_state;
    expect(refusal({ ...s, arrays: { ...s.arrays, resume_state: { ...state, shape: [12, 2], data: state.data.subarray(0, 24) } } })).toBe('arrays.resume_state.shape');
    const nan = Float64Array.from(state.data);
    nan[5] = NaN;
    expect(refusal({ ...s, arrays: { ...s.arrays, resume_state: { ...state, data: nan } } })).toBe('arrays.resume_state.data[5]');
  });

  it('without resume_state, resume.step must be the step of the frame the run continues from', async () => {
    const s = await midRun();
    const { resume_state: _, ...arrays } = s.arrays;
    // Step 10 with x's last frame at step 8: the state at step 10 is not in the file.
    expect(refusal({ ...s, arrays, resume: { step: 10, t: (s.resume as { t: number }).t } })).toBe('resume.step');
    const cfg = s.config as ScoreMixingConfig;
    const grid = geometricGrid(cfg.T, cfg.tMin, cfg.steps);
    expect(refusal({ ...s, arrays, resume: { step: 8, t: grid[8] } })).toBe('accepted');
    expect(refusal({ ...s, arrays, resume: { step: 8, t: grid[8], frame: 1 } })).toBe('resume.step');
  });
});
