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

from matgrad._validation import (
    boolean,
    choice,
    describe,
    finite_array,
    float_dtype,
    positive_float,
    positive_int,
)
from matgrad.functions import REGULARIZERS
from matgrad.network import check_net

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
    eps = float(np.finfo(float_dtype("dtype", dtype)).eps)
    return {"forward": eps ** (1 / 2), "central": eps ** (1 / 3), "complex": COMPLEX_STEP}[method]


def check_step(method: str, step: float | None, dtype=np.float64) -> float:
    """Validate a step (``None`` means :func:`default_step`)."""
    return default_step(method, dtype) if step is None else positive_float("step", step)


def scaled_step(
    net, record, name: str, k: int, step: float, *, scale: float | None = None
) -> float:
    """The step for ``W(k)`` or ``b(k)``: ``step`` scaled to what the parameter moves.

    Moving ``W(k)_ij`` by ``s`` moves ``a(k)_i`` by ``s h(k-1)_j`` (Algorithm 6.3, line
    ``a(k) = b(k) + W(k) h(k-1)``), and what the cost feels, its truncation and its rounding,
    depends on that move alone. So the step is divided by ``max|h(k-1)|``: inputs of size 255
    shrink it 255-fold, inputs of size 0.01 grow it 100-fold (at most a thousandfold, so that
    a step on ``W(k)`` stays small next to the regularizer's scale). A large parameter needs a
    larger step for ``θ ± s`` to differ from ``θ`` by more than rounding, so the step grows by
    ``max(1, max|θ|)``. ``b(k)_i`` moves ``a(k)_i`` by ``s`` itself. ``record`` is the
    :class:`~matgrad.ForwardRecord` of the point checked; ``scale`` may pass the parameter's
    :func:`parameter_scale`, if already at hand.
    """
    grow = parameter_scale(net.parameter(name, k)) if scale is None else scale
    if name == "b":
        return step * grow
    inputs = float(np.abs(record.h[k - 1]).max(initial=0.0))
    return step * grow / max(inputs, 1e-3)


def parameter_scale(parameter: np.ndarray) -> float:
    """``max(1, max|θ|)`` of a weight or bias: what :func:`scaled_step` grows its step by
    (NaN if the parameter holds a NaN)."""
    return float(np.maximum(1.0, np.abs(parameter).max(initial=0.0)))  # NaN stays NaN


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
    if not callable(f):
        raise TypeError(f"f must be a function of the array X returning J, got {describe(f)}")
    X = finite_array("X", X)
    step = check_step(method, step, X.dtype)
    if method == "complex" and not getattr(f, "analytic", True):
        raise ValueError(
            "complex step needs an analytic function: "
            + getattr(f, "reason", "this function is marked non-analytic")
        )
    gradient = np.empty(X.shape, dtype=X.dtype)
    if method == "forward":
        f_X = _scalar(f, X)
    for index in np.ndindex(X.shape):
        if method == "complex":
            perturbed = X.astype(complex_dtype(X.dtype))
            perturbed[index] += 1j * step
            value = _scalar(f, perturbed)
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
            gradient[index] = (_scalar(f, plus) - f_X) / step
        else:
            minus = X.copy()
            minus[index] -= step
            gradient[index] = (_scalar(f, plus) - _scalar(f, minus)) / (2 * step)
    return gradient


def _scalar(f, X):
    """``f(X)``, which must be one number (the cost ``J``)."""
    value = f(X)
    kind = np.asarray(value).dtype.kind
    if np.ndim(value) != 0 or kind not in "biufc":
        raise ValueError(f"f must return one number J, got {describe(value)}")
    return value


class ParameterCost:
    """``J`` as a function of one parameter array ``W(k)`` or ``b(k)``, the rest held fixed.

    Calling it with an array of that parameter's shape returns ``J``; it accepts complex
    arrays for complex step, and its ``analytic`` / ``reason`` say whether that applies.
    """

    def __init__(self, net, x, y, name: str, k: int):
        self.net, self.name, self.k = check_net(net), name, k
        self.x, self.y = net.check_example(x, y)
        net.parameter(name, k)  # validates name and k
        reasons = net.non_analytic_reasons()
        self.analytic = not reasons
        self.reason = "; ".join(reasons)

    def __call__(self, value: np.ndarray):
        return self.net.with_parameter(self.name, self.k, value).forward(self.x, self.y).J


class NetworkCost:
    """``J`` as a function of a network's parameters by name, for :func:`matgrad.check`.

    Called with a dict such as ``{"W(2)": W, "b(1)": b}`` it returns ``J`` at ``(x, y)`` with
    those arrays in place and every other parameter as in ``net``, computed in the precision
    of the arrays given (complex ones for complex step). ``inputs`` holds every parameter by
    name, the point to check; ``analytic`` / ``reason`` say whether complex step applies.
    """

    def __init__(self, net, x, y):
        self.net = check_net(net)
        self.x, self.y = net.check_example(x, y)
        reasons = net.non_analytic_reasons()
        self.analytic = not reasons
        self.reason = "; ".join(reasons)
        self.names = {f"{name}({k})": (name, k) for name, k in net.parameters()}

    @property
    def inputs(self) -> dict[str, np.ndarray]:
        return {label: self.net.parameter(*key) for label, key in self.names.items()}

    def __call__(self, values) -> float:
        precision = np.result_type(*(np.real(v).dtype for v in values.values()))
        net = self.net.astype(precision)
        W, b = dict(net.W), dict(net.b)
        for label, value in values.items():
            if label not in self.names:
                raise ValueError(f"{label!r} is not a parameter of the network: {list(self.names)}")
            name, k = self.names[label]
            {"W": W, "b": b}[name][k] = value
        net = net._with_arrays(W, b)
        return net.forward(self.x.astype(precision), self.y.astype(precision)).J


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
    if boolean("batched", batched):
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

    The same differences as :func:`parameter_gradient` with ``batched=False``, computed from
    :func:`cost_changes`; ``record`` may pass the unperturbed
    :class:`~matgrad.ForwardRecord` to skip recomputing it.
    """
    check_net(net)
    choice("method", method, METHODS)
    x, y = net.check_example(x, y)
    parameter = net.parameter(name, k)
    step = check_step(method, step, net.dtype)
    if record is None:
        record = net.forward(x, y)
    elif net.check_record(record).m != x.shape[1]:
        raise ValueError(
            f"record holds {record.m} examples but x holds {x.shape[1]}: pass the record of "
            "forward(net, x, y) for these x and y"
        )
    key = (name, k)
    steps = {"forward": [step], "central": [step, -step], "complex": [1j * step]}[method]
    changes, _ = cost_changes(
        net, record, y, {key: np.arange(parameter.size)}, {key: steps}, memory=memory
    )[key]
    gradient = quotients(method, changes, step)
    return gradient.reshape(parameter.shape).astype(net.dtype, copy=False)


def quotients(method: str, changes, step):
    """The difference quotients ``N`` from the changes of ``J`` at one step ``s``.

    ``changes`` holds a row per step taken, as :func:`cost_changes` returns them: ``+s``
    (``+is`` for complex step), then ``−s`` for central differences; ``step`` is ``s``, one
    number or one per entry. Forward ``ΔJ / s``, central ``(ΔJ(+s) − ΔJ(−s)) / 2s``, complex
    step ``Im ΔJ / s``. :func:`batched_parameter_gradient` and the gradient check both divide
    here.
    """
    if method == "complex":
        return np.imag(changes[0]) / step
    if method == "central":
        return (changes[0] - changes[1]) / (2 * step)
    return changes[0] / step


def cost_changes(
    net, record, y, entries, steps, *, memory: int = MEMORY_BUDGET, advance=None
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """``J(θ + t E_p) − J(θ)`` for chosen entries ``p`` of the parameters and each step ``t``.

    ``entries`` maps parameters ``(name, k)`` to flat indices into ``W(k)`` or ``b(k)``;
    ``steps`` maps the same keys to their steps, as many for each, all real or all imaginary
    (complex step). The result maps each key to its changes, shape
    ``(len(steps), len(entries))``, and to whether, per entry, any step moved a
    pre-activation (or, for ``Ω``, the weight) onto or across a kink of a non-differentiable
    ``f`` or ``ω`` (see ``Activation.kinks``): such a difference measures an average slope,
    not a derivative.

    Only what changes is computed, so its rounding is that of the change, not of ``J``.
    Layer ``k`` computes ``a(k) = [W(k) b(k)] [h(k-1); 1]`` (Algorithm 6.3, a bias being the
    weight of a constant input 1), so perturbing one of its parameters leaves
    ``h(0) .. h(k-1)`` unchanged and moves one row of ``a(k)``: entry ``(i, j)`` of ``W(k)``
    moves ``a(k)_i`` by ``t h(k-1)_j``, entry ``i`` of ``b(k)`` moves it by ``t``. So
    Algorithm 6.3 runs once (``record``); then copies of the network, those of ``W(k)`` and
    ``b(k)`` together, continue from layer ``k`` side by side as wide matrix products (see
    :func:`_perturbed_losses`), and each example's loss is differenced against its
    unperturbed value. ``λΩ`` changes in the perturbed entry alone, by
    ``λ(ω(w + t) − ω(w))``; the constant rest of ``λΩ`` never enters. Copies and examples
    are taken in chunks so the arrays stay within ``memory`` bytes for any ``m``.
    ``advance(n)``, if given, is called as the work progresses, ``len(steps) · len(entries)``
    per parameter in all.
    """
    positive_int("memory", memory)
    for name, k in entries:
        net.parameter(name, k)  # validates name and k
    if len({len(steps[key]) for key in entries}) > 1:
        raise ValueError("every parameter needs as many steps as the others")
    result = {}
    bases = {}

    def base(cols):
        """Each example's unperturbed loss, for the examples ``cols``: computed on those
        alone (numpy may sum one column in another order than many), once for all layers."""
        if (cols.start, cols.stop) not in bases:
            bases[cols.start, cols.stop] = net.loss.value(record.yhat[:, cols], y[:, cols])
        return bases[cols.start, cols.stop]

    for k in sorted({k for _, k in entries}):
        layer = [key for key in (("W", k), ("b", k)) if key in entries]
        changes, crossed = _layer_changes(
            net,
            record,
            y,
            base,
            k,
            {name: np.asarray(entries[name, k], dtype=np.intp) for name, _ in layer},
            {name: list(steps[name, k]) for name, _ in layer},
            memory,
            advance,
        )
        # Back to one result per parameter: the copies of W(k) come first, then those of b(k).
        first = 0
        for key in layer:
            last = first + len(entries[key])
            result[key] = changes[:, first:last], crossed[first:last]
            first = last
    return result


def _layer_changes(net, record, y, base, k, entries, steps, memory, advance):
    """:func:`cost_changes` for ``W(k)``, ``b(k)`` or both, in one set of copies.

    ``entries`` and ``steps`` are keyed by the name, ``"W"`` before ``"b"``; ``base(cols)``
    gives the examples' unperturbed losses. The result holds the changes and crossings of all
    their entries side by side, in that order.
    """
    # Entry p moves row rows[p] of a(k) by t times input columns[p] of [h(k-1); 1], the
    # input of column j of [W(k) b(k)]: b(k)'s one column is that matrix's last.
    m, h = record.m, record.h[k - 1]
    inputs = np.concatenate([h, np.ones((1, m), dtype=h.dtype)])
    rows, columns, moves = [], [], []
    for name, chosen in entries.items():
        i, j = np.unravel_index(chosen, net.parameter(name, k).shape)
        rows.append(i)
        columns.append(j if name == "W" else j + len(h))
        moves.append(np.asarray(steps[name])[:, None].repeat(len(chosen), axis=1))
    rows, columns = np.concatenate(rows), np.concatenate(columns)
    moves = np.concatenate(moves, axis=1)  # (steps, entries): each entry's own steps
    count_steps, count_entries = moves.shape
    imaginary = moves.dtype.kind == "c"
    dtype = complex_dtype(net.dtype) if imaginary else net.dtype
    if imaginary and not net.analytic:
        raise ValueError(
            "complex step needs an analytic cost: " + "; ".join(net.non_analytic_reasons())
        )
    widest = max(net.widths[k:])
    # Each copy holds a few (widest × examples) arrays at once: a(k+1), h(k+1), the next
    # layer. One chunk takes every step of its entries side by side (one pass, not one a step).
    bytes_per_column = 4 * np.dtype(dtype).itemsize * widest * count_steps
    examples = min(m, max(1, memory // bytes_per_column))
    chunk = max(1, memory // (bytes_per_column * examples))
    changes = np.zeros((count_steps, count_entries), dtype=dtype)
    crossed = np.zeros(count_entries, dtype=bool)
    for first in range(0, m, examples):
        cols = slice(first, min(first + examples, m))
        count = cols.stop - first
        for start in range(0, count_entries, chunk):
            part = slice(start, min(start + chunk, count_entries))
            size = part.stop - part.start
            # How much row rows[p] of a(k) moves, for each step and each example in cols.
            shifts = moves[:, part, None] * inputs[columns[part], cols]
            losses, kinked = _perturbed_losses(
                net,
                record,
                y,
                k,
                np.concatenate([rows[part]] * count_steps),  # the rows of each step's copies
                shifts.reshape(count_steps * size, count),
                cols,
                dtype,
            )
            changes[:, part] += (losses - base(cols)).sum(axis=1).reshape(count_steps, size)
            crossed[part] |= kinked.reshape(count_steps, size).any(axis=0)
            if advance is not None:
                advance(count_steps * size * count / m)
    if net.reduction == "mean":
        changes /= m
    if "W" in entries and net.lam > 0:
        W_part, regularizer = slice(0, len(entries["W"])), net.regularizer
        terms = regularizer_terms(net, k).ravel()[entries["W"]]
        here = net.W[k].ravel()[entries["W"]]
        # w + t for every step, (steps, entries of W), in the precision the copies compute in.
        moved = here.astype(dtype) + np.asarray(steps["W"], dtype=dtype)[:, None]
        changes[:, W_part] += net.lam * (regularizer.terms(moved) - terms)
        if regularizer.kinks:
            crossed[W_part] |= _crosses(here, moved, regularizer.kinks).any(axis=0)
    return changes, crossed


def _crosses(before, after, kinks) -> np.ndarray:
    """Whether each value moved onto or across a kink (elementwise, broadcasting)."""
    result = np.zeros(np.broadcast_shapes(np.shape(before), np.shape(after)), dtype=bool)
    for kink in kinks:
        result |= ((before - kink) * (after - kink) <= 0) & (after != before)
    return result


def regularizer_terms(net, k: int) -> np.ndarray:
    """``ω(W(k)_ij)`` for every entry, after checking they add up to the ``Ω`` that ``J`` uses.

    :func:`cost_changes` changes ``Ω`` one term at a time while :func:`~matgrad.forward`
    reports ``J`` with ``Ω(W) = Regularizer.value(W)``: a regularizer whose ``terms`` and
    ``total`` disagree would have the differences differentiate another cost than ``J``.
    """
    W, regularizer = net.W[k], net.regularizer
    terms = np.asarray(regularizer.terms(W))
    if terms.shape != W.shape:
        raise ValueError(
            f"regularizer {regularizer.name!r}: terms(W({k})) must return one term ω(W_ij) "
            f"per entry, shape {W.shape}, got shape {terms.shape}"
        )
    if regularizer.total is None or REGULARIZERS.get(regularizer.name) is regularizer:
        # Ω is the sum of the terms by definition, or a built-in tested to be.
        return terms
    total = regularizer.value(W)
    summed = terms.sum()
    if not abs(total - summed) <= 1e3 * np.finfo(W.dtype).eps * (np.abs(terms).sum() + 1e-300):
        raise ValueError(
            f"regularizer {regularizer.name!r}: Ω(W({k})) is {float(total):.6g} by its total but "
            f"{float(summed):.6g} by the sum of its terms; J uses the total and the differences "
            "the terms, so they must agree"
        )
    return terms


def _perturbed_losses(net, record, y, k, rows, row_shifts, cols, dtype):
    """Per-example losses of ``c`` copies, row ``rows[p]`` of copy ``p``'s ``a(k)`` moved.

    ``row_shifts`` is ``(c, e)`` for the examples ``cols``; returns the losses, ``(c, e)``,
    and whether each copy moved some pre-activation onto or across a kink, ``(c,)``. Only that
    row of ``h(k) = f(a(k))`` changes, so ``a(k+1) = b + W(k+1) h(k)`` changes by one column
    of ``W(k+1)`` times the change: a rank-one update per copy. From ``h(k+1)`` on, the
    copies sit side by side as columns, ``(n, e c)``, and each later layer is one wide matrix
    product (Algorithm 6.3 from line ``a(k+1)`` on). The columns go example by example, all
    copies of an example together, so that numpy's loops run along the copies (the long axis:
    a few examples copied hundreds of times) in arrays laid out as they are indexed.
    """
    copies, examples = row_shifts.shape
    crossed = np.zeros(copies, dtype=bool)  # only an f with kinks can cross one
    f = net.f(k)
    before = record.a[k][:, cols].T[:, rows]  # (e, c); every array below is (e, c) or (n, e, c)
    after = before.astype(dtype) + np.ascontiguousarray(row_shifts.T)
    if f.kinks:
        crossed |= _crosses(before, after, f.kinks).any(axis=0)
    moved = f(after)  # the changed rows of h(k)
    if k == net.l:
        h = record.h[k][:, cols, None].astype(dtype).repeat(copies, axis=2)  # (n_l, e, c)
        h[rows, :, np.arange(copies)] = moved.T
    else:
        f = net.f(k + 1)
        change = moved - record.h[k][:, cols].T[:, rows]
        a = record.a[k + 1][:, cols, None] + net.W[k + 1][:, rows][:, None, :] * change
        if f.kinks:
            crossed |= _crosses(record.a[k + 1][:, cols, None], a, f.kinks).any(axis=(0, 1))
        h = f(a)
    h = h.reshape(h.shape[0], examples * copies)
    for layer in range(k + 2, net.l + 1):
        f = net.f(layer)
        a = net.b[layer] + net.W[layer] @ h
        if f.kinks:
            base = record.a[layer][:, cols].repeat(copies, axis=1)
            kinked = _crosses(base, a, f.kinks).reshape(-1, examples, copies)
            crossed |= kinked.any(axis=(0, 1))
        h = f(a)
    # Each copy's targets are its examples' (the columns of y, each once per copy).
    targets = y[:, cols].repeat(copies, axis=1)
    losses = net.loss.value(h, targets).reshape(examples, copies)
    return np.ascontiguousarray(losses.T), crossed
