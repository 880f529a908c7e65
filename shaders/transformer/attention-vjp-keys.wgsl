// Attention VJP, key pass (NUMERICS.md "Backward"; float64 twin: headVjp in reference.ts). After
// attention-vjp-rows.wgsl has stored per (b, h, m) the row quantities qz_m, dqz_m, a_m, dA_m,
// LSE2_m, c_m, every row j of every sequence gathers the state cotangent of one head h:
//   query path (all rows):     Q_h^T dqz_j
//   keys j < n, streaming the rows m through workgroup memory with the softmax weight from the
//   stored log-sum-exp, one exp2 per pair: W_mj = exp2(min(l2_mj - LSE2_m, 0)) (<= 1; l2 =
//   log2(e) l, formed as <qz_m, log2(e) kz_j> + log2(e) log pi_j), dl_mj = W_mj (<dA_m, z_j> - c_m):
//     dkz_j = sum_m dl_mj qz_m,  key path K_h^T dkz_j,  value path sum_m W_mj dA_m.
// Heads in the grid: one workgroup per (b, h, tile of WG rows), so a layer launches
// batch x H x ceil(rows / WG) workgroups (the kernel that looped over the heads had batch x tiles).
// Each writes its head's part of the cotangent, part[(b H + h) rows + j] (D floats), and dkz_j
// per (b, h, j) (zero for the query row) for head-gradients.wgsl; attention-vjp-sum.wgsl then adds
// the heads in a fixed order (deterministic, no atomics): out_j = addend_j + sum_h part (the head
// cotangent already carries dt/H). The row-tile loop runs for every invocation (uniform bounds),
// and the key-only terms are masked with select, so barriers stay in uniform control flow.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;

const MAXD = 8u;
const MAXK = 16u;
const LOG2E = 1.4426950408889634;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> qmat: array<f32>;
@group(0) @binding(2) var<storage, read> kmat: array<f32>;
@group(0) @binding(3) var<storage, read> logPi: array<f32>;
@group(0) @binding(4) var<storage, read> zsrc: array<f32>;
@group(0) @binding(5) var<storage, read> rowbuf: array<f32>;
/// batch x H x rows x KQ.
@group(0) @binding(6) var<storage, read_write> keybuf: array<f32>;
/// batch x H x rows x D: each head's part of the state cotangent.
@group(0) @binding(7) var<storage, read_write> part: array<f32>;

var<workgroup> tileQ: array<f32, WG * KQ>;
var<workgroup> tileA: array<f32, WG * D>;
/// LSE2_m, c_m.
var<workgroup> tileS: array<vec2f, WG>;

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
  let j = (g % tiles) * WG + lid;
  let valid = g < params.batch * H * tiles && j < rows;
  let js = min(j, rows - 1u);
  let isKey = js < n;
  let e0 = (b * rows + js) * D;
  let stride = 2u * KQ + 2u * D + 2u;
  let mo = (params.layer * H + h) * KQ * D;
  let own = ((b * H + h) * rows + js) * stride;

  var z: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    z[c] = zsrc[params.zOff + e0 + c];
  }
  let lpj = LOG2E * logPi[b * n + min(js, n - 1u)];
  var dz: array<f32, MAXD>;
  for (var c = 0u; c < MAXD; c++) {
    dz[c] = 0.0;
  }
  // kz2 = log2(e) K z_j: the base-2 logit without a multiply per pair.
  var kz2: array<f32, MAXK>;
  for (var r = 0u; r < KQ; r++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += kmat[mo + r * D + c] * z[c];
    }
    kz2[r] = LOG2E * s;
    let dq = rowbuf[own + KQ + r];
    for (var c = 0u; c < D; c++) {
      dz[c] += qmat[mo + r * D + c] * dq;
    }
  }
  var dkz: array<f32, MAXK>;
  var val: array<f32, MAXD>;
  for (var r = 0u; r < MAXK; r++) {
    dkz[r] = 0.0;
  }
  for (var c = 0u; c < MAXD; c++) {
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
        lg += tileQ[t * KQ + r] * kz2[r];
      }
      let w = exp2(min(lg - tileS[t].x, 0.0));
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
    let row = (b * H + h) * rows + j;
    for (var r = 0u; r < KQ; r++) {
      keybuf[row * KQ + r] = keyMask * dkz[r];
    }
    for (var c = 0u; c < D; c++) {
      part[row * D + c] = dz[c];
    }
  }
}
