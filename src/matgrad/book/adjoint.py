"""The adjoint probe: which matrix ``G`` turns every change ``dW`` of a layer's weights into
the change of the cost, ``dJ = G : dW``?

Used in: why-transpose (the probe's table for a square layer; ``widgets.make_adjoint_probe``
draws the probe live).

For one layer ``a = W h + b`` inside a real cost ``J`` (here a tanh layer with a squared
error, ``J(W) = ½ ‖tanh(W h + b) − y‖²``, whose ``g = ∇a J`` is known in closed form), a
*direction* ``dW`` (a random matrix of unit norm, or a single entry ``E_ij``) is measured
from the forward pass alone, ``(J(W + t dW) − J(W − t dW)) / 2t``, and set beside the
Frobenius product ``G : dW = Σ G_ij dW_ij`` of a candidate ``G`` (``g hᵀ``, ``h gᵀ``, ...).
The gradient is the one ``G`` that agrees for every direction: ``g hᵀ``. A candidate of
another shape cannot be paired with ``dW`` at all; on a square layer ``h gᵀ`` can, and
disagrees (except along the diagonal entries ``E_ii``, where the two matrices coincide).
Along ``E_ij`` the measured change *is* entry ``(i, j)`` of the gradient, so the single
entries rebuild it entry by entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matgrad._text import format_bounded, shape_text

CANDIDATES = ("g hᵀ", "h gᵀ", "gᵀ h", "2 g hᵀ")
"""The candidates for ``G``, as the book writes them: the gradient, its transpose, the inner
product (a number, and only where ``n_k = n_(k-1)``) and a right shape with a wrong scale."""
STEP = 1e-5
"""The central difference's ``t``: its truncation error (``t²``) and rounding error (``ε/t``)
both stay near 1e-10 for this cost, far below :data:`AGREE`."""
AGREE = 1e-7
"""``dJ`` and ``G : dW`` agree when they differ by less than this (times ``max(1, |dJ|)``)."""
DIRECTIONS = 3
"""Random directions the probe shows at a time."""


@dataclass(frozen=True)
class Layer:
    """One tanh layer and its squared error: ``W`` (``n_k × n_(k-1)``), the input ``h`` and
    the bias ``b`` and target ``y`` (columns)."""

    W: np.ndarray
    h: np.ndarray
    b: np.ndarray
    y: np.ndarray

    def cost(self, W: np.ndarray) -> float:
        """``J(W) = ½ ‖tanh(W h + b) − y‖²``: the forward pass, nothing else."""
        return float(0.5 * np.sum((np.tanh(W @ self.h + self.b) - self.y) ** 2))

    @property
    def g(self) -> np.ndarray:
        """``∇a J = (tanh(a) − y) ⊙ (1 − tanh²(a))``, lines 1 and 3 of Algorithm 6.4."""
        out = np.tanh(self.W @ self.h + self.b)
        return (out - self.y) * (1 - out**2)


def example_layer(n_k: int = 3, n_prev: int = 4, seed: int = 0) -> Layer:
    """A seeded layer of ``n_k`` outputs and ``n_prev`` inputs."""
    for name, n in (("n_k", n_k), ("n_prev", n_prev)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 8:
            raise ValueError(f"{name} must be a whole number from 1 to 8, got {n!r}")
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n_k, n_prev)) / np.sqrt(n_prev)
    h, b, y = rng.normal(size=(n_prev, 1)), rng.normal(size=(n_k, 1)), rng.normal(size=(n_k, 1))
    return Layer(W, h, b, y)


def candidate(name: str, g: np.ndarray, h: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The candidate ``name`` (:data:`CANDIDATES`) built from the columns ``g`` and ``h``:
    its value (None where it cannot be formed) and its shape, or why it cannot be formed."""
    g, h = np.asarray(g, dtype=float), np.asarray(h, dtype=float)
    if name == "g hᵀ":
        value = g @ h.T
    elif name == "2 g hᵀ":
        value = 2 * (g @ h.T)
    elif name == "h gᵀ":
        value = h @ g.T
    elif name == "gᵀ h":
        if g.shape != h.shape:
            return None, (
                f"gᵀ h cannot be formed: gᵀ is {shape_text(g.T.shape)} and h is "
                f"{shape_text(h.shape)} (only where n_k = n_(k-1))"
            )
        value = g.T @ h
    else:
        raise ValueError(f"candidate must be one of {', '.join(CANDIDATES)}, not {name!r}")
    return value, f"{name} is {shape_text(value.shape)}"


def random_direction(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A random direction of unit Frobenius norm (its entries normal, from ``seed``)."""
    dW = np.random.default_rng(seed).normal(size=shape)
    return dW / np.linalg.norm(dW)


def entry_direction(shape: tuple[int, int], i: int, j: int) -> np.ndarray:
    """``E_ij``: one in entry ``(i, j)``, zero elsewhere."""
    rows, columns = shape
    for name, index, size in (("i", i, rows), ("j", j, columns)):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"{name} must be a whole number, got {index!r}")
        if not 0 <= index < size:
            raise ValueError(f"{name} must be from 0 to {size - 1} here, got {index}")
    dW = np.zeros(shape)
    dW[i, j] = 1.0
    return dW


def measured_change(cost: Callable[[np.ndarray], float], W, dW, step: float = STEP) -> float:
    """``dJ`` along ``dW`` from the forward pass: ``(J(W + t dW) − J(W − t dW)) / 2t``."""
    return float((cost(W + step * dW) - cost(W - step * dW)) / (2 * step))


@dataclass(frozen=True)
class Row:
    """One direction: its ``label``, ``dJ`` measured, ``G : dW`` (None where ``G`` has
    another shape than ``dW``) and whether the two agree (None then too)."""

    label: str
    measured: float
    predicted: float | None
    agree: bool | None

    @property
    def difference(self) -> float | None:
        return None if self.predicted is None else abs(self.measured - self.predicted)


def probe(cost, W, G, directions: dict[str, np.ndarray]) -> list[Row]:
    """For each named direction: ``dJ`` measured on ``cost`` at ``W`` against ``G : dW``."""
    W = np.asarray(W, dtype=float)
    rows = []
    for label, dW in directions.items():
        dJ = measured_change(cost, W, dW)
        if G is None or np.shape(G) != np.shape(dW):
            rows.append(Row(label, dJ, None, None))
            continue
        predicted = float(np.sum(np.asarray(G) * dW))  # G : dW
        agree = abs(dJ - predicted) <= AGREE * max(1.0, abs(dJ))
        rows.append(Row(label, dJ, predicted, agree))
    return rows


def rebuilt(cost, W) -> np.ndarray:
    """The matrix of ``dJ`` along every ``E_ij``: entry by entry, the gradient."""
    W = np.asarray(W, dtype=float)
    return np.array(
        [
            [measured_change(cost, W, entry_direction(W.shape, i, j)) for j in range(W.shape[1])]
            for i in range(W.shape[0])
        ]
    )


HEADERS = ("direction", "dJ measured", "G : dW", "difference", "agree?")


def table_rows(rows: list[Row], reason: str = "") -> list[list[str]]:
    """The rows as text, rounded so that no CPU's rounding shows: four decimals, and a
    difference below :data:`AGREE` as that bound (``< 1e-07``)."""
    return [
        [
            row.label,
            f"{row.measured:+.4f}",
            "cannot be paired" if row.predicted is None else f"{row.predicted:+.4f}",
            "" if row.difference is None else format_bounded(row.difference, AGREE),
            "no: another shape" if row.agree is None else ("yes" if row.agree else "no"),
        ]
        for row in rows
    ]


def verdict(name: str, G, reason: str, W_shape, rows: list[Row]) -> str:
    """One sentence on what the rows show for the candidate ``name`` (value ``G``, described
    by ``reason``, :func:`candidate`'s)."""
    if G is None:
        return f"{reason}."
    if np.shape(G) != tuple(W_shape):
        return (
            f"{reason} and dW is {shape_text(W_shape)}: G : dW pairs matrices of one shape, "
            f"so {name} cannot give dJ at all."
        )
    agreeing = sum(bool(row.agree) for row in rows)
    if agreeing == len(rows):
        return f"{name} agrees with the measured dJ in every direction shown."
    wrong = len(rows) - agreeing
    return f"{name} disagrees with the measured dJ in {wrong} of {len(rows)} directions."
