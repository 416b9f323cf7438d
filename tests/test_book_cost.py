"""The work of a gradient, counted: forward passes and multiply-adds."""

import numpy as np
import pytest

from matgrad.book import cost


@pytest.mark.parametrize(
    "method, expected",
    [
        ("central", lambda P, arrays: 2 * P),
        ("complex", lambda P, arrays: P),
        ("forward", lambda P, arrays: P + arrays),
    ],
)
def test_forward_passes_are_counted_per_method(problem_4_5_3, method, expected):
    net, x, y = problem_4_5_3
    assert cost.count_forward_passes(net, x, y, method=method) == expected(43, 4)
    assert net.parameter_count == 5 * 4 + 5 + 3 * 5 + 3  # = 43


def test_counting_cost_counts_calls_and_keeps_the_analytic_flag():
    counted = cost.CountingCost(lambda X: float(np.sum(X**2)))
    for _ in range(3):
        counted(np.ones(2))
    assert counted.calls == 3 and counted.analytic
    with pytest.raises(TypeError, match="callable"):
        cost.CountingCost(3)


def test_multiply_adds_follow_the_layer_shapes():
    assert cost.multiply_adds([3, 4, 2], m=5) == {"forward": (12 + 8) * 5, "backward": 2 * 100}
    with pytest.raises(ValueError, match="widths"):
        cost.multiply_adds([3])
