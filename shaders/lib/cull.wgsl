// Small-t culling of lib/denoise.wgsl's online log-sum-exp (issue 13, part 2), shared by
// score-mixing/mixed-score-culled.wgsl (particles) and score-mixing/field.wgsl (pixels): the same
// Tweedie mean and log u, computed while skipping atoms whose whole contribution is below eps of
// the kept mass. At t = 1e-4 almost every (query, atom) pair underflows; the dense loop pays for
// all of them.
//
// Data (built once per measure on the host, src/labs/score-mixing/cull-tiles.ts): each measure's
// atoms in k-d tree order, cut into CULL_TILE consecutive atoms per tile and GROUP_TILES
// consecutive tiles per group, each a tree node (compact boxes that do not overlap); one
// descriptor per tile and per group (BOX_STRIDE = 2D + 1 floats: lo[D], hi[D] of the f32 atoms,
// the largest natural log weight), stored in the atom buffer after the atoms' coordinates, so
// culling needs no binding of its own (the generation kernels already bind 8 storage buffers,
// WebGPU's default per stage). Queries should be spatially grouped (k-d ordered queries, 8 x 8
// pixel blocks) so a workgroup's queries keep the same tiles.
//
// Per measure and query x, with base-2 logits l_j = log2 w_j - |x - y_j|^2 c, c = log2(e)/(4t):
//  bound  A tile's (group's) logits are all <= B = log2 w_max - dbox^2 c, dbox the distance from x
//         to its box (0 inside); dbox^2 is computed in f32 and shrunk by 1e-5 relative, which
//         covers its few-ulp rounding, so B is a true upper bound.
//  seed   The running max starts at the exact largest logit of one tile near x (the best-bounded
//         tile of the best-bounded group, its CULL_TILE atoms read from global memory): a lower
//         bound of max_j l_j close to it, so the test below is sharp from the first tile on.
//  test   The query keeps a tile unless B < runMax - cut, cut = log2(1/eps) (groups first: a
//         group failing the test skips its tiles' tests). With CULL_DIST it also keeps any tile
//         whose dbox^2 <= the smallest |x - y|^2 seen so far, so the nearest atom (the t -> 0
//         limit, Phi_lam) is never skipped.
//  votes  For VOTE_GROUPS groups at a time, every query ORs its GROUP_TILES-bit keep mask per group
//         into a workgroup word; invocation 0 compacts the union into a list of kept tiles whose
//         length, read with workgroupUniformLoad, is workgroup-uniform: tiles no query keeps are
//         neither loaded nor looped over. Kept tiles are gathered LOAD_TILES at a time into the
//         denoiser's tile memory (one barrier pair per TILE_ATOMS atoms, as the dense loop), and
//         each query folds only the tiles it kept itself (lanes of a SIMD group whose queries are
//         close agree, so the branch rarely diverges).
// Error bound: a tile skipped by query x holds cnt atoms each with weight-times-kernel below
// 2^(runMax - cut) <= eps 2^R, R the final running max; R is attained by an atom x folded (or is
// the seed, whose tile x keeps: its bound is >= the seed >= runMax at every test), so 2^R <= S_kept
// and the skipped mass is at most n_skipped eps S_kept. The mean is a convex combination of the
// kept and skipped means, both in the atoms' convex hull: |m - m_kept| <= n_skipped eps diam(atoms),
// and |log u - log u_kept| <= n_skipped eps (natural log: ln(1 + n eps) <= n eps). When nothing
// can be skipped (large t) every tile is kept: the dense result, in k-d order, with the votes'
// cost on top (GROUP_TILES + 1 box tests per CULL_TILE * GROUP_TILES atoms).
//
// Lanes (lib/denoise.wgsl, LANES > 1): every lane of a query votes and re-tests with its own
// running max and folds its share of each kept tile; the lanes' states are merged at the end. A
// lane's running max never exceeds the merged one, so each of its skips is below eps 2^R for the
// merged R, attained by an atom some lane folded (the seed's tile is kept by every lane): the
// bound above holds with n_skipped summed over the lanes.
//
// Work counts (for tests and the bench): invocation 0 adds the kept tiles and their atoms per
// load to the workgroup's `cullLoads`; denoiseCulled adds the atoms each query folds to `pairs`.
// Kernels that report them copy them to a buffer of their own.
//
// Contract: include after lib/denoise.wgsl's bindings (this file includes it); call
// denoiseCulled from uniform control flow with the same range in every invocation; the kernel
// declares `override CULL_DIST: bool`.

#include "lib/denoise.wgsl"

const CULL_TILE: u32 = 64u;
const GROUP_TILES: u32 = 16u;
const LOAD_TILES: u32 = TILE_ATOMS / CULL_TILE;
/// 1 - 1e-5: the conservative shrink of the f32 box distance (see the header).
const DBOX_SHRINK: f32 = 0.99999;

override BOX_STRIDE: u32 = 2u * D + 1u;

/// Groups voted on together: one barrier per VOTE_GROUPS * GROUP_TILES * CULL_TILE atoms (32,768)
/// for the votes, then one barrier pair per LOAD_TILES kept tiles.
const VOTE_GROUPS: u32 = 32u;

/// Per group of the chunk, the OR of the queries' keep masks (zero-initialised like all workgroup
/// memory, cleared again by invocation 0 once read); the kept tiles' indices in order and their
/// count, compacted by invocation 0.
var<workgroup> keepVotes: array<atomic<u32>, VOTE_GROUPS>;
var<workgroup> keptList: array<u32, VOTE_GROUPS * GROUP_TILES>;
var<workgroup> keptCount: u32;
/// (kept tiles, their atoms) loaded by this workgroup so far; written by invocation 0 only.
var<workgroup> cullLoads: vec2u;

/// One measure's atoms first..first+n-1, its tile descriptors from tile0, its groups' from group0
/// (descriptor k starts at atomPoints[boxBase + k * BOX_STRIDE]).
struct CullRange {
  first: u32,
  n: u32,
  tile0: u32,
  group0: u32,
  boxBase: u32,
}

/// The ranges of two measures packed one after the other (atoms of measure 1 first), with the
/// boxes after both measures' coordinates, laid out as the host's cullBoxes: measure 1's tiles,
/// measure 2's, measure 1's groups, measure 2's.
fn cullRanges(n1: u32, n2: u32) -> array<CullRange, 2> {
  let tiles1 = (n1 + CULL_TILE - 1u) / CULL_TILE;
  let tiles2 = (n2 + CULL_TILE - 1u) / CULL_TILE;
  let groups1 = (tiles1 + GROUP_TILES - 1u) / GROUP_TILES;
  let base = (n1 + n2) * D;
  return array<CullRange, 2>(
    CullRange(0u, n1, 0u, tiles1 + tiles2, base),
    CullRange(n1, n2, tiles1, tiles1 + tiles2 + groups1, base),
  );
}

/// Squared distance from x to box k (0 inside), shrunk to stay a lower bound (header).
fn boxDist2(x: array<f32, MAXD>, base: u32, k: u32) -> f32 {
  let at = base + k * BOX_STRIDE;
  var s = 0.0;
  for (var c = 0u; c < D; c++) {
    let gap = max(max(atomPoints[at + c] - x[c], x[c] - atomPoints[at + D + c]), 0.0);
    s += gap * gap;
  }
  return s * DBOX_SHRINK;
}

/// Does query x (state st) keep box k? (the test in the header)
fn boxKept(x: array<f32, MAXD>, base: u32, k: u32, st: LseState, scale: f32, cut: f32) -> bool {
  let d2 = boxDist2(x, base, k);
  let bound = atomPoints[base + k * BOX_STRIDE + 2u * D] * LOG2E - d2 * scale;
  return bound >= st.runMax - cut || (CULL_DIST && d2 <= st.best);
}

fn tilesOf(r: CullRange) -> u32 {
  return (r.n + CULL_TILE - 1u) / CULL_TILE;
}

/// How promising box k is for the seed, compared lexicographically: its logit bound, then (among
/// boxes that contain x, all bounded by their max log weight) closeness to the box's centre, so a
/// large group box that merely contains x does not win over the one x sits in the middle of.
fn seedKey(x: array<f32, MAXD>, base: u32, k: u32, scale: f32) -> vec2f {
  let at = base + k * BOX_STRIDE;
  var centre = 0.0;
  for (var c = 0u; c < D; c++) {
    let off = x[c] - 0.5 * (atomPoints[at + c] + atomPoints[at + D + c]);
    centre += off * off;
  }
  return vec2f(atomPoints[at + 2u * D] * LOG2E - boxDist2(x, base, k) * scale, -centre);
}

fn seedBetter(a: vec2f, b: vec2f) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}

/// The seed state: running max = the largest logit of the most promising tile of the most
/// promising group (seedKey), best = its smallest squared distance (atoms read from global memory
/// by this invocation alone: no barriers, the tile differs between invocations).
fn cullSeed(x: array<f32, MAXD>, r: CullRange, scale: f32) -> LseState {
  let nTiles = tilesOf(r);
  let nGroups = (nTiles + GROUP_TILES - 1u) / GROUP_TILES;
  var bestGroup = 0u;
  var bestKey = vec2f(NEG_BIG, NEG_BIG);
  for (var g = 0u; g < nGroups; g++) {
    let key = seedKey(x, r.boxBase, r.group0 + g, scale);
    if (seedBetter(key, bestKey)) {
      bestKey = key;
      bestGroup = g;
    }
  }
  var bestTile = bestGroup * GROUP_TILES;
  bestKey = vec2f(NEG_BIG, NEG_BIG);
  for (var k = bestTile; k < min(nTiles, (bestGroup + 1u) * GROUP_TILES); k++) {
    let key = seedKey(x, r.boxBase, r.tile0 + k, scale);
    if (seedBetter(key, bestKey)) {
      bestKey = key;
      bestTile = k;
    }
  }
  var st = lseStart(NEG_BIG);
  let a0 = r.first + bestTile * CULL_TILE;
  for (var a = a0; a < a0 + min(CULL_TILE, r.n - bestTile * CULL_TILE); a++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      let diff = x[c] - atomPoints[a * D + c];
      s += diff * diff;
    }
    st.best = min(st.best, s);
    st.runMax = max(st.runMax, atomLogW[a] * LOG2E - s * scale);
  }
  return st;
}

/// Atoms in tile k of range r.
fn tileCount(r: CullRange, k: u32) -> u32 {
  return min(CULL_TILE, r.n - k * CULL_TILE);
}

/// Tweedie mean, log u and nearest squared distance of the measure r, skipping tiles below eps
/// (header); adds the atoms this query folded to *pairs.
fn denoiseCulled(x: array<f32, MAXD>, r: CullRange, t: f32, cut: f32, lid: u32, pairs: ptr<function, u32>) -> Denoised {
  let scale = LOG2E / (4.0 * t);
  let nTiles = tilesOf(r);
  let nGroups = (nTiles + GROUP_TILES - 1u) / GROUP_TILES;
  var st = cullSeed(x, r, scale);
  for (var g0 = 0u; g0 < nGroups; g0 += VOTE_GROUPS) {
    let gEnd = min(nGroups, g0 + VOTE_GROUPS);
    // This query's keep masks for the chunk's groups, OR-ed into the workgroup's votes.
    var mine: array<u32, VOTE_GROUPS>;
    for (var g = g0; g < gEnd; g++) {
      var m = 0u;
      if (boxKept(x, r.boxBase, r.group0 + g, st, scale, cut)) {
        for (var k = g * GROUP_TILES; k < min(nTiles, (g + 1u) * GROUP_TILES); k++) {
          if (boxKept(x, r.boxBase, r.tile0 + k, st, scale, cut)) {
            m |= 1u << (k - g * GROUP_TILES);
          }
        }
      }
      mine[g - g0] = m;
      if (m != 0u) {
        atomicOr(&keepVotes[g - g0], m);
      }
    }
    workgroupBarrier(); // votes are in; everyone is done with the previous chunk's tiles
    if (lid == 0u) {
      var c = 0u;
      for (var g = g0; g < gEnd; g++) {
        for (var b = atomicLoad(&keepVotes[g - g0]); b != 0u; b &= b - 1u) {
          keptList[c] = g * GROUP_TILES + countTrailingZeros(b);
          c++;
        }
        atomicStore(&keepVotes[g - g0], 0u); // cleared for the next chunk (after the barrier below)
      }
      keptCount = c;
    }
    let nKept = workgroupUniformLoad(&keptCount);
    for (var q0 = 0u; q0 < nKept; q0 += LOAD_TILES) {
      let slots = min(LOAD_TILES, nKept - q0);
      if (q0 > 0u) {
        workgroupBarrier(); // everyone is done with the previous load
      }
      var loaded = 0u;
      for (var s = 0u; s < slots; s++) {
        let k = keptList[q0 + s];
        let cnt = tileCount(r, k);
        loadAtoms(r.first + k * CULL_TILE, s * CULL_TILE, cnt, lid);
        loaded += cnt;
      }
      workgroupBarrier();
      if (lid == 0u) {
        cullLoads += vec2u(slots, loaded);
      }
      for (var s = 0u; s < slots; s++) {
        let k = keptList[q0 + s];
        // Kept by this query at the vote, and still now that runMax may have grown.
        if (((mine[k / GROUP_TILES - g0] >> (k % GROUP_TILES)) & 1u) != 0u && boxKept(x, r.boxBase, r.tile0 + k, st, scale, cut)) {
          let cnt = tileCount(r, k);
          accumulateAtoms(x, s * CULL_TILE, s * CULL_TILE + cnt, scale, lid, &st);
          *pairs += (cnt + LANES - 1u - lid % LANES) / LANES; // this lane's share
        }
      }
    }
  }
  return lseFinish(lanesMerged(st, lid), t);
}
