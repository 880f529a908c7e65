// DOM-free parts of the GPU runtime: struct layouts follow WGSL's alignment rules, limit checks
// name the limit, and every WGSL file composes (includes resolve, no cycles).
import { describe, expect, it } from 'vitest';
import { structLayout } from '../../src/gpu/struct-layout';
import { checkRequiredLimits, GpuLimitError } from '../../src/gpu/limits';
import { createContext } from '../../src/gpu/device';
import { shaderPaths, shaderSource } from '../../src/gpu/shaders';

describe('structLayout', () => {
  it('aligns vectors as WGSL does (vec2 to 8, vec3/vec4 to 16) and rounds the size to the largest alignment', () => {
    const s = structLayout('P', [
      ['a', 'f32'],
      ['b', 'vec2f'],
      ['c', 'u32'],
      ['d', 'vec3f'],
      ['e', 'f32'],
    ] as const);
    // a@0, b@8 (align 8), c@16, d@32 (align 16), e@44 (right after the 12-byte vec3), size 48.
    expect(s.offsets).toEqual({ a: 0, b: 8, c: 16, d: 32, e: 44 });
    expect(s.size).toBe(48);
  });

  it('packs values little-endian at those offsets', () => {
    const s = structLayout('Q', [
      ['x', 'f32'],
      ['n', 'u32'],
      ['v', 'vec4f'],
    ] as const);
    const buf = s.pack({ x: 1.5, n: 0xffffffff, v: [1, 2, 3, 4] });
    const dv = new DataView(buf);
    expect(dv.getFloat32(0, true)).toBe(1.5);
    expect(dv.getUint32(4, true)).toBe(0xffffffff);
    expect(dv.getFloat32(16 + 12, true)).toBe(4);
    expect(() => s.pack({ x: 1, n: 1, v: [1, 2] })).toThrow(/Q\.v/);
  });

  it('prints its WGSL declaration', () => {
    expect(structLayout('S', [['lambda', 'f32']] as const).wgsl()).toBe('struct S {\n  lambda: f32,\n}');
  });
});

describe('checkRequiredLimits', () => {
  const supported = { maxStorageBufferBindingSize: 1024, minStorageBufferOffsetAlignment: 256 } as unknown as GPUSupportedLimits;
  it('passes limits within the adapter', () => {
    expect(checkRequiredLimits(supported, { maxStorageBufferBindingSize: 512 })).toEqual({ maxStorageBufferBindingSize: 512 });
  });
  it('names the limit, the value and the allowed maximum', () => {
    expect(() => checkRequiredLimits(supported, { maxStorageBufferBindingSize: 4096 })).toThrow(GpuLimitError);
    expect(() => checkRequiredLimits(supported, { maxStorageBufferBindingSize: 4096 })).toThrow(
      /maxStorageBufferBindingSize = 4096 .*at most 1024/,
    );
  });
  it('treats alignment limits as minimums', () => {
    expect(() => checkRequiredLimits(supported, { minStorageBufferOffsetAlignment: 64 })).toThrow(GpuLimitError);
  });
});

describe('shaderSource', () => {
  it('composes every WGSL file: includes resolve, each appears once', () => {
    const paths = shaderPaths();
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      const src = shaderSource(p);
      expect(src).not.toMatch(/^[ \t]*#include/m);
      for (const m of src.matchAll(/\/\/ ---- begin (\S+)/g)) {
        expect(src.split(`// ---- begin ${m[1]}\n`).length - 1, `${p} includes ${m[1]} once`).toBe(1);
      }
    }
  });
  it('the blow-up and render kernels share one finite-value test (lib/finite.wgsl)', () => {
    const users = ['score-mixing/generate.wgsl', 'primal-dual/dynamics.wgsl', 'transformer/readout-risk.wgsl', 'render/project.wgsl', 'render/trajectory-segments.wgsl'];
    for (const p of users) {
      const src = shaderSource(p);
      expect(src, p).toContain('// ---- begin lib/finite.wgsl');
      expect(src.split('fn isFiniteF32(').length - 1, p).toBe(1);
    }
    // Nobody writes the exponent-bits test again outside the lib.
    for (const p of shaderPaths().filter((q) => q !== 'lib/finite.wgsl')) {
      expect(shaderSource(p).replace(shaderSource('lib/finite.wgsl'), ''), p).not.toContain('0x7f800000u');
    }
  });

  it('reports an unknown file by name', () => {
    expect(() => shaderSource('nope/missing.wgsl')).toThrow(/shaders\/nope\/missing\.wgsl not found/);
  });
});

describe('createContext', () => {
  // A stand-in adapter records the descriptor the device was requested with.
  function fakeAdapter(limits: Partial<GPUSupportedLimits>) {
    const requested: GPUDeviceDescriptor[] = [];
    const adapter = {
      limits,
      features: new Set<string>(),
      info: { vendor: 'test', architecture: '', device: '', description: '' },
      requestDevice: async (desc: GPUDeviceDescriptor) => {
        requested.push(desc);
        return { features: new Set<string>() };
      },
    } as unknown as GPUAdapter;
    return { adapter, requested };
  }

  it("asks for the adapter's buffer-size limits by default (the WebGPU defaults are 128/256 MiB)", async () => {
    const { adapter, requested } = fakeAdapter({ maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32, maxComputeWorkgroupsPerDimension: 65535 });
    await createContext(adapter);
    expect(requested[0].requiredLimits).toEqual({ maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 });
  });

  it('lets the caller ask for less, and names a limit the adapter cannot give', async () => {
    const { adapter, requested } = fakeAdapter({ maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 });
    await createContext(adapter, { requiredLimits: { maxStorageBufferBindingSize: 2 ** 27 } });
    expect(requested[0].requiredLimits).toEqual({ maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 30 });
    await expect(createContext(adapter, { requiredLimits: { maxBufferSize: 2 ** 31 } })).rejects.toThrow(/maxBufferSize = 2147483648 .*at most 1073741824/);
  });
});
