"""One forward + backward pass (Algorithms 6.3 + 6.4): matgrad vs PyTorch autograd on the CPU.

Run: python benchmarks/backprop_vs_torch.py   (needs requirements-bench.txt)

The same tanh MLP, squared error averaged over the minibatch, L2 with λ = 0.1, in float64 and
float32; torch uses as many threads as numpy's BLAS. Times are medians of repeated runs;
"ratio" is ours / torch (below 1: ours is faster).

Two things make the comparison fair on a 2-core machine. Torch's OpenMP threads would spin for
a while after each torch call and take the cores from the BLAS threads of the numpy run that
follows, so they are told to sleep (OMP_WAIT_POLICY=passive). And glibc hands each large
array fresh pages from the kernel (every first touch is a page fault: thousands per step on
the medium network, several milliseconds), while torch keeps its own cache of freed blocks; a
second table re-measures both with glibc's mmap threshold raised, which lets freed arrays be
reused, to show how much of the gap that is.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when torch loads its OpenMP

import numpy as np
import torch
from _common import (
    blas_threads,
    describe_machine,
    format_time,
    median_seconds,
    print_table,
    raise_glibc_mmap_threshold,
)

import matgrad as mg

CASES = [
    ("tiny", [3, 4, 2], 1),
    ("small", [784, 128, 64, 10], 64),
    ("medium", [784, 512, 512, 10], 256),
]
TARGETS = {"tiny": 0.2, "small": 0.7, "medium": 1.0}
LAM = 0.1


def torch_step(params, x, y):
    def run():
        for p in params:
            p.grad = None
        h = x
        for k in range(0, len(params), 2):
            h = torch.tanh(params[k] @ h + params[k + 1])
        J = 0.5 * ((h - y) ** 2).sum(dim=0).mean()
        J = J + LAM * sum(0.5 * (params[k] ** 2).sum() for k in range(0, len(params), 2))
        J.backward()

    return run


def measure(header: str) -> None:
    rows = []
    for name, widths, m in CASES:
        for dtype in (np.float64, np.float32):
            net = mg.MLP(widths, seed=0, lam=LAM, dtype=dtype)
            rng = np.random.default_rng(0)
            x = rng.normal(size=(widths[0], m)).astype(dtype)
            y = rng.normal(size=(widths[-1], m)).astype(dtype)
            ours = median_seconds(lambda net=net, x=x, y=y: net.gradients(x, y), repeats=200)
            params = [
                torch.from_numpy(net.parameter(p, k).copy()).requires_grad_()
                for p, k in net.parameters()
            ]
            run = torch_step(params, torch.from_numpy(x), torch.from_numpy(y))
            theirs = median_seconds(run, repeats=200)
            run()
            agree = max(
                mg.relative_error(net.gradients(x, y).parameter(p, k), t.grad.numpy())
                for (p, k), t in zip(net.parameters(), params, strict=True)
            )
            ratio = ours / theirs
            verdict = "met" if ratio <= TARGETS[name] else "missed"
            rows.append(
                [
                    f"{name} {'-'.join(map(str, widths))}, m={m}",
                    np.dtype(dtype).name,
                    format_time(ours),
                    format_time(theirs),
                    f"{ratio:.2f}x",
                    f"<= {TARGETS[name]}x {verdict}",
                    f"{agree:.0e}",
                ]
            )
    print()
    print(header)
    print_table(["network", "dtype", "ours", "torch", "ratio", "target", "grad. agreement"], rows)


def main():
    describe_machine()
    _, threads = blas_threads()
    torch.set_num_threads(threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (matched to the BLAS), "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
    )
    measure("default allocator:")
    if raise_glibc_mmap_threshold():
        measure("glibc's mmap threshold raised to 1 GiB (freed arrays reused, few page faults):")


if __name__ == "__main__":
    main()
