// BENCHMARK BASELINE ONLY (bench/transformer-baseline.ts): shaders/transformer/attention-forward.wgsl as it was
// before issue 13 item 3 (heads looped inside the workgroup, online softmax with two exp per pair),
// kept verbatim except for its #include paths so bench/transformer.ts can print the new kernels'
// rates against it measured in the same run. Not used by the lab.
//
// Attention flow, one depth stage of one layer l for every sequence (src/labs/transformer/NUMERICS.md;
// the float64 twin is layerVelocity / forward in src/labs/transformer/reference.ts).
//
// One workgroup per (sequence b, tile of WG query rows), one invocation per row i (query token
// included when rows = n + 1). For each head h = 0..H-1 of layer l the invocation forms
// qz_i = Q z_i, then the sequence's n key tokens stream through workgroup memory in tiles of WG
// and every row folds each tile into its online softmax in log space (lib/attention-tile.wgsl:
// loadKeyTile, foldKeyTile; exp never sees a positive argument, so logits of several hundred are
// fine in f32). a_i = a'/S, A_i = V a_i; the velocity is the mean over heads.
//
// STAGE (dt = 1/L, Z the state attended to, X = X^l):
//   0 Euler:           X^{l+1} = X + dt v(X)
//   1 Heun predictor:  scratch[0, S) = Xt = X + dt v(X);  scratch[S, 2S) = v(X)
//   2 Heun corrector:  Z = Xt (read from scratch);  X^{l+1} = X + dt/2 (v(X) + v(Xt))
// with S = batch * rows * D. SPHERE divides each written X^{l+1} row by its norm |Y_i| and stores
// |Y_i| in norms[layer][b][i] (L x batch x rows): the backward pass projects the cotangent with it
// (NUMERICS.md "Backward", sphere), so it never recomputes the step to know |Y|. All per-layer
// states live in one buffer `states` (X^l at element params.inOff, X^{l+1} at params.outOff), so
// a whole forward pass is a chain of dispatches in one encoder, each with its own uniform slot.
//
// Barriers: the tile loop bound (n) and the head loop bound come from the uniform buffer and the
// sequence index from workgroup_id, so they are workgroup-uniform; rows past the end (and
// workgroups past batch * tiles in a 2-D grid) compute on a clamped copy and never store.

override D: u32 = 2u;
/// Rows of Q and K (the attention dimension k).
override KQ: u32 = 2u;
override WG: u32 = 64u;
override STAGE: u32 = 0u;
override SPHERE: bool = false;

const MAXD = 8u;
const MAXK = 16u;

struct TfParams {
  batch: u32,
  n: u32,
  rows: u32,
  heads: u32,
  layer: u32,
  inOff: u32,
  outOff: u32,
  dt: f32,
}

@group(0) @binding(0) var<uniform> params: TfParams;
/// L x H x KQ x D.
@group(0) @binding(1) var<storage, read> qmat: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(2) var<storage, read> kmat: array<f32>;
/// L x H x D x D.
@group(0) @binding(3) var<storage, read> vmat: array<f32>;
/// batch x n.
@group(0) @binding(4) var<storage, read> logPi: array<f32>;
/// (L + 1) x batch x rows x D.
@group(0) @binding(5) var<storage, read_write> states: array<f32>;
/// Heun: Xt | v(X), each batch x rows x D.
@group(0) @binding(6) var<storage, read_write> scratch: array<f32>;
/// SPHERE: |Y| of every written row, L x batch x rows (bound, unused, without SPHERE).
@group(0) @binding(7) var<storage, read_write> norms: array<f32>;

#include "bench/lib/transformer-attention-tile.wgsl"

/// Entry e of the attended state Z (X^l, or Xt in the corrector).
fn zAt(e: u32) -> f32 {
  if (STAGE == 2u) {
    return scratch[e];
  }
  return states[params.inOff + e];
}

fn storeRow(e0: u32, y: array<f32, MAXD>) {
  var r = 1.0;
  if (SPHERE) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += y[c] * y[c];
    }
    r = sqrt(s);
    norms[params.layer * params.batch * params.rows + e0 / D] = r;
  }
  for (var c = 0u; c < D; c++) {
    states[params.outOff + e0 + c] = y[c] / r;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let n = params.n;
  let tiles = (rows + WG - 1u) / WG;
  let g = wg.y * groups.x + wg.x;
  let b = min(g / tiles, params.batch - 1u);
  let i = (g % tiles) * WG + lid;
  let valid = g < params.batch * tiles && i < rows;
  let e0 = (b * rows + min(i, rows - 1u)) * D;

  var z: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    z[c] = zAt(e0 + c);
  }
  var v: array<f32, MAXD>;
  for (var h = 0u; h < params.heads; h++) {
    let p = params.layer * params.heads + h;
    let mo = p * KQ * D;
    var qz: array<f32, MAXK>;
    for (var r = 0u; r < KQ; r++) {
      var s = 0.0;
      for (var c = 0u; c < D; c++) {
        s += qmat[mo + r * D + c] * z[c];
      }
      qz[r] = s;
    }
    var soft = emptySoftmax();
    for (var j0 = 0u; j0 < n; j0 += WG) {
      loadKeyTile(b, mo, j0, lid);
      workgroupBarrier();
      foldKeyTile(&soft, qz, min(WG, n - j0));
      workgroupBarrier();
    }
    let vo = p * D * D;
    for (var r = 0u; r < D; r++) {
      var s = 0.0;
      for (var c = 0u; c < D; c++) {
        s += vmat[vo + r * D + c] * (soft.a[c] / soft.sum);
      }
      v[r] += s;
    }
  }
  let invH = 1.0 / f32(params.heads);
  let dt = params.dt;
  let total = params.batch * rows * D;
  if (valid) {
    var y: array<f32, MAXD>;
    if (STAGE == 0u) {
      for (var c = 0u; c < D; c++) {
        y[c] = z[c] + dt * (invH * v[c]);
      }
      storeRow(e0, y);
    } else if (STAGE == 1u) {
      for (var c = 0u; c < D; c++) {
        scratch[e0 + c] = z[c] + dt * (invH * v[c]);
        scratch[total + e0 + c] = invH * v[c];
      }
    } else {
      for (var c = 0u; c < D; c++) {
        y[c] = states[params.inOff + e0 + c] + (0.5 * dt) * (scratch[total + e0 + c] + invH * v[c]);
      }
      storeRow(e0, y);
    }
  }
}
