// Device acquisition, shared by the page (navigator.gpu) and Node (the `webgpu` package, see
// node-gpu.ts). Knows nothing about labs: callers pass the limits they need.

import { checkRequiredLimits, type LimitName } from './limits';

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: GPUAdapterInfo;
  /** Human-readable adapter, e.g. "google swiftshader (SwiftShader driver 5.0.0)". */
  readonly adapterDescription: string;
  /** True for CPU implementations (SwiftShader, lavapipe, WARP): sizes should be reduced. */
  readonly isSoftware: boolean;
  readonly hasTimestamps: boolean;
}

export interface AcquireOptions {
  label?: string;
  requiredLimits?: Partial<Record<LimitName, number>>;
  /** Optional features are requested when the adapter has them; timestamp-query by default. */
  optionalFeatures?: GPUFeatureName[];
  powerPreference?: GPUPowerPreference;
}

export class WebGpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebGpuUnavailableError';
  }
}

export function describeAdapter(info: GPUAdapterInfo): string {
  const main = [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0).join(' ');
  const desc = info.description ? ` (${info.description})` : '';
  return (main || 'unknown adapter') + desc;
}

export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|warp|software|cpu/.test(text);
}

export async function requestAdapterFrom(gpu: GPU, powerPreference?: GPUPowerPreference): Promise<GPUAdapter | null> {
  try {
    return await gpu.requestAdapter(powerPreference ? { powerPreference } : undefined);
  } catch {
    return null;
  }
}

/**
 * Limits asked for unless the caller says otherwise: the adapter's own buffer-size limits. The
 * WebGPU defaults (128 MiB per storage binding, 256 MiB per buffer) are far below what desktop
 * GPUs offer, and the largest lab sizes need more (the transformer's backward keeps per-(sequence,
 * head, row) quantities: ~170 MB at B = 64, n = 256, H = 256, d = k = 2).
 */
export function defaultLimits(adapter: GPUSupportedLimits): Partial<Record<LimitName, number>> {
  return { maxStorageBufferBindingSize: adapter.maxStorageBufferBindingSize, maxBufferSize: adapter.maxBufferSize };
}

/** A device on `adapter` with the requested limits (checked first, with a named message). */
export async function createContext(adapter: GPUAdapter, options: AcquireOptions = {}): Promise<GpuContext> {
  const requiredLimits = checkRequiredLimits(adapter.limits, { ...defaultLimits(adapter.limits), ...options.requiredLimits });
  const wantedFeatures = options.optionalFeatures ?? ['timestamp-query'];
  const requiredFeatures = wantedFeatures.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: options.label ?? 'Flowlab.device',
    requiredLimits,
    requiredFeatures,
  });
  const info = adapter.info;
  return {
    device,
    adapterInfo: info,
    adapterDescription: describeAdapter(info),
    isSoftware: isSoftwareAdapter(info),
    hasTimestamps: device.features.has('timestamp-query'),
  };
}

/** Browser: navigator.gpu. Throws WebGpuUnavailableError with a reason a person can act on. */
export async function acquireBrowserGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError(
      globalThis.isSecureContext === false
        ? 'WebGPU needs a secure context: open the page over https or from localhost.'
        : 'This browser does not expose WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or ' +
            'Safari 26+, or Firefox 141+ on Windows; on Linux Chrome, enable chrome://flags/#enable-unsafe-webgpu ' +
            'and chrome://flags/#enable-vulkan.',
    );
  }
  const adapter = await requestAdapterFrom(gpu, options.powerPreference ?? 'high-performance');
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'WebGPU is present but no GPU adapter was granted (blocklisted driver or GPU disabled). ' +
        'Check chrome://gpu, update the graphics driver, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  return createContext(adapter, options);
}
