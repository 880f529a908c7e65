// The float64 KKT solver (src/labs/primal-dual/kkt.ts): every objective kind against KKT points
// constructed exactly, the test instance (NUMERICS.md "Test instance"), a flat minimum, and the
// refusals.

import { describe, expect, it } from 'vitest';
import { KktError, problemFromInput, solveKkt } from '../../src/labs/primal-dual/kkt';
import type { ObjectiveInput } from '../../src/labs/primal-dual/types';

const A3x5 = [
  [1, 2, -1, 0.5, 0],
  [0, 1, 1, -2, 0.3],
  [0.4, 0, 0.2, 1, -1],
];
const xs = [0.3, -0.7, 1.1, 0.25, -0.4];
const ls = [0.6, -0.35, 0.8];
const At = (l: number[]) => A3x5[0].map((_, j) => A3x5.reduce((s, row, i) => s + row[j] * l[i], 0));
const Ax = (x: number[]) => A3x5.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));

function expectKkt(objective: ObjectiveInput, x: number[], lambda: number[], tolX: number): void {
  const k = solveKkt(problemFromInput(A3x5, Ax(x), objective));
  expect(k.residual).toBeLessThan(1e-14);
  for (let j = 0; j < 5; j++) expect(Math.abs(k.x[j] - x[j])).toBeLessThan(tolX);
  for (let i = 0; i < 3; i++) expect(Math.abs(k.lambda[i] - lambda[i])).toBeLessThan(tolX);
}

describe('solveKkt', () => {
  it('the test instance: x*, lambda*, f* to the digits given, residual ~1e-16', () => {
    const k = solveKkt(problemFromInput([[1, 2, -1, 0.5], [0, 1, 1, -2]], [1, -2], { kind: 'quartic', c: [1, -0.5, 0.3, 2] }));
    [1.110258, -0.009658, 0.784702, 1.387522].forEach((v, j) => expect(Math.abs(k.x[j] - v)).toBeLessThan(5e-7));
    expect(Math.abs(k.lambda[0] - -0.00134)).toBeLessThan(5e-6);
    expect(Math.abs(k.lambda[1] - -0.115214)).toBeLessThan(5e-7);
    expect(Math.abs(k.fStar - 0.0634684588)).toBeLessThan(5e-11);
    expect(k.residual).toBeLessThan(1e-15);
  });

  it('quartic: c = x* + cbrt(A^T lambda*) gives back (x*, lambda*)', () => {
    expectKkt({ kind: 'quartic', c: xs.map((x, j) => x + Math.cbrt(At(ls)[j])) }, xs, ls, 1e-12);
  });

  it('Hölder: c = x* + u|u|, u = A^T lambda*, gives back (x*, lambda*)', () => {
    const u = At(ls);
    expectKkt({ kind: 'holder', c: xs.map((x, j) => x + u[j] * Math.abs(u[j])) }, xs, ls, 1e-12);
  });

  it('exp: w = exp(x*) + A^T lambda* gives back (x*, lambda*)', () => {
    expectKkt({ kind: 'exp', w: xs.map((x, j) => Math.exp(x) + At(ls)[j]) }, xs, ls, 1e-12);
  });

  it('quadratic: c = Q x* + A^T lambda* gives back (x*, lambda*) exactly', () => {
    const Q = xs.map((_, i) => xs.map((_, j) => (i === j ? 2 + i : 0.3 / (1 + i + j))));
    const c = xs.map((_, i) => Q[i].reduce((s, q, j) => s + q * xs[j], 0) + At(ls)[i]);
    expectKkt({ kind: 'quadratic', Q, c }, xs, ls, 1e-13);
    // PSD Q that is singular but positive definite on null(A) is fine.
    const Qs: number[][] = xs.map((_, i) => xs.map((_, j) => (i === j && i > 0 ? 1 : 0)));
    const cs = xs.map((_, i) => Qs[i].reduce((s, q, j) => s + q * xs[j], 0) + At(ls)[i]);
    expect(solveKkt(problemFromInput(A3x5, Ax(xs), { kind: 'quadratic', Q: Qs, c: cs })).residual).toBeLessThan(1e-14);
  });

  it('flat minimum: lambda* orthogonal to column 0 of A makes x*_0 = c_0 (singular Hessian)', () => {
    // lambda* with (A^T lambda*)_0 = 0: lambda_0 = -0.4 lambda_2 (column 0 is (1, 0, 0.4)).
    const lf = [-0.4 * 0.8, -0.35, 0.8];
    const u = At(lf);
    expect(Math.abs(u[0])).toBeLessThan(1e-16);
    const c = xs.map((x, j) => x + Math.cbrt(u[j]));
    const k = solveKkt(problemFromInput(A3x5, Ax(xs), { kind: 'quartic', c }));
    expect(k.residual).toBeLessThan(1e-15);
    // The residual pins x*_0 only through (x_0 - c_0)^3: a residual of 1e-16 allows |x_0 - c_0| ~ 5e-6.
    for (let j = 0; j < 5; j++) expect(Math.abs(k.x[j] - xs[j])).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) expect(Math.abs(k.lambda[i] - lf[i])).toBeLessThan(1e-10);
  });

  it('rank-deficient A: b in the range -> lambda* not unique (refused); b outside -> infeasible', () => {
    const A = [[1, 2, 3], [2, 4, 6]];
    const quartic: ObjectiveInput = { kind: 'quartic', c: [0, 0, 0] };
    const catchKkt = (b: number[]): KktError => {
      try {
        solveKkt(problemFromInput(A, b, quartic));
      } catch (e) {
        expect(e).toBeInstanceOf(KktError);
        return e as KktError;
      }
      throw new Error('expected a KktError');
    };
    const dep = catchKkt([1, 2]);
    expect(dep.reason).toBe('rank-deficient');
    expect(dep.field).toBe('A');
    expect(dep.message).toMatch(/rank 1 < m = 2.*not unique/);
    const inf = catchKkt([1, 3]);
    expect(inf.reason).toBe('infeasible');
    expect(inf.field).toBe('b');
    expect(inf.message).toMatch(/no solution/);
  });

  it('bad inputs name the field', () => {
    const q: ObjectiveInput = { kind: 'quartic', c: [0, 0, 0] };
    expect(() => problemFromInput([[1, 2, 3], [1, 0, 0], [0, 1, 0]], [1, 1, 1], q)).toThrow(/need 1 <= m < n/);
    expect(() => problemFromInput([Array(17).fill(1)], [1], { kind: 'quartic', c: Array(17).fill(0) })).toThrow(/at most 16/);
    expect(() => problemFromInput([[1, NaN, 3]], [1], q)).toThrow(/A\[0\]\[1\]/);
    expect(() => problemFromInput([[1, 2, 3]], [1, 2], q)).toThrow(/b must have m = 1/);
    expect(() => problemFromInput([[1, 2, 3]], [1], { kind: 'quartic', c: [0, 0] })).toThrow(/objective.c has length 2/);
    expect(() => problemFromInput([[1, 2, 3]], [1], { kind: 'cubic' } as unknown as ObjectiveInput)).toThrow(/objective.kind/);
    const quad = (Q: number[][]) => () => solveKkt(problemFromInput([[1, 1, 1]], [1], { kind: 'quadratic', Q, c: [0, 0, 0] }));
    expect(quad([[1, 1, 0], [0, 1, 0], [0, 0, 1]])).toThrow(/symmetric/);
    expect(quad([[1, 0, 0], [0, -1, 0], [0, 0, 1]])).toThrow(/positive semidefinite/);
    expect(quad([[1, 0, 0], [0, 0, 0], [0, 0, 0]])).toThrow(/no unique minimizer/);
    // exp along -e_1 (in null(A)) with w_1 < 0 is unbounded below.
    expect(() => solveKkt(problemFromInput([[0, 1, 0]], [0], { kind: 'exp', w: [-1, 1, 1] }))).toThrow(KktError);
  });
});
