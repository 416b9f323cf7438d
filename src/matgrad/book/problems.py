"""The questions the grader asks, and the problems it grades a typed answer on.

Used in: the grader only (``matgrad.book.grader`` re-exports :data:`QUESTIONS`); no chapter
imports it: the chapters' answer boxes (``widgets.make_answer_box``) reach it through the
grader.

Each :class:`Question` asks for one gradient of Algorithm 6.4 (lines 3 to 6), of its
minibatch form, of a framework's row layout, of softmax with cross-entropy, or of the layers
after the MLP (a linear layer in rows, attention's ``O = P V``, an embedding's lookup). It
lists the names a reader may use, with their shapes in the book's notation, and draws
:class:`Problem` s: a small seeded :class:`matgrad.MLP` with distinct, non-square widths
(so that a transposed answer has the wrong shape), random data and ``λ > 0`` where ``λ``
matters. A problem holds what the names mean there, the array the gradient is taken with
respect to (``W(k)``, ``h(k-1)``, ...) and the scalar cost ``J`` as a function of that
array alone, built from the library's own network, loss and regularizer: the grader's
verdict is :func:`matgrad.check` of the reader's value against that cost. ``truth`` (from
Algorithm 6.4) and the question's ``mistakes`` (classic wrong formulas, named as in
:data:`matgrad.book.grader.MISTAKES_CATALOGUE`) only serve to name a mistake.

Layer ``k = 2`` of a 3-layer tanh network throughout, so that ``h(k-1)`` is a hidden layer's
output and ``g`` carries the chain rule from the layer above. A *square* problem gives
``n_(k-1) = n_k`` (and ``m``) one value: there the products a non-square problem refuses
can be formed, and the grader can tell which mistake a clashing answer is.

The layers' questions (``linear-weight``, ``attention-v``, ``attention-p``,
``embedding-weight``; the chapter on attention, embeddings and normalization asks them) take
no network: their cost is ``J = Σ G ⊙ Y``, the layer's output ``Y`` weighed by a fixed random
``G``, written here in plain numpy, so that ``G`` is ``∂J/∂Y`` exactly and the gradient asked
for is the layer's backward of ``G``. Their three sizes are distinct, 2 to 6 (problem 0:
fixed; a square problem: all 4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matgrad.book.examples import example_problem, one_hot
from matgrad.book.notation import Symbol
from matgrad.functions import LOSSES, get_activation, softmax

K = 2  # the layer asked about, in a network of widths [n_0, n_(k-1), n_k, n_3]
FIXED_WIDTHS, FIXED_M = (4, 5, 3, 2), 6  # problem 0: W(k) is 3 × 5, a minibatch has 6 examples
SQUARE_WIDTHS = (3, 4, 4, 2)  # n_(k-1) = n_k = m = 4
TANH = get_activation("tanh")


@dataclass(frozen=True)
class Problem:
    """One drawn problem: ``values`` (name → array, number or function), the array ``point``
    named ``label`` the gradient is taken with respect to, the ``cost`` as a function of
    ``{label: array}``, Algorithm 6.4's ``truth``, ``sizes`` for messages and ``J``, the cost
    at the problem's point as Algorithm 6.3 (the library's ``forward``) computes it (for a
    layer's question: ``Σ G ⊙ Y`` from the layer's forward)."""

    values: dict[str, object]
    label: str
    point: np.ndarray
    cost: Callable[[dict], float]
    truth: np.ndarray
    sizes: str
    J: float

    def __post_init__(self):
        # One C-ordered array (X = Hᵀ is a view in Fortran order): a check perturbs the
        # array's entries in place of their flat positions, and a copy would not see them.
        object.__setattr__(self, "point", np.ascontiguousarray(self.point))


@dataclass(frozen=True)
class Question:
    """A gradient to type: the ``prompt``, the names a reader may use (``symbols``), what is
    differentiated (``label``, of shape ``shape`` in the book's notation) and why, the
    ``section`` that explains it (a relative URL of the built book), how to ``draw`` a
    problem (``draw(seed, square)``) and the classic wrong formulas: ``(catalogue name,
    formula as the book writes it, function of a problem's values)``."""

    id: str
    prompt: str
    symbols: tuple[Symbol, ...]
    label: str
    shape: str
    section: str
    draw: Callable[[int, bool], Problem]
    mistakes: tuple[tuple[str, str, Callable[[dict], np.ndarray]], ...]

    def problem(self, seed: int = 0) -> Problem:
        """Problem 0 (``seed=0``) has fixed sizes, the ones shape messages name; others
        draw distinct widths from ``seed``."""
        return self.draw(seed, False)


def _widths(seed: int, square: bool, m: bool = False) -> tuple[list[int], int, np.random.Generator]:
    """Widths ``[n_0, n_(k-1), n_k, n_3]`` and ``m``: ``n_(k-1)``, ``n_k`` and a batch's ``m``
    distinct, 2 to 6 (problem 0: fixed; a square problem: all 4)."""
    rng = np.random.default_rng(seed)
    if square:
        return list(SQUARE_WIDTHS), SQUARE_WIDTHS[K] if m else 1, rng
    if seed == 0:
        return list(FIXED_WIDTHS), FIXED_M if m else 1, rng
    n_in, n_out, batch = (int(n) for n in rng.choice(np.arange(2, 7), size=3, replace=False))
    n_0, n_3 = (int(n) for n in rng.integers(2, 5, size=2))
    return [n_0, n_in, n_out, n_3], batch if m else 1, rng


def _network(seed: int, square: bool, *, lam: float | None, batch: bool = False):
    """A 3-layer tanh network, its data, Algorithms 6.3 and 6.4 run on it, and ``g``'s values
    by name (``"g = ∇a(2) J"``, ``"g = ∇h(2) J"``, as the trace records them)."""
    widths, m, rng = _widths(seed, square, batch)
    lam = float(rng.uniform(0.2, 0.9)) if lam is None else lam
    net, x, y = example_problem(widths, lam=lam, m=m, seed=int(rng.integers(2**31)))
    record = net.forward(x, y)
    gradients = net.backward(record, y)
    g = {step.result: step.value for step in gradients.trace}
    return net, y, record, gradients, g


def _cost_from(net, j: int, y) -> Callable[..., float]:
    """``J(h, W, b)``: the cost as a function of ``h(j-1)``, the input of layer ``j``, and of
    that layer's ``W(j)`` and ``b(j)`` (by default the net's). Algorithm 6.3 from its line
    ``a(j) = b(j) + W(j) h(j-1)`` on, with the net's own ``f``, loss, reduction and ``λ Ω``.

    Written out rather than as ``net.with_parameter(...).cost(x, y)`` (the same numbers, which
    the tests compare): that validates ``x`` and ``y`` and recomputes the layers below at every
    one of a check's evaluations, and takes no complex ``h`` for complex step."""
    others = sum(net.regularizer.value(net.W[i]) for i in net.W if i != j)
    regularized = net.lam > 0  # as forward(): with λ = 0, Ω is not evaluated at all

    def J(h, W=net.W[j], b=net.b[j]):
        h = net.f(j)(b + W @ h)
        for i in range(j + 1, net.l + 1):
            h = net.f(i)(net.b[i] + net.W[i] @ h)
        loss = net.reduce(net.loss.value(h, y))
        return loss + net.lam * (others + net.regularizer.value(W)) if regularized else loss

    return J


def _sizes(**dims) -> str:
    return ", ".join(f"{name} = {value}" for name, value in dims.items())


def _layer_problem(label: str):
    """Lines 4 to 6 and line 3 at layer k for one example (``m = 1``)."""

    def draw(seed: int, square: bool) -> Problem:
        lam = None if label in ("W(k)", "b(k)") else 0.1
        net, y, record, gradients, g = _network(seed, square, lam=lam)
        h, W, b, a = record.h[K - 1], net.W[K], net.b[K], record.a[K]
        values = {"g": g[f"g = ∇a({K}) J"], "h": h, "hk": record.h[K], "W": W, "b": b}
        values["lam"] = net.lam
        sizes = _sizes(**{"n_(k-1)": W.shape[1], "n_k": W.shape[0]})
        J = _cost_from(net, K, y)
        if label == "W(k)":
            cost = lambda d: J(h, W=d[label])  # noqa: E731
            return Problem(values, label, W, cost, gradients.W[K], sizes, record.J)
        if label == "b(k)":
            cost = lambda d: J(h, b=d[label])  # noqa: E731
            return Problem(values, label, b, cost, gradients.b[K], sizes, record.J)
        if label == "h(k-1)":
            truth = g[f"g = ∇h({K - 1}) J"]
            return Problem(values, label, h, lambda d: J(d[label]), truth, sizes, record.J)
        above = _cost_from(net, K + 1, y)  # a(k): h(k) = f(a(k)), then the layers above
        values.update(g=g[f"g = ∇h({K}) J"], a=a, f=TANH.f, fprime=TANH.derivative)
        truth = g[f"g = ∇a({K}) J"]
        cost = lambda d: above(TANH.f(d[label]))  # noqa: E731
        return Problem(values, label, a, cost, truth, sizes, record.J)

    return draw


def _batch_problem(label: str):
    """A minibatch of m examples as columns (``W(k)``) or as rows (``W``, ``X = Hᵀ``)."""

    def draw(seed: int, square: bool) -> Problem:
        row = label != "W(k)"
        net, y, record, gradients, g = _network(seed, square, lam=0.0 if row else None, batch=True)
        H, W = record.h[K - 1], net.W[K]
        m = H.shape[1]
        G = g[f"g = ∇a({K}) J"]  # ∇A J of the averaged cost: the 1/m is in it
        J = _cost_from(net, K, y)
        cost = lambda d: J(H, W=d[label])  # noqa: E731
        if not row:  # G as the per-example gradients, of the summed loss: no 1/m in it
            values = {"G": G * m, "H": H, "W": W, "lam": net.lam, "m": float(m)}
            sizes = _sizes(**{"n_(k-1)": W.shape[1], "n_k": W.shape[0], "m": m})
            return Problem(values, label, W, cost, gradients.W[K], sizes, record.J)
        values = {"G": G.T, "X": H.T, "W": W}
        sizes = _sizes(n_in=W.shape[1], n_out=W.shape[0], m=m)
        if label == "W":
            return Problem(values, label, W, cost, gradients.W[K], sizes, record.J)
        truth = g[f"g = ∇h({K - 1}) J"].T
        return Problem(values, label, H.T, lambda d: J(d[label].T), truth, sizes, record.J)

    return draw


def _softmax_problem(seed: int, square: bool) -> Problem:
    """``J = −Σ_j y_j log softmax(z)_j`` for one example with logits ``z`` (n × 1)."""
    rng = np.random.default_rng(seed)
    n = 4 if seed == 0 or square else int(rng.integers(3, 9))
    z, y = rng.normal(size=(n, 1)), one_hot(n, 1, rng)
    loss = LOSSES["softmax_cross_entropy"]
    yhat = softmax(z)
    values = {"z": z, "yhat": yhat, "y": y, "softmax": softmax}
    cost = lambda d: loss.value(d["z"], y)[0]  # noqa: E731
    return Problem(values, "z", z, cost, yhat - y, _sizes(n=n), float(loss.value(z, y)[0]))


# The layers' questions: problem 0's sizes, the ones shape messages name, all distinct.
LAYER_SIZES = {
    "linear": {"m": 5, "d_in": 4, "d_out": 3},
    "attention": {"L": 3, "S": 5, "d_v": 4},
    "embedding": {"m": 6, "num": 5, "dim": 3},
}
SQUARE_SIZE = 4  # a square problem gives the three sizes this one value


def _layer_sizes(layer: str, seed: int, square: bool) -> tuple[list[int], np.random.Generator]:
    """The three sizes of a layer's problem, in :data:`LAYER_SIZES`' order: distinct, 2 to 6
    (problem 0: fixed; a square problem: all :data:`SQUARE_SIZE`)."""
    rng = np.random.default_rng(seed)
    if square:
        return [SQUARE_SIZE] * 3, rng
    if seed == 0:
        return list(LAYER_SIZES[layer].values()), rng
    return [int(n) for n in rng.choice(np.arange(2, 7), size=3, replace=False)], rng


def _weighed(G: np.ndarray, forward: Callable[[np.ndarray], np.ndarray], label: str):
    """``J = Σ G ⊙ Y`` with ``Y = forward(the array named label)``: ``∂J/∂Y`` is ``G``."""
    return lambda d: np.sum(G * forward(d[label]))


def _linear_problem(seed: int, square: bool) -> Problem:
    """``Y = X Wᵀ + b`` (``nn.Linear``'s layout: ``W`` is ``d_out × d_in``); ``∇W J = Gᵀ X``."""
    (m, d_in, d_out), rng = _layer_sizes("linear", seed, square)
    X, W = rng.normal(size=(m, d_in)), rng.normal(size=(d_out, d_in))
    b, G = rng.normal(size=(1, d_out)), rng.normal(size=(m, d_out))
    values = {"G": G, "X": X, "W": W, "b": b, "m": float(m)}
    cost = _weighed(G, lambda W: X @ W.T + b, "W")
    sizes = _sizes(m=m, d_in=d_in, d_out=d_out)
    return Problem(values, "W", W, cost, G.T @ X, sizes, float(cost({"W": W})))


def _attention_problem(label: str):
    """``O = P V`` with ``P`` a softmax of random scores by rows; ``∇V J = Pᵀ G``,
    ``∇P J = G Vᵀ`` (the gradient in ``P`` itself: its entries vary freely, off the rows'
    sum of 1, as a finite difference moves them)."""

    def draw(seed: int, square: bool) -> Problem:
        (L, S, d_v), rng = _layer_sizes("attention", seed, square)
        P = softmax(rng.normal(size=(L, S)).T).T  # the library's softmax is by columns
        V, G = rng.normal(size=(S, d_v)), rng.normal(size=(L, d_v))
        values = {"P": P, "V": V, "G": G}
        sizes = _sizes(L=L, S=S, d_v=d_v)
        if label == "V":
            cost = _weighed(G, lambda V: P @ V, "V")
            return Problem(values, "V", V, cost, P.T @ G, sizes, float(cost({"V": V})))
        cost = _weighed(G, lambda P: P @ V, "P")
        return Problem(values, "P", P, cost, G @ V.T, sizes, float(cost({"P": P})))

    return draw


def _embedding_problem(seed: int, square: bool) -> Problem:
    """``Y = E W`` with ``E = onehot(indices)``: the rows of the table ``W`` looked up;
    ``∇W J = Eᵀ G``."""
    (m, num, dim), rng = _layer_sizes("embedding", seed, square)
    indices = rng.integers(0, num, size=m)
    # At least one index repeats, in every problem: its row of ∇W J is then the sum of G's
    # rows that looked it up. Without a repeat, E's nonzero columns are orthonormal, E⁺ = Eᵀ,
    # and an answer that averages the repeats (E⁺ G, inverse_for_transpose) would pass.
    if len(set(indices.tolist())) == m:
        indices[rng.integers(1, m)] = indices[0]
    E = np.eye(num)[indices]
    W, G = rng.normal(size=(num, dim)), rng.normal(size=(m, dim))
    values = {"E": E, "W": W, "G": G}
    cost = _weighed(G, lambda W: E @ W, "W")
    sizes = _sizes(m=m, num=num, dim=dim)
    return Problem(values, "W", W, cost, E.T @ G, sizes, float(cost({"W": W})))


def _symbol(name, book, meaning, *spellings, scalar=False, function=False, prime=None):
    return Symbol(name, book, meaning, spellings, scalar, function, prime)


G_ONE = _symbol("g", "g", "∇a(k) J, the gradient after line 3 (n_k × 1)")
H_ONE = _symbol("h", "h(k-1)", "the layer's input (n_(k-1) × 1)", "h(k-1)", "h_prev")
HK = _symbol("hk", "h(k)", "the layer's output, f(a(k)) (n_k × 1)", "h(k)", "h_k")
W_K = _symbol("W", "W(k)", "the layer's weights (n_k × n_(k-1))", "W(k)")
B_K = _symbol("b", "b(k)", "the layer's bias (n_k × 1)", "b(k)")
LAM = _symbol("lam", "λ", "the penalty's weight; Ω = ½ Σ‖W‖², so ∇W Ω = W", scalar=True)
A_K = _symbol("a", "a(k)", "the pre-activation b(k) + W(k) h(k-1) (n_k × 1)", "a(k)")
F = _symbol("f", "f", "the activation, tanh (elementwise)", function=True, prime="fprime")
F_PRIME = _symbol("fprime", "f′", "its derivative, 1 − tanh² (elementwise)", function=True)
G_BATCH = _symbol("G", "G", "the per-example gradients ∇a(k) L_i as columns (n_k × m)")
H_BATCH = _symbol("H", "H", "the layer's inputs h_i as columns (n_(k-1) × m)", "H(k-1)")
M = _symbol("m", "m", "the number of examples", scalar=True)
G_ROWS = _symbol("G", "G", "∂J/∂Y, one row per example (m × n_out)")
X_ROWS = _symbol("X", "X", "the layer's input, one row per example (m × n_in)")
W_ROWS = _symbol("W", "W", "the weights, as nn.Linear stores them (n_out × n_in)")
G_LINEAR = _symbol("G", "G", "∂J/∂Y, one row per row of X (m × d_out)")
X_LINEAR = _symbol("X", "X", "the layer's input, one token per row (m × d_in)")
W_LINEAR = _symbol("W", "W", "the weights, as nn.Linear stores them: out × in (d_out × d_in)")
B_LINEAR = _symbol("b", "b", "the bias, added to every row of Y (1 × d_out)")
M_LINEAR = _symbol("m", "m", "the number of tokens, the rows of X", scalar=True)
ATTENTION = (
    _symbol("P", "P", "the attention weights, a softmax of the scores by rows (L × S)"),
    _symbol("V", "V", "the values, one per row (S × d_v)"),
    _symbol("G", "G", "∂J/∂O, the gradient on the output O = P V (L × d_v)"),
)
EMBEDDING = (
    _symbol("E", "E", "onehot(indices): row i holds a 1 in column indices[i] (m × num)"),
    _symbol("W", "W", "the embedding table, one row per index (num × dim)"),
    _symbol("G", "G", "∂J/∂Y, the gradient on the rows looked up, Y = E W (m × dim)"),
)
SOFTMAX = (
    _symbol("z", "z", "the logits (n × 1)"),
    _symbol("yhat", "ŷ", "softmax(z), the probabilities (n × 1)", "y_hat", "p", "probs"),
    _symbol("y", "y", "the one-hot target (n × 1)"),
    _symbol("softmax", "softmax", "the softmax of a column", function=True),
)


# The classic wrong formulas, as functions of a problem's values ``v``: (catalogue name, the
# formula as the book writes it, the function). A formula whose shapes do not fit raises
# numpy's ValueError on a non-square problem and is skipped there.
WEIGHT_MISTAKES = (
    ("h_g_transpose", "h(k-1) gᵀ + λ W(k)ᵀ", lambda v: (v["g"] @ v["h"].T + v["lam"] * v["W"]).T),
    ("h_g_transpose", "h(k-1) gᵀ", lambda v: v["h"] @ v["g"].T),
    ("h_g_transpose", "h(k-1) gᵀ + λ W(k)", lambda v: v["h"] @ v["g"].T + v["lam"] * v["W"]),
    ("missing_lambda", "g h(k-1)ᵀ", lambda v: v["g"] @ v["h"].T),
    ("double_lambda", "g h(k-1)ᵀ + 2λ W(k)", lambda v: v["g"] @ v["h"].T + 2 * v["lam"] * v["W"]),
    ("sign", "−(g h(k-1)ᵀ + λ W(k))", lambda v: -(v["g"] @ v["h"].T + v["lam"] * v["W"])),
    ("sign", "−g h(k-1)ᵀ + λ W(k)", lambda v: -(v["g"] @ v["h"].T) + v["lam"] * v["W"]),
    ("wrong_layer", "g h(k)ᵀ + λ W(k)", lambda v: v["g"] @ v["hk"].T + v["lam"] * v["W"]),
    ("wrong_layer", "g h(k)ᵀ", lambda v: v["g"] @ v["hk"].T),
    ("wrong_product", "g ⊙ h(k-1) + λ W(k)", lambda v: v["g"] * v["h"] + v["lam"] * v["W"]),
    ("wrong_product", "g ⊙ h(k-1)", lambda v: v["g"] * v["h"]),
)
BIAS_MISTAKES = (
    ("regularized_bias", "g + λ b(k)", lambda v: v["g"] + v["lam"] * v["b"]),
    ("sign", "−g", lambda v: -v["g"]),
    ("h_g_transpose", "gᵀ", lambda v: v["g"].T),
)
BACK_MISTAKES = (
    ("dropped_transpose", "W(k) g", lambda v: v["W"] @ v["g"]),
    ("wrong_side", "gᵀ W(k)", lambda v: v["g"].T @ v["W"]),
    ("inverse_for_transpose", "W(k)⁻¹ g", lambda v: np.linalg.inv(v["W"]) @ v["g"]),
    ("inverse_for_transpose", "W(k)⁺ g", lambda v: np.linalg.pinv(v["W"]) @ v["g"]),
    ("sign", "−W(k)ᵀ g", lambda v: -(v["W"].T @ v["g"])),
    ("wrong_product", "W(k)ᵀ ⊙ g", lambda v: v["W"].T * v["g"]),
)
PRE_MISTAKES = (
    ("missing_f_prime", "g", lambda v: v["g"]),
    ("f_for_f_prime", "g ⊙ f(a(k))", lambda v: v["g"] * v["f"](v["a"])),
    ("sign", "−g ⊙ f′(a(k))", lambda v: -v["g"] * v["fprime"](v["a"])),
    ("wrong_product", "g f′(a(k))ᵀ", lambda v: v["g"] @ v["fprime"](v["a"]).T),
    ("h_g_transpose", "(g ⊙ f′(a(k)))ᵀ", lambda v: (v["g"] * v["fprime"](v["a"])).T),
)
BATCH_MISTAKES = (
    ("sum_for_mean", "G Hᵀ + λ W", lambda v: v["G"] @ v["H"].T + v["lam"] * v["W"]),
    (
        "double_mean",
        "G Hᵀ / m² + λ W",
        lambda v: v["G"] @ v["H"].T / v["m"] ** 2 + v["lam"] * v["W"],
    ),
    (
        "mean_penalty",
        "(G Hᵀ + λ W) / m",
        lambda v: (v["G"] @ v["H"].T + v["lam"] * v["W"]) / v["m"],
    ),
    ("summed_cost", "G Hᵀ + m λ W", lambda v: v["G"] @ v["H"].T + v["m"] * v["lam"] * v["W"]),
    ("missing_lambda", "G Hᵀ / m", lambda v: v["G"] @ v["H"].T / v["m"]),
    (
        "double_lambda",
        "G Hᵀ / m + 2λ W",
        lambda v: v["G"] @ v["H"].T / v["m"] + 2 * v["lam"] * v["W"],
    ),
    (
        "h_g_transpose",
        "(G Hᵀ / m + λ W)ᵀ",
        lambda v: (v["G"] @ v["H"].T / v["m"] + v["lam"] * v["W"]).T,
    ),
    ("h_g_transpose", "H Gᵀ / m", lambda v: v["H"] @ v["G"].T / v["m"]),
    ("h_g_transpose", "H Gᵀ / m + λ W", lambda v: v["H"] @ v["G"].T / v["m"] + v["lam"] * v["W"]),
    ("sign", "−(G Hᵀ / m + λ W)", lambda v: -(v["G"] @ v["H"].T / v["m"] + v["lam"] * v["W"])),
    ("wrong_product", "G ⊙ H / m + λ W", lambda v: v["G"] * v["H"] / v["m"] + v["lam"] * v["W"]),
    ("wrong_product", "G ⊙ Hᵀ / m + λ W", lambda v: v["G"] * v["H"].T / v["m"] + v["lam"] * v["W"]),
)
ROW_WEIGHT_MISTAKES = (
    ("h_g_transpose", "Xᵀ G", lambda v: v["X"].T @ v["G"]),
    ("column_rule", "G Xᵀ", lambda v: v["G"] @ v["X"].T),
    ("sign", "−Gᵀ X", lambda v: -(v["G"].T @ v["X"])),
    ("wrong_product", "Gᵀ ⊙ X", lambda v: v["G"].T * v["X"]),
)
ROW_INPUT_MISTAKES = (
    ("h_g_transpose", "Wᵀ Gᵀ", lambda v: v["W"].T @ v["G"].T),
    ("column_rule", "G Wᵀ", lambda v: v["G"] @ v["W"].T),
    ("column_rule", "Wᵀ G", lambda v: v["W"].T @ v["G"]),
    ("inverse_for_transpose", "G (Wᵀ)⁺", lambda v: v["G"] @ np.linalg.pinv(v["W"].T)),
    ("inverse_for_transpose", "G W⁻¹", lambda v: v["G"] @ np.linalg.inv(v["W"])),
    ("sign", "−G W", lambda v: -(v["G"] @ v["W"])),
)
SOFTMAX_MISTAKES = (
    ("sign", "y − ŷ", lambda v: v["y"] - v["yhat"]),
    ("gradient_in_yhat", "−y ⊘ ŷ", lambda v: -v["y"] / v["yhat"]),
    ("h_g_transpose", "(ŷ − y)ᵀ", lambda v: (v["yhat"] - v["y"]).T),
)
LINEAR_MISTAKES = (
    ("h_g_transpose", "Xᵀ G", lambda v: v["X"].T @ v["G"]),
    ("column_rule", "G Xᵀ", lambda v: v["G"] @ v["X"].T),
    ("double_mean", "Gᵀ X / m", lambda v: v["G"].T @ v["X"] / v["m"]),
    ("sign", "−Gᵀ X", lambda v: -(v["G"].T @ v["X"])),
    ("wrong_product", "Gᵀ ⊙ X", lambda v: v["G"].T * v["X"]),
)
ATTENTION_V_MISTAKES = (
    ("h_g_transpose", "Gᵀ P", lambda v: v["G"].T @ v["P"]),
    ("product_sides", "P G", lambda v: v["P"] @ v["G"]),
    ("product_sides", "G Pᵀ", lambda v: v["G"] @ v["P"].T),
    ("inverse_for_transpose", "P⁺ G", lambda v: np.linalg.pinv(v["P"]) @ v["G"]),
    ("sign", "−Pᵀ G", lambda v: -(v["P"].T @ v["G"])),
)


def _through_softmax(v: dict) -> np.ndarray:
    """∇P J carried through the softmax P = softmax(scores) by rows: the scores' gradient."""
    GV = v["G"] @ v["V"].T
    return v["P"] * (GV - np.sum(v["P"] * GV, axis=1, keepdims=True))


ATTENTION_P_MISTAKES = (
    ("h_g_transpose", "V Gᵀ", lambda v: v["V"] @ v["G"].T),
    ("through_softmax", "P ⊙ (G Vᵀ − rowsum(P ⊙ G Vᵀ))", _through_softmax),
    ("through_softmax", "P ⊙ G Vᵀ", lambda v: v["P"] * (v["G"] @ v["V"].T)),
    ("product_sides", "G V", lambda v: v["G"] @ v["V"]),
    ("product_sides", "Gᵀ V", lambda v: v["G"].T @ v["V"]),
    ("inverse_for_transpose", "G V⁺", lambda v: v["G"] @ np.linalg.pinv(v["V"])),
    ("sign", "−G Vᵀ", lambda v: -(v["G"] @ v["V"].T)),
)
EMBEDDING_MISTAKES = (
    ("h_g_transpose", "Gᵀ E", lambda v: v["G"].T @ v["E"]),
    ("inverse_for_transpose", "E⁺ G", lambda v: np.linalg.pinv(v["E"]) @ v["G"]),
    ("rows_for_table", "G", lambda v: v["G"]),
    ("product_sides", "E G", lambda v: v["E"] @ v["G"]),
    ("sign", "−Eᵀ G", lambda v: -(v["E"].T @ v["G"])),
)

_LAYER = (
    "One example (m = 1), layer k of Algorithm 6.4 in the book's column convention; "
    "J = L(ŷ, y) + λ Ω(θ)"
)
_BATCH = "A framework's layer Y = X Wᵀ + b (PyTorch's nn.Linear): examples are rows"
_ATTENTION = (
    "Attention's output O = P V: P holds the attention weights (L × S, a softmax of the "
    "scores by rows, so each row sums to 1) and V the values (S × d_v); G = ∂J/∂O is given"
)
QUESTIONS: dict[str, Question] = {
    question.id: question
    for question in (
        Question(
            "weight",
            f"{_LAYER}, Ω = ½ Σ‖W‖² (so ∇W(k) Ω = W(k)). Type ∇W(k) J (line 5), from g = ∇a(k) J.",
            (G_ONE, H_ONE, HK, W_K, LAM),
            "W(k)",
            "n_k × n_(k-1)",
            "backward.html#line-5-the-weight-gradient-g-h-k-1-top",
            _layer_problem("W(k)"),
            WEIGHT_MISTAKES,
        ),
        Question(
            "bias",
            f"{_LAYER}; the biases are not regularized. Type ∇b(k) J (line 4), from g = ∇a(k) J.",
            (G_ONE, H_ONE, B_K, LAM),
            "b(k)",
            "n_k × 1",
            "backward.html#line-4-the-bias-gradient",
            _layer_problem("b(k)"),
            BIAS_MISTAKES,
        ),
        Question(
            "back",
            f"{_LAYER}. Type ∇h(k-1) J (line 6: the g handed down to layer k-1), from g = ∇a(k) J.",
            (G_ONE, W_K),
            "h(k-1)",
            "n_(k-1) × 1",
            "backward.html#line-6-the-second-transpose-w-k-top-g",
            _layer_problem("h(k-1)"),
            BACK_MISTAKES,
        ),
        Question(
            "pre",
            f"{_LAYER}, h(k) = f(a(k)) with f = tanh. Type ∇a(k) J (line 3), from "
            "g = ∇h(k) J, the gradient arriving from the layer above.",
            (
                _symbol("g", "g", "∇h(k) J, the gradient from the layer above (n_k × 1)"),
                A_K,
                F,
                F_PRIME,
            ),
            "a(k)",
            "n_k × 1",
            "backward.html#line-3-through-the-activation-g-odot-f-a-k",
            _layer_problem("a(k)"),
            PRE_MISTAKES,
        ),
        Question(
            "batch-weight",
            "A minibatch of m examples as columns, with the averaged cost "
            "J = (1/m) Σ_i L_i + λ Ω and Ω = ½ Σ‖W‖². G holds g_i = ∇a_i(k) L_i, the gradient "
            "of the summed loss Σ_i L_i (no 1/m in it), one column per example. Type ∇W(k) J.",
            (G_BATCH, H_BATCH, W_K, LAM, M),
            "W(k)",
            "n_k × n_(k-1)",
            "minibatches.html#sum-or-mean-and-what-that-does-to-lambda",
            _batch_problem("W(k)"),
            BATCH_MISTAKES,
        ),
        Question(
            "row-weight",
            f"{_BATCH}; no penalty. Type ∇W J, from G = ∂J/∂Y (the gradient of J itself: any "
            "1/m of the cost is already in G).",
            (G_ROWS, X_ROWS, W_ROWS),
            "W",
            "n_out × n_in",
            "minibatches.html#the-row-convention-y-x-w-top-b",
            _batch_problem("W"),
            ROW_WEIGHT_MISTAKES,
        ),
        Question(
            "row-input",
            f"{_BATCH}; no penalty. Type ∇X J, the gradient handed to the layer below, from "
            "G = ∂J/∂Y (any 1/m of the cost is already in G).",
            (G_ROWS, X_ROWS, W_ROWS),
            "X",
            "m × n_in",
            "minibatches.html#the-row-convention-y-x-w-top-b",
            _batch_problem("X"),
            ROW_INPUT_MISTAKES,
        ),
        Question(
            "softmax-ce",
            "Softmax with cross-entropy for one example: the probabilities ŷ = softmax(z) of "
            "the logits z, J = −Σ_j y_j log ŷ_j with a one-hot y. Type ∇z J.",
            SOFTMAX,
            "z",
            "n × 1",
            "backward.html#line-1-the-gradient-on-the-output",
            _softmax_problem,
            SOFTMAX_MISTAKES,
        ),
        Question(
            "linear-weight",
            "A linear layer applied to a sequence, one token per row of X (m × d_in), with "
            "its weights stored out × in, as PyTorch's nn.Linear stores them: Y = X Wᵀ + b, "
            "W of d_out × d_in and the bias b added to every row. G = ∂J/∂Y is given (any "
            "1/m of the cost is already in it). Type ∇W J, of W's own shape.",
            (G_LINEAR, X_LINEAR, W_LINEAR, B_LINEAR, M_LINEAR),
            "W",
            "d_out × d_in",
            "attention-norms.html#the-linear-layer-in-rows",
            _linear_problem,
            LINEAR_MISTAKES,
        ),
        Question(
            "attention-v",
            f"{_ATTENTION}. Type ∇V J, the gradient on the values.",
            ATTENTION,
            "V",
            "S × d_v",
            "attention-norms.html#attention",
            _attention_problem("V"),
            ATTENTION_V_MISTAKES,
        ),
        Question(
            "attention-p",
            f"{_ATTENTION}. Type ∇P J, the gradient on the weights P themselves (before the "
            "softmax's Jacobian, which carries it on to the scores).",
            ATTENTION,
            "P",
            "L × S",
            "attention-norms.html#attention",
            _attention_problem("P"),
            ATTENTION_P_MISTAKES,
        ),
        Question(
            "embedding-weight",
            "An embedding looks up rows of a table W (num × dim): Y = E W, where E (m × num) "
            "is the one-hot matrix of the m indices looked up, and an index may repeat. "
            "G = ∂J/∂Y is given. Type ∇W J, the gradient on the table.",
            EMBEDDING,
            "W",
            "num × dim",
            "attention-norms.html#embeddings",
            _embedding_problem,
            EMBEDDING_MISTAKES,
        ),
    )
}
"""Question id → :class:`Question`."""
