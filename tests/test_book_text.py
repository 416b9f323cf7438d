"""The chapters' plain text: errors, tables and an exercise's verdict."""

import numpy as np
import pytest

from matgrad.book import text


def test_format_helpers():
    assert text.format_error(np.inf) == "wrong shape"
    assert text.format_error(2e-3, 1e-7) == "2e-03 FAIL"
    table = text.format_table(["a", "bb"], [["1", "2"], ["333", "4"]])
    assert table.splitlines() == ["a    bb", "---  --", "1    2", "333  4"]
    with pytest.raises(ValueError, match="2 cells"):
        text.format_table(["a", "b"], [["1"]])


def test_format_error_prints_noise_as_the_floor_of_its_differences_and_a_fail_as_its_value():
    # central differences in float64 by default: a correct gradient's 3e-11 is noise
    assert text.format_error(3.2e-11) == "< 1e-09"
    assert text.format_error(3.2e-11, 1e-7) == "< 1e-09 ok"
    assert text.format_error(1e-9) == "1e-09"  # at the floor, not below it
    assert text.format_error(3e-9) == "3e-09"  # truncation at a large step: a measurement
    assert text.format_error(5e-10, 1e-10) == "5e-10 FAIL"  # below the floor, yet a FAIL
    assert text.format_error(3e-8, method="forward") == "< 1e-06"
    assert text.format_error(3e-5, method="forward") == "3e-05"
    assert text.format_error(2e-16, method="complex") == "< 1e-14"
    assert text.format_error(1e-5, dtype=np.float32) == "< 1e-03"


def test_self_check_verdicts():
    reference = np.array([1.0, 2.0])
    assert text.self_check(None, reference).startswith("not attempted")
    assert text.self_check([1.0, 2.0 + 1e-9], reference) == "PASS: relative error below 1e-06"
    assert text.self_check([1.0, 2.5], reference) == "FAIL: relative error 1e-01"  # 0.5 / 4.5
    assert text.self_check([[1.0, 2.0]], reference).startswith("wrong shape")


def test_source_shows_a_function_s_code_without_its_docstring():
    def documented(a, b):
        """Add.

        Two lines of docstring."""
        # why, kept
        return a + b

    def bare(a):
        return a

    shown = text.source(documented)
    assert shown.splitlines()[0] == "def documented(a, b):"
    assert "docstring" not in shown and "Add." not in shown
    assert "# why, kept" in shown and shown.endswith("return a + b")
    assert text.source(bare) == "def bare(a):\n    return a"
