// BENCHMARK BASELINE ONLY (bench/run.ts): shaders/score-mixing/mixed-score.wgsl on the two-pass
// denoiser it used until issue 13 (shaders/bench/lib/denoise-two-pass.wgsl), so the bench can
// print the new single-pass kernel's rate against the old one measured in the same run. Same
// bindings, params and output layout as score-mixing/mixed-score.wgsl (one invocation per query;
// idle invocations of the last workgroup run on a clamped copy of the last query so every
// barrier is reached in uniform control flow).
//
// Output layout: [0, cD) m1 | [cD, 2cD) m2 | [2cD, 3cD) m_lam | [3cD, 4cD) score |
//   [4cD, 4cD+c) log u1 | [4cD+c, 4cD+2c) log u2.

override D: u32 = 2u;
override WG: u32 = 64u;

#include "bench/lib/denoise-two-pass.wgsl"

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
    let lambda = params.lambda;
    let stride = count * D;
    let inv2t = 1.0 / (2.0 * t);
    for (var c = 0u; c < D; c++) {
      let m = lambda * r1.mean[c] + (1.0 - lambda) * r2.mean[c];
      let at = i * D + c;
      result[at] = r1.mean[c];
      result[stride + at] = r2.mean[c];
      result[2u * stride + at] = m;
      result[3u * stride + at] = -(x[c] - m) * inv2t;
    }
    result[4u * stride + i] = r1.logU;
    result[4u * stride + count + i] = r2.logU;
  }
}
