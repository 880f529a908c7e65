// Heat-kernel potentials on a 2-D plane through R^D, one invocation per pixel of a W x H grid.
// Pixel (px, py) sits at the cell centre u = uMin + (px + 1/2)(uMax - uMin)/W,
// v = vMin + (py + 1/2)(vMax - vMin)/H, i.e. x = origin + u e1 + v e2, and writes
// out[py * W + px] = (phi1, phi2, Phi_lam^t, Phi_lam) with
//   phi_i = -4t log u_i(t, x),  Phi_lam^t = lambda phi1 + (1 - lambda) phi2,
//   Phi_lam = lambda d1^2 + (1 - lambda) d2^2,  d_i^2 = min_j |x - y_ij|^2  (the t -> 0 limit).
// Float64 twins: heatPotential, sqDistToSupport (src/math/heat.ts).
//
// log u comes from lib/denoise.wgsl's online log-sum-exp in the log domain (running max + log of
// the rescaled sum), never log(sum exp): at t = 1e-4 the sum underflows for most pixels while
// -4t log u is an O(1) number. The atoms stream through lib/cull.wgsl's culled loop (issue 13):
// at small t a pixel only needs the atoms within sqrt(4t ln(1/eps)) of its nearest one, so tiles
// below eps of the kept mass are skipped (|phi_i - phi_i(dense)| <= 4t n_skipped eps, the bound in
// cull.wgsl's header); CULL_DIST keeps every tile that could hold the nearest atom, so Phi_lam is
// exact. One workgroup per BLOCK x BLOCK pixel block (neighbouring pixels keep the same tiles);
// pixels past the image edge run on a clamped pixel so barriers stay uniform, and only the store
// is masked. Dispatches may be 2-D (workgroup_id.y) when the blocks exceed the per-dimension limit.
// Host: src/labs/score-mixing/field.ts (atoms in k-d order, tile and group boxes after them).

override D: u32 = 2u;
/// BLOCK * BLOCK.
override WG: u32 = 64u;
override CULL_DIST: bool = true;

#include "lib/cull.wgsl"

const BLOCK: u32 = 8u;

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
  cut: f32,
  origin0: vec4f,
  origin1: vec4f,
  e1_0: vec4f,
  e1_1: vec4f,
  e2_0: vec4f,
  e2_1: vec4f,
}

@group(0) @binding(2) var<uniform> params: FieldParams;
@group(0) @binding(3) var<storage, read_write> field: array<vec4f>;
/// Work counts: [0] kept tiles and [1] their atoms loaded, summed over workgroups; [2] (pixel,
/// atom) pairs folded, summed over the pixels.
@group(0) @binding(4) var<storage, read_write> visited: array<atomic<u32>, 3>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let width = params.width;
  let height = params.height;
  let blocksX = (width + BLOCK - 1u) / BLOCK;
  let blocks = blocksX * ((height + BLOCK - 1u) / BLOCK);
  let block = wg.y * groups.x + wg.x;
  let b = min(block, blocks - 1u);
  let bx = (b % blocksX) * BLOCK + lid % BLOCK;
  let by = (b / blocksX) * BLOCK + lid / BLOCK;
  let inImage = block < blocks && bx < width && by < height;
  let px = min(bx, width - 1u);
  let py = min(by, height - 1u);
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
  let ranges = cullRanges(params.n1, params.n2);
  var pairs = 0u;
  let r1 = denoiseCulled(x, ranges[0], t, params.cut, lid, &pairs);
  let r2 = denoiseCulled(x, ranges[1], t, params.cut, lid, &pairs);
  if (lid == 0u) {
    atomicAdd(&visited[0], cullLoads.x);
    atomicAdd(&visited[1], cullLoads.y);
  }
  if (inImage) {
    atomicAdd(&visited[2], pairs);
    let lambda = params.lambda;
    let phi1 = -4.0 * t * r1.logU;
    let phi2 = -4.0 * t * r2.logU;
    field[py * width + px] = vec4f(
      phi1,
      phi2,
      lambda * phi1 + (1.0 - lambda) * phi2,
      lambda * r1.dist2 + (1.0 - lambda) * r2.dist2,
    );
  }
}
