"""Gradient checking: backpropagation (Algorithm 6.4) against finite differences.

The relative error of a claimed gradient ``A`` against a numerical one ``N``, for one
parameter array, is

    rel(A, N) = max_ij |A_ij − N_ij| / max(max_ij |A_ij| + max_ij |N_ij|, tiny)

with ``tiny`` the dtype's smallest normal number (so two zero gradients agree). It is
the familiar ``|A − N| / (|A| + |N|)``, scaled by the array's largest entry rather than
entry by entry: an entry that happens to be near zero is swamped by rounding in *both*
methods, and dividing by it would raise false alarms on correct code.

A parameter passes when ``max|A − N| <= tolerance (max|A| + max|N|) + floor``, where
``floor`` is :func:`noise_floor`, the absolute error finite differences make on any
gradient: a gradient far smaller than that (a dead ReLU unit's weights under a tiny
``λ``) cannot be resolved relatively, only in absolute terms, as ``numpy.allclose``'s
``atol`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matgrad._validation import choice, finite_array, non_negative_float, positive_float
from matgrad.finite_differences import (
    METHODS,
    batched_parameter_gradient,
    check_step,
    parameter_gradient,
)

METHOD_NAMES = {"forward": "forward", "central": "central", "complex": "complex step"}

TOLERANCES = {
    # A correct gradient lands orders of magnitude below these; a wrong one far above.
    # Forward differences err by about ε^(1/2), central by ε^(2/3), complex step by ε.
    ("forward", np.dtype(np.float64)): 1e-5,
    ("central", np.dtype(np.float64)): 1e-7,
    ("complex", np.dtype(np.float64)): 1e-12,
    ("forward", np.dtype(np.float32)): 5e-2,
    ("central", np.dtype(np.float32)): 5e-3,
    ("complex", np.dtype(np.float32)): 1e-5,
}


def default_tolerance(method: str, dtype=np.float64) -> float:
    """The pass/fail threshold on :func:`relative_error` for a method and dtype."""
    choice("method", method, METHODS)
    return TOLERANCES[(method, np.dtype(dtype))]


def noise_floor(method: str, step: float, dtype, J: float) -> float:
    """The rounding error a finite difference makes on any gradient, however small.

    Each evaluation of ``J`` is off by about ``ε|J|``, and a difference divides that by
    the step: forward ``2ε|J|/s``, central ``ε|J|/s``; complex step subtracts nothing, so
    its floor is 0. Ten times that. (Truncation error, ``O(s)`` or ``O(s²)`` times a
    derivative, is left to the relative tolerance: a step chosen too large must fail.)
    """
    choice("method", method, METHODS)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    scale = max(abs(float(np.real(J))), 1.0)
    return 10 * scale * {"forward": 2 * eps / step, "central": eps / step, "complex": 0.0}[method]


def relative_error(A, N) -> float:
    """``max|A − N| / max(max|A| + max|N|, tiny)`` for two arrays of one shape."""
    A = finite_array("A", A)
    N = finite_array("N", N)
    if A.shape != N.shape:
        raise ValueError(f"A and N must have one shape, got {A.shape} and {N.shape}")
    tiny = np.finfo(np.result_type(A.dtype, N.dtype, np.float32)).tiny
    scale = np.max(np.abs(A), initial=0.0) + np.max(np.abs(N), initial=0.0)
    return float(np.max(np.abs(A - N), initial=0.0) / max(scale, tiny))


@dataclass
class ParameterCheck:
    """The check of one parameter: the claimed and numerical gradients and their error.

    When the claimed gradient has the wrong shape (e.g. ``h gᵀ`` for a non-square
    ``W``) ``rel_error`` is ``inf`` and ``note`` says why.
    """

    name: str
    shape: tuple[int, ...]
    claimed: np.ndarray
    numerical: np.ndarray
    rel_error: float
    passed: bool
    note: str = ""

    @property
    def abs_error(self) -> float:
        """``max|A − N|`` (``inf`` for a wrongly shaped claim)."""
        if self.claimed.shape != self.numerical.shape:
            return np.inf
        return float(np.max(np.abs(self.claimed - self.numerical), initial=0.0))


@dataclass
class GradientCheckReport:
    """The outcome of :func:`gradient_check`: one :class:`ParameterCheck` per ``W(k)``, ``b(k)``."""

    method: str
    step: float
    tolerance: float
    floor: float
    checks: list[ParameterCheck]

    @property
    def max_rel_error(self) -> float:
        return max(check.rel_error for check in self.checks)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def __getitem__(self, name: str) -> ParameterCheck:
        for check in self.checks:
            if check.name == name:
                return check
        names = ", ".join(check.name for check in self.checks)
        raise KeyError(f"no parameter {name!r}; the report has {names}")

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(parameter, shape, relative error, verdict) for every parameter, as text.

        Errors show one significant digit: the digits below it are rounding noise that
        differs between CPUs and BLAS builds, and stored notebook outputs must not.
        """
        return [
            (
                check.name,
                "×".join(map(str, check.shape)),
                f"{check.rel_error:.0e}",
                ("PASS" if check.passed else "FAIL") + (f" ({check.note})" if check.note else ""),
            )
            for check in self.checks
        ]

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        # Short enough (about 70 characters) for a line of the book's text column.
        return (
            f"{verdict}: max relative error {self.max_rel_error:.0e}, "
            f"tolerance {self.tolerance:.0e} ({METHOD_NAMES[self.method]}, "
            f"step {self.step:.0e})"
        )

    def __repr__(self) -> str:
        header = ("parameter", "shape", "rel. error", "verdict")
        rows = [header, *self.rows()]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False))
            + "  "
            + row[3]
            for row in rows
        ]
        return "\n".join(["Gradient check: " + self.summary(), *lines])

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{name}</td><td>{shape}</td><td>{error}</td><td>{verdict}</td></tr>"
            for name, shape, error, verdict in self.rows()
        )
        return (
            f"<p><b>Gradient check</b>: {self.summary()}</p>"
            "<table><thead><tr><th>parameter</th><th>shape</th><th>rel. error</th>"
            f"<th>verdict</th></tr></thead><tbody>{cells}</tbody></table>"
        )


def gradient_check(
    net,
    x,
    y,
    *,
    method: str = "central",
    step: float | None = None,
    tolerance: float | None = None,
    floor: float | None = None,
    gradients=None,
    batched: bool = True,
) -> GradientCheckReport:
    """Compare backpropagation with finite differences for every ``W(k)`` and ``b(k)``.

    ``gradients`` are the claimed gradients (anything with ``.W[k]`` and ``.b[k]``, such
    as :func:`matgrad.backward`'s result or a deliberately wrong one); by default,
    Algorithms 6.3 and 6.4 compute them. ``method`` is ``forward``, ``central`` or
    ``complex``; ``step`` and ``tolerance`` default to :func:`default_step` and
    :func:`default_tolerance` for the method and the network's dtype, and ``floor`` (the
    absolute error allowed on top of the relative one) to :func:`noise_floor`, capped at
    ``tolerance · max(|J|, 1)``. ``batched=False`` uses the one-entry-at-a-time
    reference loop instead of :func:`~matgrad.finite_differences.batched_parameter_gradient`.
    """
    choice("method", method, METHODS)
    x, y = net.check_example(x, y)
    step = check_step(method, step, net.dtype)
    tolerance = (
        default_tolerance(method, net.dtype)
        if tolerance is None
        else positive_float("tolerance", tolerance)
    )
    if method == "complex" and not net.analytic:
        raise ValueError(
            "complex step needs an analytic cost: " + "; ".join(net.non_analytic_reasons())
        )
    record = net.forward(x, y)
    if gradients is None:
        gradients = net.backward(record, y)
    if floor is None:
        # Never more lenient than the tolerance applied to the cost's own scale: a step so
        # small that rounding swamps every gradient must fail, not pass everything.
        J = abs(float(record.J))
        floor = min(noise_floor(method, step, net.dtype, J), tolerance * max(J, 1.0))
    else:
        floor = non_negative_float("floor", floor)
    checks = []
    for name, k in net.parameters():
        label = f"{name}({k})"
        expected_shape = net.parameter(name, k).shape
        numerical = (
            batched_parameter_gradient(net, x, y, name, k, method=method, step=step, record=record)
            if batched
            else parameter_gradient(net, x, y, name, k, method=method, step=step, batched=False)
        )
        claimed = np.asarray(getattr(gradients, name)[k])
        if claimed.shape != expected_shape:
            note = f"shape {claimed.shape}, but {label} has shape {expected_shape}"
            checks.append(
                ParameterCheck(label, expected_shape, claimed, numerical, np.inf, False, note)
            )
            continue
        error = relative_error(claimed, numerical)
        scale = np.max(np.abs(claimed), initial=0.0) + np.max(np.abs(numerical), initial=0.0)
        absolute = np.max(np.abs(claimed - numerical), initial=0.0)
        passed = bool(absolute <= tolerance * scale + floor)
        note = (
            f"within the finite-difference noise floor {floor:.0e}"
            if passed and error > tolerance
            else ""
        )
        checks.append(
            ParameterCheck(label, expected_shape, claimed, numerical, error, passed, note)
        )
    return GradientCheckReport(
        method=method, step=step, tolerance=tolerance, floor=floor, checks=checks
    )
