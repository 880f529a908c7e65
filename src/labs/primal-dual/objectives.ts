// The primal-dual lab's objectives f (NUMERICS.md "Objectives"), in float64:
//   - absolute form: f(x), grad f(x), the diagonal / full Hessian (for the KKT solver);
//   - error form about the KKT point x*: the gradient difference g(e) = grad f(x* + e) - grad f(x*)
//     and both Bregman divergences D_f(x* + e, x*), D_f(x*, x* + e), written without
//     cancellation (they are O(|e|^2) while f and grad f are O(1)), exactly as the WGSL does.
//
// API:
//   objectiveFromInput(input, n): Objective              validates and flattens ObjectiveInput
//   objectiveValue(obj, x), objectiveGradient(obj, x, out), objectiveHessian(obj, x): n x n
//   errorObjective(obj, xStar): ErrorObjective            the per-coordinate base data
//   gradDiff(eo, e, out), bregman(eo, e), reverseBregman(eo, e)
//   expm1Minus(u) = e^u - 1 - u without cancellation

import type { Objective, ObjectiveInput } from './types';

const finiteVec = (field: string, v: unknown, n: number): Float64Array => {
  if (!Array.isArray(v)) throw new Error(`${field} must be an array of ${n} numbers`);
  if (v.length !== n) throw new Error(`${field} has length ${v.length}, expected n = ${n}`);
  v.forEach((a, i) => {
    if (typeof a !== 'number' || !Number.isFinite(a)) throw new Error(`${field}[${i}] = ${a} is not a finite number`);
  });
  return Float64Array.from(v as number[]);
};

/** Validates `input` for dimension n (field names as in the config) and flattens it. */
export function objectiveFromInput(input: ObjectiveInput, n: number): Objective {
  switch (input.kind) {
    case 'quartic':
    case 'holder':
      return { kind: input.kind, n, c: finiteVec('objective.c', input.c, n) };
    case 'exp':
      return { kind: 'exp', n, w: finiteVec('objective.w', input.w, n) };
    case 'quadratic': {
      const rows = input.Q;
      if (!Array.isArray(rows) || rows.length !== n) throw new Error(`objective.Q must be an n x n matrix (n = ${n})`);
      const Q = new Float64Array(n * n);
      rows.forEach((r, i) => Q.set(finiteVec(`objective.Q[${i}]`, r, n), i * n));
      const c = input.c === undefined ? new Float64Array(n) : finiteVec('objective.c', input.c, n);
      return { kind: 'quadratic', n, Q, c };
    }
    default:
      throw new Error(`objective.kind = ${JSON.stringify((input as { kind: unknown }).kind)} is not one of quartic, holder, exp, quadratic`);
  }
}

export function objectiveValue(obj: Objective, x: ArrayLike<number>): number {
  let f = 0;
  const n = obj.n;
  switch (obj.kind) {
    case 'quartic':
      for (let i = 0; i < n; i++) f += (x[i] - obj.c[i]) ** 4 / 4;
      return f;
    case 'holder':
      for (let i = 0; i < n; i++) f += (2 / 3) * Math.abs(x[i] - obj.c[i]) ** 1.5;
      return f;
    case 'exp':
      for (let i = 0; i < n; i++) f += Math.exp(x[i]) - obj.w[i] * x[i];
      return f;
    case 'quadratic':
      for (let i = 0; i < n; i++) {
        let qx = 0;
        for (let j = 0; j < n; j++) qx += obj.Q[i * n + j] * x[j];
        f += 0.5 * x[i] * qx - obj.c[i] * x[i];
      }
      return f;
  }
}

export function objectiveGradient(obj: Objective, x: ArrayLike<number>, out: Float64Array = new Float64Array(obj.n)): Float64Array {
  const n = obj.n;
  for (let i = 0; i < n; i++) {
    switch (obj.kind) {
      case 'quartic':
        out[i] = (x[i] - obj.c[i]) ** 3;
        break;
      case 'holder': {
        const u = x[i] - obj.c[i];
        out[i] = Math.sign(u) * Math.sqrt(Math.abs(u));
        break;
      }
      case 'exp':
        out[i] = Math.exp(x[i]) - obj.w[i];
        break;
      case 'quadratic': {
        let s = -obj.c[i];
        for (let j = 0; j < n; j++) s += obj.Q[i * n + j] * x[j];
        out[i] = s;
        break;
      }
    }
  }
  return out;
}

/** Hessian n x n (Hölder: 1/(2 sqrt|u|), capped at 1e150 where u = 0). */
export function objectiveHessian(obj: Objective, x: ArrayLike<number>): Float64Array {
  const n = obj.n;
  if (obj.kind === 'quadratic') return Float64Array.from(obj.Q);
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let d: number;
    if (obj.kind === 'quartic') d = 3 * (x[i] - obj.c[i]) ** 2;
    else if (obj.kind === 'holder') d = Math.min(1e150, 0.5 / Math.sqrt(Math.abs(x[i] - obj.c[i])));
    else d = Math.exp(x[i]);
    H[i * n + i] = d;
  }
  return H;
}

/**
 * Base data of the error form (NUMERICS.md): quartic, holder: beta = x* - c (named `base`);
 * exp: base = exp(x*); quadratic: Q (base unused, zeros).
 */
export interface ErrorObjective {
  kind: Objective['kind'];
  n: number;
  base: Float64Array;
  Q: Float64Array | null;
}

export function errorObjective(obj: Objective, xStar: ArrayLike<number>): ErrorObjective {
  const n = obj.n;
  const base = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (obj.kind === 'quartic' || obj.kind === 'holder') base[i] = xStar[i] - obj.c[i];
    else if (obj.kind === 'exp') base[i] = Math.exp(xStar[i]);
  }
  return { kind: obj.kind, n, base, Q: obj.kind === 'quadratic' ? obj.Q : null };
}

/** e^u - 1 - u, relative accuracy ~1 ulp for all u (Taylor series for |u| < 1/2). */
export function expm1Minus(u: number): number {
  if (Math.abs(u) < 0.5) {
    // u^2/2! + u^3/3! + ... ; 18 terms: the tail is < 1e-20 of the sum.
    let term = (u * u) / 2;
    let s = term;
    for (let k = 3; k < 21; k++) {
      term *= u / k;
      s += term;
    }
    return s;
  }
  return Math.expm1(u) - u;
}

/** g(e) = grad f(x* + e) - grad f(x*), out may alias nothing else. */
export function gradDiff(eo: ErrorObjective, e: ArrayLike<number>, out: Float64Array, eOff = 0): Float64Array {
  const n = eo.n;
  if (eo.kind === 'quadratic') {
    const Q = eo.Q as Float64Array;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Q[i * n + j] * e[eOff + j];
      out[i] = s;
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = gradDiff1(eo.kind, eo.base[i], e[eOff + i]);
  return out;
}

/** One coordinate of the separable kinds. */
export function gradDiff1(kind: 'quartic' | 'holder' | 'exp', b: number, e: number): number {
  if (kind === 'quartic') {
    const a = b + e;
    return e * (a * a + a * b + b * b);
  }
  if (kind === 'exp') return b * Math.expm1(e);
  const a = b + e;
  const sa = Math.sqrt(Math.abs(a));
  const sb = Math.sqrt(Math.abs(b));
  if (a * b > 0) return e / (sa + sb);
  return Math.sign(a) * sa - Math.sign(b) * sb;
}

/** D_f(x* + e, x*) for one coordinate (forward) or D_f(x*, x* + e) (reverse). */
export function bregman1(kind: 'quartic' | 'holder' | 'exp', b: number, e: number, reverse: boolean): number {
  if (kind === 'quartic') {
    const p = reverse ? b + e : b;
    const q = reverse ? 2 * p - e : 2 * p + e;
    return (e * e * (2 * p * p + q * q)) / 4;
  }
  if (kind === 'exp') return reverse ? b * Math.exp(e) * expm1Minus(-e) : b * expm1Minus(e);
  const a = b + e;
  const sa = Math.sqrt(Math.abs(a));
  const sb = Math.sqrt(Math.abs(b));
  // Forward: point a, base b. Reverse: point b, base a.
  const [sp, sq] = reverse ? [sb, sa] : [sa, sb];
  if (a * b > 0) {
    const g = e / (sa + sb);
    return (g * g * (2 * sp + sq)) / 3;
  }
  return (2 / 3) * sp * sp * sp + sq * sp * sp + (sq * sq * sq) / 3;
}

export function bregman(eo: ErrorObjective, e: ArrayLike<number>, eOff = 0): number {
  return bregmanSum(eo, e, eOff, false);
}

export function reverseBregman(eo: ErrorObjective, e: ArrayLike<number>, eOff = 0): number {
  return bregmanSum(eo, e, eOff, true);
}

function bregmanSum(eo: ErrorObjective, e: ArrayLike<number>, eOff: number, reverse: boolean): number {
  const n = eo.n;
  let s = 0;
  if (eo.kind === 'quadratic') {
    const Q = eo.Q as Float64Array;
    for (let i = 0; i < n; i++) {
      let qe = 0;
      for (let j = 0; j < n; j++) qe += Q[i * n + j] * e[eOff + j];
      s += 0.5 * e[eOff + i] * qe;
    }
    return s;
  }
  for (let i = 0; i < n; i++) s += bregman1(eo.kind, eo.base[i], e[eOff + i], reverse);
  return s;
}
