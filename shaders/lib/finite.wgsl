// Finite-value test shared by the kernels that detect blow-up (generation, primal-dual dynamics,
// the transformer readout) and the render kernels that hide non-finite points; and +Infinity, the
// bilevel margin where a condition cannot fail.
// Exponent bits all ones means inf or NaN. A bit test, because compilers may fold float
// comparisons with NaN away (x != x is not reliable under fast-math-like optimisation).

fn isFiniteF32(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

/// +Infinity (exponent bits all ones, zero mantissa); a let-bound bit pattern, since a constant
/// expression that overflows f32 is a shader-creation error.
fn positiveInfinityF32() -> f32 {
  let bits = 0x7f800000u;
  return bitcast<f32>(bits);
}
