// The exp bound of a GPU: the most exponentials per second its special-function units can issue
// (SFU/MUFU throughput per SM per clock x SMs x boost clock). A kernel that needs one exp per
// pair can reach at most that many pairs per second; the bench prints the fraction reached.
// Figures from NVIDIA's architecture whitepapers and CUDA programming guide (throughput of the
// native ex2 instruction: 16 per clock per SM on compute capability 8.x and 9.0), at the boost
// clock. Matched on the adapter's name; anything else is reported as unknown, not guessed.
// The same table carries each GPU's FP32 lanes per SM (FP32 bound: 2 flops per FMA per lane per
// clock; 128 on Hopper and Ada, 64 on A100) and resident threads per SM (2048 on 8.0 and 9.0, 1536 on
// 8.9), for kernels bound by arithmetic or by how few SMs their dispatch fills (the primal-dual and
// bilevel benches), and its DRAM bandwidth (H100 SXM HBM3 3.35 TB/s, H100 PCIe 2.0, H200 4.8, A100
// 80 GB 2.04, L4 0.3, RTX 4090 1.01; vendor datasheets).

export interface GpuExpSpec {
  name: string;
  expPerClockPerSm: number;
  sms: number;
  /** Boost clock, Hz. */
  clockHz: number;
  /** FP32 FMA lanes per SM. */
  fp32LanesPerSm: number;
  /** Most resident threads per SM. */
  maxThreadsPerSm: number;
  /** Peak DRAM bandwidth, bytes/s (the memory bound of kernels that mostly write results). */
  memBytesPerS: number;
}

/** Most specific pattern first (H100 PCIe before H100 SXM; L4 must not match L40). */
const TABLE: [RegExp, GpuExpSpec][] = [
  [/\bH100\b.*\bPCIe\b/i, { name: 'H100 PCIe', expPerClockPerSm: 16, sms: 114, clockHz: 1.755e9, fp32LanesPerSm: 128, maxThreadsPerSm: 2048, memBytesPerS: 2.0e12 }],
  [/\bH100\b/i, { name: 'H100 SXM', expPerClockPerSm: 16, sms: 132, clockHz: 1.98e9, fp32LanesPerSm: 128, maxThreadsPerSm: 2048, memBytesPerS: 3.35e12 }],
  [/\bH200\b/i, { name: 'H200', expPerClockPerSm: 16, sms: 132, clockHz: 1.98e9, fp32LanesPerSm: 128, maxThreadsPerSm: 2048, memBytesPerS: 4.8e12 }],
  [/\bA100\b/i, { name: 'A100', expPerClockPerSm: 16, sms: 108, clockHz: 1.41e9, fp32LanesPerSm: 64, maxThreadsPerSm: 2048, memBytesPerS: 2.039e12 }],
  [/\bL4\b/i, { name: 'L4', expPerClockPerSm: 16, sms: 58, clockHz: 2.04e9, fp32LanesPerSm: 128, maxThreadsPerSm: 1536, memBytesPerS: 3.0e11 }],
  [/\bRTX\s*4090\b/i, { name: 'RTX 4090', expPerClockPerSm: 16, sms: 128, clockHz: 2.52e9, fp32LanesPerSm: 128, maxThreadsPerSm: 1536, memBytesPerS: 1.008e12 }],
];

/** The spec of the GPU named `adapterName`, or null when it is not in the table. */
export function gpuExpSpec(adapterName: string): GpuExpSpec | null {
  for (const [pattern, spec] of TABLE) if (pattern.test(adapterName)) return spec;
  return null;
}

/** Exponentials per second of the spec. */
export function expPerSecond(spec: GpuExpSpec): number {
  return spec.expPerClockPerSm * spec.sms * spec.clockHz;
}

/** "exp bound: 12.3% of H100 SXM (4.18 T exp/s)" or "exp bound: unknown GPU". */
export function expBoundNote(adapterName: string, pairsPerS: number, expPerPair: number): string {
  const spec = gpuExpSpec(adapterName);
  if (!spec) return 'exp bound: unknown GPU';
  const bound = expPerSecond(spec);
  return `exp bound: ${((100 * pairsPerS * expPerPair) / bound).toFixed(1)}% of ${spec.name} (${(bound / 1e12).toFixed(2)} T exp/s)`;
}

/** FP32 flops per second of the spec (an FMA counts 2). */
export function fp32FlopsPerSecond(spec: GpuExpSpec): number {
  return 2 * spec.fp32LanesPerSm * spec.sms * spec.clockHz;
}

/**
 * "FP32 bound: 1.2% of H100 SXM (66.9 TFLOP/s)", "FP32 bound: unknown GPU", or a note that a
 * software adapter (SwiftShader runs on the CPU) has no GPU bound.
 */
export function flopBoundNote(adapterName: string, software: boolean, itemsPerS: number, flopsPerItem: number): string {
  if (software) return 'FP32 bound: n/a (software adapter: SwiftShader runs on the CPU)';
  const spec = gpuExpSpec(adapterName);
  if (!spec) return 'FP32 bound: unknown GPU';
  const bound = fp32FlopsPerSecond(spec);
  return `FP32 bound: ${((100 * itemsPerS * flopsPerItem) / bound).toFixed(1)}% of ${spec.name} (${(bound / 1e12).toFixed(1)} TFLOP/s)`;
}

/**
 * How much of the GPU a dispatch of `invocations` in workgroups of `wg` can occupy: workgroups
 * against SMs, and resident threads against the SMs' capacity ("157 workgroups of 64 on 132 SMs,
 * 3.7% of H100 SXM's resident threads"); unknown GPU / software adapter otherwise.
 */
export function occupancyNote(adapterName: string, software: boolean, invocations: number, wg: number): string {
  const groups = Math.ceil(invocations / wg);
  const head = `${groups} workgroups of ${wg}`;
  if (software) return `${head} (software adapter: no SMs)`;
  const spec = gpuExpSpec(adapterName);
  if (!spec) return `${head} (unknown GPU: SM count unknown)`;
  const threads = groups * wg;
  return `${head} on ${spec.sms} SMs, ${((100 * threads) / (spec.sms * spec.maxThreadsPerSm)).toFixed(1)}% of ${spec.name}'s resident threads`;
}

/** "memory bound: 3.1% of H100 SXM (3.35 TB/s)" for `bytesPerItem` moved per item; unknown / software otherwise. */
export function memoryBoundNote(adapterName: string, software: boolean, itemsPerS: number, bytesPerItem: number): string {
  if (software) return 'memory bound: n/a (software adapter)';
  const spec = gpuExpSpec(adapterName);
  if (!spec) return 'memory bound: unknown GPU';
  return `memory bound: ${((100 * itemsPerS * bytesPerItem) / spec.memBytesPerS).toFixed(1)}% of ${spec.name} (${(spec.memBytesPerS / 1e12).toFixed(2)} TB/s)`;
}

/** "1.23 Gpairs/s" / "45.6 Mpairs/s" / "8.2 kpixels/s" (`unit` for other items). */
export function formatRate(perS: number, unit = 'pairs/s'): string {
  if (perS >= 1e9) return `${(perS / 1e9).toFixed(2)} G${unit}`;
  return perS >= 1e6 ? `${(perS / 1e6).toFixed(1)} M${unit}` : `${(perS / 1e3).toFixed(1)} k${unit}`;
}

/**
 * "2.10 Gpairs/s, exp bound: 25.3% of H100 SXM (4.18 T exp/s)": `pairs` computed in `ms`
 * milliseconds at one exp per pair (every kernel of the score-mixing lab), for the lines that time
 * whole evaluations (small-t, field, generate, split).
 */
export function pairsRateNote(adapterName: string, pairs: number, ms: number): string {
  const perS = pairs / (ms / 1000);
  return `${formatRate(perS)}, ${expBoundNote(adapterName, perS, 1)}`;
}
