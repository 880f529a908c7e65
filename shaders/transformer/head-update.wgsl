// Conditional-Wasserstein training step (NUMERICS.md "Training"): theta <- theta - f dR/dtheta
// with f = tau L H, elementwise over the flat Q, K (L x H x k x d) and V (L x H x d x d)
// buffers, one invocation per entry of Q/K (index < qkCount) or of V (after).
//
// Two entry points sharing the bindings 0..6:
//   main       the plain step (TransformerBackward.update).
//   trainStep  the guarded step of the GPU-resident training loop (TransformerTrainer, trainer.ts;
//              NUMERICS.md "Training on the GPU"), with `prev` = Q | K | V of the previous heads
//              and status = [iteration, halted, haltIteration, 0] from readout-risk.wgsl:
//                not halted: prev = theta; theta -= f grad; invocation 0: iteration += 1
//                halted:     theta = prev (the last heads with a finite risk; idempotent, so every
//                            later iteration is a no-op)
//              Only invocation 0 writes status (word 0) and every invocation reads only word 1,
//              which nothing in this dispatch writes, so workgroups cannot race.

override WG: u32 = 64u;

struct UpdateParams {
  qkCount: u32,
  vCount: u32,
  factor: f32,
}

@group(0) @binding(0) var<uniform> params: UpdateParams;
@group(0) @binding(1) var<storage, read_write> qmat: array<f32>;
@group(0) @binding(2) var<storage, read_write> kmat: array<f32>;
@group(0) @binding(3) var<storage, read_write> vmat: array<f32>;
@group(0) @binding(4) var<storage, read> dq: array<f32>;
@group(0) @binding(5) var<storage, read> dk: array<f32>;
@group(0) @binding(6) var<storage, read> dv: array<f32>;
/// trainStep: the heads before the last update, Q | K | V (2 qkCount + vCount).
@group(0) @binding(7) var<storage, read_write> prev: array<f32>;
/// trainStep: iteration, halted, haltIteration, 0.
@group(0) @binding(8) var<storage, read_write> status: array<u32, 4>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  if (e < params.qkCount) {
    qmat[e] -= params.factor * dq[e];
    kmat[e] -= params.factor * dk[e];
  } else if (e < params.qkCount + params.vCount) {
    let f = e - params.qkCount;
    vmat[f] -= params.factor * dv[f];
  }
}

@compute @workgroup_size(WG)
fn trainStep(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  let qk = params.qkCount;
  let halted = status[1] != 0u;
  if (e == 0u && !halted) {
    status[0] = status[0] + 1u;
  }
  if (e < qk) {
    if (halted) {
      qmat[e] = prev[e];
      kmat[e] = prev[qk + e];
    } else {
      prev[e] = qmat[e];
      prev[qk + e] = kmat[e];
      qmat[e] -= params.factor * dq[e];
      kmat[e] -= params.factor * dk[e];
    }
  } else if (e < qk + params.vCount) {
    let f = e - qk;
    if (halted) {
      vmat[f] = prev[2u * qk + f];
    } else {
      prev[2u * qk + f] = vmat[f];
      vmat[f] -= params.factor * dv[f];
    }
  }
}
