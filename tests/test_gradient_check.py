"""The checker: relative error, tolerances, the report, and its verdicts."""

import numpy as np
import pytest

import matgrad as mg


@pytest.fixture
def problem():
    net = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(3, 4)), rng.normal(size=(2, 4))


def test_relative_error_definition():
    A = np.array([[1.0, -2.0], [0.5, 0.0]])
    N = A + np.array([[0.0, 0.02], [0.0, 0.0]])
    assert mg.relative_error(A, N) == pytest.approx(0.02 / (2.0 + 1.98))  # max|N| = 1.98
    assert mg.relative_error(A, A) == 0.0
    assert mg.relative_error(A, N) == mg.relative_error(N, A)
    assert mg.relative_error(1e-9 * A, 1e-9 * N) == pytest.approx(mg.relative_error(A, N))
    assert mg.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert mg.relative_error(np.zeros(3), np.ones(3)) == 1.0


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
def test_correct_backprop_passes_every_method(problem, method):
    net, x, y = problem
    report = mg.gradient_check(net, x, y, method=method)
    assert report.passed, report
    assert report.method == method and report.step == mg.default_step(method)
    assert report.max_rel_error == max(check.rel_error for check in report.checks)
    assert report.max_rel_error < report.tolerance / 10


def test_report_reads_well_and_indexes_by_name(problem):
    net, x, y = problem
    report = mg.gradient_check(net, x, y)
    text = repr(report)
    for name in ("W(1)", "b(1)", "W(2)", "b(2)"):
        assert name in text
        assert report[name].name == name
    # Each row carries its parameter's key beside its label: no label to parse back.
    assert [check.key for check in report.checks] == list(net.parameters())
    assert "key" not in repr(report.checks[0])  # the name says it
    assert text.startswith("Gradient check: PASS") and "4×3" in text and "2×1" in text
    assert "<table>" in report._repr_html_()
    with pytest.raises(KeyError, match="W\\(3\\)"):
        report["W(3)"]
    np.testing.assert_allclose(report["W(2)"].numerical, report["W(2)"].claimed, rtol=1e-6)


def test_a_hand_written_wrong_gradient_fails_and_says_where(problem):
    net, x, y = problem
    right = net.gradients(x, y)
    wrong = mg.Gradients(W=dict(right.W), b=dict(right.b))
    wrong.W[2] = right.W[2] * 1.01
    report = mg.gradient_check(net, x, y, gradients=wrong)
    assert not report.passed
    assert [check.passed for check in report.checks] == [True, True, False, True]
    assert "FAIL" in repr(report)


def test_a_wrongly_shaped_gradient_fails_with_a_note(problem):
    net, x, y = problem
    right = net.gradients(x, y)
    wrong = mg.Gradients(W={1: right.W[1].T, 2: right.W[2]}, b=right.b)
    report = mg.gradient_check(net, x, y, gradients=wrong)
    assert not report.passed and report["W(1)"].rel_error == np.inf
    assert "shape (3, 4), but W(1) has shape (4, 3)" in report["W(1)"].note
    # The one-line summary says what is wrong, not "relative error inf".
    assert report.summary().startswith(
        "FAIL: the claimed gradient of W(1) has shape (3, 4), but W(1) has shape (4, 3)"
    ), report.summary()


def test_each_parameter_is_judged_by_the_tolerance_plus_what_the_check_cannot_see(problem):
    net, x, y = problem
    report = mg.gradient_check(net, x, y, method="forward", tolerance=1e-12)
    assert report.tolerance == 1e-12
    for check in report.checks:
        assert check.tolerance > check.uncertainty > 0
        assert check.tolerance == pytest.approx(1e-12 + check.uncertainty, rel=1e-6)
        assert check.verdict == ("PASS" if check.rel_error <= check.tolerance else "FAIL")


@pytest.mark.parametrize("method", ["forward", "central"])
def test_a_step_chosen_too_large_gives_no_false_verdict(problem, method):
    # Truncation error grows with the step; the estimate from a second step at twice the
    # size puts it in each tolerance, so correct code never fails and a PASS still covers
    # the error actually made, while a 5 % error is caught or declared unresolved.
    net, x, y = problem
    right = net.gradients(x, y)
    wrong = mg.Gradients(W=dict(right.W), b=dict(right.b))
    wrong.W[1] = 1.05 * right.W[1]
    for step in (1e-1, 3e-2, 1e-2, 1e-3):
        report = mg.gradient_check(net, x, y, method=method, step=step, resolve=False)
        assert report.verdict != "FAIL", report
        exact = mg.gradient_check(net, x, y, method="complex")
        for check in report.checks:
            truth = exact[check.name].numerical
            assert mg.relative_error(check.numerical, truth) <= check.tolerance
        caught = mg.gradient_check(net, x, y, method=method, step=step, gradients=wrong)
        assert caught["W(1)"].verdict != "PASS", caught


def test_a_step_so_small_that_rounding_swamps_everything_is_unresolved_not_passed(problem):
    net, x, y = problem
    report = mg.gradient_check(net, x, y, method="central", step=1e-14, resolve=False)
    assert report.verdict == "UNRESOLVED", report
    assert all("below what the differences resolve" in check.note for check in report.checks)
    # Complex step can resolve it: J is analytic here, so by default the check does.
    resolved = mg.gradient_check(net, x, y, method="central", step=1e-14)
    assert resolved.passed and all("by complex step" in c.note for c in resolved.checks)


def test_a_dead_relu_unit_passes_its_zero_gradient_and_a_wrong_claim_there_still_fails():
    # A 1-1-1 ReLU net whose hidden unit is dead: ∇b(1) J is exactly 0, J does not change at
    # all when b(1) moves (no kink crossed), and backprop's bound says its 0 is exact (the unit
    # is dead, not saturated): a claim of exactly 0 agrees (issue 25). ∇W(1) J = λW(1) = 1e-8
    # is below what the differences resolve: UNRESOLVED. A claim far from 0 fails.
    net = mg.MLP.from_weights([[[1.0]], [[0.5]]], [[-5.0], [0.2]], activation="relu", lam=1e-8)
    x, y = np.array([1.0]), np.array([3.0])
    report = mg.gradient_check(net, x, y)
    assert report["b(1)"].verdict == "PASS", report
    assert report["b(1)"].note == "J does not change when it moves"
    assert report["W(1)"].verdict == "UNRESOLVED" and not report.passed
    assert report["b(2)"].passed
    wrong = net.gradients(x, y)
    wrong.b[1] = wrong.b[1] + 1e-3
    assert mg.gradient_check(net, x, y, gradients=wrong)["b(1)"].verdict == "FAIL"


def test_default_tolerances_are_looser_for_float32_and_cruder_methods():
    for dtype in (np.float32, np.float64):
        assert (
            mg.default_tolerance("complex", dtype)
            < mg.default_tolerance("central", dtype)
            < mg.default_tolerance("forward", dtype)
        )
    assert mg.default_tolerance("central", np.float32) > mg.default_tolerance("central")


def test_relu_network_away_from_kinks_passes_central_differences():
    net = mg.MLP([3, 5, 2], seed=2, activation="relu", output_activation="identity", lam=0.1)
    x = np.array([[0.9, -0.4], [0.3, 1.2], [-0.7, 0.5]])
    y = np.zeros((2, 2))
    record = net.forward(x, y)
    assert np.min(np.abs(record.a[1])) > 1e-3  # every unit is far from ReLU's kink at 0
    assert mg.gradient_check(net, x, y).passed


def kinked_relu_network():
    """The checking-gradients chapter's ReLU net with one pre-activation 1e-7 from the kink."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 1)), rng.normal(size=(3, 1))
    net = mg.MLP([4, 5, 3], seed=0, activation="relu", output_activation="identity")
    a1 = net.forward(x, y).a[1]
    b1 = net.b[1] - a1 + np.array([[1e-7], [1.0], [1.0], [1.0], [1.0]])
    return net.with_parameter("b", 1, b1), x, y


def test_a_difference_across_a_relu_kink_is_detected_not_judged():
    net, x, y = kinked_relu_network()
    report = mg.gradient_check(net, x, y, resolve=False)
    assert report.verdict == "UNRESOLVED"
    assert report["b(1)"].kinked == 1 and report["W(1)"].kinked == 4  # the unit's row of W(1)
    assert "crossed a kink" in report["b(1)"].note
    assert report["W(2)"].passed and report["W(2)"].kinked == 0
    # A step small enough to stay off the kink decides it: correct code passes.
    resolved = mg.gradient_check(net, x, y)
    assert resolved.passed, resolved
    assert "times smaller" in resolved["b(1)"].note


def test_a_wrong_gradient_still_fails_beside_a_kink():
    net, x, y = kinked_relu_network()
    wrong = net.gradients(x, y)
    wrong.b[1] = 1.1 * wrong.b[1]
    report = mg.gradient_check(net, x, y, gradients=wrong, resolve=False)
    assert report["b(1)"].verdict == "FAIL", report


def test_an_l1_weight_at_its_kink_is_detected():
    net = mg.MLP([3, 2], seed=0, regularizer="l1", lam=0.5)
    W = net.W[1].copy()
    W[0, 0] = 0.0
    net = net.with_parameter("W", 1, W)
    x, y = np.ones(3), np.zeros(2)
    report = mg.gradient_check(net, x, y, resolve=False)
    assert report["W(1)"].verdict == "UNRESOLVED" and report["W(1)"].kinked == 1
    assert report["b(1)"].passed
