// bench/args.ts (`npm run bench -- --only <line>`) and bench/exp-bound.ts (the GPU exp-bound
// table): argument errors name the flag and list the lines; GPU names map to the right row, and
// near-misses (L40, H100 PCIe vs SXM, unknown adapters) are not guessed.

import { describe, expect, it } from 'vitest';
import { BENCH_LINES, parseBenchArgs, runsLine } from '../../bench/args';
import { expBoundNote, expPerSecond, flopBoundNote, formatRate, fp32FlopsPerSecond, gpuExpSpec, memoryBoundNote, occupancyNote, pairsRateNote } from '../../bench/exp-bound';

describe('bench --only', () => {
  it('no arguments run every line', () => {
    const a = parseBenchArgs([]);
    expect(a).toEqual({ ok: true, only: null });
    for (const l of BENCH_LINES) expect(runsLine(null, l)).toBe(true);
  });

  it('--only <line> and --only=<line> select exactly that line', () => {
    expect(parseBenchArgs(['--only', 'mixed-score:single-pass'])).toEqual({ ok: true, only: 'mixed-score:single-pass' });
    expect(parseBenchArgs(['--only=bilevel'])).toEqual({ ok: true, only: 'bilevel' });
    expect(BENCH_LINES.filter((l) => runsLine('mixed-score:two-pass', l))).toEqual(['mixed-score:two-pass']);
    // The group runs the mixed-score lines (old and new kernel in one run) and nothing else.
    expect(parseBenchArgs(['--only', 'mixed-score'])).toEqual({ ok: true, only: 'mixed-score' });
    expect(BENCH_LINES.filter((l) => runsLine('mixed-score', l))).toEqual(['mixed-score:two-pass', 'mixed-score:single-pass', 'mixed-score:blocked', 'mixed-score:ts', 'mixed-score:numpy']);
  });

  it('a missing or unknown line names the flag and lists the lines', () => {
    for (const argv of [['--only'], ['--only', 'nope'], ['--only='], ['--only', '--only']]) {
      const a = parseBenchArgs(argv);
      expect(a.ok, argv.join(' ')).toBe(false);
      if (a.ok) continue;
      expect(a.message).toContain('--only');
      for (const l of BENCH_LINES) expect(a.message).toContain(l);
    }
    const bad = parseBenchArgs(['--fast']);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/'--fast'/);
    const twice = parseBenchArgs(['--only', 'bilevel', '--only', 'transformer']);
    expect(twice.ok).toBe(false);
  });
});

describe('bench exp bound', () => {
  it('maps the known GPUs by adapter name, most specific first', () => {
    expect(gpuExpSpec('NVIDIA H100 80GB HBM3')?.name).toBe('H100 SXM');
    expect(gpuExpSpec('NVIDIA H100 PCIe')?.name).toBe('H100 PCIe');
    expect(gpuExpSpec('NVIDIA H200')?.name).toBe('H200');
    expect(gpuExpSpec('NVIDIA A100-SXM4-80GB')?.name).toBe('A100');
    expect(gpuExpSpec('NVIDIA L4')?.name).toBe('L4');
    expect(gpuExpSpec('NVIDIA GeForce RTX 4090')?.name).toBe('RTX 4090');
    // An L40 is not an L4, and software adapters are unknown.
    expect(gpuExpSpec('NVIDIA L40S')).toBeNull();
    expect(gpuExpSpec('SwiftShader Device (Subzero)')).toBeNull();
  });

  it('prints the fraction of SFU throughput x SMs x clock, or says the GPU is unknown', () => {
    const h100 = gpuExpSpec('NVIDIA H100 80GB HBM3');
    expect(h100 && expPerSecond(h100)).toBeCloseTo(16 * 132 * 1.98e9, -3);
    // Half the bound at one exp per pair:
    expect(expBoundNote('NVIDIA H100 80GB HBM3', (16 * 132 * 1.98e9) / 2, 1)).toMatch(/^exp bound: 50\.0% of H100 SXM/);
    expect(expBoundNote('llvmpipe', 1e9, 1)).toBe('exp bound: unknown GPU');
    // The whole-evaluation lines (small-t, field, generate, split): pairs over milliseconds.
    expect(pairsRateNote('NVIDIA H200', (16 * 132 * 1.98e9) / 4 / 1000, 1)).toMatch(/^1045\.44 Gpairs\/s, exp bound: 25\.0% of H200 /);
    expect(pairsRateNote('SwiftShader Device', 2.5e7, 1000)).toBe('25.0 Mpairs/s, exp bound: unknown GPU');
    expect(formatRate(4096 / 0.5, 'pixels/s')).toBe('8.2 kpixels/s');
    expect(formatRate(3.2e9)).toBe('3.20 Gpairs/s');
  });

  it('FP32, memory and occupancy notes: fractions of the named GPU, n/a on a software adapter, unknown otherwise', () => {
    const h100 = gpuExpSpec('NVIDIA H100 80GB HBM3');
    expect(h100 && fp32FlopsPerSecond(h100)).toBeCloseTo(2 * 128 * 132 * 1.98e9, -3);
    expect(flopBoundNote('NVIDIA H100 80GB HBM3', false, (2 * 128 * 132 * 1.98e9) / 400 / 4, 400)).toMatch(/^FP32 bound: 25\.0% of H100 SXM \(66\.9 TFLOP\/s\)$/);
    expect(flopBoundNote('SwiftShader Device', true, 1e6, 400)).toMatch(/n\/a \(software adapter/);
    expect(flopBoundNote('NVIDIA L40S', false, 1e6, 400)).toBe('FP32 bound: unknown GPU');
    expect(memoryBoundNote('NVIDIA H200', false, 4.8e12 / 40 / 10, 40)).toMatch(/^memory bound: 10\.0% of H200 \(4\.80 TB\/s\)$/);
    expect(memoryBoundNote('NVIDIA L40S', false, 1, 40)).toBe('memory bound: unknown GPU');
    // 157 workgroups of 64 threads on 132 SMs of 2048 resident threads each.
    expect(occupancyNote('NVIDIA H100 80GB HBM3', false, 10000, 64)).toBe(`157 workgroups of 64 on 132 SMs, ${((100 * 157 * 64) / (132 * 2048)).toFixed(1)}% of H100 SXM's resident threads`);
    expect(occupancyNote('SwiftShader Device', true, 10000, 64)).toBe('157 workgroups of 64 (software adapter: no SMs)');
    expect(occupancyNote('NVIDIA L40S', false, 64, 64)).toBe('1 workgroups of 64 (unknown GPU: SM count unknown)');
  });
});
