// Node: WebGPU through Google's Dawn (npm package `webgpu`). Tries the machine's own GPU first;
// when no adapter comes back, retries on SwiftShader (the CPU Vulkan driver shipped with
// Chromium) if it is installed. Node-only: imported dynamically so the page bundle never sees it.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, requestAdapterFrom, type AcquireOptions, type GpuContext } from './device';

export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export function findSwiftShaderIcd(): string | null {
  return SWIFTSHADER_ICDS.find((p) => existsSync(p)) ?? null;
}

export interface NodeGpuResult {
  context: GpuContext | null;
  /** Why no context, or which path was taken: for messages and meta.json. */
  note: string;
}

let installedGlobals = false;

/** The adapter order: hardware, then SwiftShader. Returns context null (with a reason) if neither works. */
export async function acquireNodeGpu(options: AcquireOptions & { allowSoftware?: boolean } = {}): Promise<NodeGpuResult> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    return { context: null, note: `the 'webgpu' package could not be loaded: ${(e as Error).message}` };
  }
  if (!installedGlobals) {
    // GPUBufferUsage, GPUMapMode, ... as in a browser.
    Object.assign(globalThis, webgpu.globals);
    installedGlobals = true;
  }
  // Vulkan WSI code in the drivers complains on stderr when XDG_RUNTIME_DIR is unset (headless
  // servers, CI); a private empty directory silences it and is never used for anything.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'flowlab-xdg-'));
  const preset = process.env.VK_ICD_FILENAMES;
  // dawn.node tears its instance down when the object returned by create() is garbage-collected,
  // even while a device made from it lives: mapAsync then never resolves or the process aborts
  // (seen under vitest). The context keeps its instance alive (and lets it go with the context).
  let instance = webgpu.create([]);
  let adapter = await requestAdapterFrom(instance, options.powerPreference ?? 'high-performance');
  let note = 'hardware adapter';
  if (!adapter && !preset && options.allowSoftware !== false) {
    const icd = findSwiftShaderIcd();
    if (!icd) {
      return {
        context: null,
        note: 'no GPU adapter, and SwiftShader was not found (apt-get install chromium libvulkan1 provides it)',
      };
    }
    process.env.VK_ICD_FILENAMES = icd;
    instance = webgpu.create([]);
    adapter = await requestAdapterFrom(instance);
    note = `SwiftShader via ${icd}`;
  }
  if (!adapter) {
    return {
      context: null,
      note: preset
        ? `no adapter from VK_ICD_FILENAMES=${preset}`
        : 'no GPU adapter (is libvulkan1 installed?)',
    };
  }
  const context = await createContext(adapter, options);
  Object.defineProperty(context, 'dawnInstance', { value: instance, enumerable: false });
  return { context, note };
}
