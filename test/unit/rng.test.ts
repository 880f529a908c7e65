// Threefry-2x32-20 against the Random123 known-answer vectors, and the statistics of the derived
// uniforms/normals. Tolerances are 4 standard errors of the estimated moment over N draws.

import { describe, expect, it } from 'vitest';
import { INITIAL_STEP, normal, normalsInto, threefry2x32, uniformPair } from '../../src/math/rng';

const N = 100_000;

/** 4 standard errors of a sample mean of N draws with variance `variance`. */
const fourSigma = (variance: number, n = N) => 4 * Math.sqrt(variance / n);

describe('threefry2x32 (Random123 kat_vectors, threefry2x32_20)', () => {
  it('key 0, ctr 0', () => {
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
  });
  it('key and ctr all ones', () => {
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
  });
  it('pi digits', () => {
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });
  it('returns u32 values and reduces inputs mod 2^32', () => {
    const [a, b] = threefry2x32(-1, -1, -1, -1);
    expect([a, b]).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(threefry2x32(2 ** 32, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
  });
});

describe('uniformPair / normal', () => {
  it('uniforms lie strictly inside (0,1) on the 2^-24 half-offset lattice', () => {
    for (let i = 0; i < 1000; i++) {
      for (const u of uniformPair(7, i, 3, 0)) {
        expect(u).toBeGreaterThan(0);
        expect(u).toBeLessThan(1);
        expect(Number.isInteger(u * 2 ** 24 - 0.5)).toBe(true);
      }
    }
    // The extreme lattice points: (0 + 0.5)/2^24 and (2^24 - 1 + 0.5)/2^24.
    expect(((0 >>> 8) + 0.5) / 2 ** 24).toBeGreaterThan(0);
    expect(((0xffffffff >>> 8) + 0.5) / 2 ** 24).toBeLessThan(1);
  });

  it('uniform moments over 1e5 draws', () => {
    let s1 = 0;
    let s2 = 0;
    let cross = 0;
    for (let i = 0; i < N; i++) {
      const [u, v] = uniformPair(12345, i, 17, 0);
      s1 += u;
      s2 += u * u;
      cross += (u - 0.5) * (v - 0.5);
    }
    const mean = s1 / N;
    const variance = s2 / N - mean * mean;
    expect(Math.abs(mean - 0.5)).toBeLessThan(fourSigma(1 / 12));
    // Var of (U - 1/2)^2 is 1/180.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(fourSigma(1 / 180));
    // Var of (U - 1/2)(V - 1/2) for independent U, V is 1/144.
    expect(Math.abs(cross / N)).toBeLessThan(fourSigma(1 / 144));
  });

  it('normal moments over 1e5 draws, both Box-Muller branches', () => {
    for (const j of [0, 1, 6, 7]) {
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      for (let i = 0; i < N; i++) {
        const z = normal(99, i, 5, j);
        s1 += z;
        s2 += z * z;
        s3 += z * z * z;
        s4 += z * z * z * z;
      }
      expect(Math.abs(s1 / N)).toBeLessThan(fourSigma(1)); // Var z = 1
      expect(Math.abs(s2 / N - 1)).toBeLessThan(fourSigma(2)); // Var z^2 = 2
      expect(Math.abs(s3 / N)).toBeLessThan(fourSigma(15)); // Var z^3 = 15
      expect(Math.abs(s4 / N - 3)).toBeLessThan(fourSigma(96)); // Var z^4 = 105 - 9
    }
  });

  it('cos and sin branches of one pair are uncorrelated', () => {
    let c = 0;
    for (let i = 0; i < N; i++) c += normal(3, i, 0, 0) * normal(3, i, 0, 1);
    expect(Math.abs(c / N)).toBeLessThan(fourSigma(1));
  });

  it('follows the NUMERICS.md formula literally', () => {
    const seed = 42;
    const [a, b] = threefry2x32(seed, 1, 9, 11); // key (seed, floor(3/2)), ctr (particle, step)
    const u1 = ((a >>> 8) + 0.5) / 2 ** 24;
    const u2 = ((b >>> 8) + 0.5) / 2 ** 24;
    expect(normal(seed, 9, 11, 2)).toBe(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    expect(normal(seed, 9, 11, 3)).toBe(Math.sqrt(-2 * Math.log(u1)) * Math.sin(2 * Math.PI * u2));
  });

  it('normalsInto matches normal() for odd and even d', () => {
    for (const d of [1, 2, 3, 8]) {
      const out = new Float64Array(d + 2);
      normalsInto(5, 17, 23, d, out, 1);
      for (let j = 0; j < d; j++) expect(out[1 + j]).toBe(normal(5, 17, 23, j));
      expect(out[0]).toBe(0);
      expect(out[d + 1]).toBe(0);
    }
  });

  it('initial-step draws differ from step draws', () => {
    expect(INITIAL_STEP).toBe(0xffffffff);
    expect(normal(1, 0, INITIAL_STEP, 0)).not.toBe(normal(1, 0, 0, 0));
    expect(normal(1, 0, INITIAL_STEP, 0)).not.toBe(normal(1, 0, INITIAL_STEP - 1, 0));
  });
});
