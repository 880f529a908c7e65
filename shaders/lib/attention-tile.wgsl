// Key tiles and the online softmax of one head, shared by attention-forward.wgsl and
// attention-vjp-rows.wgsl (src/labs/transformer/NUMERICS.md "One head on one sequence").
//
// A workgroup streams the n key tokens of sequence b through workgroup memory WG at a time:
// loadKeyTile has invocation lid load key j = j0 + lid (clamped to n - 1; only the first
// min(WG, n - j0) entries are read), storing z_j, kz_j = K z_j and log2(e) log pi_j, so each key is
// read from global memory once per workgroup instead of once per row.
//
// Base 2: the including kernel passes qz2 = log2(e) Q z_i, so keyLogit returns the logit in base 2,
// l2_ij = <qz2_i, kz_j> + log2(e) log pi_j = log2(e) l_ij, and every weight is exp2(l2 - m2): the
// multiply by log2(e) that exp(x) = exp2(x log2 e) needs is paid once per row (and once per key
// load) instead of once per pair. Its cost in accuracy is one more rounding of qz and of log pi
// (relative eps each), i.e. eps (|<qz, kz>| + |log pi|) <= eps Lambda in l2, inside the logit
// error k d eps (1 + Lambda) of the error model (tolerances.ts). A row's log-sum-exp is kept in
// base 2 as well: LSE2 = m2 + log2(S) = log2(e) LSE.
//
// foldKeyTile folds a tile into the row's online softmax with ONE exp2 per pair (conditional
// rescale): running max m2, S = sum exp2(l2 - m2), a' = sum exp2(l2 - m2) z_j. With
// dl = l2 - m2 and e = exp2(-|dl|) (never a positive argument: logits of several hundred are fine
// in f32, where exp(l) overflows above 88.7):
//   dl <= 0 (the usual case once the max is found): the key weighs e, S += e, a' += e z_j;
//   dl > 0 (the key beats the running max): the old terms rescale by e, the key weighs 1.
// The two cases are picked with select (a multiply by exactly 1.0 in the first), so each pair
// costs one exp2 where the two-exp form (exp(m_old - m_new) and exp(l - m_new)) cost two.
// m2 starts at -3e38 (finite: the first key gives dl ~ 3e38 and e = exp2(-3e38) = 0 without
// inf - inf, and no product with log2(e) can overflow since the logits arrive in base 2).
//
// Contract: the including kernel declares `override D`, `override KQ`, `override WG` (its
// @workgroup_size), `const MAXD`, `const MAXK`, the bindings `kmat` (L x H x KQ x D) and `logPi`
// (batch x n), `params.n` and `params.rows`, and `fn zAt(e: u32) -> f32`: entry e of the
// attended state (batch x rows x D). loadKeyTile must be called from uniform control flow and
// followed by a workgroupBarrier() before the tile is read, and another before the next load.

const LOG2E = 1.4426950408889634;

var<workgroup> tileK: array<f32, WG * KQ>;
var<workgroup> tileZ: array<f32, WG * D>;
var<workgroup> tileL: array<f32, WG>;

/// Online softmax state of one row in base 2: running max m2, sum of exp2(l2 - m2), and
/// a' = sum exp2(l2 - m2) z_j.
struct OnlineSoftmax {
  m: f32,
  sum: f32,
  a: array<f32, MAXD>,
}

fn emptySoftmax() -> OnlineSoftmax {
  var s: OnlineSoftmax;
  s.m = -3.0e38;
  s.sum = 0.0;
  // Zeroed explicitly: a `var` declared inside a loop is not reliably re-zeroed on every
  // implementation (SwiftShader kept the previous iteration's value).
  for (var c = 0u; c < MAXD; c++) {
    s.a[c] = 0.0;
  }
  return s;
}

/// Invocation lid loads key j0 + lid of sequence b for the head whose K starts at kmat[mo].
fn loadKeyTile(b: u32, mo: u32, j0: u32, lid: u32) {
  let js = min(j0 + lid, params.n - 1u);
  let kb = (b * params.rows + js) * D;
  var zj: array<f32, MAXD>;
  for (var c = 0u; c < MAXD; c++) {
    zj[c] = 0.0;
  }
  for (var c = 0u; c < D; c++) {
    zj[c] = zAt(kb + c);
    tileZ[lid * D + c] = zj[c];
  }
  for (var r = 0u; r < KQ; r++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += kmat[mo + r * D + c] * zj[c];
    }
    tileK[lid * KQ + r] = s;
  }
  tileL[lid] = LOG2E * logPi[b * params.n + js];
}

/// l2_ij = log2(e) l_ij for key t of the loaded tile (qz2 = log2(e) Q z_i).
fn keyLogit(qz: array<f32, MAXK>, t: u32) -> f32 {
  var lg = tileL[t];
  for (var r = 0u; r < KQ; r++) {
    lg += qz[r] * tileK[t * KQ + r];
  }
  return lg;
}

/// Folds the first `count` keys of the loaded tile into the row's online softmax (qz2 = log2(e) Q z_i),
/// one exp2 per key.
fn foldKeyTile(s: ptr<function, OnlineSoftmax>, qz: array<f32, MAXK>, count: u32) {
  for (var t = 0u; t < count; t++) {
    let lg = keyLogit(qz, t);
    let dl = lg - (*s).m;
    let up = dl > 0.0;
    let e = exp2(-abs(dl));
    let scale = select(1.0, e, up);
    let w = select(e, 1.0, up);
    (*s).sum = (*s).sum * scale + w;
    for (var c = 0u; c < D; c++) {
      (*s).a[c] = (*s).a[c] * scale + w * tileZ[t * D + c];
    }
    (*s).m = max((*s).m, lg);
  }
}
