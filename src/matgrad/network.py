"""Algorithms 6.3 and 6.4 of Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.5.

The book's column convention throughout: an example is a column vector, a minibatch of
``m`` examples is a matrix with ``m`` columns, and layer ``k`` computes
``a(k) = b(k) + W(k) h(k-1)`` with ``W(k)`` of shape ``(n_k, n_(k-1))``.

Layers are numbered 1..l as in the book. Python keeps them in dicts keyed by that
number, so ``W[k]`` *is* the book's ``W^(k)`` and ``h[0]`` is the input ``x``: no
off-by-one translation anywhere.
"""

from __future__ import annotations

import copy
import math
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from matgrad._validation import (
    amount,
    choice,
    column_batch,
    describe,
    finite_array,
    float_dtype,
    non_negative_float,
    non_negative_int,
    positive_int,
)
from matgrad.functions import (
    Activation,
    Loss,
    Regularizer,
    get_activation,
    get_loss,
    get_regularizer,
)

REDUCTIONS = ("mean", "sum")
PARAMETER_NAMES = ("W", "b")

ALGORITHM_6_4 = (
    "g ← ∇ŷ J = ∇ŷ L(ŷ, y)",
    "for k = l, l-1, ..., 1 do",
    "    g ← ∇a(k) J = g ⊙ f'(a(k))",
    "    ∇b(k) J = g + λ ∇b(k) Ω(θ)",
    "    ∇W(k) J = g h(k-1)ᵀ + λ ∇W(k) Ω(θ)",
    "    g ← ∇h(k-1) J = W(k)ᵀ g",
    "end for",
)
"""The lines of Algorithm 6.4 as the book prints them; ``TraceStep.line`` indexes this."""


class MLP:
    """A fully connected network with the cost ``J = L(ŷ, y) + λ Ω(θ)`` of Algorithm 6.3.

    Build it from layer widths ``[n_0, n_1, ..., n_l]`` and a seed, or from explicit
    weights with :meth:`from_weights`. ``W[k]`` has shape ``(n_k, n_(k-1))`` and
    ``b[k]`` shape ``(n_k, 1)``, for ``k = 1..l``.

    ``activation`` is the book's ``f``, used at every layer; ``output_activation``
    replaces it at layer ``l`` only (Algorithm 6.3 uses the same ``f`` throughout,
    which is the default). ``reduction`` says how the per-example losses of a
    minibatch combine into ``L``: ``"mean"`` (``L = (1/m) Σ_i L_i``, as frameworks
    do) or ``"sum"``. ``lam`` is ``λ``; the regularizer ``Ω`` acts on weights only.
    """

    def __init__(
        self,
        widths: Sequence[int],
        *,
        seed: int = 0,
        activation: str | Activation = "tanh",
        output_activation: str | Activation | None = None,
        loss: str | Loss = "squared_error",
        regularizer: str | Regularizer = "l2",
        lam: float = 0.0,
        reduction: str = "mean",
        dtype=np.float64,
    ):
        widths = _check_widths(widths)
        dtype = _check_dtype(dtype)
        rng = np.random.default_rng(non_negative_int("seed", seed))
        # Variance 1/n_(k-1) keeps every a(k) of order one (LeCun initialization);
        # small random biases make every term of the gradient visible in the checks.
        try:
            W = [
                rng.normal(0.0, 1.0 / math.sqrt(n_in), size=(n_out, n_in))
                for n_in, n_out in pairwise(widths)
            ]
            b = [rng.normal(0.0, 0.1, size=(n_out, 1)) for n_out in widths[1:]]
        except (MemoryError, ValueError, OverflowError) as error:  # too large for numpy
            P = sum(n_out * (n_in + 1) for n_in, n_out in pairwise(widths))
            raise ValueError(
                f"widths {reprlib.repr(widths)} need P = {amount(P)} parameters "
                f"({amount(8 * P // 2**30)} GiB in float64): more than numpy can allocate here"
            ) from error
        self.W = {k: W_k.astype(dtype) for k, W_k in enumerate(W, start=1)}
        self.b = {k: b_k.astype(dtype) for k, b_k in enumerate(b, start=1)}
        self.activation = get_activation(activation)
        self.output_activation = get_activation(
            activation if output_activation is None else output_activation
        )
        self.loss = get_loss(loss)
        self.regularizer = get_regularizer(regularizer)
        self.lam = non_negative_float("lam", lam)
        self.reduction = choice("reduction", reduction, REDUCTIONS)

    @classmethod
    def from_weights(
        cls,
        W: Sequence[np.ndarray] | dict[int, np.ndarray],
        b: Sequence[np.ndarray] | dict[int, np.ndarray],
        **cost,
    ) -> MLP:
        """Build a network from ``[W(1), ..., W(l)]`` and ``[b(1), ..., b(l)]``.

        Dicts keyed 1..l are accepted too. Each ``b(k)`` may be ``(n_k,)`` or
        ``(n_k, 1)``; the arrays are copied. ``cost`` takes the keywords of :class:`MLP`
        that define ``J`` (``activation``, ``output_activation``, ``loss``,
        ``regularizer``, ``lam``, ``reduction``); the widths and dtype come from the arrays.
        """
        refused = sorted(cost.keys() & {"widths", "seed", "dtype"})
        if refused:
            raise TypeError(
                f"from_weights takes the widths and dtype from W and b and needs no seed; "
                f"got {', '.join(refused)}"
            )
        W_list = _as_layer_list("W", W)
        b_list = _as_layer_list("b", b)
        if not W_list:
            raise ValueError("a network needs at least one layer (l >= 1): W is empty")
        if len(W_list) != len(b_list):
            raise ValueError(
                f"need one bias per weight matrix: got {len(W_list)} W and {len(b_list)} b"
            )
        W_arrays, b_arrays = [], []
        for k, (W_k, b_k) in enumerate(zip(W_list, b_list, strict=True), start=1):
            W_k = finite_array(f"W({k})", W_k).copy()
            if W_k.ndim != 2 or 0 in W_k.shape:
                raise ValueError(f"W({k}) must be a non-empty matrix, got shape {W_k.shape}")
            b_k = finite_array(f"b({k})", b_k).copy()
            if b_k.ndim == 1:
                b_k = b_k[:, None]
            if b_k.shape != (W_k.shape[0], 1):
                raise ValueError(
                    f"b({k}) must have shape ({W_k.shape[0]},) or ({W_k.shape[0]}, 1) to match "
                    f"W({k}) of shape {W_k.shape}, got {np.shape(b_list[k - 1])}"
                )
            if W_arrays and W_k.shape[1] != W_arrays[-1].shape[0]:
                raise ValueError(
                    f"weights do not chain: W({k}) has {W_k.shape[1]} columns but W({k - 1}) "
                    f"has {W_arrays[-1].shape[0]} rows; W({k}) must be n_{k} × n_{k - 1}"
                )
            W_arrays.append(W_k)
            b_arrays.append(b_k.astype(W_k.dtype))
        dtypes = {array.dtype for array in W_arrays + b_arrays}
        if len(dtypes) != 1:
            raise ValueError(
                f"all weights and biases need one dtype, got {sorted(map(str, dtypes))}"
            )
        dtype = _check_dtype(dtypes.pop())
        # One constructor checks every setting of J; the weights it draws are then replaced.
        widths = [W_arrays[0].shape[1], *(W_k.shape[0] for W_k in W_arrays)]
        return cls(widths, dtype=dtype, **cost)._with_arrays(
            dict(enumerate(W_arrays, start=1)), dict(enumerate(b_arrays, start=1))
        )

    # --- the architecture -------------------------------------------------------------

    @property
    def l(self) -> int:  # noqa: E743 - the book's name for the depth
        """The depth ``l``: the number of layers with weights."""
        return len(self.W)

    @property
    def widths(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_l)``."""
        return (self.W[1].shape[1], *(self.W[k].shape[0] for k in range(1, self.l + 1)))

    @property
    def dtype(self) -> np.dtype:
        return self.W[1].dtype

    def f(self, k: int) -> Activation:
        """The activation of layer ``k``."""
        return self.output_activation if _check_layer(k, self.l) == self.l else self.activation

    @property
    def analytic(self) -> bool:
        """Whether ``J`` is analytic in the parameters, as complex step requires."""
        return not self.non_analytic_reasons()

    def non_analytic_reasons(self) -> list[str]:
        """Why complex step cannot differentiate this cost (empty when it can)."""
        reasons = []
        for activation in {self.activation, self.output_activation}:
            if not activation.analytic:
                reasons.append(activation.reason)
        if self.lam > 0 and not self.regularizer.analytic:
            reasons.append(self.regularizer.reason)
        return reasons

    def parameters(self) -> list[tuple[str, int]]:
        """The parameter keys in the order ``("W", 1), ("b", 1), ..., ("b", l)``."""
        return [(name, k) for k in range(1, self.l + 1) for name in PARAMETER_NAMES]

    def parameter(self, name: str, k: int) -> np.ndarray:
        """``W(k)`` or ``b(k)``."""
        if type(name) is str and type(k) is int:  # the usual call: found directly when valid
            arrays = self.W if name == "W" else self.b if name == "b" else {}
            if k in arrays:
                return arrays[k]
        return getattr(self, choice("parameter", name, PARAMETER_NAMES))[_check_layer(k, self.l)]

    def with_parameter(self, name: str, k: int, value: np.ndarray) -> MLP:
        """A copy of the network in which ``W(k)`` or ``b(k)`` is replaced by ``value``.

        The other arrays are shared, not copied. ``value`` may be complex (complex step).
        """
        current = self.parameter(name, k)
        value = finite_array(f"{name}({k})", value, allow_complex=True)
        if value.shape != current.shape:
            raise ValueError(f"{name}({k}) must keep its shape {current.shape}, got {value.shape}")
        W, b = dict(self.W), dict(self.b)
        {"W": W, "b": b}[name][k] = value
        return self._with_arrays(W, b)

    def astype(self, dtype) -> MLP:
        """A copy of the network computing in ``dtype`` (float32 or float64).

        The network itself when it already has that dtype (networks are never changed in
        place, so sharing is safe).
        """
        dtype = _check_dtype(dtype)
        if dtype == self.dtype:
            return self
        return self._with_arrays(
            {k: W_k.astype(dtype) for k, W_k in self.W.items()},
            {k: b_k.astype(dtype) for k, b_k in self.b.items()},
        )

    def _with_arrays(self, W: dict, b: dict) -> MLP:
        """The same network (functions, λ, reduction) with other weights and biases."""
        clone = copy.copy(self)
        clone.W, clone.b = W, b
        return clone

    @property
    def parameter_count(self) -> int:
        """``P``, the number of scalar parameters."""
        return sum(self.parameter(name, k).size for name, k in self.parameters())

    def __repr__(self) -> str:
        widths = "-".join(map(str, self.widths))
        output = (
            ""
            if self.output_activation is self.activation
            else f", output_activation={self.output_activation.name!r}"
        )
        return (
            f"MLP({widths}, activation={self.activation.name!r}{output}, "
            f"loss={self.loss.name!r}, regularizer={self.regularizer.name!r}, "
            f"lam={self.lam}, reduction={self.reduction!r})"
        )

    # --- the cost -----------------------------------------------------------------------

    def check_example(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``x`` ``(n_0,)``/``(n_0, m)`` and ``y`` ``(n_l,)``/``(n_l, m)``; return 2-D.

        Both come back in the network's precision, the one Algorithm 6.3 computes in.
        """
        x = column_batch("x", x, self.W[1].shape[1])
        y = self.check_target(y, x.shape[1])
        return x.astype(self._real_dtype, copy=False), y

    def check_target(self, y, m: int) -> np.ndarray:
        """Validate ``y`` for ``m`` examples: ``(n_l,)`` when ``m = 1``, else ``(n_l, m)``.

        It comes back in the network's precision, as ``x`` does from :meth:`check_example`.
        """
        m = positive_int("m (the number of examples)", m)
        y = column_batch("y", y, self.W[self.l].shape[0])
        if y.shape[1] != m:
            raise ValueError(
                f"x holds {m} examples (columns) but y holds {y.shape[1]}; "
                f"y must have shape ({y.shape[0]}, {m})"
            )
        if self.loss.name == "softmax_cross_entropy" and (
            np.any(y < 0) or not np.allclose(y.sum(axis=0), 1.0)
        ):
            raise ValueError(f"softmax_cross_entropy needs y as {self.loss.target}")
        if self.loss.name == "binary_cross_entropy" and (np.any(y < 0) or np.any(y > 1)):
            raise ValueError(f"binary_cross_entropy needs y with {self.loss.target}")
        return y.astype(self._real_dtype, copy=False)

    @property
    def _real_dtype(self) -> np.dtype:
        """The precision data is taken in: the network's (a complex copy's real one)."""
        return np.finfo(self.dtype).dtype

    def check_record(self, record) -> ForwardRecord:
        """Validate that ``record`` is a :class:`ForwardRecord` of this network's shapes.

        Algorithm 6.4 reads ``h(k)`` and ``a(k)`` from Algorithm 6.3's record; a record of
        another network (other widths or depth) would fail deep inside a matrix product.
        """
        if not isinstance(record, ForwardRecord):
            raise TypeError(
                "record must be the ForwardRecord that forward(net, x, y) returns, "
                f"got {describe(record)}"
            )
        try:
            m = record.yhat.shape[1]
            fits = (
                sorted(record.h) == list(range(self.l + 1))
                and sorted(record.a) == list(range(1, self.l + 1))
                and all(record.h[k].shape == (n, m) for k, n in enumerate(self.widths))
                and all(record.a[k].shape == record.h[k].shape for k in range(1, self.l + 1))
            )
        except (AttributeError, IndexError, TypeError):
            fits = False
        if not fits:
            try:
                held = "-".join(str(record.h[k].shape[0]) for k in sorted(record.h))
            except (AttributeError, IndexError, TypeError):
                held = "something else"
            raise ValueError(
                f"record does not fit this network: its h(k) have widths {held}, the network's "
                f"are {'-'.join(map(str, self.widths))}; pass the record that forward() "
                "returned for this network"
            )
        return record

    def penalty(self) -> float:
        """``Ω(θ)``: the regularizer summed over the weight matrices (biases excluded)."""
        return sum(self.regularizer.value(self.W[k]) for k in range(1, self.l + 1))

    def reduce(self, per_example: np.ndarray) -> np.ndarray:
        """Combine per-example values into ``L`` (sum or mean over the ``m`` columns)."""
        if (
            type(per_example) is not np.ndarray
            or per_example.ndim == 0
            or per_example.dtype.char not in "fdFD"  # float32/64, complex64/128
        ):
            per_example = finite_array(
                "L_i (the per-example losses)", per_example, allow_complex=True
            )
            if per_example.ndim == 0 or per_example.shape[-1] == 0:
                raise ValueError(
                    "L_i (the per-example losses) must be an array with one entry per example "
                    f"(shape (m,)), got shape {per_example.shape}"
                )
        total = per_example.sum(axis=-1)
        return total / per_example.shape[-1] if self.reduction == "mean" else total

    def output_gradient(self, yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``∇ŷ J = ∇ŷ L(ŷ, y)``, shape ``(n_l, m)``: the first line of Algorithm 6.4.

        ``Ω`` does not depend on ``ŷ``, which is why ``λ`` is absent here.
        """
        n_l = self.W[self.l].shape[0]
        # Algorithm 6.4 passes its own float arrays (a NaN there is the network's, not an
        # input's, and must reach the gradients); anything else is validated.
        if not (_float_matrix(yhat) and yhat.shape[0] == n_l):
            yhat = column_batch("ŷ", yhat, n_l)
        if not (_float_matrix(y) and y.shape == yhat.shape):
            y = self.check_target(y, yhat.shape[1])
        per_example = self.loss.gradient(yhat, y)
        return per_example / yhat.shape[1] if self.reduction == "mean" else per_example

    # --- Algorithms 6.3 and 6.4 ----------------------------------------------------------

    def forward(self, x, y) -> ForwardRecord:
        """Algorithm 6.3; see :func:`forward`."""
        return forward(self, x, y)

    def backward(self, record: ForwardRecord, y) -> Gradients:
        """Algorithm 6.4; see :func:`backward`."""
        return backward(self, record, y)

    def gradients(self, x, y) -> Gradients:
        """Algorithm 6.3 then 6.4 on ``(x, y)``."""
        return backward(self, forward(self, x, y), y)

    def cost(self, x, y) -> float:
        """``J`` at ``(x, y)`` (Algorithm 6.3's last line)."""
        return forward(self, x, y).J


@dataclass
class ForwardRecord:
    """What Algorithm 6.3 computes: ``h[k]`` for k = 0..l, ``a[k]`` for k = 1..l, ``ŷ``, ``J``.

    Every ``h[k]`` and ``a[k]`` has shape ``(n_k, m)``; ``loss`` is ``L(ŷ, y)`` and
    ``penalty`` is ``Ω(θ)`` (left at 0 when ``λ = 0``), so ``J = loss + λ penalty``.
    ``yhat`` is the network's output ``h[l]``, Algorithm 6.3's ŷ. With the
    ``softmax_cross_entropy`` loss it holds the logits ``z = a(l)`` (the output unit is the
    identity and the loss applies the softmax), and the probabilities the book calls ŷ
    are ``softmax(yhat)``.
    """

    h: dict[int, np.ndarray]
    a: dict[int, np.ndarray]
    yhat: np.ndarray
    loss: float
    penalty: float
    J: float

    @property
    def m(self) -> int:
        """The number of examples (columns)."""
        return self.yhat.shape[1]


@dataclass
class TraceStep:
    """One executed line of Algorithm 6.4.

    ``line`` indexes :data:`ALGORITHM_6_4`; ``k`` is the layer (``None`` before the
    loop); ``result`` names what the line computed (``"g = ∇a(2) J"``, ``"∇W(2) J"``)
    and ``value`` is that array; ``g`` is the running ``g`` after the line.
    """

    line: int
    k: int | None
    result: str
    value: np.ndarray
    g: np.ndarray

    @property
    def statement(self) -> str:
        return ALGORITHM_6_4[self.line].strip()


@dataclass
class Gradients:
    """``∇W(k) J`` and ``∇b(k) J`` for k = 1..l (shapes of ``W(k)``, ``b(k)``), and the trace."""

    W: dict[int, np.ndarray]
    b: dict[int, np.ndarray]
    trace: list[TraceStep] = field(default_factory=list)

    def parameter(self, name: str, k: int) -> np.ndarray:
        """``∇W(k) J`` or ``∇b(k) J``."""
        gradients = getattr(self, choice("parameter", name, PARAMETER_NAMES))
        return gradients[_check_layer(k, len(gradients))]


def forward(net: MLP, x, y) -> ForwardRecord:
    """Algorithm 6.3: forward propagation and the cost.

    ``x`` is one example ``(n_0,)`` / ``(n_0, 1)`` or a minibatch ``(n_0, m)`` with
    examples as columns; ``y`` matches the output, ``(n_l,)`` or ``(n_l, m)``.
    """
    x, y = check_net(net).check_example(x, y)
    W, b, f = net.W, net.b, net.f
    h, a = {0: x}, {}  # h(0) = x
    for k in range(1, net.l + 1):
        a[k] = b[k] + W[k] @ h[k - 1]  # a(k) = b(k) + W(k) h(k-1)
        h[k] = f(k)(a[k])  # h(k) = f(a(k))
    yhat = h[net.l]  # ŷ = h(l)
    loss = net.reduce(net.loss.value(yhat, y))
    # With λ = 0 the penalty does not enter J, and skipping it keeps a non-analytic Ω
    # (L1) out of complex-step evaluations that do not need it.
    penalty = net.penalty() if net.lam > 0 else 0.0
    J = loss + net.lam * penalty  # J = L(ŷ, y) + λ Ω(θ)
    return ForwardRecord(h=h, a=a, yhat=yhat, loss=loss, penalty=penalty, J=J)


def backward(net: MLP, record: ForwardRecord, y) -> Gradients:
    """Algorithm 6.4: the backward pass, from the record of Algorithm 6.3.

    Returns ``∇W(k) J`` (shape ``(n_k, n_(k-1))``) and ``∇b(k) J`` (shape ``(n_k, 1)``)
    for k = 1..l, with a :class:`TraceStep` for every line executed. For a minibatch,
    ``g`` is the matrix ``G`` of shape ``(n_k, m)``, so ``g h(k-1)ᵀ`` is ``G Hᵀ``, the
    sum of the per-example outer products, and the bias gradient sums ``G``'s columns
    (biases are not regularized, so their ``λ ∇b(k) Ω`` term is zero).
    """
    y = check_net(net).check_target(y, net.check_record(record).m)
    h, a, W, f, lam, Omega = record.h, record.a, net.W, net.f, net.lam, net.regularizer
    W_grad, b_grad, trace = {}, {}, []

    def log(line, k, result, value):
        trace.append(TraceStep(line, k, result, value, g))

    g = net.output_gradient(record.yhat, y)  # g ← ∇ŷ J = ∇ŷ L(ŷ, y)
    log(0, None, "g = ∇ŷ J", g)
    for k in range(net.l, 0, -1):
        g = g * f(k).derivative(a[k])  # g ← ∇a(k) J = g ⊙ f'(a(k))
        log(2, k, f"g = ∇a({k}) J", g)
        b_grad[k] = g.sum(axis=1, keepdims=True)  # ∇b(k) J = g + λ ∇b(k) Ω, with ∇b Ω = 0
        log(3, k, f"∇b({k}) J", b_grad[k])
        W_grad[k] = g @ h[k - 1].T + lam * Omega.gradient(W[k])  # ∇W(k) J = g h(k-1)ᵀ + λ ∇W(k) Ω
        log(4, k, f"∇W({k}) J", W_grad[k])
        g = W[k].T @ g  # g ← ∇h(k-1) J = W(k)ᵀ g
        log(5, k, f"g = ∇h({k - 1}) J", g)
    return Gradients(W=W_grad, b=b_grad, trace=trace)


def check_net(net) -> MLP:
    """Return ``net`` if it is an :class:`MLP`, else raise a TypeError saying what came."""
    if not isinstance(net, MLP):
        raise TypeError(
            f"net must be a network, matgrad.MLP(widths) or MLP.from_weights(W, b), "
            f"got {describe(net)}"
        )
    return net


def _float_matrix(value) -> bool:
    """Whether ``value`` is a plain 2-D float32 or float64 array (no subclass, no float16)."""
    return type(value) is np.ndarray and value.ndim == 2 and value.dtype.char in "fd"


def _check_widths(widths) -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(
            f"widths must be a list [n_0, n_1, ..., n_l] of whole numbers, got {widths!r}"
        )
    if len(widths) < 2:
        raise ValueError(
            f"widths must list at least an input and an output width [n_0, ..., n_l], "
            f"got {list(widths)}"
        )
    return [positive_int(f"widths[{index}]", n) for index, n in enumerate(widths)]


def _check_dtype(dtype) -> np.dtype:
    return float_dtype("dtype", dtype)


def _check_layer(k, l) -> int:  # noqa: E741 - the book's name for the depth
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= l:
        raise ValueError(f"layer k must be a whole number in 1..{l}, got {reprlib.repr(k)}")
    return int(k)


def _as_layer_list(name, arrays) -> list:
    if isinstance(arrays, dict):
        keys = list(arrays)
        whole = all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys)
        expected = list(range(1, len(arrays) + 1))
        if not whole or sorted(keys) != expected:
            listed = sorted(keys) if whole else sorted(keys, key=repr)
            zero_based = " (layers are numbered from 1, as in the book)" if 0 in listed else ""
            raise ValueError(f"{name} as a dict must be keyed 1..l{zero_based}, got keys {listed}")
        return [arrays[k] for k in expected]
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, Sequence):
        raise TypeError(f"{name} must be a list [{name}(1), ..., {name}(l)] of arrays")
    return list(arrays)
