// BENCHMARK BASELINE ONLY (bench/transformer-baseline.ts): shaders/transformer/head-gradients.wgsl as it was
// before issue 13 item 3 (one invocation per parameter summing all B x rows terms serially),
// kept verbatim except for its #include paths so bench/transformer.ts can print the new kernels'
// rates against it measured in the same run. Not used by the lab.
//
// Per-head gradient reduction of one layer (NUMERICS.md "Backward", per-head reduction), after
// attention-vjp-rows.wgsl and attention-vjp-keys.wgsl. One invocation per parameter entry of
// layer l (H heads x (Q: KQ x D, K: KQ x D, V: D x D)); each sums over all sequences b and rows
// in a fixed order (deterministic, no atomics):
//   dQ[r][c] += sum_{b,i} dqz_i[r] z_i[c]     (all rows)
//   dK[r][c] += sum_{b,j<n} dkz_j[r] z_j[c]
//   dV[r][c] += sum_{b,i} U_i[r] a_i[c],      U_i = uScale cot_i (the head cotangent)
// "+=" so the two stages of a Heun step accumulate; the host clears the gradients first.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;

#include "bench/lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> zsrc: array<f32>;
@group(0) @binding(2) var<storage, read> cot: array<f32>;
@group(0) @binding(3) var<storage, read> rowbuf: array<f32>;
@group(0) @binding(4) var<storage, read> keybuf: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(5) var<storage, read_write> dq: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(6) var<storage, read_write> dk: array<f32>;
/// L x H x D x D.
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  let H = params.heads;
  let kd = KQ * D;
  let rows = params.rows;
  let stride = 2u * KQ + 2u * D + 2u;
  if (e >= H * (2u * kd + D * D)) {
    return;
  }
  var s = 0.0;
  if (e < 2u * H * kd) {
    let isK = e >= H * kd;
    let f = e % (H * kd);
    let h = f / kd;
    let r = (f % kd) / D;
    let c = f % D;
    let last = select(rows, params.n, isK);
    for (var b = 0u; b < params.batch; b++) {
      for (var i = 0u; i < last; i++) {
        let zc = zsrc[params.zOff + (b * rows + i) * D + c];
        let row = (b * H + h) * rows + i;
        let g = select(rowbuf[row * stride + KQ + r], keybuf[row * KQ + r], isK);
        s += g * zc;
      }
    }
    let o = params.layer * H * kd + f;
    if (isK) {
      dk[o] += s;
    } else {
      dq[o] += s;
    }
  } else {
    let f = e - 2u * H * kd;
    let h = f / (D * D);
    let r = (f % (D * D)) / D;
    let c = f % D;
    for (var b = 0u; b < params.batch; b++) {
      for (var i = 0u; i < rows; i++) {
        let row = (b * H + h) * rows + i;
        s += params.uScale * cot[(b * rows + i) * D + r] * rowbuf[row * stride + 2u * KQ + c];
      }
    }
    dv[params.layer * H * D * D + f] += s;
  }
}
