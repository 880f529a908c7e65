// BENCHMARK BASELINE ONLY: shaders/lib/transformer-backward-params.wgsl before issue 13 item 3
// (BwParams with its last field `pad`), included by shaders/bench/transformer-*.wgsl. Verbatim.
//
// Uniforms shared by the backward passes of the transformer (attention-vjp-rows,
// attention-vjp-keys, head-gradients, and sphere-project with zOff = offset of X^{l+1}), one slot
// per (layer, stage): the host packs them with
// BwParamsLayout (src/labs/transformer/backward.ts); test/gpu/transformer-backward.test.ts checks
// that each composed shader declares exactly that layout.
//   batch, n, rows: sequences, tokens, rows (tokens + query rows); heads: H; layer: l;
//   zOff: element offset of the attended state Z in its buffer; uScale: cotangent scale (dt/H).

struct BwParams {
  batch: u32,
  n: u32,
  rows: u32,
  heads: u32,
  layer: u32,
  zOff: u32,
  uScale: f32,
  pad: u32,
}
