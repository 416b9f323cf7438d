"""Every-entry gradient checks: matgrad (batched, and its loop) vs torch.autograd.gradcheck.

Run: python benchmarks/gradcheck_vs_torch.py   (needs requirements-bench.txt)

All on the same float64 tanh MLP with squared error and L2 (λ = 0.1), at two sizes of
minibatch: m = 4 and a single example, m = 1, where a check's fixed per-call work (validation,
the rounding bounds, the report) weighs most against the differences themselves.
- ours (batched): matgrad.gradient_check, central differences on every entry of every W, b.
- ours (loop): the same check with the one-entry-at-a-time reference loop (extrapolated from
  a sample of entries when the network is large, and marked so).
- torch gradcheck: torch.autograd.gradcheck (default: every entry, central differences with
  eps = 1e-6) on the same function; its error is the max relative error (our definition) of
  the numerical Jacobian it builds against autograd's, recomputed with the same eps.
- torch fast_mode: gradcheck(fast_mode=True) compares one random projection vᵀ J u only; it
  has no per-entry error to report.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from _common import blas_threads, describe_machine, format_time, median_seconds, print_table

import matgrad as mg

NETWORKS = [[3, 4, 2], [10, 10, 10, 1], [30, 30, 3], [784, 32, 10]]  # P = 26, 231, 1023, 25450
MINIBATCHES = [4, 1]  # m, the number of examples (columns of x)
LAM = 0.1


def torch_cost(widths, x, y):
    """J as a torch function of the flat parameter list, matching matgrad's definition."""
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    l = len(widths) - 1  # noqa: E741 - the book's depth

    def J(*params):
        h = x
        for k in range(l):
            h = torch.tanh(params[2 * k] @ h + params[2 * k + 1])
        loss = 0.5 * ((h - y) ** 2).sum(dim=0).mean()
        return loss + LAM * sum(0.5 * (params[2 * k] ** 2).sum() for k in range(l))

    return J


def torch_numerical_error(J, params, eps=1e-6):
    """Max relative error (matgrad's definition) of gradcheck-style central differences."""
    analytic = torch.autograd.grad(J(*params), params)
    worst = 0.0
    with torch.no_grad():
        for p, a in zip(params, analytic, strict=True):
            numerical = torch.empty_like(p)
            flat, out = p.view(-1), numerical.view(-1)
            for i in range(flat.numel()):
                saved = flat[i].item()
                flat[i] = saved + eps
                plus = J(*params).item()
                flat[i] = saved - eps
                minus = J(*params).item()
                flat[i] = saved
                out[i] = (plus - minus) / (2 * eps)
            worst = max(worst, mg.relative_error(a.numpy(), numerical.numpy()))
    return worst


def loop_seconds(net, x, y):
    """The reference loop's time; sampled and extrapolated when P is large."""
    if net.parameter_count <= 2000:
        return median_seconds(lambda: mg.gradient_check(net, x, y, batched=False), repeats=3), ""
    cost = mg.ParameterCost(net, x, y, "W", 1)
    sample = net.W[1].ravel()[:200]
    start = time.perf_counter()
    for i in range(sample.size):
        for sign in (1, -1):
            W = net.W[1].copy()
            W.ravel()[i] += sign * 6e-6
            cost(W)
    per_entry = (time.perf_counter() - start) / sample.size
    return per_entry * net.parameter_count, " (extrapolated from 200 entries)"


def compare(widths, m):
    """The four rows of one network at minibatch size ``m``, ours (batched, loop) and torch's,
    and how many times faster ours (batched) is than torch gradcheck."""
    net = mg.MLP(widths, seed=0, lam=LAM)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(widths[0], m)), rng.normal(size=(widths[-1], m))
    report = mg.gradient_check(net, x, y)
    ours = median_seconds(lambda: mg.gradient_check(net, x, y))
    loop, loop_note = loop_seconds(net, x, y)
    J = torch_cost(widths, x, y)
    params = [
        torch.from_numpy(net.parameter(name, k).copy()).requires_grad_()
        for name, k in net.parameters()
    ]
    slow = median_seconds(lambda: torch.autograd.gradcheck(J, params), repeats=3)
    fast = median_seconds(lambda: torch.autograd.gradcheck(J, params, fast_mode=True), repeats=5)
    torch_error = torch_numerical_error(J, params) if net.parameter_count <= 2000 else None
    name, P = "-".join(map(str, widths)), net.parameter_count
    rows = [
        [name, P, m, "ours (batched)", format_time(ours), "1.0x", f"{report.max_rel_error:.1e}"],
        [name, P, m, "ours (loop)", format_time(loop) + loop_note, f"{loop / ours:.0f}x", "same"],
        [
            name,
            P,
            m,
            "torch gradcheck",
            format_time(slow),
            f"{slow / ours:.0f}x",
            f"{torch_error:.1e}" if torch_error is not None else "(not recomputed: P large)",
        ],
        [name, P, m, "torch fast_mode", format_time(fast), f"{fast / ours:.2f}x", "n/a (vᵀJu)"],
    ]
    return rows, slow / ours


def main():
    describe_machine()
    _, threads = blas_threads()
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads (matched to the BLAS)")
    rows, speedups = [], {}
    for widths in NETWORKS:
        for m in MINIBATCHES:
            more, speedups["-".join(map(str, widths)), m] = compare(widths, m)
            rows += more
    print()
    headers = ["network", "P", "m", "method", "median time", "time / ours", "max rel. error"]
    print_table(headers, rows)
    (name, m), least = min(speedups.items(), key=lambda item: item[1])
    print(f"\ntorch gradcheck / ours (batched) is {least:.0f}x at the least ({name}, m = {m})")


if __name__ == "__main__":
    main()
