"""Algorithm 6.4 one executed line at a time."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import walkthrough


def test_backward_frames_walk_algorithm_6_4_and_accumulate_gradients():
    frames = walkthrough.backward_frames([3, 4, 2], lam=0.1)
    assert [frame.line for frame in frames] == [0, 2, 3, 4, 5, 2, 3, 4, 5]
    assert frames[0].statement == mg.ALGORITHM_6_4[0].strip()
    assert list(frames[-1].gradients) == ["∇b(2) J", "∇W(2) J", "∇b(1) J", "∇W(1) J"]
    assert frames[3].gradients["∇W(2) J"].shape == (2, 4)
    assert frames[1].gradients == {}


def _square_problem(seed=0):
    net = mg.MLP([3, 3, 3], seed=seed, lam=0.1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(3, 1))
    return net, x, y


def test_the_inverse_backward_pass_is_wrong_below_the_top_layer_only():
    net, x, y = _square_problem()
    record = net.forward(x, y)
    wrong = walkthrough.backward_with_inverse(net, record, y)
    right = net.backward(record, y)
    # the top layer uses no line 6 yet: its gradients are Algorithm 6.4's
    np.testing.assert_allclose(wrong.W[2], right.W[2], rtol=1e-14)
    np.testing.assert_allclose(wrong.b[2], right.b[2], rtol=1e-14)
    assert not np.allclose(wrong.W[1], right.W[1], rtol=1e-3)
    # and its line 6 really inverts W(2): W(2) times the g it passes down is g itself
    g_a2 = right.trace[1].value
    g_a1_wrong = wrong.b[1] / net.f(1).derivative(record.a[1])
    np.testing.assert_allclose(net.W[2] @ g_a1_wrong, g_a2, rtol=1e-10)
    report = mg.gradient_check(net, x, y, gradients=wrong)
    assert [report[name].verdict for name in ("W(2)", "b(2)", "W(1)", "b(1)")] == [
        "PASS",
        "PASS",
        "FAIL",
        "FAIL",
    ]


@pytest.mark.parametrize("widths", [[3, 4, 2], [3, 3, 2]])
def test_the_inverse_backward_pass_refuses_a_non_square_weight(widths):
    net = mg.MLP(widths, seed=0)
    x, y = np.ones((3, 1)), np.ones((2, 1))
    with pytest.raises(ValueError, match=r"W\(\d\) is \d+×\d+: a non-square matrix has no inverse"):
        walkthrough.backward_with_inverse(net, net.forward(x, y), y)


def test_the_inverse_backward_pass_refuses_a_singular_weight():
    W = {1: np.ones((2, 2)), 2: np.eye(2)}
    b = {1: np.zeros((2, 1)), 2: np.zeros((2, 1))}
    net = mg.MLP.from_weights(W, b)
    x, y = np.ones((2, 1)), np.ones((2, 1))
    with pytest.raises(ValueError, match=r"W\(1\) is singular"):
        walkthrough.backward_with_inverse(net, net.forward(x, y), y)


def test_the_pseudo_inverse_backward_pass_fails_on_a_non_square_network():
    # W(2) is 2 × 4: no inverse, but a pseudo-inverse, which is no more the adjoint.
    net = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(2, 1))
    record = net.forward(x, y)
    wrong = walkthrough.backward_with_inverse(net, record, y, pseudo=True)
    g_a2 = net.backward(record, y).trace[1].value
    g_a1_wrong = wrong.b[1] / net.f(1).derivative(record.a[1])
    np.testing.assert_allclose(g_a1_wrong, np.linalg.pinv(net.W[2]) @ g_a2, rtol=1e-10)
    report = mg.gradient_check(net, x, y, gradients=wrong)
    verdicts = [report[name].verdict for name in ("W(2)", "b(2)", "W(1)", "b(1)")]
    assert verdicts == [mg.PASS, mg.PASS, mg.FAIL, mg.FAIL], report
