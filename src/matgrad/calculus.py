"""The matrix calculus the chapters use to derive ``∇W J = g hᵀ``.

* The Frobenius product ``A : B = tr(AᵀB) = Σ_ij A_ij B_ij``, with which the
  differential of the cost reads ``dJ = g : da`` and the gradient is the array that
  pairs with ``dW``: ``dJ = (∇W J) : dW``.
* ``vec``, stacking columns (column-major, as in Magnus & Neudecker), and the Jacobian
  of ``a = W h`` with respect to ``W`` in two forms: a 3-tensor ``T[i, p, q] =
  ∂a_i/∂W_pq = δ_ip h_q`` and the matrix ``∂a/∂vec(W) = hᵀ ⊗ I``.
* Contracting that Jacobian with ``g`` gives back ``g hᵀ``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from matgrad._validation import amount, describe, finite_array, positive_int


def _column(name: str, value) -> np.ndarray:
    array = finite_array(name, value)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a vector, shape (n,) or (n, 1), got {np.shape(value)}")
    return array


@contextmanager
def _allocating(n_out: int, h: np.ndarray):
    """Turn numpy's MemoryError (or "Maximum allowed dimension exceeded") into a ValueError."""
    try:
        yield
    except (MemoryError, ValueError) as error:
        raise ValueError(
            f"the Jacobian of a = W h for n_out = {amount(n_out)} and n_in = {h.size:,} has "
            f"n_out² n_in = {amount(n_out * n_out * h.size)} entries: more than numpy can "
            "allocate here"
        ) from error


def frobenius(A, B) -> float:
    """``A : B = tr(AᵀB)``, the sum of the elementwise product; ``A`` and ``B`` of one shape."""
    A = finite_array("A", A)
    B = finite_array("B", B)
    if A.shape != B.shape:
        raise ValueError(
            f"the Frobenius product A : B needs A and B of one shape, got {A.shape} and {B.shape}"
        )
    return float(np.sum(A * B))


def vec(A) -> np.ndarray:
    """Stack the columns of ``A`` ``(p, q)`` into one vector of length ``p q`` (column-major)."""
    A = finite_array("A", A)
    if A.ndim != 2:
        raise ValueError(f"vec needs a matrix, got shape {A.shape}")
    return A.reshape(-1, order="F")


def unvec(v, shape: tuple[int, int]) -> np.ndarray:
    """The inverse of :func:`vec`: refill a ``(p, q)`` matrix column by column."""
    v = _column("v", v)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise TypeError(f"shape must be a pair (p, q) of whole numbers, got {describe(shape)}")
    if len(shape) != 2:
        raise ValueError(f"shape must be a pair (p, q) of whole numbers, got {describe(shape)}")
    p, q = (positive_int("shape[0]", shape[0]), positive_int("shape[1]", shape[1]))
    if v.size != p * q:
        raise ValueError(f"a vector of length {v.size} cannot fill a {p}×{q} matrix")
    return v.reshape((p, q), order="F")


def jacobian_tensor(h, n_out: int) -> np.ndarray:
    """``∂a/∂W`` for ``a = W h``: the 3-tensor ``T[i, p, q] = δ_ip h_q``.

    ``h`` has length ``n_in``; ``W`` is ``(n_out, n_in)``; ``T`` is ``(n_out, n_out, n_in)``.
    Slice ``T[i]`` is the gradient of ``a_i`` alone: zero but for row ``i``, which is ``hᵀ``.
    """
    h = _column("h", h)
    n_out = positive_int("n_out", n_out)
    with _allocating(n_out, h):
        return np.einsum("ip,q->ipq", np.eye(n_out), h)


def jacobian_kron(h, n_out: int) -> np.ndarray:
    """``∂a/∂vec(W) = hᵀ ⊗ I_(n_out)``, shape ``(n_out, n_out n_in)``, for ``a = W h``."""
    h = _column("h", h)
    n_out = positive_int("n_out", n_out)
    with _allocating(n_out, h):
        return np.kron(h[None, :], np.eye(n_out))


def contract(g, T) -> np.ndarray:
    """``Σ_i g_i T[i]``: the chain rule applied to a Jacobian tensor ``T`` of ``a`` w.r.t. ``W``.

    With ``T = jacobian_tensor(h, n_out)`` this is exactly ``g hᵀ``.
    """
    g = _column("g", g)
    T = finite_array("T", T)
    if T.ndim != 3 or T.shape[0] != g.size:
        raise ValueError(
            f"T must have shape ({g.size}, p, q) to contract with g of length {g.size}, "
            f"got {T.shape}"
        )
    return np.tensordot(g, T, axes=1)


def outer(g, h) -> np.ndarray:
    """``g hᵀ`` for vectors ``g`` (length ``n_k``) and ``h`` (length ``n_(k-1)``)."""
    return np.outer(_column("g", g), _column("h", h))
