// The exp bound of a GPU: the most exponentials per second its special-function units can issue
// (SFU/MUFU throughput per SM per clock x SMs x boost clock). A kernel that needs one exp per
// pair can reach at most that many pairs per second; the bench prints the fraction reached.
// Figures from NVIDIA's architecture whitepapers and CUDA programming guide (throughput of the
// native ex2 instruction: 16 per clock per SM on compute capability 8.x and 9.0), at the boost
// clock. Matched on the adapter's name; anything else is reported as unknown, not guessed.

export interface GpuExpSpec {
  name: string;
  expPerClockPerSm: number;
  sms: number;
  /** Boost clock, Hz. */
  clockHz: number;
}

/** Most specific pattern first (H100 PCIe before H100 SXM; L4 must not match L40). */
const TABLE: [RegExp, GpuExpSpec][] = [
  [/\bH100\b.*\bPCIe\b/i, { name: 'H100 PCIe', expPerClockPerSm: 16, sms: 114, clockHz: 1.755e9 }],
  [/\bH100\b/i, { name: 'H100 SXM', expPerClockPerSm: 16, sms: 132, clockHz: 1.98e9 }],
  [/\bH200\b/i, { name: 'H200', expPerClockPerSm: 16, sms: 132, clockHz: 1.98e9 }],
  [/\bA100\b/i, { name: 'A100', expPerClockPerSm: 16, sms: 108, clockHz: 1.41e9 }],
  [/\bL4\b/i, { name: 'L4', expPerClockPerSm: 16, sms: 58, clockHz: 2.04e9 }],
  [/\bRTX\s*4090\b/i, { name: 'RTX 4090', expPerClockPerSm: 16, sms: 128, clockHz: 2.52e9 }],
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
