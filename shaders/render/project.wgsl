// Particle projection for the labs' pictures (render side, not numerics; score-mixing reads its
// particle buffer with d = dimension, primal-dual its state buffer with d = the state stride).
//
// Reads the simulation's particle buffer (count*d f32, row-major, exactly as the sampler writes
// it) and writes one vec4 per particle into the position buffer that three.js draws from, plus
// one slot of a trail ring buffer (trailLength slots of count vec4 each, slot-major). Nothing
// comes back to the CPU: the renderer reads both buffers directly.
//
// Projection: mode 0 takes coordinates axisX and axisY (d >= 2; the user picks the axes);
// mode 1 (d = 1) uses x_0 as the horizontal axis and the uniform `timeY` (the current t mapped
// to [0, 1] in tau = -log t) as the vertical one, so trails draw trajectories in the (x, t) plane.
// w = 1 marks a finite particle; non-finite ones get w = 0 and the vertex shader hides them,
// so one bad particle does not smear NaN lines across the picture while the CPU check runs.
// fillAll = 1 writes every trail slot (after a reset), so old trails never connect to new runs.

struct Params {
  count: u32,
  d: u32,
  axisX: u32,
  axisY: u32,
  slot: u32,
  trailLength: u32,
  mode: u32,
  fillAll: u32,
  timeY: f32,
  _pad0: f32,
  _pad1: f32,
  _pad2: f32,
}

@group(0) @binding(0) var<storage, read> particles: array<f32>;
@group(0) @binding(1) var<storage, read_write> positions: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> trail: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

#include "lib/finite.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= params.count) {
    return;
  }
  let base = i * params.d;
  var px: f32;
  var py: f32;
  if (params.mode == 1u) {
    px = particles[base];
    py = params.timeY;
  } else {
    px = particles[base + params.axisX];
    py = particles[base + params.axisY];
  }
  let ok = isFiniteF32(px) && isFiniteF32(py);
  let p = select(vec4f(0.0, 0.0, 0.0, 0.0), vec4f(px, py, 0.0, 1.0), ok);
  positions[i] = p;
  if (params.fillAll == 1u) {
    for (var s = 0u; s < params.trailLength; s = s + 1u) {
      trail[s * params.count + i] = p;
    }
  } else {
    trail[params.slot * params.count + i] = p;
  }
}
