// Compute pipelines built once per (shader file, entry point, override constants) and reused.
// Creation is async so a slow compile never blocks a frame; compilation errors are reported with
// the WGSL file name and line.

import { shaderSource } from './shaders';

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(readonly device: GPUDevice) {}

  module(path: string): GPUShaderModule {
    let m = this.modules.get(path);
    if (!m) {
      m = this.device.createShaderModule({ label: `shaders/${path}`, code: shaderSource(path) });
      this.modules.set(path, m);
    }
    return m;
  }

  compute(path: string, entryPoint: string, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
    const key = `${path}#${entryPoint}#${JSON.stringify(Object.entries(constants).sort())}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.build(path, entryPoint, constants);
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private async build(path: string, entryPoint: string, constants: Record<string, number>): Promise<GPUComputePipeline> {
    const module = this.module(path);
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new Error(
        `WGSL compile errors in shaders/${path}:\n` +
          errors.map((e) => `  line ${e.lineNum}:${e.linePos} ${e.message}`).join('\n'),
      );
    }
    return this.device.createComputePipelineAsync({
      label: `${path}:${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants },
    });
  }
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** One pipeline cache per device, so repeated runs (tests, redraws, labs) compile each kernel once. */
export function pipelineCacheFor(device: GPUDevice): PipelineCache {
  let c = caches.get(device);
  if (!c) {
    c = new PipelineCache(device);
    caches.set(device, c);
  }
  return c;
}
