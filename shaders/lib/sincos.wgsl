// sin and cos of an f32 argument to a few ulps, independent of the platform's sin/cos.
//
// WGSL only promises sin/cos to 2^-11 absolute on [-pi, pi] (and nothing outside), and
// SwiftShader really is that coarse, so kernels whose results are compared with a float64
// reference evaluate them here (lib/rng.wgsl does the same for its quarter turns).
//
// Algorithm (Cody & Waite 1980; the constants and polynomials are Cephes' sinf/cosf):
//  * k = round(x 2/pi) and r = ((x - k P1) - k P2) - k P3 with pi/2 = P1 + P2 + P3 + 1.8e-15,
//    P1 = 1.5703125 (8 significant bits) and P2 = 4.837512969970703125e-4 (11 bits): for
//    |k| <= 2^12 the products k P1, k P2 are exact and x - k P1 is exact (Sterbenz), so r carries
//    only the rounding of the last two subtractions (~1 ulp of r) plus |k| 2e-15 absolute. Fused
//    multiply-adds, where a compiler contracts them, only make this more accurate.
//  * |r| <= pi/4 (a rounding of k at a quadrant boundary overshoots by an ulp, which the
//    polynomials tolerate): sin r = r + r^3 P_s(r^2), cos r = 1 - r^2/2 + r^4 P_c(r^2), the Cephes
//    minimax polynomials, each within ~1 ulp on [-pi/4, pi/4].
//  * The quadrant k mod 4 permutes and negates (sin r, cos r).
// Accuracy: within 2 ulps of the result plus the reduced argument's absolute error (|k| 2e-15 and
// ~1 ulp of r, below 1e-13 for |x| <= 16), which only shows next to a zero of sin or cos.
// test/gpu/bilevel-solve.test.ts checks this on [-16, 16] against Math.sin/cos of the same f32
// input (SwiftShader: at most 1.43 ulps where |value| > 1e-3, 5e-14 absolute at cos(-3 pi/2)).

const SINCOS_TWO_OVER_PI: f32 = 0.6366197723675814;
const SINCOS_P1: f32 = 1.5703125;
const SINCOS_P2: f32 = 4.837512969970703125e-4;
const SINCOS_P3: f32 = 7.54978995489188216e-8;

/// (sin x, cos x) for |x| <= ~4000, to a few ulps.
fn sinCosF32(x: f32) -> vec2f {
  let k = round(x * SINCOS_TWO_OVER_PI);
  let r = ((x - k * SINCOS_P1) - k * SINCOS_P2) - k * SINCOS_P3;
  let z = r * r;
  let sn = r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
  let cs = 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
  switch (i32(k) & 3) {
    case 0: { return vec2f(sn, cs); }
    case 1: { return vec2f(cs, -sn); }
    case 2: { return vec2f(-sn, -cs); }
    default: { return vec2f(-cs, sn); }
  }
}
