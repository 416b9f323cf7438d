"""An independent oracle: autograd (not ours) differentiates the same cost, written afresh."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given
from hypothesis import strategies as st

import matgrad as mg
from matgrad.book.examples import example_problem

ACTIVATIONS = {
    "identity": lambda a: a,
    "tanh": anp.tanh,
    "sigmoid": lambda a: 1 / (1 + anp.exp(-a)),
    "relu": lambda a: anp.maximum(a, 0.0),
}


def oracle_cost(params, x, y, l, f, f_out, loss, reduction, lam, regularizer):  # noqa: E741
    """J written directly from the book's definitions, with nothing shared with matgrad."""
    h = x
    for k in range(1, l + 1):
        a = anp.dot(params[f"W{k}"], h) + params[f"b{k}"]
        h = (f_out if k == l else f)(a)
    if loss == "squared_error":
        per_example = 0.5 * anp.sum((h - y) ** 2, axis=0)
    else:
        z = h - anp.max(h, axis=0)
        per_example = -anp.sum(y * (z - anp.log(anp.sum(anp.exp(z), axis=0))), axis=0)
    L = anp.mean(per_example) if reduction == "mean" else anp.sum(per_example)
    weights = [params[f"W{k}"] for k in range(1, l + 1)]
    if regularizer == "l2":
        Omega = sum(0.5 * anp.sum(W**2) for W in weights)
    elif regularizer == "l1":
        Omega = sum(anp.sum(anp.abs(W)) for W in weights)
    else:
        Omega = 0.0
    return L + lam * Omega


@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    m=st.integers(1, 4),
    seed=st.integers(0, 1000),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(["squared_error", "softmax_cross_entropy"]),
    reduction=st.sampled_from(["mean", "sum"]),
    lam=st.floats(0.0, 1.0),
    regularizer=st.sampled_from(["none", "l2", "l1"]),
)
def test_backprop_matches_autograd_on_random_networks(
    widths, m, seed, activation, loss, reduction, lam, regularizer
):
    output = "identity" if loss == "softmax_cross_entropy" else activation
    net, x, y = example_problem(
        widths,
        m=m,
        seed=seed,
        activation=activation,
        output_activation=output,
        loss=loss,
        reduction=reduction,
        lam=lam,
        regularizer=regularizer,
    )
    params = {f"{name}{k}": net.parameter(name, k) for name, k in net.parameters()}
    settings = (net.l, ACTIVATIONS[activation], ACTIVATIONS[output], loss, reduction, lam)
    expected = grad(oracle_cost)(params, x, y, *settings, regularizer)
    J = oracle_cost(params, x, y, *settings, regularizer)
    record = net.forward(x, y)
    assert record.J == pytest.approx(J, rel=1e-12, abs=1e-12)
    gradients = net.backward(record, y)
    for name, k in net.parameters():
        np.testing.assert_allclose(
            gradients.parameter(name, k), expected[f"{name}{k}"], rtol=1e-9, atol=1e-12
        )


def test_the_oracle_knows_every_activation_of_the_library():
    # A new activation in matgrad.functions needs its autograd twin here to be tested at all.
    assert set(ACTIVATIONS) == set(mg.ACTIVATIONS)
