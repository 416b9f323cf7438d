"""The matrix calculus of the derivation: Frobenius product, vec, the Jacobian of a = W h."""

import numpy as np
import pytest

import matgrad as mg


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def test_frobenius_product_is_the_trace_of_a_transpose_b(rng):
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert mg.frobenius(A, B) == pytest.approx(np.trace(A.T @ B))
    assert mg.frobenius(A, B) == pytest.approx(mg.vec(A) @ mg.vec(B))


def test_frobenius_rearrangement_rules(rng):
    # A : BC = BᵀA : C = ACᵀ : B, for A (p×r), B (p×q), C (q×r)
    A, B, C = rng.normal(size=(3, 5)), rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    left = mg.frobenius(A, B @ C)
    assert mg.frobenius(B.T @ A, C) == pytest.approx(left)
    assert mg.frobenius(A @ C.T, B) == pytest.approx(left)
    # A : B = B : A = Bᵀ : Aᵀ
    D = rng.normal(size=(3, 5))
    assert mg.frobenius(A, D) == pytest.approx(mg.frobenius(D, A))
    assert mg.frobenius(A, D) == pytest.approx(mg.frobenius(D.T, A.T))


def test_differential_of_the_cost_gives_g_h_transpose(rng):
    # dJ = g : da = g : (dW) h = g hᵀ : dW for every dW
    g, h, dW = rng.normal(size=(3, 1)), rng.normal(size=(4, 1)), rng.normal(size=(3, 4))
    assert mg.frobenius(g, dW @ h) == pytest.approx(mg.frobenius(g @ h.T, dW))


def test_vec_stacks_columns_and_unvec_inverts_it(rng):
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(mg.vec(A), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    B = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(mg.unvec(mg.vec(B), (4, 3)), B)


def test_jacobian_tensor_slices_and_contraction_give_g_h_transpose(rng):
    h, g = rng.normal(size=4), rng.normal(size=3)
    T = mg.jacobian_tensor(h, 3)
    assert T.shape == (3, 3, 4)
    for i in range(3):
        expected = np.zeros((3, 4))
        expected[i] = h
        np.testing.assert_array_equal(T[i], expected)
    np.testing.assert_allclose(mg.contract(g, T), np.outer(g, h))
    np.testing.assert_allclose(mg.outer(g, h), np.outer(g, h))


def test_jacobian_tensor_matches_finite_differences_of_w_h(rng):
    h, W = rng.normal(size=4), rng.normal(size=(3, 4))
    T = mg.jacobian_tensor(h, 3)
    for i in range(3):
        numerical = mg.numerical_gradient(lambda V, i=i: (V @ h)[i], W)
        np.testing.assert_allclose(T[i], numerical, atol=1e-9)


def test_kronecker_form_of_the_jacobian(rng):
    h, W, g = rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    K = mg.jacobian_kron(h, 3)
    assert K.shape == (3, 12)
    np.testing.assert_allclose(K @ mg.vec(W), W @ h)
    np.testing.assert_allclose(g @ K, mg.vec(np.outer(g, h)))
    np.testing.assert_array_equal(K, np.kron(h[None, :], np.eye(3)))


def test_column_vectors_are_accepted_as_vectors(rng):
    h = rng.normal(size=(4, 1))
    np.testing.assert_array_equal(mg.jacobian_tensor(h, 2), mg.jacobian_tensor(h[:, 0], 2))
