"""Regression tests for issue 25: the lies the gradient check told, found adversarially.

1. A float32 network checked by float32 forward differences passed gradients 5 % and 10 % off
   (its float64 re-check kept float32's tolerance).
2. Correct gradients failed: a learner's own float32 backprop (another order of operations);
   the library's own backprop behind saturated tanh layers (its bound collapsed to 0); any
   gradient at a step of 0.5 or more (the truncation estimate holds for small steps only).
3. The check stayed undecided where it can decide: a healthy 12-layer tanh network (a
   worst-case bound growing like n^depth), a layer of dead ReLU units (0 against 0).
4. NaN in the network's own weights was blamed on the claimed gradient.

Verdicts are spelled out ("PASS", not ``mg.PASS``), as in test_check_regressions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import matgrad as mg
from matgrad.mistakes import backward_with_mistake

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"


def scaled(gradients, factor) -> mg.Gradients:
    """Every parameter's gradient times ``factor``, in its own dtype."""
    return mg.Gradients(
        W={k: G * G.dtype.type(factor) for k, G in gradients.W.items()},
        b={k: G * G.dtype.type(factor) for k, G in gradients.b.items()},
    )


def with_changed(gradients, name: str, k: int, value) -> mg.Gradients:
    W, b = dict(gradients.W), dict(gradients.b)
    {"W": W, "b": b}[name][k] = value
    return mg.Gradients(W=W, b=b)


def verdicts(report) -> dict[str, str]:
    return {check.name: check.verdict for check in report.checks}


# --- 1. a false PASS: float32 forward differences ----------------------------------------------


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("factor", [1.05, 1.1])
def test_a_float32_gradient_5_or_10_percent_off_never_passes_by_float32_forward_differences(
    seed, factor
):
    net = mg.MLP([4, 6, 3], seed=seed, dtype=np.float32)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(3, 5)).astype(np.float32)
    off = scaled(net.gradients(x, y), factor)
    for resolve in (True, False):
        report = mg.gradient_check(
            net, x, y, method="forward", in_float64=False, gradients=off, resolve=resolve
        )
        assert PASS not in verdicts(report).values(), report
    # Re-checked by float64 differences, it is held to their tolerance, and fails.
    report = mg.gradient_check(net, x, y, method="forward", in_float64=False, gradients=off)
    assert report.verdict == FAIL, report
    assert all("by float64 forward differences" in c.note for c in report.checks), report
    assert all(c.tolerance - c.uncertainty < 1e-4 for c in report.checks), report
    # The correct gradient still passes.
    assert mg.gradient_check(net, x, y, method="forward", in_float64=False).passed


def test_a_given_tolerance_for_float32_differences_does_not_hold_float64_ones_silently():
    net = mg.MLP([4, 6, 3], seed=0, dtype=np.float32)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(3, 5)).astype(np.float32)
    off = with_changed(net.gradients(x, y), "W", 1, net.gradients(x, y).W[1] * np.float32(1.05))
    report = mg.gradient_check(
        net, x, y, method="forward", in_float64=False, tolerance=0.2, gradients=off
    )
    assert report["W(1)"].verdict == FAIL, report
    assert "by float64 forward differences, tolerance 1e-05" in report["W(1)"].note
    # The summary does not print a tolerance the failing row was not held to.
    assert "above its tolerance" in report.summary(), report.summary()


def test_a_pass_never_vouches_for_more_than_2_percent_whatever_the_tolerance():
    # A tolerance of 5 % (float32 forward differences') would pass a gradient 5 % off, which
    # is 2.4 % of max|A| + max|N| from the true one: a PASS requires rel + u <= 2 %.
    net = mg.MLP([4, 6, 3], seed=3, dtype=np.float32)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5)).astype(np.float32)
    y = rng.normal(size=(3, 5)).astype(np.float32)
    for factor in (1.05, 0.95):
        off = scaled(net.gradients(x, y), factor)
        report = mg.gradient_check(
            net, x, y, method="forward", in_float64=False, gradients=off, resolve=False
        )
        for check in report.checks:
            assert check.verdict != PASS or check.rel_error + check.uncertainty <= 0.02, report


# --- 2a. a learner's own float32 backprop ------------------------------------------------------


def learner_gradients(net, x, y) -> mg.Gradients:
    """A learner's float32 Algorithms 6.3 and 6.4: the textbook sigmoid 1/(1 + exp(−a)), the
    1/m applied first, ``f'`` from the stored ``h``: correct, in another order of operations."""
    one, m = np.float32(1), x.shape[1]
    h, a = {0: x}, {}
    for k in range(1, net.l + 1):
        a[k] = net.W[k] @ h[k - 1] + net.b[k]
        h[k] = one / (one + np.exp(-a[k]))
    g = (h[net.l] - y) * np.float32(1 / m)
    W, b = {}, {}
    for k in range(net.l, 0, -1):
        g = g * (h[k] * (one - h[k]))
        W[k] = g @ h[k - 1].T
        b[k] = g.sum(axis=1, keepdims=True)
        g = net.W[k].T @ g
    return mg.Gradients(W=W, b=b)


def test_a_learners_correct_float32_backprop_never_fails():
    differs = 0
    for seed in range(300):
        rng = np.random.default_rng(seed)
        widths = [int(n) for n in rng.integers(1, 6, size=int(rng.integers(2, 4)))]
        net = mg.MLP(widths, seed=seed, activation="sigmoid", dtype=np.float32)
        m = int(rng.integers(1, 6))
        x = rng.normal(size=(widths[0], m)).astype(np.float32)
        y = rng.normal(size=(widths[-1], m)).astype(np.float32)
        theirs = learner_gradients(net, x, y)
        ours = net.gradients(x, y)
        differs += any(
            not np.array_equal(theirs.parameter(*key), ours.parameter(*key))
            for key in net.parameters()
        )
        report = mg.gradient_check(net, x, y, gradients=theirs)
        assert report.verdict != FAIL, (seed, report)
    assert differs > 250  # the learner's rounding is its own, not the library's


def test_a_learners_float32_gradient_5_percent_off_still_fails():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        net = mg.MLP([3, 4, 2], seed=seed, activation="sigmoid", dtype=np.float32)
        x = rng.normal(size=(3, 4)).astype(np.float32)
        y = rng.normal(size=(2, 4)).astype(np.float32)
        report = mg.gradient_check(net, x, y, gradients=scaled(learner_gradients(net, x, y), 1.05))
        assert report.verdict == FAIL, (seed, report)


# --- 2b. the library's own backprop behind saturated tanh layers ------------------------------


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
def test_two_saturated_tanh_layers_never_fail_the_correct_gradient(method):
    # tanh(20 tanh(20 x)): f' rounds to exactly 0 in both layers, so ∇W(1) J is 0 in
    # backprop; the true gradient is about 1e-33, which complex step sees. The bound on
    # backprop's rounding must not collapse to 0 with it.
    net = mg.MLP.from_weights([[[20.0]], [[20.0]]], [[0.0], [0.0]])
    x, y = np.array([1.0]), np.array([0.3])
    record = net.forward(x, y)
    assert np.all(net.f(1).derivative(record.a[1]) == 0)
    assert np.all(net.f(2).derivative(record.a[2]) == 0)
    report = mg.gradient_check(net, x, y, method=method)
    assert report.verdict != FAIL, report
    for check in report.checks:
        if check.verdict == UNRESOLVED:
            assert check.note, report
    # What a saturated unit cannot carry is said as such.
    assert report["W(1)"].verdict == UNRESOLVED, report


@pytest.mark.parametrize("seed", range(4))
def test_weights_multiplied_by_1000_never_fail_the_correct_gradient(seed):
    net = mg.MLP([3, 5, 4, 2], seed=seed)
    net = mg.MLP.from_weights(
        [1000 * net.W[k] for k in range(1, 4)], [net.b[k] for k in range(1, 4)]
    )
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    for method in ("forward", "central", "complex"):
        report = mg.gradient_check(net, x, y, method=method)
        assert report.verdict != FAIL, (method, report)


def test_a_wrong_claim_behind_saturated_units_still_fails():
    net = mg.MLP.from_weights([[[20.0]], [[20.0]]], [[0.0], [0.0]])
    x, y = np.array([1.0]), np.array([0.3])
    claimed = net.gradients(x, y)
    wrong = with_changed(claimed, "W", 1, claimed.W[1] + 1e-3)
    assert mg.gradient_check(net, x, y, gradients=wrong)["W(1)"].verdict == FAIL


# --- 2c. steps too large for their truncation estimate ---------------------------------------


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
@pytest.mark.parametrize("step", [0.1, 0.5, 1.0, 2.0, 10.0])
def test_a_large_step_never_fails_a_correct_gradient(method, step):
    for seed in range(6):
        net = mg.MLP([3, 4, 2], seed=seed)
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
        report = mg.gradient_check(net, x, y, method=method, step=step)
        assert report.verdict != FAIL, (seed, report)
        for check in report.checks:
            assert check.verdict != UNRESOLVED or check.note, report


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
@pytest.mark.parametrize("step", [0.5, 10.0])
def test_a_large_step_still_catches_a_wrong_gradient(method, step):
    net = mg.MLP([3, 4, 2], seed=1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    correct = net.gradients(x, y)
    wrong = with_changed(correct, "W", 1, 1.1 * correct.W[1])
    report = mg.gradient_check(net, x, y, method=method, step=step, gradients=wrong)
    assert report.verdict != PASS and report["W(1)"].verdict != PASS, report


def test_a_step_too_large_to_estimate_its_truncation_says_so_without_a_second_opinion():
    net = mg.MLP([3, 4, 2], seed=2)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    report = mg.gradient_check(net, x, y, step=5.0, resolve=False)
    assert report.verdict == UNRESOLVED, report
    assert any("step is too large" in check.note for check in report.checks), report


def test_binary_cross_entropy_at_a_large_step_names_the_step_not_the_output_activation():
    net = mg.MLP([3, 4, 1], seed=0, output_activation="sigmoid", loss="binary_cross_entropy")
    x = np.random.default_rng(0).normal(size=(3, 4))
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match=r"the step 5e\+01 is too large") as raised:
        mg.gradient_check(net, x, y, step=50.0)
    assert "output_activation" not in str(raised.value)
    assert "use a smaller step" in str(raised.value)
    assert mg.gradient_check(net, x, y).passed


# --- 3a. a healthy deep network is decided ----------------------------------------------------


def deep_tanh(depth: int, width: int = 32):
    net = mg.MLP([width] * (depth + 1), seed=0)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(width, 8)), rng.normal(size=(width, 8))


@pytest.mark.parametrize("depth", [12, 16])
def test_a_12_and_16_layer_tanh_network_is_decided(depth):
    net, x, y = deep_tanh(depth)
    report = mg.gradient_check(net, x, y, sample=16, progress=False)
    assert report.passed, report
    assert max(check.uncertainty for check in report.checks) < 1e-2
    correct = net.gradients(x, y)
    off = with_changed(correct, "W", 1, 1.3 * correct.W[1])
    report = mg.gradient_check(net, x, y, gradients=off, sample=16, progress=False)
    assert report["W(1)"].verdict == FAIL, report
    assert "saturated" not in report["W(1)"].note


def test_the_note_blames_saturation_only_where_units_saturate():
    net, x, y = deep_tanh(12)
    for check in mg.gradient_check(net, x, y, sample=16, progress=False).checks:
        assert "saturated" not in check.note


# --- 3b. dead ReLU units: 0 against 0 ---------------------------------------------------------


def dead_layer():
    """A ReLU network whose second layer is dead for every example: ∇W(1), ∇b(1), ∇W(2) and
    ∇b(2) are exactly 0."""
    net = mg.MLP([3, 4, 5, 2], seed=0, activation="relu", output_activation="identity")
    net.b[2][:] = -100.0
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(3, 6)), rng.normal(size=(2, 6))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", ["forward", "central"])
def test_a_dead_layer_passes_its_zero_gradients(dtype, method):
    net, x, y = dead_layer()
    net = net.astype(dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    correct = net.gradients(x, y)
    for key in [("W", 1), ("b", 1), ("W", 2), ("b", 2)]:
        assert not np.any(correct.parameter(*key))
    report = mg.gradient_check(net, x, y, method=method)
    assert report.passed, report
    for name in ("W(1)", "b(1)", "W(2)", "b(2)"):
        assert report[name].note == "J does not change when it moves", report


def test_a_nonzero_claim_for_a_dead_layer_fails():
    net, x, y = dead_layer()
    correct = net.gradients(x, y)
    wrong = with_changed(correct, "b", 2, correct.b[2] + 1e-6)
    assert mg.gradient_check(net, x, y, gradients=wrong)["b(2)"].verdict == FAIL


def test_a_zero_claim_where_a_kink_was_crossed_is_not_passed():
    # A unit exactly at its kink for every example: the differences cross it.
    net = mg.MLP.from_weights([[[1.0]], [[1.0]]], [[0.0], [0.0]], activation="relu")
    x, y = np.array([0.0]), np.array([1.0])
    report = mg.gradient_check(net, x, y, resolve=False)
    assert report["b(1)"].verdict != PASS, report


def test_a_saturated_tanh_zero_is_not_passed_as_a_dead_unit():
    # tanh's f' rounds to 0 where the true one is about 1e-22: both A and N are 0, but
    # backprop's bound says its 0 is not exact: UNRESOLVED, not PASS.
    net = mg.MLP.from_weights([[[1.0]], [[1.0]]], [[26.0], [0.0]])
    x, y = np.array([0.0]), np.array([0.3])
    report = mg.gradient_check(net, x, y, method="central", resolve=False)
    assert report["b(1)"].verdict == UNRESOLVED, report


# --- 4. NaN or inf in the network's own weights -----------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", ["W", "b"])
def test_nan_or_inf_assigned_to_a_weight_is_refused_naming_it(bad, name):
    net = mg.MLP([3, 4, 2], seed=0)
    getattr(net, name)[2][0, 0] = bad
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    what = "NaN" if np.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=rf"{name}\(2\) contains {what}"):
        mg.gradient_check(net, x, y)
    with np.errstate(invalid="ignore"):  # the NaN flows through backprop, as it would
        claimed = net.gradients(x, y)
    with pytest.raises(ValueError, match=rf"{name}\(2\) contains {what}"):
        mg.gradient_check(net, x, y, gradients=claimed)


def test_nan_in_x_or_y_is_refused_naming_it():
    net = mg.MLP([3, 4, 2], seed=0)
    x, y = np.ones((3, 2)), np.ones((2, 2))
    x[1, 1] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        mg.gradient_check(net, x, y)
    x[1, 1], y[0, 0] = 0.0, np.inf
    with pytest.raises(ValueError, match="y must be finite"):
        mg.gradient_check(net, x, y)


def test_the_bug_zoo_still_runs_on_a_healthy_network():
    # The NaN check is on the network, not on wrong claims: a mistake still fails as before.
    net = mg.MLP([3, 3, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    wrong = backward_with_mistake(net, net.forward(x, y), y, "dropped_transpose")
    assert mg.gradient_check(net, x, y, gradients=wrong).verdict == FAIL
