"""Dropout and batch normalization, in numpy, for checking a gradient when the cost is random.

Used in: random-costs. Examples are columns, as in the book: a minibatch ``x`` is
``(n0, m)``. The dropout network is ``a(1) = W(1) x``, ``h(1) = mask ⊙ tanh(a(1)) / (1 − p)``
(inverted dropout), ``ŷ = W(2) h(1)`` and ``J = ‖ŷ − y‖²_F / 2m``, with biases left out and
``W(2)`` held fixed, so that ``J`` is a function of ``W(1)`` alone. Batch normalization
takes a batch ``Z`` of shape ``(n, m)`` (one row per feature) and normalizes each row with
the batch's own mean and variance (training mode) or with stored running statistics
(evaluation mode), then scales by ``γ`` and shifts by ``β`` (each ``(n, 1)``); the cost
after it is ``J = ½ ‖out − T‖²_F`` for a fixed target ``T``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matgrad._validation import describe, finite_array, non_negative_int

MODES = ("training", "evaluation")

BATCHNORM_EPS = 1e-5
"""The ``ε`` added to the variance before its square root (PyTorch's default)."""


# --- dropout -------------------------------------------------------------------------------


def check_p(p) -> float:
    """``p``, the probability that dropout drops a unit, if ``0 <= p < 1``."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"p, the dropout probability, must be a number, got {describe(p)}")
    p = float(p)
    if not 0 <= p < 1:
        raise ValueError(
            f"p, the dropout probability, must satisfy 0 <= p < 1, got {p}: p is the "
            "chance that a unit is dropped, and inverted dropout divides by 1 − p"
        )
    return p


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {describe(rng)}"
        )
    return rng


def dropout_mask(shape, p, rng) -> np.ndarray:
    """A Bernoulli mask of ``shape`` (``(n1, m)``): ``True`` keeps a unit, with chance ``1 − p``.

    ``mask = rng.random(shape) > p``; each call draws a new mask and advances ``rng``.
    """
    p = check_p(p)
    return _check_rng(rng).random(shape) > p


def _check_mask(mask, shape) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise ValueError(
            f"the dropout mask must have the shape {tuple(shape)} of a(1), got {mask.shape}"
        )
    if mask.dtype != bool and not np.isin(mask, (0, 1)).all():
        raise ValueError("the dropout mask must hold booleans or 0s and 1s (1 keeps a unit)")
    return mask.astype(bool)


def dropout_forward(a, mask, p) -> np.ndarray:
    """Inverted dropout after ``f = tanh``: ``h = mask ⊙ f(a) / (1 − p)``, the shape of ``a``.

    ``a`` is ``a(1)``, ``(n1, m)``, and may be complex (for complex step). Dividing by
    ``1 − p`` keeps the expected ``h`` equal to ``f(a)``, so evaluation mode can drop nothing
    and scale nothing.
    """
    p = check_p(p)
    mask = _check_mask(mask, np.shape(a))
    return mask * np.tanh(a) / (1 - p)


def _dropout_shapes(x, y, W2):
    x, y, W2 = finite_array("x", x), finite_array("y", y), finite_array("W(2)", W2)
    if x.ndim != 2 or y.ndim != 2 or W2.ndim != 2:
        raise ValueError("x (n0, m), y (n2, m) and W(2) (n2, n1) must be matrices")
    if y.shape != (W2.shape[0], x.shape[1]):
        raise ValueError(
            f"y must have the shape (n2, m) = ({W2.shape[0]}, {x.shape[1]}) of W(2) h(1), "
            f"got {y.shape}"
        )
    return x, y, W2


def _dropout_J(W1, x, y, W2, p, mask) -> float:
    """Algorithm 6.3 for the dropout network with a given mask: ``J = ‖W(2) h(1) − y‖² / 2m``."""
    h1 = dropout_forward(W1 @ x, mask, p)
    return np.sum((W2 @ h1 - y) ** 2) / (2 * x.shape[1])


def dropout_cost(x, y, W2, p, *, rng=None, seed=None, mask=None) -> Callable:
    """``J`` as a function of ``W(1)`` (``(n1, n0)``), for ``mg.numerical_gradient``.

    Give exactly one source of the mask:

    * ``rng``: a fresh mask from ``rng`` on every call, as in training. Two calls at the same
      ``W(1)`` give different ``J``: this is not a function, and no finite difference of it
      means anything.
    * ``seed``: the generator is created again from ``seed`` before every call, so every call
      draws the same mask (reseeding: the fix when the mask cannot be passed in).
    * ``mask``: this ``(n1, m)`` mask on every call (the fix: draw it once, pass it in).
    """
    x, y, W2 = _dropout_shapes(x, y, W2)
    p = check_p(p)
    given = [
        name for name, value in (("rng", rng), ("seed", seed), ("mask", mask)) if value is not None
    ]
    if len(given) != 1:
        raise ValueError(
            "give exactly one source of the dropout mask: rng (a fresh mask per call), "
            f"seed (reseeded per call) or mask (fixed); got {', '.join(given) or 'none'}"
        )
    shape = (W2.shape[1], x.shape[1])
    if rng is not None:
        _check_rng(rng)

        def J(W1):
            return _dropout_J(W1, x, y, W2, p, dropout_mask(shape, p, rng))

    elif seed is not None:
        seed = non_negative_int("seed", seed)

        def J(W1):
            return _dropout_J(W1, x, y, W2, p, dropout_mask(shape, p, np.random.default_rng(seed)))

    else:
        fixed = _check_mask(mask, shape)

        def J(W1):
            return _dropout_J(W1, x, y, W2, p, fixed)

    return J


def dropout_backward(W1, x, y, W2, p, mask, *, forget_mask: bool = False) -> np.ndarray:
    """Algorithm 6.4 for the dropout network: ``∇W(1) J``, ``(n1, n0)``, for this ``mask``.

    ``g ← ∇ŷ J = (ŷ − y) / m``; ``g ← ∇h(1) J = W(2)ᵀ g``; through dropout and ``f``,
    ``g ← g ⊙ mask / (1 − p) ⊙ f'(a(1))``; then ``∇W(1) J = g xᵀ`` (``x`` is ``h(0)``).
    ``forget_mask=True`` is the bug that skips ``mask / (1 − p)`` and uses ``f'(a(1))`` alone.
    """
    x, y, W2 = _dropout_shapes(x, y, W2)
    W1 = finite_array("W(1)", W1)
    p = check_p(p)
    a1 = W1 @ x
    mask = _check_mask(mask, a1.shape)
    g = (W2 @ dropout_forward(a1, mask, p) - y) / x.shape[1]
    g = W2.T @ g
    if not forget_mask:  # h(1) = mask ⊙ f(a(1)) / (1 − p): its derivative carries the mask
        g = g * mask / (1 - p)
    g = g * (1 - np.tanh(a1) ** 2)
    return g @ x.T


# --- batch normalization -------------------------------------------------------------------


@dataclass
class RunningStatistics:
    """A batch-norm layer's state: running ``mean`` and ``var``, each ``(n, 1)``.

    ``update`` moves them towards a batch's: ``running ← (1 − momentum) running + momentum
    batch`` (PyTorch's rule, ``momentum = 0.1``); ``updates`` counts the calls.
    """

    mean: np.ndarray
    var: np.ndarray
    momentum: float = 0.1
    updates: int = 0

    @classmethod
    def start(cls, n: int, momentum: float = 0.1) -> RunningStatistics:
        """The state of a new layer of ``n`` features: mean 0, variance 1."""
        return cls(np.zeros((n, 1)), np.ones((n, 1)), momentum)

    def update(self, mean, var) -> None:
        self.mean = (1 - self.momentum) * self.mean + self.momentum * np.real(mean)
        self.var = (1 - self.momentum) * self.var + self.momentum * np.real(var)
        self.updates += 1

    def copy(self) -> RunningStatistics:
        return RunningStatistics(self.mean.copy(), self.var.copy(), self.momentum, self.updates)


@dataclass
class BatchNormRecord:
    """What a training-mode forward pass keeps for its backward pass (all ``(n, ·)``)."""

    out: np.ndarray  # γ ⊙ ẑ + β, (n, m)
    z_hat: np.ndarray  # (Z − mean) / sqrt(var + eps), (n, m)
    mean: np.ndarray  # the batch's mean of each row, (n, 1)
    var: np.ndarray  # the batch's variance of each row (divided by m), (n, 1)
    eps: float


def _column(name, value, n) -> np.ndarray:
    value = finite_array(name, value)
    if value.shape != (n, 1):
        raise ValueError(
            f"{name} must have shape ({n}, 1), one entry per feature, got {value.shape}"
        )
    return value


def _check_batch(Z) -> np.ndarray:
    Z = finite_array("Z", Z, allow_complex=True)
    if Z.ndim != 2 or Z.shape[1] < 2:
        raise ValueError(
            f"Z must be a batch of shape (n, m), m >= 2 examples as columns, got {Z.shape}: "
            "training mode normalizes each feature with the batch's own mean and variance"
        )
    return Z


def batchnorm_train_forward(Z, gamma, beta, eps: float = BATCHNORM_EPS) -> BatchNormRecord:
    """Training mode: ``out = γ ⊙ (Z − μ) / sqrt(σ² + ε) + β``, ``μ``, ``σ²`` of this batch.

    ``Z`` is ``(n, m)``; ``μ`` and ``σ²`` (divided by ``m``) are taken along each row, over
    the ``m`` examples, so every example's output depends on every other example.
    """
    Z = _check_batch(Z)
    gamma, beta = _column("gamma", gamma, Z.shape[0]), _column("beta", beta, Z.shape[0])
    mean = Z.mean(axis=1, keepdims=True)
    var = ((Z - mean) ** 2).mean(axis=1, keepdims=True)
    z_hat = (Z - mean) / np.sqrt(var + eps)
    return BatchNormRecord(gamma * z_hat + beta, z_hat, mean, var, eps)


def batchnorm_train_backward(dout, gamma, record: BatchNormRecord) -> np.ndarray:
    """``∇Z J`` (``(n, m)``) in training mode, through ``ẑ`` and through ``μ`` and ``σ²``.

    With ``g = dout ⊙ γ`` (``dout = ∇out J``) and ``s = sqrt(σ² + ε)``, per row:
    ``∇Z J = (g − mean(g) − ẑ ⊙ mean(g ⊙ ẑ)) / s``; the two subtracted means are the paths
    through the batch mean and the batch variance. (``∇γ J = Σ dout ⊙ ẑ`` and
    ``∇β J = Σ dout`` along each row, the same in both modes, are not needed here.)
    """
    dout = finite_array("dout", dout)
    if dout.shape != record.out.shape:
        raise ValueError(f"dout must have the shape {record.out.shape} of out, got {dout.shape}")
    g = dout * _column("gamma", gamma, dout.shape[0])
    z_hat = record.z_hat
    centred = g - g.mean(axis=1, keepdims=True) - z_hat * (g * z_hat).mean(axis=1, keepdims=True)
    return centred / np.sqrt(record.var + record.eps)


def batchnorm_eval(Z, gamma, beta, running: RunningStatistics, eps: float = BATCHNORM_EPS):
    """Evaluation mode: ``out = γ ⊙ (Z − mean) / sqrt(var + ε) + β`` with the running ``mean``,
    ``var`` (constants): each example is normalized alone. ``Z`` and ``out`` are ``(n, m)``."""
    Z = finite_array("Z", Z, allow_complex=True)
    n = Z.shape[0] if Z.ndim == 2 else -1
    gamma, beta = _column("gamma", gamma, n), _column("beta", beta, n)
    mean, var = _column("running mean", running.mean, n), _column("running var", running.var, n)
    return gamma * (Z - mean) / np.sqrt(var + eps) + beta


def batchnorm_eval_backward(dout, gamma, var, eps: float = BATCHNORM_EPS) -> np.ndarray:
    """``∇Z J = dout ⊙ γ / sqrt(var + ε)`` (``(n, m)``): the gradient with the statistics held
    constant. Right in evaluation mode (``var`` the running variance); in training mode it
    drops the paths through the batch mean and variance."""
    dout = finite_array("dout", dout)
    n = dout.shape[0]
    return dout * _column("gamma", gamma, n) / np.sqrt(_column("var", var, n) + eps)


def batchnorm_cost(
    T,
    gamma,
    beta,
    *,
    mode: str = "training",
    running: RunningStatistics | None = None,
    update: bool = False,
    eps: float = BATCHNORM_EPS,
) -> Callable:
    """``J(Z) = ½ ‖out − T‖²_F`` after batch normalization of ``Z`` (``(n, m)``, like ``T``).

    ``mode="training"`` normalizes with the batch's statistics, ``"evaluation"`` with
    ``running``'s. ``update=True`` makes every call also move ``running`` towards the
    batch's statistics, after normalizing, as a training-mode forward pass does (in
    evaluation mode: a layer that updates its state whatever the mode). A cost that
    updates state it reads is no longer a function of ``Z``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'training' or 'evaluation', got {mode!r}")
    if (mode == "evaluation" or update) and not isinstance(running, RunningStatistics):
        raise ValueError(
            "evaluation mode and update=True need the layer's running statistics: "
            f"running=RunningStatistics(...), got {describe(running)}"
        )
    T = finite_array("T", T)

    def J(Z):
        record = batchnorm_train_forward(Z, gamma, beta, eps)
        evaluation = mode == "evaluation"
        out = batchnorm_eval(Z, gamma, beta, running, eps) if evaluation else record.out
        if out.shape != T.shape:
            raise ValueError(f"T must have the shape {out.shape} of Z, got {T.shape}")
        if update:
            running.update(record.mean, record.var)
        return 0.5 * np.sum((out - T) ** 2)

    return J
