"""Every layer is a matrix product: forward and backward of the layers after the MLP.

Used in: the chapters *Convolution* and *Attention, embeddings and normalization*; the
grader's layer questions; the im2col explorer.

Each layer has the semantics of its PyTorch functional namesake (``torch.nn.functional``),
on numpy arrays in PyTorch's layouts, so that anyone can compare. Each backward is named
``<layer>_backward(G, <the layer's arguments>)``: ``G`` is ``∂J/∂(output)``, of the
output's shape, and the result maps each differentiable argument's name to ``∂J/∂(it)``,
of its shape. Each backward sits beside its forward and reads as its derivation by the one
rule of the book: if ``C = A B`` then ``dC = dA B + A dB``, so ``G : dC = G Bᵀ : dA +
Aᵀ G : dB``, that is ``∇A = G Bᵀ`` and ``∇B = Aᵀ G``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from matgrad._validation import non_negative_int, positive_int


def conv2d_output_size(
    height: int, width: int, kernel: tuple[int, int], stride: int = 1, padding: int = 0
) -> tuple[int, int]:
    """``(H_out, W_out)`` of a convolution of an ``height × width`` image: along each axis
    ``⌊(size + 2 padding − kernel) / stride⌋ + 1``, as ``torch.nn.functional.conv2d``.

    Raises ``ValueError`` when the kernel does not fit in the padded image."""
    height, width = positive_int("height", height), positive_int("width", width)
    kh, kw = (positive_int("kernel height", kernel[0]), positive_int("kernel width", kernel[1]))
    stride, padding = positive_int("stride", stride), non_negative_int("padding", padding)
    if kh > height + 2 * padding or kw > width + 2 * padding:
        raise ValueError(
            f"the {kh} × {kw} kernel does not fit in the {height} × {width} image padded by "
            f"{padding} ({height + 2 * padding} × {width + 2 * padding}): use a smaller kernel "
            "or more padding"
        )
    return (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: int = 1, padding: int = 0):
    """``X_col``, shape ``(C_in kh kw, N H_out W_out)``: column ``(n, i, j)`` holds the patch
    of ``x`` ``(N, C_in, H, W)`` (zero-padded) that output pixel ``(i, j)`` of example ``n``
    sees, rows ordered ``(c, p, q)`` as ``weight.reshape(C_out, -1)`` orders a kernel's
    entries; so a convolution is one matrix product, ``Y_col = W_col X_col``.

    A view of ``x`` through ``sliding_window_view`` until the final reshape copies it."""
    n, c, height, width = x.shape
    kh, kw = kernel
    h_out, w_out = conv2d_output_size(height, width, kernel, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # (N, C, H_out, W_out, kh, kw) → rows (c, p, q), columns (n, i, j)
    return windows[:, :, :h_out, :w_out].transpose(1, 4, 5, 0, 2, 3).reshape(
        c * kh * kw, n * h_out * w_out
    )


def col2im(
    cols: np.ndarray,
    shape: tuple[int, int, int, int],
    kernel: tuple[int, int],
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: each entry of ``cols`` ``(C_in kh kw, N H_out W_out)``
    added back to the pixel of ``x`` (of ``shape``) it was copied from. A pixel that several
    patches share receives the sum of their entries; padding's entries are dropped.

    One strided slice per kernel offset ``(p, q)``: the pixels that offset reads form a grid,
    so each addition touches distinct pixels (a scatter-add, ``np.add.at``, without its
    per-entry cost)."""
    n, c, height, width = shape
    kh, kw = kernel
    h_out, w_out = conv2d_output_size(height, width, kernel, stride, padding)
    patches = cols.reshape(c, kh, kw, n, h_out, w_out)
    padded = np.zeros((n, c, height + 2 * padding, width + 2 * padding), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            columns = slice(q, q + stride * (w_out - 1) + 1, stride)
            padded[:, :, rows, columns] += patches[:, p, q].transpose(1, 0, 2, 3)
    return padded[:, :, padding : padding + height, padding : padding + width]
