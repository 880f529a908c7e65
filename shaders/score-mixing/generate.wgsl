// Generation: advances every particle through the steps [cursor.x, cursor.y) of the geometric
// grid t_k = T (tMin/T)^(k/K), in place, in one dispatch (NUMERICS.md "Integrators"; the float64
// twin is ReferenceSampler in src/labs/score-mixing/reference.ts).
//
// One invocation per particle. The particle stays in registers for the whole step range; each
// drift evaluation streams both measures' atoms through workgroup memory (lib/denoise.wgsl; below
// params.cullBelow skipping the tiles below eps, lib/cull.wgsl), so a
// dispatch of many steps reads the particle buffer once and writes it once. Everything that is a
// function of the grid alone is computed in float64 on the CPU and arrives per step in `coefs`
// (f32 copies): the stage times and, for the exponential step with m frozen,
//   x' = m + a_k (x - m) + s_k z,   a_k = r^((1+beta)/2),  s_k = sqrt(2 t' (1 - r^beta)),  r = t'/t,
// so the GPU never forms r^beta or 1 - r^beta in f32 (cancellation when r -> 1). Heun and RK4 are
// the classical tableaux in tau = -log t for f(x) = -(x - m_lam(e^-tau, x))/2, step h in tau.
// SDE noise z_j = normal(seed, particle, k, j) (lib/rng.wgsl), drawn only when NOISE is set
// (beta > 0), in pairs so one Threefry block feeds two coordinates, as the reference does.
//
// The step range comes from a tiny storage buffer that the host fills with copyBufferToBuffer
// inside the command encoder, so several dispatches encoded back to back each see their own range
// (queue.writeBuffer would apply all writes before the whole submission). Read-only storage is
// uniform, so the step loop and the barriers inside it stay in uniform control flow. Idle
// invocations in the last workgroup integrate a clamped copy of the last particle and never store.
// When the run can cull, invocation slots map to particles in a spatial order (particleAt in
// lib/score-mixing-generate.wgsl); the noise, lambda and store follow the particle, not the slot.
//
// Compare mode (src/labs/compare.ts): the buffer holds B batches of N particles, batch b at
// particles [b N, (b + 1) N), all starting from the same X(T); particle i uses lambda =
// lambdaOf(i / N) (binding 7: B entries, then the particle order; B = 1 without compare). The noise is keyed by the index
// within the batch (i mod N), so batch b's particle j draws what a single run's particle j draws,
// and every particle's arithmetic is that of a single run of its batch's lambda. The one wrinkle is
// batchMean's skip of a measure whose coefficient is 0: that branch holds barriers, so it must be
// uniform; a measure is skipped only when its coefficient is 0 in every batch (use1/use2, from a
// loop over the read-only lambdas: uniform). Including a measure with coefficient 0 adds 0 * m1
// (a finite mean), which leaves the result bit-identical to skipping it.
//
// Blow-up detection: after the range, each particle with a non-finite coordinate (exponent bits
// all ones: inf or NaN; x != x may be folded away by fast-math compilers) increments status[0],
// and status[1] keeps max(0xFFFFFFFF - index), i.e. the first bad particle, 0 meaning none. The
// host clears status before every dispatch, so a readback describes the current positions.

override D: u32 = 2u;
override WG: u32 = 64u;
/// 0: exponential (ODE or SDE), 1: Heun in tau, 2: RK4 in tau.
override INTEGRATOR: u32 = 0u;
/// beta > 0: add the noise term (exponential integrator only).
override NOISE: bool = false;

/// Whether any grid step culls (lib/score-mixing-generate.wgsl cullAt).
override CULL: bool = false;
override CULL_DIST: bool = false;

#include "lib/rng.wgsl"
#include "lib/cull.wgsl"

#include "lib/score-mixing-generate.wgsl"

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  // LANES consecutive invocations integrate one slot's particle (lib/denoise.wgsl: Lanes); lane 0
  // stores it.
  let slot = ((wg.y * groups.x + wg.x) * WG + lid) / LANES;
  let count = params.count;
  // The particle this invocation integrates (idle slots of the last workgroup: a copy of the
  // last slot's particle, never stored).
  let src = particleAt(min(slot, count - 1u));
  var x = loadParticle(src);
  // This particle's batch and its index within the batch (what keys its noise).
  let lam = lambdaOf(src / params.batchSize);
  let own = src % params.batchSize;
  let used = measuresUsed();
  let use1 = used.x;
  let use2 = used.y;
  let h = params.h;
  let range = cursor;
  for (var k = range.x; k < range.y; k++) {
    let cf = coefs[k];
    let cull = cullAt(k);
    if (INTEGRATOR == 0u) {
      let m = batchMean(x, lam, use1, use2, cf.t, cull, lid);
      var z: array<f32, MAXD>;
      if (NOISE) {
        for (var c = 0u; c < D; c += 2u) {
          let pair = normalPair(params.seed, own, k, c / 2u);
          z[c] = pair.x;
          if (c + 1u < D) {
            z[c + 1u] = pair.y;
          }
        }
      }
      for (var c = 0u; c < D; c++) {
        x[c] = m[c] + cf.contraction * (x[c] - m[c]) + cf.sigma * z[c];
      }
    } else if (INTEGRATOR == 1u) {
      let k1 = drift(x, cf.t, cull, lid, lam, use1, use2);
      let k2 = drift(axpy(x, h, k1), cf.tNext, cull, lid, lam, use1, use2);
      for (var c = 0u; c < D; c++) {
        x[c] += (h / 2.0) * (k1[c] + k2[c]);
      }
    } else {
      let k1 = drift(x, cf.t, cull, lid, lam, use1, use2);
      let k2 = drift(axpy(x, h / 2.0, k1), cf.tHalf, cull, lid, lam, use1, use2);
      let k3 = drift(axpy(x, h / 2.0, k2), cf.tHalf, cull, lid, lam, use1, use2);
      let k4 = drift(axpy(x, h, k3), cf.tNext, cull, lid, lam, use1, use2);
      for (var c = 0u; c < D; c++) {
        x[c] += (h / 6.0) * (k1[c] + 2.0 * k2[c] + 2.0 * k3[c] + k4[c]);
      }
    }
  }
  if (slot < count && lid % LANES == 0u) {
    var bad = false;
    for (var c = 0u; c < D; c++) {
      particles[src * D + c] = x[c];
      bad = bad || !isFiniteF32(x[c]);
    }
    if (bad) {
      atomicAdd(&status[0], 1u);
      atomicMax(&status[1], 0xFFFFFFFFu - src);
    }
  }
}
