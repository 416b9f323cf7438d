"""The four layouts of a linear layer and the weight gradient each implies."""

import numpy as np
import pytest

import matgrad as mg

SHAPES = {  # layout -> (shape of W, shape of the inputs) for n_in = 4, n_out = 3, m = 5
    "column": ((3, 4), (4, 5)),
    "transposed": ((4, 3), (4, 5)),
    "row": ((4, 3), (5, 4)),
    "framework": ((3, 4), (5, 4)),
}


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_weight_gradient_matches_finite_differences_and_has_the_shape_of_w(layout):
    rng = np.random.default_rng(0)
    W_shape, inputs_shape = SHAPES[layout]
    W, inputs = rng.normal(size=W_shape), rng.normal(size=inputs_shape)
    A = mg.linear(layout, W, inputs)
    G = rng.normal(size=A.shape)  # J = Σ G ⊙ A has ∂J/∂A = G

    def cost(V):
        return np.sum(G * mg.linear(layout, V, inputs))

    claimed = mg.weight_gradient(layout, inputs, G)
    assert claimed.shape == W.shape
    np.testing.assert_allclose(claimed, mg.numerical_gradient(cost, W), atol=1e-8)


def test_all_layouts_compute_the_same_layer():
    rng = np.random.default_rng(1)
    W, H = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    A = mg.linear("column", W, H)
    np.testing.assert_allclose(mg.linear("transposed", W.T, H), A)
    np.testing.assert_allclose(mg.linear("row", W.T, mg.to_rows(H)), A.T)
    np.testing.assert_allclose(mg.linear("framework", W, mg.to_rows(H)), A.T)


def test_framework_gradient_is_the_books_gradient_transposed_twice():
    rng = np.random.default_rng(2)
    H, G = rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    book = mg.weight_gradient("column", H, G)  # G Hᵀ
    framework = mg.weight_gradient("framework", mg.to_rows(H), mg.to_rows(G))  # Gᵀ X
    np.testing.assert_allclose(framework, book)
    np.testing.assert_array_equal(mg.to_columns(mg.to_rows(H)), H)


def test_layouts_reject_weights_that_do_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        mg.linear("column", np.ones((3, 4)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="same number of examples"):
        mg.weight_gradient("row", np.ones((5, 4)), np.ones((6, 3)))
    with pytest.raises(ValueError, match="unknown layout 'rows'"):
        mg.linear("rows", np.ones((3, 4)), np.ones((4, 2)))
