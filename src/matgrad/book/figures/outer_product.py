"""``g h(k-1)ᵀ``: its shape drawn to scale beside ``W(k)``'s, and its values as heat maps.

Used in: why-transpose (``plot_shapes``, ``shapes_alt``, ``plot_outer_product``,
``outer_product_alt``) and the shape explorer widget (``ShapesFigure``, ``shapes_alt``).
The shapes are computed by :mod:`matgrad.book.shapes`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

from matgrad.book.figures.common import DIVERGING, LiveFigure, _shape, label_colour, pyplot
from matgrad.book.shapes import LayerShapes, Verdict

GRID_COLOURS = {"g": "#2166ac", "h(k-1)ᵀ": "#b2182b", "g h(k-1)ᵀ": "#762a83", "W(k)": "#4d4d4d"}


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
