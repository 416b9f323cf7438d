"""The shapes of Algorithm 6.4's weight-gradient line, and why the tempting answers do not fit.

Used in: why-transpose (``layer_shapes``, ``judge``, ``CANDIDATES``), questions
(``candidate_verdicts``) and the shape explorer widget, whose picture
(:class:`matgrad.book.figures.ShapesFigure`) draws what these functions return. Shapes
follow the book's column convention with a minibatch of ``m`` examples as columns:
``h(k-1)`` is ``n_(k-1) × m``, ``g = ∇a(k) J`` is ``n_k × m``.
"""

from __future__ import annotations

from dataclasses import dataclass

from matgrad._validation import choice, positive_int
from matgrad.checks import FAIL, gradient_check
from matgrad.network import Gradients

MAX_DEPTH, MAX_WIDTH, MAX_BATCH = 5, 12, 8

CANDIDATES = ("g h(k-1)ᵀ", "h(k-1)", "h(k-1)ᵀ", "h(k-1) gᵀ", "gᵀ h(k-1)")
"""The book's answer first, then the answers learners try."""


@dataclass(frozen=True)
class LayerShapes:
    """The shapes (rows, columns) of every quantity in layer ``k``'s gradient lines."""

    k: int
    n_in: int
    n_out: int
    m: int

    @property
    def shapes(self) -> dict[str, tuple[int, int]]:
        n_in, n_out, m = self.n_in, self.n_out, self.m
        return {
            "h(k-1)": (n_in, m),
            "a(k)": (n_out, m),
            "W(k)": (n_out, n_in),
            "b(k)": (n_out, 1),
            "g": (n_out, m),
            "g h(k-1)ᵀ": (n_out, n_in),
        }


def layer_shapes(widths, m: int, k: int) -> LayerShapes:
    """Shapes at layer ``k`` of a network with widths ``[n_0, ..., n_l]`` and batch size ``m``.

    Widths are 1..12, the depth ``l`` 1..5 and ``m`` 1..8 (the explorer's ranges).
    """
    widths = list(widths)
    if not 2 <= len(widths) <= MAX_DEPTH + 1:
        raise ValueError(f"need 2 to {MAX_DEPTH + 1} widths (depth 1..{MAX_DEPTH}), got {widths}")
    for index, n in enumerate(widths):
        if positive_int(f"widths[{index}]", n) > MAX_WIDTH:
            raise ValueError(f"widths[{index}] must be at most {MAX_WIDTH}, got {n}")
    if positive_int("m", m) > MAX_BATCH:
        raise ValueError(f"m must be at most {MAX_BATCH}, got {m}")
    l = len(widths) - 1  # noqa: E741 - the book's depth
    if positive_int("k", k) > l:
        raise ValueError(f"layer k must be in 1..{l}, got {k}")
    return LayerShapes(k=k, n_in=widths[k - 1], n_out=widths[k], m=m)


@dataclass(frozen=True)
class Verdict:
    """A candidate for ``∇W(k) J``: its shape (``None`` if it cannot be formed) and why."""

    candidate: str
    shape: tuple[int, int] | None
    fits: bool
    correct: bool
    reason: str


def judge(candidate: str, layer: LayerShapes) -> Verdict:
    """Whether ``candidate`` can be ``∇W(k) J``: it must have ``W(k)``'s shape, and be right."""
    choice("candidate", candidate, CANDIDATES)
    n_in, n_out, m = layer.n_in, layer.n_out, layer.m
    target = (n_out, n_in)
    if candidate == "g h(k-1)ᵀ":
        return Verdict(
            candidate,
            target,
            True,
            True,
            f"({n_out} × {m})({m} × {n_in}) = {n_out} × {n_in}, the shape of W(k): one entry "
            f"g_i h_j for every weight W_ij, summed over the {m} example(s)",
        )
    if candidate == "h(k-1) gᵀ":
        shape = (n_in, n_out)
        reason = f"({n_in} × {m})({m} × {n_out}) = {n_in} × {n_out}: the transpose of the answer"
    elif candidate == "h(k-1)":
        shape = (n_in, m)
        reason = f"h(k-1) is {n_in} × {m}: it says how each weight is used, not how J moves"
    elif candidate == "h(k-1)ᵀ":
        shape = (m, n_in)
        reason = f"h(k-1)ᵀ is {m} × {n_in}: half of the outer product, with g left out"
    else:  # gᵀ h(k-1)
        if n_out != n_in:
            return Verdict(
                candidate,
                None,
                False,
                False,
                f"gᵀ is {m} × {n_out} and h(k-1) is {n_in} × {m}: {n_out} ≠ {n_in}, "
                "so the product cannot even be formed",
            )
        shape = (m, m)
        reason = f"({m} × {n_out})({n_in} × {m}) = {m} × {m}: an inner product, not an outer one"
    fits = shape == target
    if fits:
        reason += f"; it happens to be {n_out} × {n_in} here, but its values are wrong"
    else:
        reason += f", but W(k) is {n_out} × {n_in}"
    return Verdict(candidate, shape, fits, False, reason)


def candidate_verdicts(net, x, y) -> dict[str, str]:
    """Each candidate of :data:`CANDIDATES` used as the weight line's first term, checked.

    Algorithm 6.4 runs as written, but line 5 uses the candidate in place of
    ``g h(k-1)ᵀ`` at every layer (plus ``λ ∇W(k) Ω`` where the shapes allow adding it); the
    resulting gradients are checked against finite differences. The verdict is ``"PASS"``,
    ``"FAIL (4e-01)"`` (with the largest relative error), ``"wrong shape"`` or
    ``"cannot be formed"``.
    """
    record = net.forward(x, y)
    correct = net.backward(record, y)
    g = {step.k: step.value for step in correct.trace if step.result.startswith("g = ∇a")}
    h = record.h
    terms = {
        "g h(k-1)ᵀ": lambda k: g[k] @ h[k - 1].T,
        "h(k-1)": lambda k: h[k - 1],
        "h(k-1)ᵀ": lambda k: h[k - 1].T,
        "h(k-1) gᵀ": lambda k: h[k - 1] @ g[k].T,
        "gᵀ h(k-1)": lambda k: g[k].T @ h[k - 1],
    }
    verdicts = {}
    for candidate, term in terms.items():
        try:
            W = {k: term(k) for k in g}
        except ValueError:  # numpy: the matrix product's inner dimensions differ
            verdicts[candidate] = "cannot be formed"
            continue
        for k in W:
            if W[k].shape == net.W[k].shape:
                W[k] = W[k] + net.lam * net.regularizer.gradient(net.W[k])
        if any(W[k].shape != net.W[k].shape for k in W):
            verdicts[candidate] = "wrong shape"
            continue
        report = gradient_check(net, x, y, gradients=Gradients(W=W, b=correct.b))
        verdicts[candidate] = (
            f"FAIL ({report.max_error_text()})" if report.verdict == FAIL else report.verdict
        )
    return verdicts
