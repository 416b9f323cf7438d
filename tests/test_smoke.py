"""A first end-to-end check; the thorough suites live beside it."""

import numpy as np

import matgrad as mg


def test_backprop_matches_central_differences_and_a_wrong_gradient_fails():
    net = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    assert mg.gradient_check(net, x, y).passed
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "missing_f_prime")
    assert not mg.gradient_check(net, x, y, gradients=wrong).passed
