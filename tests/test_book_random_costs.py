"""Dropout and batch normalization for the random-costs chapter: forward, backward, costs."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import random_costs as rc

TOLERANCE = mg.default_tolerance("central")


def dropout_problem(seed=0, m=5, p=0.5):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(3, m)), rng.normal(size=(2, m))
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    mask = rc.dropout_mask((4, m), p, np.random.default_rng(seed + 1))
    return W1, x, y, W2, p, mask


def batchnorm_problem(seed=0, n=3, m=5):
    rng = np.random.default_rng(seed)
    Z = 2 + 3 * rng.normal(size=(n, m))
    gamma, beta = 1 + rng.random((n, 1)), rng.normal(size=(n, 1))
    return Z, gamma, beta, rng.normal(size=(n, m))


# --- dropout -------------------------------------------------------------------------------


def test_the_mask_keeps_a_unit_with_chance_one_minus_p():
    mask = rc.dropout_mask((200, 500), 0.3, np.random.default_rng(0))
    assert mask.dtype == bool and mask.shape == (200, 500)
    assert abs(mask.mean() - 0.7) < 0.01
    again = np.random.default_rng(0).random((200, 500)) > 0.3  # the chapter's line
    assert np.array_equal(mask, again)


def test_inverted_dropout_scales_the_kept_units_by_one_over_one_minus_p():
    a = np.random.default_rng(1).normal(size=(4, 6))
    mask = np.random.default_rng(2).random((4, 6)) > 0.25
    h = rc.dropout_forward(a, mask, 0.25)
    assert np.allclose(h[mask], np.tanh(a[mask]) / 0.75) and np.all(h[~mask] == 0)
    assert np.allclose(rc.dropout_forward(a, np.ones((4, 6)), 0.0), np.tanh(a))


@pytest.mark.parametrize("p", [1, 1.0, -0.1, 1.5, float("nan")])
def test_a_p_outside_zero_to_one_is_refused_with_the_reason(p):
    with pytest.raises(ValueError, match=r"p, the dropout probability, must satisfy 0 <= p < 1"):
        rc.dropout_mask((2, 2), p, np.random.default_rng(0))


@pytest.mark.parametrize("p", ["0.5", True, None])
def test_a_p_that_is_not_a_number_is_a_type_error(p):
    with pytest.raises(TypeError, match="p, the dropout probability, must be a number"):
        rc.dropout_forward(np.zeros((2, 2)), np.ones((2, 2)), p)


def test_a_fresh_mask_per_call_is_not_a_function():
    W1, x, y, W2, p, _ = dropout_problem()
    J = rc.dropout_cost(x, y, W2, p, rng=np.random.default_rng(1))
    assert J(W1) != J(W1)


def test_a_reseeded_or_fixed_mask_is_a_function_and_the_same_one():
    W1, x, y, W2, p, mask = dropout_problem(seed=0)
    reseeded = rc.dropout_cost(x, y, W2, p, seed=1)  # the seed dropout_problem drew mask with
    fixed = rc.dropout_cost(x, y, W2, p, mask=mask)
    assert reseeded(W1) == reseeded(W1) == fixed(W1)


@pytest.mark.parametrize("seed", range(5))
def test_with_the_mask_fixed_the_dropout_gradient_passes(seed):
    W1, x, y, W2, p, mask = dropout_problem(seed)
    numerical = mg.numerical_gradient(rc.dropout_cost(x, y, W2, p, mask=mask), W1)
    claimed = rc.dropout_backward(W1, x, y, W2, p, mask)
    assert mg.relative_error(claimed, numerical) < TOLERANCE


def test_complex_step_goes_through_the_fixed_mask_cost():
    W1, x, y, W2, p, mask = dropout_problem(seed=3)
    J = rc.dropout_cost(x, y, W2, p, mask=mask)
    claimed = rc.dropout_backward(W1, x, y, W2, p, mask)
    assert mg.relative_error(claimed, mg.numerical_gradient(J, W1, method="complex")) < 1e-13


@pytest.mark.parametrize("seed", range(5))
def test_with_a_fresh_mask_per_call_the_correct_gradient_fails(seed):
    W1, x, y, W2, p, mask = dropout_problem(seed)
    claimed = rc.dropout_backward(W1, x, y, W2, p, mask)
    J = rc.dropout_cost(x, y, W2, p, rng=np.random.default_rng(seed + 1))
    assert mg.relative_error(claimed, mg.numerical_gradient(J, W1)) > 0.5


def test_forgetting_the_mask_in_the_backward_pass_fails_with_the_mask_fixed():
    W1, x, y, W2, p, mask = dropout_problem(seed=0)
    numerical = mg.numerical_gradient(rc.dropout_cost(x, y, W2, p, mask=mask), W1)
    wrong = rc.dropout_backward(W1, x, y, W2, p, mask, forget_mask=True)
    assert mg.relative_error(wrong, numerical) > 1e-2
    # Without dropout (p = 0, nothing dropped) the bug changes nothing: it is the mask's term.
    keep = np.ones_like(mask)
    assert np.allclose(
        rc.dropout_backward(W1, x, y, W2, 0.0, keep, forget_mask=True),
        rc.dropout_backward(W1, x, y, W2, 0.0, keep),
    )


def test_dropout_cost_takes_exactly_one_source_of_the_mask():
    _, x, y, W2, p, mask = dropout_problem()
    with pytest.raises(ValueError, match="exactly one source"):
        rc.dropout_cost(x, y, W2, p)
    with pytest.raises(ValueError, match="got rng, mask"):
        rc.dropout_cost(x, y, W2, p, rng=np.random.default_rng(0), mask=mask)
    with pytest.raises(TypeError, match=r"np\.random\.Generator"):
        rc.dropout_cost(x, y, W2, p, rng=0)
    with pytest.raises(ValueError, match=r"shape \(4, 5\) of a\(1\)"):
        rc.dropout_cost(x, y, W2, p, mask=mask[:, :2])
    with pytest.raises(ValueError, match="booleans or 0s and 1s"):
        rc.dropout_cost(x, y, W2, p, mask=2 * mask)
    with pytest.raises(ValueError, match=r"y must have the shape \(n2, m\)"):
        rc.dropout_cost(x, y[:, :2], W2, p, mask=mask)


# --- batch normalization -------------------------------------------------------------------


def test_training_mode_normalizes_each_feature_over_the_batch():
    Z, gamma, beta, _ = batchnorm_problem()
    record = rc.batchnorm_train_forward(Z, gamma, beta)
    assert np.allclose(record.z_hat.mean(axis=1), 0)
    assert np.allclose(record.z_hat.var(axis=1), record.var[:, 0] / (record.var[:, 0] + 1e-5))
    assert np.allclose(record.out, gamma * record.z_hat + beta)


@pytest.mark.parametrize("seed, n, m", [(0, 3, 5), (1, 2, 2), (2, 4, 7), (3, 1, 3)])
def test_the_training_mode_backward_pass_agrees_with_finite_differences(seed, n, m):
    Z, gamma, beta, T = batchnorm_problem(seed, n, m)
    record = rc.batchnorm_train_forward(Z, gamma, beta)
    claimed = rc.batchnorm_train_backward(record.out - T, gamma, record)
    J = rc.batchnorm_cost(T, gamma, beta)
    # Complex step subtracts nothing, so even m = 2 is checked tightly, where the gradient is
    # tiny (ẑ = ±1 for any Z, up to ε) and central differences drown it in rounding.
    assert mg.relative_error(claimed, mg.numerical_gradient(J, Z, method="complex")) < 1e-10
    if m > 2:
        assert mg.relative_error(claimed, mg.numerical_gradient(J, Z)) < TOLERANCE
    # Shifting a feature's row does not change training mode's output: each row sums to 0.
    assert np.allclose(claimed.sum(axis=1), 0, atol=1e-12)


def test_holding_the_batch_statistics_constant_fails_in_training_mode():
    Z, gamma, beta, T = batchnorm_problem()
    record = rc.batchnorm_train_forward(Z, gamma, beta)
    constant = rc.batchnorm_eval_backward(record.out - T, gamma, record.var)
    numerical = mg.numerical_gradient(rc.batchnorm_cost(T, gamma, beta), Z)
    assert mg.relative_error(constant, numerical) > 0.1


def test_in_evaluation_mode_the_simple_gradient_passes():
    Z, gamma, beta, T = batchnorm_problem()
    running = rc.RunningStatistics(np.full((3, 1), 2.0), np.full((3, 1), 9.0))
    out = rc.batchnorm_eval(Z, gamma, beta, running)
    assert np.allclose(out, gamma * (Z - 2) / np.sqrt(9 + 1e-5) + beta)
    claimed = rc.batchnorm_eval_backward(out - T, gamma, running.var)
    J = rc.batchnorm_cost(T, gamma, beta, mode="evaluation", running=running)
    assert mg.relative_error(claimed, mg.numerical_gradient(J, Z)) < TOLERANCE
    assert running.updates == 0 and np.all(running.mean == 2.0)


def test_a_cost_that_updates_the_state_it_reads_is_not_a_function():
    Z, gamma, beta, T = batchnorm_problem()
    running = rc.RunningStatistics.start(3)
    J = rc.batchnorm_cost(T, gamma, beta, mode="evaluation", running=running, update=True)
    assert J(Z) != J(Z) and running.updates == 2
    claimed = rc.batchnorm_eval_backward(
        rc.batchnorm_eval(Z, gamma, beta, running) - T, gamma, running.var
    )
    assert mg.relative_error(claimed, mg.numerical_gradient(J, Z)) > 0.5


def test_training_mode_updates_state_that_its_cost_does_not_read():
    Z, gamma, beta, T = batchnorm_problem()
    running = rc.RunningStatistics.start(3)
    J = rc.batchnorm_cost(T, gamma, beta, running=running, update=True)
    assert J(Z) == J(Z)
    assert running.updates == 2
    record = rc.batchnorm_train_forward(Z, gamma, beta)
    assert np.allclose(running.mean, (1 - 0.9**2) * record.mean)  # from 0, momentum 0.1


def test_batchnorm_refuses_what_it_cannot_normalize():
    Z, gamma, beta, T = batchnorm_problem()
    with pytest.raises(ValueError, match="m >= 2 examples"):
        rc.batchnorm_train_forward(Z[:, :1], gamma, beta)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3, 1\)"):
        rc.batchnorm_train_forward(Z, gamma.ravel(), beta)
    with pytest.raises(ValueError, match="mode must be 'training' or 'evaluation'"):
        rc.batchnorm_cost(T, gamma, beta, mode="eval")
    with pytest.raises(ValueError, match="need the layer's running statistics"):
        rc.batchnorm_cost(T, gamma, beta, mode="evaluation")
    with pytest.raises(ValueError, match=r"T must have the shape \(3, 5\)"):
        rc.batchnorm_cost(T[:, :2], gamma, beta)(Z)
    record = rc.batchnorm_train_forward(Z, gamma, beta)
    with pytest.raises(ValueError, match="dout must have the shape"):
        rc.batchnorm_train_backward(T[:, :2], gamma, record)
