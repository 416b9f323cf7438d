"""Running error bounds: how much rounding can move what Algorithms 6.3 and 6.4 compute.

A gradient check must know what it cannot see. These are first-order bounds in the style
of Higham, *Accuracy and Stability of Numerical Algorithms* (2002), §3.3: beside each
quantity, carry a bound on its absolute rounding error, computed from the magnitudes of the
terms that formed it, with ``ε`` the machine epsilon of the record's precision. A sum of
``n`` terms rounds by at most about ``n ε`` times the sum of their magnitudes. The bounds
are pessimistic (errors of random sign mostly cancel) but cheap: one more pass over the
record, no higher precision needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Magnitudes:
    """``|W(k)|``, ``|h(k)|`` and ``|f'(a(k))|`` of a record: what the bounds are made of.

    Keyed by ``k`` as in the record (``h`` from 0, the others from 1); see :func:`magnitudes`.
    """

    W: dict[int, np.ndarray]
    h: dict[int, np.ndarray]
    slope: dict[int, np.ndarray]


def magnitudes(net, record) -> Magnitudes:
    """The :class:`Magnitudes` of Algorithm 6.3's ``record`` for ``net``, computed once for
    every bound below that is asked for the same record."""
    layers = range(1, net.l + 1)
    return Magnitudes(
        W={k: np.abs(net.W[k]) for k in layers},
        h={k: np.abs(h) for k, h in record.h.items()},
        slope={k: np.abs(net.f(k).derivative(record.a[k])) for k in layers},
    )


def forward_errors(net, record, *, sizes: Magnitudes | None = None) -> dict[int, np.ndarray]:
    """A bound on the rounding error of each ``h(k)`` of Algorithm 6.3, shape ``(n_k, m)``.

    ``h(0) = x`` is exact; then, line by line::

        e_a(k) = n_(k-1) ε (|b(k)| + |W(k)| |h(k-1)|) + |W(k)| e_h(k-1)    a sum of n_(k-1) terms
        e_h(k) = |f'(a(k))| e_a(k) + ε (|h(k)| + 1)                        f, to about one ulp

    ``sizes`` may pass the record's :func:`magnitudes`, if already at hand.
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = float(np.finfo(record.h[0].dtype).eps)
    errors = {0: np.zeros_like(record.h[0])}
    for k in range(1, net.l + 1):
        W, h = sizes.W[k], sizes.h[k - 1]
        magnitude = np.abs(net.b[k]) + W @ h
        error_a = net.W[k].shape[1] * eps * magnitude + W @ errors[k - 1]
        errors[k] = sizes.slope[k] * error_a + eps * (sizes.h[k] + 1)
    return errors


def cost_rounding(net, record, y, *, whole_cost: bool = False, errors=None) -> float:
    """A bound on the rounding error of one evaluation of the loss ``L``.

    Per example, what the error of ``ŷ`` (:func:`forward_errors`) moves ``L`` by, plus the
    loss's own rounding::

        e_L = Σ_j |∂L/∂ŷ_j| e_ŷ_j + (n_l + 2) ε (|L| + Σ_j |y_j| (2|ŷ_j| + |y_j| + log n_l + 1))

    combined over the ``m`` examples as ``L`` is. The error of ``ŷ`` matters near a good
    fit: ``ŷ − y`` is then a small difference of large numbers. A difference quotient
    divides this by its step. ``whole_cost`` adds what an evaluation of the whole ``J``
    also rounds (the sum over examples and ``λΩ``), as the reference loop evaluates it;
    :func:`~matgrad.finite_differences.cost_changes` evaluates only the change. ``errors``
    may pass the record's :func:`forward_errors`, if already at hand.
    """
    eps = float(np.finfo(record.h[0].dtype).eps)
    error = (forward_errors(net, record) if errors is None else errors)[net.l]
    yhat = record.yhat
    n_l = yhat.shape[0]
    slope = np.abs(net.loss.gradient(yhat, y))
    losses = np.abs(net.loss.value(yhat, y))
    own = losses + (np.abs(y) * (2 * np.abs(yhat) + np.abs(y) + np.log(n_l) + 1)).sum(axis=0)
    per_example = (slope * error).sum(axis=0) + (n_l + 2) * eps * own
    total = per_example.sum()
    if whole_cost:
        total += record.m * eps * losses.sum()
        if net.lam > 0:
            count = sum(net.W[k].size for k in range(1, net.l + 1))
            total += count * eps * net.lam * abs(record.penalty)
    return float(total / record.m if net.reduction == "mean" else total)


def derivative_rounding(
    net, record, y, *, errors=None, sizes: Magnitudes | None = None
) -> dict[tuple[str, int], float]:
    """A bound on the rounding error of ``∇W(k) J`` and ``∇b(k) J``, per parameter array.

    Algorithm 6.4 run on magnitudes, with an error stream beside it. ``G`` is ``|g|``;
    ``E`` bounds the error of ``g``, starting from that of ``∇ŷ L`` (its own rounding, which
    near a fit is a small difference of large numbers, and the error of ``ŷ``)::

        G_a = G_h |f'(a)|,     E_a = E_h |f'(a)| + ε G_h (1 + |f'(a)|)     f' to about ε
        E_W = E_a |h|ᵀ + G_a e_hᵀ + m ε G_a |h|ᵀ,    E_b = E_a 1 + m ε G_a 1
        G_h ← |W|ᵀ G_a,        E_h ← |W|ᵀ E_a + n_k ε |W|ᵀ G_a

    It bounds backprop's result and, as well, complex step's (forward mode rounds the same
    products and the same small differences). The result is the largest entry's bound.
    ``errors`` and ``sizes`` may pass the record's :func:`forward_errors` and
    :func:`magnitudes`, if already at hand.
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = float(np.finfo(record.h[0].dtype).eps)
    if errors is None:
        errors = forward_errors(net, record, sizes=sizes)
    yhat, m, n_l = record.yhat, record.m, record.yhat.shape[0]
    scale = 1 / m if net.reduction == "mean" else 1.0
    G = np.abs(net.loss.gradient(yhat, y)) * scale
    own = (n_l + 2) * eps * (1 + np.abs(yhat) + np.abs(y))
    E = (own + errors[net.l].max(axis=0, keepdims=True)) * scale
    bounds = {}
    for k in range(net.l, 0, -1):
        slope = sizes.slope[k]
        G_a = G * slope
        E_a = E * slope + eps * G * (1 + slope)
        h = sizes.h[k - 1]
        E_W = E_a @ h.T + G_a @ errors[k - 1].T + m * eps * (G_a @ h.T)
        if net.lam > 0:
            E_W = E_W + eps * net.lam * np.abs(net.regularizer.gradient(net.W[k]))
        bounds["W", k] = float(E_W.max(initial=0.0))
        bounds["b", k] = float((E_a.sum(axis=1) + m * eps * G_a.sum(axis=1)).max(initial=0.0))
        W = sizes.W[k]
        G = W.T @ G_a
        E = W.T @ E_a + net.W[k].shape[0] * eps * G
    return bounds
