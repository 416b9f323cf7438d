"""The shapes of Algorithm 6.4's weight-gradient line, and why the tempting answers do not fit.

Pure computation (no plotting): the shape explorer widget and its static figure draw what
these functions return. Shapes follow the book's column convention with a minibatch of
``m`` examples as columns: ``h(k-1)`` is ``n_(k-1) × m``, ``g = ∇a(k) J`` is ``n_k × m``.
"""

from __future__ import annotations

from dataclasses import dataclass

from matgrad._validation import choice, positive_int

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
