// Sphere variant of the adjoint (NUMERICS.md "Backward", sphere; float64 twin: the sphere branch of
// backward() in src/labs/transformer/reference.ts). Layer l writes X^{l+1}_i = y_i = Y_i/|Y_i|
// (Y the unnormalised Euler or Heun step), whose Jacobian is (I - y y^T)/|Y|, symmetric, so the
// cotangent P of X^{l+1} becomes the cotangent of Y:
//   P_i <- (P_i - y_i <y_i, P_i>) / |Y_i|
// in place, before the layer's VJP reads it. y_i is the stored X^{l+1} row (f32, already unit) at
// element params.zOff = (l+1) batch rows D of `states`; |Y_i| is what the forward kernel stored in
// norms[l][b][i] (attention-forward.wgsl, SPHERE), so the step is never recomputed here.
// One invocation per row of the batch x rows state.

override D: u32 = 2u;
override WG: u32 = 64u;

const MAXD = 8u;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
/// (L + 1) x batch x rows x D.
@group(0) @binding(1) var<storage, read> states: array<f32>;
/// L x batch x rows.
@group(0) @binding(2) var<storage, read> norms: array<f32>;
/// batch x rows x D, projected in place.
@group(0) @binding(3) var<storage, read_write> cot: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.y * groups.x * WG + gid.x;
  let count = params.batch * params.rows;
  if (row >= count) {
    return;
  }
  let e0 = row * D;
  var y: array<f32, MAXD>;
  var yp = 0.0;
  for (var c = 0u; c < D; c++) {
    y[c] = states[params.zOff + e0 + c];
    yp += y[c] * cot[e0 + c];
  }
  let inv = 1.0 / norms[params.layer * count + row];
  for (var c = 0u; c < D; c++) {
    cot[e0 + c] = (cot[e0 + c] - y[c] * yp) * inv;
  }
}
