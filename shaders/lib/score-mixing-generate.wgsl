// What both generation kernels share (generate.wgsl: fixed steps; generate-adaptive.wgsl: error
// control): the parameters and per-step constants the host packs (gpu-common.ts derives both
// layouts), the bindings 2-7, and the drift f(tau, y) = -(y - m_lam(e^-tau, y))/2 with a lambda per
// particle (compare mode). Included after lib/denoise.wgsl and the overrides D and WG.

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
/// lambda of each batch (compare mode; one entry without it).
@group(0) @binding(7) var<storage, read> lambdas: array<f32>;

#include "lib/finite.wgsl"

/// m_lam = lambda m1 + (1 - lambda) m2 with a per-particle lambda; use1/use2 must be uniform (the
/// denoisers hold barriers): false only when the coefficient is 0 in every batch.
fn batchMean(y: array<f32, MAXD>, lambda: f32, use1: bool, use2: bool, t: f32, lid: u32) -> array<f32, MAXD> {
  var m: array<f32, MAXD>;
  if (use1) {
    let r1 = denoise(y, 0u, params.n1, t, lid);
    for (var c = 0u; c < D; c++) {
      m[c] = lambda * r1.mean[c];
    }
  }
  if (use2) {
    let r2 = denoise(y, params.n1, params.n2, t, lid);
    let mu = 1.0 - lambda;
    for (var c = 0u; c < D; c++) {
      m[c] += mu * r2.mean[c];
    }
  }
  return m;
}

/// f(tau, y) = -(y - m_lam(t, y))/2 at stage time t = e^-tau.
fn drift(y: array<f32, MAXD>, t: f32, lid: u32, lambda: f32, use1: bool, use2: bool) -> array<f32, MAXD> {
  let m = batchMean(y, lambda, use1, use2, t, lid);
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
    use1 = use1 || lambdas[b] != 0.0;
    use2 = use2 || lambdas[b] != 1.0;
  }
  return vec2<bool>(use1, use2);
}
