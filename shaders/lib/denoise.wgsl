// Single-pass tiled online log-sum-exp denoiser (Tweedie mean) of one empirical measure, shared
// by the mixed-score, generation and potential-field kernels. NUMERICS.md "Denoiser" is the
// definition; src/math/heat.ts (denoiseAt) is its float64 twin. The previous two-pass version is
// kept as the benchmark baseline (shaders/bench/lib/denoise-two-pass.wgsl).
//
// Algorithm. Every invocation owns one query point x in R^D (a particle or a pixel). The atoms
// of both measures live in one storage buffer (measure 1 first, then measure 2) with their log
// weights next to them; a workgroup streams them through workgroup memory TILE_ATOMS at a time,
// every invocation loading a strided share, so each atom is fetched from global memory once per
// workgroup instead of once per query. While loading, the log weights are turned into base-2
// log weights (times log2 e), once per atom per workgroup. Each atom is then visited ONCE:
//   l_j = log2 w_j - |x - y_j|^2 * c,   c = log2(e) / (4t)     (direct form, never expanded)
// If l_j beats the running maximum M, the running sums are rescaled by exp2(M - l_j) and M = l_j
// (this happens only at the running records of the logit sequence: ~ln n times in random atom
// order, so the branch is rare); then exp2(l_j - M) and exp2(l_j - M) y_j are added. One exp2
// per atom instead of the two-pass version's one exp per atom plus a second distance pass, and
// log(e) is folded into the one scale c, so no per-atom multiply by log2 e either.
//
// Numerics (f32). Subtracting the running maximum keeps every exp2 argument <= 0, so nothing
// overflows and the dominant atom contributes exactly 1; logits reach -1e12 at t = 1e-6 and are
// harmless. The direct form keeps |x - y|^2 accurate to a few ulps of itself (expanding to
// x.y/(2t) - |y|^2/(4t) cancels catastrophically at small t). The rescale factor multiplies the
// sum and the weighted sum alike, so its rounding cancels in the mean except for the relative
// weight of the atoms before and after it; error-model.ts counts the rescales exactly (it walks
// the atoms in the same order). log u is formed in the log domain, (M + log2 S) ln 2 -
// (D/2) log(4 pi t), so -4t log u stays accurate when u underflows. "Minus infinity" is
// -FLT_MAX: exp2(-FLT_MAX - l) is exactly 0 for any finite l, so the first atom's rescale zeroes
// the (already zero) sums.
//
// Lanes (override LANES, default 1; the generation kernels on a GPU with few particles): LANES
// consecutive invocations share one query, each folding every LANES-th atom of each tile (lane
// lid % LANES), and their states are merged in lane order in workgroup memory at the end
// (lanesMerged: M = max, sums scaled by 2^(M_l - M), as the split kernel's merge), so every lane
// ends with the same result. More invocations per query, for GPUs that a few thousand queries
// cannot fill; with LANES = 1 the merge is dead code and the loops are the plain ones.
//
// Contract: callers must call denoise() from uniform control flow with the same (first, n, t)
// in every invocation of the workgroup (it contains barriers); queries of idle invocations may be
// anything (they are clamped copies); with LANES > 1 the LANES invocations of a query pass the
// same query. The including kernel declares `override D: u32` and `override WG: u32` (its
// @workgroup_size, a multiple of LANES) and must leave bindings 0 and 1 of group 0 to this file.

const MAXD: u32 = 8u;
const TILE_ATOMS: u32 = 256u;
const NEG_BIG: f32 = -3.4028234e38;
const POS_BIG: f32 = 3.4028234e38;
const LOG2E: f32 = 1.4426950408889634;
const LN2: f32 = 0.6931471805599453;

/// (n1 + n2) * D coordinates, row-major: measure 1's atoms, then measure 2's.
@group(0) @binding(0) var<storage, read> atomPoints: array<f32>;
/// n1 + n2 natural log weights (log w computed in float64 on the CPU, rounded once).
@group(0) @binding(1) var<storage, read> atomLogW: array<f32>;

// Sized by the override D: 2 KiB for d = 2, 8 KiB for d = 8 (plus 1 KiB of log2 weights).
var<workgroup> tilePoints: array<f32, TILE_ATOMS * D>;
var<workgroup> tileLog2W: array<f32, TILE_ATOMS>;

/// Invocations per query (header: Lanes); a power of two dividing WG.
override LANES: u32 = 1u;
/// The lanes' states for the merge: WG slots with lanes, 1 (unused) without.
override LANE_SLOTS: u32 = select(1u, WG, LANES > 1u);
var<workgroup> laneMax: array<f32, LANE_SLOTS>;
var<workgroup> laneSum: array<f32, LANE_SLOTS>;
var<workgroup> laneBest: array<f32, LANE_SLOTS>;
var<workgroup> laneAcc: array<f32, LANE_SLOTS * D>;

struct Denoised {
  mean: array<f32, MAXD>,
  /// log u(t, x), normalising constant included.
  logU: f32,
  /// min_j |x - y_j|^2 (the t -> 0 limit of -4t log u).
  dist2: f32,
}

/// |x - y|^2 for tile atom a, summed in coordinate order like the reference.
fn tileDist2(x: array<f32, MAXD>, a: u32) -> f32 {
  var s = 0.0;
  for (var c = 0u; c < D; c++) {
    let diff = x[c] - tilePoints[a * D + c];
    s += diff * diff;
  }
  return s;
}

/// The online log-sum-exp of one query over the atoms visited so far (base 2, see the header).
struct LseState {
  runMax: f32,
  sum: f32,
  acc: array<f32, MAXD>,
  /// min |x - y_j|^2 over the visited atoms.
  best: f32,
}

fn lseStart(runMax: f32) -> LseState {
  var st: LseState;
  st.runMax = runMax;
  st.sum = 0.0;
  st.best = POS_BIG;
  return st;
}

/// Every invocation's strided share of loading atoms src .. src+cnt-1 into tile slots dst.. (the
/// caller puts the barriers around it).
fn loadAtoms(src: u32, dst: u32, cnt: u32, lid: u32) {
  for (var q = lid; q < cnt * D; q += WG) {
    tilePoints[dst * D + q] = atomPoints[src * D + q];
  }
  for (var q = lid; q < cnt; q += WG) {
    tileLog2W[dst + q] = atomLogW[src + q] * LOG2E;
  }
}

/// Adds logit l to the state: rescales the sums on a new running max, then adds exp2(l - max),
/// which it returns (the caller adds it times the atom's coordinates to acc).
fn lseAdd(l: f32, st: ptr<function, LseState>) -> f32 {
  if (l > (*st).runMax) {
    let rescale = exp2((*st).runMax - l);
    (*st).sum *= rescale;
    for (var c = 0u; c < D; c++) {
      (*st).acc[c] *= rescale;
    }
    (*st).runMax = l;
  }
  let e = exp2(l - (*st).runMax);
  (*st).sum += e;
  return e;
}

/// Visits this lane's atoms of a0..a1-1 of the loaded tile (a0 + lane, then every LANES-th; all
/// of them without lanes) once each. The coordinates are read from workgroup
/// memory where they are used, not copied into a private array first: SwiftShader keeps private
/// arrays in memory and the copy measured 25-35% slower there (accumulateAtomsPair copies, for
/// GPUs).
fn accumulateAtoms(x: array<f32, MAXD>, a0: u32, a1: u32, scale: f32, lid: u32, st: ptr<function, LseState>) {
  for (var a = a0 + lid % LANES; a < a1; a += LANES) {
    let d2 = tileDist2(x, a);
    (*st).best = min((*st).best, d2);
    let e = lseAdd(tileLog2W[a] - d2 * scale, st);
    for (var c = 0u; c < D; c++) {
      (*st).acc[c] += e * tilePoints[a * D + c];
    }
  }
}

/// Register blocking: two queries per invocation, each tile atom read from workgroup memory once
/// for both: on a GPU the workgroup loads per pair (D coordinates and the log weight, broadcast
/// to the subgroup) halve; the float work per pair stays the same.
/// Per query the operations and their order are accumulateAtoms's, so each query's result is the
/// one-query kernel's up to the compiler's contraction choices.
fn accumulateAtomsPair(x0: array<f32, MAXD>, x1: array<f32, MAXD>, a0: u32, a1: u32, scale: f32, st0: ptr<function, LseState>, st1: ptr<function, LseState>) {
  for (var a = a0; a < a1; a++) {
    var y: array<f32, MAXD>;
    var d0 = 0.0;
    var d1 = 0.0;
    for (var c = 0u; c < D; c++) {
      y[c] = tilePoints[a * D + c];
      let u = x0[c] - y[c];
      let v = x1[c] - y[c];
      d0 += u * u;
      d1 += v * v;
    }
    let lw = tileLog2W[a];
    (*st0).best = min((*st0).best, d0);
    (*st1).best = min((*st1).best, d1);
    let e0 = lseAdd(lw - d0 * scale, st0);
    let e1 = lseAdd(lw - d1 * scale, st1);
    for (var c = 0u; c < D; c++) {
      (*st0).acc[c] += e0 * y[c];
      (*st1).acc[c] += e1 * y[c];
    }
  }
}

/// The state of the atoms of a followed by those of b.
fn lseMerge(a: LseState, b: LseState) -> LseState {
  var m = lseStart(max(a.runMax, b.runMax));
  let ra = exp2(a.runMax - m.runMax);
  let rb = exp2(b.runMax - m.runMax);
  m.sum = a.sum * ra + b.sum * rb;
  for (var c = 0u; c < D; c++) {
    m.acc[c] = a.acc[c] * ra + b.acc[c] * rb;
  }
  m.best = min(a.best, b.best);
  return m;
}

/// With lanes, the merge of the states of this query's LANES lanes in lane order (the same in
/// every lane); without, st. Call from uniform control flow (barriers).
fn lanesMerged(st: LseState, lid: u32) -> LseState {
  if (LANES == 1u) {
    return st;
  }
  laneMax[lid] = st.runMax;
  laneSum[lid] = st.sum;
  laneBest[lid] = st.best;
  for (var c = 0u; c < D; c++) {
    laneAcc[lid * D + c] = st.acc[c];
  }
  workgroupBarrier();
  let first = lid - lid % LANES;
  var m = laneState(first);
  for (var l = first + 1u; l < first + LANES; l++) {
    m = lseMerge(m, laneState(l));
  }
  workgroupBarrier(); // everyone has read the slots before a later call writes them
  return m;
}

/// The state lane slot l left in workgroup memory (lanesMerged).
fn laneState(l: u32) -> LseState {
  var o = lseStart(laneMax[l]);
  o.sum = laneSum[l];
  o.best = laneBest[l];
  for (var c = 0u; c < D; c++) {
    o.acc[c] = laneAcc[l * D + c];
  }
  return o;
}

/// Mean, log u (log domain) and nearest squared distance from the final state.
fn lseFinish(st: LseState, t: f32) -> Denoised {
  var out: Denoised;
  let inv = 1.0 / st.sum;
  for (var c = 0u; c < D; c++) {
    out.mean[c] = st.acc[c] * inv;
  }
  out.logU = (st.runMax + log2(st.sum)) * LN2 - 0.5 * f32(D) * log(4.0 * 3.141592653589793 * t);
  out.dist2 = st.best;
  return out;
}

/// The online log-sum-exp state of x over atoms first..first+n-1 (scale = log2(e) / (4t)).
fn lseRange(x: array<f32, MAXD>, first: u32, n: u32, scale: f32, lid: u32) -> LseState {
  var st = lseStart(NEG_BIG);
  for (var base = 0u; base < n; base += TILE_ATOMS) {
    let cnt = min(TILE_ATOMS, n - base);
    workgroupBarrier(); // everyone is done with the previous tile
    loadAtoms(first + base, 0u, cnt, lid);
    workgroupBarrier();
    accumulateAtoms(x, 0u, cnt, scale, lid, &st);
  }
  return lanesMerged(st, lid);
}

/// lseRange for two queries per invocation (accumulateAtomsPair); same contract.
fn lseRangePair(x0: array<f32, MAXD>, x1: array<f32, MAXD>, first: u32, n: u32, scale: f32, lid: u32, st0: ptr<function, LseState>, st1: ptr<function, LseState>) {
  *st0 = lseStart(NEG_BIG);
  *st1 = lseStart(NEG_BIG);
  for (var base = 0u; base < n; base += TILE_ATOMS) {
    let cnt = min(TILE_ATOMS, n - base);
    workgroupBarrier();
    loadAtoms(first + base, 0u, cnt, lid);
    workgroupBarrier();
    accumulateAtomsPair(x0, x1, 0u, cnt, scale, st0, st1);
  }
}

/// Tweedie mean, log u and squared distance of the measure with atoms first..first+n-1.
fn denoise(x: array<f32, MAXD>, first: u32, n: u32, t: f32, lid: u32) -> Denoised {
  return lseFinish(lseRange(x, first, n, LOG2E / (4.0 * t), lid), t);
}
