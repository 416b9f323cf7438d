"""Finite-difference gradients: forward, central and complex-step differences.

For a scalar function ``f`` of an array ``X`` and a step ``s``, entry by entry:

* forward:  ``(f(X + s E) − f(X)) / s``, error ``O(s)`` plus rounding ``O(ε/s)``,
  best near ``s ≈ ε^(1/2)``;
* central:  ``(f(X + s E) − f(X − s E)) / 2s``, error ``O(s²)`` plus ``O(ε/s)``,
  best near ``s ≈ ε^(1/3)``;
* complex step: ``Im f(X + i s E) / s``, error ``O(s²)`` and no subtraction, so no
  cancellation: exact to rounding for a tiny ``s``, but only for an ``f`` that is
  analytic (no ``abs``, ``max``, ReLU ...).

``E`` is the array with a single 1 at that entry; ``ε`` is the dtype's machine epsilon.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matgrad._validation import choice, finite_array, positive_float

METHODS = ("forward", "central", "complex")

COMPLEX_STEP = 1e-20
"""Complex step's default: any step far below ``ε^(1/2)`` works, as nothing cancels."""


def default_step(method: str, dtype=np.float64) -> float:
    """The step the theory recommends: ``ε^(1/2)`` forward, ``ε^(1/3)`` central, tiny complex.

    These balance truncation error against rounding error for a function whose
    derivatives are of order one (Nocedal & Wright, *Numerical Optimization*, §8.1).
    """
    choice("method", method, METHODS)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    return {"forward": eps ** (1 / 2), "central": eps ** (1 / 3), "complex": COMPLEX_STEP}[method]


def check_step(method: str, step: float | None, dtype=np.float64) -> float:
    """Validate a step (``None`` means :func:`default_step`)."""
    return default_step(method, dtype) if step is None else positive_float("step", step)


def complex_dtype(dtype) -> np.dtype:
    """The complex dtype with ``dtype``'s precision (float32 → complex64)."""
    return np.result_type(np.dtype(dtype), np.complex64)


def numerical_gradient(
    f: Callable[[np.ndarray], float],
    X,
    *,
    method: str = "central",
    step: float | None = None,
) -> np.ndarray:
    """The finite-difference gradient of a scalar ``f`` at ``X``, one entry at a time.

    ``X`` is any real array; the result has its shape. This is the straightforward
    reference loop, one or two evaluations of ``f`` per entry. ``f`` may carry an
    ``analytic`` attribute (and a ``reason``): complex step refuses an ``f`` that is
    not analytic, and any ``f`` that drops the imaginary part it was given.
    """
    choice("method", method, METHODS)
    X = finite_array("X", X)
    step = check_step(method, step, X.dtype)
    if method == "complex" and not getattr(f, "analytic", True):
        raise ValueError(
            "complex step needs an analytic function: "
            + getattr(f, "reason", "this function is marked non-analytic")
        )
    gradient = np.empty(X.shape, dtype=X.dtype)
    if method == "forward":
        f_X = f(X)
    for index in np.ndindex(X.shape):
        if method == "complex":
            perturbed = X.astype(complex_dtype(X.dtype))
            perturbed[index] += 1j * step
            value = f(perturbed)
            if not np.iscomplexobj(value):
                raise ValueError(
                    "complex step needs f to carry the imaginary part through; f returned "
                    f"a real {type(value).__name__} (does it use abs, max or a cast to float?)"
                )
            gradient[index] = np.imag(value) / step
            continue
        plus = X.copy()
        plus[index] += step
        if method == "forward":
            gradient[index] = (f(plus) - f_X) / step
        else:
            minus = X.copy()
            minus[index] -= step
            gradient[index] = (f(plus) - f(minus)) / (2 * step)
    return gradient


class ParameterCost:
    """``J`` as a function of one parameter array ``W(k)`` or ``b(k)``, the rest held fixed.

    Calling it with an array of that parameter's shape returns ``J``; it accepts complex
    arrays for complex step, and its ``analytic`` / ``reason`` say whether that applies.
    """

    def __init__(self, net, x, y, name: str, k: int):
        self.net, self.name, self.k = net, name, k
        self.x, self.y = net.check_example(x, y)
        net.parameter(name, k)  # validates name and k
        reasons = net.non_analytic_reasons()
        self.analytic = not reasons
        self.reason = "; ".join(reasons)

    def __call__(self, value: np.ndarray):
        return self.net.with_parameter(self.name, self.k, value).forward(self.x, self.y).J


def parameter_gradient(
    net, x, y, name: str, k: int, *, method: str = "central", step: float | None = None
) -> np.ndarray:
    """The finite-difference ``∇W(k) J`` or ``∇b(k) J`` of ``net`` at ``(x, y)``."""
    cost = ParameterCost(net, x, y, name, k)
    return numerical_gradient(cost, net.parameter(name, k), method=method, step=step)
