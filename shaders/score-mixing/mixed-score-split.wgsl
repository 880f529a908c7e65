// Mixed score with the atom range split over workgroups (issue 13, item 1): the outputs of
// mixed-score.wgsl when the queries alone would fill too few workgroups to keep a GPU busy (M =
// 4,096 queries make 64 workgroups of 64; an H100 has 132 SMs, each wanting several). Two passes:
//
//  partial  One workgroup per (query block, measure k, chunk c): the online log-sum-exp of
//           lib/denoise.wgsl over atoms [c * chunk, (c + 1) * chunk) of measure k (chunk a
//           multiple of TILE_ATOMS; a chunk past the end is empty), its state (running max M_c,
//           sum S_c, weighted sum A_c; base 2 as the denoiser) stored per query in `partials`.
//           2 * SPLIT * (query blocks) workgroups.
//  merge    One invocation per query: per measure, the SPLIT states folded in chunk order,
//           M = max(M_a, M_b), S = S_a 2^(M_a - M) + S_b 2^(M_b - M) (A likewise): every factor is
//           <= 1, so nothing overflows, and an empty chunk (M = -FLT_MAX, S = 0) contributes 0.
//           Then lseFinish and lib/mixed-score-store.wgsl, as mixed-score.wgsl.
// Numerics: each chunk's sum is the dense kernel's sum over fewer atoms; a merge rounds like one
// rescale of the dense loop (one exp2 and one multiply per sum), so the f32 error model
// (src/labs/score-mixing/error-model.ts) replays the chunks and merges in this order. The result
// differs from mixed-score.wgsl's in the last bits only through that order.
//
// Host: evaluateMixedScore (src/labs/score-mixing/score-kernel.ts) picks SPLIT from the query
// count and the atom count, or takes it from the caller.

override D: u32 = 2u;
override WG: u32 = 64u;
override SPLIT: u32 = 2u;
/// Floats per partial state: M, S, A[D].
override PARTIAL: u32 = D + 2u;

#include "lib/denoise.wgsl"

struct SplitScoreParams {
  count: u32,
  n1: u32,
  n2: u32,
  lambda: f32,
  t: f32,
  chunk: u32,
  queryBlocks: u32,
}

@group(0) @binding(2) var<uniform> params: SplitScoreParams;
@group(0) @binding(3) var<storage, read> queries: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;
/// 2 * SPLIT * count states of PARTIAL floats, state (k * SPLIT + c) * count + i.
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

#include "lib/mixed-score-store.wgsl"

@compute @workgroup_size(WG)
fn partial(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let w = wg.y * groups.x + wg.x;
  let part = w / params.queryBlocks;
  if (part >= 2u * SPLIT) {
    return; // padding workgroups of a 2-D grid (the whole workgroup: uniform)
  }
  let i = (w % params.queryBlocks) * WG + lid;
  let first = select(params.n1, 0u, part < SPLIT);
  let n = select(params.n2, params.n1, part < SPLIT);
  let lo = min(n, (part % SPLIT) * params.chunk);
  let st = lseRange(loadQuery(i, params.count), first + lo, min(n - lo, params.chunk), LOG2E / (4.0 * params.t), lid);
  if (i < params.count) {
    let at = (part * params.count + i) * PARTIAL;
    partials[at] = st.runMax;
    partials[at + 1u] = st.sum;
    for (var c = 0u; c < D; c++) {
      partials[at + 2u + c] = st.acc[c];
    }
  }
}

fn loadPartial(part: u32, i: u32) -> LseState {
  let at = (part * params.count + i) * PARTIAL;
  var st = lseStart(partials[at]);
  st.sum = partials[at + 1u];
  for (var c = 0u; c < D; c++) {
    st.acc[c] = partials[at + 2u + c];
  }
  return st;
}

fn mergedMeasure(k: u32, i: u32) -> Denoised {
  var st = loadPartial(k * SPLIT, i);
  for (var c = 1u; c < SPLIT; c++) {
    st = lseMerge(st, loadPartial(k * SPLIT + c, i));
  }
  return lseFinish(st, params.t);
}

@compute @workgroup_size(WG)
fn merge(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wg.y * groups.x + wg.x) * WG + lid;
  if (i >= params.count) {
    return; // no barriers in this pass
  }
  storeMixedScore(i, params.count, loadQuery(i, params.count), mergedMeasure(0u, i), mergedMeasure(1u, i), params.lambda, params.t);
}
