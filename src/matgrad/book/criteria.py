"""Other tools' pass rules for a gradient check, re-expressed in numpy.

Used in: close-enough (the criteria and their verdicts) and checking-gradients
(``kink_distance``). The criteria of CS231n's notes, *Mathematics for Machine Learning*
§5.2, the Deep Learning Specialization's gradient-checking assignment,
``torch.autograd.gradcheck`` (slow and fast mode) and ``jax.test_util.check_grads``,
so that the book compares them with :func:`matgrad.gradient_check` without torch or jax.
"""

from __future__ import annotations

import numpy as np

from matgrad._validation import finite_array, positive_float, positive_int
from matgrad.checks import gradient_check
from matgrad.parameters import (
    gradient_vector,
    numerical_gradient_vector,
    parameter_vector,
    with_parameter_vector,
)


def cs231n_relative_error(A, N) -> np.ndarray:
    """Elementwise ``|A − N| / max(|A|, |N|)`` (CS231n), with ``0`` where both are zero."""
    A, N = _same_shape(A, N)
    scale = np.maximum(np.abs(A), np.abs(N))
    difference = np.abs(A - N)
    return np.divide(difference, scale, out=np.zeros_like(difference), where=scale > 0)


def mml_relative_error(A, N) -> float:
    """``‖N − A‖₂ / ‖N + A‖₂`` (*Mathematics for Machine Learning*, §5.2); "small" is < 1e-6."""
    A, N = _same_shape(A, N)
    denominator = np.linalg.norm((N + A).ravel())
    numerator = np.linalg.norm((N - A).ravel())
    if denominator == 0:
        return 0.0 if numerator == 0 else float("inf")
    return float(numerator / denominator)


def dls_difference(A, N) -> float:
    """``‖A − N‖₂ / (‖A‖₂ + ‖N‖₂)`` over two arrays of one shape, each taken whole.

    ``A`` is claimed (``grad``), ``N`` numerical (``gradapprox``): the ``difference`` of Ng's
    *Deep Learning Specialization*, course 2, gradient-checking assignment, where below
    2e-7 is correct. ``0`` when both are zero (``inf`` if only the sum of norms underflows).
    """
    A, N = _same_shape(A, N)
    denominator = np.linalg.norm(A.ravel()) + np.linalg.norm(N.ravel())
    numerator = np.linalg.norm((A - N).ravel())
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


CRITERIA = ("CS231n", "MML §5.2", "DLS", "torch gradcheck", "jax check_grads", "matgrad")
"""The criteria :func:`criteria_verdicts` applies, in its order."""


def criteria_verdicts(net, x, y, *, gradients=None) -> dict[str, bool]:
    """Whether each tool's criterion passes ``gradients`` (default: Algorithm 6.4's).

    * ``CS231n``: central differences, step 1e-5, largest elementwise relative error < 1e-7
      for a smooth network (the notes accept up to 1e-4 only with kinks such as ReLU);
    * ``MML §5.2``: the forward difference quotient with ``h = 1e-4`` and
      ``‖N − A‖ / ‖N + A‖ < 1e-6``;
    * ``DLS`` (Ng's *Deep Learning Specialization*, course 2, gradient checking): central
      differences with ``h = 1e-7`` and :func:`dls_difference` ``< 2e-7``;
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
    _, dls_central = _claimed_and_numerical(net, x, y, gradients, "central", 1e-7)
    cs231n_limit = 1e-7 if net.analytic else 1e-4
    return {
        "CS231n": float(np.max(cs231n_relative_error(claimed, central))) < cs231n_limit,
        "MML §5.2": mml_relative_error(claimed, forward) < 1e-6,
        "DLS": dls_difference(claimed, dls_central) < 2e-7,
        "torch gradcheck": torch_gradcheck(net, x, y, gradients=gradients),
        "jax check_grads": jax_check_grads(net, x, y, gradients=gradients),
        "matgrad": gradient_check(net, x, y, gradients=gradients).passed,
    }


def kink_distance(net, x) -> float:
    """``min |a(k)_i − kink|`` over the layers whose activation has kinks (ReLU's at 0), and
    their kinks (``Activation.kinks``); ``inf`` if there are none.

    A finite difference whose step moves some ``a(k)_i`` across a kink differentiates across
    it and disagrees with the (correct) one-sided derivative backprop uses.
    """
    x = finite_array("x", x)
    m = 1 if x.ndim == 1 else x.shape[1]
    record = net.forward(x, np.zeros((net.widths[-1], m), dtype=net.dtype))
    distances = [np.min(np.abs(record.a[k] - kink)) for k in record.a for kink in net.f(k).kinks]
    return float(min(distances)) if distances else float("inf")


def _same_shape(A, N) -> tuple[np.ndarray, np.ndarray]:
    A, N = finite_array("A", A), finite_array("N", N)
    if A.shape != N.shape:
        raise ValueError(f"A and N must have one shape, got {A.shape} and {N.shape}")
    return A, N


def _claimed_and_numerical(net, x, y, gradients, method, step):
    gradients = net.gradients(x, y) if gradients is None else gradients
    claimed = gradient_vector(net, gradients)
    return claimed, numerical_gradient_vector(net, x, y, method=method, step=step)
