"""A convolution as one product ``Y_col = W_col X_col`` drawn to scale, and where one output
pixel reads and its gradient goes back.

Used in: the im2col explorer widget (``Im2colFigure``, ``im2col_alt``); no chapter draws it
itself. What it draws is computed by :mod:`matgrad.book.im2col`.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.patches import Rectangle

from matgrad.book.figures.common import (
    BACKWARD_COLOUR,
    NODE_FILLS,
    LiveFigure,
    _shape,
    label_colour,
    pyplot,
)

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
        n, s = route.pixel[0], route.layout.settings
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
        self._number_cells(route, colours, x0, grid_top, side)
        padded = f"x[{n}] padded by {p}" if p else f"x[{n}]"
        self.panel_titles[0].set_text(f"{padded}\n{rows} × {columns}, each channel")
        self.panel_titles[0].set_position((area[0] + area[1] / 2, top))
        self._draw_output(route, area, top)

    def _number_cells(self, route, colours, x0, grid_top, side):
        """Each pixel of the image (padded by ``p``, cells of ``side`` from ``(x0, grid_top)``)
        numbered with how many output pixels read it, where the numbers fit their cells."""
        p = route.layout.settings.padding
        rows, columns = route.window.shape
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

    def _draw_output(self, route, area, top):
        """The output y[n], H_out × W_out, right of the input's ``area``, its pixel marked."""
        layout, (n, i, j) = route.layout, route.pixel
        width = IM2COL_SIZE[0]
        grid_top = top - IMAGE_TITLES
        out_left, out_width = area[0] + area[1] + 0.16, width - 0.12 - (area[0] + area[1] + 0.16)
        out_side = min(out_width / layout.W_out, area[2] / layout.H_out, 0.3)
        ox = out_left + (out_width - out_side * layout.W_out) / 2
        self.output_cells.set_verts(
            _square_cells(ox, grid_top, layout.H_out, layout.W_out, out_side)
        )
        self.output_pixel.set_bounds(
            ox + j * out_side, grid_top - (i + 1) * out_side, out_side, out_side
        )
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
