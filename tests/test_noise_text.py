"""Noise-level numbers print as the bounds they lie below, so that stored outputs hold on any
CPU; a FAIL's error, and anything the code did not bound, prints as its value."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matgrad as mg
from matgrad._text import decade_above, format_bounded, html_text
from matgrad.checks import (
    FAIL,
    NOISE_MARGIN,
    PASS,
    RESOLUTION,
    UNRESOLVED,
    GradientCheckReport,
    ParameterCheck,
)

positive = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)


def test_decade_above_is_the_next_power_of_ten_strictly_above():
    assert decade_above(3e-4) == 1e-3
    assert decade_above(1e-3) == 1e-2  # strictly above: "< 1e-03" would be false
    assert decade_above(9.99e-10) == 1e-9
    assert decade_above(math.nextafter(1e-9, 0)) == 1e-9
    assert decade_above(40.2) == 100.0
    assert decade_above(5e-324) == float("1e-323")
    for bad in (0.0, -1e-9, math.inf, math.nan):
        with pytest.raises(ValueError, match="positive and finite"):
            decade_above(bad)


@given(positive)
def test_decade_above_is_a_power_of_ten_within_a_factor_ten(value):
    bound = decade_above(value)
    assert value < bound and bound / 10 <= value * (1 + 1e-12)
    assert re.fullmatch(r"1e[+-]\d+", f"{bound:.0e}") and float(f"{bound:.0e}") == bound


def test_format_bounded_states_the_bound_only_for_a_value_below_it():
    assert format_bounded(9.9e-10, 1e-9) == "< 1e-09"
    assert format_bounded(0.0, 1e-9) == "< 1e-09"
    assert format_bounded(1e-9, 1e-9) == "1e-09"  # at the bound, not below it: the value
    assert format_bounded(2.4e-9, 1e-9) == "2e-09"
    assert format_bounded(3e-11, None) == "3e-11"
    assert format_bounded(0.2, 1e-9) == "2e-01"
    # A bound is compared as printed, so the text never claims more than was computed:
    # 1.2e-9 lies below 1.4e-9 but not below the "1e-09" that bound prints as.
    assert format_bounded(1.2e-9, 1.4e-9) == "1e-09"
    assert format_bounded(9e-10, 1.4e-9) == "< 1e-09"


@given(st.floats(min_value=0, max_value=1e300), st.none() | positive)
def test_format_bounded_never_states_a_false_bound(value, bound):
    text = format_bounded(value, bound)
    if text.startswith("< "):
        assert value < float(text[2:])
    else:
        assert text == f"{value:.0e}"


def test_noise_floors_sit_ten_times_above_each_methods_error_level_and_within_its_tolerance():
    assert [mg.noise_floor(method) for method in mg.METHODS] == [1e-6, 1e-9, 1e-14]
    assert [mg.noise_floor(method, np.float32) for method in mg.METHODS] == [1e-2, 1e-3, 1e-5]
    assert mg.noise_floor() == mg.noise_floor("central", "float64")
    for dtype in (np.float64, np.float32):
        eps = np.finfo(dtype).eps
        levels = {"forward": eps ** (1 / 2), "central": eps ** (2 / 3), "complex": eps}
        for method, level in levels.items():
            floor = mg.noise_floor(method, dtype)
            assert NOISE_MARGIN * level < floor <= 10 * NOISE_MARGIN * level
            assert floor <= mg.default_tolerance(method, dtype)
    with pytest.raises(ValueError, match="method"):
        mg.noise_floor("backward")
    with pytest.raises(ValueError, match="float32 or float64"):
        mg.noise_floor("central", np.float16)


def row(error, uncertainty, *, tau=1e-7, verdict=None, method="central", dtype=np.float64):
    """A ParameterCheck with the numbers the display reads (its arrays are placeholders)."""
    tolerance = tau + uncertainty
    if verdict is None:
        verdict = FAIL if error > tolerance else UNRESOLVED if uncertainty > RESOLUTION else PASS
    zeros = np.zeros((2, 2), dtype=dtype)
    return ParameterCheck(
        name="W(1)",
        key=("W", 1),
        shape=(2, 2),
        claimed=zeros,
        numerical=zeros,
        rel_error=error,
        tolerance=tolerance,
        uncertainty=uncertainty,
        verdict=verdict,
        method=method,
        step=6e-6,
    )


def report(*checks, tau=1e-7):
    return GradientCheckReport("central", 6e-6, tau, list(checks), [])


def test_an_error_below_the_floor_prints_the_floor_and_the_check_keeps_the_number():
    check = row(4.2e-11, 8.6e-10)
    assert check.error_bound == 1e-9 and check.error_text() == "< 1e-09"
    assert check.rel_error == 4.2e-11  # only the text changes
    assert row(4e-11, 1e-9, verdict=UNRESOLVED).error_text() == "< 1e-09"  # a kink's row
    assert row(3e-16, 6e-11, method="complex").error_text() == "< 1e-14"
    assert row(3e-8, 4e-6, method="forward").error_text() == "< 1e-06"
    assert row(8e-4, 1.5e-3, tau=5e-3, dtype=np.float32).error_text() == "< 1e-03"


def test_an_error_above_the_floor_but_within_the_uncertainty_prints_the_decade_of_u():
    # A scaled step, a deep layer, a float32 network: noise larger than the method's.
    assert row(5e-8, 9.4e-5).error_text() == "< 1e-04"
    assert row(0.4, 0.6, verdict=UNRESOLVED).error_text() == "< 1e+00"
    # A relative error is at most 1: a bound above that would say nothing.
    assert row(0.4, 40.2, verdict=UNRESOLVED).error_bound == 100
    assert row(0.4, 40.2, verdict=UNRESOLVED).error_text() == "noise"
    assert report(row(0.4, 40.2, verdict=UNRESOLVED), row(1e-11, 1e-10)).max_error_text() == (
        "noise"
    )
    assert row(5e-8, 2e-7).error_text() == "< 1e-06"
    assert row(2e-7, 2e-7).error_text() == "< 1e-06"  # at u still within it


def test_an_error_above_what_the_check_attributes_to_noise_prints_its_value():
    assert row(5e-8, 1e-9).error_bound is None  # PASS, but more than rounding explains
    assert row(5e-8, 1e-9).error_text() == "5e-08"
    assert row(1e-9, 1e-10).error_text() == "1e-09"  # at the floor is not below it


def test_a_fail_prints_its_value_whatever_the_floor():
    assert row(0.2, 1e-9).error_text() == "2e-01"
    assert row(5e-10, 1e-11, tau=1e-10).verdict == FAIL
    assert row(5e-10, 1e-11, tau=1e-10).error_text() == "5e-10"  # below the floor, a FAIL
    assert row(1.0, 4e-3, verdict=FAIL).error_text() == "1e+00"  # within u, still a FAIL
    assert row(math.inf, 0.0).error_text() == "inf"  # a gradient of the wrong shape


def test_a_tolerance_prints_its_digit_while_u_leaves_that_of_tau_else_names_u():
    assert row(0, 1e-9).tolerance_text() == "1e-07"
    assert row(0, 4.9e-8).tolerance_text() == "1e-07"  # 1.49e-07 still rounds to 1e-07
    assert row(0, 5.5e-8).tolerance_text() == "1e-07 + u"  # 1.55e-07: u's digit shows
    assert row(0, 9.4e-5).tolerance_text() == "1e-07 + u"
    assert row(0, 4e-4, tau=5e-3, dtype=np.float32).tolerance_text() == "5e-03"
    assert row(0, 1.1e-3, tau=5e-3, dtype=np.float32).tolerance_text() == "5e-03 + u"
    assert row(0, 40.2, verdict=UNRESOLVED).tolerance_text() == "1e-07 + u"
    assert row(0, math.inf, verdict=UNRESOLVED).tolerance_text() == "inf"
    # The same row on a CPU whose float32 rounding is twice as large reads the same.
    assert row(1.0, 4.05e-3).tolerance_text() == row(1.0, 9.78e-3).tolerance_text()


@given(
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=100),
    st.sampled_from([1e-7, 1e-5, 5e-3, 1e-12]),
)
def test_no_text_of_a_row_states_a_false_bound(error, uncertainty, tau):
    check = row(error, uncertainty, tau=tau)
    text = check.error_text()
    if text.startswith("< "):
        assert check.rel_error < float(text[2:])
    elif text == "noise":  # a bound above 1, the most a relative error can be
        assert check.verdict != FAIL and check.error_bound > 1
    else:
        assert text == f"{check.rel_error:.0e}"
    tolerance = check.tolerance_text()
    assert tolerance in (f"{check.tolerance:.0e}", f"{tau:.0e} + u")
    if tolerance == f"{check.tolerance:.0e}":
        assert tolerance == f"{tau:.0e}"  # u did not move the digit shown
    if check.verdict == FAIL:
        assert check.error_text() == f"{error:.0e}"


def test_the_summary_bounds_the_largest_error_by_the_largest_bound():
    # The worst error (4e-5) is W(1)'s, whose bound is 1e-3; b(1)'s bound is 1e-2. Noise
    # decides which of the two is worst, so the summary states the bound that holds for both.
    checks = report(row(4e-5, 3e-4), row(3e-5, 2.4e-3))
    assert checks.max_error_text() == "< 1e-02"
    assert checks.summary().startswith("PASS: max relative error < 1e-02, each within its")
    assert checks.max_tolerance_text() == "1e-07 + u"


def test_the_summary_says_each_within_its_tolerance_when_only_a_bound_above_tau_can_be_stated():
    # 5e-8 lies below τ = 1e-7, but the check can vouch only for < 1e-4 (a scaled step).
    checks = report(row(5e-8, 9.4e-5), row(3e-11, 1e-9))
    assert checks.max_rel_error < checks.tolerance
    assert checks.summary() == (
        "PASS: max relative error < 1e-04, each within its tolerance (central, step 6e-06)"
    )


def test_a_failing_summary_prints_the_failing_error():
    checks = report(row(0.2, 1e-9), row(3e-11, 1e-9))
    assert (
        checks.summary() == "FAIL: max relative error 2e-01, tolerance 1e-07 (central, step 6e-06)"
    )
    assert [r[2] for r in checks.rows()] == ["2e-01", "< 1e-09"]


@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=100)),
        min_size=1,
        max_size=5,
    )
)
def test_the_summary_says_below_a_bound_only_when_the_largest_error_is_below_it(numbers):
    checks = report(*(row(error, u) for error, u in numbers))
    shown = re.search(r"max relative error (.*?), ", checks.summary())
    if checks.verdict == UNRESOLVED:
        assert shown is None  # an unresolved summary names parameters, not an error
        return
    text = shown.group(1)
    assert text == checks.max_error_text()
    if checks.verdict == FAIL:
        failing = [check.rel_error for check in checks.checks if check.verdict == FAIL]
        assert text == f"{max(failing):.0e}"
    elif text.startswith("< "):
        assert checks.max_rel_error < float(text[2:])
    else:
        assert text == f"{checks.max_rel_error:.0e}"


@pytest.fixture
def problem():
    net = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(3, 4)), rng.normal(size=(2, 4))


def test_a_correct_gradient_prints_below_the_floor_a_wrong_one_its_value(problem):
    net, x, y = problem
    correct = mg.gradient_check(net, x, y)
    assert 0 < correct.max_rel_error < 1e-9 / 5  # the noise sits well below the floor
    assert correct.summary() == (
        "PASS: max relative error < 1e-09, tolerance 1e-07 (central, step 6e-06)"
    )
    assert {(r[2], r[3]) for r in correct.rows()} == {("< 1e-09", "1e-07")}
    assert "&lt; 1e-09" in correct._repr_html_()
    right = net.gradients(x, y)
    wrong = mg.Gradients(W=dict(right.W), b=dict(right.b))
    wrong.W[2] = 1.5 * right.W[2]  # relative error 0.5 / 2.5 = 0.2
    failed = mg.gradient_check(net, x, y, gradients=wrong)
    assert failed["W(2)"].error_text() == "2e-01" and failed["W(1)"].error_text() == "< 1e-09"
    assert failed.summary().startswith("FAIL: max relative error 2e-01, tolerance 1e-07")


def test_a_float32_networks_error_prints_the_decade_of_its_measured_rounding(problem):
    net, x, y = problem
    report32 = mg.gradient_check(net.astype(np.float32), x, y)
    assert report32.passed
    for check in report32.checks:
        if check.rel_error >= 1e-9:  # above the float64 floor: float32's own rounding
            assert check.rel_error <= check.uncertainty
            assert check.error_text() == f"< {decade_above(check.uncertainty):.0e}"


def test_html_keeps_each_bound_and_exponent_on_one_line():
    # A phone's column broke "< 1e-09" after the "<" and after the exponent's minus.
    line = "PASS: max relative error < 1e-09, tolerance 1e-07 (central, step 6e-06)"
    shown = html_text(line)
    kept = re.findall(r'<span style="white-space:nowrap">(.*?)</span>', shown)
    assert kept == ["&lt; 1e-09", "1e-07", "6e-06"]
    assert re.sub(r"<[^>]*>", "", shown) == line.replace("<", "&lt;")
    # Plain numbers, names with digits, a lone comparison and markup in the text are left as
    # they are, escaped.
    assert html_text("W(1) has shape (4, 3); float64 & a < b") == (
        "W(1) has shape (4, 3); float64 &amp; a &lt; b"
    )
    assert html_text("≈ 0.5 and -2e+01") == (
        '<span style="white-space:nowrap">≈ 0.5</span> and '
        '<span style="white-space:nowrap">-2e+01</span>'
    )


def test_a_report_in_html_keeps_its_bounds_on_one_line(problem_4_5_3):
    net, x, y = problem_4_5_3
    shown = mg.gradient_check(net, x, y)._repr_html_()
    assert '<span style="white-space:nowrap">&lt; 1e-09</span>' in shown
    assert not re.search(r"(?<!>)&lt; 1e-09", shown)  # every bound inside its span
