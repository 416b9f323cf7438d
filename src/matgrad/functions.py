"""The pieces Algorithm 6.3 plugs in: activations ``f``, losses ``L`` and regularizers ``Ω``.

Every function here accepts complex arrays where the mathematics is analytic, so that
complex-step differentiation can push an imaginary perturbation through it. Where a
function is not analytic (ReLU, the L1 norm) it says so in ``analytic`` and ``reason``
so that complex step can be refused with a clear message instead of a silent wrong
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matgrad._validation import choice, finite_array


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``h = f(a)`` and its derivative ``f'(a)``."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    analytic: bool = True
    reason: str = ""
    # Where f is not differentiable: a difference whose step crosses one measures an
    # average slope, not f'; gradient checks detect that and say so.
    kinks: tuple[float, ...] = ()
    # For rounding error bounds (matgrad.rounding): whether f and f' are computed without
    # rounding (identity, ReLU: a copy, a max, a comparison), and a bound on |f''| away from the
    # kinks, how fast f' changes when rounding moves a (None: f' is evaluated there instead).
    exact: bool = False
    curvature: float | None = None

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self.f(a)


def _sigmoid(a):
    # The tanh form never overflows (exp(-a) does for a << 0) and stays analytic.
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _sigmoid_derivative(a):
    s = _sigmoid(a)
    return s * (1.0 - s)


def _relu(a):
    if np.iscomplexobj(a):
        raise ValueError("ReLU is not analytic at 0: complex step cannot differentiate it")
    return np.maximum(a, 0.0)


def _relu_derivative(a):
    # f'(0) is undefined; like every framework we take the subgradient 0 there.
    return (a > 0).astype(a.dtype)


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", lambda a: a, np.ones_like, exact=True, curvature=0.0),
    # max |f''| = 4/(3√3) for tanh at tanh(a) = ±1/√3, 1/(6√3) for the sigmoid.
    "tanh": Activation("tanh", np.tanh, lambda a: 1.0 - np.tanh(a) ** 2, curvature=0.77),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_derivative, curvature=0.097),
    "relu": Activation(
        "relu",
        _relu,
        _relu_derivative,
        analytic=False,
        reason="ReLU has a kink at 0, so it is not analytic and complex step does not apply",
        kinks=(0.0,),
        exact=True,
        curvature=0.0,
    ),
}


def get_activation(name: str | Activation) -> Activation:
    """Look up an activation by name (``identity``, ``tanh``, ``sigmoid``, ``relu``)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[choice("activation", name, ACTIVATIONS)]


@dataclass(frozen=True)
class Loss:
    """A per-example loss ``L(ŷ, y)`` on columns, and its gradient with respect to ``ŷ``.

    ``value`` returns one loss per column, shape ``(m,)``; ``gradient`` returns
    ``∂L_i/∂ŷ_i`` for every column ``i``, shape ``(n_l, m)``.
    """

    name: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]
    target: str


def _squared_error(yhat, y):
    difference = yhat - y
    return 0.5 * (difference * difference).sum(axis=0)


def _squared_error_gradient(yhat, y):
    return yhat - y


def _log_sum_exp(z):
    # Shifting by the (real) column maximum avoids overflow and keeps the function analytic.
    shift = np.max(z.real, axis=0, keepdims=True)
    return np.log(np.sum(np.exp(z - shift), axis=0)) + shift[0]


def softmax(z: np.ndarray) -> np.ndarray:
    """Column-wise softmax of logits ``z`` of shape ``(n, m)``."""
    z = finite_array("z", z, allow_complex=True)
    if z.ndim not in (1, 2) or z.shape[0] == 0:
        raise ValueError(f"z must be logits of shape (n,) or (n, m) with n >= 1, got {z.shape}")
    shift = np.max(z.real, axis=0, keepdims=True)
    e = np.exp(z - shift)
    return e / np.sum(e, axis=0, keepdims=True)


def _softmax_cross_entropy(yhat, y):
    # -sum_j y_j log softmax(yhat)_j, written so that it never takes log(0).
    return np.sum(y, axis=0) * _log_sum_exp(yhat) - np.sum(y * yhat, axis=0)


def _softmax_cross_entropy_gradient(yhat, y):
    return softmax(yhat) * np.sum(y, axis=0, keepdims=True) - y


class ProbabilityError(ValueError):
    """``ŷ`` outside ``(0, 1)`` for a loss that reads it as probabilities (binary
    cross-entropy): a gradient check that meets it in its differences blames its step."""


def _probabilities(yhat):
    # Binary cross-entropy reads ŷ as probabilities: log ŷ and log(1 − ŷ) need 0 < ŷ < 1.
    # Nothing is clipped (a clipped loss has a wrong, silent gradient); the real part is
    # tested so that complex step's tiny imaginary perturbation passes through. A NaN is
    # the network's (an overflow upstream) and flows on, as through the other losses.
    real = yhat.real
    if np.any((real <= 0) | (real >= 1)):
        raise ProbabilityError(
            "binary_cross_entropy needs every ŷ strictly between 0 and 1 (probabilities); "
            "use it with output_activation='sigmoid', whose ŷ rounds to exactly 0 or 1 only "
            "for a saturated unit (|a(l)| of about 37 or more in float64)"
        )
    return yhat


def _binary_cross_entropy(yhat, y):
    # -Σ_j [y_j log ŷ_j + (1 − y_j) log(1 − ŷ_j)]; log1p(−ŷ) keeps 1 − ŷ accurate for small ŷ,
    # and np.log, np.log1p are analytic, so complex step differentiates it.
    yhat = _probabilities(yhat)
    return -np.sum(y * np.log(yhat) + (1 - y) * np.log1p(-yhat), axis=0)


def _binary_cross_entropy_gradient(yhat, y):
    yhat = _probabilities(yhat)
    return (yhat - y) / (yhat * (1 - yhat))


LOSSES: dict[str, Loss] = {
    "squared_error": Loss(
        "squared_error",
        _squared_error,
        _squared_error_gradient,
        target="any real targets of the output's shape",
    ),
    "softmax_cross_entropy": Loss(
        "softmax_cross_entropy",
        _softmax_cross_entropy,
        _softmax_cross_entropy_gradient,
        target="one-hot (or probability) columns: entries >= 0, each column summing to 1",
    ),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        _binary_cross_entropy,
        _binary_cross_entropy_gradient,
        target="entries between 0 and 1 (labels 0 or 1, or probabilities)",
    ),
}


def get_loss(name: str | Loss) -> Loss:
    """Look up a loss by name (``squared_error``, ``softmax_cross_entropy``,
    ``binary_cross_entropy``).

    ``squared_error`` is ``L = ½‖ŷ − y‖²`` per example, gradient ``ŷ − y``.
    ``softmax_cross_entropy`` reads ``ŷ`` as the logits: with the probabilities
    ``p = softmax(ŷ)``, ``L = −Σ_j y_j log p_j``, whose gradient is ``p − y``. Use it with an
    ``identity`` output activation, so that ``ŷ = h(l) = a(l)`` are the logits.
    ``binary_cross_entropy`` reads ``ŷ`` as probabilities, ``0 < ŷ < 1`` (a ValueError
    otherwise): ``L = −Σ_j [y_j log ŷ_j + (1 − y_j) log(1 − ŷ_j)]`` summed over the output
    units, gradient ``(ŷ − y) / (ŷ (1 − ŷ))``, targets ``0 ≤ y ≤ 1``; use it with a
    ``sigmoid`` output activation, with which line 3 of Algorithm 6.4 turns that gradient
    into ``∇a(l) J = ŷ − y`` (per example).
    """
    if isinstance(name, Loss):
        return name
    return LOSSES[choice("loss", name, LOSSES)]


@dataclass(frozen=True)
class Regularizer:
    """A penalty ``Ω`` on one weight matrix and its (sub)gradient ``∇_W Ω``.

    ``Ω(W)`` is a sum of elementwise terms ``Σ_ij ω(W_ij)`` (``terms`` returns the
    array of ``ω(W_ij)``), and ``Ω(θ)`` of a network sums it over the weight matrices;
    biases are not regularized (the common practice, Goodfellow et al. 2016, §7.1).
    """

    name: str
    terms: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray], np.ndarray]
    analytic: bool = True
    reason: str = ""
    total: Callable[[np.ndarray], float] | None = None
    kinks: tuple[float, ...] = ()  # where ω is not differentiable, as for Activation

    def value(self, W: np.ndarray):
        """``Ω(W) = Σ_ij ω(W_ij)`` (by ``total`` where given: the same sum, computed faster)."""
        return self.terms(W).sum() if self.total is None else self.total(W)


def _l1_terms(W):
    if np.iscomplexobj(W):
        raise ValueError("the L1 norm is not analytic: complex step cannot differentiate it")
    return np.abs(W)


REGULARIZERS: dict[str, Regularizer] = {
    "none": Regularizer("none", np.zeros_like, np.zeros_like),
    # ½ Σ W², so that ∇_W Ω = W exactly (the book's section 6.5.7 writes Σ W², gradient 2W).
    "l2": Regularizer(
        "l2", lambda W: 0.5 * W * W, lambda W: W, total=lambda W: 0.5 * (W.ravel() @ W.ravel())
    ),
    # np.sign gives the subgradient 0 at W = 0.
    "l1": Regularizer(
        "l1",
        _l1_terms,
        np.sign,
        analytic=False,
        reason="the L1 norm |W| has a kink at 0, so complex step does not apply",
        kinks=(0.0,),
    ),
}


def get_regularizer(name: str | Regularizer) -> Regularizer:
    """Look up a regularizer by name (``none``, ``l2`` = ``½Σ‖W‖²_F``, ``l1`` = ``Σ|W|``)."""
    if isinstance(name, Regularizer):
        return name
    return REGULARIZERS[choice("regularizer", name, REGULARIZERS)]
