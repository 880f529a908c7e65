// Which backend runs a headless lab (the library's runLab and the CLI alike):
//   auto  (default) the machine's GPU through Dawn; else SwiftShader when installed; else the
//         float64 CPU reference
//   gpu   a WebGPU adapter (hardware or SwiftShader) or fail
//   cpu   the float64 CPU reference, no WebGPU at all
// The choice, and why, goes to meta.json (backend, backendNote, adapter); the CLI prints it too.

import type { GpuContext } from '../gpu/device';
import type { Backend } from '../labs/lab';
import { BackendUnavailableError, type BackendRequest } from './public';

export interface BackendChoice {
  gpu: GpuContext | null;
  backend: Backend;
  /** One line for stderr: what runs and why. */
  note: string;
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
