// Time grids of the score-mixing samplers (NUMERICS.md "Time grid"). The geometric grid is uniform
// in tau = -log t, where the probability-flow ODE is non-stiff; it is computed once in float64 and
// handed to the GPU as f32 copies so both implementations step through the same times.

/**
 * t_k = T (tMin/T)^(k/K), k = 0..K. Endpoints are pinned (t_0 = T, t_K = tMin exactly) because
 * callers compare the final time with tMin and pow() may miss it by an ulp.
 */
export function geometricGrid(T: number, tMin: number, steps: number): Float64Array {
  if (!(Number.isFinite(T) && T > 0)) throw new Error(`geometricGrid: T must be finite and > 0, got ${T}`);
  if (!(Number.isFinite(tMin) && tMin > 0 && tMin <= T)) {
    throw new Error(`geometricGrid: tMin must be in (0, T = ${T}], got ${tMin}`);
  }
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`geometricGrid: steps must be an integer >= 1, got ${steps}`);
  const ratio = tMin / T;
  const grid = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) grid[k] = T * Math.pow(ratio, k / steps);
  grid[0] = T;
  grid[steps] = tMin;
  return grid;
}

/**
 * Step indices of the R recorded frames, k_j = round(j K / (R - 1)): evenly spaced in tau with the
 * first and last step included. When R - 1 > K some indices repeat; they are kept so the frame
 * count always equals R (snapshot shapes depend on it).
 */
export function recordSteps(steps: number, record: number): number[] {
  if (!(Number.isInteger(record) && record >= 2)) throw new Error(`recordSteps: record must be an integer >= 2, got ${record}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`recordSteps: steps must be an integer >= 1, got ${steps}`);
  const out: number[] = [];
  for (let j = 0; j < record; j++) out.push(Math.round((j * steps) / (record - 1)));
  return out;
}
