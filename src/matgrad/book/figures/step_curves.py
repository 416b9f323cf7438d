"""The error of a finite difference against its step, log–log: the V-shaped curves.

Used in: checking-gradients (``plot_step_errors``, ``step_errors_alt``) and the step-size
explorer widget (``StepSizeFigure``, ``step_errors_alt``). The errors are computed by
:func:`matgrad.book.step_size.step_errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matgrad.book.figures.common import (
    STYLES,
    LiveFigure,
    _canvas_png,
    _curves,
    _plain_decade_labels,
    pyplot,
)


class StepSizeFigure(LiveFigure):
    """The error-against-step curves, log–log, with the chosen step marked, redrawn in place.

    ``errors`` maps a method name (``forward``, ``central``, ``complex``) to one error per
    step; dotted verticals mark the theory's best steps ``ε^(1/2)`` and ``ε^(1/3)``.
    ``update(steps, errors)`` replaces the curves, ``mark(chosen, chosen_errors)`` moves the
    chosen step's line and stars. On its own figure, moving the mark redraws only what a full
    draw puts over the mark's line (the stars, the legend that names the step, the ε labels,
    the frame) on a saved copy of the rest, for as long as the axes' limits stay the same.
    With ``note=True`` (the static figure) the legend's title says where the central and
    complex-step curves coincide (:func:`coincidence_note`).
    """

    EPS = float(np.finfo(np.float64).eps)

    def __init__(self, steps, errors: Mapping[str, Sequence[float]], *, ax=None, note=False):
        super().__init__(None if ax is None else ax.figure, figsize=(6.4, 4.0))
        self.ax = self.figure.subplots() if ax is None else ax
        self._background = None
        # The legend's title says where central and complex coincide (coincidence_note). A
        # widget redraws its legend on every move of the step, and the title's two lines made
        # that move about a quarter slower, so only the static figure shows it.
        self.show_note = note
        self._draw_curves(steps, errors)

    def _draw_curves(self, steps, errors):
        steps, errors = _curves(steps, errors)
        ax = self.ax
        for name, values in errors.items():
            # An exact zero cannot sit on a log axis; the smallest positive double stands in.
            ax.loglog(
                steps, np.maximum(values, np.finfo(float).tiny), label=name, **STYLES.get(name, {})
            )
        for power, label in ((1 / 2, r"$\varepsilon^{1/2}$"), (1 / 3, r"$\varepsilon^{1/3}$")):
            ax.axvline(self.EPS**power, color="gray", linestyle=":", linewidth=1)
            ax.annotate(
                label,
                (self.EPS**power, 0.98),
                xycoords=("data", "axes fraction"),
                xytext=(3, 0),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=11,
                color="dimgray",
            )
        ax.set_xlabel("step h")
        ax.set_ylabel("largest relative error")
        ax.set_title("Finite-difference error against the step")
        self.note = coincidence_note(steps, errors) if self.show_note else ""
        self._legend()
        _plain_decade_labels(ax)
        self.curves = {line.get_label(): line for line in ax.lines[: len(errors)]}
        self.marker = ax.axvline(np.nan, color="black", linewidth=1.2, visible=False)
        self.stars = ax.plot(
            [], [], marker="*", markersize=14, color="black", linestyle="none", zorder=5
        )[0]
        self.stars.set_visible(False)

    def _legend(self):
        """The legend, titled with where the central and complex curves coincide, if they do."""
        self.ax.legend(fontsize=8, title=self.note or None, title_fontsize=8)

    def update(self, steps, errors: Mapping[str, Sequence[float]]) -> StepSizeFigure:
        """New curves (one error per step for each method); returns ``self``."""
        steps = np.asarray(steps, dtype=float)
        self._background = None
        if set(errors) != set(self.curves):
            # Another set of methods (no complex step for ReLU) needs another legend: redraw.
            marked = self.marker.get_visible()
            chosen, stars = self.marker.get_xdata()[0], self.stars.get_ydata()
            self.ax.clear()
            self._draw_curves(steps, errors)
            if marked:
                self._mark(chosen, stars)
            return self
        for name, values in errors.items():
            values = np.asarray(values, dtype=float)
            self.curves[name].set_data(steps, np.maximum(values, np.finfo(float).tiny))
        note = coincidence_note(steps, errors) if self.show_note else ""
        if note != self.note:
            self.note = note
            self._legend()
        self.ax.relim()
        self.ax.autoscale_view()
        return self

    def mark(self, chosen: float, chosen_errors: Mapping[str, float] | None = None):
        """Mark step ``chosen`` and each method's error there with a star; returns ``self``."""
        errors = [max(error, np.finfo(float).tiny) for error in (chosen_errors or {}).values()]
        return self._mark(chosen, errors)

    def _mark(self, chosen: float, errors) -> StepSizeFigure:
        self.marker.set_xdata([chosen, chosen])
        self.marker.set_label(f"chosen step {chosen:.0e}")
        self.stars.set_data(np.full(len(errors), chosen), np.asarray(errors, dtype=float))
        self.marker.set_visible(True)
        self.stars.set_visible(True)
        self._legend()
        self.ax.relim()
        self.ax.autoscale_view()
        return self

    def _over_the_mark(self) -> list:
        """The marker line and every axes artist a full draw puts after it, in draw order."""
        ax = self.ax
        children = [
            artist
            for artist in ax.get_children()
            if artist.get_zorder() > self.marker.get_zorder()
            and artist not in (ax.title, ax._left_title, ax._right_title, ax.patch)
        ]
        # The same stable sort Axes.draw uses: equal zorders keep the order they were added in.
        return [self.marker, *sorted(children, key=lambda artist: artist.get_zorder())]

    def png(self) -> bytes:
        """The figure as it is now, as PNG bytes."""
        if not self.owns_figure:
            return super().png()
        canvas = self.figure.canvas
        limits = (*self.ax.get_xlim(), *self.ax.get_ylim())
        overlay = self._over_the_mark()
        for artist in overlay:
            artist.set_animated(True)
        if self._background is None or self._background[0] != limits:
            canvas.draw()
            self._background = (limits, canvas.copy_from_bbox(self.figure.bbox))
        else:
            canvas.restore_region(self._background[1])
        for artist in overlay:
            self.ax.draw_artist(artist)
        return _canvas_png(canvas)


def coincidence_note(steps, errors: Mapping[str, Sequence[float]], *, within: float = 1.25) -> str:
    """Where the central and complex-step curves lie on each other, as a legend note ('' if not).

    Both truncate by ``h² |J‴| / 6`` (with opposite signs), so from the largest step down to
    where the central difference's rounding takes over, their errors agree: the note names the
    smallest step of that run (each pair within a factor ``within``, at least two steps).
    """
    if "central" not in errors or "complex" not in errors:
        return ""
    steps = np.asarray(steps, dtype=float)
    central, complex_ = (np.asarray(errors[name], dtype=float) for name in ("central", "complex"))
    order = np.argsort(-steps)  # from the largest step down
    tiny = np.finfo(float).tiny
    ratio = np.maximum(central[order], tiny) / np.maximum(complex_[order], tiny)
    agree = (ratio <= within) & (ratio >= 1 / within)
    run = len(agree) if agree.all() else int(np.argmin(agree))
    if run < 2:
        return ""
    return (
        f"central = complex for h ≥ {steps[order][run - 1]:.0e}:\n"
        "the same truncation error h²|J‴|/6"
    )


def plot_step_errors(
    steps: Sequence[float],
    errors: Mapping[str, Sequence[float]],
    *,
    chosen: float | None = None,
    chosen_errors: Mapping[str, float] | None = None,
    ax=None,
    note: bool = True,
):
    """The error-against-step curves of :func:`matgrad.book.step_size.step_errors`, log–log.

    With ``chosen``, that step is marked, with a star on each curve at ``chosen_errors``.
    ``note`` titles the legend with where central and complex step coincide, if they do (the
    step-size explorer's live figure leaves it out).
    """
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6.4, 4.0))
    picture = StepSizeFigure(steps, errors, ax=ax, note=note)
    if chosen is not None:
        picture.mark(chosen, chosen_errors)
    return picture.figure


def step_errors_alt(
    steps: Sequence[float],
    errors: Mapping[str, Sequence[float]],
    *,
    chosen: float | None = None,
) -> str:
    """Alt text of :func:`plot_step_errors` for the same data, in words that hold on any CPU.

    Each curve's bottom is told as :func:`matgrad.book.step_size.smallest_error_text` prints
    it (rounding noise is told as the bound it lies below), and the complex step's flat tail
    as the bound of its noise.
    """
    from matgrad._text import format_bounded
    from matgrad.book import step_size
    from matgrad.checks import noise_floor

    steps, errors = _curves(steps, errors)
    methods = list(errors)
    alt = (
        f"Log–log plot of the largest relative error against the step h, from "
        f"{steps.max():.0e} to {steps.min():.0e}, one curve each for "
        f"{', '.join(methods[:-1]) + ' and ' if len(methods) > 1 else ''}{methods[-1]}; "
        "dotted verticals mark ε^(1/2) = 1.5e-08 and ε^(1/3) = 6.1e-06."
    )
    largest = int(np.argmax(steps))
    for method, values in errors.items():
        # At the largest step the error is truncation, the same on every CPU to its first digit.
        start = f"from {values[largest]:.0e} at h = {steps[largest]:.0e}"
        if method in ("forward", "central"):
            if np.argmin(values) == largest:
                # No truncation error to lose (a piecewise-quadratic cost): it only grows.
                level = format_bounded(float(values[largest]), noise_floor(method))
                alt += f" {method.capitalize()}: smallest ({level}) at h = {steps[largest]:.0e}"
                alt += ", growing steadily as h shrinks."
            else:
                bottom = step_size.smallest_error_text(steps, values, method)
                alt += f" {method.capitalize()}: falls {start} to its {bottom}, then rises."
        elif method == "complex":
            tail = values[steps <= 1e-8]
            if tail.size:
                level = format_bounded(float(tail.max()), noise_floor("complex"))
                alt += f" Complex step: falls {start}, then stays flat at {level} for h ≤ 1e-08."
    if chosen is not None:
        alt += f" A black vertical marks the chosen step {chosen:.0e}, a star each error there."
    return alt
