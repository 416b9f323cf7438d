"""Layouts of a linear layer, and the weight gradient each one implies.

The same layer is written four ways in the literature; the gradient always has the
shape of the weights, and the transpose lands wherever that shape needs it.

=============  ===========================  ===============  ===================  ===========
layout         pre-activation               weights ``W``    inputs               ``∇W J``
=============  ===========================  ===============  ===================  ===========
``column``     ``A = W H``  (book §6.5.4)   ``(n_out, n_in)`` ``H``: ``(n_in, m)``  ``G Hᵀ``
``transposed`` ``A = Wᵀ X`` (book §6.1)     ``(n_in, n_out)`` ``X``: ``(n_in, m)``  ``X Gᵀ``
``row``        ``A = X W``  (book §6.5.7)   ``(n_in, n_out)`` ``X``: ``(m, n_in)``  ``Xᵀ G``
``framework``  ``A = X Wᵀ`` (PyTorch)       ``(n_out, n_in)`` ``X``: ``(m, n_in)``  ``Gᵀ X``
=============  ===========================  ===============  ===================  ===========

``G = ∂J/∂A`` always has the shape of ``A``. Biases are left out: they add ``G``
summed over the examples in every layout.
"""

from __future__ import annotations

import numpy as np

from matgrad._validation import choice, finite_array

LAYOUTS = {
    "column": "A = W H",
    "transposed": "A = Wᵀ X",
    "row": "A = X W",
    "framework": "A = X Wᵀ",
}


def _matrices(**arrays) -> list[np.ndarray]:
    checked = []
    for name, value in arrays.items():
        array = finite_array(name, value)
        if array.ndim != 2:
            raise ValueError(f"{name} must be a matrix, got shape {array.shape}")
        checked.append(array)
    return checked


def linear(layout: str, W, inputs) -> np.ndarray:
    """The pre-activation ``A`` of a layer written in ``layout`` (see the table above)."""
    choice("layout", layout, LAYOUTS)
    W, inputs = _matrices(W=W, inputs=inputs)
    left, right = {
        "column": (W, inputs),
        "transposed": (W.T, inputs),
        "row": (inputs, W),
        "framework": (inputs, W.T),
    }[layout]
    if left.shape[1] != right.shape[0]:
        raise ValueError(
            f"in the {layout} layout ({LAYOUTS[layout]}) W of shape {W.shape} does not fit "
            f"inputs of shape {inputs.shape}"
        )
    return left @ right


def weight_gradient(layout: str, inputs, G) -> np.ndarray:
    """``∇W J`` for a layer written in ``layout``, from its inputs and ``G = ∂J/∂A``."""
    choice("layout", layout, LAYOUTS)
    inputs, G = _matrices(inputs=inputs, G=G)
    examples_axis = 1 if layout in ("column", "transposed") else 0
    if inputs.shape[examples_axis] != G.shape[examples_axis]:
        raise ValueError(
            f"in the {layout} layout the inputs {inputs.shape} and G {G.shape} must hold "
            f"the same number of examples along axis {examples_axis}"
        )
    if layout == "column":
        return G @ inputs.T
    if layout == "transposed":
        return inputs @ G.T
    if layout == "row":
        return inputs.T @ G
    return G.T @ inputs


def to_rows(batch) -> np.ndarray:
    """A minibatch with examples as columns ``(n, m)`` → examples as rows ``(m, n)``.

    The book's column convention and the frameworks' row convention hold the same
    numbers transposed; the weights keep their ``(n_out, n_in)`` shape in both the
    ``column`` and ``framework`` layouts, and so does their gradient.
    """
    (batch,) = _matrices(batch=batch)
    return batch.T


def to_columns(batch) -> np.ndarray:
    """A minibatch with examples as rows ``(m, n)`` → examples as columns ``(n, m)``."""
    (batch,) = _matrices(batch=batch)
    return batch.T
