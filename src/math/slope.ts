// Least-squares rate fits on log-log axes, e.g. |X(t) - x*| ~ C t^(1/2) as t -> 0.

export interface SlopeFit {
  /** Fitted exponent p in y ~ C t^p. */
  slope: number;
  /** log C (natural log): log y = intercept + slope * log t. */
  intercept: number;
  /** Coefficient of determination of the fit in log-log space (1 when every residual is 0). */
  r2: number;
  /** Number of samples used. */
  n: number;
}

/**
 * Ordinary least squares of log y on log t. Samples with t <= 0, y <= 0, a non-finite value, or
 * t > tMax are skipped (a distance that has hit 0 or the t = O(1) transient would bias the rate).
 * Fewer than two usable samples, or all t equal, give NaN slope and intercept.
 */
export function fitLogLogSlope(t: ArrayLike<number>, y: ArrayLike<number>, tMax = Infinity): SlopeFit {
  const len = Math.min(t.length, y.length);
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < len; i++) {
    const ti = t[i];
    const yi = y[i];
    if (!(ti > 0) || !(yi > 0) || !Number.isFinite(ti) || !Number.isFinite(yi) || ti > tMax) continue;
    lx.push(Math.log(ti));
    ly.push(Math.log(yi));
  }
  const n = lx.length;
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN, n };
  // Centre first: sums of raw logs lose digits when log t is large and nearly constant.
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += lx[i];
    my += ly[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = lx[i] - mx;
    const dy = ly[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return { slope: NaN, intercept: NaN, r2: NaN, n };
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssr = 0;
  for (let i = 0; i < n; i++) {
    const r = ly[i] - (intercept + slope * lx[i]);
    ssr += r * r;
  }
  const r2 = syy > 0 ? 1 - ssr / syy : ssr === 0 ? 1 : 0;
  return { slope, intercept, r2, n };
}
