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

from matgrad._validation import choice, finite_array, positive_float, positive_int

METHODS = ("forward", "central", "complex")

MEMORY_BUDGET = 64 * 2**20
"""Bytes the batched differences may use for perturbed copies of the activations."""

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
    net,
    x,
    y,
    name: str,
    k: int,
    *,
    method: str = "central",
    step: float | None = None,
    batched: bool = True,
    memory: int = MEMORY_BUDGET,
) -> np.ndarray:
    """The finite-difference ``∇W(k) J`` or ``∇b(k) J`` of ``net`` at ``(x, y)``.

    ``batched`` (the default) evaluates all perturbed costs at once with
    :func:`batched_parameter_gradient`; ``batched=False`` runs the readable reference
    loop :func:`numerical_gradient` over :class:`ParameterCost`. Both give the same
    gradient to rounding.
    """
    if batched:
        return batched_parameter_gradient(
            net, x, y, name, k, method=method, step=step, memory=memory
        )
    cost = ParameterCost(net, x, y, name, k)
    return numerical_gradient(cost, net.parameter(name, k), method=method, step=step)


def batched_parameter_gradient(
    net,
    x,
    y,
    name: str,
    k: int,
    *,
    method: str = "central",
    step: float | None = None,
    memory: int = MEMORY_BUDGET,
    record=None,
) -> np.ndarray:
    """Finite differences for every entry of ``W(k)`` or ``b(k)``, all perturbations at once.

    Perturbing one parameter of layer ``k`` leaves ``h(0) .. h(k-1)`` unchanged, and moves
    one row of ``a(k)``: entry ``(i, j)`` of ``W(k)`` by ``s h(k-1)_j`` (row ``i`` of
    ``W(k) h(k-1)``), entry ``i`` of ``b(k)`` by ``s``. So Algorithm 6.3 runs once; then
    ``c`` perturbed copies continue from layer ``k`` side by side, as wide matrix products
    (see :func:`_perturbed_costs`). ``c`` is chosen so the copies stay within ``memory``
    bytes. ``record`` may pass the unperturbed :class:`~matgrad.ForwardRecord` to skip
    recomputing it.
    """
    choice("method", method, METHODS)
    x, y = net.check_example(x, y)
    parameter = net.parameter(name, k)
    step = check_step(method, step, net.dtype)
    if method == "complex" and not net.analytic:
        raise ValueError(
            "complex step needs an analytic cost: " + "; ".join(net.non_analytic_reasons())
        )
    positive_int("memory", memory)
    if record is None:
        record = net.forward(x, y)
    rows, columns = np.unravel_index(np.arange(parameter.size), parameter.shape)
    # How much row ``rows[p]`` of a(k) moves, per unit step, for perturbation p: (P, m).
    shifts = record.h[k - 1][columns] if name == "W" else np.ones((parameter.size, record.m))
    terms = net.regularizer.terms(parameter.ravel()) if name == "W" else None
    if terms is not None and np.shape(terms) != (parameter.size,):
        raise ValueError(
            f"regularizer {net.regularizer.name!r}: terms(W) must return one term ω(W_ij) per "
            f"entry (shape {(parameter.size,)} for a flat W), got shape {np.shape(terms)}"
        )

    def costs(signed_step):
        """J for every entry perturbed by ``signed_step`` (real or imaginary), shape (P,)."""
        dtype = complex_dtype(net.dtype) if np.iscomplexobj(signed_step) else net.dtype
        bytes_per_copy = 4 * np.dtype(dtype).itemsize * record.m * max(net.widths[k:])
        chunk = max(1, memory // bytes_per_copy)
        J = np.empty(parameter.size, dtype=dtype)
        for start in range(0, parameter.size, chunk):
            entries = slice(start, min(start + chunk, parameter.size))
            J[entries] = _perturbed_costs(
                net, record, y, k, rows[entries], signed_step * shifts[entries], dtype
            )
        if terms is not None and net.lam > 0:
            # Ω changes only in the perturbed entry: ω(w + s) − ω(w).
            moved = parameter.ravel().astype(dtype) + signed_step
            J += net.lam * (net.regularizer.terms(moved) - terms)
        return J

    if method == "forward":
        gradient = (costs(step) - record.J) / step
    elif method == "central":
        gradient = (costs(step) - costs(-step)) / (2 * step)
    else:
        gradient = np.imag(costs(1j * step)) / step
    return gradient.reshape(parameter.shape).astype(net.dtype, copy=False)


def _perturbed_costs(net, record, y, k, rows, row_shifts, dtype) -> np.ndarray:
    """``J`` for ``c`` copies of ``a(k)``, row ``rows[p]`` of copy ``p`` moved by ``row_shifts[p]``.

    Only that row of ``h(k) = f(a(k))`` changes, so ``a(k+1) = b + W(k+1) h(k)`` changes by
    one column of ``W(k+1)`` times the change: a rank-one update per copy. From ``h(k+1)``
    on, the copies sit side by side as columns, ``(n, c m)``, and each later layer is one
    wide matrix product (Algorithm 6.3 from line ``a(k+1)`` on).
    """
    copies, m = len(rows), record.m
    moved = net.f(k)(record.a[k][rows].astype(dtype) + row_shifts)  # (c, m): the changed rows
    if k == net.l:
        h = np.repeat(record.h[k][:, None, :].astype(dtype), copies, axis=1)  # (n_l, c, m)
        h[rows, np.arange(copies)] = moved
    else:
        change = moved - record.h[k][rows]
        a = record.a[k + 1][:, None, :] + net.W[k + 1][:, rows][:, :, None] * change
        h = net.f(k + 1)(a)
    h = h.reshape(h.shape[0], copies * m)
    for layer in range(k + 2, net.l + 1):
        h = net.f(layer)(net.b[layer] + net.W[layer] @ h)
    per_example = net.loss.value(h, np.tile(y, (1, copies))).reshape(copies, m)
    return net.reduce(per_example) + net.lam * record.penalty
