// Adaptive generation: advances every particle through the steps [cursor.x, cursor.y) of the
// geometric grid t_k = T (tMin/T)^(k/K), in place, in one dispatch, taking error-controlled
// substeps of an embedded Runge-Kutta pair in tau = -log t inside every grid interval
// (NUMERICS.md "Adaptive integrator"; the float64 twin is AdaptiveStepper in
// src/labs/score-mixing/adaptive.ts, driven per particle by ReferenceSampler). The grid stays the
// output grid, so frames, chunked dispatches and restores work as for the fixed-step kernel.
//
// The pair: Bogacki-Shampine 3(2), FSAL, 3 new drift evaluations per trial step, for
// f(tau, x) = -(x - m_lam(e^-tau, x))/2. Why not Dormand-Prince 5(4) (6 per step): the field turns
// sharply where particles slide along bisectors at small t (a width ~t in x), and there the step is
// held by stability and by the turn, not by the order, so a fifth-order step is not longer than a
// third-order one but costs twice the evaluations per step (measured in float64 on the
// lambda = 2.5 guidance case of the unit test, same controller: DP5 needs 1.6x BS3's drift
// evaluations at tol 1e-4, 1.5x at 1e-6); and the float32 drift carries relative rounding ~1e-7
// times the softmax's conditioning |x - y|^2/(4t), a floor (1e-7 .. 1e-6) that a fifth-order pair
// cannot get under either. A third-order pair also keeps the register file small (4 stage vectors
// of MAXD floats, not 7). tol below the float32 floor: the error estimate then measures rounding
// noise (~h delta for a drift noise delta), so the controller shrinks h until h delta <= tol; the
// run gets slower, never wrong (guidance case, tol 1e-8: 2.1x the float64 twin's evaluations, the
// error stays at 1.1e-7), until a particle runs out of MAX_ATTEMPTS trial steps in one interval
// and the run fails.
//
// Rules, in this order for every particle and interval, identical in the float64 twin: start with
// the first stage at (t_k, x) and trial step h = H (the whole interval; nothing carries over
// between intervals, so dispatch chunking and restores cannot change a result); a trial step
// reaching within 1% of the interval's rest lands on its end; err = max_j |h (e . k)_j| /
// (tol (1 + max(|x_j|, |x'_j|))); accept when err <= 1, or when err or x' is not finite (the
// particle blew up: it keeps its non-finite state, ends the interval, and the blow-up check sees
// it); h' = h min(5, max(0.2, 0.9 max(err, 1e-10)^(-1/3))), growth at most 1 after a rejection.
// Stage times are t_k exp(-(s + c h)) with s the tau elapsed in the interval (f32; t_k from the
// float64 grid).
//
// Uniform control flow: every drift evaluation streams the atoms through workgroup memory with
// barriers (lib/denoise.wgsl), so all invocations of a workgroup run the same number of
// evaluations. Each particle has its own controller; the substep loop runs until every particle
// of the workgroup has finished the interval (a workgroup counter of busy particles, read through
// workgroupUniformLoad, is the loop condition), finished particles evaluating masked (select) and
// not advancing. Cost: a workgroup pays 1 + 3 (max over its particles of the trial steps) drift
// evaluations per interval; the stats count both this lock-step cost and each particle's own.
// Chosen over one step size per workgroup because then every particle's path depends only on its
// own state (the same on any workgroup size, and the float64 twin needs no grouping), at the
// price of masked work where one particle of the 64 needs many more substeps than the others.
//
// Failure: when a particle still has not finished after MAX_ATTEMPTS trial steps the loop stops
// (the iteration count is uniform), the particle is set to NaN, stats[8] counts it and stats[9]
// keeps max(0xFFFFFFFF - index); the host names it ("raise tol or steps") and the page's blow-up
// check pauses the run. Statistics (stats, never cleared by the kernel: totals since the host last
// cleared them) are 64-bit sums as (lo, hi) u32 pairs: accepted steps [0,1], rejected [2,3], each
// particle's drift evaluations [4,5], lock-step evaluations [6,7]. Idle invocations in the last
// workgroup integrate a clamped copy of the last particle, never store and count nothing.
// Blow-up detection (status) and compare mode (B batches of N particles, lambda per batch from
// `lambdas`, a measure skipped only when every batch's coefficient is 0) are the fixed-step
// kernel's. Each particle's path depends only on its own state and lambda, so a batch's particles
// take exactly the substeps of a single run; only the lock-step count can differ (a workgroup that
// straddles two batches runs until the slower one's particles are done).

override D: u32 = 2u;
override WG: u32 = 64u;
/// Trial steps per particle and grid interval before the particle is given up (MAX_ATTEMPTS in adaptive.ts).
override MAX_ATTEMPTS: u32 = 4096u;

/// Whether any grid step culls (lib/score-mixing-generate.wgsl cullAt).
override CULL: bool = false;
override CULL_DIST: bool = false;

#include "lib/cull.wgsl"

#include "lib/score-mixing-generate.wgsl"

@group(0) @binding(8) var<storage, read_write> stats: array<atomic<u32>, 10>;

/// Busy particles of this workgroup (counted afresh every trial step), and its copy for workgroupUniformLoad.
var<workgroup> busyCount: atomic<u32>;
var<workgroup> busyShared: u32;

// Controller (adaptive.ts: ADAPTIVE_SAFETY, _GROW, _SHRINK, _ERR_FLOOR, _LANDING).
const SAFETY: f32 = 0.9;
const GROW: f32 = 5.0;
const SHRINK: f32 = 0.2;
const ERR_FLOOR: f32 = 1e-10;
const LANDING: f32 = 1.01;
/// -1/(q + 1) for the embedded order q = 2.
const EXPONENT: f32 = -0.33333334;

/// stats[i] (lo) and stats[i + 1] (hi) += n, with the carry.
fn add64(i: u32, n: u32) {
  let old = atomicAdd(&stats[i], n);
  if (old > 0xFFFFFFFFu - n) {
    atomicAdd(&stats[i + 1u], 1u);
  }
}

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
  let lam = lambdaOf(src / params.batchSize);
  let used = measuresUsed();
  let use1 = used.x;
  let use2 = used.y;
  let H = params.h;
  let tol = params.tol;
  var accepted = 0u;
  var rejected = 0u;
  var evaluations = 0u;
  var lockstep = 0u;
  var capped = false;
  let range = cursor;
  for (var k = range.x; k < range.y; k++) {
    let tK = coefs[k].t;
    // Culling by the grid time t_k (uniform), for every substep of this grid interval.
    let cull = cullAt(k);
    var k1 = drift(x, tK, cull, lid, lam, use1, use2);
    var s = 0.0;
    var h = H;
    var busy = true;
    var attempts = 0u;
    var iterations = 0u;
    loop {
      // Uniform loop condition: is any particle of the workgroup still inside the interval?
      if (lid == 0u) {
        atomicStore(&busyCount, 0u);
      }
      workgroupBarrier();
      if (busy) {
        atomicAdd(&busyCount, 1u);
      }
      workgroupBarrier();
      if (lid == 0u) {
        busyShared = atomicLoad(&busyCount);
      }
      let anyBusy = workgroupUniformLoad(&busyShared);
      if (anyBusy == 0u || iterations == MAX_ATTEMPTS) {
        break;
      }
      iterations++;

      let rest = H - s;
      let landing = h * LANDING >= rest;
      let hs = select(h, rest, landing);
      let k2 = drift(axpy(x, 0.5 * hs, k1), tK * exp(-(s + 0.5 * hs)), cull, lid, lam, use1, use2);
      let k3 = drift(axpy(x, 0.75 * hs, k2), tK * exp(-(s + 0.75 * hs)), cull, lid, lam, use1, use2);
      var xn: array<f32, MAXD>;
      for (var c = 0u; c < D; c++) {
        xn[c] = x[c] + hs * ((2.0 / 9.0) * k1[c] + (1.0 / 3.0) * k2[c] + (4.0 / 9.0) * k3[c]);
      }
      let k4 = drift(xn, tK * exp(-(s + hs)), cull, lid, lam, use1, use2);

      var err = 0.0;
      var bad = false;
      for (var c = 0u; c < D; c++) {
        let e = hs * ((2.0 / 9.0 - 7.0 / 24.0) * k1[c] + (1.0 / 12.0) * k2[c] + (1.0 / 9.0) * k3[c] - 0.125 * k4[c]);
        let scale = tol * (1.0 + max(abs(x[c]), abs(xn[c])));
        err = max(err, abs(e) / scale);
        bad = bad || !isFiniteF32(xn[c]);
      }
      bad = bad || !isFiniteF32(err);
      let factor = min(GROW, max(SHRINK, SAFETY * pow(max(err, ERR_FLOOR), EXPONENT)));
      let accept = busy && (err <= 1.0 || bad);
      let finished = accept && (landing || bad);
      if (busy) {
        attempts++;
        if (accept) {
          accepted++;
        } else {
          rejected++;
        }
      }
      for (var c = 0u; c < D; c++) {
        x[c] = select(x[c], xn[c], accept);
        k1[c] = select(k1[c], k4[c], accept);
      }
      s = select(s, s + hs, accept);
      h = select(select(h, hs * min(1.0, factor), busy), hs * factor, accept);
      busy = busy && !finished;
    }
    evaluations += 1u + 3u * attempts;
    lockstep += 1u + 3u * iterations;
    if (busy) {
      // Out of trial steps: give the particle up visibly (the blow-up check names it).
      capped = true;
      let nan = bitcast<f32>(0x7FC00000u | (count & 0u));
      for (var c = 0u; c < D; c++) {
        x[c] = nan;
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
    if (range.y > range.x) {
      add64(0u, accepted);
      add64(2u, rejected);
      add64(4u, evaluations);
      add64(6u, lockstep);
    }
    if (capped) {
      atomicAdd(&stats[8], 1u);
      atomicMax(&stats[9], 0xFFFFFFFFu - src);
    }
  }
}
