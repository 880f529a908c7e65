// mulberry32: a tiny deterministic PRNG for test and self-test inputs (uniform in [0, 1)). Not the
// simulations' noise, which is the counter-based RNG of rng.ts / shaders/lib/rng.wgsl.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
