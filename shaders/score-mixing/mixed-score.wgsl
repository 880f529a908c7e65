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
// Register blocking: with the override QPI = 2 every invocation owns two queries (the workgroup's
// block of 2 WG queries, invocation lid taking lid and lid + WG, so loads and stores stay
// coalesced) and reads each tile atom from workgroup memory once for both
// (lib/denoise.wgsl accumulateAtomsPair). Per query the arithmetic is the one-query path's. The
// bench measures both (`--only mixed-score`); the host uses QPI = 1 unless asked: on SwiftShader
// the pair path measured 1.04x and 1.13x (two runs), and on a GPU it halves the workgroups (the
// occupancy) for the halved loads, so which wins there is for the bench on that GPU to say.
//
// Output layout: lib/mixed-score-store.wgsl (sections of one buffer, so one readback returns
// everything). When the queries fill too few workgroups for the GPU, the host runs
// mixed-score-split.wgsl instead (the atoms split over workgroups, then a merge pass).

override D: u32 = 2u;
override WG: u32 = 64u;
/// Queries per invocation: 1 or 2 (register blocking, see the header).
override QPI: u32 = 1u;

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
  let block = wg.y * groups.x + wg.x;
  let count = params.count;
  let t = params.t;
  if (QPI == 2u) {
    let i0 = block * 2u * WG + lid;
    let i1 = i0 + WG;
    let x0 = loadQuery(i0, count);
    let x1 = loadQuery(i1, count);
    let scale = LOG2E / (4.0 * t);
    var a0: LseState;
    var a1: LseState;
    var b0: LseState;
    var b1: LseState;
    lseRangePair(x0, x1, 0u, params.n1, scale, lid, &a0, &a1);
    lseRangePair(x0, x1, params.n1, params.n2, scale, lid, &b0, &b1);
    if (i0 < count) {
      storeMixedScore(i0, count, x0, lseFinish(a0, t), lseFinish(b0, t), params.lambda, t);
    }
    if (i1 < count) {
      storeMixedScore(i1, count, x1, lseFinish(a1, t), lseFinish(b1, t), params.lambda, t);
    }
    return;
  }
  let i = block * WG + lid;
  let x = loadQuery(i, count);
  let r1 = denoise(x, 0u, params.n1, t, lid);
  let r2 = denoise(x, params.n1, params.n2, t, lid);
  if (i < count) {
    storeMixedScore(i, count, x, r1, r2, params.lambda, t);
  }
}
