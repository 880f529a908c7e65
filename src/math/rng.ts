// Counter-based RNG shared bit-for-bit with the WGSL kernels (shaders/lib). A counter-based
// generator lets the GPU and this float64 reference draw the same noise for (seed, particle, step)
// without any stored state, and makes runs independent of dispatch order.
// Algorithm: Threefry-2x32, 20 rounds (Salmon et al. 2011, Random123); see NUMERICS.md.

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** Threefry key-schedule parity constant (Skein). */
const SKEIN_PARITY = 0x1bd11bda;
const TWO_POW_24 = 16777216;

/** u32 rotate-left; `>>> 0` keeps JS numbers in the unsigned range the WGSL code sees. */
function rotl32(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/**
 * Threefry-2x32-20 block: the keyed bijection of a 64-bit counter that both implementations share.
 * Inputs are reduced mod 2^32 so callers can pass any integer; results are u32.
 */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  k0 >>>= 0;
  k1 >>>= 0;
  const ks = [k0, k1, (k0 ^ k1 ^ SKEIN_PARITY) >>> 0];
  let x0 = ((c0 >>> 0) + k0) >>> 0;
  let x1 = ((c1 >>> 0) + k1) >>> 0;
  for (let i = 0; i < 20; i++) {
    x0 = (x0 + x1) >>> 0;
    x1 = (rotl32(x1, ROTATIONS[i % 8]) ^ x0) >>> 0;
    if (i % 4 === 3) {
      const s = (i + 1) / 4;
      x0 = (x0 + ks[s % 3]) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3] + s) >>> 0;
    }
  }
  return [x0, x1];
}

/** Step counter of the initial draws: outside 0..steps-1, so they never collide with step noise. */
export const INITIAL_STEP = 0xffffffff;

/**
 * The two uniforms behind normals j = 2*pair and 2*pair+1. The top 24 bits plus a half keep them
 * strictly inside (0,1) (so log never sees 0) and exactly representable in f32 on the GPU.
 */
export function uniformPair(seed: number, particle: number, step: number, pair: number): [number, number] {
  const [a, b] = threefry2x32(seed, pair, particle, step);
  return [((a >>> 8) + 0.5) / TWO_POW_24, ((b >>> 8) + 0.5) / TWO_POW_24];
}

/**
 * Standard normal number j of particle `particle` at step `step` (Box-Muller on uniformPair):
 * even j takes the cosine branch, odd j the sine branch of the same pair, as the WGSL code does.
 */
export function normal(seed: number, particle: number, step: number, j: number): number {
  const [u1, u2] = uniformPair(seed, particle, step, Math.floor(j / 2));
  const radius = Math.sqrt(-2 * Math.log(u1));
  const angle = 2 * Math.PI * u2;
  return radius * (j % 2 === 0 ? Math.cos(angle) : Math.sin(angle));
}

/**
 * Fills out[off..off+d) with normals 0..d-1 of one particle/step, computing each Threefry block
 * once per pair; the hot loops of the reference sampler would otherwise hash twice per pair.
 */
export function normalsInto(
  seed: number,
  particle: number,
  step: number,
  d: number,
  out: Float64Array,
  off = 0,
): void {
  for (let j = 0; j < d; j += 2) {
    const [u1, u2] = uniformPair(seed, particle, step, j / 2);
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    out[off + j] = radius * Math.cos(angle);
    if (j + 1 < d) out[off + j + 1] = radius * Math.sin(angle);
  }
}
