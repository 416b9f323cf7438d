"""Static figures of the skill chapters (matplotlib); the numbers come from :mod:`matgrad.studies`.

Every function takes the data and an optional ``ax``, draws, and returns the Figure; none
calls ``plt.show()``, so a notebook decides how the figure is displayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

STYLES = {
    "forward": {"color": "tab:orange", "marker": "s"},
    "central": {"color": "tab:blue", "marker": "o"},
    "complex": {"color": "tab:green", "marker": "^"},
    "finite differences (central)": {"color": "tab:orange", "marker": "s"},
    "backpropagation": {"color": "tab:blue", "marker": "o"},
}


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pyplot():
    """``matplotlib.pyplot``, imported on first use (plots.py's figures use it too).

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


def plot_step_errors(
    steps,
    errors: Mapping[str, Sequence[float]],
    *,
    eps: float = float(np.finfo(np.float64).eps),
    ax=None,
):
    """The largest relative error of each finite difference against its step ``h``, log–log.

    ``errors`` maps a method name (``forward``, ``central``, ``complex``) to one error per
    step. Dotted verticals mark the theory's best steps ``ε^(1/2)`` and ``ε^(1/3)``.
    """
    steps, errors = _curves(steps, errors)
    figure, ax = _axes(ax)
    for name, values in errors.items():
        # An exact zero cannot sit on a log axis; the smallest positive double stands in.
        ax.loglog(
            steps, np.maximum(values, np.finfo(float).tiny), label=name, **STYLES.get(name, {})
        )
    for power, label in ((1 / 2, r"$\varepsilon^{1/2}$"), (1 / 3, r"$\varepsilon^{1/3}$")):
        ax.axvline(eps**power, color="gray", linestyle=":", linewidth=1)
        ax.annotate(
            label,
            (eps**power, 0.98),
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
    ax.legend()
    _plain_decade_labels(ax)
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
