"""Bad input gets a clear error: the right type, and a message saying what was expected."""

import numpy as np
import pytest

import matgrad as mg

NET = mg.MLP([3, 4, 2], seed=0, lam=0.1)
X, Y = np.ones(3), np.ones(2)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # the input and the target
        (lambda: NET.forward(np.ones(4), Y), ValueError, r"x must have shape \(3,\)"),
        (lambda: NET.forward(np.ones((3, 2, 1)), Y), ValueError, r"got shape \(3, 2, 1\)"),
        (lambda: NET.forward(X, np.ones(3)), ValueError, r"y must have shape \(2,\)"),
        (
            lambda: NET.forward(np.ones((3, 4)), np.ones((2, 5))),
            ValueError,
            r"x holds 4 examples \(columns\) but y holds 5",
        ),
        (lambda: NET.forward([1.0, np.nan, 2.0], Y), ValueError, "x must be finite"),
        (lambda: NET.forward(X, [np.inf, 0.0]), ValueError, "y must be finite"),
        (lambda: NET.forward(["a", "b", "c"], Y), ValueError, "x must be a numeric array"),
        (lambda: NET.forward([[1.0], [2.0, 3.0]], Y), ValueError, "x must be a numeric array"),
        (lambda: NET.forward(np.ones(3) + 1j, Y), ValueError, "x must be real"),
        # the architecture
        (lambda: mg.MLP([3, 0, 2]), ValueError, r"widths\[1\] must be a whole number >= 1"),
        (lambda: mg.MLP([3, -1]), ValueError, r"widths\[1\] must be a whole number >= 1"),
        (lambda: mg.MLP([3, 2.5]), TypeError, r"widths\[1\] must be a whole number"),
        (lambda: mg.MLP([3, True]), TypeError, r"widths\[1\] must be a whole number"),
        (lambda: mg.MLP([3]), ValueError, "at least an input and an output width"),
        (lambda: mg.MLP("34"), TypeError, "widths must be a list"),
        (lambda: mg.MLP([3, 2], dtype=np.int32), ValueError, "dtype must be float32 or float64"),
        (lambda: mg.MLP([3, 2], activation="softplus"), ValueError, "unknown activation"),
        (lambda: mg.MLP([3, 2], loss="hinge"), ValueError, "unknown loss 'hinge'"),
        (lambda: mg.MLP([3, 2], regularizer="l3"), ValueError, "unknown regularizer"),
        (lambda: mg.MLP([3, 2], reduction="max"), ValueError, "unknown reduction 'max'"),
        (lambda: mg.MLP([3, 2], lam=-0.1), ValueError, "lam must be a finite number >= 0"),
        (lambda: mg.MLP([3, 2], lam=float("nan")), ValueError, "lam must be a finite number"),
        (lambda: mg.MLP([3, 2], lam="big"), TypeError, "lam must be a real number"),
        # explicit weights
        (
            lambda: mg.MLP.from_weights(
                [np.ones((4, 3)), np.ones((2, 5))], [np.ones(4), np.ones(2)]
            ),
            ValueError,
            "weights do not chain: W\\(2\\) has 5 columns but W\\(1\\) has 4 rows",
        ),
        (
            lambda: mg.MLP.from_weights([np.ones((4, 3))], [np.ones(3)]),
            ValueError,
            r"b\(1\) must have shape \(4,\) or \(4, 1\)",
        ),
        (
            lambda: mg.MLP.from_weights([np.ones((4, 3))], [np.ones(4), np.ones(2)]),
            ValueError,
            "need one bias per weight matrix",
        ),
        (
            lambda: mg.MLP.from_weights([np.full((2, 2), np.nan)], [np.ones(2)]),
            ValueError,
            r"W\(1\) must be finite",
        ),
        (lambda: mg.MLP.from_weights([np.ones(3)], [np.ones(1)]), ValueError, "non-empty matrix"),
        (lambda: mg.MLP.from_weights([], []), ValueError, "at least one layer"),
        (lambda: mg.MLP.from_weights({2: np.ones((2, 2))}, {2: np.ones(2)}), ValueError, "1..l"),
        # parameters and layers
        (lambda: NET.parameter("V", 1), ValueError, "unknown parameter 'V'"),
        (lambda: NET.parameter("W", 3), ValueError, r"layer k must be a whole number in 1..2"),
        (lambda: NET.parameter("W", 0), ValueError, r"in 1..2, got 0"),
        (lambda: NET.with_parameter("W", 1, np.ones((3, 4))), ValueError, "must keep its shape"),
        # finite differences and the checker
        (lambda: mg.gradient_check(NET, X, Y, method="backward"), ValueError, "unknown method"),
        (lambda: mg.gradient_check(NET, X, Y, step=0.0), ValueError, "step must be > 0"),
        (lambda: mg.gradient_check(NET, X, Y, step=-1e-6), ValueError, "step must be a finite"),
        (
            lambda: mg.gradient_check(NET, X, Y, tolerance=0),
            ValueError,
            "tolerance must be a relative error between 0 and 1",
        ),
        (lambda: mg.numerical_gradient(np.sum, X, step=np.inf), ValueError, "step must be a"),
        (lambda: mg.default_step("secant"), ValueError, "unknown method 'secant'"),
        (lambda: mg.relative_error(np.ones(2), np.ones(3)), ValueError, "one shape"),
        # calculus and the bug zoo
        (lambda: mg.frobenius(np.ones((2, 3)), np.ones((3, 2))), ValueError, "one shape"),
        (lambda: mg.vec(np.ones(3)), ValueError, "vec needs a matrix"),
        (lambda: mg.unvec(np.ones(5), (2, 3)), ValueError, "cannot fill a 2×3 matrix"),
        (lambda: mg.jacobian_tensor(np.ones((2, 2)), 3), ValueError, "h must be a vector"),
        (lambda: mg.jacobian_kron(np.ones(2), 0), ValueError, "n_out must be a whole number"),
        (lambda: mg.contract(np.ones(2), np.ones((3, 2, 2))), ValueError, "T must have shape"),
        (
            lambda: mg.backward_with_mistake(NET, NET.forward(X, Y), Y, "typo"),
            ValueError,
            "unknown mistake 'typo'",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_complex_step_is_refused_for_relu_with_the_reason():
    net = mg.MLP([3, 2], activation="relu")
    with pytest.raises(ValueError, match="complex step needs an analytic cost: ReLU has a kink"):
        mg.gradient_check(net, X, Y, method="complex")
    with pytest.raises(ValueError, match="ReLU"):
        mg.parameter_gradient(net, X, Y, "W", 1, method="complex")


def test_complex_step_is_refused_for_l1_only_when_it_is_switched_on():
    with pytest.raises(ValueError, match="L1 norm"):
        mg.gradient_check(mg.MLP([3, 2], regularizer="l1", lam=0.1), X, Y, method="complex")
    assert mg.gradient_check(mg.MLP([3, 2], regularizer="l1", lam=0.0), X, Y, method="complex")


def test_softmax_targets_must_be_probability_columns():
    net = mg.MLP([3, 2], output_activation="identity", loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match="one-hot"):
        net.forward(X, [0.5, 0.2])
    with pytest.raises(ValueError, match="entries >= 0"):
        net.forward(X, [1.5, -0.5])
    assert np.isfinite(net.forward(X, [0.0, 1.0]).J)


def test_nothing_is_silently_broadcast():
    # A (2, 1) target for a batch of three would broadcast in numpy; here it is refused.
    with pytest.raises(ValueError, match="x holds 3 examples"):
        NET.forward(np.ones((3, 3)), np.ones((2, 1)))
