// Conditional-Wasserstein training step (NUMERICS.md "Training"): theta <- theta - f dR/dtheta
// with f = tau L H, elementwise over the flat Q, K (L x H x k x d) and V (L x H x d x d)
// buffers, one invocation per entry of Q/K (index < qkCount) or of V (after).

override WG: u32 = 64u;

struct UpdateParams {
  qkCount: u32,
  vCount: u32,
  factor: f32,
}

@group(0) @binding(0) var<uniform> params: UpdateParams;
@group(0) @binding(1) var<storage, read_write> qmat: array<f32>;
@group(0) @binding(2) var<storage, read_write> kmat: array<f32>;
@group(0) @binding(3) var<storage, read_write> vmat: array<f32>;
@group(0) @binding(4) var<storage, read> dq: array<f32>;
@group(0) @binding(5) var<storage, read> dk: array<f32>;
@group(0) @binding(6) var<storage, read> dv: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  if (e < params.qkCount) {
    qmat[e] -= params.factor * dq[e];
    kmat[e] -= params.factor * dk[e];
  } else if (e < params.qkCount + params.vCount) {
    let f = e - params.qkCount;
    vmat[f] -= params.factor * dv[f];
  }
}
