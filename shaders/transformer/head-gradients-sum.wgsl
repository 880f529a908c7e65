// Per-head gradient reduction of one layer, second level (NUMERICS.md "Backward", per-head
// reduction): one invocation per parameter entry e of layer l (H heads x (Q: KQ x D, K: KQ x D,
// V: D x D), the order of head-gradients.wgsl) adds that kernel's per-chunk sums
// partial[e chunks + 0 .. chunks - 1] in order (deterministic, no atomics) into dQ, dK or dV.
// "+=" so the two stages of a Heun step accumulate; the host clears the gradients first.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;
/// As in head-gradients.wgsl: chunks of WG x PER terms.
override PER: u32 = 8u;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(2) var<storage, read_write> dq: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(3) var<storage, read_write> dk: array<f32>;
/// L x H x D x D.
@group(0) @binding(4) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  let H = params.heads;
  let kd = KQ * D;
  if (e >= H * (2u * kd + D * D)) {
    return;
  }
  let CH = WG * PER;
  let chunks = (params.batch * params.rows + CH - 1u) / CH;
  var s = 0.0;
  for (var q = 0u; q < chunks; q++) {
    s += partial[e * chunks + q];
  }
  if (e < H * kd) {
    dq[params.layer * H * kd + e] += s;
  } else if (e < 2u * H * kd) {
    dk[params.layer * H * kd + e - H * kd] += s;
  } else {
    dv[params.layer * H * D * D + e - 2u * H * kd] += s;
  }
}
