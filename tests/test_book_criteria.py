"""Other tools' pass rules, in numpy: each checked against what the tool itself decides."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import criteria


def test_cs231n_relative_error_is_elementwise_with_zero_for_two_zeros():
    errors = criteria.cs231n_relative_error([1.0, 0.0, -2.0], [1.1, 0.0, 2.0])
    assert errors == pytest.approx([0.1 / 1.1, 0.0, 2.0])


def test_mml_relative_error_and_allclose_violation():
    assert criteria.mml_relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert criteria.mml_relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    # |1.002 − 1| = 2e-3 > 1e-5 + 1e-3 · 1: allclose fails; 1.0005 passes
    assert criteria.allclose_violation([1.002], [1.0], atol=1e-5, rtol=1e-3) > 0
    assert criteria.allclose_violation([1.0005], [1.0], atol=1e-5, rtol=1e-3) < 0
    with pytest.raises(ValueError, match="one shape"):
        criteria.mml_relative_error([1.0], [1.0, 2.0])


def test_dls_difference_is_the_norm_of_the_difference_over_the_sum_of_the_norms():
    # ‖(3, 0) − (0, 4)‖ = 5, ‖(3, 0)‖ + ‖(0, 4)‖ = 3 + 4: 5/7 (MML's ‖N + A‖ = 5 gives 1)
    assert criteria.dls_difference([3.0, 0.0], [0.0, 4.0]) == pytest.approx(5 / 7)
    assert criteria.mml_relative_error([3.0, 0.0], [0.0, 4.0]) == pytest.approx(1.0)
    # whole arrays of any shape, flattened: ‖(1, 2, 2, 0) − (1, 2, −2, 0)‖ = 4, 3 + 3 = 6
    A = np.array([1.0, 2.0, 2.0, 0.0]).reshape(1, 2, 2)
    N = np.array([1.0, 2.0, -2.0, 0.0]).reshape(1, 2, 2)
    assert criteria.dls_difference(A, N) == pytest.approx(4 / 6)
    assert criteria.dls_difference([1.0, -2.0], [1.0, -2.0]) == 0.0


def test_dls_difference_is_zero_for_two_zeros_and_inf_when_only_the_sum_underflows():
    assert criteria.dls_difference(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    # 1.2e-162² underflows to 0 but 2.4e-162² does not: 0 in the denominator only
    assert criteria.dls_difference([1.2e-162], [-1.2e-162]) == np.inf
    with pytest.raises(ValueError, match="one shape"):
        criteria.dls_difference([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="N must be finite"):
        criteria.dls_difference([1.0], [np.nan])


def test_dls_takes_central_differences_with_its_own_step(problem_4_5_3, monkeypatch):
    net, x, y = problem_4_5_3
    differences = []

    def recording(*args, method, step):
        differences.append((method, step))
        return mg.numerical_gradient_vector(*args, method=method, step=step)

    monkeypatch.setattr(criteria, "numerical_gradient_vector", recording)
    criteria.criteria_verdicts(net, x, y)
    assert ("central", 1e-7) in differences


def test_dls_passes_the_correct_gradient_and_fails_a_wrong_one(problem_4_5_3):
    net, x, y = problem_4_5_3
    A = mg.gradient_vector(net, net.gradients(x, y))
    N = mg.numerical_gradient_vector(net, x, y, method="central", step=1e-7)
    assert criteria.dls_difference(A, N) < 2e-7
    assert criteria.criteria_verdicts(net, x, y)["DLS"]
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "regularized_bias")
    assert criteria.dls_difference(mg.gradient_vector(net, wrong), N) > 1e-3
    assert not criteria.criteria_verdicts(net, x, y, gradients=wrong)["DLS"]


def test_every_criterion_passes_correct_code_but_the_mml_forward_difference(problem_4_5_3):
    net, x, y = problem_4_5_3
    verdicts = criteria.criteria_verdicts(net, x, y)
    assert verdicts == {
        "CS231n": True,
        "MML §5.2": False,  # the O(h) error of a forward difference with h = 1e-4
        "DLS": True,
        "torch gradcheck": True,
        "jax check_grads": True,
        "matgrad": True,
    }


@pytest.mark.parametrize("mistake", ["missing_f_prime", "regularized_bias", "h_g_transpose"])
def test_every_criterion_fails_a_wrong_gradient(problem_4_5_3, mistake):
    net, x, y = problem_4_5_3
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, mistake)
    assert not any(criteria.criteria_verdicts(net, x, y, gradients=wrong).values())


def test_projection_checks_pass_correct_code_and_can_miss_a_small_bug(problem_4_5_3):
    net, x, y = problem_4_5_3
    assert criteria.projection_pass_rate(net, x, y, trials=20) == 1.0
    big = mg.backward_with_mistake(net, net.forward(x, y), y, "sum_for_mean")
    assert criteria.projection_pass_rate(net, x, y, gradients=big, trials=50) == 0.0
    small_net = mg.MLP([4, 5, 3], seed=0, lam=0.01)
    small = mg.backward_with_mistake(small_net, small_net.forward(x, y), y, "regularized_bias")
    rate = criteria.projection_pass_rate(small_net, x, y, gradients=small, trials=100)
    assert 0.05 < rate < 0.9


def test_torch_fast_direction_is_non_negative_with_unit_length():
    u = criteria.torch_fast_direction(10, np.random.default_rng(0))
    assert np.all(u >= 0) and np.linalg.norm(u) == pytest.approx(1.0)


def test_kink_distance_finds_the_pre_activation_nearest_zero():
    W = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0]])]
    b = [np.array([0.0, 0.0]), np.array([0.0])]
    net = mg.MLP.from_weights(W, b, activation="relu", output_activation="identity")
    assert criteria.kink_distance(net, np.array([0.3, -1e-6])) == pytest.approx(1e-6)
    assert criteria.kink_distance(mg.MLP([2, 1]), np.ones(2)) == np.inf
