// Mixed score at arbitrary query points: for every query x, the Tweedie means m1(t,x), m2(t,x)
// of the two measures, m_lam = lambda m1 + (1 - lambda) m2, the mixed score
// s = -(x - m_lam)/(2t), and log u1, log u2. Used by the GPU tests (against the float64
// reference, src/math/heat.ts and reference.ts mixedDenoise) and the benchmark.
//
// One invocation per query; the atoms stream through workgroup memory (lib/denoise.wgsl, tiled
// online log-sum-exp in the direct form). Both measures are always evaluated here, whatever
// lambda is, because all outputs are wanted. Idle invocations of the last workgroup run on a
// clamped copy of the last query so every barrier is reached in uniform control flow; only the
// final stores are masked.
//
// Output layout: lib/mixed-score-store.wgsl (sections of one buffer, so one readback returns
// everything). When the queries fill too few workgroups for the GPU, the host runs
// mixed-score-split.wgsl instead (the atoms split over workgroups, then a merge pass).

override D: u32 = 2u;
override WG: u32 = 64u;

#include "lib/denoise.wgsl"

struct ScoreParams {
  count: u32,
  n1: u32,
  n2: u32,
  lambda: f32,
  t: f32,
}

@group(0) @binding(2) var<uniform> params: ScoreParams;
@group(0) @binding(3) var<storage, read> queries: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;

#include "lib/mixed-score-store.wgsl"

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wg.y * groups.x + wg.x) * WG + lid;
  let count = params.count;
  let src = min(i, count - 1u);
  var x: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    x[c] = queries[src * D + c];
  }
  let t = params.t;
  let r1 = denoise(x, 0u, params.n1, t, lid);
  let r2 = denoise(x, params.n1, params.n2, t, lid);
  if (i < count) {
    storeMixedScore(i, count, x, r1, r2, params.lambda, t);
  }
}
