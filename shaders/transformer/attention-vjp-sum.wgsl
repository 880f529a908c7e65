// Attention VJP, head sum (NUMERICS.md "Backward"): after attention-vjp-keys.wgsl has written each
// head's part of the state cotangent, part[(b H + h) rows + j] (D floats: query, key and value
// paths of head h), one invocation per row (b, j) forms
//   out_j = addend_j + sum_{h = 0..H-1} part_{b,h,j}
// in that fixed order (deterministic, no atomics). addend is the identity part of the step's
// adjoint (P for Euler, 0 / s for the Heun stages); the head cotangent already carries dt/H.

override D: u32 = 2u;
override WG: u32 = 64u;

const MAXD = 8u;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
/// batch x rows x D.
@group(0) @binding(1) var<storage, read> addend: array<f32>;
/// batch x H x rows x D.
@group(0) @binding(2) var<storage, read> part: array<f32>;
/// batch x rows x D.
@group(0) @binding(3) var<storage, read_write> outCot: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let rows = params.rows;
  let H = params.heads;
  let row = gid.y * groups.x * WG + gid.x;
  if (row >= params.batch * rows) {
    return;
  }
  let b = row / rows;
  let j = row % rows;
  var s: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    s[c] = 0.0;
  }
  for (var h = 0u; h < H; h++) {
    let o = ((b * H + h) * rows + j) * D;
    for (var c = 0u; c < D; c++) {
      s[c] += part[o + c];
    }
  }
  for (var c = 0u; c < D; c++) {
    outCot[row * D + c] = addend[row * D + c] + s[c];
  }
}
