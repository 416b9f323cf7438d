"""Forward, central and complex-step differences, and their default steps."""

import numpy as np
import pytest

import matgrad as mg


def cubic(X):
    # f(X) = Σ sin(X) X², gradient cos(X) X² + 2 X sin(X): analytic, so complex step applies.
    return np.sum(np.sin(X) * X**2)


def cubic_gradient(X):
    return np.cos(X) * X**2 + 2 * X * np.sin(X)


X = np.array([[0.3, -1.2, 2.0], [0.7, 0.0, -0.4]])


@pytest.mark.parametrize(
    ("method", "tolerance"), [("forward", 1e-6), ("central", 1e-9), ("complex", 1e-15)]
)
def test_each_method_approximates_the_gradient_to_its_expected_accuracy(method, tolerance):
    numerical = mg.numerical_gradient(cubic, X, method=method)
    assert numerical.shape == X.shape
    assert mg.relative_error(cubic_gradient(X), numerical) < tolerance


def test_default_steps_follow_the_theory():
    eps = np.finfo(np.float64).eps
    assert mg.default_step("forward") == pytest.approx(np.sqrt(eps))
    assert mg.default_step("central") == pytest.approx(np.cbrt(eps))
    assert mg.default_step("complex") <= 1e-15
    assert mg.default_step("central", np.float32) == pytest.approx(np.cbrt(np.finfo("f4").eps))


def test_a_step_that_is_too_large_or_too_small_degrades_central_differences():
    exact = cubic_gradient(X)
    best = mg.relative_error(exact, mg.numerical_gradient(cubic, X))
    too_large = mg.relative_error(exact, mg.numerical_gradient(cubic, X, step=1e-1))
    too_small = mg.relative_error(exact, mg.numerical_gradient(cubic, X, step=1e-13))
    assert best < 1e-9 < too_small and best < 1e-9 < too_large


def test_complex_step_is_exact_for_any_tiny_step():
    for step in (1e-10, 1e-20, 1e-100):
        numerical = mg.numerical_gradient(cubic, X, method="complex", step=step)
        assert mg.relative_error(cubic_gradient(X), numerical) < 1e-15


def test_complex_step_refuses_a_function_that_drops_the_imaginary_part():
    with pytest.raises(ValueError, match="imaginary part"):
        mg.numerical_gradient(lambda V: float(np.sum(V.real**2)), X, method="complex")


def test_complex_step_refuses_a_function_marked_non_analytic():
    def f(V):
        return np.sum(V)

    f.analytic, f.reason = False, "it has a kink"
    with pytest.raises(ValueError, match=r"analytic.*it has a kink"):
        mg.numerical_gradient(f, X, method="complex")


def test_parameter_gradient_matches_backprop():
    net = mg.MLP([3, 4, 2], seed=0, lam=0.2)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    numerical = mg.parameter_gradient(net, x, y, "W", 2, method="complex")
    np.testing.assert_allclose(numerical, net.gradients(x, y).W[2], rtol=1e-12, atol=1e-15)
    cost = mg.ParameterCost(net, x, y, "b", 1)
    assert cost(net.b[1]) == pytest.approx(net.cost(x, y))
    assert cost.analytic
