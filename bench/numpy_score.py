"""Vectorised numpy float32 baseline for `npm run bench`: the same work as the WGSL mixed-score
kernel (Tweedie means m1, m2 of two empirical measures, m_lam and the mixed score at M query points,
direct-form logits log w - |x - y|^2 / (4t), max-subtracted softmax), in float32, particles in
chunks so the (chunk, N) temporaries stay near 8 MB.

Prints one JSON line: {"pairs_per_s": ..., "seconds": [...], "M": ..., "N": ..., "d": ...}.
pairs = M * (n1 + n2) per evaluation, as in the other two implementations.
"""

import argparse
import json
import time

import numpy as np


def denoise(x, y, logw, t, chunk):
    """Tweedie mean of sum_j w_j delta_{y_j} at time t for every row of x (float32).

    Direct form, accumulated one coordinate at a time so temporaries stay (chunk, N) 2-D arrays
    and every operation is in place.
    """
    out = np.empty_like(x)
    inv4t = np.float32(1.0 / (4.0 * t))
    n = y.shape[0]
    logits = np.empty((chunk, n), dtype=np.float32)
    diff = np.empty((chunk, n), dtype=np.float32)
    for s in range(0, x.shape[0], chunk):
        xc = x[s : s + chunk]
        c = xc.shape[0]
        L, D = logits[:c], diff[:c]
        L[...] = 0
        for j in range(x.shape[1]):
            np.subtract(xc[:, j : j + 1], y[None, :, j], out=D)
            np.multiply(D, D, out=D)
            L += D
        L *= -inv4t
        L += logw[None, :]
        L -= L.max(axis=1, keepdims=True)
        np.exp(L, out=L)
        L /= L.sum(axis=1, keepdims=True)
        out[s : s + c] = L @ y
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--M", type=int, default=65536)
    ap.add_argument("--N", type=int, default=1024)
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--t", type=float, default=0.05)
    ap.add_argument("--lam", type=float, default=0.5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=2048)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    f32 = np.float32
    x = (rng.standard_normal((a.M, a.d)) * np.sqrt(2.0)).astype(f32)
    y1 = rng.uniform(-2, 2, (a.N, a.d)).astype(f32)
    y2 = rng.uniform(-2, 2, (a.N, a.d)).astype(f32)
    w1 = rng.uniform(0.5, 1.5, a.N)
    w2 = rng.uniform(0.5, 1.5, a.N)
    logw1 = np.log(w1 / w1.sum()).astype(f32)
    logw2 = np.log(w2 / w2.sum()).astype(f32)
    lam = f32(a.lam)
    seconds = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        m1 = denoise(x, y1, logw1, a.t, a.chunk)
        m2 = denoise(x, y2, logw2, a.t, a.chunk)
        m = lam * m1 + (f32(1) - lam) * m2
        score = -(x - m) * f32(1.0 / (2.0 * a.t))
        seconds.append(time.perf_counter() - t0)
    assert np.isfinite(score).all()
    best = min(seconds)
    print(json.dumps({
        "pairs_per_s": a.M * 2 * a.N / best,
        "seconds": seconds,
        "M": a.M,
        "N": a.N,
        "d": a.d,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
