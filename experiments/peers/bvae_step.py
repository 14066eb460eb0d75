#!/usr/bin/env python3
"""PyTorch peer of one Bernoulli-VAE training step of gradbench.

The step is the one of experiments/models/bvae (linear model, 784 -> 200
Bernoulli latents -> 784, batch 50) with the DisARM encoder gradient, as
timed by BenchmarkStep/linear/{floor-disarm,disarm,disarm+adam} in
experiments/models/bvae/bvae_test.go:

  x  = 1[u < img]                          dynamic binarisation
  l  = x W_e^T + b_e,  q = sigma(l)        encoder logits (B x D)
  b1 = 1[u < q], b2 = 1[1 - u < q]         DisARM pair, u ~ U(0,1)^(B x D)
  f  = log p(x | b) for [b1; b2]           decoder, one (2B x D)(D x 784) product
  g  = 1/2 (f(b1) - f(b2)) sigma(|l|) (b1 - b2)      (b1 - b2 is 0 or +-1)
  KL(q || p) analytic, prior logits theta: dKL/dl = q(1-q)(l - theta),
                                           dKL/dtheta = sigma(theta) - q
  dl = (dKL/dl - g) / B                    gradient of the negated mean ELBO
  b' ~ q, one per image: decoder gradient of -mean log p(x | b')
  Adam (lr 1e-4, betas 0.9/0.999, eps 1e-8) on encoder + decoder; SGD on theta.

No autograd goes through the discrete samples. Variants (each in float64 and
float32):

  floor-disarm       the matrix products of the step only (and the decoder
                     log-likelihoods), as Go's floor-disarm
  disarm             the step with hand-written gradients, no optimizer
  disarm+adam        the same plus torch.optim.Adam and SGD on theta
  disarm+adam/autograd  the same step with autograd for everything but the
                     DisARM weights (surrogate sum(l * g.detach())), as a
                     PyTorch user would write it

Output (one line per measurement; '#' lines are comments):

  RESULT torch <dtype> <variant> <ms/step>

--replay FILE checks the step against a dump of Go's (see bench.sh): Go's
parameters, input and uniform draws in, Go's gradients and Adam update out.

One thread: OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1, torch.set_num_threads(1).
"""
import argparse
import json
import math
import os
import re
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

P, D, B = 784, 200, 50
LR = 1e-4


def bce_sum(logits, x, dim):
    """-log p(x | logits) summed over dim (Bernoulli, stable)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim)


class Model:
    """Linear Bernoulli VAE: W_e (D x P), b_e, W_d (P x D), b_d, theta (D)."""

    def __init__(self, dtype, gen):
        def glorot(out, inp):
            a = math.sqrt(6 / (inp + out))
            return (2 * torch.rand(out, inp, generator=gen, dtype=dtype) - 1) * a

        self.We, self.be = glorot(D, P), torch.zeros(D, dtype=dtype)
        self.Wd, self.bd = glorot(P, D), torch.zeros(P, dtype=dtype)
        self.theta = torch.zeros(D, dtype=dtype)
        for t in self.tensors():
            t.requires_grad_(True)

    def params(self):
        return [self.We, self.be, self.Wd, self.bd]

    def tensors(self):
        return self.params() + [self.theta]


def disarm_weights(l, q, u, x, Wd, bd):
    """DisARM estimate g (B x D) of d/dl E_q[log p(x|b)], per image."""
    b1, b2 = (u < q), ((1 - u) < q)
    bb = torch.cat([b1, b2]).to(l.dtype)  # 2B x D
    o = torch.addmm(bd, bb, Wd.t()).view(2, B, P)  # one batched product
    f = -bce_sum(o, x.expand(2, B, P), 2)  # 2 x B
    w = 0.5 * (f[0] - f[1])
    return w[:, None] * torch.sigmoid(l.abs()) * (bb[:B] - bb[B:])


def kl_terms(l, q, theta):
    """Per-image KL(q || p) of independent Bernoullis (B)."""
    return (q * (F.softplus(-theta) - F.softplus(-l))
            + (1 - q) * (F.softplus(theta) - F.softplus(l))).sum(1)


def step_manual(m, img, rand):
    """One step with hand-written gradients: sets .grad of every tensor of m
    and returns the minibatch-mean ELBO at the separate samples."""
    with torch.no_grad():
        dt = m.We.dtype
        x = (rand(B, P) < img).to(dt)
        l = torch.addmm(m.be, x, m.We.t())
        q = torch.sigmoid(l)
        g = disarm_weights(l, q, rand(B, D), x, m.Wd, m.bd)
        kl = kl_terms(l, q, m.theta).clamp(min=0)
        dl = (q * (1 - q) * (l - m.theta) - g) / B
        m.theta.grad = (torch.sigmoid(m.theta) - q).mean(0)
        bs = (rand(B, D) < q).to(dt)
        m.We.grad, m.be.grad = dl.t() @ x, dl.sum(0)
        od = torch.addmm(m.bd, bs, m.Wd.t())
        ll = -bce_sum(od, x, 1)
        dout = (torch.sigmoid(od) - x) / B
        m.Wd.grad, m.bd.grad = dout.t() @ bs, dout.sum(0)
        return (ll.sum() - kl.sum()) / B


def step_autograd(m, img, rand):
    """The same step, autograd for everything but the DisARM weights: sets
    .grad (via backward) and returns the minibatch-mean ELBO."""
    dt = m.We.dtype
    with torch.no_grad():
        x = (rand(B, P) < img).to(dt)
    l = F.linear(x, m.We, m.be)
    q = torch.sigmoid(l)
    with torch.no_grad():
        g = disarm_weights(l, q, rand(B, D), x, m.Wd, m.bd)
        bs = (rand(B, D) < q).to(dt)
    kl = kl_terms(l, q, m.theta)
    ll = -bce_sum(F.linear(bs, m.Wd, m.bd), x, 1)
    elbo = (ll.sum() - kl.sum()) / B
    loss = -((l * g).sum() / B + elbo)
    for t in m.tensors():
        t.grad = None
    loss.backward()
    return elbo.detach()


class Floor:
    """Go's floor-disarm: encoder forward and weight gradient, decoder
    forward at 2B fixed binary points with their log-likelihoods, decoder
    forward and backward at B separate points; no sampling, no estimator."""

    def __init__(self, m, img, gen):
        dt = m.We.dtype
        self.m, self.x = m, img.clone()
        self.xs = (torch.rand(2 * B, D, generator=gen, dtype=dt) < 0.5).to(dt)
        self.bs = (torch.rand(B, D, generator=gen, dtype=dt) < 0.5).to(dt)
        self.dl = torch.randn(B, D, generator=gen, dtype=dt)

    def __call__(self):
        m, x = self.m, self.x
        with torch.no_grad():
            torch.addmm(m.be, x, m.We.t())
            o = torch.addmm(m.bd, self.xs, m.Wd.t()).view(2, B, P)
            bce_sum(o, x.expand(2, B, P), 2)
            gWe, gbe = self.dl.t() @ x, self.dl.sum(0)
            od = torch.addmm(m.bd, self.bs, m.Wd.t())
            ll = -bce_sum(od, x, 1)
            dout = (torch.sigmoid(od) - x) / B
            gWd, gbd = dout.t() @ self.bs, dout.sum(0)
        return ll


def make_step(variant, m, img, gen):
    """A function running one step of variant on model m."""
    dt = m.We.dtype

    def rand(*shape):
        return torch.rand(*shape, generator=gen, dtype=dt)

    if variant == "floor-disarm":
        return Floor(m, img, gen)
    if variant == "disarm":
        return lambda: step_manual(m, img, rand)
    adam = torch.optim.Adam(m.params(), lr=LR)
    sgd = torch.optim.SGD([m.theta], lr=LR)
    step = step_autograd if variant.endswith("/autograd") else step_manual

    def run():
        elbo = step(m, img, rand)
        adam.step()
        sgd.step()
        return elbo

    return run


VARIANTS = ["floor-disarm", "disarm", "disarm+adam", "disarm+adam/autograd"]


def blas_libs():
    """The BLAS/LAPACK/OpenMP shared objects this process has mapped."""
    with open("/proc/self/maps") as f:
        libs = {ln.split()[-1] for ln in f if re.search(r"blas|lapack|gomp|libomp|mkl", ln)}
    return sorted(os.path.basename(p) for p in libs)


def timing(args):
    """Time every (dtype, variant) pair: warm-up, then args.steps steps in
    args.rounds round-robin blocks, so that a change of machine load falls
    on every pair alike."""
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    runs = {}
    for dtname in args.dtypes.split(","):
        dt = getattr(torch, dtname)
        for variant in VARIANTS:
            gen = torch.Generator().manual_seed(args.seed)
            m = Model(dt, gen)
            img = (torch.rand(B, P, generator=gen, dtype=dt) < 0.2).to(dt)
            runs[dtname, variant] = make_step(variant, m, img, gen)
    for run in runs.values():
        for _ in range(args.warmup):
            run()
    rounds = max(1, min(args.rounds, args.steps))
    total = dict.fromkeys(runs, 0.0)
    done = dict.fromkeys(runs, 0)
    for r in range(rounds):
        n = args.steps * (r + 1) // rounds - args.steps * r // rounds
        for key, run in runs.items():
            t0 = time.perf_counter()
            for _ in range(n):
                elbo = run()
            total[key] += time.perf_counter() - t0
            done[key] += n
            if key[1] != "floor-disarm" and not math.isfinite(float(elbo)):
                print(f"# {key[0]} {key[1]}: non-finite ELBO {float(elbo)}")
    for (dtname, variant), t in total.items():
        print(f"RESULT torch {dtname} {variant} {t / done[dtname, variant] * 1e3:.4f}", flush=True)


def replay(args):
    """Run Go's step on Go's numbers and compare gradients and the update."""
    with open(args.replay) as f:
        go = json.load(f)
    ok = True
    for dtname, tol in (("float64", 1e-9), ("float32", None)):
        dt = getattr(torch, dtname)
        for variant in ("disarm+adam", "disarm+adam/autograd"):
            gen = torch.Generator().manual_seed(0)
            m = Model(dt, gen)
            p = torch.tensor(go["params"], dtype=torch.float64)
            E = D * P + D
            with torch.no_grad():
                # Go stores each weight matrix In × Out (nn.NewDenseInMajor).
                m.We.copy_(p[:D * P].view(P, D).t())
                m.be.copy_(p[D * P:E])
                m.Wd.copy_(p[E:E + P * D].view(D, P).t())
                m.bd.copy_(p[E + P * D:])
                m.theta.copy_(torch.tensor(go["prior"], dtype=torch.float64))
            img = torch.tensor(go["images"], dtype=dt).view(B, P)
            us = torch.tensor(go["uniforms"], dtype=torch.float64)
            pos = [0]

            def rand(*shape):
                n = math.prod(shape)
                out = us[pos[0]:pos[0] + n].view(*shape).to(dt)
                pos[0] += n
                return out

            step = step_autograd if variant.endswith("/autograd") else step_manual
            elbo = float(step(m, img, rand))
            assert pos[0] == len(us), f"used {pos[0]} of {len(us)} uniforms"
            def go_layout(ts):
                """The network's tensors flattened as Go lays them out (W In × Out)."""
                return torch.cat([ts[0].t().reshape(-1), ts[1].reshape(-1),
                                  ts[2].t().reshape(-1), ts[3].reshape(-1)]).double()

            grad = go_layout([t.grad for t in m.params()])
            gg = torch.tensor(go["grad"], dtype=torch.float64)
            gp = torch.tensor(go["priorGrad"], dtype=torch.float64)
            torch.optim.Adam(m.params(), lr=LR).step()
            after = go_layout([t.detach() for t in m.params()])
            ga = torch.tensor(go["after"], dtype=torch.float64)

            def rel(a, b):
                return float((a - b).abs().max() / b.abs().max())

            errs = {"grad": rel(grad, gg), "prior": rel(m.theta.grad.double(), gp),
                    "adam": rel(after - p, ga - p), "elbo": abs(elbo - go["elbo"]) / abs(go["elbo"])}
            worst = max(errs.values())
            verdict = "" if tol is None else ("ok" if worst <= tol else "MISMATCH")
            if tol is not None and worst > tol:
                ok = False
            print(f"CHECK {dtname} {variant} vs Go: max rel err " +
                  " ".join(f"{k} {v:.1e}" for k, v in errs.items()) + f" {verdict}".rstrip())
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="timed steps per variant (100)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first (10)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="round-robin blocks the timed steps are split into (5)")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--replay", metavar="FILE", help="check against a JSON dump of Go's step")
    ap.add_argument("--info", action="store_true", help="print torch's build and BLAS, then exit")
    args = ap.parse_args()
    if args.info:
        torch.ones(8, 8, dtype=torch.float64) @ torch.ones(8, 8, dtype=torch.float64)
        print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, "
              f"BLAS mapped: {' '.join(blas_libs()) or 'none found'}")
        cfg = torch.__config__.show()
        blas = re.search(r"BLAS_INFO=([^,]*)", cfg)
        cpu = re.search(r"CPU capability usage: (\S+)", cfg)
        print(f"# torch.__config__.show(): BLAS_INFO={blas.group(1) if blas else '?'}, "
              f"CPU capability usage {cpu.group(1) if cpu else '?'}")
        return 0
    if args.replay:
        return replay(args)
    timing(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
