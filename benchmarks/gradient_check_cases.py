"""Issue 12's "What goes wrong today", case by case: does the gradient check tell the truth?

    PYTHONPATH=src .venv/bin/python benchmarks/gradient_check_cases.py

Each case builds the network, data and claimed gradients the issue describes, states the truth
(a correct gradient must not FAIL, a wrong one must not PASS, a bad input must raise a
ValueError/TypeError that names it, ...), runs the code under test and prints a Markdown table:
case | truth | outcome | honest?. Everything printed is computed in this run (seeded, so
deterministic). It runs against the gradient check before and after issue 12: the verdict is
``report.verdict`` where it exists and ``PASS``/``FAIL`` from ``report.passed`` otherwise.

The resource cases (784-512-10 at m = 4096, 784-512-512-10) run in a child process whose
address space is capped at 4 GiB, so an unbounded allocation ends in a MemoryError there rather
than in the machine's memory; peak memory is ``tracemalloc``'s (numpy reports its buffers to it).
With a ``sample=`` keyword (the new API) they check 50 entries per array; without it a check
that would allocate more than 2 GiB is not run. The random corruption sweep of issue 12 is
``gradient_check_sweep.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _honesty import (
    FAIL,
    PASS,
    UNRESOLVED,
    VERDICTS,
    Outcome,
    attempt,
    check_keywords,
    describe_error,
    describe_run,
    markdown_table,
    shorten,
    true_gradients,
    verdict_of,
    with_changed,
)

import matgrad as mg
from matgrad.functions import Regularizer
from matgrad.mistakes import backward_with_mistake

MiB = 2**20
GiB = 2**30
MEMORY_BUDGET = 512 * MiB  # issue 12's stated budget for 784-512-10 at m = 4096
SKIP_ABOVE = 2 * GiB  # without sample=, a check that would allocate more is not run
CHILD_ADDRESS_SPACE = 4 * GiB
CHILD_TIMEOUT = 60.0
SAMPLE = 50


# --- truths: what an honest outcome is ---------------------------------------------------


@dataclass
class Truth:
    text: str
    judge: Callable[[Outcome], bool]


def names_in(error: BaseException | None, names) -> bool:
    """Whether a ValueError/TypeError's message names one of ``names`` (as a whole word)."""
    if not isinstance(error, (ValueError, TypeError)):
        return False
    message = str(error)
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) for name in names)


def listed(names) -> str:
    return "/".join(names)


def not_fail(refuse: tuple[str, ...] = ()) -> Truth:
    text = "correct gradient: must not FAIL"
    if refuse:
        text += f" (or refuse: ValueError/TypeError naming {listed(refuse)})"
    return Truth(
        text,
        lambda o: o.verdict in (PASS, UNRESOLVED) or (bool(refuse) and names_in(o.error, refuse)),
    )


def not_pass(refuse: tuple[str, ...] = (), why: str = "wrong gradient") -> Truth:
    text = f"{why}: must not PASS"
    if refuse:
        text += f" (or refuse: ValueError/TypeError naming {listed(refuse)})"
    return Truth(
        text,
        lambda o: o.verdict in (FAIL, UNRESOLVED) or (bool(refuse) and names_in(o.error, refuse)),
    )


def refused(names: tuple[str, ...], what: str = "bad input") -> Truth:
    return Truth(
        f"{what}: must raise ValueError/TypeError naming {listed(names)}",
        lambda o: names_in(o.error, names),
    )


def no_check() -> Truth:
    """Widgets: after an impossible setting, show "no check", never an earlier verdict."""

    def judge(o: Outcome) -> bool:
        if o.raised:
            return False
        shown = str(o.value)
        return "no check" in shown.lower() and not re.search(r"\b(PASS|FAIL|UNRESOLVED)\b", shown)

    return Truth("impossible setting: no exception; repr/verdict say no check", judge)


# --- the cases ---------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    truth: Truth
    outcome: Outcome
    shown: str = ""  # what to print instead of outcome.text()
    honest: str = ""  # set instead of truth.judge(outcome) (cases not run)

    def cells(self) -> list[str]:
        honest = self.honest or ("yes" if self.truth.judge(self.outcome) else "no")
        return [self.case, self.truth.text, self.shown or self.outcome.text(), honest]


CASES: list[Callable[[], list[Row]]] = []


def case(function):
    CASES.append(function)
    return function


def largest(gradients, name=None, k=None) -> float:
    """The largest |entry| of one gradient, or of all of them."""
    if name is not None:
        return float(np.max(np.abs(gradients.parameter(name, k))))
    arrays = [*gradients.W.values(), *gradients.b.values()]
    return max(float(np.max(np.abs(a))) for a in arrays)


def zeros_like_gradients(net) -> mg.Gradients:
    return mg.Gradients(
        W={k: np.zeros_like(net.W[k]) for k in net.W}, b={k: np.zeros_like(net.b[k]) for k in net.b}
    )


def check(net, x, y, **options) -> Outcome:
    return attempt(lambda: mg.gradient_check(net, x, y, **options))


@case
def near_fit_float32_all_zeros() -> list[Row]:
    net = mg.MLP([3, 5, 2], seed=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    yhat = net.forward(x, np.zeros((2, 4), np.float32)).yhat.astype(np.float64)
    # Residuals r give J = ½ mean_i ‖r_i‖² (mean reduction): scale them so that J ≈ 6e-8.
    r = rng.normal(size=yhat.shape)
    r *= math.sqrt(6e-8 / (0.5 * np.mean(np.sum(r * r, axis=0))))
    y = (yhat + r).astype(np.float32)
    J = float(net.cost(x, y))
    true = true_gradients(net, x, y)
    return [
        Row(
            f"1. float32 3-5-2 near a fit (J = {J:.1e}, largest true entry {largest(true):.0e}), "
            "claimed gradient all zeros, default check",
            not_pass(),
            check(net, x, y, gradients=zeros_like_gradients(net)),
        )
    ]


@case
def float32_lambda_forward_missing_f_prime() -> list[Row]:
    net = mg.MLP([20, 30, 5], seed=0, dtype=np.float32, lam=1.0)
    rng = np.random.default_rng(100)
    m = 64
    x = rng.normal(size=(20, m)).astype(np.float32)
    y = rng.normal(size=(5, m)).astype(np.float32)
    claimed = backward_with_mistake(net, net.forward(x, y), y, "missing_f_prime")
    true = true_gradients(net, x, y)
    off = np.max(np.abs(claimed.b[1] - true.b[1])) / largest(true, "b", 1)
    return [
        Row(
            f"1. float32 20-30-5, λ = 1, m = {m}, forward differences, missing_f_prime "
            f"(b(1) off by {off:.0%} of its largest true entry)",
            not_pass(),
            check(net, x, y, method="forward", gradients=claimed),
        )
    ]


@case
def deep_sigmoid_first_layer() -> list[Row]:
    net = mg.MLP([4] * 17, seed=0, activation="sigmoid")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    correct = net.gradients(x, y)
    zeroed = with_changed(correct, "W", 1, np.zeros_like(correct.W[1]))
    negated = with_changed(correct, "b", 1, -correct.b[1])
    size = f"largest true entries W(1) {largest(correct, 'W', 1):.0e}, b(1) "
    size += f"{largest(correct, 'b', 1):.0e}"
    return [
        Row(
            f"1. float64 16-layer sigmoid (4 wide), W(1) zeroed, default central ({size})",
            not_pass(),
            check(net, x, y, gradients=zeroed),
        ),
        Row(
            "1. the same network, b(1) negated, default central",
            not_pass(),
            check(net, x, y, gradients=negated),
        ),
    ]


@case
def penalty_inflates_bias_floor() -> list[Row]:
    rows = []
    for lam in (10.0, 0.0):
        net = mg.MLP([5, 8, 3], seed=0, dtype=np.float32, lam=lam)
        rng = np.random.default_rng(7)
        x = rng.normal(size=(5, 16)).astype(np.float32)
        y = rng.normal(size=(3, 16)).astype(np.float32)
        correct = net.gradients(x, y)
        negated = with_changed(correct, "b", 1, -correct.b[1])
        J = float(net.cost(x, y))
        label = (
            "1. λΩ inside J inflates the floor of the unregularized b(1): float32 5-8-3, "
            f"m = 16, λ = {lam:g} (J = {J:.1f}), b(1) negated, forward differences"
            if lam
            else f"1. control: the same with λ = 0 (J = {J:.1f})"
        )
        rows.append(
            Row(
                label,
                not_pass(),
                check(net, x, y, method="forward", gradients=negated),
            )
        )
    return rows


def mnist_like(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw-pixel-like inputs: 784 values, four in five 0, the rest whole numbers 1..255."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((784, m)) < 0.2, rng.integers(1, 256, (784, m)), 0).astype(float)
    y = np.eye(10)[:, rng.integers(0, 10, m)]
    return x, y


def softmax_net(widths, seed: int = 0, dtype=np.float64):
    return mg.MLP(
        widths,
        seed=seed,
        output_activation="identity",
        loss="softmax_cross_entropy",
        dtype=dtype,
    )


@case
def raw_pixels() -> list[Row]:
    x, y = mnist_like(32)
    net = softmax_net([784, 32, 10])
    return [
        Row(
            "2. raw pixels 0-255 into 784-32-10 softmax CE (m = 32), correct backprop, "
            "default central",
            not_fail(),
            check(net, x, y),
        ),
        Row("2. control, the same with x / 255", not_fail(), check(net, x / 255, y)),
    ]


@case
def complex_step_saturated_tanh() -> list[Row]:
    net = mg.MLP([3, 1, 2], seed=0)
    net.b[1][0, 0] = 25.0  # tanh(a) rounds to 1 and 1 - tanh(a)² to 0 in float64
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    a = net.forward(x, y).a[1]
    return [
        Row(
            f"2. complex step, 3-1-2 tanh with its hidden unit saturated (a(1) ≥ {a.min():.0f}, "
            f"where backprop's 1 − tanh² is {np.max(1 - np.tanh(a) ** 2):.0g}), correct backprop",
            not_fail(),
            check(net, x, y, method="complex"),
        )
    ]


@case
def float16_input() -> list[Row]:
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)).astype(np.float16), rng.normal(size=(2, 5))
    return [
        Row(
            "2. float16 x into a float64 3-4-2 network, correct backprop, default central",
            not_fail(refuse=("x",)),
            check(net, x, y),
        )
    ]


@case
def matrix_inputs() -> list[Row]:
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))  # n_l = m = 2
    J = float(net.cost(x, y))
    forward = attempt(lambda: mg.forward(net, np.matrix(x), np.matrix(y)).J)
    value = forward.value
    same = not forward.raised and np.ndim(value) == 0 and math.isclose(float(value), J)
    plain_verdict = verdict_of(mg.gradient_check(net, x, y))
    matrix_check = check(net, np.matrix(x), np.matrix(y))
    return [
        Row(
            f"3. np.matrix x, y with n_l = m = 2: forward's J (plain arrays give J = {J:.4f})",
            Truth(
                f"must equal {J:.4f} (or raise ValueError/TypeError naming x/y)",
                lambda o: same or names_in(o.error, ("x", "y")),
            ),
            forward,
            shown=describe_error(forward.error) if forward.raised else f"J = {value!r}",
        ),
        Row(
            "3. the same np.matrix x, y: gradient_check",
            Truth(
                f"must raise ValueError/TypeError naming x/y, or give the plain-array verdict "
                f"({plain_verdict})",
                lambda o: o.verdict == plain_verdict or names_in(o.error, ("x", "y")),
            ),
            matrix_check,
        ),
    ]


@case
def masked_inputs() -> list[Row]:
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    x_masked = np.ma.masked_array(x.copy(), mask=np.zeros(x.shape, bool))
    x_masked[0, 0] = np.ma.masked
    y_masked = np.ma.masked_array(y.copy(), mask=np.zeros(y.shape, bool))
    y_masked[0, 0] = np.ma.masked
    forward = attempt(lambda: mg.forward(net, x, y_masked).J)
    J = float(net.cost(x, y))
    return [
        Row(
            f"3. masked y (one entry masked): forward's J (unmasked data: J = {J:.4f})",
            refused(("y",), "masks cannot be honoured"),
            forward,
            shown=describe_error(forward.error) if forward.raised else f"J = {forward.value!r}",
        ),
        Row(
            "3. masked x (one entry masked): gradient_check",
            refused(("x",), "masks cannot be honoured"),
            check(net, x_masked, y),
        ),
    ]


def small_problem():
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    return net, x, y, net.gradients(x, y)


@case
def nan_in_claimed_gradient() -> list[Row]:
    net, x, y, correct = small_problem()
    W1 = correct.W[1].copy()
    W1[0, 0] = np.nan
    outcome = check(net, x, y, gradients=with_changed(correct, "W", 1, W1))

    def judge(o: Outcome) -> bool:
        if o.verdict != FAIL:
            return False
        row = o.report["W(1)"]
        return not row.passed and getattr(row, "verdict", FAIL) == FAIL

    return [
        Row(
            "3. NaN in the claimed ∇W(1) J (3-4-2)",
            Truth("wrong gradient: a FAIL row for W(1), not an exception", judge),
            outcome,
        )
    ]


@case
def odd_options() -> list[Row]:
    net, x, y, _ = small_problem()
    return [
        Row("3. tolerance = 1", refused(("tolerance",)), check(net, x, y, tolerance=1.0)),
        Row('3. batched = "no"', refused(("batched",)), check(net, x, y, batched="no")),
    ]


@case
def odd_claimed_gradients() -> list[Row]:
    net, x, y, correct = small_problem()
    missing = mg.Gradients(W={1: correct.W[1]}, b=correct.b)
    as_lists = mg.Gradients(W=[correct.W[1], correct.W[2]], b=[correct.b[1], correct.b[2]])
    ragged = with_changed(correct, "W", 1, [[1.0, 2.0], [3.0]])
    return [
        Row(
            "3. gradients as a dict {'W': ..., 'b': ...} (no .W attribute)",
            refused(("gradients",)),
            check(net, x, y, gradients={"W": correct.W, "b": correct.b}),
        ),
        Row(
            "3. gradients without ∇W(2) J (W keyed {1} only)",
            refused(("gradients", "W(2)", "∇W(2)")),
            check(net, x, y, gradients=missing),
        ),
        Row(
            "3. gradients as lists indexed from 0 ([∇W(1), ∇W(2)])",
            not_pass(refuse=("gradients", "W(1)", "W(2)"), why="misread gradients"),
            check(net, x, y, gradients=as_lists),
        ),
        Row(
            "3. a ragged claimed ∇W(1) J ([[1, 2], [3]])",
            not_pass(refuse=("W(1)", "∇W(1)", "gradients"), why="not a gradient"),
            check(net, x, y, gradients=ragged),
        ),
    ]


@case
def regularizer_parts_disagree() -> list[Row]:
    # terms and gradient say ½ΣW² (∇ = W); total, which forward() uses, says ΣW².
    odd = Regularizer(
        "odd", lambda W: 0.5 * W * W, lambda W: W, total=lambda W: W.ravel() @ W.ravel()
    )
    net = mg.MLP([3, 4, 2], seed=0, regularizer=odd, lam=0.5)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    truth = not_pass(
        refuse=("regularizer", "odd", "terms", "total"),
        why="backprop's ∇ is not ∇ of the J forward() reports",
    )
    return [
        Row(
            "4. Regularizer whose total (ΣW²) disagrees with its terms (½W²), λ = 0.5, batched",
            truth,
            check(net, x, y),
        ),
        Row("4. the same, batched=False", truth, check(net, x, y, batched=False)),
    ]


# --- resources: run in a child process with a capped address space -------------------------

RESOURCE_CASES = {
    "784-512-10": ([784, 512, 10], 4096, True),
    "784-32-10": ([784, 32, 10], 32, False),
    "784-512-512-10": ([784, 512, 512, 10], 16, True),
}
"""name → (widths, m, sampled when the API can sample)."""


def resource_child(name: str) -> None:
    """Child process: build the case, check it under tracemalloc, print one JSON line."""
    widths, m, sampled = RESOURCE_CASES[name]
    x, y = mnist_like(m)
    net = softmax_net(widths)
    options = {"sample": SAMPLE} if sampled and "sample" in check_keywords() else {}
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    outcome = check(net, x / 255, y, **options)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "verdict": outcome.verdict,
                "text": outcome.text(60),
                "seconds": seconds,
                "peak": peak,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "options": options,
            }
        )
    )


def cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))


def run_resource_case(name: str) -> dict:
    """Run a resource case in a child (or say why not); a dict with ``note`` or the results."""
    widths, m, sampled = RESOURCE_CASES[name]
    P = max(a * b for a, b in zip(widths[1:], widths[:-1], strict=True))
    if sampled and "sample" not in check_keywords():
        # Every entry: the old batched differences index a (P_k, m) float64 array of h(k-1).
        need = P * m * 8
        if need > SKIP_ABOVE:
            return {"note": f"not run: no sample= option; every entry needs ≥ {need / GiB:.0f} GiB"}
        total = sum(a * b + a for a, b in zip(widths[1:], widths[:-1], strict=True))
        return {"note": f"not run: no sample= option (every one of P = {total:,} entries)"}
    try:
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--resource", name],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            preexec_fn=cap_address_space,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"note": f"did not finish within {CHILD_TIMEOUT:.0f} s"}
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        last = (child.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"note": f"child failed (exit {child.returncode}): {shorten(last, 70)}"}
    return json.loads(lines[-1])


def resource_text(result: dict) -> str:
    if "note" in result:
        return result["note"]
    options = ", ".join(f"{k}={v}" for k, v in result["options"].items()) or "every entry"
    verdict = result["verdict"] or result["text"]
    return (
        f"{verdict} in {result['seconds']:.1f} s, tracemalloc peak "
        f"{result['peak'] / MiB:.0f} MiB ({options})"
    )


@case
def memory_784_512_10() -> list[Row]:
    result = run_resource_case("784-512-10")
    truth = Truth(
        f"correct gradient, bounded memory: must not FAIL, peak < {MEMORY_BUDGET // MiB} MiB",
        lambda o: (
            "note" not in result
            and result["verdict"] in (PASS, UNRESOLVED)
            and result["peak"] < MEMORY_BUDGET
        ),
    )
    return [
        Row(
            "5. 784-512-10 softmax CE at m = 4096 (x / 255), correct backprop",
            truth,
            Outcome(),
            shown=resource_text(result),
            honest="no (not run)" if result.get("note", "").startswith("not run") else "",
        )
    ]


# --- widgets ---------------------------------------------------------------------------------


def widget_outcome(settings: Callable) -> Outcome:
    """Make the gradient checker, apply ``settings`` to it; the outcome is its repr."""
    from matgrad.book import widgets

    checker = widgets.make_gradient_checker()
    try:
        settings(checker)
    except Exception as error:
        return Outcome(error=error)
    return Outcome(value=f"verdict {checker.verdict}; repr {checker!r}")


def widget_shown(outcome: Outcome) -> str:
    """The verdict and the end of the repr (where the verdict is)."""
    if outcome.raised:
        return outcome.text()
    verdict, shown = str(outcome.value).split("; repr ", 1)
    return f'{verdict}; repr "…{shown[-40:]}"'


@case
def widget_cases() -> list[Row]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matgrad.book.widgets  # noqa: F401
    except ImportError as error:
        skipped = Outcome(error=error)
        return [Row("6. widgets", no_check(), skipped, honest="n/a (not installed)")]

    def relu_then_complex(checker):
        checker.activation.value = "relu"
        checker.method.value = "complex"

    def set_value(control, value):
        return lambda checker: setattr(getattr(checker, control), "value", value)

    settings = [
        ("relu, then complex step", relu_then_complex),
        ("formula dropped_transpose on 3-4-2", set_value("mistake", "dropped_transpose")),
        ("step set to NaN from code", set_value("step", float("nan"))),
        ("method set to None from code", set_value("method", None)),
        ("activation set to None from code", set_value("activation", None)),
    ]
    rows = [
        Row(f"6. gradient-checker widget: {label}", no_check(), outcome, widget_shown(outcome))
        for label, outcome in ((label, widget_outcome(apply)) for label, apply in settings)
    ]
    from matgrad.book import examples

    parsed = attempt(lambda: examples.parse_widths("-3-2"))
    rows.append(
        Row(
            '3. the widths box: examples.parse_widths("-3-2")',
            Truth("bad input: must raise ValueError", lambda o: isinstance(o.error, ValueError)),
            parsed,
        )
    )
    return rows


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resource", choices=sorted(RESOURCE_CASES), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.resource:
        resource_child(arguments.resource)
        return
    start = time.perf_counter()
    print("# Gradient check: the cases of issue 12\n")
    print(describe_run() + "\n")
    rows = [row for make in CASES for row in make()]
    cells = [row.cells() for row in rows]
    print(markdown_table(["case", "truth", "outcome", "honest?"], cells))
    honest = sum(cell[3] == "yes" for cell in cells)
    print(f"\nHonest: {honest} of {len(cells)} cases.\n")
    print("## Resources (x / 255, correct backprop; tracemalloc peak of the check alone)\n")
    resource_rows = []
    for name, (_, m, _) in RESOURCE_CASES.items():
        if name == "784-512-10":
            continue  # in the table above
        result = run_resource_case(name)
        rss = f"{result['maxrss'] / MiB:.0f} MiB" if "maxrss" in result else "-"
        resource_rows.append([f"{name} softmax CE, m = {m}", resource_text(result), rss])
    print(markdown_table(["check", "outcome", "child's max RSS"], resource_rows))
    print(f"\nVerdicts are {', '.join(VERDICTS)}; total time {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()
