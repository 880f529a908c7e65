// Counter-based normal numbers, bit-identical in their integer part to src/math/rng.ts.
//
// Algorithm: Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw 2011, "Parallel random
// numbers: as easy as 1, 2, 3"; Random123). A keyed bijection of a 64-bit counter: with key
// (seed, pair) and counter (particle, step) every particle and step gets independent noise with no
// stored state, so the GPU and the float64 reference draw the same numbers in any dispatch order.
// All arithmetic is u32, i.e. mod 2^32, exactly as NUMERICS.md specifies.
//
// Numerics of normal(): u = ((bits >> 8) + 0.5) / 2^24 is in (0,1) and Box-Muller gives
// z = sqrt(-2 ln u1) * cos/sin(2 pi u2). WGSL lets log be off by 2^-21 absolute near 1 and
// sin/cos by 2^-11 absolute (SwiftShader really is that coarse: |dz| ~ 1e-3), which would make
// the noise platform-dependent. So both are evaluated here from the integers, to a few ulps:
//  * ln u1: for a' = a >> 8 >= 2^23, u1 = 1 - w with w = (2^24 - a' - 1/2)/2^24 exact in f32
//    (u1 itself would need 25 bits), ln u1 = 2 atanh(-w/(2 - w)); below, u1 is exact and
//    ln u1 = e ln 2 + 2 atanh((f - 1)/(f + 1)) with u1 = f 2^e, f in [sqrt(1/2), sqrt(2)).
//    The atanh series runs on |s| <= 1/3 and is truncated after s^17 (error < 2e-9).
//  * sin/cos(2 pi u2): with c = u2 - 1/2 = ((b' - 2^23) + 1/2)/2^24 (exact), the quarter-turn
//    reduction r = c - q/4 is exact, |2 pi r| <= pi/4, and Taylor polynomials to a^9 / a^8 are
//    accurate to < 3e-8; cos(2 pi u2) = -cos(2 pi c), sin likewise.

const THREEFRY_PARITY: u32 = 0x1BD11BDAu;

fn rotl32(x: u32, r: u32) -> u32 {
  return (x << r) | (x >> (32u - r));
}

/// Threefry-2x32-20 of counter (c0, c1) under key (k0, k1).
fn threefry2x32(k0: u32, k1: u32, c0: u32, c1: u32) -> vec2u {
  let ks = array<u32, 3>(k0, k1, k0 ^ k1 ^ THREEFRY_PARITY);
  let rot = array<u32, 8>(13u, 15u, 26u, 6u, 17u, 29u, 16u, 24u);
  var x0 = c0 + k0;
  var x1 = c1 + k1;
  for (var s = 1u; s <= 5u; s++) {
    // Four rounds with rotations R[4(s-1) mod 8 ..], then key injection s.
    let r0 = ((s - 1u) % 2u) * 4u;
    for (var i = 0u; i < 4u; i++) {
      x0 += x1;
      x1 = rotl32(x1, rot[r0 + i]) ^ x0;
    }
    x0 += ks[s % 3u];
    x1 += ks[(s + 1u) % 3u] + s;
  }
  return vec2u(x0, x1);
}

/// 2 atanh(s) = ln((1 + s)/(1 - s)) for |s| <= 1/3.
fn twoAtanh(s: f32) -> f32 {
  let s2 = s * s;
  var p = 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  return 2.0 * s + 2.0 * s * s2 * p;
}

/// ln(((a' + 1/2) / 2^24) for a' = bits >> 8 in [0, 2^24), without rounding u1 first.
fn logUniform(top: u32) -> f32 {
  if (top >= 8388608u) {
    let w = (f32(16777216u - top) - 0.5) * (1.0 / 16777216.0);
    return twoAtanh(-w / (2.0 - w));
  }
  let u = (f32(top) + 0.5) * (1.0 / 16777216.0);
  let fe = frexp(u);
  let small = fe.fract < 0.70710678;
  let f = select(fe.fract, 2.0 * fe.fract, small);
  let e = f32(select(fe.exp, fe.exp - 1, small));
  return e * 0.6931471805599453 + twoAtanh((f - 1.0) / (f + 1.0));
}

/// (sin, cos)(2 pi c) for c in [-1/2, 1/2] (a multiple of 2^-25), by exact quarter-turn reduction.
fn sinCosTurns(c: f32) -> vec2f {
  let q = round(4.0 * c);
  let a = (c - 0.25 * q) * 6.283185307179586;
  let a2 = a * a;
  let sn = a * (1.0 + a2 * (-1.0 / 6.0 + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362880.0)))));
  let cs = 1.0 + a2 * (-0.5 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0))));
  switch (i32(q) & 3) {
    case 0: { return vec2f(sn, cs); }
    case 1: { return vec2f(cs, -sn); }
    case 2: { return vec2f(-sn, -cs); }
    default: { return vec2f(-cs, sn); }
  }
}

/// Both Box-Muller normals of pair `pair` (j = 2 pair -> .x (cos), j = 2 pair + 1 -> .y (sin)).
fn normalPair(seed: u32, particle: u32, step: u32, pair: u32) -> vec2f {
  let ab = threefry2x32(seed, pair, particle, step);
  let radius = sqrt(-2.0 * logUniform(ab.x >> 8u));
  // u2 - 1/2, exact: an integer in [-2^23, 2^23) plus a half has at most 24 significant bits.
  let centred = (f32(i32(ab.y >> 8u) - 8388608) + 0.5) * (1.0 / 16777216.0);
  let sc = sinCosTurns(centred);
  return vec2f(-radius * sc.y, -radius * sc.x);
}

/// Standard normal number j of `particle` at `step` with `seed` (NUMERICS.md "Noise").
fn normal(seed: u32, particle: u32, step: u32, j: u32) -> f32 {
  let z = normalPair(seed, particle, step, j / 2u);
  return select(z.y, z.x, j % 2u == 0u);
}
