"""The seeded examples the chapters and widgets share, and the widths a reader types."""

import numpy as np
import pytest

from matgrad.book import examples, settings_check


def test_parse_widths():
    assert examples.parse_widths("3-4-2") == [3, 4, 2]
    assert examples.parse_widths(" 3, 4 ,2 ") == [3, 4, 2]
    for text, message in [("3-x", "whole numbers"), ("3", "2 to 6"), ("3-13", "1 to 12")]:
        with pytest.raises(ValueError, match=message):
            examples.parse_widths(text)


def test_softmax_settings_use_one_hot_targets_and_logits():
    net, _, y = examples.example_problem([3, 4, 3], loss="softmax_cross_entropy", m=5, seed=2)
    assert net.f(2).name == "identity"
    np.testing.assert_array_equal(y.sum(axis=0), 1.0)
    outcome = settings_check.check_from_settings([3, 4, 3], loss="softmax_cross_entropy")
    assert outcome.verdict == "PASS"
