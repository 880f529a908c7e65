// BENCHMARK BASELINE ONLY: shaders/lib/attention-tile.wgsl before issue 13 item 3 (two exp per
// pair), included by shaders/bench/transformer-attention-*.wgsl. Verbatim.
//
// Key tiles and the online softmax of one head, shared by attention-forward.wgsl and
// attention-vjp-rows.wgsl (src/labs/transformer/NUMERICS.md "One head on one sequence").
//
// A workgroup streams the n key tokens of sequence b through workgroup memory WG at a time:
// loadKeyTile has invocation lid load key j = j0 + lid (clamped to n - 1; only the first
// min(WG, n - j0) entries are read), storing z_j, kz_j = K z_j and log pi_j, so each key is read
// from global memory once per workgroup instead of once per row. keyLogit recomputes
// l_ij = <qz_i, kz_j> + log pi_j from the tile. foldKeyTile folds a tile into the row's online
// softmax in log space: running max M, S = sum exp(l - M), a' = sum exp(l - M) z_j; when a
// logit exceeds M both S and a' are rescaled by exp(M_old - M_new), so exp never sees a positive
// argument (logits of several hundred are fine in f32; exp(l) itself overflows above 88.7).
// M starts at -3e38 (finite: exp(M - l) = 0 for the first key without inf - inf).
//
// Contract: the including kernel declares `override D`, `override KQ`, `override WG` (its
// @workgroup_size), `const MAXD`, `const MAXK`, the bindings `kmat` (L x H x KQ x D) and `logPi`
// (batch x n), `params.n` and `params.rows`, and `fn zAt(e: u32) -> f32`: entry e of the
// attended state (batch x rows x D). loadKeyTile must be called from uniform control flow and
// followed by a workgroupBarrier() before the tile is read, and another before the next load.

var<workgroup> tileK: array<f32, WG * KQ>;
var<workgroup> tileZ: array<f32, WG * D>;
var<workgroup> tileL: array<f32, WG>;

/// Online softmax state of one row: running max, sum of exp(l - m), and a' = sum exp(l - m) z_j.
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
  tileL[lid] = logPi[b * params.n + js];
}

/// l_ij for key t of the loaded tile.
fn keyLogit(qz: array<f32, MAXK>, t: u32) -> f32 {
  var lg = tileL[t];
  for (var r = 0u; r < KQ; r++) {
    lg += qz[r] * tileK[t * KQ + r];
  }
  return lg;
}

/// Folds the first `count` keys of the loaded tile into the row's online softmax.
fn foldKeyTile(s: ptr<function, OnlineSoftmax>, qz: array<f32, MAXK>, count: u32) {
  for (var t = 0u; t < count; t++) {
    let lg = keyLogit(qz, t);
    let mNew = max((*s).m, lg);
    let scale = exp((*s).m - mNew);
    let w = exp(lg - mNew);
    (*s).sum = (*s).sum * scale + w;
    for (var c = 0u; c < D; c++) {
      (*s).a[c] = (*s).a[c] * scale + w * tileZ[t * D + c];
    }
    (*s).m = mNew;
  }
}
