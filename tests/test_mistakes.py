"""The checker catches every classic backprop bug, and passes the correct algorithm."""

import numpy as np
import pytest

import matgrad as mg


def square_problem(**options):
    # Square layers let h gᵀ and W g run (no shape error), so only the numbers can expose them.
    options = {"seed": 1, "activation": "tanh", "lam": 0.3, "reduction": "mean", **options}
    net = mg.MLP([3, 3, 3], **options)
    rng = np.random.default_rng(3)
    return net, rng.normal(size=(3, 4)), rng.normal(size=(3, 4))


def test_the_correct_algorithm_passes_on_the_problem_used_for_the_mistakes():
    net, x, y = square_problem()
    assert mg.gradient_check(net, x, y).passed


@pytest.mark.parametrize("mistake", sorted(mg.MISTAKES))
def test_every_mistake_fails_the_check(mistake):
    net, x, y = square_problem()
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, mistake)
    report = mg.gradient_check(net, x, y, gradients=wrong)
    assert not report.passed, f"{mistake} slipped through:\n{report}"
    assert report.max_rel_error > 1e3 * report.tolerance


@pytest.mark.parametrize("method", ["forward", "complex"])
def test_mistakes_fail_with_other_methods_too(method):
    net, x, y = square_problem()
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "h_g_transpose")
    assert not mg.gradient_check(net, x, y, method=method, gradients=wrong).passed


def test_which_parameters_each_mistake_breaks():
    net, x, y = square_problem()
    record = net.forward(x, y)

    def failing(mistake):
        report = mg.gradient_check(
            net, x, y, gradients=mg.backward_with_mistake(net, record, y, mistake)
        )
        return {check.name for check in report.checks if not check.passed}

    assert failing("missing_lambda") == {"W(1)", "W(2)"}  # only weights carry λ∇Ω
    assert failing("regularized_bias") == {"b(1)", "b(2)"}
    assert failing("double_lambda") == {"W(1)", "W(2)"}
    assert failing("dropped_transpose") == {"W(1)", "b(1)"}  # wrong only below layer l
    assert failing("sum_for_mean") == {"W(1)", "b(1)", "W(2)", "b(2)"}


def test_non_square_layers_turn_the_transposes_into_shape_errors():
    net = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    x, y = np.ones(3), np.ones(2)
    record = net.forward(x, y)
    wrong = mg.backward_with_mistake(net, record, y, "h_g_transpose")
    report = mg.gradient_check(net, x, y, gradients=wrong)
    assert not report.passed
    assert "shape (4, 2), but W(2) has shape (2, 4)" in report["W(2)"].note
    with pytest.raises(ValueError, match="dropped transpose fails at layer 2"):
        mg.backward_with_mistake(net, record, y, "dropped_transpose")


def test_sum_for_mean_is_invisible_for_one_example_and_exposed_by_a_minibatch():
    net, x, y = square_problem()
    one = mg.backward_with_mistake(net, net.forward(x[:, :1], y[:, :1]), y[:, :1], "sum_for_mean")
    assert mg.gradient_check(net, x[:, :1], y[:, :1], gradients=one).passed
    many = mg.backward_with_mistake(net, net.forward(x, y), y, "sum_for_mean")
    assert not mg.gradient_check(net, x, y, gradients=many).passed


def test_mistake_patterns_show_which_parameters_a_bug_breaks():
    net = mg.MLP([3, 3, 3], seed=1, lam=0.1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    patterns = mg.mistake_patterns(net, x, y, ["regularized_bias", "dropped_transpose"])
    bias = patterns["regularized_bias"]
    assert bias["b(1)"] > 1e-4 and bias["b(2)"] > 1e-4
    assert bias["W(1)"] < 1e-7 and bias["W(2)"] < 1e-7
    dropped = patterns["dropped_transpose"]
    # the top layer's gradients come before the dropped transpose is ever used
    assert dropped["W(2)"] < 1e-7 and dropped["b(2)"] < 1e-7 and dropped["W(1)"] > 1e-3
    wide = mg.MLP([4, 5, 3], seed=0)
    message = mg.mistake_patterns(
        wide, rng.normal(size=4), rng.normal(size=3), ["dropped_transpose"]
    )["dropped_transpose"]
    assert "dropped transpose" in message


def test_an_error_pattern_has_one_relative_error_per_parameter_and_inf_for_a_wrong_shape():
    net = mg.MLP([4, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    assert max(mg.error_pattern(net, x, y).values()) < 1e-7
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "h_g_transpose")
    pattern = mg.error_pattern(net, x, y, gradients=wrong)
    assert list(pattern) == ["W(1)", "b(1)", "W(2)", "b(2)"]
    assert pattern["W(1)"] == pattern["W(2)"] == np.inf and pattern["b(1)"] < 1e-7
