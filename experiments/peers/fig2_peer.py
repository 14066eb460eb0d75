"""The Fig. 2 sweep of experiments/peers/fig2-peer.toml in numpy or PyTorch.

For each of 100 values of k in [-3, 3], R = 10^5 one-sample estimates of
the gradient of E (x - k)^2, x ~ N(1, 1), with respect to (mu, sigma), by
the score function and the pathwise estimator, and the mean and variance of
each component: what gradbench's cells.csv holds for this spec (it also
holds confidence intervals, kurtosis, references and costs). Prints
"COMPUTE <seconds>" (the sweep, after the imports) and a checksum line.

Usage: fig2_peer.py numpy|torch
"""
import sys
import time

MU, SIGMA, R, K = 1.0, 1.0, 100_000, 100


def run_numpy():
    import numpy as np
    rng = np.random.default_rng(2020002)
    t0 = time.perf_counter()
    out = []
    for k in np.linspace(-3.0, 3.0, K):
        eps = rng.standard_normal(R)
        x = MU + SIGMA * eps
        g = 2 * (x - k)                      # pathwise: (g, g eps)
        f = (x - k) ** 2                     # score: f (z/sigma, (z^2 - 1)/sigma)
        z = (x - MU) / SIGMA
        for est in (g, g * eps, f * (z / SIGMA), f * ((z * z - 1) / SIGMA)):
            out.append((est.mean(), est.var(ddof=1)))
    return time.perf_counter() - t0, out


def run_torch():
    import torch
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(2020002)
    t0 = time.perf_counter()
    out = []
    for k in torch.linspace(-3.0, 3.0, K, dtype=torch.float64).tolist():
        eps = torch.randn(R, generator=gen, dtype=torch.float64)
        x = MU + SIGMA * eps
        g = 2 * (x - k)
        f = (x - k) ** 2
        z = (x - MU) / SIGMA
        for est in (g, g * eps, f * (z / SIGMA), f * ((z * z - 1) / SIGMA)):
            out.append((est.mean().item(), est.var().item()))
    return time.perf_counter() - t0, out


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "numpy"
    secs, out = {"numpy": run_numpy, "torch": run_torch}[which]()
    print(f"COMPUTE {secs:.4f}")
    # At k = mu the pathwise dmu variance is 4 sigma^2 = 4: a sanity check.
    print(f"CHECK cells={len(out)} pathwise-dmu-var-at-k=1.0~{out[4 * 66][1]:.6f} ({which})")
