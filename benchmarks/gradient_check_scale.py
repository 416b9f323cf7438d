"""Time and peak memory of gradient checks on MNIST-sized networks, all entries or a sample.

Run: python benchmarks/gradient_check_scale.py

- 784-32-10 (P = 25,450), m = 16: every entry, central differences (4 evaluations an entry:
  the difference and its check at twice the step), and the one-entry-at-a-time loop's
  estimate beside it;
- 784-512-512-10 (P = 669,706), m = 16: ``sample=200`` entries per parameter;
- 784-512-10 at m = 4096: ``sample=50``, the case whose arrays once grew with ``P m``.

Peak memory is tracemalloc's (numpy's allocations are traced), for the check alone.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from _common import describe_machine, format_time, print_table

import matgrad as mg
from matgrad.book import examples

CASES = [
    ("784-32-10", [784, 32, 10], 16, None),
    ("784-512-512-10", [784, 512, 512, 10], 16, 200),
    ("784-512-10, m = 4096", [784, 512, 10], 4096, 50),
]


def mnist_like(widths, m, seed=0):
    """A softmax classifier on pixel-like inputs in [0, 1] (MNIST's scale after /255)."""
    net = mg.MLP(
        widths, seed=seed, output_activation="identity", loss="softmax_cross_entropy", lam=1e-4
    )
    rng = np.random.default_rng(seed)
    x = rng.random((widths[0], m))
    y = examples.one_hot(widths[-1], m, rng)
    return net, x, y


def measure(net, x, y, sample):
    tracemalloc.start()
    start = time.perf_counter()
    report = mg.gradient_check(net, x, y, sample=sample, progress=False)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return report, seconds, peak


def main():
    describe_machine()
    rows = []
    for name, widths, m, sample in CASES:
        net, x, y = mnist_like(widths, m)
        report, seconds, peak = measure(net, x, y, sample)
        checked = sum(
            check.claimed.size if check.entries is None else len(check.entries)
            for check in report.checks
        )
        rows.append(
            [
                name,
                f"{net.parameter_count:,}",
                str(m),
                f"{checked:,}",
                format_time(seconds),
                f"{peak / 2**20:.0f} MiB",
                report.verdict,
            ]
        )
    print()
    print_table(["network", "P", "m", "entries checked", "time", "peak memory", "verdict"], rows)


if __name__ == "__main__":
    main()
