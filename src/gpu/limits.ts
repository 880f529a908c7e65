// Requested limits checked against what the adapter/device offers, with messages that name the
// limit, the requested value and the allowed range (the design's rule for bad input).

export type LimitName = keyof GPUSupportedLimits & string;

export class GpuLimitError extends Error {
  constructor(
    readonly field: string,
    readonly value: number,
    readonly allowedMax: number,
    detail = '',
  ) {
    super(
      `${field} = ${value} exceeds this GPU's limit (allowed: at most ${allowedMax})${detail ? `: ${detail}` : ''}`,
    );
    this.name = 'GpuLimitError';
  }
}

/** The subset of `wanted` to pass as requiredLimits, after checking each against `supported`. */
export function checkRequiredLimits(
  supported: GPUSupportedLimits,
  wanted: Partial<Record<LimitName, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(wanted) as [LimitName, number][]) {
    const max = supported[name] as unknown as number;
    if (typeof max !== 'number') continue;
    // Alignment limits are minimums (smaller is stricter); all others are maximums.
    const isAlignment = name.endsWith('Alignment');
    if (isAlignment ? value < max : value > max) {
      throw new GpuLimitError(`GPU limit ${name}`, value, max);
    }
    out[name] = value;
  }
  return out;
}

/** Throws a GpuLimitError naming `field` when a buffer of `bytes` would not fit a storage binding. */
export function assertStorageFits(device: GPUDevice, field: string, count: number, bytesPerItem: number): void {
  const max = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const maxCount = Math.floor(max / bytesPerItem);
  if (count > maxCount) {
    throw new GpuLimitError(field, count, maxCount, `${bytesPerItem} bytes each, binding limit ${max} bytes`);
  }
}

/** Number of workgroups for `count` invocations, checked against maxComputeWorkgroupsPerDimension. */
export function workgroupCount(device: GPUDevice, field: string, count: number, workgroupSize: number): number {
  const groups = Math.ceil(count / workgroupSize);
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups > max) throw new GpuLimitError(field, count, max * workgroupSize, 'one dispatch dimension');
  return groups;
}
