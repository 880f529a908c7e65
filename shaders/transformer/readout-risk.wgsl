// Readout, risk and its cotangent on the GPU (NUMERICS.md "Readouts and risk" and "Training on the
// GPU"; float64 twin: riskAndCotangent in src/labs/transformer/reference.ts), so a training loop
// never reads X^L back to the host.
//
// One workgroup of MAXB = 64 invocations (the lab's MAX_BATCH; the host checks batch <= 64),
// invocation b handles sequence b of X^L (element params.statesOff of `states`), B the fixed e x D
// readout map, Y the targets (f32, layout of readoutOutputs), pi = exp(log pi):
//   token  (kind 0): out_i = B x_i,  r_b = sum_{i<n} pi_i 1/2 |out_i - Y_i|^2 / batch,
//                    P_i = B^T G_i with G_i = pi_i (out_i - Y_i) / batch;
//   pooled (kind 1): f = sum_i pi_i x_i, out = B f, r_b = 1/2 |out - Y_b|^2 / batch,
//                    P_i = pi_i B^T G, G = (out - Y_b) / batch, for every token row i < n;
//   query  (kind 2): out = B x_n (the query row), r_b as pooled, P_n = B^T G.
// Every row of the sequence's cotangent P = dR/dX^L is written (rows the readout does not see get
// 0), into the backward pass's input buffer `cot` (batch x rows x D).
// The risk R = sum_b r_b is reduced over the workgroup by a fixed binary tree in workgroup memory
// (deterministic: the same inputs give the same f32 bits), then invocation 0, with it =
// status.iteration:
//   not yet halted:  riskHistory[it] = R (it <= capacity);  if R is not finite (inf or NaN, tested
//                    on the bits: exponent all ones), halted = 1, haltIteration = it, and
//                    iteration = max(it - 1, 0), the number of updates of the heads the update
//                    kernel restores (head-update.wgsl, trainStep);
//   halted:          nothing (the non-finite risk stays at riskHistory[haltIteration]).
// status = [iteration, halted, haltIteration, 0]. Only invocation 0 touches status and
// riskHistory, so there is no race; barriers are in uniform control flow (every invocation runs
// the reduction; invocations b >= batch contribute 0 and store nothing).

const MAXB = 64u;
const MAXD = 8u;

override D: u32 = 2u;

struct ReadoutParams {
  batch: u32,
  n: u32,
  rows: u32,
  e: u32,
  kind: u32,
  statesOff: u32,
  capacity: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: ReadoutParams;
/// e x D.
@group(0) @binding(1) var<storage, read> bmat: array<f32>;
/// batch x n x e (token) or batch x e (pooled, query).
@group(0) @binding(2) var<storage, read> targets: array<f32>;
/// batch x n.
@group(0) @binding(3) var<storage, read> logPi: array<f32>;
/// (L + 1) x batch x rows x D; X^L at params.statesOff.
@group(0) @binding(4) var<storage, read> states: array<f32>;
/// batch x rows x D: dR/dX^L, the backward pass's input.
@group(0) @binding(5) var<storage, read_write> cot: array<f32>;
/// capacity + 1.
@group(0) @binding(6) var<storage, read_write> riskHistory: array<f32>;
/// iteration, halted, haltIteration, 0.
@group(0) @binding(7) var<storage, read_write> status: array<u32, 4>;

var<workgroup> partial: array<f32, MAXB>;

#include "lib/finite.wgsl"

/// Writes w B^T g into row `row` of sequence b's cotangent.
fn storeCotangentRow(b: u32, row: u32, g: array<f32, MAXD>, w: f32) {
  let o = (b * params.rows + row) * D;
  for (var c = 0u; c < D; c++) {
    var s = 0.0;
    for (var r = 0u; r < params.e; r++) {
      s += bmat[r * D + c] * g[r];
    }
    cot[o + c] = w * s;
  }
}

fn zeroRow(b: u32, row: u32) {
  let o = (b * params.rows + row) * D;
  for (var c = 0u; c < D; c++) {
    cot[o + c] = 0.0;
  }
}

/// out = B x - y (the residual), x the D-vector, y the targets at element t0.
fn residual(x: array<f32, MAXD>, t0: u32) -> array<f32, MAXD> {
  var res: array<f32, MAXD>;
  for (var r = 0u; r < MAXD; r++) {
    res[r] = 0.0;
  }
  for (var r = 0u; r < params.e; r++) {
    var s = 0.0;
    for (var c = 0u; c < D; c++) {
      s += bmat[r * D + c] * x[c];
    }
    res[r] = s - targets[t0 + r];
  }
  return res;
}

fn rowOf(b: u32, row: u32) -> array<f32, MAXD> {
  var x: array<f32, MAXD>;
  for (var c = 0u; c < MAXD; c++) {
    x[c] = 0.0;
  }
  let o = params.statesOff + (b * params.rows + row) * D;
  for (var c = 0u; c < D; c++) {
    x[c] = states[o + c];
  }
  return x;
}

/// Sequence b's risk contribution r_b; writes its rows of the cotangent.
fn sequence(b: u32) -> f32 {
  let n = params.n;
  let e = params.e;
  let invB = 1.0 / f32(params.batch);
  var risk = 0.0;
  if (params.kind == 0u) {
    for (var i = 0u; i < n; i++) {
      let w = exp(logPi[b * n + i]) * invB;
      let res = residual(rowOf(b, i), (b * n + i) * e);
      var s = 0.0;
      for (var r = 0u; r < e; r++) {
        s += res[r] * res[r];
      }
      risk += 0.5 * w * s;
      storeCotangentRow(b, i, res, w);
    }
    if (params.rows > n) {
      zeroRow(b, n);
    }
    return risk;
  }
  var f: array<f32, MAXD>;
  for (var c = 0u; c < MAXD; c++) {
    f[c] = 0.0;
  }
  if (params.kind == 1u) {
    for (var i = 0u; i < n; i++) {
      let p = exp(logPi[b * n + i]);
      let x = rowOf(b, i);
      for (var c = 0u; c < D; c++) {
        f[c] += p * x[c];
      }
    }
  } else {
    f = rowOf(b, n);
  }
  let res = residual(f, b * e);
  var s = 0.0;
  for (var r = 0u; r < e; r++) {
    s += res[r] * res[r];
  }
  risk = 0.5 * invB * s;
  for (var i = 0u; i < n; i++) {
    if (params.kind == 1u) {
      storeCotangentRow(b, i, res, exp(logPi[b * n + i]) * invB);
    } else {
      zeroRow(b, i);
    }
  }
  if (params.rows > n) {
    if (params.kind == 2u) {
      storeCotangentRow(b, n, res, invB);
    } else {
      zeroRow(b, n);
    }
  }
  return risk;
}

@compute @workgroup_size(MAXB)
fn main(@builtin(local_invocation_index) lid: u32) {
  var risk = 0.0;
  if (lid < params.batch) {
    risk = sequence(lid);
  }
  partial[lid] = risk;
  workgroupBarrier();
  for (var half = MAXB / 2u; half > 0u; half = half / 2u) {
    if (lid < half) {
      partial[lid] = partial[lid] + partial[lid + half];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let total = partial[0];
    let it = status[0];
    if (status[1] == 0u) {
      if (it <= params.capacity) {
        riskHistory[it] = total;
      }
      if (!isFiniteF32(total)) {
        status[1] = 1u;
        status[2] = it;
        status[0] = select(it - 1u, 0u, it == 0u);
      }
    }
  }
}
