"""The data behind the interactive widgets, as pure functions of their settings.

Widgets call these and only display what comes back, so every number a reader sees can be
tested without a browser. Settings that cannot work (complex step on ReLU, an ill-shaped
wrong formula, a NaN step or no activation chosen) come back as a ``message`` in the book's
names instead of an exception, and a check from them has the verdict ``NO CHECK``.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matgrad.finite_differences import METHODS, batched_parameter_gradient, default_step
from matgrad.functions import ACTIVATIONS, LOSSES
from matgrad.gradient_check import GradientCheckReport, gradient_check, relative_error
from matgrad.mistakes import MISTAKES, backward_with_mistake
from matgrad.network import ALGORITHM_6_4, MLP

CORRECT = "none: the book's formula"
DEFAULT_WIDTHS = (3, 4, 2)
NO_CHECK = "NO CHECK"


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
        """The report's verdict (``PASS``, ``FAIL``, ``UNRESOLVED``), or ``NO CHECK``."""
        if self.report is None:
            return NO_CHECK
        return self.report.verdict


def _listed(options) -> str:
    return ", ".join(options)


def _settings_problem(
    *,
    activation=None,
    loss=None,
    lam=None,
    m=None,
    seed=None,
    method=None,
    step=None,
    mistake=None,
) -> str:
    """What is wrong with a widget's settings, in the book's names (``""`` when nothing is).

    Values set from code may be anything (``None`` in a dropdown, NaN in a slider): each is
    named by its control, ``activation f``, ``λ``, ``step h``, and so on.
    """
    if activation not in ACTIVATIONS:
        return f"choose an activation f ({_listed(ACTIVATIONS)}); got {activation!r}"
    if loss not in LOSSES:
        return f"choose a loss L ({_listed(LOSSES)}); got {loss!r}"
    if method not in METHODS:
        return f"choose a method ({_listed(METHODS)}); got {method!r}"
    if mistake != CORRECT and mistake not in MISTAKES:
        return f"choose a formula for Algorithm 6.4 (the book's, or a mistake); got {mistake!r}"
    if not _real(lam) or not math.isfinite(lam) or lam < 0:
        return f"λ must be a finite number ≥ 0; got {lam!r}"
    if step is not None and (not _real(step) or not math.isfinite(step) or step <= 0):
        return f"step h must be a finite number > 0; got {step!r}"
    if not _whole(m) or m < 1:
        return f"batch size m must be a whole number ≥ 1; got {m!r}"
    if not _whole(seed) or seed < 0:
        return f"seed must be a whole number ≥ 0; got {seed!r}"
    return ""


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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
    """Run Algorithm 6.4 (or a tempting wrong version of it) and check it numerically.

    Settings that cannot be checked (a ``None`` or NaN setting; complex step on ReLU; a
    wrong formula whose gradient cannot be formed) give an outcome without a report, whose
    ``message`` says why and whose ``verdict`` is ``NO CHECK``.
    """
    problem = _settings_problem(
        activation=activation,
        loss=loss,
        lam=lam,
        m=m,
        seed=seed,
        method=method,
        step=step,
        mistake=mistake,
    )
    if problem:
        return CheckOutcome(None, problem, mistake)
    try:
        net, x, y = example_problem(
            widths, activation=activation, loss=loss, lam=lam, m=m, seed=seed
        )
        gradients = None
        if mistake != CORRECT:
            gradients = backward_with_mistake(net, net.forward(x, y), y, mistake)
        report = gradient_check(net, x, y, method=method, step=step, gradients=gradients)
    except (ValueError, TypeError) as error:
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

    The raw difference quotients at exactly that step (no scaling, no second opinion):
    what the V-shaped curve is about. Complex step is left out for ReLU, not analytic.
    """
    net, x, y = example_problem(widths, activation=activation, m=2, seed=seed)
    exact = net.gradients(x, y)
    record = net.forward(x, y)
    curves = {}
    for method in methods:
        if method == "complex" and not net.analytic:
            continue
        curves[method] = np.array(
            [
                max(
                    relative_error(
                        exact.parameter(name, k),
                        batched_parameter_gradient(
                            net, x, y, name, k, method=method, step=float(s), record=record
                        ),
                    )
                    for name, k in net.parameters()
                )
                for s in steps
            ]
        )
    return curves


def theoretical_steps() -> dict[str, float]:
    """The steps the theory recommends (float64): ``ε^(1/2)`` forward, ``ε^(1/3)`` central."""
    return {method: default_step(method) for method in ("forward", "central")}


__all__ = [
    "CORRECT",
    "NO_CHECK",
    "CheckOutcome",
    "Frame",
    "backward_frames",
    "check_from_settings",
    "example_problem",
    "parse_widths",
    "step_errors",
    "theoretical_steps",
]
