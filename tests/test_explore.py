"""The data behind the widgets, computed without any widget."""

from types import SimpleNamespace

import numpy as np
import pytest

import matgrad as mg
from matgrad import explore


def test_parse_widths():
    assert explore.parse_widths("3-4-2") == [3, 4, 2]
    assert explore.parse_widths(" 3, 4 ,2 ") == [3, 4, 2]
    for text, message in [("3-x", "whole numbers"), ("3", "2 to 6"), ("3-13", "1 to 12")]:
        with pytest.raises(ValueError, match=message):
            explore.parse_widths(text)


def test_check_from_settings_passes_the_books_formula_and_fails_a_wrong_one():
    assert explore.check_from_settings().verdict == "PASS"
    wrong = explore.check_from_settings([3, 3, 3], mistake="h_g_transpose")
    assert wrong.verdict == "FAIL" and wrong.report.max_rel_error > 1e-3


def test_impossible_settings_give_a_message_not_an_exception():
    relu = explore.check_from_settings(activation="relu", method="complex")
    assert relu.report is None and "ReLU" in relu.message and relu.verdict == "NO CHECK"
    dropped = explore.check_from_settings([3, 4, 2], mistake="dropped_transpose")
    assert dropped.report is None and "dropped transpose" in dropped.message
    zero = explore.check_from_settings(step=0.0)
    assert "step h must be a finite number > 0" in zero.message


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("step", float("nan"), "step h must be a finite number > 0; got nan"),
        ("lam", float("nan"), "λ must be a finite number ≥ 0; got nan"),
        ("lam", -0.1, "λ must be a finite number ≥ 0; got -0.1"),
        ("activation", None, "choose an activation f"),
        ("loss", None, "choose a loss L"),
        ("method", None, "choose a method"),
        ("mistake", None, "choose a formula for Algorithm 6.4"),
        ("m", None, "batch size m must be a whole number ≥ 1"),
        ("seed", 1.5, "seed must be a whole number ≥ 0"),
    ],
)
def test_settings_set_from_code_are_no_check_with_the_books_names(setting, value, message):
    outcome = explore.check_from_settings(**{setting: value})
    assert outcome.report is None and outcome.verdict == "NO CHECK"
    assert message in outcome.message


def test_a_check_outcome_has_its_reports_verdict():
    for verdict in ("PASS", "FAIL", "UNRESOLVED"):
        report = SimpleNamespace(verdict=verdict, passed=verdict == "PASS")
        assert explore.CheckOutcome(report).verdict == verdict
    assert explore.CheckOutcome(None, "why").verdict == "NO CHECK"


def test_softmax_settings_use_one_hot_targets_and_logits():
    net, _, y = explore.example_problem([3, 4, 3], loss="softmax_cross_entropy", m=5, seed=2)
    assert net.f(2).name == "identity"
    np.testing.assert_array_equal(y.sum(axis=0), 1.0)
    assert explore.check_from_settings([3, 4, 3], loss="softmax_cross_entropy").verdict == "PASS"


def test_backward_frames_walk_algorithm_6_4_and_accumulate_gradients():
    frames = explore.backward_frames([3, 4, 2], lam=0.1)
    assert [frame.line for frame in frames] == [0, 2, 3, 4, 5, 2, 3, 4, 5]
    assert frames[0].statement == mg.ALGORITHM_6_4[0].strip()
    assert list(frames[-1].gradients) == ["∇b(2) J", "∇W(2) J", "∇b(1) J", "∇W(1) J"]
    assert frames[3].gradients["∇W(2) J"].shape == (2, 4)
    assert frames[1].gradients == {}


def test_step_errors_have_the_v_shape_and_a_flat_complex_step():
    steps = np.logspace(-1, -12, 12)
    curves = explore.step_errors(steps=steps)
    central = curves["central"]
    best = int(np.argmin(central))
    assert 0 < best < len(steps) - 1, "the minimum lies inside the range: a V"
    assert central[0] > 100 * central[best] and central[-1] > 100 * central[best]
    assert np.max(curves["complex"][7:]) < 1e-14  # flat once h² is below rounding
    assert "complex" not in explore.step_errors(activation="relu", steps=steps[:2])


def test_theoretical_steps():
    eps = np.finfo(float).eps
    assert explore.theoretical_steps() == pytest.approx(
        {"forward": eps ** (1 / 2), "central": eps ** (1 / 3)}
    )
