"""The backward stepper's picture: ``g`` or a gradient as a heat map, its values in its cells.

Used in: the stepper widget of Algorithm 6.4 (``BackwardStepper``: ``VectorFigure``,
``vector_alt``); no chapter draws it itself. The frames it shows are computed by
:mod:`matgrad.book.walkthrough`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize

from matgrad.book.figures.common import DIVERGING, LiveFigure, _shape, label_colour


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
