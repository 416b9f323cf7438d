"""A gradient check from a reader's settings, or the reason there can be none.

Used in: questions (``check_from_settings``) and the gradient checker widget, which only
displays what comes back, so every verdict a reader sees can be tested without a browser.
Settings that cannot work (complex step on ReLU, an ill-shaped wrong formula, a NaN step
or no activation chosen) come back as a ``message`` in the book's names instead of an
exception, and a check from them has the verdict ``NO CHECK``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from matgrad.book import examples
from matgrad.checks import GradientCheckReport, gradient_check
from matgrad.finite_differences import METHODS
from matgrad.functions import ACTIVATIONS
from matgrad.mistakes import MISTAKES, backward_with_mistake

CORRECT = "none: the book's formula"
"""The gradient checker's formula setting for Algorithm 6.4 as the book writes it."""
NO_CHECK = "NO CHECK"
"""The verdict of settings that cannot be checked."""
CHECKER_LOSSES = ("squared_error", "softmax_cross_entropy")
"""The losses the gradient checker offers a reader, of all in :data:`matgrad.LOSSES`: not
``binary_cross_entropy``, which needs a sigmoid output and targets in [0, 1], while the checker
uses one activation ``f`` at every layer and, for squared error, standard normal targets (see
:func:`~matgrad.book.examples.example_problem`)."""


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
    if loss not in CHECKER_LOSSES:
        return f"choose a loss L ({_listed(CHECKER_LOSSES)}); got {loss!r}"
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
    widths: Sequence[int] = examples.DEFAULT_WIDTHS,
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
        net, x, y = examples.example_problem(
            widths, activation=activation, loss=loss, lam=lam, m=m, seed=seed
        )
        gradients = None
        if mistake != CORRECT:
            gradients = backward_with_mistake(net, net.forward(x, y), y, mistake)
        report = gradient_check(net, x, y, method=method, step=step, gradients=gradients)
    except (ValueError, TypeError) as error:
        return CheckOutcome(None, str(error), mistake)
    return CheckOutcome(report, "", mistake)
