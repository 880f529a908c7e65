// Uniform/storage struct layouts derived from one field list, following WGSL's alignment rules
// (WGSL spec, "Alignment and Size"), so TypeScript never hand-counts byte offsets. The same
// description can print its WGSL struct, which tests compare against the .wgsl declaration.

export type ScalarType = 'f32' | 'u32' | 'i32';
export type FieldType = ScalarType | 'vec2f' | 'vec3f' | 'vec4f' | 'vec2u' | 'vec4u';

const INFO: Record<FieldType, { align: number; size: number; scalar: ScalarType; n: number }> = {
  f32: { align: 4, size: 4, scalar: 'f32', n: 1 },
  u32: { align: 4, size: 4, scalar: 'u32', n: 1 },
  i32: { align: 4, size: 4, scalar: 'i32', n: 1 },
  vec2f: { align: 8, size: 8, scalar: 'f32', n: 2 },
  vec3f: { align: 16, size: 12, scalar: 'f32', n: 3 },
  vec4f: { align: 16, size: 16, scalar: 'f32', n: 4 },
  vec2u: { align: 8, size: 8, scalar: 'u32', n: 2 },
  vec4u: { align: 16, size: 16, scalar: 'u32', n: 4 },
};

export interface StructLayout<K extends string> {
  readonly name: string;
  readonly size: number;
  readonly offsets: Readonly<Record<K, number>>;
  /** Pack values (numbers or arrays for vectors) into a new ArrayBuffer of `size` bytes. */
  pack(values: Record<K, number | readonly number[]>): ArrayBuffer;
  /** The WGSL declaration, e.g. "struct Params {\n  lambda: f32,\n ...}". */
  wgsl(): string;
}

export function structLayout<K extends string>(name: string, fields: readonly (readonly [K, FieldType])[]): StructLayout<K> {
  let offset = 0;
  let maxAlign = 4;
  const offsets = {} as Record<K, number>;
  for (const [key, type] of fields) {
    const { align, size } = INFO[type];
    offset = Math.ceil(offset / align) * align;
    offsets[key] = offset;
    offset += size;
    maxAlign = Math.max(maxAlign, align);
  }
  const size = Math.ceil(offset / maxAlign) * maxAlign;
  return {
    name,
    size,
    offsets,
    pack(values) {
      const buf = new ArrayBuffer(size);
      const view = new DataView(buf);
      for (const [key, type] of fields) {
        const v = values[key];
        if (v === undefined) throw new Error(`${name}.${key} missing`);
        const arr: readonly number[] = typeof v === "number" ? [v] : v;
        const { scalar, n } = INFO[type];
        if (arr.length !== n) throw new Error(`${name}.${key}: expected ${n} components, got ${arr.length}`);
        for (let i = 0; i < n; i++) {
          const at = offsets[key] + 4 * i;
          if (scalar === 'f32') view.setFloat32(at, arr[i], true);
          else if (scalar === 'u32') view.setUint32(at, arr[i] >>> 0, true);
          else view.setInt32(at, arr[i] | 0, true);
        }
      }
      return buf;
    },
    wgsl() {
      return `struct ${name} {\n${fields.map(([k, t]) => `  ${k}: ${t},`).join('\n')}\n}`;
    },
  };
}
