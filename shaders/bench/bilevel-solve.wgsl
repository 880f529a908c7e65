// BENCHMARK BASELINE ONLY (bench/bilevel.ts): shaders/bilevel/solve.wgsl as it was before issue 13
// item 4, kept verbatim below this paragraph so the bench can print today's kernel's rate against
// it measured in the same run. Same bindings, overrides and layouts as today's kernel
// (BilevelSimulation.create's kernel option selects either).
//
// The bilevel lab's lower-level solve: one invocation per pixel x = (x1[i1], x2[i2]) of the N x N
// map, rows i1 in [params.rowStart, params.rowEnd), solving the family's problem exactly as the
// float64 reference does (src/labs/bilevel/reference.ts solvePixel; NUMERICS.md has the math):
//
//   FAMILY 0 qp    min 1/2 |y - p(x)|^2 + q^T y  s.t. a_i^T y <= b_i(x) + d_i (the polygon)
//   FAMILY 1 disk  min 1/2 |y - x|^2 + q^T y     s.t. |y|^2 - 1 <= d_1
//   FAMILY 2 abs   min 1/2 (y + 3)^2 + q_1 y     s.t. x1 - y <= d_1, -x1 - y <= d_2
//   FAMILY 3 cusp  min y^4/4 + x1 y^2/2 + (x2 + q_1) y
//   FAMILY 4 lp    min (cos phi(x), sin phi(x))^T y + q^T y over the polygon
//
// Polygon families enumerate the candidate active sets in the reference's order (QP: empty,
// singles, the non-parallel pairs; LP: the pairs only), solve each in closed form (2 x 2 systems
// with det +-1 or +-2) and keep the least KKT violation max(0, -min slack, -min mu), the first one
// on ties (strict <). Active constraints get slack 0 exactly. Disk and abs are closed forms; the
// cusp's global minimiser is -sign(b) times the largest root z of z^3 + x1 z - |b| (b = x2 + q_1,
// b = 0 reports the negative minimiser). Margins (LICQ, SCSC, SOSC) use the reference's
// definitions; +Infinity where a condition cannot fail (cusp LICQ/SCSC, m = 0).
//
// Outputs for pixel k = i1 N + i2: y[k NY ..], mu[k M ..] (nothing for the cusp, M = 0: the host
// binds a dummy buffer), margins[3k ..], codes[k] = active-set bits 0..3 | (margin_c < tau) << (8 + c).
// Fail counts: per-workgroup atomics, then one atomicAdd per condition and workgroup into counts
// (exact integers); out-of-range invocations only skip the work, so the barrier stays in uniform
// control flow.
//
// Numerics (float32): the host passes the pixel centres (float64, rounded once) and q, d, tau
// (rounded once), so the inputs are the float64 ones to half an ulp. Every formula is O(10)
// operations on O(1..10) values: y, mu and the margins carry a few ulps of the largest
// intermediate (~1e-6 absolute) except where the problem itself is ill-conditioned, which is
// exactly where a margin is small, i.e. at flagged pixels (the candidate choice and the disk's
// inside/outside test only differ from float64 where two candidates are both KKT to rounding,
// i.e. where some slack or multiplier is ~0). Platform sin/cos are avoided (WGSL promises 2^-11
// absolute): p(x)'s sin(1.5 x2) and the LP angle's (cos, sin) come from lib/sincos.wgsl (a few
// ulps; phi itself, up to ~12, is rounded to ~1e-6). The cusp's closed form (Cardano, or the
// trigonometric form with three real roots) uses WGSL exp2/log2/acos, whose accuracy is not
// trusted: the estimate is inflated to z (1 + 2^-8) + 2^-60, which is above the largest root
// whenever the estimate is within 2^-8 (WGSL's acos, 4096 ulps, and cos, 2^-11, put the
// trigonometric form within ~2^-9.4; exp2(log2(v)/3) is far better). That is checked, not assumed:
// for z > 0, f(z) = z^3 + a z - c > 0 exactly above the largest root when c >= 0 (the other roots
// are <= 0); if the check fails, the crude bound sqrt(max(0, -a)) + max(c, 1) >= sqrt(max(0, -a)) +
// cbrt(c) >= root is used, with up to 64 Newton steps instead of 4. Newton steps from above
// converge monotonically to the largest root, because f is convex for z > 0 and f' > 0 there
// (f'(root) = 3 y^2 + x1, the SOSC margin; it vanishes only at the origin). They stop when
// f(z) <= 0 or the step stops decreasing z: a few ulps of the root.

#include "lib/sincos.wgsl"
#include "lib/finite.wgsl"

/// 0 qp, 1 disk, 2 abs, 3 cusp, 4 lp (FAMILY_INDEX in src/labs/bilevel/simulation.ts).
override FAMILY: u32 = 0u;
/// dim y and m of the family (FAMILY_DIMS in src/labs/bilevel/types.ts).
override NY: u32 = select(2u, 1u, FAMILY == 2u || FAMILY == 3u);
override M: u32 = select(select(4u, 1u, FAMILY == 1u), select(0u, 2u, FAMILY == 2u), FAMILY == 2u || FAMILY == 3u);

const WG_X: u32 = 8u;
const WG_Y: u32 = 8u;

struct BilevelParams {
  n: u32,
  rowStart: u32,
  rowEnd: u32,
  tau: f32,
  q0: f32,
  q1: f32,
  d0: f32,
  d1: f32,
  d2: f32,
  d3: f32,
}

/// n, tau, q, d written once by the host; rowStart, rowEnd copied in before each dispatch.
@group(0) @binding(0) var<uniform> params: BilevelParams;
/// Pixel centres x1[0..n) then x2[0..n).
@group(0) @binding(1) var<storage, read> centres: array<f32>;
@group(0) @binding(2) var<storage, read_write> yOut: array<f32>;
@group(0) @binding(3) var<storage, read_write> muOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> margins: array<f32>;
@group(0) @binding(5) var<storage, read_write> codes: array<u32>;
/// Fail counts (LICQ, SCSC, SOSC), cleared by the host before a full solve.
@group(0) @binding(6) var<storage, read_write> counts: array<atomic<u32>, 3>;

var<workgroup> wgFails: array<atomic<u32>, 3>;

struct Pixel {
  y: vec2f,
  mu: vec4f,
  activeSet: u32,
  /// LICQ, SCSC, SOSC.
  margins: vec3f,
}

// ---- the polygon (qp, lp) ----

/// Constraint normals a_i: floor, right roof, left roof, ceiling.
const NORMALS = array<vec2f, 4>(vec2f(0.0, -1.0), vec2f(1.0, 1.0), vec2f(-1.0, 1.0), vec2f(0.0, 1.0));
/// Candidate active sets as bitmasks, in the reference's order (QP_CANDIDATES); the LP uses 5..9.
const CANDIDATES = array<u32, 10>(0u, 1u, 2u, 4u, 8u, 3u, 5u, 6u, 10u, 12u);
/// sigma_|S|(J_S) of each constraint subset S (bitmask): |a_i| for singles, the 2 x 2 sigma_min
/// of rowRankSigma for pairs ({1, 4} parallel: 0), 0 for three or more rows in R^2.
const SIGMA_GOLDEN: f32 = 0.6180339887498949; // pairs with |det| = 1, |J|_F^2 = 3: 1 / golden ratio
const SUBSET_SIGMA = array<f32, 16>(
  0.0, 1.0, 1.4142135623730951, SIGMA_GOLDEN,
  1.4142135623730951, SIGMA_GOLDEN, 1.4142135623730951, 0.0,
  1.0, 0.0, SIGMA_GOLDEN, 0.0,
  SIGMA_GOLDEN, 0.0, 0.0, 0.0,
);

fn solvePolygon(lp: bool, x1: f32, x2: f32) -> Pixel {
  let c = vec4f(1.0 + params.d0, 1.0 + params.d1, 1.0 + params.d2, 0.6 + 0.3 * x2 + 0.2 * x1 * x1 + params.d3);
  let s15 = sinCosF32(1.5 * x2);
  let y0 = vec2f(2.0 * x1 + 0.5 * s15.x - params.q0, 2.0 * x2 + 0.25 * x1 * x1 - 0.5 - params.q1);
  var w = vec2f(0.0);
  if (lp) {
    let sc = sinCosF32(2.0 * x1 + x2 + 0.3 * x1 * x2);
    w = vec2f(sc.y + params.q0, sc.x + params.q1);
  }
  var best: Pixel;
  var bestSlack = vec4f(0.0);
  var bestViolation = positiveInfinityF32();
  for (var s = select(0u, 5u, lp); s < 10u; s++) {
    let mask = CANDIDATES[s];
    var y = y0;
    var mu = vec4f(0.0);
    if (countOneBits(mask) == 1u) {
      let i = firstTrailingBit(mask);
      let a = NORMALS[i];
      let t = (dot(a, y0) - c[i]) / dot(a, a);
      mu[i] = t;
      y = y0 - t * a;
    } else if (mask != 0u) {
      let i = firstTrailingBit(mask);
      let j = firstLeadingBit(mask);
      let ai = NORMALS[i];
      let aj = NORMALS[j];
      let det = ai.x * aj.y - ai.y * aj.x;
      y = vec2f((c[i] * aj.y - c[j] * ai.y) / det, (ai.x * c[j] - aj.x * c[i]) / det);
      // Stationarity: (QP) y0 - y = mu_i a_i + mu_j a_j; (LP) -w = mu_i a_i + mu_j a_j.
      let r = select(y0 - y, -w, lp);
      mu[i] = (r.x * aj.y - r.y * aj.x) / det;
      mu[j] = (ai.x * r.y - ai.y * r.x) / det;
    }
    var slack: vec4f;
    var violation = 0.0;
    for (var i = 0u; i < 4u; i++) {
      slack[i] = select(c[i] - dot(NORMALS[i], y), 0.0, ((mask >> i) & 1u) != 0u);
      violation = max(violation, max(-slack[i], -mu[i]));
    }
    if (violation < bestViolation) {
      best = Pixel(y, mu, mask, vec3f(0.0));
      bestSlack = slack;
      bestViolation = violation;
    }
  }
  // LICQ: min over non-empty subsets S of max(max_{i in S} s_i, sigma_|S|(J_S)).
  var licq = positiveInfinityF32();
  for (var mask = 1u; mask < 16u; mask++) {
    var maxSlack = 0.0;
    for (var i = 0u; i < 4u; i++) {
      if (((mask >> i) & 1u) != 0u) {
        maxSlack = max(maxSlack, bestSlack[i]);
      }
    }
    licq = min(licq, max(maxSlack, SUBSET_SIGMA[mask]));
  }
  let scscTerms = best.mu + bestSlack;
  let scsc = min(min(scscTerms.x, scscTerms.y), min(scscTerms.z, scscTerms.w));
  var sosc = 1.0;
  if (lp) {
    // Least multiplier of the active constraints (the LP's Hessian is 0: the critical cone must be {0}).
    var m = positiveInfinityF32();
    for (var i = 0u; i < 4u; i++) {
      if (((best.activeSet >> i) & 1u) != 0u) {
        m = min(m, best.mu[i]);
      }
    }
    sosc = max(0.0, m);
  }
  best.margins = vec3f(licq, scsc, sosc);
  return best;
}

// ---- closed-form families ----

fn solveDisk(x1: f32, x2: f32) -> Pixel {
  let radius2 = 1.0 + params.d0;
  let radius = sqrt(radius2);
  let z = vec2f(x1 - params.q0, x2 - params.q1);
  let r2 = dot(z, z);
  let r = sqrt(r2);
  var out: Pixel;
  var slack = 0.0;
  var mu = 0.0;
  if (r < radius) {
    out.y = z;
    slack = radius2 - r2;
    out.activeSet = 0u;
  } else {
    out.y = z * (radius / r);
    mu = (r / radius - 1.0) / 2.0;
    out.activeSet = 1u;
  }
  out.mu = vec4f(mu, 0.0, 0.0, 0.0);
  // LICQ of one constraint: max(slack, |grad|), grad = 2 y.
  out.margins = vec3f(max(slack, 2.0 * length(out.y)), mu + slack, 1.0 + 2.0 * mu);
  return out;
}

fn solveAbs(x1: f32) -> Pixel {
  let y0 = -3.0 - params.q0;
  let lo1 = x1 - params.d0;
  let lo2 = -x1 - params.d1;
  let y = max(max(y0, lo1), lo2);
  let g = y + 3.0 + params.q0;
  var out: Pixel;
  out.y = vec2f(y, 0.0);
  out.mu = vec4f(0.0);
  out.activeSet = 0u;
  if (y > y0) {
    if (lo1 > lo2) {
      out.mu = vec4f(g, 0.0, 0.0, 0.0);
      out.activeSet = 1u;
    } else if (lo2 > lo1) {
      out.mu = vec4f(0.0, g, 0.0, 0.0);
      out.activeSet = 2u;
    } else {
      // The tie lo1 = lo2 (LICQ fails): the minimum-norm multipliers, as the reference.
      out.mu = vec4f(g / 2.0, g / 2.0, 0.0, 0.0);
      out.activeSet = 3u;
    }
  }
  let s1 = select(y - lo1, 0.0, (out.activeSet & 1u) != 0u);
  let s2 = select(y - lo2, 0.0, (out.activeSet & 2u) != 0u);
  // LICQ: singles max(s_i, 1); the pair (two rows in R^1) max(s1, s2).
  let licq = min(min(max(s1, 1.0), max(s2, 1.0)), max(s1, s2));
  out.margins = vec3f(licq, min(out.mu.x + s1, out.mu.y + s2), 1.0);
  return out;
}

fn cbrtNonNegative(v: f32) -> f32 {
  if (v <= 0.0) {
    return 0.0;
  }
  return exp2(log2(v) * (1.0 / 3.0));
}

/// f(z) = z^3 + a z - c.
fn cubic(z: f32, a: f32, c: f32) -> f32 {
  return (z * z + a) * z - c;
}

/// The largest real root of z^3 + a z - c = 0 for c >= 0 (reference.ts largestCubicRoot).
fn largestCubicRoot(a: f32, c: f32) -> f32 {
  let D = c * c / 4.0 + a * a * a / 27.0;
  var z: f32;
  if (D >= 0.0) {
    let A = cbrtNonNegative(c / 2.0 + sqrt(D));
    if (A == 0.0) {
      return 0.0;
    }
    let B = a / (3.0 * A);
    z = select(A - B, c / (A * A + A * B + B * B), a > 0.0);
  } else {
    let r = sqrt(-a / 3.0);
    let cosTheta = min(1.0, c / 2.0 / (r * r * r));
    z = 2.0 * r * sinCosF32(acos(cosTheta) / 3.0).y;
  }
  // An upper bound on the root (see the header), then Newton from above.
  var zu = z * (1.0 + 1.0 / 256.0) + 8.673617379884035e-19;
  var steps = 4u;
  if (!(zu > 0.0 && cubic(zu, a, c) > 0.0)) {
    zu = sqrt(max(0.0, -a)) + max(c, 1.0);
    steps = 64u;
  }
  for (var k = 0u; k < steps; k++) {
    let f = cubic(zu, a, c);
    let fp = 3.0 * zu * zu + a;
    if (!(f > 0.0 && fp > 0.0)) {
      break;
    }
    let next = zu - f / fp;
    if (!(next < zu)) {
      break;
    }
    zu = next;
  }
  return zu;
}

fn solveCusp(x1: f32, x2: f32) -> Pixel {
  let b = x2 + params.q0;
  let z = largestCubicRoot(x1, abs(b));
  let y = select(z, -z, b >= 0.0);
  let inf = positiveInfinityF32();
  return Pixel(vec2f(y, 0.0), vec4f(0.0), 0u, vec3f(inf, inf, max(0.0, 3.0 * y * y + x1)));
}

fn solvePixel(x1: f32, x2: f32) -> Pixel {
  switch (FAMILY) {
    case 0u: { return solvePolygon(false, x1, x2); }
    case 1u: { return solveDisk(x1, x2); }
    case 2u: { return solveAbs(x1); }
    case 3u: { return solveCusp(x1, x2); }
    default: { return solvePolygon(true, x1, x2); }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let i2 = gid.x;
  let i1 = params.rowStart + gid.y;
  let inBounds = i2 < n && i1 < params.rowEnd;
  if (inBounds) {
    let px = solvePixel(centres[i1], centres[n + i2]);
    let k = i1 * n + i2;
    for (var j = 0u; j < NY; j++) {
      yOut[k * NY + j] = px.y[j];
    }
    for (var j = 0u; j < M; j++) {
      muOut[k * M + j] = px.mu[j];
    }
    var code = px.activeSet;
    for (var c = 0u; c < 3u; c++) {
      margins[3u * k + c] = px.margins[c];
      if (px.margins[c] < params.tau) {
        code |= 1u << (8u + c);
        atomicAdd(&wgFails[c], 1u);
      }
    }
    codes[k] = code;
  }
  workgroupBarrier();
  if (lid == 0u) {
    for (var c = 0u; c < 3u; c++) {
      let v = atomicLoad(&wgFails[c]);
      if (v != 0u) {
        atomicAdd(&counts[c], v);
      }
    }
  }
}
