// BENCHMARK BASELINE ONLY (bench/primal-dual.ts): shaders/primal-dual/dynamics.wgsl as it was
// before issue 13 item 4, kept verbatim below this paragraph so the bench can print today's kernel's
// rate against it measured in the same run. Same bindings, overrides, struct layouts and buffer
// layouts as today's kernel (PrimalDualSimulation binds either: tuning.shader).
//
// Nesterov accelerated primal-dual dynamics: advances every trajectory through the steps
// [cursor.x, cursor.y) of the uniform grid t_k = t0 + k h, in place, in one dispatch
// (src/labs/primal-dual/NUMERICS.md; the float64 twin is PrimalDualReference in reference.ts).
//
// One invocation per trajectory; the state stays in registers (private arrays) for the whole
// step range. Integration is in error coordinates e = x - x*, l = lambda - lambda* about the
// float64 KKT point, so A x - b = A e keeps full relative precision however small it gets, and
// the force uses the cancellation-free gradient difference g(e) = grad f(x* + e) - grad f(x*)
// (quartic e (a^2 + ab + b^2); Hölder e / (sqrt|a| + sqrt|b|) for equal signs; exp
// e^{x*} expm1(e) with a series expm1; quadratic Q e). Position updates are Kahan-compensated
// (the compensation lives in the state buffer, so chunking a run never changes its bits).
//
// INTEGRATOR 0, the rotation-exact step (stable for any h theta t s sigma(A)):
//   z += h/2 v;  F = F0(z);  v = d v - hs F;  Cayley (I + kM) v' = (I - kM) v;
//   v = d (v - hs F);  z += h/2 v
// with the Cayley solve (I + k^2 A A^T) q = rhs done as U diag(1/(1 + k^2 sigma^2)) U^T rhs
// (A A^T = U diag(sigma^2) U^T from the host, float64 then rounded). INTEGRATOR 1: classical RK4
// on (z, v). INTEGRATOR 2 (suzuki4): SUBSTEPS = 5 rotation substeps of lengths p h, p h,
// (1 - 4p) h (backwards), p h, p h, p = 1/(4 - 4^(1/3)): Suzuki's symmetric fourth-order
// composition, each substep the rotation step above with its own constants. Per-(sub)step
// constants (d, k, hs, drift, stage coefficients) come in float64-rounded `coefs`, SUBSTEPS
// entries per grid step (step k's substep j at k * SUBSTEPS + j; t_k, s(t_k) at k * SUBSTEPS).
//
// Compare mode (src/labs/primal-dual/batches.ts): the buffers hold B batches of params.perBatch
// trajectories, all stepped by the same dispatches; trajectory i belongs to batch
// floor(i / perBatch), whose parameters (alpha, theta, beta, p and the derived xi, cG) are entry
// `b` of `batch` and whose step constants are the StepCoef entries [b coefStride, (b + 1) coefStride).
// The time grid, and so the step range, is shared; B = 1 without compare mode.
//
// Diagnostics: after every step the energy identity's right-hand side dE/dt is evaluated at the
// new time and integrated by the trapezoid rule (Kahan-summed) into the state; at the end of the
// dispatch each trajectory writes E, G, ||A e||, f - f*, the defect E - E(t0) - integral and
// Q = lambda + theta t lambda' - theta^2 t^2 s A e into `diag` at t = t_{cursor.y}.
//
// The step range reaches the kernel through a tiny storage buffer the host fills with
// copyBufferToBuffer inside the command encoder (as generate.wgsl), so dispatches encoded back
// to back see their own ranges. Blow-up detection as generate.wgsl: status[0] counts trajectories
// with a non-finite state entry, status[1] = max(0xFFFFFFFF - index).

override N: u32 = 4u;
override M: u32 = 2u;
override WG: u32 = 64u;
/// 0: rotation-exact step, 1: RK4, 2: suzuki4 (SUBSTEPS rotation substeps).
override INTEGRATOR: u32 = 0u;
/// StepCoef entries per grid step: the rotation substeps (1 for rotation and RK4, 5 for suzuki4).
override SUBSTEPS: u32 = 1u;
/// 0: quartic, 1: Hölder-3/2, 2: exp, 3: quadratic.
override OBJECTIVE: u32 = 0u;

const MAXN = 16u;
const MAXM = 16u;

struct PdParams {
  count: u32,
  perBatch: u32,
  coefStride: u32,
  h: f32,
}

/// One batch's dynamics parameters; xi = theta (alpha - 1) - 1, cG = 1 - 2 theta - theta p.
struct PdBatch {
  alpha: f32,
  theta: f32,
  beta: f32,
  p: f32,
  xi: f32,
  cG: f32,
}

/// Per grid point k and rotation substep (float64 on the CPU, rounded once); the last entry holds
/// t = T for the diagnostics. drift is the (sub)step's half length (negative when it runs backwards).
struct StepCoef {
  t: f32,
  s: f32,
  damp: f32,
  kRot: f32,
  hs: f32,
  aMid: f32,
  wMid: f32,
  sMid: f32,
  drift: f32,
}

@group(0) @binding(0) var<uniform> params: PdParams;
/// A (M x N) | U (M x M) | sigma^2 (M) | base (N) | Q (N x N) | lambda* (M), f32, row-major.
@group(0) @binding(1) var<storage, read> prob: array<f32>;
@group(0) @binding(2) var<storage, read> coefs: array<StepCoef>;
/// [first step, end step) of this dispatch.
@group(0) @binding(3) var<storage, read> cursor: vec2u;
/// Per trajectory: e (N) | l (M) | vx (N) | vl (M) | ce (N) | cl (M) | E0 | I | Icomp | rate.
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
/// Per trajectory: E | G | ||A e|| | f - f* | defect | Q (M).
@group(0) @binding(5) var<storage, read_write> diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>, 2>;
/// Per batch (B entries).
@group(0) @binding(7) var<storage, read> batch: array<PdBatch>;

#include "lib/finite.wgsl"

fn offU() -> u32 { return M * N; }
fn offS() -> u32 { return M * N + M * M; }
fn offB() -> u32 { return M * N + M * M + M; }
fn offQ() -> u32 { return M * N + M * M + M + N; }
fn offL() -> u32 { return M * N + M * M + M + N + N * N; }
fn stride() -> u32 { return 3u * (N + M) + 4u; }
fn dstride() -> u32 { return 5u + M; }
fn amat(i: u32, j: u32) -> f32 { return prob[i * N + j]; }

var<private> e: array<f32, MAXN>;
var<private> l: array<f32, MAXM>;
var<private> vx: array<f32, MAXN>;
var<private> vl: array<f32, MAXM>;
var<private> ce: array<f32, MAXN>;
var<private> cl: array<f32, MAXM>;
// Force F0 at the last force() call, and A e.
var<private> fx: array<f32, MAXN>;
var<private> fl: array<f32, MAXM>;
var<private> ae: array<f32, MAXM>;
// This invocation's batch parameters.
var<private> bp: PdBatch;

/// e^u - 1, accurate for small |u| (series below 1/2; the tail is < 3e-9 relative).
fn expm1f(u: f32) -> f32 {
  if (abs(u) < 0.5) {
    return u * (1.0 + u / 2.0 * (1.0 + u / 3.0 * (1.0 + u / 4.0 * (1.0 + u / 5.0 * (1.0 + u / 6.0 * (1.0 + u / 7.0 * (1.0 + u / 8.0 * (1.0 + u / 9.0))))))));
  }
  return exp(u) - 1.0;
}

/// e^u - 1 - u without cancellation.
fn expm1mf(u: f32) -> f32 {
  if (abs(u) < 0.5) {
    return u * u / 2.0 * (1.0 + u / 3.0 * (1.0 + u / 4.0 * (1.0 + u / 5.0 * (1.0 + u / 6.0 * (1.0 + u / 7.0 * (1.0 + u / 8.0 * (1.0 + u / 9.0 * (1.0 + u / 10.0))))))));
  }
  return exp(u) - 1.0 - u;
}

/// g_i(e) = d/dx_i f(x* + e) - d/dx_i f(x*) for the separable kinds; b = base_i.
fn gradDiff1(b: f32, d: f32) -> f32 {
  if (OBJECTIVE == 0u) {
    let a = b + d;
    return d * (a * a + a * b + b * b);
  } else if (OBJECTIVE == 1u) {
    let a = b + d;
    let sa = sqrt(abs(a));
    let sb = sqrt(abs(b));
    if (a * b > 0.0) {
      return d / (sa + sb);
    }
    return sign(a) * sa - sign(b) * sb;
  }
  return b * expm1f(d);
}

/// D_f(x* + e, x*) (rev = false) or D_f(x*, x* + e) (rev = true), one coordinate.
fn bregman1(b: f32, d: f32, rev: bool) -> f32 {
  if (OBJECTIVE == 0u) {
    let p = select(b, b + d, rev);
    let q = select(2.0 * p + d, 2.0 * p - d, rev);
    return d * d * (2.0 * p * p + q * q) / 4.0;
  } else if (OBJECTIVE == 1u) {
    let a = b + d;
    let sa = sqrt(abs(a));
    let sb = sqrt(abs(b));
    let sp = select(sa, sb, rev);
    let sq = select(sb, sa, rev);
    if (a * b > 0.0) {
      let g = d / (sa + sb);
      return g * g * (2.0 * sp + sq) / 3.0;
    }
    return (2.0 / 3.0) * sp * sp * sp + sq * sp * sp + sq * sq * sq / 3.0;
  }
  if (rev) {
    return b * exp(d) * expm1mf(-d);
  }
  return b * expm1mf(d);
}

fn bregman(ee: array<f32, MAXN>, rev: bool) -> f32 {
  var s = 0.0;
  if (OBJECTIVE == 3u) {
    for (var i = 0u; i < N; i++) {
      var qe = 0.0;
      for (var j = 0u; j < N; j++) {
        qe += prob[offQ() + i * N + j] * ee[j];
      }
      s += 0.5 * ee[i] * qe;
    }
    return s;
  }
  for (var i = 0u; i < N; i++) {
    s += bregman1(prob[offB() + i], ee[i], rev);
  }
  return s;
}

/// fx = g(e) + A^T (l + beta A e), fl = -A e, ae = A e.
fn force(ee: array<f32, MAXN>, ll: array<f32, MAXM>) {
  var tmp: array<f32, MAXM>;
  for (var i = 0u; i < M; i++) {
    var s = 0.0;
    for (var j = 0u; j < N; j++) {
      s += amat(i, j) * ee[j];
    }
    ae[i] = s;
    fl[i] = -s;
    tmp[i] = ll[i] + bp.beta * s;
  }
  for (var j = 0u; j < N; j++) {
    var g = 0.0;
    if (OBJECTIVE == 3u) {
      for (var k = 0u; k < N; k++) {
        g += prob[offQ() + j * N + k] * ee[k];
      }
    } else {
      g = gradDiff1(prob[offB() + j], ee[j]);
    }
    for (var i = 0u; i < M; i++) {
      g += amat(i, j) * tmp[i];
    }
    fx[j] = g;
  }
}

/// Kahan: x += d with compensation c.
fn kahanE(i: u32, d: f32) {
  let y = d - ce[i];
  let t = e[i] + y;
  ce[i] = (t - e[i]) - y;
  e[i] = t;
}

fn kahanL(i: u32, d: f32) {
  let y = d - cl[i];
  let t = l[i] + y;
  cl[i] = (t - l[i]) - y;
  l[i] = t;
}

/// Cayley rotation (I + kM) v' = (I - kM) v of the private vx, vl.
fn cayley(k: f32) {
  var r1: array<f32, MAXN>;
  for (var j = 0u; j < N; j++) {
    var s = 0.0;
    for (var i = 0u; i < M; i++) {
      s += amat(i, j) * vl[i];
    }
    r1[j] = vx[j] - k * s;
  }
  var rhs: array<f32, MAXM>;
  for (var i = 0u; i < M; i++) {
    var s = 0.0;
    for (var j = 0u; j < N; j++) {
      s += amat(i, j) * (vx[j] + r1[j]);
    }
    rhs[i] = vl[i] + k * s;
  }
  var c: array<f32, MAXM>;
  for (var j = 0u; j < M; j++) {
    var s = 0.0;
    for (var i = 0u; i < M; i++) {
      s += prob[offU() + i * M + j] * rhs[i];
    }
    c[j] = s / (1.0 + k * k * prob[offS() + j]);
  }
  for (var i = 0u; i < M; i++) {
    var s = 0.0;
    for (var j = 0u; j < M; j++) {
      s += prob[offU() + i * M + j] * c[j];
    }
    vl[i] = s;
  }
  for (var j = 0u; j < N; j++) {
    var s = 0.0;
    for (var i = 0u; i < M; i++) {
      s += amat(i, j) * vl[i];
    }
    vx[j] = r1[j] - k * s;
  }
}

fn rotationStep(cf: StepCoef) {
  let hh = cf.drift;
  for (var i = 0u; i < N; i++) {
    kahanE(i, hh * vx[i]);
  }
  for (var i = 0u; i < M; i++) {
    kahanL(i, hh * vl[i]);
  }
  force(e, l);
  for (var i = 0u; i < N; i++) {
    vx[i] = cf.damp * vx[i] - cf.hs * fx[i];
  }
  for (var i = 0u; i < M; i++) {
    vl[i] = cf.damp * vl[i] - cf.hs * fl[i];
  }
  cayley(cf.kRot);
  for (var i = 0u; i < N; i++) {
    vx[i] = cf.damp * (vx[i] - cf.hs * fx[i]);
  }
  for (var i = 0u; i < M; i++) {
    vl[i] = cf.damp * (vl[i] - cf.hs * fl[i]);
  }
  for (var i = 0u; i < N; i++) {
    kahanE(i, hh * vx[i]);
  }
  for (var i = 0u; i < M; i++) {
    kahanL(i, hh * vl[i]);
  }
}

/// Velocity derivative at (ye, yl, ux, ul): -a u - w M u - s F0, M u = (A^T ul, -A ux).
struct Accel {
  x: array<f32, MAXN>,
  l: array<f32, MAXM>,
}

fn accel(ye: array<f32, MAXN>, yl: array<f32, MAXM>, ux: array<f32, MAXN>, ul: array<f32, MAXM>, a: f32, w: f32, s: f32) -> Accel {
  force(ye, yl);
  var out: Accel;
  for (var j = 0u; j < N; j++) {
    var atl = 0.0;
    for (var i = 0u; i < M; i++) {
      atl += amat(i, j) * ul[i];
    }
    out.x[j] = -a * ux[j] - w * atl - s * fx[j];
  }
  for (var i = 0u; i < M; i++) {
    var au = 0.0;
    for (var j = 0u; j < N; j++) {
      au += amat(i, j) * ux[j];
    }
    out.l[i] = -a * ul[i] + w * au - s * fl[i];
  }
  return out;
}

fn rk4Step(c0: StepCoef, c1: StepCoef) {
  let h = params.h;
  let th = bp.theta;
  // Stage coefficients: a = alpha/t, w = theta t s, s at t_k, t_k + h/2, t_{k+1}.
  let a = array<f32, 3>(bp.alpha / c0.t, c0.aMid, bp.alpha / c1.t);
  let w = array<f32, 3>(th * c0.t * c0.s, c0.wMid, th * c1.t * c1.s);
  let s = array<f32, 3>(c0.s, c0.sMid, c1.s);
  let cstage = array<f32, 4>(0.0, 0.5, 0.5, 1.0);
  let wstage = array<f32, 4>(1.0, 2.0, 2.0, 1.0);
  let sidx = array<u32, 4>(0u, 1u, 1u, 2u);
  var dE: array<f32, MAXN>;
  var dL: array<f32, MAXM>;
  var dX: array<f32, MAXN>;
  var dY: array<f32, MAXM>;
  // Previous stage derivative (k_{j-1}): positions' derivative is the stage velocity.
  var kx: array<f32, MAXN>;
  var kl: array<f32, MAXM>;
  var kvx: array<f32, MAXN>;
  var kvl: array<f32, MAXM>;
  for (var st = 0u; st < 4u; st++) {
    let c = cstage[st] * h;
    var ye: array<f32, MAXN>;
    var yl: array<f32, MAXM>;
    var ux: array<f32, MAXN>;
    var ul: array<f32, MAXM>;
    for (var j = 0u; j < N; j++) {
      ye[j] = e[j] + c * kx[j];
      ux[j] = vx[j] + c * kvx[j];
    }
    for (var i = 0u; i < M; i++) {
      yl[i] = l[i] + c * kl[i];
      ul[i] = vl[i] + c * kvl[i];
    }
    let acc = accel(ye, yl, ux, ul, a[sidx[st]], w[sidx[st]], s[sidx[st]]);
    kx = ux;
    kl = ul;
    kvx = acc.x;
    kvl = acc.l;
    let wt = wstage[st];
    for (var j = 0u; j < N; j++) {
      dE[j] += wt * kx[j];
      dX[j] += wt * kvx[j];
    }
    for (var i = 0u; i < M; i++) {
      dL[i] += wt * kl[i];
      dY[i] += wt * kvl[i];
    }
  }
  let h6 = h / 6.0;
  for (var j = 0u; j < N; j++) {
    kahanE(j, h6 * dE[j]);
    vx[j] += h6 * dX[j];
  }
  for (var i = 0u; i < M; i++) {
    kahanL(i, h6 * dL[i]);
    vl[i] += h6 * dY[i];
  }
}

struct Diag {
  energy: f32,
  gap: f32,
  res2: f32,
  objective: f32,
  rate: f32,
}

/// Diagnostics of the private state at time t (scaling s = t^p).
fn diagnostics(t: f32, s: f32) -> Diag {
  let th = bp.theta;
  var r2 = 0.0;
  var lae = 0.0;
  for (var i = 0u; i < M; i++) {
    var a = 0.0;
    for (var j = 0u; j < N; j++) {
      a += amat(i, j) * e[j];
    }
    ae[i] = a;
    r2 += a * a;
    lae += prob[offL() + i] * a;
  }
  let D = bregman(e, false);
  let Dr = bregman(e, true);
  let G = D + 0.5 * bp.beta * r2;
  var w2 = 0.0;
  var z2 = 0.0;
  var v2 = 0.0;
  for (var j = 0u; j < N; j++) {
    let u = e[j] + th * t * vx[j];
    w2 += u * u;
    z2 += e[j] * e[j];
    v2 += vx[j] * vx[j];
  }
  for (var i = 0u; i < M; i++) {
    let u = l[i] + th * t * vl[i];
    w2 += u * u;
    z2 += l[i] * l[i];
    v2 += vl[i] * vl[i];
  }
  var out: Diag;
  out.energy = th * th * t * t * s * G + 0.5 * w2 + 0.5 * bp.xi * z2;
  out.gap = G;
  out.res2 = r2;
  out.objective = D - lae;
  out.rate = -th * t * s * (bp.cG * G + Dr + 0.5 * bp.beta * r2) - bp.xi * th * t * v2;
  return out;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * groups.x + wg.x) * WG + lid;
  let count = params.count;
  let src = min(i, count - 1u);
  bp = batch[src / params.perBatch];
  let cb = (src / params.perBatch) * params.coefStride;
  let base = src * stride();
  for (var j = 0u; j < N; j++) {
    e[j] = state[base + j];
    vx[j] = state[base + N + M + j];
    ce[j] = state[base + 2u * (N + M) + j];
  }
  for (var j = 0u; j < M; j++) {
    l[j] = state[base + N + j];
    vl[j] = state[base + 2u * N + M + j];
    cl[j] = state[base + 2u * (N + M) + N + j];
  }
  let aux = base + 3u * (N + M);
  let E0 = state[aux];
  var integral = state[aux + 1u];
  var icomp = state[aux + 2u];
  var rate = state[aux + 3u];
  let range = cursor;
  let hh = 0.5 * params.h;
  for (var k = range.x; k < range.y; k++) {
    let c0 = coefs[cb + k * SUBSTEPS];
    let c1 = coefs[cb + (k + 1u) * SUBSTEPS];
    if (INTEGRATOR == 1u) {
      rk4Step(c0, c1);
    } else {
      for (var j = 0u; j < SUBSTEPS; j++) {
        rotationStep(coefs[cb + k * SUBSTEPS + j]);
      }
    }
    let d = diagnostics(c1.t, c1.s);
    let y = hh * (rate + d.rate) - icomp;
    let tsum = integral + y;
    icomp = (tsum - integral) - y;
    integral = tsum;
    rate = d.rate;
  }
  let cEnd = coefs[cb + range.y * SUBSTEPS];
  let d = diagnostics(cEnd.t, cEnd.s);
  if (i < count) {
    var bad = false;
    for (var j = 0u; j < N; j++) {
      state[base + j] = e[j];
      state[base + N + M + j] = vx[j];
      state[base + 2u * (N + M) + j] = ce[j];
      bad = bad || !isFiniteF32(e[j]) || !isFiniteF32(vx[j]);
    }
    for (var j = 0u; j < M; j++) {
      state[base + N + j] = l[j];
      state[base + 2u * N + M + j] = vl[j];
      state[base + 2u * (N + M) + N + j] = cl[j];
      bad = bad || !isFiniteF32(l[j]) || !isFiniteF32(vl[j]);
    }
    state[aux + 1u] = integral;
    state[aux + 2u] = icomp;
    state[aux + 3u] = rate;
    let th = bp.theta;
    let dbase = i * dstride();
    diag[dbase] = d.energy;
    diag[dbase + 1u] = d.gap;
    diag[dbase + 2u] = sqrt(d.res2);
    diag[dbase + 3u] = d.objective;
    diag[dbase + 4u] = (d.energy - E0) - integral;
    for (var j = 0u; j < M; j++) {
      diag[dbase + 5u + j] = prob[offL() + j] + l[j] + th * cEnd.t * vl[j] - th * th * cEnd.t * cEnd.t * cEnd.s * ae[j];
    }
    if (bad) {
      atomicAdd(&status[0], 1u);
      atomicMax(&status[1], 0xFFFFFFFFu - i);
    }
  }
}
