// Mixed score with small-t culling (issue 13, part 2): the outputs of mixed-score.wgsl (same
// layout, same bindings 0..4) computed while skipping atom tiles whose whole contribution is below
// eps of the kept mass. Host: src/labs/score-mixing/culled-score.ts, which sorts each measure's
// atoms in Morton order (so a tile of TILE_ATOMS consecutive atoms is spatially compact), uploads
// one descriptor per tile, sorts the queries in Morton order too (a workgroup's queries are then
// near each other) and unsorts the outputs.
//
// Tile descriptor (binding 5, TILE_STRIDE = 2D + 1 floats): lo[D], hi[D] (the bounding box of the
// tile's f32 atoms), log w_max (the tile's largest natural log weight).
//
// Per measure and query x (base-2 logits l_j = log2 w_j - |x - y_j|^2 c, c = log2(e)/(4t), as
// lib/denoise.wgsl):
//  1. Seed. Each invocation finds the tile with the largest bound B (below) and starts runMax at
//     the exact largest logit of that tile's atoms (read from global memory, TILE_ATOMS atoms per
//     query: cheap next to the dense N), a lower bound of max_j l_j that is near it, so the skip
//     test below is sharp from the first tile on, whatever the tile order.
//  2. For each tile, in order: the tile's logits are all <= B = log2 w_max - dbox^2 c, dbox the
//     distance from x to the box (0 inside). The query votes to keep the tile unless
//     B < runMax - cut, cut = log2(1/eps). The vote is OR-ed over the workgroup (an atomicMax of
//     the tile's sequence number, no reset needed) and read back with workgroupUniformLoad, so the
//     skip is workgroup-uniform: a skipped tile is neither loaded nor looped over by anyone.
//     Kept tiles are processed exactly like lib/denoise.wgsl (same online log-sum-exp).
// Error bound: a tile skipped for query x holds cnt atoms each with weight-times-kernel below
// 2^(runMax - cut) <= eps 2^runMax_final <= eps S_kept (runMax only grows, and its final value is
// attained by a visited atom, or is the seed, whose tile has the largest bound and so is kept
// unless a visited atom beats the seed by cut), so the skipped
// mass is at most n_skipped eps S_kept. The mean is a convex combination of the kept and skipped
// means, both in the atoms' convex hull, so |m - m_kept| <= n_skipped eps diam(atoms), and
// |log u - log u_kept| <= n_skipped eps. dbox^2 is computed in f32 and shrunk by 1e-5 relative
// before use, which covers its few-ulp rounding, so the test is conservative. When nothing can be
// skipped (large t) every tile is kept: the dense result in Morton order.
//
// Binding 6 counts the work done (for tests and the bench): [0] += 1 and [1] += the tile's atom
// count for every (workgroup, kept tile).

override D: u32 = 2u;
override WG: u32 = 64u;

#include "lib/denoise.wgsl"

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
@group(0) @binding(5) var<storage, read> tiles: array<f32>;
@group(0) @binding(6) var<storage, read_write> visited: array<atomic<u32>, 2>;

override TILE_STRIDE: u32 = 2u * D + 1u;
/// 1 - 1e-5: the conservative shrink of the f32 box distance (see the header).
const DBOX_SHRINK: f32 = 0.99999;

var<workgroup> keepVote: atomic<u32>;
var<workgroup> keepFlag: u32;

/// Squared distance from x to tile k's box (0 inside), coordinates summed in order.
fn boxDist2(x: array<f32, MAXD>, k: u32) -> f32 {
  let at = k * TILE_STRIDE;
  var s = 0.0;
  for (var c = 0u; c < D; c++) {
    let gap = max(max(tiles[at + c] - x[c], x[c] - tiles[at + D + c]), 0.0);
    s += gap * gap;
  }
  return s;
}

/// Upper bound of the base-2 logits of tile k at x: log2 w_max - dbox^2 c, dbox^2 shrunk (header).
fn tileBound(x: array<f32, MAXD>, k: u32, scale: f32) -> f32 {
  return tiles[k * TILE_STRIDE + 2u * D] * LOG2E - boxDist2(x, k) * DBOX_SHRINK * scale;
}

/// Largest logit of tile k's atoms at x, read straight from global memory by this invocation
/// alone (no barriers: the tile differs between invocations).
fn tileMaxLogit(x: array<f32, MAXD>, first: u32, n: u32, k: u32, scale: f32) -> f32 {
  let base = first + k * TILE_ATOMS;
  let cnt = min(TILE_ATOMS, n - k * TILE_ATOMS);
  var best = NEG_BIG;
  for (var a = 0u; a < cnt; a++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      let diff = x[c] - atomPoints[(base + a) * D + c];
      s += diff * diff;
    }
    best = max(best, atomLogW[base + a] * LOG2E - s * scale);
  }
  return best;
}

/// Tweedie mean and log u of the measure with atoms first..first+n-1 and tiles tile0.., skipping
/// tiles below eps (header). `seq` numbers the tiles across calls so the vote never needs a reset.
fn denoiseCulled(x: array<f32, MAXD>, first: u32, n: u32, tile0: u32, t: f32, cut: f32, lid: u32, seq: ptr<function, u32>) -> Denoised {
  let scale = LOG2E / (4.0 * t);
  let nTiles = (n + TILE_ATOMS - 1u) / TILE_ATOMS;
  // Seed: the exact largest logit of the tile with the largest bound (the nearest, roughly).
  var bestTile = 0u;
  var bestBound = NEG_BIG;
  for (var k = 0u; k < nTiles; k++) {
    let b = tileBound(x, tile0 + k, scale);
    if (b > bestBound) {
      bestBound = b;
      bestTile = k;
    }
  }
  var st = lseStart(tileMaxLogit(x, first, n, bestTile, scale));
  for (var k = 0u; k < nTiles; k++) {
    *seq += 1u;
    let tile = tile0 + k;
    let bound = tileBound(x, tile, scale);
    workgroupBarrier(); // everyone is done with the previous tile (and the previous flag)
    if (bound >= st.runMax - cut) {
      atomicMax(&keepVote, *seq);
    }
    workgroupBarrier();
    if (lid == 0u) {
      keepFlag = atomicLoad(&keepVote);
    }
    if (workgroupUniformLoad(&keepFlag) != *seq) {
      continue;
    }
    let base = k * TILE_ATOMS;
    let cnt = min(TILE_ATOMS, n - base);
    if (lid == 0u) {
      atomicAdd(&visited[0], 1u);
      atomicAdd(&visited[1], cnt);
    }
    loadTile(first, base, cnt, lid);
    workgroupBarrier();
    accumulateTile(x, cnt, scale, &st);
  }
  var out = lseFinish(st, t);
  out.dist2 = 0.0; // not tracked here (skipped tiles may hold the nearest atom); no output reads it
  return out;
}

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
  let tiles1 = (params.n1 + TILE_ATOMS - 1u) / TILE_ATOMS;
  var seq = 0u;
  let r1 = denoiseCulled(x, 0u, params.n1, 0u, t, params.cut, lid, &seq);
  let r2 = denoiseCulled(x, params.n1, params.n2, tiles1, t, params.cut, lid, &seq);
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
