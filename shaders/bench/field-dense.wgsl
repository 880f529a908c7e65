// BENCH BASELINE (issue 13): shaders/score-mixing/field.wgsl as it was before the small-t culling,
// kept verbatim below so bench/field.ts can time the dense loop against today's culled field in one
// run. Not used by the labs. (Its FieldParams lacks today's `cut`, which sits in what was padding
// before origin0, so the host's FieldParamsLayout packing fits both.)
//
// Heat-kernel potentials on a 2-D plane through R^D, one invocation per pixel of a W x H grid.
// Pixel (px, py) sits at the cell centre u = uMin + (px + 1/2)(uMax - uMin)/W,
// v = vMin + (py + 1/2)(vMax - vMin)/H, i.e. x = origin + u e1 + v e2, and writes
// out[py * W + px] = (phi1, phi2, Phi_lam^t, Phi_lam) with
//   phi_i = -4t log u_i(t, x),  Phi_lam^t = lambda phi1 + (1 - lambda) phi2,
//   Phi_lam = lambda d1^2 + (1 - lambda) d2^2,  d_i^2 = min_j |x - y_ij|^2  (the t -> 0 limit).
// Float64 twins: heatPotential, sqDistToSupport (src/math/heat.ts).
//
// log u comes from lib/denoise.wgsl in the log domain (running max + log of the rescaled sum),
// never log(sum exp): at t = 1e-4 the sum underflows for most pixels while -4t log u is an O(1)
// number. The tiled atom stream is the same as the particle kernels'; pixels beyond W*H run on a
// clamped pixel so barriers stay uniform, and only the store is masked. Dispatches may be 2-D
// (workgroup_id.y) when W*H/WG exceeds the per-dimension limit.

override D: u32 = 2u;
override WG: u32 = 64u;

#include "lib/denoise.wgsl"

struct FieldParams {
  width: u32,
  height: u32,
  n1: u32,
  n2: u32,
  t: f32,
  lambda: f32,
  uMin: f32,
  uMax: f32,
  vMin: f32,
  vMax: f32,
  origin0: vec4f,
  origin1: vec4f,
  e1_0: vec4f,
  e1_1: vec4f,
  e2_0: vec4f,
  e2_1: vec4f,
}

@group(0) @binding(2) var<uniform> params: FieldParams;
@group(0) @binding(3) var<storage, read_write> field: array<vec4f>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wg.y * groups.x + wg.x) * WG + lid;
  let pixels = params.width * params.height;
  let p = min(i, pixels - 1u);
  let px = p % params.width;
  let py = p / params.width;
  let u = params.uMin + (f32(px) + 0.5) * ((params.uMax - params.uMin) / f32(params.width));
  let v = params.vMin + (f32(py) + 0.5) * ((params.vMax - params.vMin) / f32(params.height));
  let origin = array<vec4f, 2>(params.origin0, params.origin1);
  let e1 = array<vec4f, 2>(params.e1_0, params.e1_1);
  let e2 = array<vec4f, 2>(params.e2_0, params.e2_1);
  var x: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    x[c] = origin[c / 4u][c % 4u] + u * e1[c / 4u][c % 4u] + v * e2[c / 4u][c % 4u];
  }
  let t = params.t;
  let r1 = denoise(x, 0u, params.n1, t, lid);
  let r2 = denoise(x, params.n1, params.n2, t, lid);
  if (i < pixels) {
    let lambda = params.lambda;
    let phi1 = -4.0 * t * r1.logU;
    let phi2 = -4.0 * t * r2.logU;
    field[i] = vec4f(
      phi1,
      phi2,
      lambda * phi1 + (1.0 - lambda) * phi2,
      lambda * r1.dist2 + (1.0 - lambda) * r2.dist2,
    );
  }
}
