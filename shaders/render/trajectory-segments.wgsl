// Token trajectories of the transformer lab as line segments (render side, not numerics).
//
// Reads the trainer's flow states (L+1) x batch x rows x d f32 (layout of TransformerSimulation
// .states) and writes two vec4 per drawn segment, the picture points of X^l_{b,r} and X^{l+1}_{b,r},
// into the buffer three.js draws from (src/labs/transformer/view/scene.ts). Nothing comes back to
// the CPU, so the picture follows training every frame.
//
// Segments are grouped in up to three parts (others, selected, query: view/picture.ts segmentPlan
// decides which sequences and rows each draws). Part p holds seqCount_p x rowCount_p x L segments
// from segStart[p], ordered (sequence, row, layer) like the CPU's trajectorySegments; its sequence
// ids lie in `seqs` from seqStart[p]. One invocation per segment: segment i finds its part, then
// (sequence, row, layer) by division.
//
// Picture point (view/geometry.ts picturePoints): axis a < dims takes coordinate axes[a] of the
// state, or s * depthScale with s = l / L when axes[a] = -1 (DEPTH); axes past dims are 0.
// The CPU skips a segment with a non-finite coordinate; here it cannot compact, so such a segment
// gets w = 0 at both ends and the vertex shader moves it off screen (w = 1 otherwise).

// segStart: first segment of parts 0..2 and, in [3], the total; seqStart: their first entry in
// seqs; rowFrom, rowCount: their rows (view/segments-gpu.ts SegmentParamsLayout packs this).
struct Params {
  total: u32,
  L: u32,
  batch: u32,
  rows: u32,
  d: u32,
  dims: u32,
  axisX: i32,
  axisY: i32,
  axisZ: i32,
  depthScale: f32,
  _pad0: u32,
  _pad1: u32,
  segStart: vec4u,
  seqStart: vec4u,
  rowFrom: vec4u,
  rowCount: vec4u,
}

@group(0) @binding(0) var<storage, read> states: array<f32>;
@group(0) @binding(1) var<storage, read_write> segments: array<vec4f>;
@group(0) @binding(2) var<storage, read> seqs: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

#include "lib/finite.wgsl"

fn coordinate(axis: i32, a: u32, base: u32, s: f32) -> f32 {
  if (a >= params.dims) {
    return 0.0;
  }
  if (axis < 0) {
    return s * params.depthScale;
  }
  return states[base + u32(axis)];
}

fn point(l: u32, b: u32, r: u32) -> vec3f {
  let base = ((l * params.batch + b) * params.rows + r) * params.d;
  // f32 here, f64 on the CPU: depth coordinates agree to a few ulp, not bit for bit.
  let s = f32(l) / f32(params.L);
  return vec3f(coordinate(params.axisX, 0u, base, s), coordinate(params.axisY, 1u, base, s), coordinate(params.axisZ, 2u, base, s));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * groups.x + wg.x) * 64u + lid;
  if (i >= params.total) {
    return;
  }
  var p = 0u;
  if (i >= params.segStart[1]) {
    p = 1u;
  }
  if (i >= params.segStart[2]) {
    p = 2u;
  }
  let L = params.L;
  let perSeq = params.rowCount[p] * L;
  let local = i - params.segStart[p];
  let b = seqs[params.seqStart[p] + local / perSeq];
  let rem = local % perSeq;
  let r = params.rowFrom[p] + rem / L;
  let l = rem % L;
  let a = point(l, b, r);
  let z = point(l + 1u, b, r);
  let ok = isFiniteF32(a.x) && isFiniteF32(a.y) && isFiniteF32(a.z) && isFiniteF32(z.x) && isFiniteF32(z.y) && isFiniteF32(z.z);
  let w = select(0.0, 1.0, ok);
  segments[2u * i] = vec4f(select(vec3f(0.0), a, ok), w);
  segments[2u * i + 1u] = vec4f(select(vec3f(0.0), z, ok), w);
}
