"""θ: every parameter as one vector, and the gradient flattened the same way."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import criteria


def test_parameter_vector_round_trips_and_matches_the_gradient_layout(problem_4_5_3):
    net, x, y = problem_4_5_3
    theta = mg.parameter_vector(net)
    assert theta.shape == (net.parameter_count,)
    assert theta[:20] == pytest.approx(net.W[1].ravel())
    rebuilt = mg.with_parameter_vector(net, 2 * theta)
    assert rebuilt.W[2] == pytest.approx(2 * net.W[2])
    assert rebuilt.b[1] == pytest.approx(2 * net.b[1])
    gradients = net.gradients(x, y)
    vector = mg.gradient_vector(net, gradients)
    assert vector[20:25] == pytest.approx(gradients.b[1].ravel())


def test_numerical_gradient_vector_agrees_with_backprop(problem_4_5_3):
    net, x, y = problem_4_5_3
    claimed = mg.gradient_vector(net, net.gradients(x, y))
    assert mg.numerical_gradient_vector(net, x, y) == pytest.approx(claimed, rel=1e-7, abs=1e-9)


def test_bad_vectors_raise_value_error(problem_4_5_3):
    net, x, y = problem_4_5_3
    with pytest.raises(ValueError, match="P = 43"):
        mg.with_parameter_vector(net, np.ones(3))
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "h_g_transpose")
    with pytest.raises(ValueError, match=r"W\(1\) must have shape \(5, 4\)"):
        mg.gradient_vector(net, wrong)
    with pytest.raises(ValueError, match="u must have shape"):
        criteria.directional_derivatives(net, x, y, np.ones(4))
