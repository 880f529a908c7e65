// Dispatch sizing shared by every lab's one-invocation-per-item kernels: a 1-D grid while it
// fits maxComputeWorkgroupsPerDimension, else 2-D (kernels flatten
// workgroup_id.y * num_workgroups.x + workgroup_id.x), and the workgroup-size check.

import { GpuLimitError } from './limits';

/**
 * Workgroup grid for `count` invocations: 1-D while it fits, else 2-D. Throws a GpuLimitError
 * naming `field`.
 */
export function dispatchGrid(device: GPUDevice, field: string, count: number, workgroupSize: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count / workgroupSize));
  const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxDim) return [groups, 1];
  const gy = Math.ceil(groups / maxDim);
  if (gy > maxDim) throw new GpuLimitError(field, count, maxDim * maxDim * workgroupSize, 'two dispatch dimensions');
  return [Math.ceil(groups / gy), gy];
}

/** Checks a workgroup size against the device (kernels take it as the override WG). */
export function checkWorkgroupSize(device: GPUDevice, size: number): void {
  const max = Math.min(device.limits.maxComputeInvocationsPerWorkgroup, device.limits.maxComputeWorkgroupSizeX);
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`workgroupSize must be a positive integer, got ${size}`);
  if (size > max) throw new GpuLimitError('workgroupSize', size, max);
}
