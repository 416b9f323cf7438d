"""The chapters' plain text: errors, tables and an exercise's verdict."""

import numpy as np
import pytest

from matgrad.book import text


def test_format_helpers():
    assert text.format_error(3.2e-11) == "3e-11"
    assert text.format_error(np.inf) == "wrong shape"
    assert text.format_error(2e-3, 1e-7) == "2e-03 FAIL"
    table = text.format_table(["a", "bb"], [["1", "2"], ["333", "4"]])
    assert table.splitlines() == ["a    bb", "---  --", "1    2", "333  4"]
    with pytest.raises(ValueError, match="2 cells"):
        text.format_table(["a", "b"], [["1"]])


def test_self_check_verdicts():
    reference = np.array([1.0, 2.0])
    assert text.self_check(None, reference).startswith("not attempted")
    assert text.self_check([1.0, 2.0 + 1e-9], reference) == "PASS: relative error below 1e-06"
    assert text.self_check([1.0, 2.5], reference) == "FAIL: relative error 1e-01"  # 0.5 / 4.5
    assert text.self_check([[1.0, 2.0]], reference).startswith("wrong shape")
