// Probe for lib/sincos.wgsl, run by the bilevel self-test (src/labs/bilevel/selftest.ts
// sinCosProbe, which the GPU test calls too): invocation i writes out[2i..2i+2) = sinCosF32(x[i]),
// so one dispatch checks sin and cos against Math.sin/cos. Shipped code, hence not under shaders/test.

#include "lib/sincos.wgsl"

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<vec2f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= arrayLength(&x)) {
    return;
  }
  out[i] = sinCosF32(x[i]);
}
