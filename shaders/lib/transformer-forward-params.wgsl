// Uniforms of the transformer's forward passes (attention-forward.wgsl, per head, and
// attention-forward-sum.wgsl, the head mean and the step), one slot per (layer, stage): the host
// packs them with TfParamsLayout (src/labs/transformer/simulation.ts); test/gpu/transformer.test.ts
// checks that both composed shaders declare exactly that layout.
//   batch, n, rows: sequences, tokens, rows (tokens + query rows); heads: H; layer: l;
//   inOff / outOff: element offsets of X^l and X^{l+1} in `states`; dt = 1/L;
//   headOff: element offset of the (layer, stage)'s slot in the per-head softmax state.

struct TfParams {
  batch: u32,
  n: u32,
  rows: u32,
  heads: u32,
  layer: u32,
  inOff: u32,
  outOff: u32,
  dt: f32,
  headOff: u32,
}
