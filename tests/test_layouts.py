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


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_the_rule_finds_each_layouts_formula_and_it_matches_finite_differences(layout):
    rng = np.random.default_rng(3)
    W_shape, inputs_shape = SHAPES[layout]
    W, inputs = rng.normal(size=W_shape), rng.normal(size=inputs_shape)
    G = rng.normal(size=mg.linear(layout, W, inputs).shape)
    formula, value = mg.gradient_by_rule(layout, inputs, G)
    expected = {"column": "G Hᵀ", "transposed": "X Gᵀ", "row": "Xᵀ G", "framework": "Gᵀ X"}
    assert formula == expected[layout]
    np.testing.assert_array_equal(value, mg.weight_gradient(layout, inputs, G))

    def cost(V):
        return np.sum(G * mg.linear(layout, V, inputs))

    np.testing.assert_allclose(value, mg.numerical_gradient(cost, W), atol=1e-8)


def test_the_rule_decides_by_units_in_a_square_layer_where_sizes_cannot():
    # n_in = n_out = m: every one-transpose product of G and H is 3 × 3, and H Gᵀ also
    # sums over the examples; only the units tell G Hᵀ (W's rows are outputs) from it.
    rng = np.random.default_rng(4)
    H, G = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    formula, value = mg.gradient_by_rule("column", H, G)
    assert formula == "G Hᵀ"
    np.testing.assert_array_equal(value, G @ H.T)
    assert mg.gradient_by_rule("transposed", H, G)[0] == "X Gᵀ"


def test_the_rule_rejects_inputs_and_G_with_different_numbers_of_examples():
    with pytest.raises(ValueError, match="same number of examples"):
        mg.gradient_by_rule("framework", np.ones((5, 4)), np.ones((6, 3)))
    with pytest.raises(ValueError, match="unknown layout"):
        mg.gradient_by_rule("columns", np.ones((4, 5)), np.ones((3, 5)))
