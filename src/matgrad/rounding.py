"""Rounding error bounds: how much rounding can move what Algorithms 6.3 and 6.4 compute.

A gradient check must know what it cannot see, and must not see more than there is: a bound
too small fails correct gradients, one too large leaves healthy networks undecided. Three
kinds of bound serve the check (:mod:`matgrad.checks`), each where it is both honest and
realistic.

**Worst-case running bounds** (:func:`forward_errors`, :func:`derivative_rounding`), in the
style of Higham, *Accuracy and Stability of Numerical Algorithms* (2002), §3.3: beside each
quantity, a bound on its absolute rounding error, from the magnitudes of the terms that formed
it, ``ε`` the machine epsilon of the precision bounded. A sum of ``n`` terms rounds by at most
about ``n ε`` times the sum of their magnitudes (§3.1), in any order, on every BLAS and CPU;
a product with an exact 0 does not round, so ``n`` counts nonzero terms where zeros are
common (inputs, ReLU units). Two bounds are carried side by side, and each entry takes the
smaller, since both hold:

* **componentwise**: an error ``e`` passed through ``W`` is bounded by ``|W| e``. Exact for
  the worst signs, but ``|W|`` of a random ``n × n`` layer is about ``√n`` times larger than
  ``W``, so through ``d`` layers it grows like ``n^(d/2)``: a 12-layer, 32-wide tanh network
  whose gradient is accurate to 1e-15 was bounded by about 0.5;
* **normwise**, per example, in networks deeper than :data:`NORMWISE_DEPTH`:
  ``‖W f'(a) ⊙ e‖₂ ≤ ‖W diag(max|f'(a)|)‖₂ ‖e‖₂``, the spectral norm of each layer damped by
  its units' largest slopes (about 2 for such a layer, less where units saturate); an entry
  is at most its vector's norm.

Both are kept second-order safe where first order would say nothing: a rounding error is
bounded by ``ε`` times the magnitudes *plus* the error already carried, so a bound never
collapses to 0 because a computed factor rounded to 0 (``f'(a)`` of a saturated unit); ``f'``
at a pre-activation that rounding may move by ``e`` may be anything it takes within ``±e``
(``Activation.curvature``, or a ReLU unit within ``e`` of its kink). Activations computed
exactly (identity, ReLU: ``Activation.exact``) add no rounding, so a gradient that is exactly
0 because its units are dead is bounded by exactly 0.

**A probabilistic bound on the cost** (:func:`cost_rounding`), which finite differences divide
by their step. ``J`` is one number, so the first-order effect of every rounding on it is known
exactly from Algorithm 6.4's ``g`` (:func:`adjoints`); rounding errors behave as independent
random variables of mean 0 (Higham & Mary, "A new approach to probabilistic rounding error
analysis", SIAM J. Sci. Comput. 41(5), 2019), and Hoeffding's inequality bounds their sum with
a failure probability of 3e-14. It grows like ``√n`` per sum and follows the signs of ``g``.

**The typical rounding of backprop** (:func:`probable_rounding`): a standard deviation, not a
bound, from the statistical error analysis of Wilkinson (1963). It is what another correct
implementation (another order of operations, another form of ``f``) rounds by, whatever this
one happened to round by, and it floors the allowance a float32 claim gets.

Why not others. A probabilistic bound in place of the worst-case ones (``√n ε`` per sum
instead of ``n ε``) gains only ``√n`` per sum and still multiplies ``|W|``; and rounding
errors near saturation are not of mean 0 (``f' = 1 − tanh²`` rounds towards 0 whenever
``tanh`` rounds to 1), which a probabilistic bound on the gradient would miss. A measurement
against higher precision has none to measure against in float64 portably (``np.longdouble``
is float64 on ARM and in WebAssembly); the check measures float32's rounding against float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFIDENCE = 8.0
"""``λ`` of :func:`cost_rounding`'s probabilistic bound: it fails with probability at most
``2 exp(−λ²/2)``, 3e-14, under the model of independent rounding errors."""

SAFETY = 1 + 1e-6
"""The spectral norms are computed in floating point: a relative margin far above their rounding."""


@dataclass
class Magnitudes:
    """``|W(k)|``, ``|h(k)|``, ``f'(a(k))``, ``‖W(k)‖₂`` of a record: what the bounds are made of.

    Keyed by ``k`` as in the record (``h`` from 0, the others from 1); ``slope`` is
    ``|f'(a(k))|`` and ``derivative`` the signed ``f'(a(k))``; ``norm`` is empty when the
    network is too shallow for the normwise bounds to help; ``b`` holds ``|b(k)|`` and ``f``
    the activations; see :func:`magnitudes`.
    """

    W: dict[int, np.ndarray]
    h: dict[int, np.ndarray]
    slope: dict[int, np.ndarray]
    derivative: dict[int, np.ndarray]
    norm: dict[int, float]
    b: dict[int, np.ndarray]
    f: dict[int, object]


def magnitudes(net, record) -> Magnitudes:
    """The :class:`Magnitudes` of Algorithm 6.3's ``record`` for ``net``, computed once for
    every bound below that is asked for the same record."""
    # In float64 whatever the record's precision: a float32 bound must not underflow to 0.
    layers = range(1, net.l + 1)
    f = {k: net.f(k) for k in layers}
    derivative = {k: _float64(f[k].derivative(record.a[k])) for k in layers}
    return Magnitudes(
        W={k: _float64(np.abs(net.W[k])) for k in layers},
        h={k: _float64(np.abs(h)) for k, h in record.h.items()},
        slope={k: np.abs(d) for k, d in derivative.items()},
        derivative=derivative,
        norm={k: spectral_norm(net.W[k]) for k in layers} if len(f) > NORMWISE_DEPTH else {},
        b={k: _float64(np.abs(net.b[k])) for k in layers},
        f=f,
    )


NORMWISE_DEPTH = 3
"""The normwise bounds are carried through networks deeper than this: through a few layers
the componentwise ones are about as good, and cheaper."""


_FLOAT64 = np.dtype(np.float64)
_EPSILON = {dtype: float(np.finfo(dtype).eps) for dtype in (np.dtype(np.float32), _FLOAT64)}


def _epsilon(record) -> float:
    """The machine epsilon of the precision ``record`` was computed in."""
    return _EPSILON[record.h[0].dtype]


def _float64(array: np.ndarray) -> np.ndarray:
    return array if array.dtype is _FLOAT64 else array.astype(np.float64)


def spectral_norm(W: np.ndarray) -> float:
    """An upper bound on ``‖W‖₂``, the largest singular value: the square root of the largest
    eigenvalue of the smaller Gram matrix (``W Wᵀ`` or ``Wᵀ W``), with a margin for its
    rounding."""
    W = _float64(W)
    gram = W @ W.T if W.shape[0] <= W.shape[1] else W.T @ W
    if gram.shape[0] == 1:
        return float(np.sqrt(gram[0, 0])) * SAFETY
    return float(np.sqrt(max(np.linalg.eigvalsh(gram)[-1], 0.0))) * SAFETY


def _zeros(shape) -> np.ndarray:
    """Zeros of ``shape``: a read-only view of one 0 when large (as x is, 784 × 4096)."""
    if shape[0] * shape[1] <= 65536:
        return np.zeros(shape)
    return np.broadcast_to(0.0, shape)


def _terms(values: np.ndarray, zeros: bool):
    """How many terms of a product ``W v`` can round, per column of ``v``: its entries, and
    one more (a bias). With ``zeros`` (inputs, ReLU units), only its nonzero entries: a
    product with an exact 0 adds nothing; shape ``(1, m)``."""
    if zeros:
        return (values != 0).sum(axis=0, keepdims=True) + 1
    return values.shape[0] + 1


def _entries(bounds: np.ndarray, per_entry: bool):
    """A parameter's bounds as :func:`derivative_rounding` returns them: all, or the largest."""
    return bounds.ravel() if per_entry else float(bounds.max(initial=0.0))


def _norms(E: np.ndarray) -> np.ndarray:
    """The 2-norm of each column (each example), shape ``(1, m)``."""
    return np.sqrt((E * E).sum(axis=0, keepdims=True))


class ForwardErrors(dict):
    """Bounds on the rounding errors of ``h(0) .. h(l)`` (the dict, keyed by ``k``), with how
    much ``f'`` may change within those of ``a(1) .. a(l)`` (``.change``), and what each
    ``a(k)`` sums: the magnitudes ``|b(k)| + |W(k)| |h(k-1)|`` (``.terms``) and how many terms
    can round (``.count``); ``.ulps`` holds ``|h(k)| + 1``, how many ``ε`` an inexact ``f``
    rounds ``h(k)`` by."""

    change: dict[int, np.ndarray]
    terms: dict[int, np.ndarray]
    count: dict[int, object]
    ulps: dict[int, np.ndarray]


def forward_errors(
    net, record, *, sizes: Magnitudes | None = None, eps: float | None = None
) -> ForwardErrors:
    """A bound on the rounding error of each ``h(k)`` of Algorithm 6.3, shape ``(n_k, m)``.

    ``h(0) = x`` is exact; then, line by line, componentwise::

        e_a(k) = n ε (|b(k)| + |W(k)| |h(k-1)|) + |W(k)| e_h(k-1)    a sum of n terms
        e_h(k) = max|f'| e_a(k) + ε (|h(k)| + 1)                     f, to about one ulp

    with ``n`` one more than the entries of that column of ``h(k-1)`` (than its nonzero
    entries, for inputs and ReLU units: a product with an exact 0 does not round). In networks
    deeper than :data:`NORMWISE_DEPTH`, also per example (column) in 2-norm,
    ``‖e_a(k)‖ ≤ ‖local‖ + ‖W(k) diag(max|f'(a(k-1))|)‖₂ ‖e_a(k-1)‖ + ‖W(k)‖₂ ‖own(k-1)‖``
    (``own`` the ``ε (|h| + 1)`` term, the maximum of ``|f'|`` over the examples) and
    ``‖e_h(k)‖ ≤ max|f'| ‖e_a(k)‖ + ‖own(k)‖``, and each entry takes the smaller of its
    componentwise bound and its column's norm bound. ``max|f'|`` is the largest ``|f'|``
    within ``±e_a(k)`` of ``a(k)`` (by ``Activation.curvature``, or ``f'`` evaluated there;
    any ``f'`` beside a kink that close); an exact ``f`` (identity, ReLU) adds no ``ε`` term.
    ``sizes`` may pass the record's :func:`magnitudes`, if already at hand; ``eps`` is the
    machine epsilon of the precision bounded (default: the record's).
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = _epsilon(record) if eps is None else eps
    normwise = bool(sizes.norm)
    errors = ForwardErrors({0: _zeros(record.h[0].shape)})  # x is exact
    errors.change, errors.terms, errors.count, errors.ulps = {}, {}, {}, {}
    norm_a = own_norm = previous = 0.0  # of e_a(k), f's own rounding, e_a(k-1); per example
    steepest = None  # the largest |f'| of each unit of layer k-1, over the examples
    for k in range(1, len(sizes.f) + 1):
        f = sizes.f[k]
        terms = sizes.b[k] + sizes.W[k] @ sizes.h[k - 1]
        count = _terms(record.h[k - 1], k == 1 or bool(sizes.f[k - 1].kinks))
        errors.terms[k], errors.count[k] = terms, count
        local = (count * eps) * terms
        error_a = local if k == 1 else local + sizes.W[k] @ errors[k - 1]
        if normwise:
            # e_a(k) = local + W(k) (f'(a(k-1)) ⊙ e_a(k-1) + own): ‖W(k) diag(max|f'|)‖₂
            # carries the first part, damped where the units before saturate.
            norm_a = _norms(local)
            if k > 1:
                damped = spectral_norm(net.W[k] * steepest)
                norm_a = norm_a + damped * previous + sizes.norm[k] * own_norm
            error_a = np.minimum(error_a, norm_a)
        change = _slope_change(f, record.a[k], sizes.derivative[k], error_a)
        errors.change[k] = change
        slope = sizes.slope[k] + change
        error_h = slope * error_a
        if not f.exact:
            errors.ulps[k] = ulps = sizes.h[k] + 1  # f to about one ulp (of 1, or of h)
            own = eps * ulps
            error_h += own
        if normwise:
            own_norm = 0.0 if f.exact else _norms(own)
            error_h = np.minimum(error_h, slope.max(axis=0, keepdims=True) * norm_a + own_norm)
            previous, steepest = norm_a, slope.max(axis=1)
        errors[k] = error_h
    return errors


def _slope_change(f, a, here, error):
    """How much ``f'`` may differ from ``here = f'(a)`` within ``±error`` of ``a``: by its
    curvature bound, or as evaluated at ``a ± error``; up to any ``f'`` beside a kink that
    lies within ``error``. 0 (a number) for a linear ``f`` away from its kinks."""
    if f.curvature is None:
        a = _float64(a)
        change = np.maximum(
            np.abs(f.derivative(a + error) - here), np.abs(f.derivative(a - error) - here)
        )
    else:
        change = f.curvature * error if f.curvature else 0.0
    for kink in f.kinks:
        near = np.abs(a - kink) <= error
        if near.any():
            tiny = np.finfo(np.float64).tiny
            left, right = f.derivative(np.array([kink - tiny, kink + tiny]))
            jump = np.maximum(np.abs(left - here), np.abs(right - here))
            change = np.where(near, np.maximum(change, jump), change)
    return change


def adjoints(net, record, y, *, sizes: Magnitudes | None = None):
    """Algorithm 6.4's ``g`` at every line, in float64: ``∂J/∂h(k)`` and ``∂J/∂a(k)`` for
    ``k = l .. 1`` (two dicts), which the bounds weigh the roundings with."""
    sizes = magnitudes(net, record) if sizes is None else sizes
    g = net.loss.gradient(_float64(record.yhat), _float64(y))
    if net.reduction == "mean":
        g = g / record.m
    g_h, g_a = {}, {}
    for k in range(len(sizes.f), 0, -1):
        g_h[k] = g
        g_a[k] = g = g * sizes.derivative[k]
        if k > 1:
            g = _float64(net.W[k]).T @ g
    return g_h, g_a


def cost_rounding(
    net,
    record,
    y,
    *,
    whole_cost: bool = False,
    errors=None,
    sizes: Magnitudes | None = None,
    eps: float | None = None,
    gradients=None,
) -> float:
    """A bound on the rounding error of one evaluation of the loss ``L``: probabilistic.

    ``L`` is one number, so the first-order effect of every rounding in Algorithm 6.3 on it
    is known exactly: a rounding ``δ`` of ``a(k)_i`` moves ``L`` by ``∂L/∂a(k)_i δ``, and
    ``∂L/∂a(k)`` and ``∂L/∂h(k)`` are Algorithm 6.4's ``g`` (:func:`adjoints`). The total
    error is the sum ``Σ c_i δ_i`` over all roundings, with ``|c_i|`` at most::

        |g_a(k)| (|b(k)| + |W(k)| |h(k-1)|)   for each of the n roundings of a(k) = b + W h
        |g_h(k)| 2 (|h(k)| + 1)                for h(k) = f(a(k)), to about one ulp

    (``n`` as in :func:`forward_errors`; an exact ``f`` such as ReLU does not round). Worst-case
    signs would add these up, ``n`` per sum; but rounding errors behave as independent random
    variables of mean 0 and ``|δ| ≤ u = ε/2`` (the model of Higham & Mary, "A new approach to
    probabilistic rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019, §2), under which
    Hoeffding's inequality bounds the sum by ``λ u √(Σ c_i²)`` with probability at least
    ``1 − 2 exp(−λ²/2)``: with :data:`CONFIDENCE` ``λ = 8``, all but 3e-14. That grows like
    ``√n`` per sum and follows the signs of ``g``, as the errors do, rather than ``n`` and
    ``|W|``, whose products through ``d`` layers grow like ``n^(d/2)``.

    Added to it, worst-case, the loss's own rounding per example::

        (n_l + 2) ε (|L| + Σ_j |y_j| (2|ŷ_j| + |y_j| + log n_l + 1))

    combined over the ``m`` examples as ``L`` is (near a good fit ``ŷ − y`` is a small
    difference of large numbers). A difference quotient divides the bound by its step.
    ``whole_cost`` adds what an evaluation of the whole ``J`` also rounds (the sum over
    examples and ``λΩ``), as the reference loop evaluates it;
    :func:`~matgrad.finite_differences.cost_changes` evaluates only the change. ``errors``,
    ``sizes`` and ``gradients`` may pass the record's :func:`forward_errors`,
    :func:`magnitudes` and :func:`adjoints`, if already at hand; ``eps`` is the machine
    epsilon of the precision bounded (default: the record's).
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = _epsilon(record) if eps is None else eps
    if not isinstance(errors, ForwardErrors):
        errors = forward_errors(net, record, sizes=sizes, eps=eps)
    g_h, g_a = adjoints(net, record, y, sizes=sizes) if gradients is None else gradients
    # Σ c_i² over Algorithm 6.3's roundings, in units of u.
    squares = 0.0
    for k, f in sizes.f.items():
        if not f.exact:
            c = g_h[k] * errors.ulps[k]
            squares += 4 * float(np.vdot(c, c))
        c, count = g_a[k] * errors.terms[k], errors.count[k]
        squares += float(np.vdot(c, c) * count if isinstance(count, int) else (count * c * c).sum())
    propagated = CONFIDENCE * (eps / 2) * np.sqrt(squares)
    yhat, y64 = _float64(record.yhat), _float64(y)
    n_l = yhat.shape[0]
    losses = np.abs(_float64(np.asarray(net.loss.value(yhat, y64))))
    own = losses + (np.abs(y64) * (2 * np.abs(yhat) + np.abs(y64) + np.log(n_l) + 1)).sum(axis=0)
    total = (n_l + 2) * eps * own.sum()
    if whole_cost:
        total += record.m * eps * losses.sum()
        if net.lam > 0:
            count = sum(net.W[k].size for k in range(1, net.l + 1))
            total += count * eps * net.lam * abs(record.penalty)
    return float(propagated + total / (record.m if net.reduction == "mean" else 1))


def derivative_rounding(
    net,
    record,
    y,
    *,
    errors=None,
    sizes: Magnitudes | None = None,
    eps: float | None = None,
    per_entry: bool = False,
    gradients=None,
) -> dict[tuple[str, int], float]:
    """A bound on the rounding error of ``∇W(k) J`` and ``∇b(k) J``, per parameter array.

    Algorithm 6.4 run again beside an error stream ``E`` that bounds the error of ``g``,
    starting from that of ``∇ŷ L`` (its own rounding, which near a fit is a small difference
    of large numbers, and the error of ``ŷ``). With ``G = |g|`` the computed magnitudes and
    ``Δ`` how much ``f'`` may change within the error of ``a`` (:func:`forward_errors`)::

        E_a = E |f'(a)| + (G + E) Δ + ε (G + E)(1 + |f'(a)|)     f' to about ε (none if exact)
        E_W = (E_a + m ε (G_a + E_a)) |h|ᵀ + (G_a + E_a) e_hᵀ,   E_b = (E_a + m ε (G_a + E_a)) 1
        E ← |W|ᵀ E_a + n ε |W|ᵀ (G_a + E_a)

    (``n`` as in :func:`forward_errors`, for the entries of ``g``), and in networks deeper
    than :data:`NORMWISE_DEPTH`, per example in 2-norm as in :func:`forward_errors`,
    ``‖E_a‖ ≤ max|f'| ‖E‖ + ‖local_a‖`` and
    ``‖E ←‖ ≤ ‖W(k)ᵀ diag(max|f'(a(k))|)‖₂ ‖E‖ + ‖W(k)‖₂ ‖local_a‖ + ‖local‖``; each entry
    takes the smaller bound. ``(G + E)`` where first order would write ``G`` keeps the bound from
    collapsing to 0 where a computed ``g`` or ``f'`` rounded to 0 (a saturated unit): the true
    one may be as large as ``E``.

    It bounds backprop's result and, as well, complex step's (forward mode rounds the same
    products and the same small differences). The result is the largest entry's bound (with
    ``per_entry``, every entry's, flat). ``errors``, ``sizes`` and ``gradients`` may pass the
    record's :func:`forward_errors`, :func:`magnitudes` and :func:`adjoints`, if already at
    hand; ``eps`` is the machine epsilon of the precision bounded (default: the record's).
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = _epsilon(record) if eps is None else eps
    if not isinstance(errors, ForwardErrors):
        errors = forward_errors(net, record, sizes=sizes, eps=eps)
    g_h, g_a = adjoints(net, record, y, sizes=sizes) if gradients is None else gradients
    yhat, m, n_l = _float64(record.yhat), record.m, record.yhat.shape[0]
    scale = 1 / m if net.reduction == "mean" else 1.0
    own = (n_l + 2) * eps * (1 + np.abs(yhat) + np.abs(_float64(y)))
    # The loss gradient moves by at most twice the largest error of its example's ŷ (squared
    # error by that error itself; softmax's p by p_i (|e_i| + Σ_j p_j |e_j|)).
    l = len(sizes.f)  # noqa: E741 - the book's name for the depth
    E = (own + 2 * errors[l].max(axis=0, keepdims=True)) * scale
    normwise = bool(sizes.norm)
    norm = _norms(E) if normwise else None
    bounds = {}
    for k in range(l, 0, -1):
        f = sizes.f[k]
        slope, change = sizes.slope[k], errors.change[k]
        reach = np.abs(g_h[k]) + E  # as large as the true g may be
        local = reach * change
        if not f.exact:
            local += (eps * reach) * (1 + slope)
        E_a = E * slope + local
        if normwise:
            local_norm = _norms(local)
            E_a = np.minimum(E_a, slope.max(axis=0, keepdims=True) * norm + local_norm)
        reach = np.abs(g_a[k]) + E_a
        outer = E_a + (m * eps) * reach
        E_W = outer @ sizes.h[k - 1].T
        if k > 1:
            E_W += reach @ errors[k - 1].T
        if net.lam > 0:
            E_W += (2 * eps * net.lam) * np.abs(net.regularizer.gradient(net.W[k]))
        bounds["W", k] = _entries(E_W, per_entry)
        bounds["b", k] = _entries(outer.sum(axis=1), per_entry)
        if k == 1:
            break
        W = sizes.W[k]
        local_h = (_terms(g_a[k], bool(f.kinks)) * eps) * (W.T @ reach)
        E = W.T @ E_a + local_h
        if normwise:
            # E(k-1) = W(k)ᵀ (f'(a(k)) ⊙ E + local) + local_h: ‖W(k)ᵀ diag(max|f'|)‖₂ carries
            # the first part, damped where the units of layer k saturate.
            damped = spectral_norm(net.W[k] * slope.max(axis=1, keepdims=True))
            norm = damped * norm + sizes.norm[k] * local_norm + _norms(local_h)
            E = np.minimum(E, norm)
    return bounds


def probable_rounding(
    net,
    record,
    y,
    *,
    sizes: Magnitudes | None = None,
    eps: float | None = None,
    per_entry: bool = False,
    gradients=None,
) -> dict[tuple[str, int], float]:
    """How large the rounding error of ``∇W(k) J`` and ``∇b(k) J`` typically is: a standard
    deviation, per parameter array (its largest entry's, or with ``per_entry`` every entry's,
    flat), not a bound.

    Every rounding is taken as an independent error, uniform within half an ulp: standard
    deviation ``u/√3`` (``u = ε/2``) times the value rounded. A sum ``s`` of ``n`` nonzero
    terms ``t_j`` rounds ``n`` partial sums, in whatever order, each about as large as ``s``
    or as the terms: variance ``n (u²/3) (s² + Σ t_j²)``. The variances are carried through
    Algorithms 6.3 and 6.4 as those of independent errors (through ``W`` by ``W²``): the
    statistical error analysis of Wilkinson, *Rounding Errors in Algebraic Processes* (1963),
    which predicts the size of the errors an implementation makes, where
    :func:`derivative_rounding` bounds the worst any could. Another correct implementation of
    the same formulas (another order of operations, another form of ``f``) makes errors of
    about this size, whatever the errors this one happened to make. ``eps`` is the machine
    epsilon of the implementation's precision: given a record in a finer one (a float64 copy
    of a float32 network), a slope far below an ulp of 1 loses only itself where it rounds
    to 0. ``sizes`` and ``gradients`` may pass the record's :func:`magnitudes` and
    :func:`adjoints`, if already at hand.
    """
    sizes = magnitudes(net, record) if sizes is None else sizes
    eps = _epsilon(record) if eps is None else eps
    finer = eps > _epsilon(record)  # the record in a finer precision
    unit = eps**2 / 12  # (u/√3)², u = ε/2
    g_h, g_a = adjoints(net, record, y, sizes=sizes) if gradients is None else gradients
    # Forward: variances of a(k) and h(k).
    var_h = {0: _zeros(record.h[0].shape)}  # x is exact
    change, W2 = {}, {}
    for k, f in sizes.f.items():
        a, b = _float64(record.a[k]), sizes.b[k]
        W2[k] = sizes.W[k] ** 2
        count = _terms(record.h[k - 1], k == 1 or bool(sizes.f[k - 1].kinks))
        var_a = (unit * count) * (a * a + W2[k] @ (sizes.h[k - 1] ** 2) + b * b)
        if k > 1:
            var_a += W2[k] @ var_h[k - 1]
        # First order, but for a kink: rounding may move a ReLU unit across it.
        slope = sizes.slope[k]
        if f.kinks or f.curvature is None:
            change[k] = _slope_change(f, a, sizes.derivative[k], 4 * np.sqrt(var_a))
            slope = slope + change[k]
        else:
            change[k] = None
        var_h[k] = slope * slope * var_a
        if not f.exact:  # np.tanh to about an ulp; another f (sigmoid's 1 + tanh) absolutely
            var_h[k] += unit * (sizes.h[k] + (f.name != "tanh")) ** 2
    # Backward: variances of g, and of the gradients.
    m, n_l = record.m, record.yhat.shape[0]
    scale = 1 / m if net.reduction == "mean" else 1.0
    g = g_h[net.l] / scale
    # ∇ŷ L's own rounding: ŷ − y rounds once, softmax's p − y as p does, by n_l + 2 roundings.
    # The error of ŷ moves it by as much (squared error), or by up to twice the largest of its
    # example's (softmax's p by p_i (|e_i| + Σ_j p_j |e_j|)).
    if net.loss.name == "squared_error":
        own, carried = unit * g**2, var_h[net.l]
    else:
        own = (n_l + 2) * unit * (g**2 + (g + _float64(y)) ** 2)
        carried = 4 * var_h[net.l].max(axis=0, keepdims=True)
    var = (own + carried) * scale**2
    result = {}
    for k in range(len(sizes.f), 0, -1):
        f = sizes.f[k]
        G2 = g_h[k] ** 2
        var_a = sizes.slope[k] ** 2 * var
        if change[k] is not None:
            var_a += G2 * change[k] ** 2
        if not f.exact:  # f' to about an ulp of 1 (1 − tanh², s (1 − s)), and the product
            lost = 1 + sizes.slope[k]
            if finer:  # a slope far below an ulp of 1 rounds to 0, and loses only itself
                lost = np.minimum(lost, sizes.slope[k] / eps)
            # g as large as it may be: a g that rounded to 0 need not be 0 (saturated units)
            var_a = var_a + unit * (G2 + var) * lost**2
        ga2, h2 = g_a[k] ** 2, sizes.h[k - 1] ** 2
        gradient = g_a[k] @ _float64(record.h[k - 1]).T
        var_W = var_a @ h2.T + unit * m * (gradient**2 + ga2 @ h2.T)
        if k > 1:
            var_W += ga2 @ var_h[k - 1].T
        result["W", k] = _entries(np.sqrt(var_W), per_entry)
        var_b = var_a.sum(axis=1) + unit * m * (g_a[k].sum(axis=1) ** 2 + ga2.sum(axis=1))
        result["b", k] = _entries(np.sqrt(var_b), per_entry)
        if k == 1:
            break
        var = W2[k].T @ var_a
        var += (unit * _terms(g_a[k], bool(f.kinks))) * (g_h[k - 1] ** 2 + W2[k].T @ ga2)
    return result
