"""Numerical studies behind the skill chapters: checking, costing and judging gradients.

Pure computation (numpy only); the chapters plot the results with
:mod:`matgrad.chapter_plots`. Every study runs on an :class:`matgrad.MLP` and compares
Algorithm 6.4's ``∇W(k) J = g h(k-1)ᵀ + λ ∇W(k) Ω`` (or a deliberately wrong version of
it) with finite differences:

* how the error of a finite difference depends on its step (the V-shaped curve);
* how many forward passes a finite-difference gradient costs, against backpropagation;
* the pass/fail criteria of CS231n's notes, *Mathematics for Machine Learning* §5.2,
  ``torch.autograd.gradcheck`` (slow and fast mode) and ``jax.test_util.check_grads``,
  re-expressed in numpy so that the book needs neither torch nor jax;
* the error pattern each classic bug of :data:`matgrad.MISTAKES` leaves.

All parameters of a network are flattened in the order of ``net.parameters()``
(``W(1), b(1), ..., W(l), b(l)``), each array row-major, when a study needs one vector ``θ``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from matgrad._validation import choice, finite_array, positive_float, positive_int
from matgrad.finite_differences import METHODS, ParameterCost, numerical_gradient
from matgrad.gradient_check import gradient_check, relative_error
from matgrad.mistakes import MISTAKES, backward_with_mistake
from matgrad.network import Gradients

# --- one vector θ for all parameters ------------------------------------------------------


def parameter_vector(net) -> np.ndarray:
    """``θ``: every ``W(k)`` and ``b(k)`` of ``net`` flattened into one vector of length ``P``."""
    return np.concatenate([net.parameter(name, k).ravel() for name, k in net.parameters()])


def gradient_vector(net, gradients) -> np.ndarray:
    """``∇θ J`` flattened like :func:`parameter_vector`, from anything with ``.W[k]``, ``.b[k]``.

    Raises ``ValueError`` if a gradient does not have its parameter's shape (``h gᵀ``).
    """
    parts = []
    for name, k in net.parameters():
        array = np.asarray(getattr(gradients, name)[k])
        expected = net.parameter(name, k).shape
        if array.shape != expected:
            raise ValueError(
                f"the gradient of {name}({k}) must have shape {expected}, got {array.shape}"
            )
        parts.append(array.ravel())
    return np.concatenate(parts)


def with_parameter_vector(net, theta):
    """A copy of ``net`` whose parameters are read from ``theta`` (see :func:`parameter_vector`).

    ``theta`` may be complex, for complex step along a direction.
    """
    theta = np.asarray(theta)
    P = net.parameter_count
    if theta.shape != (P,):
        raise ValueError(
            f"theta must be a vector of the network's P = {P} parameters, got shape {theta.shape}"
        )
    start = 0
    for name, k in net.parameters():
        shape = net.parameter(name, k).shape
        size = int(np.prod(shape))
        net = net.with_parameter(name, k, theta[start : start + size].reshape(shape))
        start += size
    return net


def numerical_gradient_vector(net, x, y, *, method: str = "central", step: float | None = None):
    """The finite-difference ``∇θ J``, flattened like :func:`parameter_vector`."""
    return np.concatenate(
        [
            numerical_gradient(
                ParameterCost(net, x, y, name, k), net.parameter(name, k), method=method, step=step
            ).ravel()
            for name, k in net.parameters()
        ]
    )


# --- the error of a finite difference against its step ------------------------------------


def step_error_curve(net, x, y, steps: Sequence[float], *, method: str = "central") -> np.ndarray:
    """The worst :func:`matgrad.relative_error` over ``W(k)``, ``b(k)`` at each step.

    The reference is backpropagation (Algorithm 6.4), exact up to rounding, so the curve
    measures the finite difference's own error: truncation ``O(h)`` (forward) or ``O(h²)``
    (central, complex step) for large ``h``, rounding ``O(ε/h)`` for small ``h`` (none for
    complex step, which subtracts nothing). Returns an array of ``len(steps)``.
    """
    choice("method", method, METHODS)
    gradients = net.gradients(x, y)
    errors = []
    for step in steps:
        step = positive_float("step", step)
        errors.append(
            max(
                relative_error(
                    gradients.parameter(name, k),
                    numerical_gradient(
                        ParameterCost(net, x, y, name, k),
                        net.parameter(name, k),
                        method=method,
                        step=step,
                    ),
                )
                for name, k in net.parameters()
            )
        )
    return np.array(errors)


def best_step(steps: Sequence[float], errors: Sequence[float]) -> tuple[float, float]:
    """The ``(step, error)`` pair with the smallest error (the first, on a tie)."""
    steps, errors = np.asarray(steps, dtype=float), np.asarray(errors, dtype=float)
    if steps.shape != errors.shape or steps.ndim != 1 or steps.size == 0:
        raise ValueError(
            f"steps and errors must be two non-empty vectors of one length, got shapes "
            f"{steps.shape} and {errors.shape}"
        )
    index = int(np.argmin(errors))
    return float(steps[index]), float(errors[index])


# --- counting the work ---------------------------------------------------------------------


class CountingCost:
    """Wrap a cost ``f`` and count how many times it is evaluated (``calls``).

    Each evaluation of a :class:`matgrad.ParameterCost` is one forward pass (Algorithm 6.3),
    so the count is the work of a finite-difference gradient, measured without a clock.
    """

    def __init__(self, f: Callable):
        if not callable(f):
            raise TypeError(f"CountingCost needs a callable cost, got {type(f).__name__}")
        self.f = f
        self.calls = 0
        self.analytic = getattr(f, "analytic", True)
        self.reason = getattr(f, "reason", "")

    def __call__(self, X):
        self.calls += 1
        return self.f(X)


def count_forward_passes(net, x, y, *, method: str = "central") -> int:
    """Forward passes a finite-difference ``∇θ J`` of every ``W(k)``, ``b(k)`` evaluates.

    Central differences evaluate ``J`` twice per parameter (``2P``), complex step once
    (``P``), forward differences once per parameter plus once per array for ``J(θ)``.
    """
    choice("method", method, METHODS)
    calls = 0
    for name, k in net.parameters():
        cost = CountingCost(ParameterCost(net, x, y, name, k))
        numerical_gradient(cost, net.parameter(name, k), method=method)
        calls += cost.calls
    return calls


def multiply_adds(widths: Sequence[int], m: int = 1) -> dict[str, int]:
    """Scalar multiply-adds of the matrix products for a minibatch of ``m`` examples.

    ``forward``: ``W(k) h(k-1)`` for every layer (Algorithm 6.3), ``Σ_k n_k n_(k-1) m``.
    ``backward``: ``g h(k-1)ᵀ`` and ``W(k)ᵀ g`` for every layer (Algorithm 6.4), twice that.
    Elementwise work (``f``, ``f'``, ``⊙``) is of lower order and left out.
    """
    widths = [positive_int(f"widths[{i}]", n) for i, n in enumerate(widths)]
    if len(widths) < 2:
        raise ValueError(f"widths must list [n_0, ..., n_l] with l >= 1, got {widths}")
    m = positive_int("m", m)
    forward = sum(n_in * n_out * m for n_in, n_out in pairwise(widths))
    return {"forward": forward, "backward": 2 * forward}


# --- the criteria of other tools, in numpy -------------------------------------------------

CS231N_BANDS = (
    (1e-7, "happy (below 1e-7)"),
    (1e-4, "fine only with kinks (1e-7 to 1e-4)"),
    (1e-2, "uncomfortable (1e-4 to 1e-2)"),
    (np.inf, "probably wrong (above 1e-2)"),
)
"""CS231n's reading of the largest elementwise relative error, smallest band first."""


def cs231n_relative_error(A, N) -> np.ndarray:
    """Elementwise ``|A − N| / max(|A|, |N|)`` (CS231n), with ``0`` where both are zero."""
    A, N = _same_shape(A, N)
    scale = np.maximum(np.abs(A), np.abs(N))
    difference = np.abs(A - N)
    return np.divide(difference, scale, out=np.zeros_like(difference), where=scale > 0)


def cs231n_verdict(error: float) -> str:
    """The band of :data:`CS231N_BANDS` that a largest relative error falls in."""
    for limit, verdict in CS231N_BANDS:
        if error < limit:
            return verdict
    return CS231N_BANDS[-1][1]


def mml_relative_error(A, N) -> float:
    """``‖N − A‖₂ / ‖N + A‖₂`` (*Mathematics for Machine Learning*, §5.2); "small" is < 1e-6."""
    A, N = _same_shape(A, N)
    denominator = np.linalg.norm((N + A).ravel())
    numerator = np.linalg.norm((N - A).ravel())
    if denominator == 0:
        return 0.0 if numerator == 0 else float("inf")
    return float(numerator / denominator)


def allclose_violation(A, N, *, atol: float, rtol: float) -> float:
    """``max(|A − N| − (atol + rtol |N|))``: the elementwise allclose test fails iff this is > 0.

    ``torch.allclose(A, N)`` and ``numpy.testing.assert_allclose(A, N)`` both accept
    ``|A − N| <= atol + rtol |N|``, with ``N`` (the numerical value) the reference.
    """
    A, N = _same_shape(A, N)
    return float(np.max(np.abs(A - N) - (atol + rtol * np.abs(N))))


def torch_gradcheck(
    net, x, y, *, gradients=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """``torch.autograd.gradcheck``'s default (slow) mode, in numpy.

    Central differences with step ``eps`` for every parameter, then the elementwise
    ``|a − n| <= atol + rtol |n|`` on the whole gradient (PyTorch's defaults).
    """
    claimed, numerical = _claimed_and_numerical(net, x, y, gradients, "central", eps)
    return allclose_violation(claimed, numerical, atol=atol, rtol=rtol) <= 0


def directional_derivatives(net, x, y, u, *, gradients=None, eps: float = 1e-6):
    """``(⟨∇θ J, u⟩, (J(θ + eps u) − J(θ − eps u)) / 2 eps)``: claimed and numerical.

    One random projection of the gradient: two forward passes, whatever ``P`` is.
    """
    u = finite_array("u", u)
    if u.shape != (net.parameter_count,):
        raise ValueError(f"u must have shape ({net.parameter_count},), got {u.shape}")
    eps = positive_float("eps", eps)
    gradients = net.gradients(x, y) if gradients is None else gradients
    claimed = float(gradient_vector(net, gradients) @ u)
    theta = parameter_vector(net)
    plus = with_parameter_vector(net, theta + eps * u).cost(x, y)
    minus = with_parameter_vector(net, theta - eps * u).cost(x, y)
    return claimed, float((plus - minus) / (2 * eps))


def torch_fast_direction(P: int, rng: np.random.Generator) -> np.ndarray:
    """PyTorch fast mode's ``u``: uniform on ``[0, 1)``, scaled to unit length."""
    u = rng.random(positive_int("P", P))
    return u / np.linalg.norm(u)


def torch_fast_gradcheck(
    net, x, y, u, *, gradients=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """``gradcheck(..., fast_mode=True)`` for a scalar cost, in numpy.

    Compares ``vᵀ J u`` (here ``v = 1``, so ``⟨∇θ J, u⟩``) with its central difference,
    allowing ``atol · Σ u`` (PyTorch scales ``atol`` by ``Σu Σv``) plus ``rtol`` times the
    numerical value.
    """
    claimed, numerical = directional_derivatives(net, x, y, u, gradients=gradients, eps=eps)
    return abs(claimed - numerical) <= atol * float(np.sum(u)) + rtol * abs(numerical)


def jax_check_grads(
    net, x, y, *, gradients=None, eps: float = 1e-4, tolerance=None, seed: int = 0
) -> bool:
    """``jax.test_util.check_grads(f, (θ,), order=1, modes=("rev",))`` for a scalar cost.

    One random normal tangent ``u`` (``RandomState(seed)``, as JAX uses seed 0), a central
    difference with ``eps = 1e-4``, and ``assert_allclose`` of ``⟨∇θ J, u⟩`` against it with
    ``atol = rtol = 1e-5`` in float64 (``2e-3`` in float32). JAX also multiplies the
    cotangent, a random scalar here, into both sides; it cancels from the verdict.
    """
    if tolerance is None:
        tolerance = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-3}[net.dtype]
    u = np.random.RandomState(seed).randn(net.parameter_count)
    claimed, numerical = directional_derivatives(net, x, y, u, gradients=gradients, eps=eps)
    return abs(claimed - numerical) <= tolerance + tolerance * abs(numerical)


def projection_pass_rate(
    net,
    x,
    y,
    *,
    gradients=None,
    trials: int = 200,
    seed: int = 0,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> float:
    """The fraction of ``trials`` random PyTorch fast-mode directions that pass ``gradients``.

    For a wrong gradient this is the probability that one fast-mode check misses the bug.
    """
    trials = positive_int("trials", trials)
    rng = np.random.default_rng(seed)
    gradients = net.gradients(x, y) if gradients is None else gradients
    passes = sum(
        torch_fast_gradcheck(
            net,
            x,
            y,
            torch_fast_direction(net.parameter_count, rng),
            gradients=gradients,
            eps=eps,
            atol=atol,
            rtol=rtol,
        )
        for _ in range(trials)
    )
    return passes / trials


CRITERIA = ("CS231n", "MML §5.2", "torch gradcheck", "jax check_grads", "matgrad")
"""The criteria :func:`criteria_verdicts` applies, in its order."""


def criteria_verdicts(net, x, y, *, gradients=None) -> dict[str, bool]:
    """Whether each tool's criterion passes ``gradients`` (default: Algorithm 6.4's).

    * ``CS231n``: central differences, step 1e-5, largest elementwise relative error < 1e-7
      for a smooth network (the notes accept up to 1e-4 only with kinks such as ReLU);
    * ``MML §5.2``: the forward difference quotient with ``h = 1e-4`` and
      ``‖N − A‖ / ‖N + A‖ < 1e-6``;
    * ``torch gradcheck``: :func:`torch_gradcheck`; ``jax check_grads``: :func:`jax_check_grads`;
    * ``matgrad``: :func:`matgrad.gradient_check` with its defaults.

    A gradient of the wrong shape (``h gᵀ`` in a non-square layer) fails every criterion,
    as each tool would stop at the shape mismatch.
    """
    gradients = net.gradients(x, y) if gradients is None else gradients
    try:
        gradient_vector(net, gradients)
    except ValueError:
        return dict.fromkeys(CRITERIA, False)
    claimed, central = _claimed_and_numerical(net, x, y, gradients, "central", 1e-5)
    _, forward = _claimed_and_numerical(net, x, y, gradients, "forward", 1e-4)
    cs231n_limit = 1e-7 if net.analytic else 1e-4
    return {
        "CS231n": float(np.max(cs231n_relative_error(claimed, central))) < cs231n_limit,
        "MML §5.2": mml_relative_error(claimed, forward) < 1e-6,
        "torch gradcheck": torch_gradcheck(net, x, y, gradients=gradients),
        "jax check_grads": jax_check_grads(net, x, y, gradients=gradients),
        "matgrad": gradient_check(net, x, y, gradients=gradients).passed,
    }


# --- bugs and the patterns they leave -------------------------------------------------------


def error_pattern(
    net, x, y, *, gradients=None, method: str = "central", step: float | None = None
) -> dict[str, float]:
    """``{"W(1)": error, "b(1)": error, ...}``: :func:`matgrad.relative_error` per parameter.

    ``inf`` marks a gradient of the wrong shape.
    """
    report = gradient_check(net, x, y, method=method, step=step, gradients=gradients, resolve=False)
    return {check.name: check.rel_error for check in report.checks}


def mistake_patterns(net, x, y, mistakes: Sequence[str] | None = None) -> dict[str, object]:
    """The :func:`error_pattern` each mistake of :data:`matgrad.MISTAKES` leaves on ``net``.

    A mistake whose buggy code cannot even run on this network (a dropped transpose in a
    non-square layer) maps to the ``ValueError`` message instead of a pattern.
    """
    mistakes = list(MISTAKES) if mistakes is None else list(mistakes)
    record = net.forward(x, y)
    patterns: dict[str, object] = {}
    for mistake in mistakes:
        try:
            wrong = backward_with_mistake(net, record, y, mistake)
        except ValueError as error:
            patterns[mistake] = str(error)
            continue
        patterns[mistake] = error_pattern(net, x, y, gradients=wrong)
    return patterns


def candidate_verdicts(net, x, y) -> dict[str, str]:
    """Each candidate of :data:`matgrad.shapes.CANDIDATES` used as the weight line's first term.

    Algorithm 6.4 runs as written, but line 5 uses the candidate in place of
    ``g h(k-1)ᵀ`` at every layer (plus ``λ ∇W(k) Ω`` where the shapes allow adding it); the
    resulting gradients are checked against finite differences. The verdict is ``"PASS"``,
    ``"FAIL (4e-01)"`` (with the largest relative error), ``"wrong shape"`` or
    ``"cannot be formed"``.
    """
    record = net.forward(x, y)
    correct = net.backward(record, y)
    g = {step.k: step.value for step in correct.trace if step.result.startswith("g = ∇a")}
    h = record.h
    terms = {
        "g h(k-1)ᵀ": lambda k: g[k] @ h[k - 1].T,
        "h(k-1)": lambda k: h[k - 1],
        "h(k-1)ᵀ": lambda k: h[k - 1].T,
        "h(k-1) gᵀ": lambda k: h[k - 1] @ g[k].T,
        "gᵀ h(k-1)": lambda k: g[k].T @ h[k - 1],
    }
    verdicts = {}
    for candidate, term in terms.items():
        try:
            W = {k: term(k) for k in g}
        except ValueError:  # numpy: the matrix product's inner dimensions differ
            verdicts[candidate] = "cannot be formed"
            continue
        for k in W:
            if W[k].shape == net.W[k].shape:
                W[k] = W[k] + net.lam * net.regularizer.gradient(net.W[k])
        if any(W[k].shape != net.W[k].shape for k in W):
            verdicts[candidate] = "wrong shape"
            continue
        report = gradient_check(net, x, y, gradients=Gradients(W=W, b=correct.b))
        verdicts[candidate] = (
            f"FAIL ({format_error(report.max_rel_error)})"
            if report.verdict == "FAIL"
            else report.verdict
        )
    return verdicts


def kink_distance(net, x) -> float:
    """``min |a(k)_i|`` over the layers whose activation is ReLU (``inf`` if there are none).

    A finite difference whose step moves some ``a(k)_i`` across 0 differentiates across
    ReLU's kink and disagrees with the (correct) one-sided derivative backprop uses.
    """
    x = finite_array("x", x)
    m = 1 if x.ndim == 1 else x.shape[1]
    record = net.forward(x, np.zeros((net.widths[-1], m), dtype=net.dtype))
    distances = [np.min(np.abs(record.a[k])) for k in record.a if net.f(k).name == "relu"]
    return float(min(distances)) if distances else float("inf")


# --- presentation helpers that stay plain text -----------------------------------------------


def format_error(error: float, tolerance: float | None = None) -> str:
    """An error as text: ``"3e-11"``, ``"shape"`` for ``inf``; ``ok`` marks one within tolerance.

    One significant digit, so that stored outputs do not depend on the last bits of
    rounding, which differ between machines.
    """
    if np.isinf(error):
        return "wrong shape"
    text = f"{error:.0e}"
    return text if tolerance is None else (f"{text} ok" if error <= tolerance else f"{text} FAIL")


def self_check(answer, reference, *, tolerance: float = 1e-6) -> str:
    """An exercise's verdict on ``answer`` against a ``reference`` (often finite differences).

    ``None`` means not attempted yet. The verdict names the relative error only when it
    fails, so that a passing answer prints the same text on every machine.
    """
    if answer is None:
        return "not attempted yet: fill in your answer and re-run this cell"
    answer, reference = np.asarray(answer, dtype=float), np.asarray(reference, dtype=float)
    if answer.shape != reference.shape:
        return f"wrong shape: expected {reference.shape}, got {answer.shape}"
    error = relative_error(answer, reference)
    if error <= tolerance:
        return f"PASS: relative error below {tolerance:.0e}"
    return f"FAIL: relative error {error:.0e}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with left-aligned columns (for printing in a notebook)."""
    rows = [[str(cell) for cell in row] for row in rows]
    header = [str(cell) for cell in header]
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, like the header")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _same_shape(A, N) -> tuple[np.ndarray, np.ndarray]:
    A, N = finite_array("A", A), finite_array("N", N)
    if A.shape != N.shape:
        raise ValueError(f"A and N must have one shape, got {A.shape} and {N.shape}")
    return A, N


def _claimed_and_numerical(net, x, y, gradients, method, step):
    gradients = net.gradients(x, y) if gradients is None else gradients
    claimed = gradient_vector(net, gradients)
    return claimed, numerical_gradient_vector(net, x, y, method=method, step=step)
