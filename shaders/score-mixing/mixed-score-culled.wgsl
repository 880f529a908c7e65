// Mixed score with small-t culling (issue 13, part 2): the outputs of mixed-score.wgsl (same
// layout, same bindings 0..4) from lib/cull.wgsl's culled denoiser, which skips atom tiles whose
// whole contribution is below eps of the kept mass (the algorithm and the error bound
// |m_k - m_k(dense)| <= n_skipped eps diam(atoms), |log u_k - log u_k(dense)| <= n_skipped eps
// are in its header). Host: src/labs/score-mixing/culled-score.ts, which puts each measure's
// atoms in k-d tree order, uploads the tile and group boxes after the atoms (binding 0), orders the queries by a
// k-d tree too (a workgroup's queries are then one leaf, near each other), unsorts the outputs, and runs the
// dense kernel instead when the queries' and atoms' extents show nothing can be skipped.

override D: u32 = 2u;
override WG: u32 = 64u;
override CULL_DIST: bool = false;

#include "lib/cull.wgsl"

struct CulledScoreParams {
  count: u32,
  n1: u32,
  n2: u32,
  lambda: f32,
  t: f32,
  cut: f32,
}

@group(0) @binding(2) var<uniform> params: CulledScoreParams;
@group(0) @binding(3) var<storage, read> queries: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;
/// Work counts: [0] kept tiles and [1] their atoms loaded, summed over workgroups; [2] (query,
/// atom) pairs folded, summed over the queries.
@group(0) @binding(5) var<storage, read_write> visited: array<atomic<u32>, 3>;

#include "lib/mixed-score-store.wgsl"

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wg.y * groups.x + wg.x) * WG + lid;
  let count = params.count;
  let x = loadQuery(i, count);
  let t = params.t;
  let ranges = cullRanges(params.n1, params.n2);
  var pairs = 0u;
  let r1 = denoiseCulled(x, ranges[0], t, params.cut, lid, &pairs);
  let r2 = denoiseCulled(x, ranges[1], t, params.cut, lid, &pairs);
  if (lid == 0u) {
    atomicAdd(&visited[0], cullLoads.x);
    atomicAdd(&visited[1], cullLoads.y);
  }
  if (i < count) {
    atomicAdd(&visited[2], pairs);
    storeMixedScore(i, count, x, r1, r2, params.lambda, t);
  }
}
