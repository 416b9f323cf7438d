"""The data behind the interactive widgets, as pure functions of their settings.

Widgets call these and only display what comes back, so every number a reader sees can be
tested without a browser. Settings that cannot work (complex step on ReLU, an ill-shaped
wrong formula) come back as a ``message`` instead of an exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matgrad.finite_differences import default_step
from matgrad.gradient_check import GradientCheckReport, gradient_check
from matgrad.mistakes import MISTAKES, backward_with_mistake
from matgrad.network import ALGORITHM_6_4, MLP

CORRECT = "none: the book's formula"
DEFAULT_WIDTHS = (3, 4, 2)


def parse_widths(text: str, *, max_width: int = 12, max_depth: int = 5) -> list[int]:
    """``"3-4-2"`` (or ``"3, 4, 2"``) → ``[3, 4, 2]``, with a clear ``ValueError`` otherwise.

    Separators are ``-``, ``,`` or spaces, one at a time (spaces around a separator are
    fine). A separator at either end or two in a row is refused rather than skipped, and
    a ``-`` that starts a number is read as a sign: ``"-3-2"``, ``"3--2"`` and ``"3, -2"``
    are errors (a width cannot be negative), never ``[3, 2]``. Non-text is a ValueError
    too, so the widget's text box can show every message.
    """
    if not isinstance(text, str):
        raise ValueError(f"widths are text like 3-4-2; got {type(text).__name__} {text!r}")
    example = "whole numbers separated by '-', like 3-4-2"
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"widths are {example}; got nothing")
    # A '-' that starts a number (at the start, or after a separator or a space) is a sign.
    negative = re.search(r"(?:^|[-,\s])-(\d+)", stripped)
    if negative:
        raise ValueError(
            f"widths are {example}; got {text!r}: a width cannot be negative (-{negative[1]})"
        )
    # One separator between widths: '-' or ',' (spaces around it allowed), or spaces alone.
    parts = re.split(r"\s*[-,]\s*|\s+", stripped)
    if "" in parts:
        raise ValueError(
            f"widths are {example}; got {text!r}: a separator at the start or end, or two in a row"
        )
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(f"widths are {example}; got {text!r}")
    if any(len(part) > 6 for part in parts):  # int() refuses over 4300 digits, with its own text
        raise ValueError(f"each width must be 1 to {max_width}; got {text!r}")
    widths = [int(part) for part in parts]
    if not 2 <= len(widths) <= max_depth + 1:
        raise ValueError(f"give 2 to {max_depth + 1} widths (an input, up to {max_depth} layers)")
    if not all(1 <= n <= max_width for n in widths):
        raise ValueError(f"each width must be 1 to {max_width}; got {widths}")
    return widths


def example_problem(
    widths: Sequence[int],
    *,
    activation: str = "tanh",
    loss: str = "squared_error",
    lam: float = 0.1,
    m: int = 1,
    seed: int = 0,
) -> tuple[MLP, np.ndarray, np.ndarray]:
    """A seeded network and minibatch: ``x`` is ``(n_0, m)``, ``y`` ``(n_l, m)`` (one-hot for
    softmax cross-entropy, whose output layer is then the identity, as logits)."""
    softmax = loss == "softmax_cross_entropy"
    net = MLP(
        list(widths),
        seed=seed,
        activation=activation,
        output_activation="identity" if softmax else None,
        loss=loss,
        lam=lam,
    )
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(widths[0], m))
    if softmax:
        y = np.eye(widths[-1])[:, rng.integers(0, widths[-1], size=m)]
    else:
        y = rng.normal(size=(widths[-1], m))
    return net, x, y


@dataclass
class CheckOutcome:
    """A gradient check from widget settings: the report, or why there is none."""

    report: GradientCheckReport | None
    message: str = ""
    mistake: str = CORRECT

    @property
    def verdict(self) -> str:
        if self.report is None:
            return "NO CHECK"
        return "PASS" if self.report.passed else "FAIL"


def check_from_settings(
    widths: Sequence[int] = DEFAULT_WIDTHS,
    *,
    activation: str = "tanh",
    loss: str = "squared_error",
    lam: float = 0.1,
    m: int = 2,
    seed: int = 0,
    method: str = "central",
    step: float | None = None,
    mistake: str = CORRECT,
) -> CheckOutcome:
    """Run Algorithm 6.4 (or a tempting wrong version of it) and check it numerically."""
    try:
        net, x, y = example_problem(
            widths, activation=activation, loss=loss, lam=lam, m=m, seed=seed
        )
        gradients = None
        if mistake != CORRECT:
            if mistake not in MISTAKES:
                raise ValueError(f"unknown mistake {mistake!r}")
            gradients = backward_with_mistake(net, net.forward(x, y), y, mistake)
        report = gradient_check(net, x, y, method=method, step=step, gradients=gradients)
    except ValueError as error:
        return CheckOutcome(None, str(error), mistake)
    return CheckOutcome(report, "", mistake)


@dataclass
class Frame:
    """One line of Algorithm 6.4 as the stepper shows it."""

    line: int
    k: int | None
    statement: str
    result: str
    value: np.ndarray
    g: np.ndarray
    gradients: dict[str, np.ndarray] = field(default_factory=dict)


def backward_frames(
    widths: Sequence[int] = DEFAULT_WIDTHS, *, lam: float = 0.1, m: int = 1, seed: int = 0
) -> list[Frame]:
    """Every executed line of Algorithm 6.4 on a seeded example, with the gradients so far."""
    net, x, y = example_problem(widths, lam=lam, m=m, seed=seed)
    trace = net.backward(net.forward(x, y), y).trace
    frames, done = [], {}
    for step in trace:
        if step.result.startswith("∇"):
            done = {**done, step.result: step.value}
        frames.append(
            Frame(
                step.line,
                step.k,
                ALGORITHM_6_4[step.line].strip(),
                step.result,
                step.value,
                step.g,
                done,
            )
        )
    return frames


def step_errors(
    widths: Sequence[int] = DEFAULT_WIDTHS,
    *,
    activation: str = "tanh",
    seed: int = 0,
    steps: Sequence[float] = tuple(np.logspace(-1, -13, 25)),
    methods: Sequence[str] = ("forward", "central", "complex"),
) -> dict[str, np.ndarray]:
    """The largest relative error of each method against backprop, at each step.

    Complex step is left out for ReLU, which is not analytic.
    """
    net, x, y = example_problem(widths, activation=activation, m=2, seed=seed)
    exact = net.gradients(x, y)
    curves = {}
    for method in methods:
        if method == "complex" and not net.analytic:
            continue
        curves[method] = np.array(
            [
                gradient_check(
                    net, x, y, method=method, step=float(s), gradients=exact
                ).max_rel_error
                for s in steps
            ]
        )
    return curves


def theoretical_steps() -> dict[str, float]:
    """The steps the theory recommends (float64): ``ε^(1/2)`` forward, ``ε^(1/3)`` central."""
    return {method: default_step(method) for method in ("forward", "central")}


__all__ = [
    "CORRECT",
    "CheckOutcome",
    "Frame",
    "backward_frames",
    "check_from_settings",
    "example_problem",
    "parse_widths",
    "step_errors",
    "theoretical_steps",
]
