// Heun adjoint glue (NUMERICS.md "Backward", Heun): from the layer cotangent P (= PY) and the
// predictor's cotangent Pt = J_l(Xt)^T (dt/2 P), forms elementwise
//   u = P/2 + Pt      (the corrector's head cotangent is dt u = dt/2 P + dt Pt)
//   s = P + Pt        (the identity part added by the key pass: dR/dX^l = P + Pt + J^T (dt u)).
// One invocation per entry.

override WG: u32 = 64u;

struct CombineParams {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: CombineParams;
@group(0) @binding(1) var<storage, read> cotP: array<f32>;
@group(0) @binding(2) var<storage, read> cotPt: array<f32>;
@group(0) @binding(3) var<storage, read_write> outU: array<f32>;
@group(0) @binding(4) var<storage, read_write> outS: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  if (e < params.count) {
    outU[e] = 0.5 * cotP[e] + cotPt[e];
    outS[e] = cotP[e] + cotPt[e];
  }
}
