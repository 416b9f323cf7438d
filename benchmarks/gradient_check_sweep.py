"""A seeded random sweep of right and wrong gradients: how often does the gradient check lie?

    PYTHONPATH=src .venv/bin/python benchmarks/gradient_check_sweep.py [--quick] [--networks N]
        [--entry check]

``--entry check`` checks through ``mg.check`` (the cost as a function of every parameter by name,
``mg.NetworkCost``) instead of ``mg.gradient_check``: the same engine from its other door.

Networks are smooth (tanh or sigmoid; squared error, or softmax cross-entropy with an identity
output layer) of depth 1-4 and widths 1-8, and one in eight a deep sigmoid network of depth
8-16; each is drawn with a λ (0, or 1e-3 to 10), a reduction (sum or mean), a minibatch of 1-8
examples, inputs of scale 1e-3 to 255, and in one case of four a near fit (targets within
1e-5..1e-3 of the outputs, or softmax targets near the predicted probabilities). Each network
is checked in float32 and in float64 (the same weights), by forward, central and complex-step
differences, with the check's defaults:

* the correct gradient (Algorithm 6.4 in the network's dtype): it must not FAIL;
* wrong gradients: one parameter scaled by 1.1, negated, zeroed, its largest-magnitude entry
  +50 % or +5 %, and every mistake of ``matgrad.mistakes.MISTAKES``: they must not PASS.

A wrong gradient is counted only when it changes the claimed gradient of some parameter by at
least 5 % of that parameter's largest true entry (less 0.1 %, so that a +5 % change is not
decided by rounding), the true gradient being Algorithm 6.4 in float64 on a float64 copy of
the network and data; otherwise it is skipped as harmless (λ-mistakes when λ = 0, the 1/m
mistake when m = 1 ...). A mistake that cannot run on the network (an ill-shaped product) is
not applicable. An exception from the check is counted as raised, neither PASS nor FAIL.
Everything is seeded: the same code gives the same counts.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from _honesty import (
    FAIL,
    PASS,
    UNRESOLVED,
    Tally,
    attempt,
    describe_run,
    markdown_table,
    true_gradients,
    with_changed,
)

import matgrad as mg
from matgrad.mistakes import MISTAKES, backward_with_mistake

SEED = 12
NETWORKS = 320
QUICK_NETWORKS = 40
DEEP_EVERY = 8
SQUARE = 1 / 6  # all widths equal: the transposition mistakes then keep their shapes
NEAR_FIT = 0.25
DTYPES = (np.float32, np.float64)
METHODS = ("forward", "central", "complex")
CORRUPTIONS = ("scaled ×1.1", "negated", "zeroed", "largest entry +50%", "largest entry +5%")
SIGNIFICANT = 0.05 * (1 - 1e-3)
EXAMPLES = 2  # false PASS and false FAIL shown per dtype and method


@dataclass
class Spec:
    """One random network and its data, drawn from a seeded generator."""

    index: int
    widths: list[int]
    activation: str
    output_activation: str | None
    loss: str
    lam: float
    reduction: str
    m: int
    scale: float
    near_fit: float  # residual size; 0 for ordinary targets

    def describe(self) -> str:
        output = self.output_activation or self.activation
        loss = "CE" if self.loss == "softmax_cross_entropy" else "SE"
        fit = f", near fit {self.near_fit:.0e}" if self.near_fit else ""
        return (
            f"#{self.index} {'-'.join(map(str, self.widths))} {self.activation}/{output} {loss}, "
            f"λ={self.lam:.2g}, {self.reduction}, m={self.m}, x scale {self.scale:.1e}{fit}"
        )


def draw_spec(rng: np.random.Generator, index: int) -> Spec:
    deep = index % DEEP_EVERY == DEEP_EVERY - 1
    depth = int(rng.integers(8, 17)) if deep else int(rng.integers(1, 5))
    activation = "sigmoid" if deep else str(rng.choice(["tanh", "sigmoid"]))
    loss = str(rng.choice(["squared_error", "softmax_cross_entropy"]))
    widths = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
    if loss == "softmax_cross_entropy":
        widths[-1] = max(widths[-1], 2)
        output = "identity"
    else:
        output = "identity" if rng.random() < 0.3 else None
    if not deep and rng.random() < SQUARE:
        widths = [widths[-1]] * (depth + 1)
    lam = 0.0 if rng.random() < 1 / 3 else float(10 ** rng.uniform(-3, 1))
    reduction = str(rng.choice(["sum", "mean"]))
    m = int(rng.integers(1, 9))
    scale = float(10 ** rng.uniform(-3, np.log10(255)))
    near_fit = float(10 ** rng.uniform(-5, -3)) if rng.random() < NEAR_FIT else 0.0
    return Spec(index, widths, activation, output, loss, lam, reduction, m, scale, near_fit)


def build(spec: Spec, dtype) -> tuple[mg.MLP, np.ndarray, np.ndarray]:
    """The network in ``dtype`` (float64 weights rounded for float32) and its data."""
    settings = dict(
        activation=spec.activation,
        output_activation=spec.output_activation,
        loss=spec.loss,
        lam=spec.lam,
        reduction=spec.reduction,
    )
    reference = mg.MLP(spec.widths, seed=spec.index, **settings)
    net = mg.MLP.from_weights(
        [reference.W[k].astype(dtype) for k in range(1, reference.l + 1)],
        [reference.b[k].astype(dtype) for k in range(1, reference.l + 1)],
        **settings,
    )
    rng = np.random.default_rng([SEED, spec.index])
    n_0, n_l = spec.widths[0], spec.widths[-1]
    x = (spec.scale * rng.normal(size=(n_0, spec.m))).astype(dtype)
    noise = rng.normal(size=(n_l, spec.m))
    labels = rng.integers(0, n_l, size=spec.m)
    one_hot = np.eye(n_l, dtype=dtype)[:, labels]
    yhat = net.forward(x, one_hot).yhat.astype(np.float64)
    if spec.loss == "softmax_cross_entropy":
        # Near a fit: targets close to the predicted probabilities (a tiny gradient).
        y = mg.softmax(yhat + spec.near_fit * noise) if spec.near_fit else one_hot
    else:
        y = yhat + spec.near_fit * noise if spec.near_fit else 0.5 * noise
    return net, x, y.astype(dtype)


def corrupt(correct, name: str, k: int, how: str):
    """``correct`` with one parameter's gradient changed as ``how`` says."""
    G = np.array(correct.parameter(name, k), copy=True)
    worst = np.unravel_index(np.argmax(np.abs(G)), G.shape)
    if how == "scaled ×1.1":
        G = G * G.dtype.type(1.1)
    elif how == "negated":
        G = -G
    elif how == "zeroed":
        G = np.zeros_like(G)
    elif how == "largest entry +50%":
        G[worst] *= G.dtype.type(1.5)
    elif how == "largest entry +5%":
        G[worst] *= G.dtype.type(1.05)
    return with_changed(correct, name, k, G)


def deviation(claimed, true, net) -> float:
    """max over parameters of max|claimed − true| / max|true| (the correct claim's rounding)."""
    worst = 0.0
    for name, k in net.parameters():
        scale = np.max(np.abs(true.parameter(name, k)))
        error = np.max(np.abs(claimed.parameter(name, k) - true.parameter(name, k)))
        worst = max(worst, float(error / scale) if scale > 0 else float(error > 0) * np.inf)
    return worst


def changes(claimed, correct, true, net) -> bool:
    """Whether ``claimed`` differs from ``correct`` by ≥ 5 % of some parameter's true scale."""
    for name, k in net.parameters():
        A = np.asarray(claimed.parameter(name, k))
        if A.shape != correct.parameter(name, k).shape:
            return True
        change = np.max(np.abs(A.astype(np.float64) - correct.parameter(name, k)))
        scale = np.max(np.abs(true.parameter(name, k)))
        if change > 0 and change >= SIGNIFICANT * scale:
            return True
    return False


def tally_row(tally: Tally, dtype: str, method: str) -> list[str]:
    return [
        dtype,
        method,
        f"{tally.correct + tally.wrong} ({tally.correct} + {tally.wrong})",
        str(tally.false_pass),
        str(tally.false_fail),
        f"{tally.unresolved_correct} / {tally.unresolved_wrong}",
        str(tally.raised),
        f"{tally.harmless} / {tally.not_applicable}",
        f"{tally.seconds:.1f} s",
    ]


GROUPS = {
    "deep sigmoid (depth 8-16)": lambda spec: len(spec.widths) > 5,
    "near a fit": lambda spec: bool(spec.near_fit),
    "λ ≥ 1": lambda spec: spec.lam >= 1,
    "x scale ≥ 10": lambda spec: spec.scale >= 10,
    "x scale ≤ 1e-2": lambda spec: spec.scale <= 1e-2,
    "all widths equal": lambda spec: len(set(spec.widths)) == 1,
    "every network": lambda spec: True,
}
"""Overlapping groups of networks, for where the false verdicts come from."""


class Results:
    """Counts per dtype and method, per kind of wrong gradient and per group of networks."""

    def __init__(self):
        self.tallies = defaultdict(Tally)  # (dtype, method) → Tally
        self.by_kind = defaultdict(Counter)  # kind of wrong gradient → counts
        self.by_group = defaultdict(Counter)  # group → counts
        self.errors = Counter()  # exception text → count
        self.examples = defaultdict(list)  # (dtype, method, "false PASS"/"false FAIL") → rows
        self.off_in_dtype = Counter()  # correct claims ≥ 5 % off the float64 truth

    def record(self, spec, dtype, method, label, wrong, outcome, seconds) -> None:
        tally = self.tallies[dtype, method]
        tally.seconds += seconds
        kind = label if label in MISTAKES else label.rsplit(" ", 1)[0]
        groups = [group for group, member in GROUPS.items() if member(spec)]
        if wrong:
            tally.wrong += 1
            self.by_kind[kind]["counted"] += 1
        else:
            tally.correct += 1
        for group in groups:
            self.by_group[group]["wrong" if wrong else "correct"] += 1
        if outcome.raised:
            tally.raised += 1
            self.errors[outcome.text(80)] += 1
            self.by_kind[kind]["raised"] += wrong
            return
        if outcome.verdict == UNRESOLVED:
            if wrong:
                tally.unresolved_wrong += 1
                self.by_kind[kind]["unresolved"] += 1
            else:
                tally.unresolved_correct += 1
        lie = "false PASS" if wrong and outcome.verdict == PASS else ""
        lie = lie or ("false FAIL" if not wrong and outcome.verdict == FAIL else "")
        if not lie:
            return
        if wrong:
            tally.false_pass += 1
            self.by_kind[kind]["false PASS"] += 1
        else:
            tally.false_fail += 1
        for group in groups:
            self.by_group[group][lie] += 1
        shown = self.examples[dtype, method, lie]
        if len(shown) < EXAMPLES:
            shown.append([spec.describe(), dtype, method, label, outcome.text(70)])


def by_cost(net, x, y, *, method, gradients):
    """``mg.check`` of ``J`` as a function of every ``W(k)``, ``b(k)`` by name."""
    cost = mg.NetworkCost(net, x, y)
    claimed = {label: gradients.parameter(*key) for label, key in cost.names.items()}
    return mg.check(cost, cost.inputs, claimed, method=method)


ENTRY_POINTS = {"gradient_check": mg.gradient_check, "check": by_cost}


def sweep_network(spec: Spec, results: Results, entry=mg.gradient_check) -> None:
    """Check the correct and the wrong gradients of one network, in each dtype and method."""
    choose = np.random.default_rng([SEED, spec.index, 1])
    parameters = None
    for dtype in DTYPES:
        net, x, y = build(spec, dtype)
        dtype_name = np.dtype(dtype).name
        record = net.forward(x, y)
        correct = net.backward(record, y)
        true = true_gradients(net, x, y)
        off = deviation(correct, true, net)
        if off >= SIGNIFICANT:
            results.off_in_dtype[dtype_name] += 1
        if parameters is None:  # the same corrupted parameters in both dtypes
            keys = net.parameters()
            parameters = [keys[int(choose.integers(len(keys)))] for _ in CORRUPTIONS]
        claims = [(f"correct ({off:.0e} off the float64 truth)", correct)]
        for how, (name, k) in zip(CORRUPTIONS, parameters, strict=True):
            claims.append((f"{how} {name}({k})", corrupt(correct, name, k, how)))
        for mistake in MISTAKES:
            try:
                claims.append((mistake, backward_with_mistake(net, record, y, mistake)))
            except ValueError:  # an ill-shaped product: the mistake cannot run here
                claims.append((mistake, None))
        for method in METHODS:
            tally = results.tallies[dtype_name, method]
            for label, claimed in claims:
                wrong = not label.startswith("correct")
                if claimed is None:
                    tally.not_applicable += 1
                    continue
                if wrong and not changes(claimed, correct, true, net):
                    tally.harmless += 1
                    continue
                began = time.perf_counter()
                outcome = attempt(
                    lambda net=net, x=x, y=y, c=claimed, m=method: entry(
                        net, x, y, method=m, gradients=c
                    )
                )
                seconds = time.perf_counter() - began
                results.record(spec, dtype_name, method, label, wrong, outcome, seconds)


def report(specs: list[Spec], results: Results) -> None:
    count = len(specs)
    print("# Gradient check: a seeded random sweep of right and wrong gradients\n")
    print(describe_run() + "\n")
    groups = {group: sum(map(member, specs)) for group, member in GROUPS.items()}
    print(
        f"{count} networks (seed {SEED}; {groups['deep sigmoid (depth 8-16)']} deep sigmoid, "
        f"{groups['near a fit']} near a fit, {groups['all widths equal']} with all widths "
        f"equal), each in float32 and float64, checked by {', '.join(METHODS)} differences "
        "with the check's defaults.\n"
    )
    total, rows = Tally(), []
    for dtype in DTYPES:
        for method in METHODS:
            tally = results.tallies[np.dtype(dtype).name, method]
            rows.append(tally_row(tally, np.dtype(dtype).name, method))
            total.add(tally)
    rows.append(tally_row(total, "all", "all"))
    headers = [
        "dtype",
        "method",
        "cases (correct + wrong)",
        "false PASS",
        "false FAIL",
        "UNRESOLVED (correct / wrong)",
        "raised",
        "skipped: harmless / n.a.",
        "check time",
    ]
    print(markdown_table(headers, rows))
    print("\n## Wrong gradients by kind (all dtypes and methods)\n")
    kinds = [*CORRUPTIONS, *MISTAKES]
    counts = ("counted", "false PASS", "unresolved", "raised")
    print(
        markdown_table(
            ["wrong gradient", "counted", "false PASS", "UNRESOLVED", "raised"],
            [[kind, *(results.by_kind[kind][c] for c in counts)] for kind in kinds],
        )
    )
    print("\n## By group of networks (groups overlap; all dtypes and methods)\n")
    print(
        markdown_table(
            ["networks", "count", "wrong: checked / false PASS", "correct: checked / false FAIL"],
            [
                [
                    group,
                    groups[group],
                    f"{c['wrong']} / {c['false PASS']}",
                    f"{c['correct']} / {c['false FAIL']}",
                ]
                for group, c in ((g, results.by_group[g]) for g in GROUPS)
            ],
        )
    )
    off = ", ".join(f"{d}: {results.off_in_dtype[d]} of {count}" for d in ("float32", "float64"))
    print(
        "\nCorrect claims (Algorithm 6.4 in the network's dtype) that are themselves ≥ 5 % off "
        f"the float64 truth for some parameter: {off}."
    )
    if results.errors:
        print("\n## Exceptions raised by the check\n")
        errors = results.errors.most_common()
        print(markdown_table(["exception", "count"], [[e, n] for e, n in errors]))
    examples = [row for rows in results.examples.values() for row in rows]
    if examples:
        print(f"\n## Examples: up to {EXAMPLES} false PASS and false FAIL per dtype and method\n")
        print(
            markdown_table(["network", "dtype", "method", "claimed gradient", "outcome"], examples)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_NETWORKS} networks")
    parser.add_argument("--networks", type=int, help=f"how many networks (default {NETWORKS})")
    parser.add_argument(
        "--entry", choices=list(ENTRY_POINTS), default="gradient_check", help="which door"
    )
    arguments = parser.parse_args()
    count = arguments.networks or (QUICK_NETWORKS if arguments.quick else NETWORKS)
    start = time.perf_counter()
    rng = np.random.default_rng(SEED)
    specs = [draw_spec(rng, index) for index in range(count)]
    results = Results()
    for spec in specs:
        sweep_network(spec, results, ENTRY_POINTS[arguments.entry])
    report(specs, results)
    print(f"\nTotal time {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
