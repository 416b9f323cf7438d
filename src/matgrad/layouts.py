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
summed over the examples in every layout. :func:`gradient_by_rule` finds each formula
of the last column from the units of the axes instead of looking it up.
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

# The units each axis runs over, layout by layout: (W's, the inputs', A's and so G's).
# "out" and "in" are the layer's output and input units, "m" the examples.
AXES = {
    "column": (("out", "in"), ("in", "m"), ("out", "m")),
    "transposed": (("in", "out"), ("in", "m"), ("out", "m")),
    "row": (("in", "out"), ("m", "in"), ("m", "out")),
    "framework": (("out", "in"), ("m", "in"), ("m", "out")),
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


def _inputs_and_G(layout: str, inputs, G) -> tuple[np.ndarray, np.ndarray]:
    choice("layout", layout, LAYOUTS)
    inputs, G = _matrices(inputs=inputs, G=G)
    examples_axis = 1 if layout in ("column", "transposed") else 0
    if inputs.shape[examples_axis] != G.shape[examples_axis]:
        raise ValueError(
            f"in the {layout} layout the inputs {inputs.shape} and G {G.shape} must hold "
            f"the same number of examples along axis {examples_axis}"
        )
    return inputs, G


def weight_gradient(layout: str, inputs, G) -> np.ndarray:
    """``∇W J`` for a layer written in ``layout``, from its inputs and ``G = ∂J/∂A``."""
    inputs, G = _inputs_and_G(layout, inputs, G)
    if layout == "column":
        return G @ inputs.T
    if layout == "transposed":
        return inputs @ G.T
    if layout == "row":
        return inputs.T @ G
    return G.T @ inputs


def gradient_by_rule(layout: str, inputs, G) -> tuple[str, np.ndarray]:
    """``∇W J`` found by the layout atlas's rule rather than looked up: ``(formula, value)``.

    The rule: of the four products of ``G`` and the inputs with exactly one factor
    transposed (``G Xᵀ``, ``Gᵀ X``, ``X Gᵀ``, ``Xᵀ G``; ``H`` for the column layout's
    inputs), take the one that (i) has ``W``'s shape and (ii) sums over the ``m``
    examples, the index ``G`` and the inputs share. Shapes are compared in units
    (:data:`AXES`: output units, input units, examples), not in sizes, so the rule also
    decides for a square layer, where ``G Hᵀ`` and ``H Gᵀ`` have the same size. Inputs
    and ``G`` as for :func:`weight_gradient`, whose formulas this reproduces.
    """
    inputs, G = _inputs_and_G(layout, inputs, G)
    W_axes, input_axes, G_axes = AXES[layout]
    name = "H" if layout == "column" else "X"
    factors = {"G": (G, G_axes), name: (inputs, input_axes)}
    found = []
    for first, second in (("G", name), (name, "G")):
        for flipped in (first, second):
            (P, p_axes), (Q, q_axes) = factors[first], factors[second]
            if flipped == first:
                P, p_axes = P.T, p_axes[::-1]
            else:
                Q, q_axes = Q.T, q_axes[::-1]
            # (ii) the shared index, summed by the product, is the examples' ...
            sums_examples = p_axes[1] == q_axes[0] == "m"
            # ... and (i) the rows and columns left run over W's
            if sums_examples and (p_axes[0], q_axes[1]) == W_axes:
                formula = f"{first} {second}".replace(flipped, flipped + "ᵀ")
                found.append((formula, P @ Q))
    (result,) = found  # exactly one product satisfies the rule in every layout
    return result


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
