"""Regression tests for issue 12: each case of "What goes wrong today", and sample= / progress=.

The networks are built as ``benchmarks/gradient_check_cases.py`` builds them (copied, not
imported). A wrong gradient must never be passed: each test asserts the verdict the check gives
and the row that shows it. A correct one must never FAIL, and must PASS where the check can
resolve it. Bad input is refused with a ValueError/TypeError in the book's names. The widget
cases of the issue (point 6) and the widths box are tested in test_widgets.py and
test_bad_input.py; the random corruption sweep is test_check_properties.py.

Verdicts are spelled out ("PASS", not ``mg.PASS``) so that this file also runs against the
checker before issue 12, where every test here fails.
"""

from __future__ import annotations

import importlib
import math
import re
import tracemalloc

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import examples
from matgrad.functions import REGULARIZERS, Regularizer

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"
MiB = 2**20


def with_changed(gradients, name: str, k: int, value) -> mg.Gradients:
    """A copy of ``gradients`` with ``∇name(k) J`` replaced by ``value``."""
    W, b = dict(gradients.W), dict(gradients.b)
    {"W": W, "b": b}[name][k] = value
    return mg.Gradients(W=W, b=b)


def zeros_like_gradients(net) -> mg.Gradients:
    return mg.Gradients(
        W={k: np.zeros_like(net.W[k]) for k in net.W}, b={k: np.zeros_like(net.b[k]) for k in net.b}
    )


def true_gradients(net, x, y) -> mg.Gradients:
    """Algorithm 6.4 in float64 on a float64 copy of the network and the data."""
    copy = net.astype(np.float64)
    return copy.gradients(np.asarray(x, np.float64), np.asarray(y, np.float64))


def verdict(checked) -> str:
    """A report's or a row's verdict (the checker before issue 12 had only ``passed``)."""
    return getattr(checked, "verdict", PASS if checked.passed else FAIL)


def verdicts(report) -> dict[str, str]:
    return {check.name: verdict(check) for check in report.checks}


def assert_not_passed(report):
    assert not report.passed, report
    assert not report.summary().startswith(PASS), report.summary()


def small_problem():
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    return net, x, y, net.gradients(x, y)


def mnist_like(m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw-pixel-like inputs: 784 values, four in five 0, the rest whole numbers 1..255."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((784, m)) < 0.2, rng.integers(1, 256, (784, m)), 0).astype(float)
    y = examples.one_hot(10, m, rng)
    return x, y


def softmax_net(widths, seed: int = 0):
    return mg.MLP(widths, seed=seed, output_activation="identity", loss="softmax_cross_entropy")


# --- 1. "within the noise floor" was reported as PASS ------------------------------------------


def test_all_zeros_for_a_float32_network_near_a_fit_fails():
    net = mg.MLP([3, 5, 2], seed=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    yhat = net.forward(x, np.zeros((2, 4), np.float32)).yhat.astype(np.float64)
    # Residuals r give J = ½ mean_i ‖r_i‖² (mean reduction): scale them so that J ≈ 6e-8.
    r = rng.normal(size=yhat.shape)
    r *= math.sqrt(6e-8 / (0.5 * np.mean(np.sum(r * r, axis=0))))
    y = (yhat + r).astype(np.float32)
    assert 1e-8 < net.cost(x, y) < 1e-7
    report = mg.gradient_check(net, x, y, gradients=zeros_like_gradients(net))
    assert_not_passed(report)
    assert verdicts(report) == dict.fromkeys(["W(1)", "b(1)", "W(2)", "b(2)"], FAIL), report
    # The check resolves this network: its correct gradient passes.
    assert mg.gradient_check(net, x, y).passed


def test_missing_f_prime_in_float32_with_lambda_and_forward_differences_fails():
    net = mg.MLP([20, 30, 5], seed=0, dtype=np.float32, lam=1.0)
    rng = np.random.default_rng(100)
    x = rng.normal(size=(20, 64)).astype(np.float32)
    y = rng.normal(size=(5, 64)).astype(np.float32)
    claimed = mg.backward_with_mistake(net, net.forward(x, y), y, "missing_f_prime")
    true = true_gradients(net, x, y)
    assert np.max(np.abs(claimed.b[1] - true.b[1])) > 1.5 * np.max(np.abs(true.b[1]))  # 200 %
    report = mg.gradient_check(net, x, y, method="forward", gradients=claimed)
    assert_not_passed(report)
    assert verdict(report["b(1)"]) == FAIL, report
    assert verdict(report) == FAIL


def deep_sigmoid():
    net = mg.MLP([4] * 17, seed=0, activation="sigmoid")
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    return net, x, y, net.gradients(x, y)


def test_zeroed_W1_of_a_16_layer_sigmoid_network_fails():
    net, x, y, correct = deep_sigmoid()
    assert np.max(np.abs(correct.W[1])) < 1e-10  # below what central differences resolve
    zeroed = with_changed(correct, "W", 1, np.zeros_like(correct.W[1]))
    report = mg.gradient_check(net, x, y, gradients=zeroed)
    assert_not_passed(report)
    assert verdict(report["W(1)"]) == FAIL, report
    assert "by complex step" in report["W(1)"].note
    assert [name for name, verdict in verdicts(report).items() if verdict != PASS] == ["W(1)"]


def test_negated_b1_of_a_16_layer_sigmoid_network_fails():
    net, x, y, correct = deep_sigmoid()
    report = mg.gradient_check(net, x, y, gradients=with_changed(correct, "b", 1, -correct.b[1]))
    assert_not_passed(report)
    assert verdict(report["b(1)"]) == FAIL, report
    assert [name for name, verdict in verdicts(report).items() if verdict != PASS] == ["b(1)"]


def test_the_correct_gradient_of_a_16_layer_sigmoid_network_passes():
    net, x, y, _ = deep_sigmoid()
    report = mg.gradient_check(net, x, y)
    assert report.passed, report


@pytest.mark.parametrize("lam", [10.0, 0.0])
def test_lambda_omega_does_not_hide_a_negated_unregularized_bias(lam):
    # λΩ used to sit inside every perturbed J and inflate the floor even for b(1).
    net = mg.MLP([5, 8, 3], seed=0, dtype=np.float32, lam=lam)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 16)).astype(np.float32)
    y = rng.normal(size=(3, 16)).astype(np.float32)
    correct = net.gradients(x, y)
    negated = with_changed(correct, "b", 1, -correct.b[1])
    report = mg.gradient_check(net, x, y, method="forward", gradients=negated)
    assert_not_passed(report)
    assert verdicts(report) == {"W(1)": PASS, "b(1)": FAIL, "W(2)": PASS, "b(2)": PASS}, report


# --- 2. correct gradients failed ---------------------------------------------------------------


def test_raw_pixels_into_784_32_10_softmax_cross_entropy_pass():
    x, y = mnist_like(32)
    net = softmax_net([784, 32, 10])
    report = mg.gradient_check(net, x, y)
    assert report.passed, report
    # Within the method's own tolerance (it used to be 2e-7 > 1e-7), not only within the
    # truncation the check allows for: W(1)'s step is scaled down by the inputs' 255.
    assert report["W(1)"].rel_error < report.tolerance, report
    assert report["W(1)"].step < report["b(1)"].step / 100
    assert mg.gradient_check(net, x / 255, y).passed


def saturated_tanh():
    net = mg.MLP([3, 1, 2], seed=0)
    net.b[1][0, 0] = 25.0  # tanh(a) rounds to 1 and 1 - tanh(a)² to 0 in float64
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    assert np.all(1 - np.tanh(net.forward(x, y).a[1]) ** 2 == 0)
    return net, x, y


def test_complex_step_on_a_saturated_tanh_unit_does_not_fail_the_correct_gradient():
    net, x, y = saturated_tanh()
    report = mg.gradient_check(net, x, y, method="complex")
    assert verdict(report) == UNRESOLVED, report
    assert verdicts(report) == {"W(1)": UNRESOLVED, "b(1)": UNRESOLVED, "W(2)": PASS, "b(2)": PASS}
    for name in ("W(1)", "b(1)"):
        assert report[name].note == "rounding in backprop is that large here", report


def test_complex_step_on_a_saturated_tanh_unit_still_fails_a_wrong_claim_there():
    net, x, y = saturated_tanh()
    claimed = net.gradients(x, y)
    report = mg.gradient_check(
        net, x, y, method="complex", gradients=with_changed(claimed, "b", 1, claimed.b[1] + 1e-12)
    )
    assert verdict(report["b(1)"]) == FAIL, report


def test_float16_x_is_refused_with_its_name():
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)).astype(np.float16), rng.normal(size=(2, 5))
    with pytest.raises(ValueError, match=r"x is float16, .*x\.astype\(np\.float32\)"):
        mg.gradient_check(net, x, y)


# --- 3. odd inputs -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("role", ["x", "y"])
def test_np_matrix_x_or_y_is_refused_where_it_used_to_give_a_wrong_cost(role):
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(3, 2)), "y": rng.normal(size=(2, 2))}  # n_l = m = 2
    data[role] = np.matrix(data[role])
    with pytest.raises(TypeError, match=rf"{role} is an np\.matrix: pass np\.asarray\({role}\)"):
        mg.gradient_check(net, data["x"], data["y"])


@pytest.mark.parametrize("role", ["x", "y"])
def test_masked_x_or_y_is_refused_not_silently_unmasked(role):
    net = mg.MLP([3, 4, 2], seed=0)
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=(3, 5)), "y": rng.normal(size=(2, 5))}
    masked = np.ma.masked_array(data[role].copy(), mask=np.zeros(data[role].shape, bool))
    masked[0, 0] = np.ma.masked
    data[role] = masked
    with pytest.raises(TypeError, match=rf"{role} is a masked array"):
        mg.gradient_check(net, data["x"], data["y"])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_a_claimed_gradient_is_a_fail_row_that_says_so(bad):
    net, x, y, correct = small_problem()
    W1 = correct.W[1].copy()
    W1[0, 0] = bad
    report = mg.gradient_check(net, x, y, gradients=with_changed(correct, "W", 1, W1))
    assert_not_passed(report)
    assert verdicts(report) == {"W(1)": FAIL, "b(1)": PASS, "W(2)": PASS, "b(2)": PASS}, report
    assert report["W(1)"].note == "the claimed gradient of W(1) contains NaN or inf"
    assert "contains NaN or inf" in repr(report)


@pytest.mark.parametrize("tolerance", [1, 1.0, 2.5, 10**400])
def test_a_tolerance_of_one_or_more_is_refused(tolerance):
    net, x, y, _ = small_problem()
    with pytest.raises(ValueError, match="tolerance must be a relative error between 0 and 1"):
        mg.gradient_check(net, x, y, tolerance=tolerance)


@pytest.mark.parametrize("option", ["batched", "in_float64", "resolve"])
def test_a_string_for_a_switch_is_refused(option):
    net, x, y, _ = small_problem()
    with pytest.raises(TypeError, match=f"{option} must be True or False, got str 'no'"):
        mg.gradient_check(net, x, y, **{option: "no"})


ODD_CLAIMS = {
    "a dict {'W': ..., 'b': ...}": lambda correct: {"W": correct.W, "b": correct.b},
    "no ∇W(2) J": lambda correct: mg.Gradients(W={1: correct.W[1]}, b=correct.b),
    "lists indexed from 0": lambda correct: mg.Gradients(
        W=[correct.W[1], correct.W[2]], b=[correct.b[1], correct.b[2]]
    ),
}


@pytest.mark.parametrize("kind", ODD_CLAIMS)
def test_claimed_gradients_without_W_k_and_b_k_are_refused(kind):
    net, x, y, correct = small_problem()
    with pytest.raises(TypeError, match=r"gradients must hold \.W\[k\] and \.b\[k\] for k = 1"):
        mg.gradient_check(net, x, y, gradients=ODD_CLAIMS[kind](correct))


def test_a_ragged_claimed_gradient_is_refused_with_its_name():
    net, x, y, correct = small_problem()
    ragged = with_changed(correct, "W", 1, [[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match=r"the claimed ∇W\(1\) J must be a numeric array"):
        mg.gradient_check(net, x, y, gradients=ragged)


# --- 4. one cost: the batched differences and forward() -----------------------------------------


def test_a_regularizer_whose_total_disagrees_with_its_terms_is_refused():
    # terms and gradient say ½ΣW² (∇ = W); total, which forward() uses, says ΣW².
    odd = Regularizer(
        "odd", lambda W: 0.5 * W * W, lambda W: W, total=lambda W: W.ravel() @ W.ravel()
    )
    net = mg.MLP([3, 4, 2], seed=0, regularizer=odd, lam=0.5)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), rng.normal(size=(2, 5))
    with pytest.raises(ValueError, match=r"regularizer 'odd': Ω\(W\(1\)\) is .* by its total"):
        mg.gradient_check(net, x, y)
    # The reference loop differentiates the J that forward() reports: backprop's ∇ is not it.
    report = mg.gradient_check(net, x, y, batched=False)
    assert verdicts(report) == {"W(1)": FAIL, "b(1)": PASS, "W(2)": FAIL, "b(2)": PASS}, report


# --- 5. bounded memory, sample= and progress= ---------------------------------------------------


def test_checking_784_512_10_at_m_4096_with_a_sample_stays_within_512_MiB():
    rng = np.random.default_rng(0)
    m = 4096
    x = rng.random((784, m))
    y = examples.one_hot(10, m, rng)
    net = softmax_net([784, 512, 10])
    tracemalloc.start()
    try:
        report = mg.gradient_check(net, x, y, sample=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 512 * MiB, f"tracemalloc peak {peak / MiB:.0f} MiB"
    assert verdict(report) != FAIL, report
    assert "sampled 50 entries per parameter (seed 0)" in report.details


def sample_problem():
    net = mg.MLP([6, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(6, 4)), rng.normal(size=(3, 4))


def test_a_sample_reports_the_entries_it_checked():
    net, x, y = sample_problem()
    whole = mg.gradient_check(net, x, y)
    report = mg.gradient_check(net, x, y, sample=7, seed=3)
    assert report.passed, report
    assert "sampled 7 entries per parameter (seed 3)" in report.details
    for name, size in [("W(1)", 30), ("W(2)", 15)]:
        check = report[name]
        assert check.entries.shape == check.numerical.shape == check.claimed.shape == (7,)
        assert np.all(np.diff(check.entries) > 0) and 0 <= check.entries[0]
        assert check.entries[-1] < size
        np.testing.assert_array_equal(check.claimed, whole[name].claimed.ravel()[check.entries])
        np.testing.assert_allclose(
            check.numerical, whole[name].numerical.ravel()[check.entries], rtol=1e-9
        )
    # A parameter with no more entries than the sample is checked whole.
    for name in ("b(1)", "b(2)"):
        assert report[name].entries is None
        assert report[name].numerical.shape == report[name].shape


def test_a_sample_is_reproducible_with_its_seed_and_differs_with_another():
    net, x, y = sample_problem()

    def entries(seed):
        report = mg.gradient_check(net, x, y, sample=7, seed=seed)
        return [report[name].entries for name in ("W(1)", "W(2)")]

    first, again, other = entries(3), entries(3), entries(4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_a_sample_still_catches_a_wrong_gradient():
    net, x, y = sample_problem()
    wrong = net.gradients(x, y)
    wrong = with_changed(wrong, "W", 1, -wrong.W[1])
    report = mg.gradient_check(net, x, y, sample=7, seed=3, gradients=wrong)
    assert verdict(report["W(1)"]) == FAIL, report


BAR = re.compile(r"gradient check:\s+\d+%\|")


def test_progress_true_shows_a_tqdm_bar_and_false_shows_none(capsys):
    pytest.importorskip("tqdm")
    net, x, y = sample_problem()
    assert mg.gradient_check(net, x, y, progress=True).passed
    shown = capsys.readouterr().err
    assert BAR.search(shown), shown
    assert mg.gradient_check(net, x, y, progress=False).passed
    assert capsys.readouterr().err == ""


def test_progress_none_shows_a_bar_only_for_a_large_check(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    net, x, y = sample_problem()
    assert mg.gradient_check(net, x, y).passed  # progress=None by default: a small check
    assert capsys.readouterr().err == ""
    # The same check counted as large: the bar appears.
    monkeypatch.setattr(importlib.import_module("matgrad.checks"), "PROGRESS_WORK", 0.0)
    assert mg.gradient_check(net, x, y).passed
    assert BAR.search(capsys.readouterr().err)


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
@pytest.mark.parametrize("batched", [True, False])
def test_the_progress_bar_counts_every_difference_once(monkeypatch, method, batched):
    import tqdm.auto

    bars = []

    class Recorder:
        def __init__(self, total, **options):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, n):
            self.n += n

        def __enter__(self):
            return self

        def __exit__(self, *exception):
            return False

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    net = mg.MLP([6, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(3, 2))
    mg.gradient_check(net, x, y, method=method, batched=batched, progress=True, sample=4)
    (bar,) = bars
    entries = 4 + 4 + 4 + 3  # four of each parameter, and b(2) has only three
    assert bar.total == entries * {"forward": 2, "central": 4, "complex": 1}[method]
    assert bar.n == pytest.approx(bar.total)


def test_a_sample_checks_the_same_entries_in_the_reference_loop_as_batched():
    net = mg.MLP([6, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(3, 2))
    batched = mg.gradient_check(net, x, y, sample=4, seed=7)
    looped = mg.gradient_check(net, x, y, sample=4, seed=7, batched=False)
    for one, other in zip(batched.checks, looped.checks, strict=True):
        np.testing.assert_array_equal(one.entries, other.entries)
        np.testing.assert_allclose(one.numerical, other.numerical, rtol=1e-6, atol=1e-10)
    assert looped.passed


@pytest.mark.parametrize("name", ["l2", "l1", "none"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_built_in_regularizer_s_total_is_the_sum_of_its_terms(name, dtype):
    # The batched differences trust the built-ins' terms to add up to the Ω that J uses.
    regularizer = REGULARIZERS[name]
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (4, 3), (32, 784)]:
        W = (rng.normal(size=shape) * rng.choice([1e-3, 1.0, 1e3])).astype(dtype)
        terms = regularizer.terms(W)
        assert terms.shape == W.shape
        scale = np.abs(terms).sum() + np.finfo(dtype).tiny
        assert abs(regularizer.value(W) - terms.sum()) <= 1e3 * np.finfo(dtype).eps * scale
