"""A weight used at every step of a recurrent network: its gradient is the sum over the uses."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import shared_weights


@pytest.fixture
def problem():
    rng = np.random.default_rng(7)
    n, p, T = 3, 2, 4
    W, U = 0.8 * rng.normal(size=(n, n)), rng.normal(size=(n, p))
    xs, h0, y = rng.normal(size=(T, p)), rng.normal(size=n), rng.normal(size=n)
    return W, U, xs, h0, y


def test_states_follow_the_recurrence_with_one_w(problem):
    W, U, xs, h0, _ = problem
    states = shared_weights.recurrent_states(W, U, xs, h0)
    assert len(states) == len(xs) + 1 and np.array_equal(states[0], h0)
    for t in range(1, len(states)):
        np.testing.assert_allclose(states[t], np.tanh(W @ states[t - 1] + U @ xs[t - 1]))


def test_the_sum_of_the_terms_is_the_finite_difference_gradient(problem):
    W, U, xs, h0, y = problem
    terms = shared_weights.bptt_terms(W, U, xs, h0, y)
    assert len(terms) == len(xs) and all(term.shape == W.shape for term in terms)
    numeric = mg.numerical_gradient(lambda V: shared_weights.recurrent_cost(V, U, xs, h0, y), W)
    assert mg.relative_error(sum(terms), numeric) < 1e-8
    # Every use contributes: no single term, and no sum missing one, is the gradient.
    for t in range(len(terms)):
        assert mg.relative_error(terms[t], numeric) > 1e-2
        partial = sum(term for s, term in enumerate(terms) if s != t)
        assert mg.relative_error(partial, numeric) > 1e-3


def test_one_step_is_algorithm_6_4_s_weight_line(problem):
    W, U, xs, h0, y = problem
    (term,) = shared_weights.bptt_terms(W, U, xs[:1], h0, y)
    h1 = np.tanh(W @ h0 + U @ xs[0])
    np.testing.assert_allclose(term, np.outer((h1 - y) * (1 - h1**2), h0))
    assert shared_weights.recurrent_cost(W, U, xs[:1], h0, y) == pytest.approx(
        0.5 * np.sum((h1 - y) ** 2)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"W": np.ones((3, 2))}, "W must be a square"),
        ({"U": np.ones((2, 2))}, "U must be n × p"),
        ({"xs": np.ones((4, 3))}, "xs must hold"),
        ({"xs": np.ones(2)}, "xs must hold"),
        ({"h0": np.ones(2)}, "h0 must be a vector"),
        ({"y": np.ones((3, 1))}, "y must be a vector"),
    ],
)
def test_bad_shapes_are_named(problem, change, message):
    arguments = dict(zip(["W", "U", "xs", "h0", "y"], problem, strict=True)) | change
    with pytest.raises(ValueError, match=message):
        shared_weights.bptt_terms(**arguments)


def test_non_finite_input_is_refused(problem):
    W, U, xs, h0, y = problem
    with pytest.raises(ValueError):
        shared_weights.recurrent_cost(W, U, xs, h0 * np.nan, y)
