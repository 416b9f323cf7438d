"""The error of a finite difference against its step: the V, and the steps the theory picks."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import examples, step_size


def test_step_error_curve_is_v_shaped_for_central_and_flat_for_complex_step(problem_4_5_3):
    net, x, y = problem_4_5_3
    steps = np.logspace(-1, -12, 12)
    curves = step_size.step_errors(net, x, y, steps)
    central, complex_step = curves["central"], curves["complex"]
    step, error = step_size.best_step(steps, central)
    # truncation O(h²) on the left, rounding O(ε/h) on the right, minimum near ε^(1/3)
    assert 1e-7 <= step <= 1e-3 and error < 1e-8
    assert central[0] > 100 * error and central[-1] > 100 * error
    # from h = 1e-1 to 1e-2 the O(h²) truncation error falls a hundredfold
    assert central[1] == pytest.approx(central[0] / 100, rel=0.2)
    assert np.all(complex_step[7:] < 1e-14)
    assert complex_step[-1] < central[-1] / 1e3


def test_best_step_picks_the_minimum_and_rejects_mismatched_input():
    assert step_size.best_step([1e-1, 1e-2, 1e-3], [3.0, 1.0, 2.0]) == (1e-2, 1.0)
    with pytest.raises(ValueError, match="one length"):
        step_size.best_step([1e-1, 1e-2], [1.0])


def test_the_bottom_of_a_curve_is_stated_as_a_bound_and_where_the_step_lies():
    steps = [1e-4, 1e-5, 10**-5.5, 1e-6]
    near = "smallest error < 1e-09 at h within half a decade of ε^(1/3) = 6.1e-06"
    assert step_size.smallest_error_text(steps, [1e-8, 1.2e-10, 1.4e-10, 1e-9], "central") == near
    # Another CPU's noise moves the minimum to the next grid step: the same words.
    assert step_size.smallest_error_text(steps, [1e-8, 1.4e-10, 6e-11, 1e-9], "central") == near
    # A minimum above the floor, or far from the theory's step, prints as computed.
    assert step_size.smallest_error_text(steps, [1e-8, 3e-9, 4e-9, 2e-9], "central") == (
        "smallest error 2e-09 at h = 1e-06, over half a decade from ε^(1/3) = 6.1e-06"
    )
    assert step_size.smallest_error_text([3e-8], [2e-8], "forward") == (
        "smallest error < 1e-06 at h within half a decade of ε^(1/2) = 1.5e-08"
    )
    with pytest.raises(ValueError, match="method"):
        step_size.smallest_error_text(steps, [1.0] * 4, "complex")


def test_the_v_of_a_real_network_bottoms_out_below_the_floor_near_the_theorys_step(
    problem_4_5_3,
):
    steps = np.logspace(-1, -12, 23)
    curves = step_size.step_errors(*problem_4_5_3, steps)
    for method, floor in [("forward", "1e-06"), ("central", "1e-09")]:
        text = step_size.smallest_error_text(steps, curves[method], method)
        assert text.startswith(f"smallest error < {floor} at h within half a decade of ε^(1/")


def test_the_step_size_explorers_curves_have_the_v_shape_and_a_flat_complex_step():
    steps = np.logspace(-1, -12, 12)
    net, x, y = examples.example_problem(examples.DEFAULT_WIDTHS, m=2)
    curves = step_size.step_errors(net, x, y, steps)
    central = curves["central"]
    best = int(np.argmin(central))
    assert 0 < best < len(steps) - 1, "the minimum lies inside the range: a V"
    assert central[0] > 100 * central[best] and central[-1] > 100 * central[best]
    assert np.max(curves["complex"][7:]) < 1e-14  # flat once h² is below rounding
    relu = examples.example_problem(examples.DEFAULT_WIDTHS, activation="relu", m=2)
    assert list(step_size.step_errors(*relu, steps[:2])) == ["forward", "central"]


def test_each_curve_is_the_largest_error_of_the_textbook_quotient_at_that_step(problem_4_5_3):
    net, x, y = problem_4_5_3
    exact = net.gradients(x, y)
    errors = step_size.step_errors(net, x, y, [1e-4], methods=["forward"])
    by_hand = max(
        mg.relative_error(
            exact.parameter(name, k),
            mg.numerical_gradient(
                mg.ParameterCost(net, x, y, name, k),
                net.parameter(name, k),
                method="forward",
                step=1e-4,
            ),
        )
        for name, k in net.parameters()
    )
    assert list(errors) == ["forward"] and errors["forward"][0] == by_hand
    with pytest.raises(ValueError, match="method"):
        step_size.step_errors(net, x, y, [1e-4], methods=["backward"])
    with pytest.raises(ValueError, match="step"):
        step_size.step_errors(net, x, y, [0.0])


def test_theoretical_steps():
    eps = np.finfo(float).eps
    assert step_size.theoretical_steps() == pytest.approx(
        {"forward": eps ** (1 / 2), "central": eps ** (1 / 3)}
    )
