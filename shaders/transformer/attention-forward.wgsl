// Attention flow, one head of one depth stage of one layer l for every sequence: the per-head
// half of the forward (src/labs/transformer/NUMERICS.md "One head on one sequence" and "GPU
// forward"; the float64 twin is layerVelocity / forward in src/labs/transformer/reference.ts).
// attention-forward-sum.wgsl then averages the heads and takes the step.
//
// Heads in the grid: one workgroup per (sequence b, head h, tile of WG query rows), one
// invocation per row i (query token included when rows = n + 1), so a layer launches
// batch x H x ceil(rows / WG) workgroups (2,048 at B = 16, n = 256, H = 32, WG = 64; the kernel
// that looped over the heads inside had 64) and every workgroup streams only its own head's keys.
// The invocation forms qz2_i = log2(e) Q_h z_i, the sequence's n key tokens stream through
// workgroup memory in tiles of WG and every row folds each tile into its online softmax in base 2
// with one exp2 per pair (lib/attention-tile.wgsl: loadKeyTile, foldKeyTile, conditional
// rescale). It stores the row's softmax state
//   heads[headOff + ((b H + h) rows + i) (D + 1) + c] = a_i[c] = a'_c / S   (c < D)
//   heads[headOff + ((b H + h) rows + i) (D + 1) + D] = LSE2_i = m2 + log2 S (= log2(e) LSE_i)
// which is both the sum pass's input (it applies V_h) and, when TransformerSimulation keeps one
// slot per (layer, stage) (params.headOff selects it), what the backward reads instead of
// recomputing the softmax: with LSE2 every backward pair needs one exp2, and a_i gives c_i
// = <dA_i, a_i> before the single pass over the keys. Nothing is summed across workgroups here,
// so results are deterministic without atomics.
//
// STAGE: 0 Euler and 1 Heun predictor attend Z = X^l (states at params.inOff); 2 Heun corrector
// attends Z = Xt (scratch[0, S), written by the predictor's sum pass).
//
// Barriers: the tile loop bound (n) comes from the uniform buffer and b, h from workgroup_id, so
// they are workgroup-uniform; rows past the end (and workgroups past batch H tiles in a 2-D or
// indirect grid) compute on a clamped copy and never store.

override D: u32 = 2u;
/// Rows of Q and K (the attention dimension k).
override KQ: u32 = 2u;
override WG: u32 = 64u;
override STAGE: u32 = 0u;

const MAXD = 8u;
const MAXK = 16u;

#include "lib/transformer-forward-params.wgsl"

@group(0) @binding(0) var<uniform> params: TfParams;
/// L x H x KQ x D.
@group(0) @binding(1) var<storage, read> qmat: array<f32>;
/// L x H x KQ x D.
@group(0) @binding(2) var<storage, read> kmat: array<f32>;
/// batch x n.
@group(0) @binding(3) var<storage, read> logPi: array<f32>;
/// (L + 1) x batch x rows x D.
@group(0) @binding(4) var<storage, read> states: array<f32>;
/// Heun: Xt | v(X), each batch x rows x D.
@group(0) @binding(5) var<storage, read> scratch: array<f32>;
/// Per (stage slot, sequence, head, row): a_i (D) | LSE2_i.
@group(0) @binding(6) var<storage, read_write> heads: array<f32>;

#include "lib/attention-tile.wgsl"

/// Entry e of the attended state Z (X^l, or Xt in the corrector).
fn zAt(e: u32) -> f32 {
  if (STAGE == 2u) {
    return scratch[e];
  }
  return states[params.inOff + e];
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
  let e0 = (b * rows + min(i, rows - 1u)) * D;
  let mo = (params.layer * H + h) * KQ * D;

  var z: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    z[c] = zAt(e0 + c);
  }
  var qz: array<f32, MAXK>;
  for (var r = 0u; r < KQ; r++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += qmat[mo + r * D + c] * z[c];
    }
    qz[r] = LOG2E * s;
  }
  var soft = emptySoftmax();
  for (var j0 = 0u; j0 < n; j0 += WG) {
    loadKeyTile(b, mo, j0, lid);
    workgroupBarrier();
    foldKeyTile(&soft, qz, min(WG, n - j0));
    workgroupBarrier();
  }
  if (valid) {
    let o = params.headOff + ((b * H + h) * rows + i) * (D + 1u);
    for (var c = 0u; c < D; c++) {
      heads[o + c] = soft.a[c] / soft.sum;
    }
    heads[o + D] = soft.m + log2(soft.sum);
  }
}
