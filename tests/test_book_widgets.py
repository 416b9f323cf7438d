"""Every widget driven headlessly: set its controls, read what it shows."""

import base64
import html
import io
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import pytest
import traitlets

from matgrad.book import figures, im2col, settings_check, widgets
from matgrad.book.text import shape_text
from matgrad.mistakes import MISTAKES


def test_shape_explorer_follows_its_controls_and_clamps_the_layer():
    explorer = widgets.make_shape_explorer()
    assert explorer.widths == [3, 4, 2]
    assert "g h(k-1)ᵀ" in explorer.summary.value and "4 × 3" in explorer.summary.value
    first_picture = explorer.image.png
    explorer.batch.value = 5
    assert explorer.layer_shapes.shapes["g"] == (4, 5)
    assert explorer.image.png != first_picture
    explorer.layer.value = 2
    assert explorer.layer_shapes.shapes["W(k)"] == (2, 4)
    explorer.depth.value = 1  # k = 2 no longer exists: clamped to 1
    assert explorer.layer.value == 1 and explorer.layer.max == 1
    assert len(explorer.widths_box.children) == 2
    explorer.candidate.value = "h(k-1) gᵀ"
    assert "✗" in explorer.summary.value and "transpose of the answer" in explorer.summary.value
    assert not explorer.verdict.correct


def test_backward_stepper_moves_line_by_line():
    stepper = widgets.make_backward_stepper()
    assert stepper.frame.line == 0 and "background" in stepper.algorithm.value
    stepper.next.click()
    stepper.next.click()
    stepper.next.click()
    assert stepper.frame.result == "∇W(2) J"
    assert "∇W(2) J" in stepper.summary.value and "2×4" in stepper.summary.value
    stepper.previous.click()
    assert stepper.frame.result == "∇b(2) J"
    stepper.reset.click()
    assert stepper.position.value == 0
    stepper.previous.click()  # clamped at the first line, no error
    assert stepper.position.value == 0
    last = len(stepper.frames) - 1
    stepper.position.value = last
    assert stepper.frame.result == "g = ∇h(0) J"
    for _ in range(3):
        stepper.next.click()
    assert stepper.position.value == last


def test_the_stepper_s_slider_names_the_line_the_panel_names():
    stepper = widgets.make_backward_stepper()
    for _ in range(len(stepper.frames)):
        line = re.search(r"Line (\d+)(?: with k = (\d))?", stepper.summary.value)
        label = stepper.position.label
        assert label == f"line {line[1]}" + (f", k = {line[2]}" if line[2] else "")
        stepper.next.click()


def test_gradient_checker_turns_pass_into_fail_with_a_wrong_formula():
    checker = widgets.make_gradient_checker()
    assert checker.verdict == "PASS" and "PASS" in checker.summary.value
    checker.widths.value = "3-3-3"
    for mistake in ("h_g_transpose", "missing_f_prime", "missing_lambda", "sum_for_mean"):
        checker.mistake.value = mistake
        assert checker.verdict == "FAIL", mistake
        assert "FAIL" in checker.summary.value
    checker.mistake.value = settings_check.CORRECT
    assert checker.verdict == "PASS"
    checker.parameter.value = "b(2)"
    assert checker.image.png.startswith(b"\x89PNG")


def _verdict_line(summary: str) -> str:
    """The text of the summary's first paragraph: the verdict line (a FAIL table holds PASS
    rows), as a reader sees it: without the tags, with entities such as &lt; read."""
    return html.unescape(re.sub(r"<[^>]*>", "", re.search(r"<p[^>]*>(.*?)</p>", summary).group(1)))


def _shown(value: str) -> str:
    """An HTML widget's text as a reader sees it: without the tags, entities read."""
    return html.unescape(re.sub(r"<[^>]*>", "", value))


def _png(figure, *, dpi: int = 80) -> bytes:
    """A pyplot figure as PNG bytes, as a widget's picture would be; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()


def _no_check_picture(checker) -> bytes:
    return figures.GradientComparisonFigure().no_check(checker.outcome.message).png()


def _comparison_picture(checker) -> bytes:
    check = checker.outcome.report[checker.parameter.value]
    return _png(figures.plot_gradient_comparison(check))


def _assert_no_check(checker, *reason):
    """The checker shows "no check" and why, and nothing of the check before."""
    assert checker.verdict == "NO CHECK" and checker.outcome.report is None
    assert repr(checker).endswith("-> NO CHECK)")
    summary = checker.summary.value
    assert "NO CHECK" in summary and "Not possible" in summary
    for text in reason:
        assert text in summary
    for stale in ("PASS", "FAIL", "UNRESOLVED", "relative error", "<table"):
        assert stale not in summary
    assert checker.picture.check is None and checker.parameter.disabled
    np.testing.assert_array_equal(_pixels(checker.image.png), _pixels(_no_check_picture(checker)))


def _assert_checked(checker, verdict="PASS"):
    assert checker.verdict == verdict and repr(checker).endswith(f"-> {verdict})")
    # The verdict line is the report's own summary, word for word.
    assert _verdict_line(checker.summary.value) == checker.outcome.report.summary()
    assert "NO CHECK" not in checker.summary.value and not checker.parameter.disabled
    np.testing.assert_array_equal(_pixels(checker.image.png), _pixels(_comparison_picture(checker)))


def _set(control, value):
    return lambda checker: setattr(getattr(checker, control), "value", value)


IMPOSSIBLE = {
    # setting: (before it, the impossible change, what the message says, the way back)
    "complex step on ReLU": (
        lambda checker: (_set("seed", 2)(checker), _set("activation", "relu")(checker)),
        _set("method", "complex"),
        ("complex step", "ReLU"),
        _set("method", "central"),
    ),
    "a formula that cannot be formed": (
        None,
        _set("mistake", "dropped_transpose"),
        ("dropped transpose fails",),
        _set("mistake", settings_check.CORRECT),
    ),
    "widths that are not numbers": (
        None,
        _set("widths", "3-x"),
        ("whole numbers",),
        _set("widths", "3-4-2"),
    ),
    "a NaN step": (None, _set("step", float("nan")), ("step h", "nan"), _set("step", 1e-5)),
    "a NaN λ": (None, _set("lam", float("nan")), ("λ", "nan"), _set("lam", 0.2)),
    "no activation": (
        None,
        _set("activation", None),
        ("activation f",),
        _set("activation", "tanh"),
    ),
    "no loss": (None, _set("loss", None), ("loss L",), _set("loss", "squared_error")),
    "no method": (None, _set("method", None), ("choose a method",), _set("method", "forward")),
    "no formula": (
        None,
        _set("mistake", None),
        ("formula for Algorithm 6.4",),
        _set("mistake", settings_check.CORRECT),
    ),
}


@pytest.mark.parametrize("setting", list(IMPOSSIBLE))
def test_an_impossible_setting_shows_no_check_and_the_next_possible_one_checks_afresh(setting):
    before, change, reason, back = IMPOSSIBLE[setting]
    checker = widgets.make_gradient_checker()
    if before:
        before(checker)
    _assert_checked(checker, "PASS")
    passed, picture = checker.outcome, checker.image.png
    change(checker)
    _assert_no_check(checker, *reason)
    assert checker.image.png != picture
    checker.seed.value = 3  # another control moved: still no check, and still why
    _assert_no_check(checker, *reason)
    back(checker)
    _assert_checked(checker, "PASS")
    assert checker.outcome is not passed
    checker.mistake.value = "h_g_transpose"  # a live check again: it can fail
    _assert_checked(checker, "FAIL")


def test_observers_survive_values_set_from_code_again_and_again():
    checker = widgets.make_gradient_checker()
    bad = [
        (checker.step, float("nan")),
        (checker.lam, float("nan")),
        (checker.activation, None),
        (checker.method, None),
        (checker.mistake, None),
        (checker.loss, None),
    ]
    for _ in range(3):
        for control, value in bad:
            control.value = value  # raised from the observer, before
            assert checker.verdict == "NO CHECK" and repr(checker).endswith("-> NO CHECK)")
    for control, value in [(checker.batch, None), (checker.seed, None), (checker.widths, None)]:
        with pytest.raises(traitlets.TraitError):  # ipywidgets refuses these itself
            control.value = value
        assert checker.verdict == "NO CHECK"
    checker.activation.value = "sigmoid"
    checker.loss.value = "squared_error"
    checker.mistake.value = settings_check.CORRECT
    checker.lam.value = 0.3
    assert checker.verdict == "NO CHECK" and "choose a method" in checker.summary.value
    checker.method.value = "central"  # the step follows the method: no NaN left
    _assert_checked(checker, "PASS")
    assert checker.outcome.report.method == "central"


def test_a_parameter_set_to_none_from_code_shows_a_parameter_of_the_check():
    checker = widgets.make_gradient_checker()
    checker.parameter.value = "b(2)"
    checker.parameter.value = None
    assert checker.parameter.value == "W(1)"
    _assert_checked(checker, "PASS")


def test_an_error_inside_the_check_or_the_picture_is_no_check_not_an_exception(monkeypatch):
    checker = widgets.make_gradient_checker()

    def broken(*args, **kwargs):
        raise KeyError("W(3)")

    monkeypatch.setattr(settings_check, "gradient_check", broken)
    for seed in (1, 2):
        checker.seed.value = seed
        _assert_no_check(checker, "KeyError", "W(3)")
    monkeypatch.undo()
    checker.seed.value = 3
    _assert_checked(checker, "PASS")
    monkeypatch.setattr(checker.picture, "update", broken)
    checker.parameter.value = "b(1)"
    _assert_no_check(checker, "KeyError")
    monkeypatch.undo()
    checker.seed.value = 4
    _assert_checked(checker, "PASS")


class _Like:
    """A report or parameter check of the new gradient check: the same, with ``changes``."""

    def __init__(self, original, **changes):
        self._original = original
        self.__dict__.update(changes)

    def __getattr__(self, name):
        return getattr(self._original, name)

    def __getitem__(self, name):
        return next(check for check in self.checks if check.name == name)


UNRESOLVED_SUMMARY = "UNRESOLVED: W(1) is below what central differences resolve; try complex step"


def _unresolved(report):
    """``report`` as the new gradient check reports a gradient it cannot resolve in W(1)."""
    checks = [
        _Like(check, verdict="UNRESOLVED" if check.name == "W(1)" else "PASS", passed=False)
        for check in report.checks
    ]
    rows = [(c.name, shape_text(c.shape), f"{c.rel_error:.0e}", "1e-07", c.verdict) for c in checks]
    return _Like(
        report,
        verdict="UNRESOLVED",
        passed=False,
        checks=checks,
        rows=lambda: rows,
        summary=lambda: UNRESOLVED_SUMMARY,
    )


def test_an_unresolved_check_is_shown_in_amber_with_its_summary_never_green(monkeypatch):
    real = settings_check.gradient_check

    def unresolved(*args, **kwargs):
        return _unresolved(real(*args, **kwargs))

    monkeypatch.setattr(settings_check, "gradient_check", unresolved)
    checker = widgets.make_gradient_checker()
    assert checker.verdict == "UNRESOLVED" and checker.outcome.verdict == "UNRESOLVED"
    assert repr(checker).endswith("-> UNRESOLVED)")
    summary = checker.summary.value
    assert "#8c510a" in summary and widgets.VERDICT_COLOURS["PASS"] not in summary
    assert "<th>tolerance</th>" in summary  # the new report's rows have five columns
    assert _verdict_line(summary) == UNRESOLVED_SUMMARY
    assert checker.picture.figure.get_suptitle() == "W(1) (4×3): UNRESOLVED"
    checker.parameter.value = "b(1)"
    assert checker.picture.figure.get_suptitle() == "b(1) (4×1): PASS"
    checker.method.value = "complex"
    checker.activation.value = "relu"
    _assert_no_check(checker, "ReLU")


def test_the_comparison_picture_leaves_nan_and_inf_out_of_its_scales():
    check = settings_check.check_from_settings([3, 3, 3]).report["W(1)"]
    claimed = check.claimed.copy()
    claimed[0, 0], claimed[1, 1] = np.nan, np.inf
    broken = _Like(check, claimed=claimed, rel_error=np.inf, verdict="FAIL", passed=False)
    picture = figures.GradientComparisonFigure().update(broken)
    extent = np.max(np.abs(check.numerical))
    assert picture.images[1].get_clim() == pytest.approx((-extent, extent), rel=0.5)
    assert np.isfinite(picture.images[2].get_clim()).all()
    assert bytes(picture.png()).startswith(b"\x89PNG")
    assert picture.shows(broken) and not picture.shows(check)


def test_changing_the_method_resets_the_step_to_its_theoretical_best():
    checker = widgets.make_gradient_checker()
    checker.method.value = "forward"
    assert checker.step.value == pytest.approx(1.49e-8, rel=1e-2)
    assert checker.outcome.report.method == "forward"


def test_step_size_explorer_marks_the_chosen_step_and_skips_complex_for_relu():
    explorer = widgets.make_step_size_explorer()
    assert set(explorer.curves) == {"forward", "central", "complex"}
    explorer.step.value = 1e-5
    assert "At h = 1e-05" in _shown(explorer.summary.value)
    assert explorer.chosen_errors["central"] < 1e-8
    explorer.step.value = 1e-1
    assert explorer.chosen_errors["central"] > 1e-4
    explorer.activation.value = "relu"
    assert "complex" not in explorer.curves and "not shown for ReLU" in explorer.summary.value


def test_no_figures_are_left_open_after_many_updates():
    checker = widgets.make_gradient_checker()
    explorer = widgets.make_shape_explorer()
    for seed in range(12):  # 24 figures drawn: past matplotlib's warning at 20 open
        checker.seed.value = seed % 21
        explorer.batch.value = 1 + seed % 8
    assert plt.get_fignums() == []


def test_text_reprs_are_short_and_describe_the_state():
    # Notebooks store this text, and nbval compares it: it must not carry images or ids.
    assert repr(widgets.make_shape_explorer()) == (
        "ShapeExplorer(widths 3-4-2, m = 1, k = 1: g h(k-1)ᵀ fits)"
    )
    assert repr(widgets.make_backward_stepper()).startswith("BackwardStepper(line 1 of")
    checker = widgets.make_gradient_checker()
    assert repr(checker).endswith("-> PASS)")
    checker.activation.value = "relu"
    checker.method.value = "complex"  # no check: never the last verdict
    assert repr(checker) == (
        "GradientChecker(3-4-2, relu, complex differences, formula: none: the book's formula"
        " -> NO CHECK)"
    )
    assert "chosen step 1e-05" in repr(widgets.make_step_size_explorer())


def _pixels(png) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(bytes(png))).convert("RGBA"))


def _assert_redrawn_in_place(widget, change, fresh_png):
    """After ``change()``: the same Figure, a new picture, and the picture of a new figure."""
    figure, before = widget.picture.figure, widget.image.png
    change()
    assert widget.picture.figure is figure
    assert widget.image.png != before
    np.testing.assert_array_equal(_pixels(widget.image.png), _pixels(fresh_png()))


def test_shape_explorer_redraws_its_one_figure_to_the_new_shapes():
    explorer = widgets.make_shape_explorer()

    def fresh():
        return _png(figures.plot_shapes(explorer.layer_shapes, explorer.verdict))

    def deepest_layer():
        explorer.depth.value = 5  # alone, no change: layer 1 stays as it was
        explorer.layer.value = 4

    changes = [
        lambda: setattr(explorer.batch, "value", 5),
        lambda: setattr(explorer.candidate, "value", "h(k-1) gᵀ"),
        deepest_layer,
        lambda: setattr(explorer.width_sliders[3], "value", 7),
        lambda: setattr(explorer.candidate, "value", "gᵀ h(k-1)"),  # a cross, not a grid
        lambda: setattr(explorer.candidate, "value", "g h(k-1)ᵀ"),
    ]
    for change in changes:
        _assert_redrawn_in_place(explorer, change, fresh)
    cells = [len(grid.get_paths()) for grid in explorer.picture.grids[:4]]
    assert cells == [3 * 5, 5 * 7, 3 * 7, 3 * 7]  # n_4 = 3, m = 5, n_3 = 7
    assert not explorer.picture.grids[4].get_visible()


def test_backward_stepper_redraws_its_one_figure_frame_by_frame():
    stepper = widgets.make_backward_stepper()

    def fresh():
        return figures.VectorFigure().update(stepper.frame.value, stepper.frame.result).png()

    for _ in range(4):
        _assert_redrawn_in_place(stepper, stepper.next.click, fresh)
    np.testing.assert_array_equal(
        stepper.picture.image.get_array(), np.atleast_2d(stepper.frame.value)
    )
    extent = np.max(np.abs(stepper.frame.value))
    assert stepper.picture.image.get_clim() == (-extent, extent)


def test_gradient_checker_redraws_its_one_figure_and_skips_an_unchanged_check():
    checker = widgets.make_gradient_checker()

    def fresh():
        check = checker.outcome.report[checker.parameter.value]
        return _png(figures.plot_gradient_comparison(check))

    for control, value in [
        (checker.seed, 3),
        (checker.parameter, "b(2)"),
        (checker.parameter, "W(1)"),
        (checker.mistake, "h_g_transpose"),  # h gᵀ is 3 × 4 for a 4 × 3 W(1): shapes differ
        (checker.parameter, "W(2)"),
        (checker.mistake, settings_check.CORRECT),
        (checker.widths, "5-6-4"),
    ]:
        _assert_redrawn_in_place(checker, lambda c=control, v=value: setattr(c, "value", v), fresh)
    shown = checker.picture.check
    assert shown is checker.outcome.report["W(2)"]
    checker.update()  # the same settings: an equal check, which is not drawn again
    assert checker.picture.shows(checker.outcome.report["W(2)"])
    assert checker.picture.check is shown
    checker.seed.value = 4
    assert checker.picture.check is checker.outcome.report["W(2)"]


def test_step_size_explorer_moves_its_mark_and_replaces_its_curves_in_place():
    explorer = widgets.make_step_size_explorer()

    def fresh():
        return _png(
            figures.plot_step_errors(
                explorer.steps,
                explorer.curves,
                chosen=float(explorer.step.value),
                chosen_errors=explorer.chosen_errors,
                note=False,  # the live figure leaves the legend's title out
            )
        )

    for control, value in [
        (explorer.step, 1e-6),
        (explorer.step, 1e-13),  # star errors may widen the axes: the saved background is stale
        (explorer.seed, 4),
        (explorer.step, 1e-8),
        (explorer.activation, "relu"),
        (explorer.step, 1e-3),
    ]:
        _assert_redrawn_in_place(explorer, lambda c=control, v=value: setattr(c, "value", v), fresh)
    assert explorer.picture.marker.get_xdata()[0] == explorer.step.value
    assert list(explorer.picture.stars.get_ydata()) == list(explorer.chosen_errors.values())
    np.testing.assert_array_equal(
        explorer.picture.curves["central"].get_ydata(), explorer.curves["central"]
    )


def test_a_widget_never_imports_pyplot():
    # In the browser's Python, importing pyplot costs about a second of a live widget's start.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from matgrad.book import widgets\n"
        "for make in (widgets.make_shape_explorer, widgets.make_backward_stepper,\n"
        "             widgets.make_gradient_checker, widgets.make_step_size_explorer,\n"
        "             widgets.make_im2col_explorer):\n"
        "    make()\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("make", "control", "value"),
    [
        (widgets.make_step_size_explorer, "activation", None),
        (widgets.make_step_size_explorer, "step", float("nan")),
        (widgets.make_shape_explorer, "candidate", None),
    ],
)
def test_every_widget_shows_a_message_for_a_value_set_from_code_and_recovers(make, control, value):
    widget = make()
    good, picture = getattr(widget, control).value, widget.image.png
    getattr(widget, control).value = value  # must not raise
    assert "Not possible" in widget.summary.value and widget.image.png == b""
    getattr(widget, control).value = good
    assert "Not possible" not in widget.summary.value
    assert widget.image.png == picture
    assert 'alt=""' not in widget.image.value and widget.image.alt in html.unescape(
        widget.image.value
    )


# On every screen: the layouts and names the browser tests (tests/test_screens.py) measure
# on the built pages, checked here on the widgets themselves.
MAKERS = [
    widgets.make_shape_explorer,
    widgets.make_backward_stepper,
    widgets.make_gradient_checker,
    widgets.make_step_size_explorer,
    widgets.make_im2col_explorer,
]
# The widget column of a 390 px phone is about 330 px wide: no control may need more.
PHONE_COLUMN = 330
FONT_PX = 13  # ipywidgets' --jp-widgets-font-size
CONTROLS = (
    w.IntSlider,
    w.FloatSlider,
    w.FloatLogSlider,
    w.SelectionSlider,
    w.Dropdown,
    w.Text,
    w.Button,
)


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def _all_parts(widget):
    """Every widget the view can show, the width sliders hidden at this depth included."""
    parts = list(_descendants(widget))
    return parts + [s for s in getattr(widget, "width_sliders", []) if s not in parts]


def _px(length) -> float:
    """A CSS length in px (em at the widgets' font size); 0 for none, auto or a percentage."""
    match = re.fullmatch(r"([\d.]+)(px|em)", (length or "").strip())
    if not match:
        return 0.0
    return float(match[1]) * (FONT_PX if match[2] == "em" else 1)


def _text_px(text: str) -> float:
    """The width of ``text`` at the widgets' font size, in DejaVu Sans (Debian's Chromium's
    sans-serif): an estimate of what the browser draws."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(100, 100, 72)  # at 72 dpi a point is a pixel
    width, _, _ = renderer.get_text_width_height_descent(
        text, FontProperties(family="DejaVu Sans", size=FONT_PX), ismath=False
    )
    return width


@pytest.mark.parametrize("make", MAKERS)
def test_every_control_fits_a_phone_and_every_line_of_controls_wraps(make):
    widget = make()
    for part in _all_parts(widget):
        layout = part.layout
        for length in (layout.width, layout.min_width):
            assert _px(length) <= PHONE_COLUMN, (part, length)
        assert not (layout.width or "").endswith("%") or part in (widget,), (part, layout.width)
        if isinstance(part, w.HBox):
            assert layout.flex_flow == "row wrap", part
        if isinstance(part, w.Button):
            assert layout.width == "auto", part.description  # its whole text, never cut
    assert not any(isinstance(part, w.Play) for part in _all_parts(widget))


@pytest.mark.parametrize("make", MAKERS)
def test_every_control_has_a_name_and_a_label_wide_enough_for_it(make):
    widget = make()
    controls = [part for part in _all_parts(widget) if isinstance(part, CONTROLS)]
    assert controls
    for control in controls:
        assert control.description.strip(), control  # what a screen reader announces
        if isinstance(control, w.Button):
            continue
        label = _px(control.style.description_width)
        if label:  # a fixed width: the label must not be cut
            assert _text_px(control.description) + 2 <= label, control.description


@pytest.mark.parametrize("make", MAKERS)
def test_every_picture_scales_to_the_column_and_says_what_it_shows(make):
    widget = make()
    picture = widget.image
    assert isinstance(picture, widgets.Picture) and picture.png.startswith(b"\x89PNG")
    image = re.fullmatch(
        r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)" (.*)>', picture.value
    )
    assert image, picture.value[:200]
    assert base64.b64decode(image[1]) == picture.png
    # What the picture shows, read out: a few sentences (a step-size plot tells each curve).
    assert html.unescape(image[2]) == picture.alt and len(picture.alt) < 700
    assert "max-width:100%;height:auto" in image[3]
    width, height = PIL.Image.open(io.BytesIO(picture.png)).size
    assert f'width="{width}" height="{height}"' in image[3]


def _alts(widget, changes):
    alts = [widget.image.alt]
    for change in changes:
        change()
        alts.append(widget.image.alt)
    return alts


def test_the_shape_explorers_alt_text_follows_its_shapes_and_candidate():
    explorer = widgets.make_shape_explorer()
    alts = _alts(
        explorer,
        [
            lambda: setattr(explorer.batch, "value", 5),
            lambda: setattr(explorer.candidate, "value", "h(k-1) gᵀ"),
            lambda: setattr(explorer.candidate, "value", "gᵀ h(k-1)"),
        ],
    )
    assert "g (4 × 1) times h(k-1)ᵀ (1 × 3) equals g h(k-1)ᵀ (4 × 3)" in alts[0]
    assert "g (4 × 5) times h(k-1)ᵀ (5 × 3)" in alts[1]
    assert alts[2].endswith("the candidate h(k-1) gᵀ, 3 × 4: does not fit W(k).")
    assert alts[3].endswith("a cross: gᵀ h(k-1) cannot be formed.")


def test_the_backward_steppers_alt_text_names_the_value_and_its_numbers():
    stepper = widgets.make_backward_stepper()
    first = stepper.image.alt
    g = stepper.frame.value
    assert first.startswith(f"Heat map of g = ∇ŷ J ({len(g)} × 1), row by row: ")
    assert f"{g.flat[0]:.2f}" in first
    stepper.next.click()
    assert stepper.image.alt != first and stepper.frame.result in stepper.image.alt
    big = widgets.make_backward_stepper(widths=[12, 12, 12])
    big.position.value = 3  # ∇W(2) J, 12 × 12: too many numbers to read out
    assert big.image.alt.endswith("(12 × 12), its values written in its cells.")


def test_the_gradient_checkers_alt_text_follows_its_parameter_and_verdict():
    checker = widgets.make_gradient_checker()
    assert checker.image.alt.startswith("W(1) (4×3): PASS. Three heat maps side by side")
    checker.parameter.value = "b(2)"
    assert checker.image.alt.startswith("b(2) (2×1): PASS.")
    checker.mistake.value = "h_g_transpose"
    checker.parameter.value = "W(1)"
    assert checker.image.alt.startswith("W(1) (4×3): FAIL. Backprop's gradient has shape (3, 4)")
    checker.widths.value = "3-x"
    assert checker.image.alt == widgets.NO_CHECK_ALT


def test_the_step_size_explorers_alt_text_reads_the_mark():
    explorer = widgets.make_step_size_explorer()
    assert "one curve each for forward, central and complex;" in explorer.image.alt
    assert "marks the chosen step 1e-05" in explorer.image.alt
    explorer.step.value = 1e-8
    assert "marks the chosen step 1e-08" in explorer.image.alt
    explorer.activation.value = "relu"  # no complex step on a kink
    assert "one curve each for forward and central;" in explorer.image.alt


def test_a_picture_without_a_png_shows_nothing_and_says_nothing():
    picture = widgets.Picture()
    picture.show(b"", "a stale description")
    assert picture.value == "" and picture.alt == "" and picture.png == b""


# --- The im2col explorer -------------------------------------------------------------------------


def _status(widget) -> str:
    """The text of the widget's status line (``role="status"``), as a reader sees it."""
    status = re.match(
        r'<div role="status" aria-live="polite">(.*?)</div>(?:<p>|$)', widget.summary.value
    )
    return html.unescape(re.sub(r"<[^>]*>", "", status[1]))


def _fresh_im2col(explorer):
    return _png(figures.plot_im2col(explorer.route), dpi=figures.IM2COL_DPI)


def test_im2col_explorer_states_the_products_shapes_with_numbers():
    explorer = widgets.make_im2col_explorer()
    assert repr(explorer) == (
        "Im2colExplorer(N = 2, C_in = 2, C_out = 3, 5 × 5 image, 3 × 3 kernel, stride 1, "
        "padding 0: Y_col 3 × 18 = W_col 3 × 18 X_col 18 × 18; pixel (0, 1, 1) is column 4)"
    )
    status = _status(explorer)
    assert im2col.SYMBOLS in status
    assert (
        "Y_col (3 × 2·3·3 = 3 × 18) = W_col (3 × 2·3·3 = 3 × 18) X_col (2·3·3 × 2·3·3 = 18 × 18)"
        in status
    )
    summary = html.unescape(explorer.summary.value)
    assert "x (N × C_in × H × W) 2 × 2 × 5 × 5" in summary
    assert "H_out = ⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3" in summary
    assert explorer.route.sentence() in summary
    explorer.batch.value = 4
    explorer.c_in.value = 8
    explorer.kernel.value = 5
    explorer.c_out.value = 1
    assert "Y_col (1 × 4·1·1 = 1 × 4) = W_col (1 × 8·5·5 = 1 × 200)" in _status(explorer)
    assert explorer.route.layout.shapes["X_col"] == (200, 4)
    explorer.n.value = 3
    assert explorer.route.column == 3 and "(n, i, j) = (3, 0, 0)" in explorer.summary.value


def test_im2col_explorer_clamps_its_controls_and_the_pixel_follows_the_output():
    explorer = widgets.make_im2col_explorer()
    explorer.batch.value = 99  # ipywidgets clamps into the slider's range: the explorer's limits
    explorer.padding.value = -1
    explorer.stride.value = 0
    assert (explorer.batch.value, explorer.padding.value, explorer.stride.value) == (4, 0, 1)
    assert explorer.n.max == 3
    explorer.size.value = 12
    explorer.i.value, explorer.j.value = 9, 7
    assert explorer.route.pixel == (0, 9, 7)
    explorer.stride.value = 4  # 12 → 3 output rows: the pixel is clamped into them
    assert (explorer.i.max, explorer.i.value, explorer.j.value) == (2, 2, 2)
    assert explorer.route.pixel == (0, 2, 2)
    explorer.batch.value = 1
    assert (explorer.n.max, explorer.n.value) == (0, 0)
    np.testing.assert_array_equal(_pixels(explorer.image.png), _pixels(_fresh_im2col(explorer)))


def test_im2col_explorer_says_why_a_kernel_does_not_fit_and_shows_nothing_stale():
    explorer = widgets.make_im2col_explorer()
    picture = explorer.image.png
    explorer.kernel.value = 7  # a 7 × 7 kernel in a 5 × 5 image, unpadded
    assert explorer.route is None and explorer.product.layout is None
    assert "Not possible" in explorer.summary.value
    assert "The 7 × 7 kernel does not fit in the 5 × 5 image padded by 0" in _status(explorer)
    for stale in ("Y_col (", "Output pixel", "H_out ="):
        assert stale not in explorer.summary.value
    assert explorer.image.png == b"" and explorer.image.value == "" and explorer.image.alt == ""
    assert all(control.disabled for control in explorer.pixel_controls)
    assert repr(explorer).endswith("stride 1, padding 0: the kernel does not fit)")
    explorer.batch.value = 3  # another control: still the message, still no picture
    assert "does not fit" in explorer.summary.value and explorer.image.png == b""
    explorer.padding.value = 1  # 7 × 7 fits the padded image: one output pixel
    assert not any(control.disabled for control in explorer.pixel_controls)
    assert (explorer.i.max, explorer.j.max) == (0, 0) and explorer.route.pixel == (0, 0, 0)
    assert "Not possible" not in explorer.summary.value
    assert explorer.image.png and explorer.image.png != picture
    np.testing.assert_array_equal(_pixels(explorer.image.png), _pixels(_fresh_im2col(explorer)))


def test_im2col_explorer_shows_a_message_for_an_error_inside_and_recovers(monkeypatch):
    explorer = widgets.make_im2col_explorer()
    picture = explorer.image.png

    def broken(*args, **kwargs):
        raise KeyError("X_col")

    monkeypatch.setattr(im2col, "route", broken)
    explorer.stride.value = 2
    assert "Not possible" in explorer.summary.value and "KeyError" in explorer.summary.value
    assert explorer.image.png == b""
    monkeypatch.undo()
    explorer.stride.value = 1
    assert "Not possible" not in explorer.summary.value and explorer.image.png == picture


def test_im2col_explorer_redraws_its_one_figure_to_the_new_settings():
    explorer = widgets.make_im2col_explorer()
    for control, value in [
        (explorer.stride, 2),
        (explorer.padding, 1),
        (explorer.j, 0),
        (explorer.n, 1),
        (explorer.c_in, 8),
        (explorer.size, 12),
        (explorer.kernel, 7),
        (explorer.batch, 4),
        (explorer.padding, 0),
    ]:
        _assert_redrawn_in_place(
            explorer,
            lambda c=control, v=value: setattr(c, "value", v),
            lambda: _fresh_im2col(explorer),
        )
    assert explorer.picture.route is explorer.route


def test_the_im2col_explorers_alt_text_follows_its_settings():
    explorer = widgets.make_im2col_explorer()
    alts = _alts(
        explorer,
        [
            lambda: setattr(explorer.padding, "value", 1),
            lambda: setattr(explorer.i, "value", 0),
            lambda: setattr(explorer.kernel, "value", 7),
        ],
    )
    assert alts[0] == figures.im2col_alt(im2col.route(im2col.product().layout, 0, 1, 1))
    assert alts[0].startswith("Rectangles drawn to scale: Y_col (3 × 18) equals W_col (3 × 18)")
    assert "padded by 1 to 7 × 7 (padding hatched)" in alts[1]
    assert "output pixel (n, i, j) = (0, 0, 1)" in alts[2] and "padding cells" in alts[2]
    assert "W_col (3 × 98)" in alts[3] and "the 1 × 1 output y[0]" in alts[3]


def test_the_checker_s_formulas_read_as_formulas_not_code_names():
    checker = widgets.make_gradient_checker()
    labels = [label for label, _ in checker.mistake.options]
    assert labels[0] == settings_check.CORRECT
    # Each wrong formula is shown as the library describes it; its value stays the name.
    assert labels[1:] == list(MISTAKES.values())
    assert [value for _, value in checker.mistake.options[1:]] == list(MISTAKES)
    assert not any(name in label for name in MISTAKES for label in labels)
