"""All of a network's parameters as one vector ``θ``, and its gradient ``∇θ J`` likewise.

``θ`` lists every ``W(k)`` and ``b(k)`` in the order of ``net.parameters()``
(``W(1), b(1), ..., W(l), b(l)``), each array flattened row-major: the vector a random
projection of the gradient (PyTorch's fast ``gradcheck``, JAX's ``check_grads``) or a
norm over all parameters at once needs. Algorithm 6.4 itself never flattens anything.
"""

from __future__ import annotations

import numpy as np

from matgrad.finite_differences import ParameterCost, numerical_gradient


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
    """The finite-difference ``∇θ J`` (one difference quotient per parameter, at ``step``),
    flattened like :func:`parameter_vector`."""
    return np.concatenate(
        [
            numerical_gradient(
                ParameterCost(net, x, y, name, k), net.parameter(name, k), method=method, step=step
            ).ravel()
            for name, k in net.parameters()
        ]
    )
