"""The clock beside the cost-of-gradients chapter's counts: a whole gradient by central
differences (2P forward passes) against backpropagation, for that chapter's networks.

    .venv/bin/python benchmarks/gradient_cost.py [--plot cost.png]

The chapter stores only counts (exact on every machine); wall-clock times live here.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import numpy as np
from _common import describe_machine, format_time, median_seconds, print_table

import matgrad as mg
from matgrad.book import figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plot", help="also save the log-log figure to this PNG file")
    arguments = parser.parse_args()
    describe_machine()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 8)), rng.normal(size=(3, 8))
    nets = [mg.MLP([4, n, n, 3], seed=0, lam=0.1) for n in (2, 4, 8, 16, 32, 64)]
    seconds = {"finite differences (central)": [], "backpropagation": []}
    rows = []
    for net in nets:
        differences = median_seconds(
            lambda net=net: mg.numerical_gradient_vector(net, x, y), repeats=3
        )
        backprop = median_seconds(lambda net=net: net.gradients(x, y), repeats=20)
        seconds["finite differences (central)"].append(differences)
        seconds["backpropagation"].append(backprop)
        rows.append(
            [
                str(net.parameter_count),
                format_time(differences),
                format_time(backprop),
                f"{differences / backprop:.0f}x",
            ]
        )
    print_table(["P", "central differences", "backpropagation", "ratio"], rows)
    if arguments.plot:
        P = [net.parameter_count for net in nets]
        figures.plot_cost_scaling(P, seconds).savefig(arguments.plot, dpi=100)
        print(f"figure saved to {arguments.plot}")


if __name__ == "__main__":
    main()
