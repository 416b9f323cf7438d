"""The error of a finite difference against its step: the V-shaped curve.

Used in: checking-gradients (``step_errors``, ``smallest_error_text``) and the step-size
explorer widget (``step_errors``, ``theoretical_steps``). The figure of these curves is
:func:`matgrad.book.figures.plot_step_errors`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from matgrad._text import format_bounded
from matgrad._validation import choice, positive_float
from matgrad.checks import noise_floor, relative_error
from matgrad.finite_differences import METHODS, ParameterCost, default_step, numerical_gradient


def step_errors(
    net, x, y, steps: Sequence[float], *, methods: Sequence[str] = METHODS
) -> dict[str, np.ndarray]:
    """The worst :func:`matgrad.relative_error` over ``W(k)``, ``b(k)`` of each method, at each
    step: ``{method: array of len(steps)}``.

    The reference is backpropagation (Algorithm 6.4), exact up to rounding, and the
    differences are the raw quotients of :func:`matgrad.numerical_gradient` at exactly that
    step (no scaling, no second opinion),
    so the curve measures the finite difference's own error: truncation ``O(h)`` (forward)
    or ``O(h²)`` (central, complex step) for large ``h``, rounding ``O(ε/h)`` for small
    ``h`` (none for complex step, which subtracts nothing). Complex step is left out when
    ``J`` is not analytic (ReLU, L1).
    """
    for method in methods:
        choice("method", method, METHODS)
    steps = [positive_float("step", step) for step in steps]
    exact = net.gradients(x, y)
    return {
        method: np.array([_largest_error(net, x, y, exact, method, step) for step in steps])
        for method in methods
        if method != "complex" or net.analytic
    }


def _largest_error(net, x, y, exact, method: str, step: float) -> float:
    # The textbook quotient, J(θ ± h e) of the whole cost at each entry, as the chapter
    # writes it: the gradient check's batched differences round differently.
    return max(
        relative_error(
            exact.parameter(name, k),
            numerical_gradient(
                ParameterCost(net, x, y, name, k), net.parameter(name, k), method=method, step=step
            ),
        )
        for name, k in net.parameters()
    )


def best_step(steps: Sequence[float], errors: Sequence[float]) -> tuple[float, float]:
    """The ``(step, error)`` pair with the smallest error (the first, on a tie)."""
    steps, errors = np.asarray(steps, dtype=float), np.asarray(errors, dtype=float)
    if steps.shape != errors.shape or steps.ndim != 1 or steps.size == 0:
        raise ValueError(
            f"steps and errors must be two non-empty vectors of one length, got shapes "
            f"{steps.shape} and {errors.shape}"
        )
    index = int(np.argmin(errors))
    return float(steps[index]), float(errors[index])


THEORY = {"forward": "ε^(1/2)", "central": "ε^(1/3)"}
"""How the theory writes the best step of each method with a V-shaped curve."""


def smallest_error_text(steps: Sequence[float], errors: Sequence[float], method: str) -> str:
    """Where a curve of :func:`step_errors` bottoms out, in words that hold on any CPU.

    ``"smallest error < 1e-09 at h within half a decade of ε^(1/3) = 6.1e-06"``.
    At its bottom the curve is rounding noise, whose digits differ between CPUs, and
    noise can move the smallest error to a neighbouring grid step. So the error prints as
    the bound :func:`matgrad.noise_floor` states for ``method`` in float64 (as its value if
    it is not below it), and the step as whether it lies within half a decade of the one the theory
    recommends (:func:`matgrad.default_step`); if it does not, the step itself is printed.
    Forward and central differences only: the complex-step curve has no bottom, it stays
    flat at the level of rounding once ``h`` is small.
    """
    choice("method", method, tuple(THEORY))
    step, error = best_step(steps, errors)
    theory = default_step(method)
    where = f"{THEORY[method]} = {theory:.1e}"
    if abs(math.log10(step / theory)) <= 0.5:
        where = f"at h within half a decade of {where}"
    else:
        where = f"at h = {step:.0e}, over half a decade from {where}"
    return f"smallest error {format_bounded(error, noise_floor(method))} {where}"


def theoretical_steps() -> dict[str, float]:
    """The steps the theory recommends (float64): ``ε^(1/2)`` forward, ``ε^(1/3)`` central."""
    return {method: default_step(method) for method in ("forward", "central")}
