"""A weight used more than once: a small recurrent network whose one ``W`` acts at every step.

Used in: questions (``recurrent_cost``, ``bptt_terms``).

The network is ``h_t = tanh(W h_(t-1) + U x_t)`` for ``t = 1..T``, with the same ``W``
(``n × n``) and ``U`` (``n × p``) at every step, and the cost ``J = ½ ‖h_T − y‖²``. ``W``
is used ``T`` times, so ``∇W J`` is the sum of ``T`` terms ``g_t h_(t-1)ᵀ``, one per use:
Algorithm 6.4's weight line applied at each step, with ``g_t = ∇a_t J`` carried back one step
by ``Wᵀ`` (backpropagation through time).
"""

from __future__ import annotations

import numpy as np

from matgrad._validation import finite_array


def _inputs(W, U, xs, h0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    W, U = finite_array("W", W), finite_array("U", U)
    xs, h0 = finite_array("xs", xs), finite_array("h0", h0)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.size == 0:
        raise ValueError(f"W must be a square n × n matrix (it maps h_(t-1) to a_t), got {W.shape}")
    n = W.shape[0]
    if U.ndim != 2 or U.shape[0] != n or U.shape[1] == 0:
        raise ValueError(f"U must be n × p with n = {n} rows (W's size), got {U.shape}")
    if xs.ndim != 2 or xs.shape[1] != U.shape[1] or xs.shape[0] == 0:
        raise ValueError(
            f"xs must hold the inputs x_1..x_T as rows, shape (T, {U.shape[1]}), got {xs.shape}"
        )
    if h0.shape != (n,):
        raise ValueError(f"h0 must be a vector of length n = {n}, got shape {h0.shape}")
    return W, U, xs, h0


def _target(y, n: int) -> np.ndarray:
    y = finite_array("y", y)
    if y.shape != (n,):
        raise ValueError(f"y must be a vector of length n = {n}, like h_T, got shape {y.shape}")
    return y


def recurrent_states(W, U, xs, h0) -> list[np.ndarray]:
    """``[h_0, h_1, ..., h_T]`` for ``h_t = tanh(W h_(t-1) + U x_t)``; ``xs`` is ``(T, p)``."""
    W, U, xs, h = _inputs(W, U, xs, h0)
    states = [h]
    for x in xs:
        h = np.tanh(W @ h + U @ x)  # the same W at every step
        states.append(h)
    return states


def recurrent_cost(W, U, xs, h0, y) -> float:
    """``J = ½ ‖h_T − y‖²`` after the ``T`` steps of :func:`recurrent_states`."""
    h_T = recurrent_states(W, U, xs, h0)[-1]
    y = _target(y, h_T.size)
    return float(0.5 * np.sum((h_T - y) ** 2))


def bptt_terms(W, U, xs, h0, y) -> list[np.ndarray]:
    """The contribution of each use of ``W`` to ``∇W J``: ``[g_1 h_0ᵀ, ..., g_T h_(T-1)ᵀ]``.

    Each term has ``W``'s shape; their sum is ``∇W J``. ``g_T = (h_T − y) ⊙ (1 − h_T²)``
    and ``g_(t-1) = (Wᵀ g_t) ⊙ (1 − h_(t-1)²)``: Algorithm 6.4's lines ``g ← Wᵀ g`` and
    ``g ← g ⊙ f'(a)``, once per step, back through time.
    """
    states = recurrent_states(W, U, xs, h0)
    y = _target(y, states[-1].size)
    W = np.asarray(W, dtype=float)
    T = len(states) - 1
    terms: list[np.ndarray] = [np.empty(0)] * T
    g = (states[T] - y) * (1 - states[T] ** 2)  # ∇a_T J, tanh' = 1 − h²
    for t in range(T, 0, -1):
        terms[t - 1] = np.outer(g, states[t - 1])  # this use of W: g_t h_(t-1)ᵀ
        if t > 1:
            g = (W.T @ g) * (1 - states[t - 1] ** 2)  # ∇a_(t-1) J
    return terms
