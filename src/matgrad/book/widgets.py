"""The book's interactive widgets (ipywidgets 8): thin views over pure functions.

Used in: why-transpose (``make_shape_explorer``, ``make_adjoint_probe``, ``make_answer_box``),
backward (``make_backward_stepper``, ``make_answer_box``), questions
(``make_gradient_checker``), checking-gradients (``make_step_size_explorer``), convolution
(``make_im2col_explorer``), and minibatches, layouts, attention-norms and exercises
(``make_answer_box``). What they show is computed by :mod:`~matgrad.book.shapes`,
:mod:`~matgrad.book.walkthrough`, :mod:`~matgrad.book.settings_check`,
:mod:`~matgrad.book.step_size`, :mod:`~matgrad.book.adjoint`, :mod:`~matgrad.book.grader` and
:mod:`~matgrad.book.im2col`, and drawn by :mod:`~matgrad.book.figures`.

Each ``make_...()`` returns the widget without displaying it. Every widget keeps what it
shows in plain attributes (``summary``, ``verdict``, ``data``) so tests can drive the
controls and read the result; figures are rendered to PNG into a :class:`Picture` (an
``<img>`` with alt text saying what it shows), so an update replaces one picture (no flicker,
no figures left open) and the page's stored widget state carries the picture and its alt
text to the static site. Controls wrap onto lines of their own on a narrow screen. Each
widget keeps one figure (``picture``, a :class:`matgrad.book.figures.LiveFigure`) and redraws
it in place: a new figure per update was too slow to follow a slider in Pyodide.
"""

from __future__ import annotations

import base64
import functools
import html
import struct
import sys

import ipywidgets as w
import numpy as np

from matgrad._text import format_bounded, html_text, shape_text
from matgrad.book import (
    adjoint,
    examples,
    figures,
    grader,
    im2col,
    settings_check,
    shapes,
    step_size,
    walkthrough,
)
from matgrad.checks import ROW_HEADERS
from matgrad.finite_differences import METHODS, default_step
from matgrad.functions import ACTIVATIONS
from matgrad.mistakes import MISTAKES
from matgrad.network import ALGORITHM_6_4

# A label as wide as its text (never cut); the control takes the rest of its line. Lines of
# controls wrap, so a phone stacks them, each a whole column wide.
STYLE = {"description_width": "initial"}
# Stacked controls line up with one label width per widget, a little over its longest label
# at ipywidgets' 13 px (a longer label is cut with an ellipsis, never wrapped):
# "batch size m" 83 px, "widths n_0-…-n_l" 110 px, "activation f" 73 px.
SHAPE_LABELS = {"description_width": "7em"}
CHECKER_LABELS = {"description_width": "9em"}
STEP_LABELS = {"description_width": "6.5em"}
# A control grows from a phone's column (about 330 px) to at most MAX_CONTROL; a slider then
# keeps a track of about 150 px or more beside its label and readout.
MAX_CONTROL = "460px"


def control_layout(basis: str = "280px") -> w.Layout:
    """A control's layout: ``basis`` wide where it fits, wrapping onto a line of its own."""
    return w.Layout(flex=f"1 1 {basis}", width="auto", max_width=MAX_CONTROL)


def controls(*children) -> w.HBox:
    """A line of controls that wraps: side by side on a wide screen, stacked on a phone."""
    # No width: the box stretches to its column (a width of 100% plus ipywidgets' margins
    # would overflow it by a few pixels and make the whole output scroll).
    return w.HBox(list(children), layout=w.Layout(flex_flow="row wrap"))


def button(description: str) -> w.Button:
    # As wide as its text ("auto"): ipywidgets' fixed button width cuts a longer description.
    return w.Button(description=description, layout=w.Layout(width="auto"))


class Picture(w.HTML):
    """A PNG figure with alt text saying what it shows now, scaled to the column.

    ipywidgets 8's ``Image`` has no ``alt`` trait (only ``format``, ``width``, ``height`` and
    ``tooltip``, a title on the image), so the picture is an ``<img>`` in an ``HTML`` widget,
    its PNG as a data URI: one update still replaces one picture, the page's stored widget
    state carries it and its alt text to the static site. ``png`` and ``alt`` keep what it
    shows. Its width and height attributes keep the picture's place while it loads (no jump).
    """

    def __init__(self):
        super().__init__(layout=w.Layout(max_width="100%"))
        self.add_class("matgrad-picture")
        self.png, self.alt = b"", ""

    def show(self, png: bytes, alt: str) -> None:
        """Show ``png`` described by ``alt``; no PNG (``b""``) shows nothing."""
        self.png, self.alt = bytes(png), alt if png else ""
        if not png:
            self.value = ""
            return
        width, height = struct.unpack(">II", self.png[16:24])  # the PNG's IHDR chunk
        data = base64.b64encode(self.png).decode("ascii")
        self.value = (
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" width="{width}"'
            f' height="{height}" style="max-width:100%;height:auto;display:block">'
        )


# The gradient checker's and the answer box's verdict line: never green unless every parameter
# passed. Amber for UNRESOLVED is dark enough (#8c510a, 6.7:1 on white) to read as text. A
# widget's panel sits on white on every page, dark mode included (book/_vendor/matgrad.css).
VERDICT_COLOURS = {
    "PASS": "#1b7837",  # 5.5:1 on white (AA for text); the brighter #1a9850 was 3.7:1
    "FAIL": "#b2182b",
    "UNRESOLVED": "#8c510a",
    settings_check.NO_CHECK: "#4d4d4d",
    grader.INVALID: "#404040",  # an answer that cannot be read: no verdict, 10.4:1 on white
}


def _message(text: str) -> str:
    return f'<div style="color:#b2182b"><b>Not possible:</b> {html.escape(text)}</div>'


def _guarded(update):
    """An observer that never raises: a value set from code that cannot be shown (a ``None``
    dropdown, a NaN step) leaves a message and no picture, never a traceback or the last one.
    """

    @functools.wraps(update)
    def guarded(self, change=None):
        try:
            update(self, change)
        except Exception as error:
            self.summary.value = _message(f"{type(error).__name__}: {error}")
            self.image.show(b"", "")

    return guarded


# The gradient checker's picture when nothing was checked (the alt text of the others is
# computed by matgrad.book.figures from what they draw).
NO_CHECK_ALT = "No check: nothing was checked with these settings (the text above says why)."


class ShapeExplorer(w.VBox):
    """Depth, widths, batch size and layer → the shapes in layer ``k``'s gradient lines."""

    def __init__(self):
        self.depth = w.IntSlider(
            2,
            min=1,
            max=shapes.MAX_DEPTH,
            description="depth l",
            style=SHAPE_LABELS,
            layout=control_layout(),
        )
        self.width_sliders = [
            w.IntSlider(
                n,
                min=1,
                max=shapes.MAX_WIDTH,
                description=f"n_{i}",
                style=SHAPE_LABELS,
                layout=control_layout(),
            )
            for i, n in enumerate((3, 4, 2, 3, 3, 3))
        ]
        self.batch = w.IntSlider(
            1,
            min=1,
            max=shapes.MAX_BATCH,
            description="batch size m",
            style=SHAPE_LABELS,
            layout=control_layout(),
        )
        self.layer = w.IntSlider(
            1, min=1, max=2, description="layer k", style=SHAPE_LABELS, layout=control_layout()
        )
        self.candidate = w.Dropdown(
            options=shapes.CANDIDATES,
            description="candidate for ∇W(k) J",
            style=STYLE,
            layout=control_layout(),
        )
        self.summary = w.HTML()
        self.image = Picture()
        self.picture = figures.ShapesFigure()
        for control in (self.depth, self.batch, self.layer, self.candidate, *self.width_sliders):
            control.observe(self.update, names="value")
        self.widths_box = controls(*self.width_sliders[:3])
        super().__init__(
            [
                controls(self.depth, self.batch, self.layer),
                self.widths_box,
                controls(self.candidate),
                self.summary,
                self.image,
            ]
        )
        self.update()

    @property
    def widths(self) -> list[int]:
        return [slider.value for slider in self.width_sliders[: self.depth.value + 1]]

    def __repr__(self) -> str:
        widths = "-".join(map(str, self.widths))
        return (
            f"ShapeExplorer(widths {widths}, m = {self.batch.value}, k = {self.layer.value}: "
            f"{self.verdict.candidate} {'fits' if self.verdict.correct else 'does not fit'})"
        )

    @_guarded
    def update(self, change=None):
        l = self.depth.value  # noqa: E741 - the book's depth
        self.layer.max = l  # clamps k into 1..l
        self.widths_box.children = self.width_sliders[: l + 1]
        self.layer_shapes = shapes.layer_shapes(self.widths, self.batch.value, self.layer.value)
        self.verdict = shapes.judge(self.candidate.value, self.layer_shapes)
        rows = "".join(
            f"<tr><td>{name}</td><td>{r} × {c}</td></tr>"
            for name, (r, c) in self.layer_shapes.shapes.items()
        )
        mark = "✓" if self.verdict.correct else "✗"
        self.summary.value = (
            f"<table><tr><th>quantity</th><th>shape</th></tr>{rows}</table>"
            f"<p><b>{mark} {html.escape(self.verdict.candidate)}</b>: "
            f"{html.escape(self.verdict.reason)}</p>"
        )
        self.image.show(
            self.picture.update(self.layer_shapes, self.verdict).png(),
            figures.shapes_alt(self.layer_shapes, self.verdict),
        )


def _frame_label(frame) -> str:
    """Which line of Algorithm 6.4 a step of the stepper ran, and for which layer."""
    return f"line {frame.line + 1}" + ("" if frame.k is None else f", k = {frame.k}")


class BackwardStepper(w.VBox):
    """Algorithm 6.4 one line at a time on a small network: the line, ``g`` and the results."""

    def __init__(self, widths=examples.DEFAULT_WIDTHS, lam: float = 0.1, seed: int = 0):
        self.frames = walkthrough.backward_frames(widths, lam=lam, seed=seed)
        # The slider reads as the panel does ("line 5, k = 2"), not as a count of steps.
        self.position = w.SelectionSlider(
            options=[(_frame_label(frame), i) for i, frame in enumerate(self.frames)],
            description="line executed",
            style=STYLE,
            layout=control_layout(),
        )
        # No w.Play: its buttons are bare icons that ipywidgets 8 gives no name (no text, no
        # title, no trait to set one), so a screen reader announces "button" and nothing more.
        # "next ▶" steps at the reader's own pace instead.
        self.previous = button("◀ previous")
        self.next = button("next ▶")
        self.reset = button("reset")
        self.previous.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(1))
        self.reset.on_click(lambda _: setattr(self.position, "value", 0))
        self.algorithm = w.HTML()
        self.summary = w.HTML()
        self.image = Picture()
        self.picture = figures.VectorFigure()
        self.position.observe(self.update, names="value")
        # The picture goes beside the algorithm where there is room, below it on a phone.
        self.algorithm.layout = w.Layout(flex="0 1 auto", max_width="100%")
        self.image.layout = w.Layout(flex="1 1 320px", width="auto", max_width="480px")
        super().__init__(
            [
                controls(self.previous, self.next, self.reset, self.position),
                controls(self.algorithm, self.image),
                self.summary,
            ]
        )
        self.update()

    def __repr__(self) -> str:
        return f"BackwardStepper(line {self.frame.line + 1} of Algorithm 6.4: {self.frame.result})"

    def _move(self, by: int):
        self.position.value = int(np.clip(self.position.value + by, 0, len(self.frames) - 1))

    @_guarded
    def update(self, change=None):
        frame = self.frame = self.frames[self.position.value]
        lines = []
        for index, line in enumerate(ALGORITHM_6_4):
            # A line too long for a phone wraps, its continuation indented under its start.
            style = "white-space:pre-wrap;padding-left:2ch;text-indent:-2ch"
            text = html.escape(line)
            if index == frame.line:
                # Black on amber whatever the page's mode: the colours are the widget's own.
                style += ";background:#fee08b;color:#000"
                text = f"<b>{text}</b>"
            lines.append(f'<div style="{style}">{text}</div>')
        layer = "" if frame.k is None else f" with k = {frame.k}"
        self.algorithm.value = (
            f"<div style='font-family:monospace;line-height:1.6'>{''.join(lines)}</div>"
        )
        rows, columns = frame.g.shape
        done = ", ".join(f"{name} ({shape_text(v.shape)})" for name, v in frame.gradients.items())
        self.summary.value = (
            f"<p>Line {frame.line + 1}{layer} computed <b>{html.escape(frame.result)}</b>, "
            f"shape {shape_text(frame.value.shape)}; g is now {rows}&nbsp;×&nbsp;{columns}.</p>"
            f"<p>Gradients so far: {html.escape(done) or 'none yet'}.</p>"
        )
        self.image.show(
            self.picture.update(frame.value, frame.result).png(),
            figures.vector_alt(frame.value, frame.result),
        )


class GradientChecker(w.VBox):
    """Backprop against finite differences, live; a switch swaps in a tempting wrong formula.

    ``verdict`` is what the widget shows: ``PASS``, ``FAIL``, ``UNRESOLVED`` (the differences
    cannot resolve the gradient; a report of the new gradient check), or ``NO CHECK`` when the
    settings cannot be checked (complex step on ReLU, a formula that cannot be formed, bad
    widths, a ``None`` or NaN value set from code). Without a check the widget shows why, and
    neither its text, its ``repr`` nor its picture keeps the last verdict; the next setting
    that can be checked is checked afresh. No exception escapes an observer.
    """

    def __init__(self):
        # Beside a 9em label and a readout at least 72 px wide, two sliders side by side in a
        # 690 px column keep tracks of only ~125 px: each takes a line unless 2 × 400 px fit.
        slider_line = "400px"
        self.widths = w.Text(
            "3-4-2", description="widths n_0-…-n_l", style=CHECKER_LABELS, layout=control_layout()
        )
        self.activation = w.Dropdown(
            options=list(ACTIVATIONS),
            value="tanh",
            description="activation f",
            style=CHECKER_LABELS,
            layout=control_layout("240px"),
        )
        self.loss = w.Dropdown(
            options=list(settings_check.CHECKER_LOSSES),
            description="loss L",
            style=CHECKER_LABELS,
            layout=control_layout("240px"),
        )
        self.lam = w.FloatSlider(
            0.1,
            min=0.0,
            max=1.0,
            step=0.05,
            description="λ",
            style=CHECKER_LABELS,
            layout=control_layout(slider_line),
        )
        self.batch = w.IntSlider(
            2,
            min=1,
            max=8,
            description="batch size m",
            style=CHECKER_LABELS,
            layout=control_layout(slider_line),
        )
        self.seed = w.IntSlider(
            0,
            min=0,
            max=20,
            description="seed",
            style=CHECKER_LABELS,
            layout=control_layout(slider_line),
        )
        self.method = w.Dropdown(
            options=list(METHODS),
            value="central",
            description="method",
            style=CHECKER_LABELS,
            layout=control_layout("240px"),
        )
        self.step = w.FloatLogSlider(
            default_step("central"),
            base=10,
            min=-13,
            max=-1,
            readout_format=".1e",  # 6.3e-06, not 0.00000631
            description="step h",
            style=CHECKER_LABELS,
            layout=control_layout(slider_line),
        )
        # A short label: "formula for Algorithm 6.4" left a phone's drop-down too narrow for
        # its longest option (a label never wraps in ipywidgets).
        # Each option reads as the formula and what is wrong with it; its value is the
        # mistake's name, the one the bug zoo and the grader use.
        self.mistake = w.Dropdown(
            options=[
                (settings_check.CORRECT, settings_check.CORRECT),
                *((description, name) for name, description in MISTAKES.items()),
            ],
            description="formula",
            tooltip="Algorithm 6.4's formula for the gradients, or a tempting wrong one",
            style=CHECKER_LABELS,
            layout=control_layout(),
        )
        self.parameter = w.Dropdown(
            description="show parameter", style=CHECKER_LABELS, layout=control_layout("180px")
        )
        self.summary = w.HTML()
        self.image = Picture()
        self.picture = figures.GradientComparisonFigure()
        self.outcome = None
        for control in (
            self.activation,
            self.loss,
            self.lam,
            self.batch,
            self.seed,
            self.step,
            self.mistake,
        ):
            control.observe(self.update, names="value")
        self.widths.observe(self.update, names="value")
        self.method.observe(self._method_changed, names="value")
        self.parameter.observe(self._parameter_changed, names="value")
        super().__init__(
            [
                controls(self.widths, self.activation, self.loss),
                controls(self.lam, self.batch, self.seed),
                controls(self.method, self.step),
                controls(self.mistake),
                self.summary,
                controls(self.parameter),
                self.image,
            ]
        )
        self.update()

    def _method_changed(self, change):
        if self.method.value in METHODS:
            self.step.value = default_step(self.method.value)  # triggers update
        self.update()

    @property
    def verdict(self) -> str:
        return self.outcome.verdict if self.outcome else settings_check.NO_CHECK

    def __repr__(self) -> str:
        return (
            f"GradientChecker({self.widths.value}, {self.activation.value}, "
            f"{self.method.value} differences, formula: {self.mistake.value} -> {self.verdict})"
        )

    def _check(self) -> settings_check.CheckOutcome:
        """The check of the settings shown now (an outcome without a report if impossible)."""
        try:
            widths = examples.parse_widths(self.widths.value)
        except (ValueError, TypeError) as error:
            return settings_check.CheckOutcome(None, str(error), self.mistake.value)
        return settings_check.check_from_settings(
            widths,
            activation=self.activation.value,
            loss=self.loss.value,
            lam=self.lam.value,
            m=self.batch.value,
            seed=self.seed.value,
            method=self.method.value,
            step=self.step.value,
            mistake=self.mistake.value,
        )

    def update(self, change=None):
        # Whatever happens, the widget ends showing this check or "no check", never the last.
        try:
            self.outcome = self._check()
            if self.outcome.report is None:
                self._show_no_check(self.outcome.message)
            else:
                self._show(self.outcome.report)
        except Exception as error:
            self._stopped(error)

    def _stopped(self, error: Exception):
        """An observer must not raise: an unexpected error becomes "no check" and says why."""
        message = f"the check stopped with {type(error).__name__}: {error}"
        self.outcome = settings_check.CheckOutcome(None, message, self.mistake.value)
        self._show_no_check(message)

    def _show(self, report):
        verdict = report.verdict
        colour = VERDICT_COLOURS[verdict]
        # The report's own line, after its verdict word: what it measured, or what it could
        # not decide (each row has its own tolerance, so no one number speaks for all).
        _, _, reading = report.summary().partition(": ")
        cells = "".join(
            "<tr>" + "".join(f"<td>{html_text(str(cell))}</td>" for cell in row) + "</tr>"
            for row in report.rows()
        )
        self.summary.value = (
            f'<p style="font-size:1.2em;color:{colour}"><b>{verdict}</b>: '
            f"{html_text(reading)}</p>"
            + "<table><tr>"
            + "".join(f"<th>{name}</th>" for name in ROW_HEADERS)
            + f"</tr>{cells}</table>"
        )
        names = [check.name for check in report.checks]
        keep = self.parameter.value if self.parameter.value in names else names[0]
        self.parameter.disabled = False
        self.parameter.options = names
        self.parameter.value = keep
        self._draw()

    def _show_no_check(self, message: str):
        colour = VERDICT_COLOURS[settings_check.NO_CHECK]
        self.summary.value = (
            f'<p style="font-size:1.2em;color:{colour}"><b>{settings_check.NO_CHECK}</b></p>'
            + _message(message or "these settings cannot be checked")
        )
        self.parameter.disabled = True
        try:
            self.image.show(self.picture.no_check(message).png(), NO_CHECK_ALT)
        except Exception:
            self.image.show(b"", "")  # no picture rather than the last check's

    def _parameter_changed(self, change):
        try:
            self._draw()
        except Exception as error:
            self._stopped(error)

    def _draw(self, change=None):
        if self.outcome is None or self.outcome.report is None:
            return  # no check: the picture says so already
        names = [check.name for check in self.outcome.report.checks]
        if self.parameter.value not in names:  # e.g. None, set from code
            self.parameter.value = names[0]  # draws, through this observer
            return
        check = self.outcome.report[self.parameter.value]
        # A method change updates twice (the step follows it); the second shows the same check.
        if not self.picture.shows(check):
            self.image.show(
                self.picture.update(check).png(), figures.gradient_comparison_alt(check)
            )


class StepSizeExplorer(w.VBox):
    """Relative error against the step for forward, central and complex-step differences."""

    def __init__(self):
        self.activation = w.Dropdown(
            # Not the identity: J is then a polynomial of low degree in each parameter, and
            # the truncation arm of the V (the point of the figure) all but disappears.
            options=[name for name in ACTIVATIONS if name != "identity"],
            description="activation f",
            style=STEP_LABELS,
            layout=control_layout("180px"),
        )
        self.seed = w.IntSlider(
            0, min=0, max=20, description="seed", style=STEP_LABELS, layout=control_layout()
        )
        self.step = w.FloatLogSlider(
            1e-5,
            base=10,
            min=-13,
            max=-1,
            readout_format=".1e",  # 6.3e-06, not 0.00000631
            description="step h",
            style=STEP_LABELS,
            layout=control_layout(),
        )
        self.summary = w.HTML()
        self.image = Picture()
        self.steps = np.logspace(-1, -13, 25)
        self.curves = {}
        self.picture = None
        self.activation.observe(self._recompute, names="value")
        self.seed.observe(self._recompute, names="value")
        self.step.observe(self.update, names="value")
        super().__init__(
            [controls(self.activation, self.seed, self.step), self.summary, self.image]
        )
        self._recompute()

    def __repr__(self) -> str:
        return f"StepSizeExplorer({self.activation.value}, chosen step {self.step.value:.0e})"

    @_guarded
    def _recompute(self, change=None):
        self.problem = examples.example_problem(
            examples.DEFAULT_WIDTHS, activation=self.activation.value, m=2, seed=self.seed.value
        )
        self.curves = step_size.step_errors(*self.problem, self.steps)
        if self.picture is None:
            self.picture = figures.StepSizeFigure(self.steps, self.curves)
        else:
            self.picture.update(self.steps, self.curves)
        self.update()

    @_guarded
    def update(self, change=None):
        chosen = float(self.step.value)
        at_chosen = step_size.step_errors(*self.problem, (chosen,), methods=tuple(self.curves))
        self.chosen_errors = {method: float(errors[0]) for method, errors in at_chosen.items()}
        best = step_size.theoretical_steps()
        rows = "".join(
            f"<tr><td>{m}</td><td>{html_text(f'{e:.0e}')}</td></tr>"
            for m, e in self.chosen_errors.items()
        )
        missing = (
            ""
            if "complex" in self.curves
            else "<p>Complex step needs an analytic f: not shown for ReLU.</p>"
        )
        theory = (
            f"The theory's best steps: forward ε^(1/2) ≈ {best['forward']:.0e}, "
            f"central ε^(1/3) ≈ {best['central']:.0e}."
        )
        self.summary.value = (
            f"<p>At h = {html_text(f'{chosen:.0e}')}:</p><table><tr><th>method</th>"
            f"<th>largest rel. error</th></tr>{rows}</table>"
            f"<p>{html_text(theory)}</p>" + missing
        )
        self.image.show(
            self.picture.mark(chosen, self.chosen_errors).png(),
            figures.step_errors_alt(self.steps, self.curves, chosen=chosen),
        )


def make_shape_explorer() -> ShapeExplorer:
    """The shape explorer (widget 1): shapes of ``h(k-1)``, ``a(k)``, ``W(k)``, ``b(k)``, ``g``."""
    return ShapeExplorer()


def make_backward_stepper(**settings) -> BackwardStepper:
    """The backward-pass stepper (widget 2): Algorithm 6.4 line by line."""
    return BackwardStepper(**settings)


def make_gradient_checker() -> GradientChecker:
    """The live gradient check (widget 3): ``g hᵀ (+ λ∇Ω)`` against finite differences."""
    return GradientChecker()


def make_step_size_explorer() -> StepSizeExplorer:
    """The step-size explorer (widget 4): error against step for the three methods."""
    return StepSizeExplorer()


# --- Your turn: a reader's own answer, graded where the question arises ----------------------

# The answer box's panel is a card of its own: dark text on white in every theme (JupyterLab's
# dark theme gives an HTML widget light text), with its verdict's colour as a rule on its left.
PANEL_BACKGROUND, PANEL_TEXT = "#ffffff", "#222832"
LINK_COLOUR = "#0b5394"  # 8.3:1 on white: the theme's own link colour is pale in dark mode
PLACEHOLDER = "numpy or notation, like  a @ b.T  or  a bᵀ"
# What the static site's snapshot shows (the stored state): how to check, and that checking
# there needs the page's Python.
INSTRUCTIONS = (
    "Type your answer and press Check (or Enter). On the book's website, checking runs "
    "Python in your browser: press “Make this widget live” first."
)
EMPTY = "Nothing to check yet: type your answer in the box, then press Check."
RUNTIMES = ("page", "lite", "jupyter")
# A heading with maths has two ids: the site's (docutils' id of its text, maths as TeX source,
# which the grader's links name) and jupyterlab-myst's (myst's slug, which drops the TeX's
# punctuation). Site id → notebook id, where they differ (tests/test_book_answer_box.py
# derives each from the chapters' headings).
NOTEBOOK_ANCHORS = {
    "line-3-through-the-activation-g-odot-f-a-k": "line-3-through-the-activation-g-odot-fak",
    "line-5-the-weight-gradient-g-h-k-1-top": "line-5-the-weight-gradient-ghk-1top",
    "line-6-the-second-transpose-w-k-top-g": "line-6-the-second-transpose-wktop-g",
    "the-row-convention-y-x-w-top-b": "the-row-convention-y--x-wtop--b",
    "l2-weight-decay-lambda-w-or-2-lambda-w": "l2-weight-decay-lambda-w-or-2lambda-w",
}


def runtime() -> str:
    """Where this Python runs, for the links the answer box writes.

    ``"page"``: the book's website, a widget made live in its page (Pyodide in the page's Web
    Worker, which imports ``live_bridge``, book/_vendor/live_bridge.py); ``"lite"``:
    JupyterLite, the site's live copy (Pyodide in a kernel, no ``live_bridge``); ``"jupyter"``:
    a Jupyter server's kernel (JupyterLab, Notebook), where the chapters are notebooks.
    """
    if "live_bridge" in sys.modules:
        return "page"
    if sys.platform == "emscripten":
        return "lite"
    return "jupyter"


def section_href(section: str, where: str | None = None) -> str:
    """The link to ``section`` (a chapter's section on the built site, ``page.html#id``)
    that opens it from where the widget runs (:func:`runtime`, or ``where``).

    On the website the page's own address: the site's pages sit side by side. In JupyterLab
    the chapter's notebook beside this one (its URL is ``/lab/tree/<folder>/<chapter>.ipynb``),
    at jupyterlab-myst's id of the heading (:data:`NOTEBOOK_ANCHORS`). In JupyterLite, whose
    app lives in ``<site>/lite/<app>/index.html``, the site's page of the section, two folders
    up: it opens at the section at once, where a notebook would start an app and a kernel.
    """
    where = runtime() if where is None else where
    if where not in RUNTIMES:
        raise ValueError(f"where must be one of {', '.join(RUNTIMES)}, not {where!r}")
    page, _, anchor = section.partition("#")
    chapter = page.removesuffix(".html")
    fragment = f"#{anchor}" if anchor else ""
    if where == "page":
        return f"{chapter}.html{fragment}"
    if where == "lite":
        return f"../../{chapter}.html{fragment}"
    anchor = NOTEBOOK_ANCHORS.get(anchor, anchor)
    return f"{chapter}.ipynb{'#' if anchor else ''}{anchor}"


def answer_prompt(question) -> str:
    """A question's prompt as the answer box shows it above the box: what to type and the
    names the reader may use, with their shapes (plain Unicode: no maths is typeset in a
    widget)."""
    names = "".join(
        f"<li><code>{html.escape(symbol.book)}</code>"
        + (f" or <code>{html.escape(symbol.name)}</code>" if symbol.name != symbol.book else "")
        + f": {html.escape(symbol.meaning)}</li>"
        for symbol in question.symbols
    )
    return (
        f'<div class="matgrad-answer-prompt"><p style="margin:0 0 0.25em">'
        f"<b>Your turn.</b> {html.escape(question.prompt)}</p>"
        f'<p style="margin:0">Names you may use:</p>'
        f'<ul style="margin:0 0 0.25em;padding-left:1.5em">{names}</ul></div>'
    )


def _panel(colour: str, body: str) -> str:
    """The answer box's card: ``role="status"`` so that a screen reader says what changed."""
    style = (
        f"background:{PANEL_BACKGROUND};color:{PANEL_TEXT};border-left:4px solid {colour};"
        "padding:0.4em 0.75em;margin:0.25em 0;overflow-wrap:anywhere"
    )
    return f'<div role="status" aria-live="polite" style="{style}">{body}</div>'


def grade_html(result, where: str | None = None) -> str:
    """A :class:`matgrad.book.grader.Grade` as the answer box's panel: the verdict in its
    colour, for a FAIL the mistake's hint, the message, how the answer was read and the
    section that explains it (:func:`section_href`)."""
    colour = VERDICT_COLOURS[result.verdict]
    title = result.verdict
    details = result.message
    parts = []
    if result.mistake is not None:
        title += f" ({result.mistake})"  # the name the bug zoo and the grader give it
        hint, _ = grader.MISTAKES_CATALOGUE[result.mistake]
        # The grader's message ends with the hint: said once, first.
        if details.endswith(hint):
            details = details[: -len(hint)].rstrip(": ") + "."
        parts.append(f'<p style="margin:0.25em 0"><b>Hint:</b> {html.escape(hint)}</p>')
    parts.append(f'<p style="margin:0.25em 0">{html_text(details)}</p>')
    if result.python is not None:
        parts.append(
            f'<p style="margin:0.25em 0">Read as <code>{html.escape(result.python)}</code></p>'
        )
    if result.link:
        href = html.escape(section_href(result.link, where), quote=True)
        label = "Read the section that explains it" if result.verdict == "FAIL" else "Read more"
        parts.append(
            f'<p style="margin:0.25em 0"><a href="{href}" target="_blank" rel="noopener" '
            f'style="color:{LINK_COLOUR}">{label}</a> (opens in a new tab)</p>'
        )
    heading = f'<p style="margin:0;font-size:1.1em;color:{colour}"><b>{html.escape(title)}</b></p>'
    return _panel(colour, heading + "".join(parts))


def _note(text: str, colour: str = PANEL_TEXT) -> str:
    return _panel(colour, f'<p style="margin:0">{html_text(text)}</p>')


class AnswerBox(w.VBox):
    """A question of :data:`matgrad.book.grader.QUESTIONS`, a box to type the answer in, and
    :func:`matgrad.book.grader.grade`'s verdict on it.

    ``question`` is the :class:`~matgrad.book.problems.Question`; ``answer`` the text box,
    ``check_button`` the Check button (Enter in the box checks too), ``panel`` the verdict,
    ``grade`` the last :class:`~matgrad.book.grader.Grade` (None before a check, after any
    edit, for an empty answer or when grading stopped) and ``verdict`` its verdict. An edit
    clears the verdict at once: it never stands beside an answer it was not given for.
    """

    def __init__(self, question_id: str):
        if not isinstance(question_id, str) or question_id not in grader.QUESTIONS:
            known = ", ".join(map(repr, grader.QUESTIONS))
            raise ValueError(f"unknown question {question_id!r}: expected one of {known}")
        self.question = grader.QUESTIONS[question_id]
        self.grade = None
        self.prompt = w.HTML(answer_prompt(self.question))
        self.answer = w.Text(
            "",
            description=f"∇{self.question.label} J =",
            placeholder=PLACEHOLDER,
            continuous_update=True,
            style=STYLE,
            layout=control_layout("300px"),
        )
        self.check_button = button("Check")
        self.check_button.tooltip = f"Check your ∇{self.question.label} J"
        self.panel = w.HTML(_note(INSTRUCTIONS), layout=w.Layout(max_width=MAX_CONTROL))
        self.answer.observe(self._edited, names="value")
        self.answer.on_msg(self._submitted)  # Enter in the box: ipywidgets' "submit" event
        self.check_button.on_click(lambda _: self.check())
        super().__init__([self.prompt, controls(self.answer, self.check_button), self.panel])
        self.add_class("matgrad-answer-box")

    @property
    def verdict(self) -> str | None:
        return None if self.grade is None else self.grade.verdict

    def __repr__(self) -> str:
        typed = self.answer.value
        if self.grade is None:
            state = "not checked" if typed.strip() else "empty"
        else:
            state = self.grade.verdict + (f" ({self.grade.mistake})" if self.grade.mistake else "")
        return f"AnswerBox({self.question.id}: ∇{self.question.label} J = {typed!r} -> {state})"

    def _edited(self, change=None):
        """Any edit: back to the instructions, no verdict (never the last answer's)."""
        self.grade = None
        self.panel.value = _note(INSTRUCTIONS)

    def _submitted(self, widget, content, buffers):
        if isinstance(content, dict) and content.get("event") == "submit":
            self.check()

    def check(self) -> None:
        """Grade the text in the box and show the verdict; never raises."""
        self.grade = None
        text = self.answer.value
        if not text.strip():
            self.panel.value = _note(EMPTY)
            return
        try:
            result = grader.grade(self.question.id, text)
            shown = grade_html(result)
        except Exception as error:  # grade should not raise; an observer never does
            self.panel.value = _note(
                f"The answer could not be checked ({type(error).__name__}: {error}). "
                "Edit it and press Check again.",
                VERDICT_COLOURS[settings_check.NO_CHECK],
            )
            return
        self.grade = result
        self.panel.value = shown


def make_answer_box(question_id: str) -> AnswerBox:
    """Your turn: a box where the reader types a gradient (``"weight"``, ``"back"``, ...: a
    key of :data:`matgrad.book.grader.QUESTIONS`) and the grader's verdict on it."""
    return AnswerBox(question_id)


# --- The adjoint probe: dJ measured along a direction, beside G : dW ---------------------------

PROBE_LABELS = {"description_width": "7.5em"}
PROBE_SHAPES = {"3 × 4": (3, 4), "3 × 3, square": (3, 3), "4 × 3": (4, 3)}
RANDOM, ENTRY = "random", "single entry E_ij"


class AdjointProbe(w.VBox):
    """A layer's ``dJ`` measured along directions ``dW`` beside ``G : dW`` for a candidate
    ``G`` (:mod:`matgrad.book.adjoint`). ``rows`` holds what the table shows, ``agrees``
    whether the candidate agreed in every direction shown (None when nothing could be
    computed), ``summary`` the text and table."""

    def __init__(self, seed: int = 0):
        self.layer_seed = seed
        self.shape = w.Dropdown(
            options=list(PROBE_SHAPES),
            description="layer W",
            style=PROBE_LABELS,
            layout=control_layout("200px"),
        )
        self.candidate = w.Dropdown(
            options=list(adjoint.CANDIDATES),
            description="candidate G",
            style=PROBE_LABELS,
            layout=control_layout("200px"),
        )
        self.directions = w.Dropdown(
            options=[RANDOM, ENTRY],
            description="directions dW",
            style=PROBE_LABELS,
            layout=control_layout("200px"),
        )
        self.seed = w.IntSlider(
            0, min=0, max=20, description="seed", style=PROBE_LABELS, layout=control_layout()
        )
        self.i = w.IntSlider(
            0, min=0, max=2, description="entry i", style=PROBE_LABELS, layout=control_layout()
        )
        self.j = w.IntSlider(
            1, min=0, max=3, description="entry j", style=PROBE_LABELS, layout=control_layout()
        )
        self.summary = w.HTML()
        self.rows, self.agrees, self.reason = [], None, ""
        for control in (self.shape, self.candidate, self.directions, self.seed, self.i, self.j):
            control.observe(self.update, names="value")
        self.where = controls(self.seed)
        super().__init__(
            [controls(self.shape, self.candidate, self.directions), self.where, self.summary]
        )
        self.update()

    def __repr__(self) -> str:
        if self.agrees is None and not self.rows:
            state = "nothing measured"
        elif self.agrees is None:
            state = "cannot be paired with dW"
        else:
            agreeing = sum(bool(row.agree) for row in self.rows)
            state = f"agrees in {agreeing} of {len(self.rows)}"
        return (
            f"AdjointProbe({self.shape.value} layer, G = {self.candidate.value}, "
            f"{self.directions.value} directions: {state})"
        )

    def _directions(self, shape) -> dict:
        if self.directions.value == RANDOM:
            seeds = range(self.seed.value, self.seed.value + adjoint.DIRECTIONS)
            return {f"random, seed {s}": adjoint.random_direction(shape, s) for s in seeds}
        if self.directions.value == ENTRY:
            i, j = self.i.value, self.j.value
            return {f"E_{i}{j}": adjoint.entry_direction(shape, i, j)}
        raise ValueError(f"choose the directions: {RANDOM} or {ENTRY}")

    def update(self, change=None):
        # Whatever happens, the widget ends showing these settings' table or why there is none.
        try:
            self._update()
        except Exception as error:
            self.rows, self.agrees, self.reason = [], None, ""
            self.summary.value = _message(f"{type(error).__name__}: {error}")

    def _update(self):
        if self.shape.value not in PROBE_SHAPES:
            raise ValueError("choose the layer's shape")
        n_k, n_prev = PROBE_SHAPES[self.shape.value]
        self.i.max, self.j.max = n_k - 1, n_prev - 1  # clamps i and j into the layer
        entry = self.directions.value == ENTRY
        self.where.children = (self.i, self.j) if entry else (self.seed,)
        layer = adjoint.example_layer(n_k, n_prev, seed=self.layer_seed)
        name = self.candidate.value
        G, self.reason = adjoint.candidate(name, layer.g, layer.h)
        self.rows = adjoint.probe(layer.cost, layer.W, G, self._directions(layer.W.shape))
        paired = all(row.predicted is not None for row in self.rows)
        self.agrees = all(row.agree for row in self.rows) if paired else None
        cells = "".join(
            "<tr>" + "".join(f"<td>{html_text(cell)}</td>" for cell in row) + "</tr>"
            for row in adjoint.table_rows(self.rows)
        )
        sentence = adjoint.verdict(name, G, self.reason, layer.W.shape, self.rows)
        mark = "✓" if self.agrees else "✗"
        rebuilt = ""
        if entry:
            gradient = layer.g @ layer.h.T
            error = float(np.max(np.abs(adjoint.rebuilt(layer.cost, layer.W) - gradient)))
            rebuilt = (
                f"<p>dJ along E_ij is entry (i, j) of the gradient: measured along every E_ij, "
                f"the changes rebuild a {n_k} × {n_prev} matrix that differs from g hᵀ by "
                f"{html_text(format_bounded(error, adjoint.AGREE))}.</p>"
            )
        self.summary.value = (
            f"<p>J(W) = ½ ‖tanh(W h + b) − y‖², W is {n_k} × {n_prev}, "
            f"g = ∇a J. dJ is measured from the forward pass, "
            f"(J(W + t dW) − J(W − t dW)) / 2t with t = {html_text(f'{adjoint.STEP:.0e}')}.</p>"
            "<table><tr>"
            + "".join(f"<th>{header}</th>" for header in adjoint.HEADERS)
            + f"</tr>{cells}</table><p><b>{mark} {html_text(sentence)}</b></p>"
            + rebuilt
        )


def make_adjoint_probe() -> AdjointProbe:
    """The adjoint probe: which ``G`` gives ``dJ = G : dW`` for every direction ``dW``."""
    return AdjointProbe()


# --- The im2col explorer: a convolution as one matrix product ----------------------------------

# "output column j", the longest label, is 102 px at 13 px.
IM2COL_LABELS = {"description_width": "8.3em"}


def _dims(shape) -> str:
    return " × ".join(map(str, shape))


class Im2colExplorer(w.VBox):
    """Batch, channels, image, kernel, stride and padding → ``Y_col = W_col X_col`` drawn to
    scale (:mod:`matgrad.book.im2col`), and where one output pixel ``(n, i, j)`` reads and
    its gradient goes back. ``product`` holds the :class:`~matgrad.book.im2col.Product` shown
    and ``route`` the pixel's :class:`~matgrad.book.im2col.Route` (None when the kernel does
    not fit: then the widget says why, shows no picture and disables the pixel's controls).
    The pixel's ranges follow the output's size, which clamps it.
    """

    def __init__(self):
        defaults = im2col.Settings()

        def setting(name: str, value: int, description: str) -> w.IntSlider:
            low, high = im2col.LIMITS[name]
            return w.IntSlider(
                value,
                min=low,
                max=high,
                description=description,
                style=IM2COL_LABELS,
                layout=control_layout(),
            )

        def index(value: int, description: str) -> w.IntSlider:
            return w.IntSlider(
                value,
                min=0,
                max=value,
                description=description,
                style=IM2COL_LABELS,
                layout=control_layout(),
            )

        self.batch = setting("N", defaults.N, "batch N")
        self.c_in = setting("C_in", defaults.C_in, "channels C_in")
        self.c_out = setting("C_out", defaults.C_out, "channels C_out")
        # Square images and kernels: one control each keeps the widget short on a phone; the
        # functions behind it take H, W, kh and kw apart.
        self.size = setting("H", defaults.H, "image H = W")
        self.kernel = setting("kh", defaults.kh, "kernel kh = kw")
        self.stride = setting("stride", defaults.stride, "stride")
        self.padding = setting("padding", defaults.padding, "padding")
        self.n = index(0, "example n")
        self.i = index(1, "output row i")
        self.j = index(1, "output column j")
        self.summary = w.HTML()
        self.image = Picture()
        self.picture = figures.Im2colFigure()
        self.product, self.route = None, None
        self._clamping = False
        self.settings_controls = (
            self.batch,
            self.c_in,
            self.c_out,
            self.size,
            self.kernel,
            self.stride,
            self.padding,
        )
        self.pixel_controls = (self.n, self.i, self.j)
        for control in (*self.settings_controls, *self.pixel_controls):
            control.observe(self.update, names="value")
        super().__init__(
            [
                controls(self.batch, self.c_in, self.c_out),
                controls(self.size, self.kernel, self.stride, self.padding),
                controls(*self.pixel_controls),
                self.summary,
                self.image,
            ]
        )
        self.update()

    def __repr__(self) -> str:
        s = self.product.settings if self.product else None
        if s is None:
            return "Im2colExplorer(nothing shown)"
        settings = (
            f"N = {s.N}, C_in = {s.C_in}, C_out = {s.C_out}, {s.H} × {s.W} image, "
            f"{s.kh} × {s.kw} kernel, stride {s.stride}, padding {s.padding}"
        )
        if self.route is None:
            return f"Im2colExplorer({settings}: the kernel does not fit)"
        shapes = self.route.layout.shapes
        n, i, j = self.route.pixel
        return (
            f"Im2colExplorer({settings}: Y_col {_dims(shapes['Y_col'])} = W_col "
            f"{_dims(shapes['W_col'])} X_col {_dims(shapes['X_col'])}; pixel ({n}, {i}, {j}) "
            f"is column {self.route.column})"
        )

    @_guarded
    def update(self, change=None):
        if self._clamping:  # a pixel clamped below: the update that clamps it draws
            return
        self.route = None
        size, kernel = self.size.value, self.kernel.value
        self.product = im2col.product(
            N=self.batch.value,
            C_in=self.c_in.value,
            C_out=self.c_out.value,
            H=size,
            W=size,
            kh=kernel,
            kw=kernel,
            stride=self.stride.value,
            padding=self.padding.value,
        )
        layout = self.product.layout
        for control in self.pixel_controls:
            control.disabled = layout is None
        if layout is None:
            self.summary.value = _status(_message(self.product.message))
            self.image.show(b"", "")
            return
        self._clamping = True
        try:
            self.n.max, self.i.max, self.j.max = (
                layout.settings.N - 1,
                layout.H_out - 1,
                layout.W_out - 1,
            )
        finally:
            self._clamping = False
        self.route = im2col.route(layout, self.n.value, self.i.value, self.j.value)
        shapes = layout.shapes
        tensors = ", ".join(
            f"{name} {symbols} {_dims(shapes[name])}"
            for name, symbols in (
                ("x", "(N × C_in × H × W)"),
                ("weight", "(C_out × C_in × kh × kw)"),
                ("y", "(N × C_out × H_out × W_out)"),
            )
        )
        self.summary.value = _status(
            f"<p>{html.escape(im2col.SYMBOLS)}:<br><b>{html.escape(layout.equation())}</b></p>"
        ) + (
            f"<p>{html.escape(tensors)}; {html.escape(layout.output_size_text())}.</p>"
            f"<p>{html.escape(self.route.sentence())}</p>"
        )
        self.image.show(self.picture.update(self.route).png(), figures.im2col_alt(self.route))


def _status(body: str) -> str:
    """The line a screen reader reads out when it changes: the product's shapes, or why not."""
    return f'<div role="status" aria-live="polite">{body}</div>'


def make_im2col_explorer() -> Im2colExplorer:
    """The im2col explorer: a convolution's ``Y_col = W_col X_col`` to scale, and where one
    output pixel's gradient goes back."""
    return Im2colExplorer()
