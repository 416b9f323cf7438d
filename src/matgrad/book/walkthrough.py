"""Algorithm 6.4 one executed line at a time, as the backward-pass stepper shows it.

Used in: backward (``backward_frames``, ``backward_with_inverse``) and the backward-pass
stepper widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matgrad._text import shape_text
from matgrad.book.examples import DEFAULT_WIDTHS, example_problem
from matgrad.network import ALGORITHM_6_4, Gradients, check_net


@dataclass
class Frame:
    """One line of Algorithm 6.4 as the stepper shows it."""

    line: int
    k: int | None
    statement: str
    result: str
    value: np.ndarray
    g: np.ndarray
    gradients: dict[str, np.ndarray] = field(default_factory=dict)


def backward_frames(
    widths: Sequence[int] = DEFAULT_WIDTHS, *, lam: float = 0.1, m: int = 1, seed: int = 0
) -> list[Frame]:
    """Every executed line of Algorithm 6.4 on a seeded example, with the gradients so far."""
    net, x, y = example_problem(widths, lam=lam, m=m, seed=seed)
    trace = net.backward(net.forward(x, y), y).trace
    frames, done = [], {}
    for step in trace:
        if step.result.startswith("∇"):
            done = {**done, step.result: step.value}
        frames.append(
            Frame(
                step.line,
                step.k,
                ALGORITHM_6_4[step.line].strip(),
                step.result,
                step.value,
                step.g,
                done,
            )
        )
    return frames


def backward_with_inverse(net, record, y, *, pseudo: bool = False) -> Gradients:
    """Algorithm 6.4 with line 6 wrong on purpose: ``g ← W(k)⁻¹ g`` instead of ``W(k)ᵀ g``
    (``pseudo=True``: ``g ← W(k)⁺ g``, the Moore-Penrose pseudo-inverse, which exists for any
    shape and is no more the adjoint).

    The "inverse" backward pass a reader might guess: it answers "which ``h(k-1)`` would give
    ``a(k) = g``", not "how does ``J`` change with ``h(k-1)``", so every layer below the top
    gets a wrong gradient (the gradient check catches it). Lines 1 to 5 are the core's
    (:func:`matgrad.backward`'s output gradient, ``f'``, ``g h(k-1)ᵀ + λ ∇W(k) Ω``). Returns
    ``∇W(k) J`` and ``∇b(k) J`` as :func:`matgrad.backward` does. Needs every ``W(k)`` square
    and invertible (``ValueError`` otherwise: a non-square matrix has no inverse).
    """
    y = check_net(net).check_target(y, net.check_record(record).m)
    h, a, W, f, Omega = record.h, record.a, net.W, net.f, net.regularizer
    for k in range(1, net.l + 1):
        if not pseudo and W[k].shape[0] != W[k].shape[1]:
            raise ValueError(
                f"W({k}) is {shape_text(W[k].shape)}: a non-square matrix has no inverse, "
                f"so W({k})⁻¹ g cannot replace W({k})ᵀ g; use a network of equal widths"
            )
    W_grad, b_grad = {}, {}
    g = net.output_gradient(record.yhat, y)  # line 1
    for k in range(net.l, 0, -1):
        g = g * f(k).derivative(a[k])  # line 3
        b_grad[k] = g.sum(axis=1, keepdims=True)  # line 4
        W_grad[k] = g @ h[k - 1].T + net.lam * Omega.gradient(W[k])  # line 5
        if pseudo:
            g = np.linalg.pinv(W[k]) @ g  # line 6, wrong: W(k)⁺ g instead of W(k)ᵀ g
            continue
        try:
            g = np.linalg.solve(W[k], g)  # line 6, wrong: W(k)⁻¹ g instead of W(k)ᵀ g
        except np.linalg.LinAlgError:
            raise ValueError(f"W({k}) is singular: it has no inverse") from None
    return Gradients(W=W_grad, b=b_grad)
