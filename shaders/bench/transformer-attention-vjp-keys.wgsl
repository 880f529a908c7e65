// BENCHMARK BASELINE ONLY (bench/transformer-baseline.ts): shaders/transformer/attention-vjp-keys.wgsl as it was
// before issue 13 item 3 (one workgroup per (sequence, row tile), heads looped inside),
// kept verbatim except for its #include paths so bench/transformer.ts can print the new kernels'
// rates against it measured in the same run. Not used by the lab.
//
// Attention VJP, key pass (NUMERICS.md "Backward"; float64 twin: headVjp in reference.ts). After
// attention-vjp-rows.wgsl has stored per (b, h, m) the row quantities qz_m, dqz_m, a_m, dA_m,
// LSE_m, c_m, every row j of every sequence gathers its state cotangent over all heads:
//   query path (all rows):     Q^T dqz_j
//   keys j < n, streaming the rows m through workgroup memory with the softmax recomputed,
//   W_mj = exp(l_mj - LSE_m) (<= 1), dl_mj = W_mj (<dA_m, z_j> - c_m):
//     dkz_j = sum_m dl_mj qz_m,  key path K^T dkz_j,  value path sum_m W_mj dA_m.
// out_j = addend_j + sum over heads (the head cotangent already carries dt/H). dkz_j is stored
// per (b, h, j) (zero for the query row) for head-gradients.wgsl. One workgroup per
// (b, tile of WG rows); the row-tile loop runs for every invocation (uniform bounds), and
// the key-only terms are masked with select, so barriers stay in uniform control flow.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;

const MAXD = 8u;
const MAXK = 16u;

#include "bench/lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> qmat: array<f32>;
@group(0) @binding(2) var<storage, read> kmat: array<f32>;
@group(0) @binding(3) var<storage, read> logPi: array<f32>;
@group(0) @binding(4) var<storage, read> zsrc: array<f32>;
/// batch x rows x D, added to the output (the identity part of the step's adjoint).
@group(0) @binding(5) var<storage, read> addend: array<f32>;
@group(0) @binding(6) var<storage, read> rowbuf: array<f32>;
/// batch x H x rows x KQ.
@group(0) @binding(7) var<storage, read_write> keybuf: array<f32>;
/// batch x rows x D.
@group(0) @binding(8) var<storage, read_write> outCot: array<f32>;

var<workgroup> tileQ: array<f32, WG * KQ>;
var<workgroup> tileA: array<f32, WG * D>;
/// LSE_m, c_m.
var<workgroup> tileS: array<vec2f, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let n = params.n;
  let H = params.heads;
  let tiles = (rows + WG - 1u) / WG;
  let g = wg.y * groups.x + wg.x;
  let b = min(g / tiles, params.batch - 1u);
  let j = (g % tiles) * WG + lid;
  let valid = g < params.batch * tiles && j < rows;
  let js = min(j, rows - 1u);
  let isKey = js < n;
  let e0 = (b * rows + js) * D;
  let stride = 2u * KQ + 2u * D + 2u;

  var z: array<f32, MAXD>;
  var dz: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    z[c] = zsrc[params.zOff + e0 + c];
  }
  let lpj = logPi[b * n + min(js, n - 1u)];
  for (var h = 0u; h < H; h++) {
    let p = params.layer * H + h;
    let mo = p * KQ * D;
    let own = ((b * H + h) * rows + js) * stride;
    var kz: array<f32, MAXK>;
    for (var r = 0u; r < KQ; r++) {
      var s = 0.0;
      for (var c = 0u; c < D; c++) {
        s += kmat[mo + r * D + c] * z[c];
      }
      kz[r] = s;
      let dq = rowbuf[own + KQ + r];
      for (var c = 0u; c < D; c++) {
        dz[c] += qmat[mo + r * D + c] * dq;
      }
    }
    // Explicitly zeroed per head: relying on the implicit zero of a `var` declared inside the
    // loop gave stale values from the previous head on SwiftShader.
    var dkz: array<f32, MAXK>;
    var val: array<f32, MAXD>;
    for (var r = 0u; r < KQ; r++) {
      dkz[r] = 0.0;
    }
    for (var c = 0u; c < D; c++) {
      val[c] = 0.0;
    }
    for (var m0 = 0u; m0 < rows; m0 += WG) {
      let ms = min(m0 + lid, rows - 1u);
      let o = ((b * H + h) * rows + ms) * stride;
      for (var r = 0u; r < KQ; r++) {
        tileQ[lid * KQ + r] = rowbuf[o + r];
      }
      for (var c = 0u; c < D; c++) {
        tileA[lid * D + c] = rowbuf[o + 2u * KQ + D + c];
      }
      tileS[lid] = vec2f(rowbuf[o + 2u * KQ + 2u * D], rowbuf[o + 2u * KQ + 2u * D + 1u]);
      workgroupBarrier();
      let count = min(WG, rows - m0);
      for (var t = 0u; t < count; t++) {
        var lg = lpj;
        for (var r = 0u; r < KQ; r++) {
          lg += tileQ[t * KQ + r] * kz[r];
        }
        let w = exp(min(lg - tileS[t].x, 0.0));
        var dw = 0.0;
        for (var c = 0u; c < D; c++) {
          dw += tileA[t * D + c] * z[c];
        }
        let dl = w * (dw - tileS[t].y);
        for (var r = 0u; r < KQ; r++) {
          dkz[r] += dl * tileQ[t * KQ + r];
        }
        for (var c = 0u; c < D; c++) {
          val[c] += w * tileA[t * D + c];
        }
      }
      workgroupBarrier();
    }
    let keyMask = select(0.0, 1.0, isKey);
    for (var c = 0u; c < D; c++) {
      var s = val[c];
      for (var r = 0u; r < KQ; r++) {
        s += kmat[mo + r * D + c] * dkz[r];
      }
      dz[c] += keyMask * s;
    }
    if (valid) {
      for (var r = 0u; r < KQ; r++) {
        keybuf[((b * H + h) * rows + j) * KQ + r] = keyMask * dkz[r];
      }
    }
  }
  if (valid) {
    for (var c = 0u; c < D; c++) {
      outCot[e0 + c] = addend[e0 + c] + dz[c];
    }
  }
}
