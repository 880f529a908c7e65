// What both generation kernels share (generate.wgsl: fixed steps; generate-adaptive.wgsl: error
// control): the parameters and per-step constants the host packs (gpu-common.ts derives both
// layouts), the bindings 2-7, and the drift f(tau, y) = -(y - m_lam(e^-tau, y))/2 with a lambda per
// particle (compare mode). Included after lib/cull.wgsl and the overrides D, WG, CULL and CULL_DIST.
//
// Small t: below params.cullBelow (a grid time, so the choice is uniform per grid step) the
// denoisers skip atom tiles whose contribution is below eps of the kept mass (lib/cull.wgsl:
// |m - m(dense)| <= n eps diam(atoms), eps = 2^-cut); cullBelow = 0 keeps every step dense. A
// particle's result depends only on its own kept tiles, not on which particles share its
// workgroup, so compare batches, chunked and restored runs stay bit-identical.

/// count: all particles (batches x batchSize); tol: the adaptive kernel's tolerance (unused by
/// the fixed-step kernel).
struct GenerateParams {
  count: u32,
  n1: u32,
  n2: u32,
  seed: u32,
  batchSize: u32,
  batches: u32,
  h: f32,
  tol: f32,
  cullBelow: f32,
  cut: f32,
}

/// Per grid step k (t_k -> t_{k+1}); float64 on the CPU, rounded once.
struct StepCoef {
  t: f32,
  tHalf: f32,
  tNext: f32,
  contraction: f32,
  sigma: f32,
  pad0: f32,
  pad1: f32,
  pad2: f32,
}

@group(0) @binding(2) var<uniform> params: GenerateParams;
@group(0) @binding(3) var<storage, read> coefs: array<StepCoef>;
/// [first step, end step) of this dispatch.
@group(0) @binding(4) var<storage, read> cursor: vec2u;
@group(0) @binding(5) var<storage, read_write> particles: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>, 2>;
/// The bits of each batch's lambda (compare mode; one entry without it: lambdaOf); with CULL, then
/// the particle order (particleAt: entry batches + slot is the particle that slot integrates). u32
/// words, so the order's small integers are never f32 subnormals that a GPU may flush.
@group(0) @binding(7) var<storage, read> batchWords: array<u32>;

/// lambda of batch b.
fn lambdaOf(b: u32) -> f32 {
  return bitcast<f32>(batchWords[b]);
}

#include "lib/finite.wgsl"

/// Whether grid step k's drift evaluations cull (header): uniform, from the grid time t_k. With the
/// override CULL false (the host's choice when cullBelow = 0) the culled path is dead code that the
/// compiler drops, so kernels that never cull do not pay its compile time.
fn cullAt(k: u32) -> bool {
  return CULL && coefs[k].t < params.cullBelow;
}

/// Tweedie mean of measure k (0 or 1) at (t, y), culled or dense; `cull` must be uniform.
fn measureMean(y: array<f32, MAXD>, k: u32, t: f32, cull: bool, lid: u32) -> array<f32, MAXD> {
  if (cull) {
    var pairs = 0u;
    return denoiseCulled(y, cullRanges(params.n1, params.n2)[k], t, params.cut, lid, &pairs).mean;
  }
  let first = select(params.n1, 0u, k == 0u);
  let n = select(params.n2, params.n1, k == 0u);
  return denoise(y, first, n, t, lid).mean;
}

/// m_lam = lambda m1 + (1 - lambda) m2 with a per-particle lambda; use1/use2 and cull must be
/// uniform (the denoisers hold barriers): use1/use2 false only when the coefficient is 0 in every
/// batch.
fn batchMean(y: array<f32, MAXD>, lambda: f32, use1: bool, use2: bool, t: f32, cull: bool, lid: u32) -> array<f32, MAXD> {
  var m: array<f32, MAXD>;
  if (use1) {
    let m1 = measureMean(y, 0u, t, cull, lid);
    for (var c = 0u; c < D; c++) {
      m[c] = lambda * m1[c];
    }
  }
  if (use2) {
    let m2 = measureMean(y, 1u, t, cull, lid);
    let mu = 1.0 - lambda;
    for (var c = 0u; c < D; c++) {
      m[c] += mu * m2[c];
    }
  }
  return m;
}

/// f(tau, y) = -(y - m_lam(t, y))/2 at stage time t = e^-tau.
fn drift(y: array<f32, MAXD>, t: f32, cull: bool, lid: u32, lambda: f32, use1: bool, use2: bool) -> array<f32, MAXD> {
  let m = batchMean(y, lambda, use1, use2, t, cull, lid);
  var f: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    f[c] = -0.5 * (y[c] - m[c]);
  }
  return f;
}

/// y + s f
fn axpy(y: array<f32, MAXD>, s: f32, f: array<f32, MAXD>) -> array<f32, MAXD> {
  var out: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    out[c] = y[c] + s * f[c];
  }
  return out;
}

/// The particle that invocation slot `slot` integrates. With CULL the host orders each batch's
/// particles by a k-d tree of x0 (one leaf per workgroup), so a workgroup's particles start near
/// each other and stay near under the flow: the tiles their votes keep are fewer than for 64
/// scattered particles. A particle's result depends only on its own kept tiles (lib/cull.wgsl),
/// so the order changes the work, not the results. The order lives after the lambdas because the
/// adaptive kernel already binds 8 storage buffers (the WebGPU default limit). Without CULL the
/// order is the identity and is not uploaded.
fn particleAt(slot: u32) -> u32 {
  if (CULL) {
    return batchWords[params.batches + slot];
  }
  return slot;
}

/// Particle src's coordinates.
fn loadParticle(src: u32) -> array<f32, MAXD> {
  var x: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    x[c] = particles[src * D + c];
  }
  return x;
}

/// Whether some batch weighs measure 1 (x) and measure 2 (y): uniform, so a measure is skipped
/// (with its barriers) only when its coefficient is 0 in every batch.
fn measuresUsed() -> vec2<bool> {
  var use1 = false;
  var use2 = false;
  for (var b = 0u; b < params.batches; b++) {
    use1 = use1 || lambdaOf(b) != 0.0;
    use2 = use2 || lambdaOf(b) != 1.0;
  }
  return vec2<bool>(use1, use2);
}
