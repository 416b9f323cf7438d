"""What every figure of the book shares: the palette, the canvas a widget redraws, labels
that contrast with their cells, plain-text log axes, and ``show`` with alt text.

Used in: forward, backward, why-transpose, questions, checking-gradients and
cost-of-gradients (``show``, which displays each of their figures with its alt text), the
widgets (:class:`LiveFigure`) and every other module of :mod:`matgrad.book.figures`.

Alt text says what each figure shows, in words computed from the data it was drawn from, for
a reader who cannot see the picture (a screen reader reads it out in place of the image). A
figure on the site and in the notebook is a PNG, which says nothing to such a reader: each
topic's module has an ``..._alt`` function beside its ``plot_...`` one, and :func:`show`
displays the two together.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

DIVERGING = "RdBu_r"  # colour-blind safe, white at zero, red positive, blue negative


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


# Okabe & Ito's colour-blind-safe palette: blue for the forward pass, vermillion for the
# backward one; the backward arrows are also dashed, so the two read apart in grey scale.
FORWARD_COLOUR = "#0072B2"
BACKWARD_COLOUR = "#D55E00"
NODE_FILLS = {
    "value": "#DDEBF7",  # h(k), a(k): light blue
    "parameter": "#FBEBC5",  # W(k), b(k): light yellow
    "cost": "#E8E8E8",  # L, λΩ(θ), J, y: light grey
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


def _shape(rows: int, columns: int) -> str:
    return f"{rows} × {columns}"


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
