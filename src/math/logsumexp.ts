// Online log-sum-exp in float64. Logits like -|x-y|^2/(4t) reach -1e11 at small t, so sums of
// exp(logit) underflow to 0 unless the running maximum is subtracted; the WGSL kernels use the
// same streaming form (running max, rescale on growth), so this mirrors their arithmetic.

/**
 * Streaming accumulator of log sum_j exp(l_j). After each `add` the caller rescales anything it
 * accumulates alongside (e.g. a weighted sum of atoms) by `scale`, then adds the returned weight:
 * that keeps the caller's sums expressed relative to the current maximum, like `sum`.
 */
export class OnlineLogSumExp {
  /** Running maximum of the logits seen so far (-Infinity when empty). */
  max = -Infinity;
  /** sum_j exp(l_j - max). */
  sum = 0;
  /** Factor the last `add` applied to earlier terms (1 unless the maximum grew). */
  scale = 1;

  /** Empties the accumulator so one instance can serve many queries without allocation. */
  reset(): void {
    this.max = -Infinity;
    this.sum = 0;
    this.scale = 1;
  }

  /** Adds one logit; returns exp(logit - max) after the update, the term's own weight. */
  add(logit: number): number {
    // exp(-inf) is 0: nothing changes (and -inf - -inf, NaN, never forms while empty).
    if (logit === -Infinity) {
      this.scale = 1;
      return 0;
    }
    if (logit > this.max) {
      // First term: nothing accumulated yet, so earlier sums are zero whatever the factor; say 0.
      this.scale = this.max === -Infinity ? 0 : Math.exp(this.max - logit);
      this.sum = this.sum * this.scale + 1;
      this.max = logit;
      return 1;
    }
    this.scale = 1;
    const e = Math.exp(logit - this.max);
    this.sum += e;
    return e;
  }

  /** log sum exp, formed in the log domain (max + log sum) so it stays exact when sum exp underflows. */
  get value(): number {
    return this.max + Math.log(this.sum);
  }
}

/** One-shot log-sum-exp of an array, for tests and small helpers. */
export function logSumExp(logits: ArrayLike<number>): number {
  const acc = new OnlineLogSumExp();
  for (let i = 0; i < logits.length; i++) acc.add(logits[i]);
  return acc.value;
}
