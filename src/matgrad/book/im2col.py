"""A convolution as one matrix product, ``Y_col = W_col X_col``: its shapes, and where one
output pixel reads and where its gradient goes back.

Used in: the im2col explorer widget (``widgets.make_im2col_explorer``), whose picture
(:class:`matgrad.book.figures.Im2colFigure`) draws what these functions return.

Every number here comes from :mod:`matgrad.layers`: the output size from
:func:`~matgrad.layers.conv2d_output_size`, the columns from :func:`~matgrad.layers.im2col`
and the gradient's route from :func:`~matgrad.layers.col2im`, so the explorer shows the
library's own computation. Settings from a reader are clamped into :data:`LIMITS`; settings
whose kernel does not fit come back as a :class:`Product` with a ``message`` and no
``layout``, never as an exception. Indices count from 0, as numpy's do.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from matgrad import layers

LIMITS = {
    "N": (1, 4),
    "C_in": (1, 8),
    "C_out": (1, 8),
    "H": (1, 12),
    "W": (1, 12),
    "kh": (1, 7),
    "kw": (1, 7),
    "stride": (1, 4),
    "padding": (0, 3),
}
"""Each setting's smallest and largest value: small enough that the largest ``X_col``
(``8·7·7 × 4·12·12 = 392 × 576``, or ``8·1·1 × 4·18·18 = 8 × 1296``) still draws to scale
at a slider's pace, large enough for a batch, several channels, and kernels and strides that
overlap or skip pixels."""

SYMBOLS = (
    "Y_col (C_out × N·H_out·W_out) = W_col (C_out × C_in·kh·kw) X_col (C_in·kh·kw × N·H_out·W_out)"
)
"""The product's shapes in the book's symbols; :meth:`Layout.equation` gives its numbers."""


@dataclass(frozen=True)
class Settings:
    """A convolution's sizes: ``x`` is ``N × C_in × H × W``, the kernel ``kh × kw``."""

    N: int = 2
    C_in: int = 2
    C_out: int = 3
    H: int = 5
    W: int = 5
    kh: int = 3
    kw: int = 3
    stride: int = 1
    padding: int = 0

    @property
    def kernel(self) -> tuple[int, int]:
        return self.kh, self.kw


def clamp_settings(**values) -> Settings:
    """:class:`Settings` from ``values`` (any of its fields; the rest default), each whole
    number clamped into :data:`LIMITS`. Anything but a whole number is a ``TypeError``."""
    names = {field.name for field in fields(Settings)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"unknown setting(s) {', '.join(unknown)}: expected {', '.join(LIMITS)}")
    clamped = {}
    for name, value in values.items():
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{name} must be a whole number, got {value!r}")
        low, high = LIMITS[name]
        clamped[name] = int(min(max(value, low), high))
    return Settings(**clamped)


@dataclass(frozen=True)
class Layout:
    """The shapes of ``Y_col = W_col X_col`` for :class:`Settings` whose kernel fits."""

    settings: Settings
    H_out: int
    W_out: int

    @property
    def columns(self) -> int:
        """``N·H_out·W_out``: one column of ``X_col`` and ``Y_col`` per output pixel."""
        return self.settings.N * self.H_out * self.W_out

    @property
    def rows(self) -> int:
        """``C_in·kh·kw``: one row of ``X_col`` per entry of a kernel."""
        s = self.settings
        return s.C_in * s.kh * s.kw

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every array's shape: the tensors in PyTorch's layout, then the three matrices."""
        s = self.settings
        return {
            "x": (s.N, s.C_in, s.H, s.W),
            "weight": (s.C_out, s.C_in, s.kh, s.kw),
            "y": (s.N, s.C_out, self.H_out, self.W_out),
            "W_col": (s.C_out, self.rows),
            "X_col": (self.rows, self.columns),
            "Y_col": (s.C_out, self.columns),
        }

    def equation(self) -> str:
        """:data:`SYMBOLS` with numbers: ``Y_col (3 × 2·3·3 = 3 × 18) = ...``."""
        s = self.settings
        rows = f"{s.C_in}·{s.kh}·{s.kw}"
        columns = f"{s.N}·{self.H_out}·{self.W_out}"
        return (
            f"Y_col ({s.C_out} × {columns} = {s.C_out} × {self.columns}) = "
            f"W_col ({s.C_out} × {rows} = {s.C_out} × {self.rows}) "
            f"X_col ({rows} × {columns} = {self.rows} × {self.columns})"
        )

    def output_size_text(self) -> str:
        """How ``H_out`` and ``W_out`` follow from the settings (the numbers are the
        library's, :func:`~matgrad.layers.conv2d_output_size`)."""
        s = self.settings
        sizes = [("H_out", s.H, s.kh, self.H_out), ("W_out", s.W, s.kw, self.W_out)]
        return "; ".join(
            f"{name} = ⌊({size} + 2·{s.padding} − {k}) / {s.stride}⌋ + 1 = {out}"
            for name, size, k, out in sizes
        )

    def pixel(self, n: int, i: int, j: int) -> tuple[int, int, int]:
        """The output pixel ``(n, i, j)`` clamped into ``N × H_out × W_out``."""
        return tuple(
            int(min(max(int(value), 0), size - 1))
            for value, size in zip(
                (n, i, j), (self.settings.N, self.H_out, self.W_out), strict=True
            )
        )

    def column(self, n: int, i: int, j: int) -> int:
        """The column of ``X_col`` and ``Y_col`` of output pixel ``(n, i, j)``: im2col orders
        columns ``(n, i, j)``, ``n·H_out·W_out + i·W_out + j``."""
        return int(
            np.ravel_multi_index(self.pixel(n, i, j), (self.settings.N, self.H_out, self.W_out))
        )


@dataclass(frozen=True)
class Product:
    """The (clamped) settings and the layout of their product, or why there is none."""

    settings: Settings
    layout: Layout | None
    message: str = ""


def product(**values) -> Product:
    """The product ``Y_col = W_col X_col`` for a reader's settings (see :func:`clamp_settings`).

    A kernel that does not fit in the padded image gives no layout and
    :func:`~matgrad.layers.conv2d_output_size`'s own plain-language ``message``."""
    settings = clamp_settings(**values)
    try:
        H_out, W_out = layers.conv2d_output_size(
            settings.H, settings.W, settings.kernel, settings.stride, settings.padding
        )
    except ValueError as error:
        message = str(error)
        return Product(settings, None, message[:1].upper() + message[1:] + ".")
    return Product(settings, Layout(settings, H_out, W_out))


@dataclass(frozen=True)
class Route:
    """Output pixel ``(n, i, j)``: its column, what it reads and where its gradient goes.

    ``gradient`` is ``∇x`` (``N × C_in × H × W``) for a one-hot ``G`` at this pixel (output
    channel 0) with every weight 1: 1 on each pixel the pixel's column read, 0 elsewhere.
    ``window`` (``H + 2 padding × W + 2 padding``, booleans) marks the pixels of the padded
    image of example ``n`` it read, padding included, in each channel alike;
    ``padding_rows`` (``C_in·kh·kw``, booleans) the rows of its column that read padding
    (zeros); ``reads`` (``H × W``) how many output pixels read each pixel of ``x``, the same
    in every example and channel: their gradients add there.
    """

    layout: Layout
    pixel: tuple[int, int, int]
    column: int
    gradient: np.ndarray
    window: np.ndarray
    padding_rows: np.ndarray
    reads: np.ndarray

    @property
    def pixels_read(self) -> int:
        """The pixels of ``x`` (not padding) the output pixel reads, per channel."""
        n = self.pixel[0]
        return int(np.count_nonzero(self.gradient[n, 0]))

    def sentence(self) -> str:
        """The route in words, with this layout's numbers."""
        layout, (n, i, j) = self.layout, self.pixel
        s = layout.settings
        padded = int(np.count_nonzero(self.padding_rows))
        channels = "its one channel" if s.C_in == 1 else f"each of its {s.C_in} channels"
        read = self.pixels_read
        text = (
            f"Output pixel (n, i, j) = ({n}, {i}, {j}) is column n·H_out·W_out + i·W_out + j = "
            f"{n}·{layout.H_out * layout.W_out} + {i}·{layout.W_out} + {j} = {self.column} of "
            f"X_col and Y_col. That column of X_col holds the C_in·kh·kw = {layout.rows} values "
            f"it reads, {padded} of them padding (zeros). "
        )
        if not read:
            return text + (
                "It reads only padding, so its gradient reaches no pixel of x: col2im drops "
                "what lands on padding."
            )
        return text + (
            f"Its gradient goes back (∇X_col = W_colᵀ G_col, then col2im) to those "
            f"{read} pixel{'s' * (read != 1)} of x[{n}] in {channels}, where it adds to the "
            f"gradients of every other output pixel that reads them (up to "
            f"{int(self.reads.max())} per pixel here)."
        )


def route(layout: Layout, n: int, i: int, j: int) -> Route:
    """Where output pixel ``(n, i, j)`` (clamped into the output) reads and where its gradient
    goes back, computed by the library: a one-hot ``G_col`` pushed through
    ``∇X_col = W_colᵀ G_col`` and :func:`~matgrad.layers.col2im`.

    The weights are all 1: the route depends on which weights there are, not on their
    values, and a weight that happened to be 0 would hide a pixel it still reads.
    """
    s = layout.settings
    pixel = layout.pixel(n, i, j)
    column = layout.column(*pixel)
    x_shape = layout.shapes["x"]
    G_col = np.zeros(layout.shapes["Y_col"])
    G_col[0, column] = 1.0
    W_col = np.ones(layout.shapes["W_col"])
    dX_col = W_col.T @ G_col
    gradient = layers.col2im(dX_col, x_shape, s.kernel, s.stride, s.padding)
    # col2im drops what lands on padding; the same columns put back into the padded image
    # (padding 0, the same output size) keep it, so the picture can mark the padding read.
    padded_shape = (s.N, s.C_in, s.H + 2 * s.padding, s.W + 2 * s.padding)
    window = layers.col2im(dX_col, padded_shape, s.kernel, s.stride, 0)[pixel[0], 0] > 0
    # A row of the column reads padding exactly where im2col of an all-ones x gives 0.
    ones = np.ones(x_shape)
    padding_rows = layers.im2col(ones, s.kernel, s.stride, s.padding)[:, column] == 0
    # Every output pixel's gradient 1 with every weight 1: the count of readers of a pixel.
    reads = layers.col2im(np.ones(layout.shapes["X_col"]), x_shape, s.kernel, s.stride, s.padding)
    return Route(
        layout,
        pixel,
        column,
        gradient,
        window,
        padding_rows,
        np.rint(reads[0, 0]).astype(int),
    )
