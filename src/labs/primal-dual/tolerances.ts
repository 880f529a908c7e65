// Tolerances of dynamics.wgsl against the float64 PrimalDualReference, shared by
// test/gpu/primal-dual.test.ts and the self-test (selftest.ts): one copy.
//
// Float32 error reasoning: inputs (A, U, x*-c, ...) are rounded once (relative 6e-8) and each step
// adds O(1) roundings per entry (relative 6e-8 of the state's scale); the dynamics are damped and
// the rotation is orthogonal, so over K <= 300 steps the state error is bounded by
// ~K * 6e-8 * (Lipschitz factor) ~ 2e-5 of the state scale (the cloud has spread 0.5, states are
// O(1)). Measured: ~1e-6. STATE_TOL = 1e-4 absolute leaves a 5x margin on the a-priori bound.
// Diagnostics are smooth functions of the state: E, G, f - f* to 1e-4 relative + 1e-6 absolute;
// ||Ae|| and Q to 1e-4 absolute (A e is formed from e in f32, where it keeps full relative
// precision thanks to the error coordinates). The defect is a difference of O(E) quantities
// accumulated over K steps in f32: 1e-5 + 1e-4 E.

import type { PrimalDualFrames } from './types';

export const STATE_TOL = 1e-4;
export const DIAG_REL = 1e-4;
export const DIAG_ABS = 1e-6;

type Tolerance = (i: number) => number;

/** Every recorded array of a GPU run with its float64 twin and the per-entry tolerance. */
export function dynamicsComparisons(got: PrimalDualFrames, want: PrimalDualFrames): [string, ArrayLike<number>, ArrayLike<number>, Tolerance][] {
  const rel = (w: ArrayLike<number>): Tolerance => (i) => DIAG_REL * Math.abs(w[i]) + DIAG_ABS;
  return [
    ['x', got.x, want.x, () => STATE_TOL],
    ['lambda', got.lambda, want.lambda, () => STATE_TOL],
    ['energy', got.energy, want.energy, rel(want.energy)],
    ['gap', got.gap, want.gap, rel(want.gap)],
    ['objective', got.objective, want.objective, rel(want.objective)],
    ['feasibility', got.feasibility, want.feasibility, () => STATE_TOL],
    ['Q', got.Q, want.Q, () => STATE_TOL],
    ['defect', got.defect, want.defect, (i) => 1e-5 + DIAG_REL * Math.abs(want.energy[i])],
  ];
}
