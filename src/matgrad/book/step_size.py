"""The error of a finite difference against its step: the V-shaped curve.

Used in: checking-gradients (``step_errors``, ``best_step``) and the step-size explorer
widget (``step_errors``, ``theoretical_steps``). The figure of these curves is
:func:`matgrad.book.figures.plot_step_errors`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matgrad._validation import choice, positive_float
from matgrad.checks import relative_error
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


def theoretical_steps() -> dict[str, float]:
    """The steps the theory recommends (float64): ``ε^(1/2)`` forward, ``ε^(1/3)`` central."""
    return {method: default_step(method) for method in ("forward", "central")}
