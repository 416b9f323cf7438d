"""The chapter figures: what they draw, that they draw into a given axes, and bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from matgrad import chapter_plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_step_errors_draws_one_labelled_curve_per_method_and_the_theory_steps():
    steps = np.logspace(-1, -12, 12)
    errors = {"forward": steps, "central": steps**2, "complex": np.zeros(12)}
    figure = chapter_plots.plot_step_errors(steps, errors)
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()[:3]] == list(errors)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    # the complex-step zeros are drawn at a positive stand-in, not dropped
    assert np.all(ax.get_lines()[2].get_ydata() > 0)
    eps = np.finfo(float).eps
    verticals = [line.get_xdata()[0] for line in ax.get_lines()[3:]]
    assert verticals == pytest.approx([eps**0.5, eps ** (1 / 3)])


def test_plots_draw_into_a_given_axes_and_return_its_figure():
    figure, axes = plt.subplots(1, 2)
    returned = chapter_plots.plot_cost_scaling([10, 100], {"backpropagation": [1, 2]}, ax=axes[1])
    assert returned is figure
    assert len(axes[1].get_lines()) == 1 and not axes[0].get_lines()
    returned = chapter_plots.plot_forward_passes(
        [10, 100], {"central": [20, 200], "backpropagation": [3, 3]}, ax=axes[0]
    )
    assert returned is figure
    assert list(axes[0].get_lines()[0].get_ydata()) == [20, 200]


@pytest.mark.parametrize(
    "x, curves",
    [
        ([1, 2, 3], {"central": [1, 2]}),
        ([], {"central": []}),
        ([1, 2], {}),
    ],
)
def test_mismatched_or_empty_data_raises_value_error(x, curves):
    with pytest.raises(ValueError, match=r"curve|x values|at least one"):
        chapter_plots.plot_cost_scaling(x, curves)
