"""The shape logic behind the shape explorer."""

import re

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import shapes


def test_layer_shapes_follow_the_column_convention():
    layer = shapes.layer_shapes([3, 5, 2], m=4, k=2)
    assert layer.shapes == {
        "h(k-1)": (5, 4),
        "a(k)": (2, 4),
        "W(k)": (2, 5),
        "b(k)": (2, 1),
        "g": (2, 4),
        "g h(k-1)ᵀ": (2, 5),
    }


def test_only_the_outer_product_is_correct():
    layer = shapes.layer_shapes([3, 5, 2], m=4, k=2)
    right = shapes.judge("g h(k-1)ᵀ", layer)
    assert right.correct and right.fits and right.shape == (2, 5)
    assert "(2 × 4)(4 × 5) = 2 × 5" in right.reason
    for candidate in shapes.CANDIDATES[1:]:
        verdict = shapes.judge(candidate, layer)
        assert not verdict.correct and not verdict.fits, candidate
    assert shapes.judge("h(k-1) gᵀ", layer).shape == (5, 2)
    impossible = shapes.judge("gᵀ h(k-1)", layer)
    assert impossible.shape is None and "cannot even be formed" in impossible.reason


def test_a_wrong_answer_with_the_right_shape_by_coincidence_is_still_wrong():
    square = shapes.layer_shapes([3, 3], m=1, k=1)
    transposed = shapes.judge("h(k-1) gᵀ", square)
    assert transposed.fits and not transposed.correct
    assert "values are wrong" in transposed.reason


@pytest.mark.parametrize(
    ("widths", "m", "k", "message"),
    [
        ([3], 1, 1, "need 2 to 6 widths"),
        ([3, 13], 1, 1, r"widths\[1\] must be at most 12"),
        ([3, 0], 1, 1, r"widths\[1\] must be a whole number >= 1"),
        ([3, 2], 9, 1, "m must be at most 8"),
        ([3, 2], 1, 2, r"layer k must be in 1..1"),
    ],
)
def test_out_of_range_settings_are_refused(widths, m, k, message):
    with pytest.raises(ValueError, match=message):
        shapes.layer_shapes(widths, m, k)


def test_unknown_candidate_is_refused():
    with pytest.raises(ValueError, match="unknown candidate"):
        shapes.judge("h", shapes.layer_shapes([2, 2], 1, 1))


def test_candidate_verdicts_pass_only_the_books_weight_gradient():
    rng = np.random.default_rng(0)
    non_square = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(2, 1))
    verdicts = shapes.candidate_verdicts(non_square, x, y)
    assert verdicts == {
        "g h(k-1)ᵀ": "PASS",
        "h(k-1)": "wrong shape",
        "h(k-1)ᵀ": "wrong shape",
        "h(k-1) gᵀ": "wrong shape",
        "gᵀ h(k-1)": "cannot be formed",
    }
    # Square layers and m = n: every candidate has W's shape, and only the book's passes.
    square = mg.MLP([3, 3, 3], seed=0, lam=0.1)
    xs, ys = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    verdicts = shapes.candidate_verdicts(square, xs, ys)
    assert verdicts.pop("g h(k-1)ᵀ") == "PASS"
    assert all(re.fullmatch(r"FAIL \(\de[-+]\d\d\)", verdict) for verdict in verdicts.values())
