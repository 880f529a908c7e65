// How many trail slots a page keeps per particle: model-side, because the memory estimates
// (src/labs/<lab>/memory.ts) count the trail buffers the page's projector will allocate.

/** Trail slots: longer trails for fewer particles (memory and fill rate grow with count * L). */
export function trailLengthFor(count: number): number {
  return count <= 20_000 ? 32 : count <= 200_000 ? 16 : 8;
}
