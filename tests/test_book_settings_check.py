"""A gradient check from a reader's settings, or a message saying why there is none."""

from types import SimpleNamespace

import pytest

from matgrad.book import settings_check


def test_check_from_settings_passes_the_books_formula_and_fails_a_wrong_one():
    assert settings_check.check_from_settings().verdict == "PASS"
    wrong = settings_check.check_from_settings([3, 3, 3], mistake="h_g_transpose")
    assert wrong.verdict == "FAIL" and wrong.report.max_rel_error > 1e-3


def test_impossible_settings_give_a_message_not_an_exception():
    relu = settings_check.check_from_settings(activation="relu", method="complex")
    assert relu.report is None and "ReLU" in relu.message and relu.verdict == "NO CHECK"
    dropped = settings_check.check_from_settings([3, 4, 2], mistake="dropped_transpose")
    assert dropped.report is None and "dropped transpose" in dropped.message
    zero = settings_check.check_from_settings(step=0.0)
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
    outcome = settings_check.check_from_settings(**{setting: value})
    assert outcome.report is None and outcome.verdict == "NO CHECK"
    assert message in outcome.message


def test_a_check_outcome_has_its_reports_verdict():
    for verdict in ("PASS", "FAIL", "UNRESOLVED"):
        report = SimpleNamespace(verdict=verdict, passed=verdict == "PASS")
        assert settings_check.CheckOutcome(report).verdict == verdict
    assert settings_check.CheckOutcome(None, "why").verdict == "NO CHECK"
