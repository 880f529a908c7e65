// Halt epilogue of an encoded training chunk (TransformerTrainer.encodeIterations, trainer.ts;
// NUMERICS.md "Training on the GPU"). The chunk ends with a forward pass and readout-risk.wgsl;
// when that readout finds the risk non-finite it sets status.halted, but no update kernel follows
// to put the last finite heads back. This kernel does, and asks for one more forward pass so the
// stored states describe the restored heads:
//   halted:      theta = prev (Q | K | V, the heads before the last update; idempotent);
//                invocation 0 writes redo = (forwardX, forwardY, 1), the forward grid
//   not halted:  nothing to restore; redo = (0, 0, 0), so the indirect forward that follows
//                (TransformerSimulation.encodeForwardIndirect) dispatches no workgroups.
// One invocation per entry of Q/K (index < qkCount, both) or of V (after), as head-update.wgsl.
// Every invocation reads only status[1], which nothing in this dispatch writes.

override WG: u32 = 64u;

struct RestoreParams {
  qkCount: u32,
  vCount: u32,
  forwardX: u32,
  forwardY: u32,
}

@group(0) @binding(0) var<uniform> params: RestoreParams;
@group(0) @binding(1) var<storage, read_write> qmat: array<f32>;
@group(0) @binding(2) var<storage, read_write> kmat: array<f32>;
@group(0) @binding(3) var<storage, read_write> vmat: array<f32>;
/// Q | K | V before the last update.
@group(0) @binding(4) var<storage, read> prev: array<f32>;
/// iteration, halted, haltIteration, 0.
@group(0) @binding(5) var<storage, read> status: array<u32, 4>;
/// Indirect dispatch arguments of the re-run forward pass.
@group(0) @binding(6) var<storage, read_write> redo: array<u32, 3>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.y * groups.x * WG + gid.x;
  let qk = params.qkCount;
  let halted = status[1] != 0u;
  if (e == 0u) {
    redo[0] = select(0u, params.forwardX, halted);
    redo[1] = select(0u, params.forwardY, halted);
    redo[2] = select(0u, 1u, halted);
  }
  if (!halted) {
    return;
  }
  if (e < qk) {
    qmat[e] = prev[e];
    kmat[e] = prev[qk + e];
  } else if (e < qk + params.vCount) {
    vmat[e - qk] = prev[2u * qk + e - qk];
  }
}
