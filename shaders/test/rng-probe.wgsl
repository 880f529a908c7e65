// Test probe for lib/rng.wgsl (used only by test/gpu/rng.test.ts): invocation i reads the four
// u32 words inputs[4i..4i+4) and writes
//   raw[2i..2i+2)  = threefry2x32(k0 = w0, k1 = w1, c0 = w2, c1 = w3)
//   z[i]           = normal(seed = w0, particle = w2, step = w3, j = w1)
// so one dispatch checks the Random123 known-answer vectors and Box-Muller against TypeScript.

#include "lib/rng.wgsl"

@group(0) @binding(0) var<storage, read> inputs: array<u32>;
@group(0) @binding(1) var<storage, read_write> raw: array<u32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= arrayLength(&z)) {
    return;
  }
  let w = vec4u(inputs[4u * i], inputs[4u * i + 1u], inputs[4u * i + 2u], inputs[4u * i + 3u]);
  let r = threefry2x32(w.x, w.y, w.z, w.w);
  raw[2u * i] = r.x;
  raw[2u * i + 1u] = r.y;
  z[i] = normal(w.x, w.z, w.w, w.y);
}
