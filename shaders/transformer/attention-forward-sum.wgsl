// Attention flow, the step of one depth stage of one layer l: the sum pass after
// attention-forward.wgsl (src/labs/transformer/NUMERICS.md "GPU forward"; float64 twin:
// layerVelocity / forward in src/labs/transformer/reference.ts).
//
// One invocation per row (b, i) of the state. It reads the per-head softmax means a_{h,i} that
// attention-forward.wgsl stored (slot params.headOff of `heads`, layout (b H + h) rows + i,
// stride D + 1) and forms the velocity v_i = (1/H) sum_h V_h a_{h,i}, summing the heads in the
// fixed order h = 0..H-1 (deterministic, no atomics; the same order as the kernel that looped
// over the heads inside one workgroup). Then the step, as before the heads moved into the grid
// (dt = 1/L, X = X^l):
//   0 Euler:           X^{l+1} = X + dt v(X)
//   1 Heun predictor:  scratch[0, S) = Xt = X + dt v(X);  scratch[S, 2S) = v(X)
//   2 Heun corrector:  X^{l+1} = X + dt/2 (v(X) + v(Xt))      (v(Xt) from the corrector's heads)
// with S = batch * rows * D. SPHERE divides each written X^{l+1} row by its norm |Y_i| and stores
// |Y_i| in norms[layer][b][i] (L x batch x rows): the backward pass projects the cotangent with it
// (NUMERICS.md "Backward", sphere). All per-layer states live in one buffer `states` (X^l at
// element params.inOff, X^{l+1} at params.outOff).
//
// The grid may be larger than batch * rows / WG (the trainer's indirect re-run after a halt uses
// one grid, the per-head kernel's, for both kernels): invocations past the rows return at once;
// there is no barrier.

override D: u32 = 2u;
override WG: u32 = 64u;
override STAGE: u32 = 0u;
override SPHERE: bool = false;

const MAXD = 8u;

#include "lib/transformer-forward-params.wgsl"

@group(0) @binding(0) var<uniform> params: TfParams;
/// L x H x D x D.
@group(0) @binding(1) var<storage, read> vmat: array<f32>;
/// Per (stage slot, sequence, head, row): a_i (D) | LSE2_i.
@group(0) @binding(2) var<storage, read> heads: array<f32>;
/// (L + 1) x batch x rows x D.
@group(0) @binding(3) var<storage, read_write> states: array<f32>;
/// Heun: Xt | v(X), each batch x rows x D.
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;
/// SPHERE: |Y| of every written row, L x batch x rows (bound, unused, without SPHERE).
@group(0) @binding(5) var<storage, read_write> norms: array<f32>;

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
  let H = params.heads;
  let row = (wg.y * groups.x + wg.x) * WG + lid;
  if (row >= params.batch * rows) {
    return;
  }
  let b = row / rows;
  let i = row % rows;
  let e0 = row * D;

  var v: array<f32, MAXD>;
  for (var c = 0u; c < MAXD; c++) {
    v[c] = 0.0;
  }
  for (var h = 0u; h < H; h++) {
    let vo = (params.layer * H + h) * D * D;
    let o = params.headOff + ((b * H + h) * rows + i) * (D + 1u);
    for (var r = 0u; r < D; r++) {
      var s = 0.0;
      for (var c = 0u; c < D; c++) {
        s += vmat[vo + r * D + c] * heads[o + c];
      }
      v[r] += s;
    }
  }
  let invH = 1.0 / f32(H);
  let dt = params.dt;
  let total = params.batch * rows * D;
  var y: array<f32, MAXD>;
  if (STAGE == 0u) {
    for (var c = 0u; c < D; c++) {
      y[c] = states[params.inOff + e0 + c] + dt * (invH * v[c]);
    }
    storeRow(e0, y);
  } else if (STAGE == 1u) {
    for (var c = 0u; c < D; c++) {
      scratch[e0 + c] = states[params.inOff + e0 + c] + dt * (invH * v[c]);
      scratch[total + e0 + c] = invH * v[c];
    }
  } else {
    for (var c = 0u; c < D; c++) {
      y[c] = states[params.inOff + e0 + c] + (0.5 * dt) * (scratch[total + e0 + c] + invH * v[c]);
    }
    storeRow(e0, y);
  }
}
