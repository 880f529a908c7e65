// Per-head gradient reduction of one layer, first level (NUMERICS.md "Backward", per-head
// reduction), after attention-vjp-rows.wgsl and attention-vjp-keys.wgsl. The parameter entries of
// layer l are e = 0..H (2 KQ D + D D) - 1 (H heads x (Q: KQ x D, K: KQ x D, V: D x D)); each is a
// sum over the T = batch x rows (sequence, row) terms
//   dQ[r][c] = sum_{b,i} dqz_i[r] z_i[c]     (all rows)
//   dK[r][c] = sum_{b,j<n} dkz_j[r] z_j[c]
//   dV[r][c] = sum_{b,i} U_i[r] a_i[c],      U_i = uScale cot_i (the head cotangent)
// Two levels instead of one invocation summing all T terms serially (16k at B = 64): one
// workgroup per (entry e, chunk of CH = WG x PER consecutive terms t = b rows + i); invocation lid
// sums the terms chunk CH + lid + WG q, q = 0..PER-1, in that order, then the workgroup adds its
// WG sums by a pairwise tree in workgroup memory (fixed shape: the same bits on every run) and
// writes partial[e chunks + chunk]. head-gradients-sum.wgsl adds each entry's chunks in order
// (the second level). Deterministic, no atomics. Loop bounds are override constants, and the
// entry and chunk come from workgroup_id, so the barriers are in uniform control flow; terms past
// T (and workgroups past the grid's work, in a 2-D grid) add 0.

override D: u32 = 2u;
override KQ: u32 = 2u;
override WG: u32 = 64u;
/// Terms per invocation (CH = WG x PER terms per workgroup; memory.ts GRADIENT_CHUNK_ROWS at WG = 64).
override PER: u32 = 8u;

#include "lib/transformer-backward-params.wgsl"

@group(0) @binding(0) var<uniform> params: BwParams;
@group(0) @binding(1) var<storage, read> zsrc: array<f32>;
@group(0) @binding(2) var<storage, read> cot: array<f32>;
@group(0) @binding(3) var<storage, read> rowbuf: array<f32>;
@group(0) @binding(4) var<storage, read> keybuf: array<f32>;
/// H (2 KQ D + D D) x chunks: one sum per (entry, chunk).
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;

var<workgroup> red: array<f32, WG>;

/// Term t = b rows + i of entry e (0 where it does not count: keys past n, t past the end).
fn term(e: u32, t: u32) -> f32 {
  let H = params.heads;
  let kd = KQ * D;
  let rows = params.rows;
  let total = params.batch * rows;
  let ts = min(t, total - 1u);
  let b = ts / rows;
  let i = ts % rows;
  let stride = 2u * KQ + 2u * D + 2u;
  var g = 0.0;
  var keep = t < total;
  if (e < 2u * H * kd) {
    let isK = e >= H * kd;
    let f = e % (H * kd);
    let h = f / kd;
    let r = (f % kd) / D;
    let c = f % D;
    let row = (b * H + h) * rows + i;
    let zc = zsrc[params.zOff + ts * D + c];
    g = select(rowbuf[row * stride + KQ + r], keybuf[row * KQ + r], isK) * zc;
    keep = keep && (!isK || i < params.n);
  } else {
    let f = e - 2u * H * kd;
    let h = f / (D * D);
    let r = (f % (D * D)) / D;
    let c = f % D;
    let row = (b * H + h) * rows + i;
    g = params.uScale * cot[ts * D + r] * rowbuf[row * stride + 2u * KQ + c];
  }
  return select(0.0, g, keep);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let CH = WG * PER;
  let chunks = (params.batch * params.rows + CH - 1u) / CH;
  let entries = params.heads * (2u * KQ * D + D * D);
  let g = wg.y * groups.x + wg.x;
  let e = min(g / chunks, entries - 1u);
  let chunk = g % chunks;
  var s = 0.0;
  for (var q = 0u; q < PER; q++) {
    s += term(e, chunk * CH + lid + WG * q);
  }
  red[lid] = s;
  workgroupBarrier();
  // Pairwise tree over WG values (any WG): width halves (rounded up) each level.
  for (var width = WG; width > 1u; width = (width + 1u) / 2u) {
    let half = (width + 1u) / 2u;
    if (lid + half < width) {
      red[lid] += red[lid + half];
    }
    workgroupBarrier();
  }
  if (lid == 0u && g < entries * chunks) {
    partial[e * chunks + chunk] = red[0];
  }
}
