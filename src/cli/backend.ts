// Which backend runs a headless lab. FLOWLAB_BACKEND (or --backend, which wins) is one of
//   auto  (default) the machine's GPU through Dawn; else SwiftShader when installed; else the
//         float64 CPU reference
//   gpu   a WebGPU adapter (hardware or SwiftShader) or fail
//   cpu   the float64 CPU reference, no WebGPU at all
// The choice, and why, is reported on stderr and written to meta.json (backend, adapter).

import type { GpuContext } from '../gpu/device';
import type { Backend } from '../labs/lab';
import { UsageError } from './args';

export type BackendRequest = 'auto' | 'gpu' | 'cpu';
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'gpu', 'cpu'];

export interface BackendChoice {
  gpu: GpuContext | null;
  backend: Backend;
  /** One line for stderr: what runs and why. */
  note: string;
}

export function backendRequest(flag: string | undefined, env: string | undefined): BackendRequest {
  const [value, source] = flag !== undefined ? [flag, '--backend'] : [env, 'FLOWLAB_BACKEND'];
  if (value === undefined || value.trim() === '') return 'auto';
  const v = value.trim().toLowerCase();
  if (!(BACKEND_REQUESTS as readonly string[]).includes(v)) {
    throw new UsageError(`${source}: got ${JSON.stringify(value)}; allowed: one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  return v as BackendRequest;
}

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

export async function selectBackend(request: BackendRequest): Promise<BackendChoice> {
  if (request === 'cpu') {
    return { gpu: null, backend: 'cpu-float64', note: 'float64 CPU reference (requested)' };
  }
  const { acquireNodeGpu } = await import('../gpu/node-gpu');
  const { context, note } = await acquireNodeGpu({ label: 'flowlab-cli.device' });
  if (context) {
    const software = context.isSoftware || /swiftshader/i.test(note);
    return {
      gpu: context,
      backend: software ? 'webgpu-swiftshader' : 'webgpu',
      note: `${software ? 'WebGPU on SwiftShader (CPU Vulkan)' : 'WebGPU'}: ${context.adapterDescription} [${note}]`,
    };
  }
  if (request === 'gpu') throw new BackendUnavailableError(`backend gpu requested but no WebGPU adapter: ${note}`);
  return { gpu: null, backend: 'cpu-float64', note: `float64 CPU reference (fallback: ${note})` };
}
