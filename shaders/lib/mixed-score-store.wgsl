// The query loads and the outputs of the mixed-score kernels (mixed-score.wgsl, mixed-score-culled.wgsl,
// mixed-score-split.wgsl) for query i of count, from the two measures' denoised results:
//   [0, cD) m1 | [cD, 2cD) m2 | [2cD, 3cD) m_lam | [3cD, 4cD) score | [4cD, 4cD+c) log u1 |
//   [4cD+c, 4cD+2c) log u2        with c = count, each vector section count*D row-major,
// m_lam = lambda m1 + (1 - lambda) m2 and the mixed score s = -(x - m_lam)/(2t).
// Contract: the including kernel declares `override D`, `queries: array<f32>` (count*D,
// row-major), `result: array<f32>` (read_write) and
// includes lib/denoise.wgsl (Denoised, MAXD) first.

/// Query i, clamped to the last one (idle invocations work on a copy so barriers stay uniform).
fn loadQuery(i: u32, count: u32) -> array<f32, MAXD> {
  let src = min(i, count - 1u);
  var x: array<f32, MAXD>;
  for (var c = 0u; c < D; c++) {
    x[c] = queries[src * D + c];
  }
  return x;
}

fn storeMixedScore(i: u32, count: u32, x: array<f32, MAXD>, r1: Denoised, r2: Denoised, lambda: f32, t: f32) {
  let stride = count * D;
  let inv2t = 1.0 / (2.0 * t);
  for (var c = 0u; c < D; c++) {
    let m = lambda * r1.mean[c] + (1.0 - lambda) * r2.mean[c];
    let at = i * D + c;
    result[at] = r1.mean[c];
    result[stride + at] = r2.mean[c];
    result[2u * stride + at] = m;
    result[3u * stride + at] = -(x[c] - m) * inv2t;
  }
  result[4u * stride + i] = r1.logU;
  result[4u * stride + count + i] = r2.logU;
}
