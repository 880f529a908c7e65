// Adaptive Dormand–Prince 5(4) in float64 for y' = f(t, y): the fine references of the convergence
// studies (score-mixing in tau, primal-dual in t) and of tests. Local extrapolation (the 5th-order
// solution is propagated), FSAL (6 new evaluations per step), the standard error norm
//   err = sqrt(mean_i (e_i / (atol + rtol max(|y_i|, |y_i'|)))^2),  accept when err <= 1,
// and an integral controller h_new = h min(5, max(0.2, 0.9 err^(-1/5))) (Hairer, Nørsett and
// Wanner, Solving ODEs I, II.4). Steps land exactly on every output time, so a solution sampled at
// the frames of a run is the same solution, not an interpolant.
// Why not an npm ODE library: the few maintained ones are vectorised over JS arrays with
// allocations per step and no control over step landing; this loop allocates once.

/** Butcher tableau of Dormand–Prince 5(4) (Dormand and Prince 1980). */
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A: readonly (readonly number[])[] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
/** The 5th-order weights are A[6] (the FSAL row); E = 5th- minus embedded 4th-order weights. */
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

export type OdeRhs = (t: number, y: Float64Array, out: Float64Array) => void;

export interface OdeOptions {
  rtol: number;
  atol: number;
  /** First trial step (default: from the initial slope, Hairer's starting-step heuristic, simplified). */
  h0?: number;
  /** Give up (throw) after this many attempted steps (default 10^7). */
  maxSteps?: number;
  /** Largest step (default: unbounded). */
  hMax?: number;
}

export interface OdeStats {
  accepted: number;
  rejected: number;
  evaluations: number;
}

/**
 * Integrate from (t0, y0) through the increasing (or decreasing) output times `ts`, returning y at
 * each of them (ts.length x dim, row-major) and the step statistics. y0 is not modified.
 */
export function dopri5(f: OdeRhs, t0: number, y0: ArrayLike<number>, ts: readonly number[], options: OdeOptions): { y: Float64Array; stats: OdeStats } {
  const n = y0.length;
  const { rtol, atol } = options;
  if (!(rtol > 0) || !(atol >= 0)) throw new RangeError(`dopri5: rtol must be > 0 and atol >= 0 (got ${rtol}, ${atol})`);
  const maxSteps = options.maxSteps ?? 1e7;
  const hMax = options.hMax ?? Infinity;
  const dir = ts.length > 0 && ts[ts.length - 1] < t0 ? -1 : 1;
  const y = Float64Array.from(y0);
  const yNew = new Float64Array(n);
  const tmp = new Float64Array(n);
  const k = Array.from({ length: 7 }, () => new Float64Array(n));
  const out = new Float64Array(ts.length * n);
  const stats: OdeStats = { accepted: 0, rejected: 0, evaluations: 0 };
  let t = t0;
  f(t, y, k[0]);
  stats.evaluations++;
  let h = options.h0 ?? initialStep(y, k[0], rtol, atol);
  let attempts = 0;
  for (let j = 0; j < ts.length; j++) {
    const target = ts[j];
    if ((target - t) * dir < 0) throw new RangeError(`dopri5: output times must be monotone from t0 (ts[${j}] = ${target})`);
    while ((target - t) * dir > 0) {
      if (++attempts > maxSteps) throw new Error(`dopri5: more than ${maxSteps} steps before t = ${target} (stiff or blown-up?)`);
      const remaining = Math.abs(target - t);
      let step = Math.min(Math.abs(h), hMax);
      // Land on the output time instead of leaving a sliver step behind.
      const landing = step * 1.01 >= remaining;
      if (landing) step = remaining;
      const hs = dir * step;
      for (let s = 1; s < 7; s++) {
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let r = 0; r < s; r++) acc += A[s][r] * k[r][i];
          tmp[i] = y[i] + hs * acc;
        }
        f(t + C[s] * hs, tmp, k[s]);
        if (s === 6) yNew.set(tmp); // FSAL: stage 7 is evaluated at the 5th-order solution
      }
      stats.evaluations += 6;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        let e = 0;
        for (let r = 0; r < 7; r++) e += E[r] * k[r][i];
        const scale = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(yNew[i]));
        const q = (hs * e) / scale;
        sum += q * q;
      }
      const err = Math.sqrt(sum / Math.max(1, n));
      if (!Number.isFinite(err)) throw new Error(`dopri5: non-finite state at t = ${t}`);
      const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, -0.2)));
      if (err <= 1) {
        t = landing ? target : t + hs;
        y.set(yNew);
        k[0].set(k[6]);
        stats.accepted++;
        h = step * factor;
      } else {
        stats.rejected++;
        h = step * Math.min(1, factor);
      }
    }
    out.set(y, j * n);
  }
  return { y: out, stats };
}

/** A first step whose explicit-Euler change is about 1% of the state's scale. */
function initialStep(y: Float64Array, f0: Float64Array, rtol: number, atol: number): number {
  let d0 = 0;
  let d1 = 0;
  for (let i = 0; i < y.length; i++) {
    const sc = atol + rtol * Math.abs(y[i]);
    d0 += (y[i] / sc) ** 2;
    d1 += (f0[i] / sc) ** 2;
  }
  d0 = Math.sqrt(d0 / y.length);
  d1 = Math.sqrt(d1 / y.length);
  return d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
}
