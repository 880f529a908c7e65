// Attention VJP, row pass (NUMERICS.md "Backward"; float64 twin: headVjp in
// src/labs/transformer/reference.ts). For one layer l, every sequence b, head h and row i of the
// attended state Z, with the head cotangent U_i = uScale * cot_i (uScale = dt/H for Euler):
//   a_i and LSE2_i = log2(e) LSE_i from the forward (attention-forward.wgsl stored them in the
//          slot params.headOff of `heads`; TransformerBackward has the simulation refill that
//          slot first when it does not keep one per layer), so the softmax is not recomputed;
//   dA_i = V^T U_i,  c_i = <dA_i, a_i> (= sum_j W_ij dW_ij, since dW_ij = <dA_i, z_j>);
//   one pass over the keys (tiled through workgroup memory, lib/attention-tile.wgsl's loader and
//          base-2 logit): W_ij = exp2(l2_ij - LSE2_i) (one exp2 per pair, <= 1: the logits are
//          the forward's bits, l2 <= m2 <= LSE2; the min() guards it anyway),
//          dl_ij = W_ij (<dA_i, z_j> - c_i),  dqz_i = sum_j dl_ij kz_j.
// The kernel that recomputed the softmax spent three exp per pair (two in the online pass, one in
// the second pass); this one spends one.
// Writes per (b, h, i): qz_i | dqz_i | a_i | dA_i | LSE2_i | c_i (stride 2 KQ + 2 D + 2) for the
// key pass (attention-vjp-keys.wgsl) and the head-gradient reduction (head-gradients.wgsl).
// One workgroup per (b, h, tile of WG rows); loop bounds are uniform (from the uniform buffer and
// workgroup_id), rows past the end compute on a clamped copy and never store.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;

const MAXD = 8u;
const MAXK = 16u;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> qmat: array<f32>;
@group(0) @binding(2) var<storage, read> kmat: array<f32>;
@group(0) @binding(3) var<storage, read> vmat: array<f32>;
@group(0) @binding(4) var<storage, read> logPi: array<f32>;
/// Z at element params.zOff: batch x rows x D.
@group(0) @binding(5) var<storage, read> zsrc: array<f32>;
/// batch x rows x D, the layer's cotangent before scaling.
@group(0) @binding(6) var<storage, read> cot: array<f32>;
/// The forward's per-head softmax state: a_i (D) | LSE2_i per (b, h, i), slot at params.headOff.
@group(0) @binding(7) var<storage, read> heads: array<f32>;
/// batch x H x rows x (2 KQ + 2 D + 2).
@group(0) @binding(8) var<storage, read_write> rowbuf: array<f32>;

#include "lib/attention-tile.wgsl"

/// Entry e of the attended state Z (at element params.zOff of zsrc).
fn zAt(e: u32) -> f32 {
  return zsrc[params.zOff + e];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let n = params.n;
  let H = params.heads;
  let tiles = (rows + WG - 1u) / WG;
  let g = wg.y * groups.x + wg.x;
  let bh = min(g / tiles, params.batch * H - 1u);
  let b = bh / H;
  let h = bh % H;
  let i = (g % tiles) * WG + lid;
  let valid = g < params.batch * H * tiles && i < rows;
  let is = min(i, rows - 1u);
  let e0 = (b * rows + is) * D;
  let p = params.layer * H + h;
  let mo = p * KQ * D;

  var z: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    z[c] = zsrc[params.zOff + e0 + c];
  }
  // qz (natural, stored for the key pass and the gradients) and qz2 = log2(e) qz, computed as the
  // forward does so the logits are the forward's bits.
  var qz: array<f32, MAXK>;
  var qz2: array<f32, MAXK>;
  for (var r = 0u; r < KQ; r++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += qmat[mo + r * D + c] * z[c];
    }
    qz[r] = s;
    qz2[r] = LOG2E * s;
  }
  let hs = params.headOff + ((b * H + h) * rows + is) * (D + 1u);
  var a: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    a[c] = heads[hs + c];
  }
  let lse = heads[hs + D];
  let vo = p * D * D;
  var dA: array<f32, MAXD>;
  var cc = 0.0;
  for (var c = 0u; c < D; c++) {
    var s = 0.0;
    for (var r = 0u; r < D; r++) {
      s += vmat[vo + r * D + c] * cot[e0 + r];
    }
    dA[c] = params.uScale * s;
    cc += dA[c] * a[c];
  }
  var dqz: array<f32, MAXK>;
  for (var r = 0u; r < MAXK; r++) {
    dqz[r] = 0.0;
  }
  for (var j0 = 0u; j0 < n; j0 += WG) {
    loadKeyTile(b, mo, j0, lid);
    workgroupBarrier();
    let count = min(WG, n - j0);
    for (var t = 0u; t < count; t++) {
      var dw = 0.0;
      for (var c = 0u; c < D; c++) {
        dw += dA[c] * tileZ[t * D + c];
      }
      let dl = exp2(min(keyLogit(qz2, t) - lse, 0.0)) * (dw - cc);
      for (var r = 0u; r < KQ; r++) {
        dqz[r] += dl * tileK[t * KQ + r];
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    let stride = 2u * KQ + 2u * D + 2u;
    let o = ((b * H + h) * rows + i) * stride;
    for (var r = 0u; r < KQ; r++) {
      rowbuf[o + r] = qz[r];
      rowbuf[o + KQ + r] = dqz[r];
    }
    for (var c = 0u; c < D; c++) {
      rowbuf[o + 2u * KQ + c] = a[c];
      rowbuf[o + 2u * KQ + D + c] = dA[c];
    }
    rowbuf[o + 2u * KQ + 2u * D] = lse;
    rowbuf[o + 2u * KQ + 2u * D + 1u] = cc;
  }
}
