// The adaptive integrator of the score-mixing lab in float64 (NUMERICS.md "Adaptive integrator"):
// an embedded Runge-Kutta pair in tau = -log t with error control, taking substeps inside each
// interval [tau_k, tau_{k+1}] of the config's grid, which stays the output grid. The GPU twin is
// shaders/score-mixing/generate-adaptive.wgsl; both follow the same rules in the same order for
// every particle, so they take the same decisions wherever the error estimate is not within
// float32 rounding of the acceptance threshold:
//   - each interval starts afresh: first trial step = the whole interval H, first stage evaluated
//     at the interval start (nothing carries across intervals, so how the host chunks step ranges
//     into dispatches, or where a run is restored, cannot change the result);
//   - a trial step that would leave less than 1% of the interval lands on its end instead;
//   - err = max_j |h (e . k)_j| / (tol (1 + max(|x_j|, |x'_j|))), accepted when err <= 1 or when err
//     or x' is not finite (the state itself blew up: the step is taken, the interval ends, and the
//     blow-up checks downstream see it);
//   - next trial h' = h min(5, max(0.2, 0.9 max(err, 1e-10)^(-1/(q+1)))), growth capped at 1 after
//     a rejection; q the embedded order;
//   - at most MAX_ATTEMPTS trial steps per particle and interval, then a clear failure.
// The pair is generic here (tests measure both pairs' orders); the lab runs Bogacki-Shampine 3(2),
// the pair the kernel hard-codes (its header says why).

/** An explicit embedded pair with the FSAL property: the last stage is evaluated at the new solution. */
export interface EmbeddedPair {
  name: string;
  /** Order of the propagated solution. */
  order: number;
  /** Order of the embedded solution (the controller's exponent is 1/(q + 1)). */
  embeddedOrder: number;
  /** Stage nodes c_i, i = 0..s-1; c_{s-1} = 1 (the FSAL stage). */
  c: readonly number[];
  /** a[i][j], j < i; row s-1 holds the solution weights b (FSAL). */
  a: readonly (readonly number[])[];
  /** Error weights b - b_hat over all s stages. */
  e: readonly number[];
}

/** Bogacki and Shampine (1989): third order, second-order embedded, 3 new evaluations per step. */
export const BOGACKI_SHAMPINE: EmbeddedPair = {
  name: 'Bogacki-Shampine 3(2)',
  order: 3,
  embeddedOrder: 2,
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  // b = (2/9, 1/3, 4/9, 0), b_hat = (7/24, 1/4, 1/3, 1/8).
  e: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
};

/** Dormand and Prince (1980): fifth order, fourth-order embedded, 6 new evaluations per step. */
export const DORMAND_PRINCE: EmbeddedPair = {
  name: 'Dormand-Prince 5(4)',
  order: 5,
  embeddedOrder: 4,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  e: [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
};

/** Controller constants, the same in generate-adaptive.wgsl. */
export const ADAPTIVE_SAFETY = 0.9;
export const ADAPTIVE_GROW = 5;
export const ADAPTIVE_SHRINK = 0.2;
/** err is floored here before the power, so err = 0 gives the largest growth, not pow(0, -p). */
export const ADAPTIVE_ERR_FLOOR = 1e-10;
/** A trial step reaching within this fraction of the rest of the interval lands on its end. */
export const ADAPTIVE_LANDING = 1.01;
/** Trial steps (accepted + rejected) per particle and grid interval before the run fails. */
export const MAX_ATTEMPTS = 4096;
/** Particles per workgroup of the kernel: the grouping of the lock-step cost (lockstepEvaluations). */
export const ADAPTIVE_WORKGROUP = 64;

/** Work done by the adaptive integrator, summed over particles (and over the intervals run). */
export interface AdaptiveStats {
  acceptedSteps: number;
  rejectedSteps: number;
  /** Drift evaluations each particle needed (1 per interval + (s - 1) per trial step). */
  driftEvaluations: number;
  /**
   * Drift evaluations the kernel executes per particle: a workgroup of ADAPTIVE_WORKGROUP particles
   * runs in lock step until its slowest particle finishes the interval (finished ones masked).
   */
  lockstepEvaluations: number;
}

export function emptyStats(): AdaptiveStats {
  return { acceptedSteps: 0, rejectedSteps: 0, driftEvaluations: 0, lockstepEvaluations: 0 };
}

/** The drift in tau at heat time t = e^-tau: out = f(y). */
export type TauDrift = (t: number, y: Float64Array, out: Float64Array) => void;

/** What one particle's interval took; `capped` means MAX_ATTEMPTS ran out before the end. */
export interface IntervalResult {
  accepted: number;
  rejected: number;
  capped: boolean;
  /** err of the last trial step (the norm above; tests measure the estimate's order with it). */
  lastErr: number;
}

/**
 * One particle through one grid interval: x (length d, overwritten) from heat time tK over the
 * tau-length H, with tolerance tol. Allocates its stage scratch once per instance.
 */
export class AdaptiveStepper {
  private readonly k: Float64Array[];
  private readonly y: Float64Array;
  private readonly xNew: Float64Array;
  private readonly exponent: number;

  constructor(
    readonly pair: EmbeddedPair,
    readonly d: number,
    private readonly drift: TauDrift,
    readonly maxAttempts = MAX_ATTEMPTS,
  ) {
    this.k = pair.c.map(() => new Float64Array(d));
    this.y = new Float64Array(d);
    this.xNew = new Float64Array(d);
    this.exponent = -1 / (pair.embeddedOrder + 1);
  }

  /** Drift evaluations of an interval with this many trial steps. */
  evaluations(attempts: number): number {
    return 1 + (this.pair.c.length - 1) * attempts;
  }

  interval(x: Float64Array, tK: number, H: number, tol: number): IntervalResult {
    const { d, k, y, xNew, pair } = this;
    const { a, c, e } = pair;
    const s = c.length;
    this.drift(tK, x, k[0]);
    let done = 0; // tau elapsed in the interval
    let h = H;
    let accepted = 0;
    let rejected = 0;
    let lastErr = NaN;
    while (accepted + rejected < this.maxAttempts) {
      const landing = h * ADAPTIVE_LANDING >= H - done;
      const hs = landing ? H - done : h;
      for (let i = 1; i < s; i++) {
        const row = a[i];
        for (let j = 0; j < d; j++) {
          let acc = 0;
          for (let r = 0; r < i; r++) acc += row[r] * k[r][j];
          y[j] = x[j] + hs * acc;
        }
        if (i === s - 1) xNew.set(y);
        this.drift(tK * Math.exp(-(done + c[i] * hs)), y, k[i]);
      }
      let err = 0;
      let bad = false;
      for (let j = 0; j < d; j++) {
        bad ||= !Number.isFinite(xNew[j]);
        let acc = 0;
        for (let r = 0; r < s; r++) acc += e[r] * k[r][j];
        const scale = tol * (1 + Math.max(Math.abs(x[j]), Math.abs(xNew[j])));
        err = Math.max(err, Math.abs(hs * acc) / scale);
      }
      bad ||= !Number.isFinite(err);
      lastErr = err;
      const factor = Math.min(ADAPTIVE_GROW, Math.max(ADAPTIVE_SHRINK, ADAPTIVE_SAFETY * Math.pow(Math.max(err, ADAPTIVE_ERR_FLOOR), this.exponent)));
      if (err <= 1 || bad) {
        accepted++;
        x.set(xNew);
        if (landing || bad) return { accepted, rejected, capped: false, lastErr };
        k[0].set(k[s - 1]);
        done += hs;
        h = hs * factor;
      } else {
        rejected++;
        h = hs * Math.min(1, factor);
      }
    }
    return { accepted, rejected, capped: true, lastErr };
  }
}
