"""The work of a gradient, counted rather than timed: forward passes and multiply-adds.

Used in: cost-of-gradients (``count_forward_passes``, ``multiply_adds``) and exercises
(``count_forward_passes``). Counting needs no clock, so the chapters' numbers are the same
on every machine; benchmarks/ measures the time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

from matgrad._validation import choice, positive_int
from matgrad.finite_differences import METHODS, ParameterCost, numerical_gradient


class CountingCost:
    """Wrap a cost ``f`` and count how many times it is evaluated (``calls``).

    Each evaluation of a :class:`matgrad.ParameterCost` is one forward pass (Algorithm 6.3),
    so the count is the work of a finite-difference gradient, measured without a clock.
    """

    def __init__(self, f: Callable):
        if not callable(f):
            raise TypeError(f"CountingCost needs a callable cost, got {type(f).__name__}")
        self.f = f
        self.calls = 0
        self.analytic = getattr(f, "analytic", True)
        self.reason = getattr(f, "reason", "")

    def __call__(self, X):
        self.calls += 1
        return self.f(X)


def count_forward_passes(net, x, y, *, method: str = "central") -> int:
    """Forward passes a finite-difference ``∇θ J`` of every ``W(k)``, ``b(k)`` evaluates.

    Central differences evaluate ``J`` twice per parameter (``2P``), complex step once
    (``P``), forward differences once per parameter plus once per array for ``J(θ)``.
    """
    choice("method", method, METHODS)
    calls = 0
    for name, k in net.parameters():
        cost = CountingCost(ParameterCost(net, x, y, name, k))
        numerical_gradient(cost, net.parameter(name, k), method=method)
        calls += cost.calls
    return calls


def multiply_adds(widths: Sequence[int], m: int = 1) -> dict[str, int]:
    """Scalar multiply-adds of the matrix products for a minibatch of ``m`` examples.

    ``forward``: ``W(k) h(k-1)`` for every layer (Algorithm 6.3), ``Σ_k n_k n_(k-1) m``.
    ``backward``: ``g h(k-1)ᵀ`` and ``W(k)ᵀ g`` for every layer (Algorithm 6.4), twice that.
    Elementwise work (``f``, ``f'``, ``⊙``) is of lower order and left out.
    """
    widths = [positive_int(f"widths[{i}]", n) for i, n in enumerate(widths)]
    if len(widths) < 2:
        raise ValueError(f"widths must list [n_0, ..., n_l] with l >= 1, got {widths}")
    m = positive_int("m", m)
    forward = sum(n_in * n_out * m for n_in, n_out in pairwise(widths))
    return {"forward": forward, "backward": 2 * forward}
