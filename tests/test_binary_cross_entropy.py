"""Binary cross-entropy: its value, its gradient, its checks and the inputs it refuses."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.functions import get_loss

BCE = get_loss("binary_cross_entropy")
RNG = np.random.default_rng(3)
YHAT = RNG.uniform(0.05, 0.95, size=(2, 4))  # probabilities, two outputs, four examples
Y = np.array([[0.0, 1.0, 1.0, 0.3], [1.0, 0.0, 0.5, 1.0]])


def test_value_is_the_direct_formula_summed_over_output_units():
    direct = -(Y * np.log(YHAT) + (1 - Y) * np.log(1 - YHAT)).sum(axis=0)
    np.testing.assert_allclose(BCE.value(YHAT, Y), direct, rtol=1e-13)
    assert BCE.value(YHAT, Y).shape == (4,)


@pytest.mark.parametrize("method", ["central", "complex"])
def test_gradient_is_the_numerical_gradient_of_the_summed_value(method):
    numerical = mg.numerical_gradient(lambda P: BCE.value(P, Y).sum(), YHAT, method=method)
    np.testing.assert_allclose(BCE.gradient(YHAT, Y), numerical, rtol=1e-7)
    np.testing.assert_allclose(BCE.gradient(YHAT, Y), (YHAT - Y) / (YHAT * (1 - YHAT)))


@pytest.mark.parametrize("method", ["central", "complex"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_check_passes_for_a_sigmoid_output(method, reduction):
    net = mg.MLP(
        [3, 4, 2],
        seed=1,
        activation="tanh",
        output_activation="sigmoid",
        loss="binary_cross_entropy",
        lam=0.1,
        reduction=reduction,
    )
    x = RNG.normal(size=(3, 4))
    report = mg.gradient_check(net, x, Y, method=method)
    assert report.passed, report


def test_sigmoid_output_fuses_lines_1_and_3_into_yhat_minus_y():
    net = mg.MLP([3, 4, 2], seed=2, output_activation="sigmoid", loss="binary_cross_entropy")
    x = RNG.normal(size=(3, 4))
    record = net.forward(x, Y)
    trace = net.backward(record, Y).trace
    assert trace[1].line == 2 and trace[1].k == 2  # g ← ∇a(l) J = g ⊙ f'(a(l))
    np.testing.assert_allclose(trace[1].g, (record.yhat - Y) / 4, rtol=1e-12)


def test_a_wrong_gradient_would_fail():
    # The check can fail: dropping ŷ(1 − ŷ) from the gradient is caught.
    wrong = YHAT - Y
    numerical = mg.numerical_gradient(lambda P: BCE.value(P, Y).sum(), YHAT)
    assert not np.allclose(wrong, numerical, rtol=1e-3)


@pytest.mark.parametrize("bad", [[1.5, 0.0], [-0.1, 1.0]])
def test_targets_outside_0_1_are_refused(bad):
    net = mg.MLP([3, 2], output_activation="sigmoid", loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="binary_cross_entropy needs y with entries between"):
        net.forward(np.ones(3), bad)
    assert np.isfinite(net.forward(np.ones(3), [0.0, 1.0]).J)


@pytest.mark.parametrize("yhat", [0.0, 1.0, -0.5, 2.0, np.inf, 1.0 + 1e-20j])
def test_yhat_outside_0_1_is_refused_not_clipped(yhat):
    bad = np.array([[0.5, yhat]])
    with pytest.raises(ValueError, match="ŷ strictly between 0 and 1"):
        BCE.value(bad, np.ones((1, 2)))
    with pytest.raises(ValueError, match="ŷ strictly between 0 and 1"):
        BCE.gradient(bad, np.ones((1, 2)))


def test_a_nan_from_the_network_flows_on_like_through_the_other_losses():
    yhat = np.array([[0.5, np.nan]])
    for loss in (BCE, get_loss("squared_error")):
        assert np.isnan(loss.value(yhat, np.ones((1, 2)))[1])
        assert np.isnan(loss.gradient(yhat, np.ones((1, 2)))[0, 1])


def test_an_identity_output_is_refused_in_the_books_names():
    net = mg.MLP([3, 2], seed=0, output_activation="identity", loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="output_activation='sigmoid'"):
        net.forward(np.full(3, 4.0), [0.0, 1.0])


def test_complex_values_keep_their_imaginary_part():
    h = 1e-20
    value = BCE.value(YHAT + 1j * h, Y)
    assert np.all(value.imag != 0)
