"""Every figure of the book (matplotlib): the static ones and those the widgets redraw.

Used in: forward and backward (``plot_computational_graph``), why-transpose (``plot_shapes``,
``plot_outer_product``), questions
(``plot_gradient_comparison``, ``plot_jacobian_slices``), checking-gradients
(``plot_step_errors``), cost-of-gradients (``plot_forward_passes``), the widgets (the
``...Figure`` classes) and benchmarks/gradient_cost.py (``plot_cost_scaling``).

Each ``plot_...`` function takes data computed elsewhere (:mod:`matgrad.book.shapes`,
:mod:`matgrad.book.step_size`, a gradient check), draws it on a new figure (or the given
``fig``/``ax``), and returns the Figure; none calls ``plt.show()`` or keeps state between
calls, so a notebook decides how the figure is displayed.

The widgets instead keep one figure each (the ``...Figure`` classes, built on
:class:`LiveFigure`) and redraw it in place: ``update(...)`` changes the artists' data and
``png()`` renders the picture. The ``plot_...`` functions draw through the same classes, so a
static figure and a widget's picture of the same data look the same.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullFormatter

from matgrad._text import shape_text
from matgrad.book.shapes import LayerShapes, Verdict
from matgrad.checks import ParameterCheck

DIVERGING = "RdBu_r"  # colour-blind safe, white at zero, red positive, blue negative
GRID_COLOURS = {"g": "#2166ac", "h(k-1)ᵀ": "#b2182b", "g h(k-1)ᵀ": "#762a83", "W(k)": "#4d4d4d"}
# Every method its own Okabe–Ito colour, line style and marker, so that curves read apart in
# grey scale and for colour-blind readers. Where the central and complex-step curves coincide
# (their truncation errors are equal), the complex one is drawn wide underneath and the central
# one dashed with open markers on top, so both stay visible. The zorders stay at or below an
# axvline's 2: the step-size explorer redraws only what lies above its marker.
_CENTRAL = {"color": "#0072B2", "marker": "o", "markerfacecolor": "none", "linestyle": "--"}
STYLES = {
    "forward": {"color": "#E69F00", "marker": "s", "linestyle": "-.", "zorder": 1.8},
    "central": {**_CENTRAL, "zorder": 2.0},
    "complex": {
        "color": "#009E73",
        "marker": "^",
        "linestyle": "-",
        "linewidth": 3.5,
        "markersize": 7,
        "zorder": 1.6,
    },
    "finite differences (central)": {**_CENTRAL, "zorder": 2.0},
    "backpropagation": {"color": "#D55E00", "marker": "D", "linestyle": "-", "zorder": 2.0},
}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pyplot():
    """``matplotlib.pyplot``, imported on first use.

    Importing pyplot starts a backend: about a second in the browser's Python (Pyodide), which
    a live widget, drawing with Agg alone, never needs.
    """
    import matplotlib.pyplot as plt

    return plt


def _decade_label(value: float, _position=None) -> str:
    """``1e-13`` → ``10⁻¹³``, in plain text; only whole powers of ten get a label."""
    exponent = np.log10(value) if value > 0 else np.nan
    if not np.isfinite(exponent) or abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(round(exponent)).translate(_SUPERSCRIPTS)


def _plain_decade_labels(ax) -> None:
    """Label log axes ``10⁻¹³`` in plain text instead of matplotlib's mathtext ``$10^{-13}$``.

    Parsing mathtext tick labels took most of a redraw of the step-size explorer (two thirds
    of its time, benchmarks/widget_latency.py); unicode superscripts look the same.
    """
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() == "log":
            axis.set_major_formatter(FuncFormatter(_decade_label))
            axis.set_minor_formatter(NullFormatter())


def _axes(ax, figsize=(6.4, 4.0)):
    if ax is None:
        figure, ax = pyplot().subplots(figsize=figsize)
        return figure, ax
    return ax.figure, ax


def _curves(x, curves: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, dict]:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"the x values must be a non-empty vector, got shape {x.shape}")
    if not curves:
        raise ValueError("need at least one curve to plot")
    checked = {}
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.shape != x.shape:
            raise ValueError(
                f"curve {name!r} has {values.shape} values for {x.shape} x values; "
                "each curve needs one value per x"
            )
        checked[name] = values
    return x, checked


def _canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """What the Agg canvas last drew, as PNG bytes."""
    buffer = io.BytesIO()
    # zlib level 1: a third faster than savefig's default level 6, for a file about 5% larger.
    PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())).save(
        buffer, format="png", compress_level=1
    )
    return buffer.getvalue()


class LiveFigure:
    """A figure a widget keeps for its lifetime and redraws in place.

    Subclasses build their artists once and change their data in ``update(...)``; ``png()``
    draws with Agg and returns PNG bytes. The figure has a fixed layout (a layout engine
    would draw every update twice) and is not registered with pyplot, so nothing is left open.
    With ``ax`` (or ``fig``) given, a subclass draws there instead, e.g. on a pyplot figure.
    """

    def __init__(self, figure: Figure | None = None, *, figsize=(6.4, 4.8), dpi: int = 80):
        self.owns_figure = figure is None
        if figure is None:
            figure = Figure(figsize=figsize, dpi=dpi)
            FigureCanvasAgg(figure)
        self.figure = figure

    def png(self) -> bytes:
        """The figure as it is now, as PNG bytes."""
        canvas = self.figure.canvas
        canvas.draw()
        return _canvas_png(canvas)


def relative_luminance(rgba) -> float:
    """WCAG 2's relative luminance of an sRGB colour (0 for black, 1 for white)."""
    channels = np.asarray(rgba, dtype=float)[:3]
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def label_colour(rgba) -> str:
    """``"white"`` or ``"black"``: whichever contrasts more with a cell of colour ``rgba``.

    WCAG's contrast ratio is ``(L_lighter + 0.05) / (L_darker + 0.05)``; white wins on a cell
    darker than a luminance of about 0.18 (the deep reds and blues of the heat maps), where
    black text would be dark on dark. A transparent cell (a NaN) shows the white page: black.
    """
    if len(rgba) == 4 and rgba[3] == 0:
        return "black"
    luminance = relative_luminance(rgba)
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def _cells(x, y, rows, columns) -> np.ndarray:
    """Corners ``(rows * columns, 4, 2)`` of the unit cells (0.9 wide) of a grid whose
    lower-left corner is (x, y), row by row from the top."""
    i, j = np.divmod(np.arange(rows * columns), columns)
    lower_left = np.stack([x + j, y + rows - 1 - i], axis=1).astype(float)
    corners = np.array([[0, 0], [0.9, 0], [0.9, 0.9], [0, 0.9]])
    return lower_left[:, None, :] + corners


class ShapesFigure(LiveFigure):
    """``g`` times ``h(k-1)ᵀ`` equals a grid the size of ``W(k)``, drawn to scale, in place.

    ``update(layer, verdict)`` resizes the grids (one collection each: a 12 × 12 grid drawn
    cell by cell took over half a second), moves the labels and retitles. With a ``verdict``
    for a wrong candidate, its shape is drawn beside ``W(k)`` (or a cross when the product
    cannot be formed); those artists are hidden otherwise.
    """

    GRIDS = ("g", "h(k-1)ᵀ", "g h(k-1)ᵀ", "W(k)")

    def __init__(self, ax=None):
        super().__init__(None if ax is None else ax.figure, figsize=(8, 3.6))
        self.ax = ax = self.figure.subplots() if ax is None else ax
        colours = [GRID_COLOURS[name] for name in self.GRIDS] + ["#e08214"]
        self.grids = [
            ax.add_collection(
                PolyCollection([], facecolor=colour, alpha=0.75, linewidth=0), autolim=False
            )
            for colour in colours
        ]
        self.labels = [ax.text(0, 0, "", ha="center", va="top") for _ in colours]
        self.operators = [
            ax.text(0, 0, sign, ha="center", va="center", fontsize=16) for sign in "×=~"
        ]
        self.cross = ax.text(0, 0, "✗", ha="center", va="center", fontsize=28, color="#b2182b")
        ax.set_aspect("equal")
        ax.axis("off")

    def _grid(self, index, x, y, rows, columns, label):
        self.grids[index].set_verts(_cells(x, y, rows, columns))
        self.labels[index].set_position((x + columns / 2, y - 0.8))
        self.labels[index].set_text(f"{label}\n{rows} × {columns}")

    def update(self, layer: LayerShapes, verdict: Verdict | None = None) -> ShapesFigure:
        """Redraw for ``layer`` (and the candidate's ``verdict``); returns ``self``."""
        n_in, n_out, m = layer.n_in, layer.n_out, layer.m
        middle = n_out / 2
        x = 0
        self._grid(0, x, 0, n_out, m, "g")
        x += m + 1.5
        self.operators[0].set_position((x - 0.75, middle))
        self._grid(1, x, n_out - m, m, n_in, "h(k-1)ᵀ")
        x += n_in + 1.5
        self.operators[1].set_position((x - 0.75, middle))
        self._grid(2, x, 0, n_out, n_in, "g h(k-1)ᵀ")
        x += n_in + 2
        self.operators[2].set_position((x - 1, middle))
        self._grid(3, x, 0, n_out, n_in, "W(k)")
        x += n_in + 1
        title = (
            f"layer k = {layer.k}: ({n_out} × {m})({m} × {n_in}) = {n_out} × {n_in}, "
            "the shape of W(k)"
        )
        wrong = verdict is not None and not verdict.correct
        formed = wrong and verdict.shape is not None
        self.grids[4].set_visible(formed)
        self.labels[4].set_visible(wrong)
        self.cross.set_visible(wrong and not formed)
        if wrong:
            x += 1
            if formed:
                rows, columns = verdict.shape
                self._grid(4, x, 0, rows, columns, verdict.candidate)
                x += columns
            else:
                self.cross.set_position((x + 1, middle))
                self.grids[4].set_verts([])
                self.labels[4].set_position((x + 1, -0.8))
                self.labels[4].set_text(f"{verdict.candidate}\ncannot be formed")
                x += 2
            title += f"\n{verdict.candidate}: " + (
                "right shape, wrong values" if verdict.fits else "does not fit"
            )
        self.ax.set_xlim(-0.5, x + 0.5)
        self.ax.set_ylim(-2.6, max(n_out, m) + 0.5)
        self.ax.set_title(title, fontsize=10)
        return self


def plot_shapes(layer: LayerShapes, verdict: Verdict | None = None, *, ax=None):
    """``g`` times ``h(k-1)ᵀ`` equals a grid the size of ``W(k)``, drawn to scale.

    With a ``verdict`` for a wrong candidate, its shape is drawn beside ``W(k)`` (or a cross
    when the product cannot be formed).
    """
    figure, ax = pyplot().subplots(figsize=(8, 3.6)) if ax is None else (ax.figure, ax)
    ShapesFigure(ax).update(layer, verdict)
    return figure


class GradientComparisonFigure(LiveFigure):
    """Backprop's gradient, the finite-difference one and their difference, as heatmaps.

    The first two share one colour scale, symmetric about zero, so equal numbers look equal;
    the difference has its own symmetric scale (it is many orders of magnitude smaller when
    the check passes). A wrongly shaped claim is reported in its panel instead of drawn;
    NaN and inf entries are left out of the colour scales. The axes and both colourbars are
    made once; ``update(check)`` swaps the data, the scales and the titles, and
    ``no_check(reason)`` hides them all and says that there is no check to show.
    """

    def __init__(self, fig=None):
        super().__init__(fig, figsize=(9, 3.2))
        figure = self.figure
        # A fixed layout: the constrained one drew every figure twice and doubled an update.
        self.axes = figure.subplots(
            1, 3, gridspec_kw={"left": 0.02, "right": 0.95, "top": 0.82, "wspace": 0.35}
        )
        shared = Normalize(vmin=-1.0, vmax=1.0)
        blank = np.zeros((1, 1))
        self.images = [
            self.axes[0].imshow(blank, cmap=DIVERGING, norm=shared),
            self.axes[1].imshow(blank, cmap=DIVERGING, norm=shared),
            self.axes[2].imshow(blank, cmap=DIVERGING, norm=Normalize(vmin=-1.0, vmax=1.0)),
        ]
        for ax in self.axes:
            # No ticks on a heatmap: hiding the empty axes skips their layout at every draw.
            ax.xaxis.set_visible(False)
            ax.yaxis.set_visible(False)
        self.message = self.axes[0].text(
            0.5, 0.5, "", ha="center", va="center", transform=self.axes[0].transAxes
        )
        # Without its colourbar (shapes differ) the difference panel spans its whole cell.
        self.difference_cell = self.axes[2].get_position(original=True)
        self.difference_bar = figure.colorbar(self.images[2], ax=self.axes[2], shrink=0.8)
        self.difference_beside_bar = self.axes[2].get_position(original=True)
        self.shared_bar = figure.colorbar(self.images[1], ax=self.axes[:2], shrink=0.8)
        self.notice = figure.text(0.5, 0.45, "", ha="center", va="center", visible=False)
        self.check = None

    def shows(self, check: ParameterCheck) -> bool:
        """Whether the figure already shows this check (the same name, numbers and verdict)."""
        shown = self.check
        return (
            shown is not None
            and (shown.name, shown.shape, shown.rel_error, shown.verdict)
            == (check.name, check.shape, check.rel_error, check.verdict)
            and np.array_equal(shown.claimed, check.claimed, equal_nan=True)
            and np.array_equal(shown.numerical, check.numerical, equal_nan=True)
        )

    def _panel(self, index: int, data: np.ndarray | None):
        """Show ``data`` (2-D) in panel ``index``, or turn the panel off for ``None``."""
        ax, image = self.axes[index], self.images[index]
        image.set_visible(data is not None)
        if data is None:
            ax.set_axis_off()
            # As an empty axes would be: the whole cell, so the title sits where it did.
            ax.set_aspect("auto")
            return
        ax.set_axis_on()
        ax.set_aspect("equal")
        rows, columns = data.shape
        image.set_data(data)
        image.set_extent((-0.5, columns - 0.5, rows - 0.5, -0.5))

    def _show_panels(self, shown: bool):
        """Show (or hide) the three panels and the shared colourbar; the no-check notice is
        shown exactly when they are not. The difference colourbar is left to ``update``."""
        for ax in (*self.axes, self.shared_bar.ax):
            ax.set_visible(shown)
        if not shown:
            self.difference_bar.ax.set_visible(False)
        self.notice.set_visible(not shown)

    def no_check(self, reason: str = "") -> GradientComparisonFigure:
        """A picture that shows no check: every panel hidden, "no check" and ``reason``."""
        self._show_panels(False)
        lines = textwrap.wrap(reason, 90, max_lines=4, placeholder=" …")
        self.notice.set_text("\n".join(["Nothing was checked with these settings.", *lines]))
        self.figure.suptitle("no check", fontsize=11)
        self.check = None
        return self

    def update(self, check: ParameterCheck) -> GradientComparisonFigure:
        """Redraw for one parameter's check; returns ``self``."""
        self._show_panels(True)
        numerical = np.asarray(check.numerical)
        claimed = np.asarray(check.claimed)
        shape = shape_text(check.shape)
        same_shape = claimed.shape == numerical.shape
        scale = _largest(numerical)
        if same_shape:
            scale = max(scale, _largest(claimed))
        # One norm for both panels: setting it on one rescales the other and their colourbar.
        self.images[1].set_clim(-(scale or 1.0), scale or 1.0)
        self._panel(0, np.atleast_2d(claimed) if same_shape else None)
        self.message.set_visible(not same_shape)
        self.message.set_text(f"shape {claimed.shape}\n≠ {check.shape}")
        self.axes[0].set_title(f"backprop {check.name}", fontsize=9)
        self._panel(1, np.atleast_2d(numerical))
        self.axes[1].set_title(f"finite differences {shape}", fontsize=9)
        if same_shape:
            difference = np.atleast_2d(claimed - numerical)
            self._panel(2, difference)
            extent = _largest(difference) or 1.0
            self.images[2].set_clim(-extent, extent)
        else:
            self._panel(2, None)
        self.difference_bar.ax.set_visible(same_shape)
        self.axes[2].set_position(
            self.difference_beside_bar if same_shape else self.difference_cell
        )
        difference_title = (
            f"difference (rel. error {check.error_text()})" if same_shape else "shapes differ"
        )
        self.axes[2].set_title(difference_title, fontsize=9)
        self.figure.suptitle(f"{check.name} ({shape}): {check.verdict}", fontsize=11)
        self.check = check
        return self


def _largest(values: np.ndarray) -> float:
    """The largest finite ``|value|`` (0 when there is none): a colour scale's extent."""
    magnitudes = np.abs(values)
    return float(np.max(magnitudes, where=np.isfinite(magnitudes), initial=0.0))


def plot_gradient_comparison(check: ParameterCheck, *, fig=None):
    """Backprop's gradient, the finite-difference one and their difference, as heatmaps.

    The first two share one colour scale, symmetric about zero, so equal numbers look equal;
    the difference has its own symmetric scale (it is many orders of magnitude smaller when
    the check passes). A wrongly shaped claim is reported in its panel instead of drawn.
    """
    figure = fig if fig is not None else pyplot().figure(figsize=(9, 3.2))
    figure.clear()
    return GradientComparisonFigure(figure).update(check).figure


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


class VectorFigure(LiveFigure):
    """A small matrix (``g``, a gradient) as a heatmap with its values written in the cells.

    ``update(values, title)`` swaps the data, the cell texts and the title; on its own figure
    it also resizes the figure to the matrix (the widget's picture grows with it).
    """

    def __init__(self, ax=None):
        super().__init__(None if ax is None else ax.figure)
        if ax is None:
            self.figure.set_layout_engine("constrained")
        self.ax = ax = self.figure.subplots() if ax is None else ax
        self.image = ax.imshow(np.zeros((1, 1)), cmap=DIVERGING, norm=Normalize(-1.0, 1.0))
        self.texts = []
        ax.set_xticks([])
        ax.set_yticks([])

    def update(self, values: np.ndarray, title: str) -> VectorFigure:
        """Show ``values`` (a vector or matrix) titled ``title``; returns ``self``."""
        values = np.atleast_2d(values)
        rows, columns = values.shape
        if self.owns_figure:
            self.figure.set_size_inches(0.6 * columns + 1.6, 0.45 * rows + 1)
        extent = np.max(np.abs(values), initial=0.0) or 1.0
        self.image.set_data(values)
        self.image.set_extent((-0.5, columns - 0.5, rows - 0.5, -0.5))
        self.image.set_clim(-extent, extent)
        while len(self.texts) < values.size:
            # 10 pt at 80 dpi: 11 px, and the picture fits a phone's column unscaled.
            self.texts.append(self.ax.text(0, 0, "", ha="center", va="center", fontsize=10))
        cell_colours = self.image.cmap(self.image.norm(values))
        for text, ((i, j), value) in zip(self.texts, np.ndenumerate(values), strict=False):
            text.set_position((j, i))
            text.set_text(f"{value:.2f}")
            text.set_color(label_colour(cell_colours[i, j]))
            text.set_visible(True)
        for text in self.texts[values.size :]:
            text.set_visible(False)
        self.ax.set_title(f"{title}  ({rows} × {columns})", fontsize=10)
        return self


def plot_outer_product(g, h, *, fig=None):
    """``g``, ``h(k-1)ᵀ`` and their outer product ``g h(k-1)ᵀ`` as heatmaps, shapes in the titles.

    ``g`` has ``n_k`` entries and ``h`` ``n_(k-1)``; the product is ``n_k × n_(k-1)``, the
    shape of ``W(k)``, and entry ``(i, j)`` is ``g_i h_j``.
    """
    g, h = np.reshape(g, (-1, 1)), np.reshape(h, (1, -1))
    product = g @ h
    # Drawn for a phone's column (358 px at 390 px), where the page scales the PNG (about
    # 610 px at 100 dpi) to 0.59: its 12.5 pt texts are 10 px there. At 8 in wide with 7 pt
    # labels they were 4 px, too small to read.
    figure = fig if fig is not None else pyplot().figure(figsize=(6, 2.5), layout="constrained")
    figure.clear()
    widths = [1, h.shape[1], h.shape[1]]
    axes = figure.subplots(1, 3, width_ratios=widths)
    panels = ((g, "g"), (h, "h(k-1)ᵀ"), (product, "g h(k-1)ᵀ"))
    for ax, (values, name) in zip(axes, panels, strict=True):
        extent = np.max(np.abs(values), initial=0.0) or 1.0
        image = ax.imshow(values, cmap=DIVERGING, norm=Normalize(vmin=-extent, vmax=extent))
        cell_colours = image.cmap(image.norm(values))
        for (i, j), value in np.ndenumerate(values):
            colour = label_colour(cell_colours[i, j])
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=12.5, color=colour)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}\n{values.shape[0]} × {values.shape[1]}", fontsize=12.5)
    return figure


def plot_jacobian_slices(T, *, fig=None):
    """The slices ``T[i] = ∂a_i/∂W`` of the Jacobian of ``a = W h``: row ``i`` is ``hᵀ``."""
    T = np.asarray(T)
    if T.ndim != 3:
        raise ValueError(f"T must be a 3-tensor (n_out, n_out, n_in), got shape {T.shape}")
    figure = (
        fig
        if fig is not None
        else pyplot().figure(figsize=(2.2 * T.shape[0], 2.4), layout="constrained")
    )
    figure.clear()
    axes = np.atleast_1d(figure.subplots(1, T.shape[0]))
    extent = np.max(np.abs(T), initial=0.0) or 1.0
    for i, ax in enumerate(axes):
        ax.imshow(T[i], cmap=DIVERGING, norm=Normalize(vmin=-extent, vmax=extent))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"∂a_{i + 1}/∂W  ({T.shape[1]} × {T.shape[2]})", fontsize=9)
    return figure


def plot_cost_scaling(P, seconds: Mapping[str, Sequence[float]], *, ax=None):
    """Measured time of a whole gradient against the number of parameters ``P``, log–log."""
    return _against_parameter_count(
        P, seconds, "seconds per gradient", "The cost of one gradient", ax
    )


def plot_forward_passes(P, passes: Mapping[str, Sequence[float]], *, ax=None):
    """Counted forward passes of each way of computing a gradient against ``P``, log–log."""
    return _against_parameter_count(
        P, passes, "forward passes (or their equivalent)", "Counted work of one gradient", ax
    )


def _against_parameter_count(P, curves, ylabel: str, title: str, ax):
    P, curves = _curves(P, curves)
    figure, ax = _axes(ax)
    for name, values in curves.items():
        ax.loglog(P, values, label=name, **STYLES.get(name, {}))
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    _plain_decade_labels(ax)
    return figure


# Okabe & Ito's colour-blind-safe palette: blue for the forward pass, vermillion for the
# backward one; the backward arrows are also dashed, so the two read apart in grey scale.
FORWARD_COLOUR = "#0072B2"
BACKWARD_COLOUR = "#D55E00"
NODE_FILLS = {
    "value": "#DDEBF7",  # h(k), a(k): light blue
    "parameter": "#FBEBC5",  # W(k), b(k): light yellow
    "cost": "#E8E8E8",  # L, λΩ(θ), J, y: light grey
}
GRAPH_MAX_DEPTH = 4


def _graph_layout(l: int):  # noqa: E741 - the book's name for the depth
    """Nodes ``{name: (label, x, y, half_width, kind)}`` and forward arrows
    ``[(from, to, line of Algorithm 6.3)]`` of the network of Algorithm 6.3 with depth ``l``."""
    step = 2.0  # between neighbouring columns of the main row
    nodes, arrows = {}, []

    def node(name, label, x, y, kind, half_width=0.5):
        nodes[name] = (label, x, y, half_width, kind)

    node("h(0)", "$h^{(0)} = x$", 0.0, 0.0, "value", 0.72)
    for k in range(1, l + 1):
        x_a = (2 * k - 1) * step
        node(f"a({k})", f"$a^{{({k})}}$", x_a, 0.0, "value")
        h_label = f"$h^{{({k})}} = \\hat{{y}}$" if k == l else f"$h^{{({k})}}$"
        node(f"h({k})", h_label, x_a + step, 0.0, "value", 0.72 if k == l else 0.5)
        node(f"W({k})", f"$W^{{({k})}}$", x_a - 0.75, 1.9, "parameter")
        node(f"b({k})", f"$b^{{({k})}}$", x_a + 0.75, 1.9, "parameter", 0.42)
        arrows += [(f"h({k - 1})", f"a({k})", 3), (f"W({k})", f"a({k})", 3)]
        arrows += [(f"b({k})", f"a({k})", 3), (f"a({k})", f"h({k})", 4)]
    x_L = (2 * l + 1) * step
    node("L", r"$L(\hat{y}, y)$", x_L, 0.0, "cost", 0.72)
    node("y", "$y$", x_L, 1.9, "cost", 0.35)
    node("J", "$J$", x_L + step, 0.0, "cost", 0.4)
    node("Omega", r"$\lambda\,\Omega(\theta)$", x_L + step, 1.9, "cost", 0.72)
    arrows += [(f"h({l})", "L", 7), ("y", "L", 7), ("L", "J", 7), ("Omega", "J", 7)]
    return nodes, arrows


def _edge_point(node, towards) -> tuple[float, float]:
    """Where the segment from ``node``'s centre to ``towards`` leaves its box."""
    _, x, y, half_width, _ = node
    dx, dy = towards[0] - x, towards[1] - y
    t = min(half_width / abs(dx) if dx else np.inf, 0.3 / abs(dy) if dy else np.inf)
    return x + t * dx, y + t * dy


def _line_badge(ax, xy, line: int, colour: str, gid: str, fontsize: float):
    """Algorithm line number ``line`` in a small white box at ``xy``."""
    ax.text(
        *xy,
        str(line),
        ha="center",
        va="center",
        fontsize=fontsize,
        color="black",
        gid=gid,
        zorder=4,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "lw": 1.2},
    )


def plot_computational_graph(l: int = 2, *, backward: bool = True, ax=None):  # noqa: E741
    """The network of Algorithms 6.3 and 6.4 as a computational graph, for depth ``l``.

    Nodes: ``h(0) = x``, ``a(k)``, ``h(k)`` (``h(l) = ŷ``), the parameters ``W(k)`` and
    ``b(k)`` feeding ``a(k)``, ``L(ŷ, y)`` with the target ``y``, ``λΩ(θ)`` fed by every
    ``W(k)``, and ``J``. Forward arrows (solid, blue) carry Algorithm 6.3's line numbers.
    With ``backward`` (the default), dashed vermillion arrows run the other way, each labelled
    with Algorithm 6.4's line and what ``g`` is there (``∇ŷ J``, ``∇a(k) J``, ``∇h(k-1) J``),
    and into each ``W(k)`` and ``b(k)`` its gradient (lines 5 and 4). Every node, arrow and
    label has a ``gid`` in the book's plain names (``"a(1)"``, ``"forward h(0)→a(1)"``,
    ``"backward a(1)→W(1)"``) by which tests and readers of the SVG find it.
    ``l`` is 1 to 4 (wider graphs do not fit the page). Returns the Figure.
    """
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)):
        raise TypeError(
            f"the depth l must be a whole number from 1 to {GRAPH_MAX_DEPTH}, got {l!r}"
        )
    if not 1 <= l <= GRAPH_MAX_DEPTH:
        raise ValueError(
            f"the depth l must be from 1 to {GRAPH_MAX_DEPTH} (layers k = 1, ..., l), got {l}"
        )
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    l = int(l)  # noqa: E741
    nodes, arrows = _graph_layout(l)
    width = (2 * l + 2) * 2.0
    columns = 2 if l > 1 or not backward else 1  # the legend's: two fit a graph of l ≥ 2
    bottom = (-2.55 if backward else -1.15) - 0.45 * (columns == 1 and backward)
    if ax is None:
        figure, ax = pyplot().subplots(figsize=(0.72 * (width + 1.6), 0.72 * (3.2 - bottom)))
        figure.subplots_adjust(left=0, right=1, bottom=0, top=1)
    else:
        figure = ax.figure
    ax.set_xlim(-0.9, width + 0.8)
    ax.set_ylim(bottom, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")
    big, small = 15, 13

    for name, (label, x, y, half_width, kind) in nodes.items():
        ax.add_patch(
            FancyBboxPatch(
                (x - half_width, y - 0.3),
                2 * half_width,
                0.6,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                fc=NODE_FILLS[kind],
                ec="#333333",
                lw=1.2,
                zorder=2,
                gid=f"box {name}",
            )
        )
        ax.text(x, y, label, ha="center", va="center", fontsize=big, zorder=3, gid=name)

    def arrow(start, end, colour, style, gid, rad=0.0, lw=1.8):
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=16,
                connectionstyle=f"arc3,rad={rad}",
                color=colour,
                linestyle=style,
                lw=lw,
                shrinkA=0,
                shrinkB=1,
                zorder=1,
                gid=gid,
            )
        )

    # Forward: Algorithm 6.3, solid.
    for source, target, line in arrows:
        start = _edge_point(nodes[source], nodes[target][1:3])
        end = _edge_point(nodes[target], nodes[source][1:3])
        gid = f"forward {source}→{target}"
        arrow(start, end, FORWARD_COLOUR, "-", gid)
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        _line_badge(ax, middle, line, FORWARD_COLOUR, f"line {gid}", small - 2)
    # Every W(k) feeds λΩ(θ) (line 7): one rail above the parameters.
    rail = 2.75
    _, x_omega, y_omega, _, _ = nodes["Omega"]
    x_first = nodes["W(1)"][1]
    ax.add_line(Line2D([x_first, x_omega], [rail, rail], color=FORWARD_COLOUR, lw=1.8, zorder=1))
    for k in range(1, l + 1):
        x_w = nodes[f"W({k})"][1]
        ax.add_line(
            Line2D(
                [x_w, x_w],
                [1.9 + 0.3, rail],
                color=FORWARD_COLOUR,
                lw=1.8,
                zorder=1,
                gid=f"forward W({k})→Omega",
            )
        )
    arrow((x_omega, rail), (x_omega, y_omega + 0.3), FORWARD_COLOUR, "-", "forward rail→Omega")
    _line_badge(
        ax, ((x_first + x_omega) / 2 + 1.0, rail), 7, FORWARD_COLOUR, "line rail", small - 2
    )

    handles = [
        Line2D(
            [], [], color=FORWARD_COLOUR, lw=2, label="forward, Algorithm 6.3 (numbers: its lines)"
        )
    ]
    if backward:
        dashed = (0, (5, 3))

        def back(source, target, line, label, gid):
            _, x0, y0, _, _ = nodes[source]
            _, x1, y1, _, _ = nodes[target]
            arrow((x0, y0 - 0.3), (x1, y1 - 0.3), BACKWARD_COLOUR, dashed, gid, rad=-0.45)
            ax.text(
                (x0 + x1) / 2,
                -0.3 - 0.45 * abs(x1 - x0) / 2 - 0.1,
                f"{line}: {label}",
                ha="center",
                va="top",
                fontsize=big - 1,
                color="black",
                gid=f"label {gid}",
            )

        back("J", f"h({l})", 1, r"$g = \nabla_{\hat{y}}\, J$", f"backward J→h({l})")
        for k in range(l, 0, -1):
            back(
                f"h({k})",
                f"a({k})",
                3,
                f"$g = \\nabla_{{a^{{({k})}}}}\\, J$",
                f"backward h({k})→a({k})",
            )
            back(
                f"a({k})",
                f"h({k - 1})",
                6,
                f"$g = \\nabla_{{h^{{({k - 1})}}}}\\, J$",
                f"backward a({k})→h({k - 1})",
            )
            _, x_a, _, _, _ = nodes[f"a({k})"]
            for name, line, label, side in (
                (f"W({k})", 5, f"$g\\,h^{{({k - 1})\\top}}$\n$+\\,\\lambda W^{{({k})}}$", -1),
                (f"b({k})", 4, "$g$", 1),
            ):
                _, x_p, y_p, _, _ = nodes[name]
                gid = f"backward a({k})→{name}"
                arrow(
                    (x_a + side * 0.2, 0.3),
                    (x_p + side * 0.2, y_p - 0.3),
                    BACKWARD_COLOUR,
                    dashed,
                    gid,
                    rad=-side * 0.35 * -1,
                )
                ax.text(
                    x_a + side * 1.02,
                    1.0,
                    f"{line}: {label}",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=small - 1,
                    color="black",
                    gid=f"label {gid}",
                )
        handles.append(
            Line2D(
                [],
                [],
                color=BACKWARD_COLOUR,
                lw=2,
                linestyle=dashed,
                label="backward, Algorithm 6.4, carrying g",
            )
        )
    ax.legend(
        handles=handles,
        loc="lower center",
        ncol=columns,
        fontsize=small - 1,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
        handlelength=3,
    )
    return figure


# --- The im2col explorer: Y_col = W_col X_col to scale, and one output pixel's route --------

# A phone's widget column is about 330 px wide: the 4.4 in figure is shown there at 75 px per
# inch, so 12 pt text is 12.5 px, the size of 9 pt text on the page. Every text is 12 pt.
IM2COL_WIDTH, IM2COL_FONT, IM2COL_DPI = 4.4, 12, 100
# From the top, in inches: the title; X_col's label (two lines, a name and a shape); the
# matrices; W_col's and Y_col's labels; the images' titles (two lines); the images; the
# legend (at most six lines). Each has a band of its own, so no text meets another.
TITLE_BAND, LABEL_BAND, PRODUCT_HEIGHT = 0.45, 0.48, 2.1
IMAGE_TITLES, IMAGE_HEIGHT, LEGEND_LINES, LEGEND_SPACING = 0.5, 2.2, 6, 1.25
IM2COL_SIZE = (
    IM2COL_WIDTH,
    TITLE_BAND
    + 2 * LABEL_BAND
    + PRODUCT_HEIGHT
    + 0.12
    + IMAGE_TITLES
    + IMAGE_HEIGHT
    + 0.12
    + LEGEND_LINES * LEGEND_SPACING * IM2COL_FONT / 72
    + 0.1,
)
# A side thinner than this (an 8 × 392 W_col beside a 392 × 1296 X_col) would vanish: it is
# widened to it, and the figure says so. One scale for everything else keeps X_col's bulk,
# kh·kw copies of the input, honest; a compressed scale would hide it.
IM2COL_THIN = 0.09
PADDING_HATCH = "#7f7f7f"
LIGHT_BACKWARD = "#f4a582"  # read padding: the route's colour, lighter (RdBu's light red)


def _text_width(text: str) -> float:
    """The width of ``text`` (its longest line) at :data:`IM2COL_FONT`, in inches."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    renderer = RendererAgg(1, 1, 72)  # at 72 dpi a point is a pixel
    font = FontProperties(size=IM2COL_FONT)
    widths = [
        renderer.get_text_width_height_descent(line, font, ismath=False)[0]
        for line in text.split("\n")
    ]
    return max(widths) / 72


def _fit_product(rows, columns, c_out, box, labels) -> dict:
    """Where ``W_col`` (``c_out × rows``), ``X_col`` (``rows × columns``) and ``Y_col`` go in
    ``box`` (left, bottom, width, height; inches), in Falk's layout: ``X_col`` above ``Y_col``
    and ``W_col`` left of it, so that shared sides line up. ``labels`` are the labels' widths
    (W, X, Y): ``W_col``'s sits under it and ends no further right than it, ``X_col``'s (above
    it) and ``Y_col``'s (under it) start no further left than them, so no label meets another
    and none leaves the box.

    Returns each matrix's rectangle (x, y, width, height), the cell sides ``(rows, columns,
    c_out)`` are drawn at and whether a side was widened to :data:`IM2COL_THIN`."""
    left, bottom, width, height = box
    gap = 0.12
    w_label, x_label, y_label = labels
    scale = min((height - gap) / (rows + c_out), (width - gap) / (rows + columns))
    while True:
        sides = [max(scale * n, IM2COL_THIN) for n in (rows, columns, c_out)]
        d_rows, d_columns, d_c = sides
        left_part = max(d_rows, w_label)
        wide = left_part + gap + max(d_columns, x_label, y_label)
        tall = d_rows + gap + d_c
        if (wide <= width and tall <= height) or scale < 1e-6:
            break
        scale *= 0.97
    x0 = left + (width - (left_part + gap + d_columns)) / 2
    y0 = bottom + (height - tall) / 2
    # Never wider than the box: a long label (not the matrix) may need the room on the right.
    x0 = min(x0, left + width - (left_part + gap + max(d_columns, x_label, y_label)))
    x_col = x0 + left_part + gap
    return {
        "W_col": (x_col - gap - d_rows, y0, d_rows, d_c),
        "X_col": (x_col, y0 + d_c + gap, d_columns, d_rows),
        "Y_col": (x_col, y0, d_columns, d_c),
        "cells": (d_rows / rows, d_columns / columns, d_c / c_out),
        "widened": any(
            side > scale * n + 1e-12 for side, n in zip(sides, (rows, columns, c_out), strict=True)
        ),
    }


# The matrices' box (left, bottom, width, height; inches), and the top of the images' titles.
PRODUCT_BOX = (
    0.12,
    IM2COL_SIZE[1] - TITLE_BAND - LABEL_BAND - PRODUCT_HEIGHT,
    IM2COL_WIDTH - 0.24,
    PRODUCT_HEIGHT,
)
IMAGES_TOP = PRODUCT_BOX[1] - LABEL_BAND - 0.12


def _product_fit(layout) -> tuple[dict, dict, dict]:
    """The matrices' labels, their widths (inches) and :func:`_fit_product`'s placement."""
    shapes = layout.shapes
    names = ("W_col", "X_col", "Y_col")
    texts = {name: f"{name}\n{_shape(*shapes[name])}" for name in names}
    widths = {name: _text_width(texts[name]) for name in names}
    rows, columns, c_out = layout.rows, layout.columns, layout.settings.C_out
    return texts, widths, _fit_product(rows, columns, c_out, PRODUCT_BOX, widths.values())


def _grid_segments(x, y, width, height, rows, columns, every=1) -> list:
    """The inner lines of a ``rows × columns`` grid on (x, y, width, height), every
    ``every``-th line (``every`` a number of rows and columns alike, or a pair)."""
    every_row, every_column = every if isinstance(every, tuple) else (every, every)
    segments = []
    for r in range(every_row, rows, every_row):
        level = y + height - r * height / rows
        segments.append([(x, level), (x + width, level)])
    for c in range(every_column, columns, every_column):
        at = x + c * width / columns
        segments.append([(at, y), (at, y + height)])
    return segments


def _runs(flags) -> list[tuple[int, int]]:
    """The runs of ``True`` in a boolean vector, as ``(first, last + 1)``."""
    edges = np.diff(np.concatenate([[0], np.asarray(flags, dtype=int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _square_cells(x, top, rows, columns, side) -> np.ndarray:
    """Corners ``(rows * columns, 4, 2)`` of square cells of ``side`` inches, row by row from
    the top, the top-left corner at ``(x, top)``."""
    i, j = np.divmod(np.arange(rows * columns), columns)
    lower_left = np.stack([x + j * side, top - (i + 1) * side], axis=1)
    corners = np.array([[0, 0], [side, 0], [side, side], [0, side]])
    return lower_left[:, None, :] + corners


class Im2colFigure(LiveFigure):
    """A convolution as ``Y_col = W_col X_col``, drawn to scale, and one output pixel's route.

    Above, the three matrices in Falk's layout (``X_col`` above ``Y_col``, ``W_col`` to its
    left), with thin dark lines between channels (rows of ``X_col``) and examples (its
    columns), and the output pixel's column in the route's colour (its rows that read padding
    hatched). Below, example ``n``'s image with its padding (hatched), the pixels the column
    read in the route's colour (those pixels receive its gradient), each pixel numbered with
    how many output pixels read it (their gradients add; numbers only where a cell has room),
    and beside it the output with the pixel marked. The figure's coordinates are inches: the
    text keeps its size whatever the shapes. Sides too thin to see are widened to
    :data:`IM2COL_THIN`, and the legend says so. ``update(route)`` redraws in place.
    """

    def __init__(self, ax=None):
        super().__init__(None if ax is None else ax.figure, figsize=IM2COL_SIZE, dpi=IM2COL_DPI)
        if ax is None:
            ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax = ax
        width, height = IM2COL_SIZE
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_aspect("equal")
        ax.axis("off")
        text = {"fontsize": IM2COL_FONT, "color": "black"}
        self.title = ax.text(width / 2, height - 0.12, "", ha="center", va="top", **text)
        self.matrices = {
            name: ax.add_patch(
                Rectangle((0, 0), 0, 0, facecolor=NODE_FILLS[kind], edgecolor="#333333", lw=1)
            )
            for name, kind in (("W_col", "parameter"), ("X_col", "value"), ("Y_col", "value"))
        }
        self.cell_lines = ax.add_collection(
            LineCollection([], colors="white", linewidths=0.6), autolim=False
        )
        self.block_lines = ax.add_collection(
            LineCollection([], colors="#333333", linewidths=1.2), autolim=False
        )
        self.stripes = [
            ax.add_patch(Rectangle((0, 0), 0, 0, facecolor=BACKWARD_COLOUR, lw=0))
            for _ in ("X_col", "Y_col")
        ]
        self.stripe_padding = ax.add_collection(
            PolyCollection(
                [], facecolor=LIGHT_BACKWARD, edgecolor=PADDING_HATCH, hatch="////", lw=0
            ),
            autolim=False,
        )
        self.labels = {name: ax.text(0, 0, "", ha="center", **text) for name in self.matrices}
        self.cells = ax.add_collection(
            PolyCollection([], edgecolor="white", linewidths=1), autolim=False
        )
        self.padding = ax.add_collection(
            PolyCollection([], facecolor="none", edgecolor=PADDING_HATCH, hatch="////", lw=0),
            autolim=False,
        )
        self.window = ax.add_patch(
            Rectangle((0, 0), 0, 0, facecolor="none", edgecolor=BACKWARD_COLOUR, lw=2.5)
        )
        self.output_cells = ax.add_collection(
            PolyCollection([], facecolor=NODE_FILLS["value"], edgecolor="white", linewidths=1),
            autolim=False,
        )
        self.output_pixel = ax.add_patch(
            Rectangle((0, 0), 0, 0, facecolor=BACKWARD_COLOUR, edgecolor="black", lw=1.5)
        )
        self.panel_titles = [ax.text(0, 0, "", ha="center", va="top", **text) for _ in range(2)]
        self.counts = []
        self.legend = ax.text(
            0.12,
            IMAGES_TOP - IMAGE_TITLES - IMAGE_HEIGHT - 0.12,
            "",
            ha="left",
            va="top",
            linespacing=LEGEND_SPACING,
            **text,
        )
        self.route, self.fit, self.numbered = None, None, False

    def update(self, route) -> Im2colFigure:
        """Redraw for ``route`` (:func:`matgrad.book.im2col.route`); returns ``self``."""
        self.route = route
        layout = route.layout
        s = layout.settings
        self.title.set_text(f"Y_col = W_col X_col: stride {s.stride}, padding {s.padding}")
        texts, widths, fit = _product_fit(layout)
        for name, label in self.labels.items():
            label.set_text(texts[name])
        self.fit = fit
        for name, patch in self.matrices.items():
            x, y, w_, h_ = fit[name]
            patch.set_bounds(x, y, w_, h_)
        u_rows, u_columns, u_c = fit["cells"]
        x_w, y_w, w_w, h_w = fit["W_col"]
        x_x, y_x, w_x, h_x = fit["X_col"]
        x_y, y_y, w_y, h_y = fit["Y_col"]
        # Cell lines where a cell is at least 4.5 px (on a phone about 3.4 px) across.
        lines = []
        if min(u_rows, u_columns, u_c) >= 0.045:
            lines += _grid_segments(x_w, y_w, w_w, h_w, s.C_out, layout.rows)
            lines += _grid_segments(x_x, y_x, w_x, h_x, layout.rows, layout.columns)
            lines += _grid_segments(x_y, y_y, w_y, h_y, s.C_out, layout.columns)
        self.cell_lines.set_segments(lines)
        # Lines between channels (blocks of kh·kw rows of X_col) and examples (blocks of
        # H_out·W_out columns), where blocks are at least 0.06 in apart: closer, they would
        # paint the matrix dark.
        kernel = s.kh * s.kw if s.kh * s.kw * u_rows >= 0.06 else layout.rows
        pixels = layout.H_out * layout.W_out
        pixels = pixels if pixels * u_columns >= 0.06 else layout.columns
        blocks = _grid_segments(x_w, y_w, w_w, h_w, 1, layout.rows, (1, kernel))
        blocks += _grid_segments(x_x, y_x, w_x, h_x, layout.rows, layout.columns, (kernel, pixels))
        blocks += _grid_segments(x_y, y_y, w_y, h_y, 1, layout.columns, (1, pixels))
        self.block_lines.set_segments(blocks)
        # The column: at least 0.04 in wide (3 px on a phone), inside its matrix.
        stripe = max(u_columns, 0.04)
        at = min(max(x_x + (route.column + 0.5) * u_columns - stripe / 2, x_x), x_x + w_x - stripe)
        self.stripes[0].set_bounds(at, y_x, stripe, h_x)
        self.stripes[1].set_bounds(at, y_y, stripe, h_y)
        # One hatched piece per run of rows that read padding: hatching is what a redraw
        # spends its time on (264 single rows took 80 ms).
        self.stripe_padding.set_verts(
            [
                [(at, low), (at + stripe, low), (at + stripe, high), (at, high)]
                for first, last in _runs(route.padding_rows)
                for low, high in [(y_x + h_x - last * u_rows, y_x + h_x - first * u_rows)]
            ]
        )
        self._place_labels(fit, widths)
        self._draw_images(route)
        self._write_legend(route)
        return self

    def _place_labels(self, fit, widths):
        """W_col's under it (centred, or ending at its right edge when wider), X_col's above
        it and Y_col's under it (centred, or from their left edge)."""
        for name in self.labels:
            x, y, w_, h_ = fit[name]
            label, label_width = self.labels[name], widths[name]
            if label_width <= w_:
                label.set_position((x + w_ / 2, y + h_ + 0.06 if name == "X_col" else y - 0.06))
                label.set_horizontalalignment("center")
            elif name == "W_col":
                label.set_position((x + w_, y - 0.06))
                label.set_horizontalalignment("right")
            else:
                label.set_position((x, y + h_ + 0.06 if name == "X_col" else y - 0.06))
                label.set_horizontalalignment("left")
            label.set_verticalalignment("bottom" if name == "X_col" else "top")

    def _draw_images(self, route):
        """Example n's padded image and the output beside it."""
        layout, (n, i, j) = route.layout, route.pixel
        s = layout.settings
        width = IM2COL_SIZE[0]
        p = s.padding
        rows, columns = route.window.shape
        top = IMAGES_TOP
        area = (0.12, 2.55, IMAGE_HEIGHT)  # left, width, height of the input's area
        side = min(area[1] / columns, area[2] / rows, 0.45)
        x0 = area[0] + (area[1] - side * columns) / 2
        grid_top = top - IMAGE_TITLES
        corners = _square_cells(x0, grid_top, rows, columns, side)
        real = np.zeros((rows, columns), dtype=bool)
        real[p : p + s.H, p : p + s.W] = True
        window = route.window
        colours = np.where(
            window,
            np.where(real, BACKWARD_COLOUR, LIGHT_BACKWARD),
            np.where(real, NODE_FILLS["value"], "white"),
        ).ravel()
        self.cells.set_verts(corners)
        self.cells.set_facecolor(list(colours))
        # The padding as four hatched bands around the image, not cell by cell (as slow to
        # hatch as the column's rows).
        inner_top, inner_bottom = grid_top - p * side, grid_top - (p + s.H) * side
        bands = [
            (x0, inner_top, columns * side, p * side),
            (x0, grid_top - rows * side, columns * side, p * side),
            (x0, inner_bottom, p * side, s.H * side),
            (x0 + (p + s.W) * side, inner_bottom, p * side, s.H * side),
        ]
        self.padding.set_verts(
            [[(x, y), (x + w_, y), (x + w_, y + h_), (x, y + h_)] for x, y, w_, h_ in bands if p]
        )
        r, c = np.nonzero(window)
        self.window.set_bounds(
            x0 + c.min() * side,
            grid_top - (r.max() + 1) * side,
            (c.max() - c.min() + 1) * side,
            (r.max() - r.min() + 1) * side,
        )
        # A count only where it fits its cell at 12 pt with a margin: a cell of 0.2 in (14 pt)
        # holds one digit, two need about 0.25 in.
        numbered = side >= max(0.2, _text_width(str(route.reads.max())) + 0.04)
        shown = 0
        if numbered:
            rgba = to_rgba_array(colours).reshape(rows, columns, 4)
            for (a, b), count in np.ndenumerate(route.reads):
                if shown == len(self.counts):
                    self.counts.append(
                        self.ax.text(0, 0, "", ha="center", va="center", fontsize=IM2COL_FONT)
                    )
                text = self.counts[shown]
                text.set_position((x0 + (b + p + 0.5) * side, grid_top - (a + p + 0.5) * side))
                text.set_text(str(count))
                text.set_color(label_colour(rgba[a + p, b + p]))
                text.set_visible(True)
                shown += 1
        for text in self.counts[shown:]:
            text.set_visible(False)
        self.numbered = numbered
        # The output y[n]: H_out × W_out, the pixel marked.
        out_left, out_width = area[0] + area[1] + 0.16, width - 0.12 - (area[0] + area[1] + 0.16)
        out_side = min(out_width / layout.W_out, area[2] / layout.H_out, 0.3)
        ox = out_left + (out_width - out_side * layout.W_out) / 2
        self.output_cells.set_verts(
            _square_cells(ox, grid_top, layout.H_out, layout.W_out, out_side)
        )
        self.output_pixel.set_bounds(
            ox + j * out_side, grid_top - (i + 1) * out_side, out_side, out_side
        )
        padded = f"x[{n}] padded by {p}" if p else f"x[{n}]"
        self.panel_titles[0].set_text(f"{padded}\n{rows} × {columns}, each channel")
        self.panel_titles[0].set_position((area[0] + area[1] / 2, top))
        self.panel_titles[1].set_text(f"y[{n}]\n{layout.H_out} × {layout.W_out}")
        self.panel_titles[1].set_position((out_left + out_width / 2, top))

    def _write_legend(self, route):
        layout, (n, i, j) = route.layout, route.pixel
        parts = [
            f"Orange: output pixel ({n}, {i}, {j}), column {route.column} of X_col and Y_col, "
            f"and the pixels of x[{n}] it reads, where its gradient goes back."
        ]
        if layout.settings.padding:
            parts.append("Hatched: padding (read as 0; gradient dropped).")
        if self.numbered:
            parts.append("Numbers: output pixels reading each pixel (their gradients add).")
        if self.fit["widened"]:
            parts.append("Thin sides widened.")
        self.legend.set_text(textwrap.fill(" ".join(parts), 47))


def plot_im2col(route, *, ax=None):
    """A convolution as ``Y_col = W_col X_col`` to scale and where one output pixel reads and
    its gradient goes back (:class:`Im2colFigure`), for a
    :func:`matgrad.book.im2col.route`. The figure is laid out in inches for its own size,
    :data:`IM2COL_SIZE`; an ``ax`` should span a figure of that size."""
    if ax is None:
        figure = pyplot().figure(figsize=IM2COL_SIZE, dpi=IM2COL_DPI)
        ax = figure.add_axes((0, 0, 1, 1))
    return Im2colFigure(ax).update(route).figure


# Alt text: what each figure shows, in words computed from the data it was drawn from, for a
# reader who cannot see the picture (a screen reader reads it out in place of the image).
# A figure on the site and in the notebook is a PNG, which says nothing to such a reader.


def _shape(rows: int, columns: int) -> str:
    return f"{rows} × {columns}"


def vector_alt(values, name: str, *, most: int = 12) -> str:
    """Alt text of :class:`VectorFigure` (the backward stepper's picture) for the same values:
    its values read out row by row, or, beyond ``most`` of them, only its shape."""
    values = np.atleast_2d(values)
    rows, columns = values.shape
    text = f"Heat map of {name} ({_shape(rows, columns)})"
    if values.size > most:
        return text + ", its values written in its cells."
    written = "; ".join(", ".join(f"{v:.2f}" for v in row) for row in values)
    return text + f", row by row: {written}."


def outer_product_alt(g, h) -> str:
    """Alt text of :func:`plot_outer_product` for the same ``g`` and ``h``."""
    n_out, n_in = np.size(g), np.size(h)
    return (
        f"Three heat maps with their values written in the cells: g ({_shape(n_out, 1)}) "
        f"times h(k-1)ᵀ ({_shape(1, n_in)}) gives g h(k-1)ᵀ ({_shape(n_out, n_in)}), the "
        "shape of W(k). Cell (i, j) of the product is g_i h_j: each row is h(k-1)ᵀ scaled by "
        "one entry of g, each column is g scaled by one entry of h(k-1). Red is positive, "
        "blue negative."
    )


def shapes_alt(layer: LayerShapes, verdict: Verdict | None = None) -> str:
    """Alt text of :func:`plot_shapes` (and the shape explorer's picture) for the same data."""
    n_in, n_out, m = layer.n_in, layer.n_out, layer.m
    alt = (
        f"Grids of cells drawn to scale for layer k = {layer.k}: g ({_shape(n_out, m)}) "
        f"times h(k-1)ᵀ ({_shape(m, n_in)}) equals g h(k-1)ᵀ ({_shape(n_out, n_in)}), the "
        f"same size as W(k) ({_shape(n_out, n_in)})."
    )
    if verdict is None or verdict.correct:
        return alt
    if verdict.shape is None:
        return alt + f" Beside them a cross: {verdict.candidate} cannot be formed."
    judged = "right shape, wrong values" if verdict.fits else "does not fit W(k)"
    return (
        alt + f" Beside them the candidate {verdict.candidate}, {_shape(*verdict.shape)}: {judged}."
    )


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


def gradient_comparison_alt(check: ParameterCheck) -> str:
    """Alt text of :func:`plot_gradient_comparison` for the same check."""
    shape = shape_text(check.shape)
    claimed = np.asarray(check.claimed)
    if claimed.shape != np.asarray(check.numerical).shape:
        return (
            f"{check.name} ({shape}): {check.verdict}. Backprop's gradient has shape "
            f"{claimed.shape}, not {check.shape}, so only the finite-difference one is drawn, "
            "as a heat map."
        )
    return (
        f"{check.name} ({shape}): {check.verdict}. Three heat maps side by side: backprop's "
        f"gradient and the finite-difference one on one colour scale, then their difference "
        f"on its own scale (relative error {check.error_text()}). Red is positive, blue "
        "negative." + (" The two gradients differ visibly." if check.rel_error >= 0.05 else "")
    )


def jacobian_slices_alt(T) -> str:
    """Alt text of :func:`plot_jacobian_slices` for the same tensor."""
    T = np.asarray(T)
    n_out, _, n_in = T.shape
    zero_elsewhere = all(
        not np.any(np.delete(T[p], p, axis=0)) for p in range(min(n_out, T.shape[1]))
    )
    return (
        f"{n_out} heat maps, the slices ∂a_p/∂W for p = 1 to {n_out}, each "
        f"{_shape(T.shape[1], n_in)} like W: in slice p only row p is coloured (it is hᵀ)"
        + (", every other row is white (zero)." if zero_elsewhere else ".")
    )


def forward_passes_alt(P, passes: Mapping[str, Sequence[float]]) -> str:
    """Alt text of :func:`plot_forward_passes` for the same counts."""
    P, passes = _curves(P, passes)
    last = int(np.argmax(P))
    ends = "; ".join(
        f"{name} {values[last]:g} at every P"
        if np.all(values == values[last])
        else f"{name} from {values[np.argmin(P)]:g} to {values[last]:g}"
        for name, values in passes.items()
    )
    return (
        f"Log–log plot of the forward passes one gradient costs against the number of "
        f"parameters P, from {P.min():g} to {P.max():g}: {ends}."
    )


def computational_graph_alt(l: int = 2, *, backward: bool = True) -> str:  # noqa: E741
    """Alt text of :func:`plot_computational_graph` for the same depth."""
    l = int(l)  # noqa: E741
    chain = " → ".join(
        ["h(0) = x"]
        + [f"a({k}) → h({k})" + (" = ŷ" if k == l else "") for k in range(1, l + 1)]
        + ["L(ŷ, y) → J"]
    )
    alt = (
        f"Computational graph of a network with {l} layer{'s' if l > 1 else ''}: {chain}. "
        "Solid blue arrows are Algorithm 6.3's forward pass, numbered by its lines: W(k), "
        "b(k) and h(k-1) feed a(k) (line 3), a(k) gives h(k) (line 4), the target y and ŷ "
        "give L, and every W(k) feeds λΩ(θ), which with L gives J (line 7)."
    )
    if backward:
        alt += (
            " Dashed vermillion arrows run back from J, Algorithm 6.4 carrying g: line 1, "
            "g = ∇ŷ J; line 3, g = ∇a(k) J; line 6, g = ∇h(k-1) J; and from each a(k) "
            "up to its parameters, line 5, g h(k-1)ᵀ + λW(k) into W(k), and line 4, g into "
            "b(k)."
        )
    return alt


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def im2col_alt(route) -> str:
    """Alt text of :func:`plot_im2col` (and the im2col explorer's picture) for ``route``."""
    layout, (n, i, j) = route.layout, route.pixel
    s = layout.settings
    shapes = layout.shapes
    rows, columns = route.window.shape
    image = f"{_shape(s.H, s.W)} image" + (
        f", padded by {s.padding} to {_shape(rows, columns)} (padding hatched),"
        if s.padding
        else ""
    )
    widened = " (thin sides widened to be seen)" if _product_fit(layout)[2]["widened"] else ""
    padding = int(np.count_nonzero(route.window)) - route.pixels_read
    read = [_count(route.pixels_read, "pixel")]
    if padding:
        read.append(_count(padding, "padding cell"))
    where = (
        "Its gradient goes back to those pixels."
        if route.pixels_read
        else "It reads only padding: its gradient reaches no pixel of x."
    )
    fewest, most = int(route.reads.min()), int(route.reads.max())
    if most > 1:
        readers = f"Each pixel is read by {fewest} to {most} output pixels, whose gradients add."
    else:
        readers = "No pixel is read by two output pixels: no gradients add."
    channels = "its one channel" if s.C_in == 1 else f"each of its {s.C_in} channels"
    return (
        f"Rectangles drawn to scale{widened}: Y_col ({_shape(*shapes['Y_col'])}) equals W_col "
        f"({_shape(*shapes['W_col'])}) times X_col ({_shape(*shapes['X_col'])}). Column "
        f"{route.column}, output pixel (n, i, j) = ({n}, {i}, {j}), is highlighted in X_col and "
        f"Y_col. Below, example {n}'s {image} with the {_shape(s.kh, s.kw)} window that column "
        f"reads highlighted, in {channels}: {' and '.join(read)}. {where} {readers} Beside it "
        f"the {_shape(layout.H_out, layout.W_out)} output y[{n}] with pixel ({i}, {j}) marked."
    )


_IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def show(figure, alt: str) -> None:
    """Display ``figure`` in a notebook with alt text ``alt``, and close it.

    The output is the PNG the notebook would show for the figure, with ``alt`` both in the
    image's output metadata (``{"image/png": {"alt": ...}}``: IPython's ``Image(alt=...)``
    convention, which nbconvert uses) and as the output's ``text/plain`` in place of
    ``<Figure size ...>``, so a text-only reader and ``nbval`` see it too. The book's site
    takes alt text from the cell's metadata (``mystnb: image: alt:``) instead, and
    ``tests/test_notebooks.py`` checks that the two agree. Outside IPython it does nothing but
    close the figure.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # matplotlib without Jupyter: nowhere to display the figure
        shell = None
    else:
        shell = get_ipython()
    if shell is not None:
        from IPython.display import display

        data, metadata = shell.display_formatter.format(figure)
        data = {**data, "text/plain": alt}
        metadata = dict(metadata)
        for mime in _IMAGE_TYPES:
            if mime in data:
                metadata[mime] = {**metadata.get(mime, {}), "alt": alt}
        display(data, raw=True, metadata=metadata)
    pyplot().close(figure)
