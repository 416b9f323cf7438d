"""Bad input gets a clear error: the right type, and a message saying what was expected."""

import re

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import examples

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
    report = mg.gradient_check(mg.MLP([3, 2], regularizer="l1", lam=0.0), X, Y, method="complex")
    assert report.passed, report


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


# --- odd inputs (issue 12, point 3) ---------------------------------------------------------
# Each call below used to raise something other than ValueError/TypeError (AttributeError,
# KeyError, IndexError, MemoryError, numpy's own text) or to return a silently wrong answer.

# np.matrix is what these tests feed in on purpose; numpy's advice against it is not news here.
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")

OTHER_RECORD = mg.MLP([3, 5, 2]).forward(X, Y)  # a record of another network
RECORD = NET.forward(X, Y)


def _masked(array):
    return np.ma.masked_array(array, mask=np.zeros(np.shape(array), dtype=bool))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # the seed (an np.matrix seed crashed the interpreter inside numpy) and the widths
        (lambda: mg.MLP([3, 2], seed=np.matrix([[1]])), TypeError, "seed must be a whole number"),
        (lambda: mg.MLP([3, 2], seed=-1), ValueError, "seed must be a whole number >= 0"),
        (lambda: mg.MLP([3, 10**12]), ValueError, r"widths \[3, 1000000000000\] need P = "),
        (lambda: mg.MLP([3, 2**70]), ValueError, r"widths \[3, 1180591620717411303424\] need P"),
        (lambda: mg.MLP([10**30, 1, 1]), ValueError, "widths .* need P = about 10"),
        (lambda: mg.MLP([3, 2], dtype="abc"), TypeError, "dtype must be float32 or float64"),
        (lambda: mg.MLP([3, 2], dtype=np.ones(3)), TypeError, "dtype must be float32 or float64"),
        (lambda: mg.MLP([3, 2], lam=10**400), ValueError, "lam must be a finite number"),
        (lambda: mg.MLP([3, 2], lam=np.float16), TypeError, "lam must be a real number"),
        # explicit weights
        (
            lambda: mg.MLP.from_weights({1: np.ones((2, 3)), "2": np.ones((2, 2))}, [1, 2]),
            ValueError,
            "W as a dict must be keyed 1..l",
        ),
        (
            lambda: mg.MLP.from_weights({0: np.ones((2, 3))}, {0: np.ones(2)}),
            ValueError,
            "W as a dict must be keyed 1..l .layers are numbered from 1",
        ),
        # the network and the record that Algorithm 6.4 reads
        (lambda: mg.forward(None, X, Y), TypeError, "net must be a network"),
        (lambda: mg.backward("net", RECORD, Y), TypeError, "net must be a network"),
        (lambda: mg.backward(NET, None, Y), TypeError, "record must be the ForwardRecord"),
        (lambda: NET.backward(OTHER_RECORD, Y), ValueError, "record does not fit this network"),
        (
            lambda: NET.backward(mg.MLP([3, 4, 4, 2]).forward(X, Y), Y),
            ValueError,
            "record does not fit this network: its h.k. have widths 3-4-4-2",
        ),
        (
            lambda: mg.backward_with_mistake(None, RECORD, Y, "missing_lambda"),
            TypeError,
            "net must be a network",
        ),
        (
            lambda: mg.backward_with_mistake(NET, "record", Y, "missing_lambda"),
            TypeError,
            "record must be the ForwardRecord",
        ),
        (
            lambda: mg.backward_with_mistake(NET, OTHER_RECORD, Y, "missing_lambda"),
            ValueError,
            "record does not fit this network",
        ),
        # the network's other methods
        (lambda: NET.check_target(Y, np.ones(3)), TypeError, r"m \(the number of examples\)"),
        (lambda: NET.f(np.ones(3)), ValueError, r"layer k must be a whole number in 1..2"),
        (lambda: NET.gradients(X, Y).parameter("W", 3), ValueError, "layer k must be .* got 3"),
        (lambda: NET.gradients(X, Y).parameter("b", None), ValueError, "layer k must be"),
        (lambda: NET.reduce(None), TypeError, r"L_i \(the per-example losses\) must be"),
        (lambda: NET.reduce(np.array(1.0)), ValueError, r"L_i \(the per-example losses\)"),
        (lambda: NET.reduce(np.ones(3, dtype=object)), ValueError, "L_i .* Python objects"),
        (lambda: NET.output_gradient(1.0, Y), ValueError, r"ŷ must have shape \(2,\)"),
        (lambda: NET.output_gradient(np.ones((2, 1)), _masked(Y)), TypeError, "y is a masked"),
        (
            lambda: NET.with_parameter("W", 1, [[1.0, 2.0], [3.0]]),
            ValueError,
            r"W\(1\) must be a numeric array, .*ragged",
        ),
        (lambda: NET.with_parameter("W", 1, np.full((4, 3), np.nan)), ValueError, r"W\(1\) must"),
        (lambda: NET.with_parameter("b", 2, _masked(np.ones((2, 1)))), TypeError, r"b\(2\) is a"),
        # the matrix calculus
        (lambda: mg.unvec(np.ones(6), ()), ValueError, r"shape must be a pair \(p, q\)"),
        (lambda: mg.unvec(np.ones(6), None), TypeError, r"shape must be a pair \(p, q\)"),
        (lambda: mg.unvec(np.ones(6), {2, 3}), TypeError, r"shape must be a pair \(p, q\)"),
        (lambda: mg.jacobian_tensor(X, 10**30), ValueError, "Jacobian of a = W h for n_out"),
        (lambda: mg.jacobian_kron(X, 10**12), ValueError, "Jacobian of a = W h for n_out"),
        (lambda: mg.vec(np.matrix(np.ones((2, 3)))), TypeError, "A is an np.matrix"),
        (lambda: mg.outer(np.ones(2, dtype=np.float16), X), ValueError, "g is float16"),
        # layouts and softmax
        (lambda: mg.to_rows(np.matrix(np.ones((2, 3)))), TypeError, "batch is an np.matrix"),
        (
            lambda: mg.linear("column", np.ones((2, 3)), _masked(np.ones((3, 4)))),
            TypeError,
            "inputs is a masked array",
        ),
        (lambda: mg.softmax(None), TypeError, "z must be a numeric array"),
        (lambda: mg.softmax(np.array(1.0)), ValueError, r"z must be logits of shape \(n,\)"),
        (lambda: mg.softmax(_masked(np.ones(3))), TypeError, "z is a masked array"),
        (lambda: mg.softmax(np.ones(3, dtype=np.float16)), ValueError, "z is float16"),
        # the widths box of the gradient checker
        (lambda: examples.parse_widths("-3-2"), ValueError, r"cannot be negative \(-3\)"),
        (lambda: examples.parse_widths("3, -2"), ValueError, r"cannot be negative \(-2\)"),
        (lambda: examples.parse_widths("3--2"), ValueError, "cannot be negative"),
        (lambda: examples.parse_widths("3-2-"), ValueError, "separator at the start or end"),
        (lambda: examples.parse_widths(",3,2"), ValueError, "separator at the start or end"),
        (lambda: examples.parse_widths("3,,2"), ValueError, "two in a row"),
    ],
)
def test_odd_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    assert type(raised.value) in (ValueError, TypeError)  # not a subclass such as AxisError


ODD_ARRAYS = {
    "np.matrix": (
        lambda a: np.matrix(a if a.ndim == 2 else a[:, None]),
        TypeError,
        r"{name} is an np.matrix: pass np.asarray\({name}\)",
    ),
    "masked": (_masked, TypeError, r"{name} is a masked array .* masked entries"),
    "float16": (
        lambda a: a.astype(np.float16),
        ValueError,
        r"{name} is float16, .* {name}.astype\(np.float32\)",
    ),
    "object": (lambda a: a.astype(object), ValueError, "{name} must be a numeric array"),
}

ROLES = {
    "x": lambda odd: NET.forward(odd(np.ones(3)), Y),
    "y": lambda odd: NET.forward(X, odd(np.ones(2))),
    "W(1)": lambda odd: mg.MLP.from_weights([odd(np.ones((4, 3)))], [np.ones(4)]),
    "b(1)": lambda odd: mg.MLP.from_weights([np.ones((4, 3))], [odd(np.ones(4))]),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ODD_ARRAYS)
def test_matrix_masked_float16_and_object_arrays_are_refused(kind, role):
    convert, error, message = ODD_ARRAYS[kind]
    with pytest.raises(error, match=message.format(name=re.escape(role))):
        ROLES[role](convert)


def test_np_matrix_input_no_longer_gives_a_wrong_cost_when_n_l_equals_m():
    # With n_l = m = 2, np.matrix x and y used to give J as a 1×1 matrix of the wrong value:
    # (ŷ − y) * (ŷ − y) is a matrix product under np.matrix semantics.
    net = mg.MLP([2, 2], seed=0)
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    with pytest.raises(TypeError, match=r"x is an np\.matrix"):
        net.forward(np.matrix(x), y)
    with pytest.raises(TypeError, match=r"y is an np\.matrix"):
        net.forward(x, np.matrix(y))
    with pytest.raises(TypeError, match="x is a masked array"):
        net.forward(np.ma.masked_array(x, mask=[[0, 1], [0, 0]]), y)


def test_array_likes_are_still_coerced():
    # Lists, integer and boolean arrays are converted, not refused: the same J as floats.
    J = NET.forward(np.array([1.0, 0.0, 1.0]), Y).J
    assert NET.forward([1, 0, 1], [1, 1]).J == J
    assert NET.forward(np.array([True, False, True]), (1.0, 1.0)).J == J
    assert NET.forward(np.array([1, 0, 1], dtype=np.int8), Y).J == J
    W, b = [NET.W[1].tolist(), NET.W[2].tolist()], [NET.b[1].ravel().tolist(), [0, 0]]
    assert mg.MLP.from_weights(W, b).W[1].dtype == np.float64
    assert examples.parse_widths("3 - 4 - 2") == examples.parse_widths("3 4 2") == [3, 4, 2]
