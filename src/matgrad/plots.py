"""Figures of the widgets and of their static companions (matplotlib).

Each function takes data computed by :mod:`matgrad.shapes`, :mod:`matgrad.explore` or the
gradient check, draws it on a new figure (or the given ``fig``/``ax``), and returns the
Figure; none calls ``plt.show()`` or keeps state between calls.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from matgrad.chapter_plots import plot_step_errors
from matgrad.gradient_check import ParameterCheck
from matgrad.shapes import LayerShapes, Verdict

DIVERGING = "RdBu_r"  # colour-blind safe, white at zero, red positive, blue negative
GRID_COLOURS = {"g": "#2166ac", "h(k-1)ᵀ": "#b2182b", "g h(k-1)ᵀ": "#762a83", "W(k)": "#4d4d4d"}


def figure_png(figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (for an ``ipywidgets.Image``); the figure is then closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()


def _grid(ax, x, y, rows, columns, colour, label):
    """A ``rows × columns`` grid of unit cells with its lower-left corner at (x, y)."""
    # One collection, not one patch per cell: a 12 × 12 grid drawn cell by cell made the shape
    # explorer take over half a second per update (benchmarks/widget_latency.py).
    cells = [
        Rectangle((x + j, y + rows - 1 - i), 0.9, 0.9) for i in range(rows) for j in range(columns)
    ]
    ax.add_collection(
        PatchCollection(cells, facecolor=colour, alpha=0.75, linewidth=0), autolim=False
    )
    ax.text(x + columns / 2, y - 0.8, f"{label}\n{rows} × {columns}", ha="center", va="top")


def plot_shapes(layer: LayerShapes, verdict: Verdict | None = None, *, ax=None):
    """``g`` times ``h(k-1)ᵀ`` equals a grid the size of ``W(k)``, drawn to scale.

    With a ``verdict`` for a wrong candidate, its shape is drawn beside ``W(k)`` (or a cross
    when the product cannot be formed).
    """
    figure, ax = plt.subplots(figsize=(8, 3.6)) if ax is None else (ax.figure, ax)
    n_in, n_out, m = layer.n_in, layer.n_out, layer.m
    x = 0
    _grid(ax, x, 0, n_out, m, GRID_COLOURS["g"], "g")
    x += m + 1.5
    ax.text(x - 0.75, n_out / 2, "×", ha="center", va="center", fontsize=16)
    _grid(ax, x, n_out - m, m, n_in, GRID_COLOURS["h(k-1)ᵀ"], "h(k-1)ᵀ")
    x += n_in + 1.5
    ax.text(x - 0.75, n_out / 2, "=", ha="center", va="center", fontsize=16)
    _grid(ax, x, 0, n_out, n_in, GRID_COLOURS["g h(k-1)ᵀ"], "g h(k-1)ᵀ")
    x += n_in + 2
    ax.text(x - 1, n_out / 2, "~", ha="center", va="center", fontsize=16)
    _grid(ax, x, 0, n_out, n_in, GRID_COLOURS["W(k)"], "W(k)")
    x += n_in + 1
    title = (
        f"layer k = {layer.k}: ({n_out} × {m})({m} × {n_in}) = {n_out} × {n_in}, the shape of W(k)"
    )
    if verdict is not None and not verdict.correct:
        x += 1
        if verdict.shape is None:
            ax.text(x + 1, n_out / 2, "✗", ha="center", va="center", fontsize=28, color="#b2182b")
            ax.text(x + 1, -0.8, f"{verdict.candidate}\ncannot be formed", ha="center", va="top")
            x += 2
        else:
            rows, columns = verdict.shape
            _grid(ax, x, 0, rows, columns, "#e08214", verdict.candidate)
            x += columns
        title += f"\n{verdict.candidate}: " + (
            "right shape, wrong values" if verdict.fits else "does not fit"
        )
    ax.set_xlim(-0.5, x + 0.5)
    ax.set_ylim(-2.6, max(n_out, m) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return figure


def plot_gradient_comparison(check: ParameterCheck, *, fig=None):
    """Backprop's gradient, the finite-difference one and their difference, as heatmaps.

    The first two share one colour scale, symmetric about zero, so equal numbers look equal;
    the difference has its own symmetric scale (it is many orders of magnitude smaller when
    the check passes). A wrongly shaped claim is reported in its panel instead of drawn.
    """
    # A fixed layout: the constrained one drew every figure twice and doubled a widget update.
    figure = fig if fig is not None else plt.figure(figsize=(9, 3.2))
    figure.clear()
    axes = figure.subplots(
        1, 3, gridspec_kw={"left": 0.02, "right": 0.95, "top": 0.82, "wspace": 0.35}
    )
    numerical = check.numerical
    claimed = check.claimed
    shape = "×".join(map(str, check.shape))
    same_shape = claimed.shape == numerical.shape
    scale = np.max(np.abs(numerical), initial=0.0)
    if same_shape:
        scale = max(scale, np.max(np.abs(claimed), initial=0.0))
    norm = Normalize(vmin=-(scale or 1.0), vmax=scale or 1.0)
    panels = [
        (axes[0], claimed if same_shape else None, f"backprop {check.name}"),
        (axes[1], numerical, f"finite differences {shape}"),
    ]
    for ax, data, title in panels:
        if data is None:
            ax.text(0.5, 0.5, f"shape {claimed.shape}\n≠ {check.shape}", ha="center", va="center")
            ax.set_axis_off()
        else:
            image = ax.imshow(np.atleast_2d(data), cmap=DIVERGING, norm=norm)
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    if same_shape:
        difference = np.atleast_2d(claimed - numerical)
        extent = np.max(np.abs(difference), initial=0.0) or 1.0
        image = axes[2].imshow(
            difference, cmap=DIVERGING, norm=Normalize(vmin=-extent, vmax=extent)
        )
        figure.colorbar(image, ax=axes[2], shrink=0.8)
        axes[2].set_xticks([])
        axes[2].set_yticks([])
    else:
        axes[2].set_axis_off()
    difference_title = (
        f"difference (rel. error {check.rel_error:.0e})" if same_shape else "shapes differ"
    )
    axes[2].set_title(difference_title, fontsize=9)
    figure.colorbar(axes[1].images[0], ax=axes[:2], shrink=0.8)
    verdict = "PASS" if check.passed else "FAIL"
    figure.suptitle(f"{check.name} ({shape}): {verdict}", fontsize=11)
    return figure


def plot_step_size(
    steps: Sequence[float],
    errors: Mapping[str, Sequence[float]],
    *,
    chosen: float | None = None,
    chosen_errors: Mapping[str, float] | None = None,
    ax=None,
):
    """The error-against-step curves, with the chosen step marked on each curve."""
    figure = plot_step_errors(steps, errors, ax=ax)
    ax = figure.axes[0] if ax is None else ax
    if chosen is not None:
        ax.axvline(chosen, color="black", linewidth=1.2, label=f"chosen step {chosen:.0e}")
        for error in (chosen_errors or {}).values():
            ax.plot(
                [chosen],
                [max(error, np.finfo(float).tiny)],
                marker="*",
                markersize=14,
                color="black",
                zorder=5,
            )
        ax.legend(fontsize=8)
    return figure


def plot_vector(values: np.ndarray, title: str, *, ax=None):
    """A small matrix (``g``, a gradient) as a heatmap with its values written in the cells."""
    values = np.atleast_2d(values)
    figure, ax = (
        plt.subplots(
            figsize=(0.6 * values.shape[1] + 1.6, 0.45 * values.shape[0] + 1), layout="constrained"
        )
        if ax is None
        else (ax.figure, ax)
    )
    extent = np.max(np.abs(values), initial=0.0) or 1.0
    ax.imshow(values, cmap=DIVERGING, norm=Normalize(vmin=-extent, vmax=extent))
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{title}  ({values.shape[0]} × {values.shape[1]})", fontsize=10)
    return figure


def plot_outer_product(g, h, *, fig=None):
    """``g``, ``h(k-1)ᵀ`` and their outer product ``g h(k-1)ᵀ`` as heatmaps, shapes in the titles.

    ``g`` has ``n_k`` entries and ``h`` ``n_(k-1)``; the product is ``n_k × n_(k-1)``, the
    shape of ``W(k)``, and entry ``(i, j)`` is ``g_i h_j``.
    """
    g, h = np.reshape(g, (-1, 1)), np.reshape(h, (1, -1))
    product = g @ h
    figure = fig if fig is not None else plt.figure(figsize=(8, 3), layout="constrained")
    figure.clear()
    widths = [1, h.shape[1], h.shape[1]]
    axes = figure.subplots(1, 3, width_ratios=widths)
    panels = ((g, "g"), (h, "h(k-1)ᵀ"), (product, "g h(k-1)ᵀ"))
    for ax, (values, name) in zip(axes, panels, strict=True):
        extent = np.max(np.abs(values), initial=0.0) or 1.0
        ax.imshow(values, cmap=DIVERGING, norm=Normalize(vmin=-extent, vmax=extent))
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{name}\n{values.shape[0]} × {values.shape[1]}", fontsize=10)
    return figure


def plot_jacobian_slices(T, *, fig=None):
    """The slices ``T[i] = ∂a_i/∂W`` of the Jacobian of ``a = W h``: row ``i`` is ``hᵀ``."""
    T = np.asarray(T)
    if T.ndim != 3:
        raise ValueError(f"T must be a 3-tensor (n_out, n_out, n_in), got shape {T.shape}")
    figure = (
        fig
        if fig is not None
        else plt.figure(figsize=(2.2 * T.shape[0], 2.4), layout="constrained")
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
