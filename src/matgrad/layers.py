"""Every layer is a matrix product: forward and backward of the layers after the MLP.

Used in: the chapters *Convolution* and *Attention, embeddings and normalization*; the
grader's layer questions; the im2col explorer.

Each layer has the semantics of its PyTorch functional namesake (``torch.nn.functional``),
on numpy arrays in PyTorch's layouts, so that anyone can compare. Each backward is named
``<layer>_backward(G, <the layer's arguments>)``: ``G`` is ``∂J/∂(output)``, of the
output's shape, and the result maps each differentiable argument's name to ``∂J/∂(it)``,
of its shape (``softmax_cross_entropy_backward(z, y)`` takes no ``G``: its output is
``J``). Each backward sits beside its forward and reads as its derivation by the one rule
of the book: if ``C = A B`` then ``dC = dA B + A dB``, so
``G : dC = G Bᵀ : dA + Aᵀ G : dB``, that is ``∇A = G Bᵀ`` and ``∇B = Aᵀ G``.

Inputs are float32 or float64 (lists and integer arrays become float64), computed in their
precision like torch; mixed precisions compute in the wider, as numpy promotes. ``linear``,
``conv2d`` and ``embedding`` also take complex arrays, so that complex step can check them
(``mg.check(..., method="complex")``); attention, the norms and the cross-entropy take real
numbers only. Bad input raises ``ValueError`` or ``TypeError`` naming the argument.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from matgrad._validation import (
    describe,
    finite_array,
    index_array,
    non_negative_int,
    positive_float,
    positive_int,
)

# --- shared checks and pieces ----------------------------------------------------------------


def _T(a: np.ndarray) -> np.ndarray:
    """The transpose of each matrix of a stack (its last two axes), the derivations' ``ᵀ``."""
    return a.swapaxes(-1, -2)


def _array(name: str, value, layer: str, *, complex_ok: bool = True) -> np.ndarray:
    """A finite float array; complex only where ``layer`` is analytic (for complex step)."""
    array = finite_array(name, value, allow_complex=True)
    if array.dtype.kind == "c" and not complex_ok:
        raise ValueError(
            f"{name} is complex, but {layer} takes real numbers only, so complex step cannot "
            "check it: use central differences (mg.check's default method)"
        )
    return array


def _shaped(name: str, array: np.ndarray, ndim: int | None, expected: str) -> np.ndarray:
    """``array`` if it has ``ndim`` axes (``None``: at least one), none of size 0."""
    if (array.ndim < 1 if ndim is None else array.ndim != ndim) or 0 in array.shape:
        empty = " (no axis of size 0)" if 0 in array.shape else ""
        raise ValueError(f"{name} must have shape {expected}{empty}, got shape {array.shape}")
    return array


def _vector(name: str, value, layer: str, size: int, of: str, *, complex_ok: bool = True):
    """A bias, gain or shift: one entry per ``of``, ``size`` of them."""
    array = _array(name, value, layer, complex_ok=complex_ok)
    if array.shape != (size,):
        raise ValueError(
            f"{name} must have shape ({size},), one entry per {of}, got shape {array.shape}"
        )
    return array


def _gradient(G, shape: tuple[int, ...], layer: str, *, complex_ok: bool = True) -> np.ndarray:
    """``G = ∂J/∂(output)``, of the output's shape."""
    G = _array("G", G, layer, complex_ok=complex_ok)
    if G.shape != shape:
        raise ValueError(f"G must have the shape of {layer}'s output, {shape}, got {G.shape}")
    return G


def _kernel(kernel) -> tuple[int, int]:
    """``(kh, kw)``, two whole numbers >= 1."""
    if not isinstance(kernel, (tuple, list)) or len(kernel) != 2:
        raise TypeError(f"kernel must be a pair (kh, kw) of whole numbers, got {kernel!r}")
    return positive_int("kernel height", kernel[0]), positive_int("kernel width", kernel[1])


# --- the convolution's output size, im2col and col2im -----------------------------------------


def conv2d_output_size(
    height: int, width: int, kernel: tuple[int, int], stride: int = 1, padding: int = 0
) -> tuple[int, int]:
    """``(H_out, W_out)`` of a convolution of an ``height × width`` image: along each axis
    ``⌊(size + 2 padding − kernel) / stride⌋ + 1``, as ``torch.nn.functional.conv2d``.

    Raises ``ValueError`` when the kernel does not fit in the padded image."""
    height, width = positive_int("height", height), positive_int("width", width)
    kh, kw = _kernel(kernel)
    stride, padding = positive_int("stride", stride), non_negative_int("padding", padding)
    if kh > height + 2 * padding or kw > width + 2 * padding:
        raise ValueError(
            f"the {kh} × {kw} kernel does not fit in the {height} × {width} image padded by "
            f"{padding} ({height + 2 * padding} × {width + 2 * padding}): use a smaller kernel "
            "or more padding"
        )
    return (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1


def im2col(x, kernel: tuple[int, int], stride: int = 1, padding: int = 0) -> np.ndarray:
    """``X_col``, shape ``(C_in kh kw, N H_out W_out)``: column ``(n, i, j)`` holds the patch
    of ``x`` ``(N, C_in, H, W)`` (zero-padded) that output pixel ``(i, j)`` of example ``n``
    sees, rows ordered ``(c, p, q)`` as ``weight.reshape(C_out, -1)`` orders a kernel's
    entries; so a convolution is one matrix product, ``Y_col = W_col X_col``.

    A view of ``x`` through ``sliding_window_view`` until the final reshape copies it."""
    x = _shaped("x", _array("x", x, "im2col"), 4, "(N, C_in, H, W)")
    conv2d_output_size(x.shape[2], x.shape[3], kernel, stride, padding)
    return _im2col(x, tuple(kernel), stride, padding)


def _im2col(x, kernel, stride, padding):
    n, c, height, width = x.shape
    kh, kw = kernel
    h_out, w_out = conv2d_output_size(height, width, kernel, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    # (N, C, H_out, W_out, kh, kw) → rows (c, p, q), columns (n, i, j)
    return (
        windows[:, :, :h_out, :w_out]
        .transpose(1, 4, 5, 0, 2, 3)
        .reshape(c * kh * kw, n * h_out * w_out)
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
    cols = _array("cols", cols, "col2im")
    if not isinstance(shape, (tuple, list)) or len(shape) != 4:
        raise TypeError(f"shape must be x's shape (N, C_in, H, W), got {shape!r}")
    shape = tuple(positive_int(f"shape[{axis}]", size) for axis, size in enumerate(shape))
    h_out, w_out = conv2d_output_size(shape[2], shape[3], kernel, stride, padding)
    rows = shape[1] * kernel[0] * kernel[1]
    if cols.shape != (rows, shape[0] * h_out * w_out):
        raise ValueError(
            f"cols must have shape (C_in kh kw, N H_out W_out) = {(rows, shape[0] * h_out * w_out)}"
            f" for x of shape {shape}, got shape {cols.shape}"
        )
    return _col2im(cols, shape, tuple(kernel), stride, padding)


def _col2im(cols, shape, kernel, stride, padding):
    n, c, height, width = shape
    kh, kw = kernel
    h_out, w_out = conv2d_output_size(height, width, kernel, stride, padding)
    patches = cols.reshape(c, kh, kw, n, h_out, w_out)
    # Summed channels first, as the patches are laid out, so that each addition streams
    # through both arrays in the same order; the result is x's shape through a transposed view.
    padded = np.zeros((c, n, height + 2 * padding, width + 2 * padding), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            columns = slice(q, q + stride * (w_out - 1) + 1, stride)
            padded[:, :, rows, columns] += patches[:, p, q]
    return padded[:, :, padding : padding + height, padding : padding + width].transpose(1, 0, 2, 3)


# --- linear ----------------------------------------------------------------------------------
# Not matgrad.layouts' linear("framework", ...) and weight_gradient("framework", ...), though
# the products are theirs (a test holds them equal): layouts takes 2-D matrices only, refuses
# complex numbers (complex step could not check this layer) and names its arguments W and
# inputs, while x here has any number of leading axes.


def _linear_inputs(x, weight, bias):
    x = _shaped("x", _array("x", x, "linear"), None, "(*, in_features)")
    weight = _array("weight", weight, "linear")
    _shaped("weight", weight, 2, "(out_features, in_features)")
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[-1]} features (its last axis) but weight expects {weight.shape[1]} "
            f"(weight has shape (out_features, in_features) = {weight.shape})"
        )
    if bias is not None:
        bias = _vector("bias", bias, "linear", weight.shape[0], "output feature (row of weight)")
    return x, weight, bias


def linear(x, weight, bias=None) -> np.ndarray:
    """``x Wᵀ + b``, row by row, as ``torch.nn.functional.linear``: ``x`` ``(*, in)``,
    ``weight`` ``(out, in)``, ``bias`` ``(out,)`` or None; the output is ``(*, out)``."""
    x, weight, bias = _linear_inputs(x, weight, bias)
    y = x @ weight.T
    return y if bias is None else y + bias


def linear_backward(G, x, weight, bias=None) -> dict[str, np.ndarray]:
    """``∇x``, ``∇weight`` and ``∇bias`` (no "bias" when it is None), for ``G`` ``(*, out)``.

    With the rows of ``x`` stacked in ``X``, ``Y = X Wᵀ + 𝟙 bᵀ``: ``dY = dX Wᵀ + X dWᵀ +
    𝟙 dbᵀ``, so ``∇X = G W``, ``∇(Wᵀ) = Xᵀ G``, that is ``∇W = Gᵀ X``, and ``∇b = Gᵀ 𝟙``,
    ``G`` summed over the rows."""
    x, weight, bias = _linear_inputs(x, weight, bias)
    G = _gradient(G, (*x.shape[:-1], weight.shape[0]), "linear")
    X, G_rows = x.reshape(-1, x.shape[-1]), G.reshape(-1, G.shape[-1])
    gradients = {"x": G @ weight, "weight": G_rows.T @ X}
    if bias is not None:
        gradients["bias"] = G_rows.sum(axis=0)
    return gradients


# --- conv2d ----------------------------------------------------------------------------------


def _conv2d_inputs(x, weight, bias, stride, padding):
    x = _shaped("x", _array("x", x, "conv2d"), 4, "(N, C_in, H, W)")
    weight = _array("weight", weight, "conv2d")
    _shaped("weight", weight, 4, "(C_out, C_in, kh, kw)")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but weight expects {weight.shape[1]} "
            f"(weight has shape (C_out, C_in, kh, kw) = {weight.shape})"
        )
    if bias is not None:
        bias = _vector("bias", bias, "conv2d", weight.shape[0], "output channel of weight")
    stride, padding = positive_int("stride", stride), non_negative_int("padding", padding)
    h_out, w_out = conv2d_output_size(x.shape[2], x.shape[3], weight.shape[2:], stride, padding)
    return x, weight, bias, stride, padding, (x.shape[0], weight.shape[0], h_out, w_out)


def conv2d(x, weight, bias=None, stride: int = 1, padding: int = 0) -> np.ndarray:
    """The cross-correlation of ``torch.nn.functional.conv2d``: ``x`` ``(N, C_in, H, W)``,
    ``weight`` ``(C_out, C_in, kh, kw)``, ``bias`` ``(C_out,)`` or None, whole-number
    ``stride`` and zero ``padding``; the output is ``(N, C_out, H_out, W_out)``
    (:func:`conv2d_output_size`).

    One matrix product: ``Y_col = W_col X_col`` with ``W_col`` the kernels as rows
    ``(C_out, C_in kh kw)`` and ``X_col = im2col(x)`` the patches as columns."""
    x, weight, bias, stride, padding, shape = _conv2d_inputs(x, weight, bias, stride, padding)
    X_col = _im2col(x, weight.shape[2:], stride, padding)
    W_col = weight.reshape(shape[1], -1)
    # Y_col = W_col X_col with X_col's columns (n, i, j) taken example by example: each
    # example's Y_col block lands in torch's layout (N, C_out, H_out W_out), with no copy.
    y = (W_col @ X_col.reshape(len(X_col), shape[0], -1).transpose(1, 0, 2)).reshape(shape)
    if bias is None:
        return y
    in_place = np.result_type(y, bias) == y.dtype
    return np.add(y, bias[:, None, None], out=y if in_place else None)


def conv2d_backward(
    G, x, weight, bias=None, stride: int = 1, padding: int = 0
) -> dict[str, np.ndarray]:
    """``∇x``, ``∇weight`` and ``∇bias`` (no "bias" when it is None) of :func:`conv2d`, for
    ``G`` ``(N, C_out, H_out, W_out)``.

    ``Y_col = W_col X_col``, so ``∇W_col = G_col X_colᵀ`` and ``∇X_col = W_colᵀ G_col``, with
    ``G_col`` ``G`` laid out as ``Y_col``. ``X_col = M x`` for a 0/1 matrix ``M`` (im2col copies
    each pixel into every patch that sees it), so ``∇x = Mᵀ ∇X_col``: :func:`col2im` adds each
    patch's gradient back onto its pixels. ``∇b = G_col 𝟙``, ``G`` summed over all but the
    channels."""
    x, weight, bias, stride, padding, shape = _conv2d_inputs(x, weight, bias, stride, padding)
    G = _gradient(G, shape, "conv2d")
    kernel = weight.shape[2:]
    X_col = _im2col(x, kernel, stride, padding)
    W_col = weight.reshape(shape[1], -1)
    G_col = G.transpose(1, 0, 2, 3).reshape(shape[1], -1)
    gradients = {"weight": (G_col @ X_col.T).reshape(weight.shape)}
    # X_col is spent and ∇X_col has its shape: in X_col's memory it needs no fresh pages (the
    # backward's largest array), unless X_col is a read-only view of x's windows (a 1 × 1
    # kernel) or of a narrower type than ∇X_col.
    reuse = X_col.flags.writeable and X_col.dtype == np.result_type(W_col, G_col)
    X_col_grad = np.matmul(W_col.T, G_col, out=X_col if reuse else None)
    gradients["x"] = _col2im(X_col_grad, x.shape, kernel, stride, padding)
    if bias is not None:
        gradients["bias"] = G_col.sum(axis=1)
    return gradients


# --- attention -------------------------------------------------------------------------------


def _attention_inputs(q, k, v, mask):
    q = _shaped("q", _array("q", q, "attention", complex_ok=False), None, "(..., L, d)")
    k = _shaped("k", _array("k", k, "attention", complex_ok=False), None, "(..., S, d)")
    v = _shaped("v", _array("v", v, "attention", complex_ok=False), None, "(..., S, d_v)")
    if q.ndim < 2:
        raise ValueError(f"q must have shape (..., L, d), got shape {q.shape}")
    if k.shape[:-2] != q.shape[:-2] or k.ndim != q.ndim or k.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"k must have shape (..., S, d) = {(*q.shape[:-2], 'S', q.shape[-1])} to match q "
            f"{q.shape} (the same leading axes and d), got shape {k.shape}"
        )
    if v.shape[:-1] != k.shape[:-1] or v.ndim != k.ndim:
        raise ValueError(
            f"v must have shape (..., S, d_v) = {(*k.shape[:-1], 'd_v')} to match k {k.shape} "
            f"(one value per key), got shape {v.shape}"
        )
    if mask is not None:
        mask = _attention_mask(mask, (*q.shape[:-1], k.shape[-2]))
    return q, k, v, mask


def _attention_mask(mask, scores: tuple[int, ...]) -> np.ndarray:
    if isinstance(mask, (np.matrix, np.ma.MaskedArray)) or not hasattr(mask, "__len__"):
        raise TypeError(f"mask must be a boolean array (True: may attend), got {describe(mask)}")
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"mask must be a boolean array (True: may attend), got dtype {mask.dtype}; "
            "additive float masks are not taken"
        )
    try:
        fits = np.broadcast_shapes(mask.shape, scores) == scores
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"mask of shape {mask.shape} does not broadcast to the scores' shape (..., L, S) = "
            f"{scores}"
        )
    # A row that may attend to nothing has softmax 0/0: torch returns NaN there; say where.
    empty = np.argwhere(~mask.any(axis=-1))
    if len(empty):
        row = tuple(int(i) for i in empty[0])
        raise ValueError(
            f"mask row {row} is all False: that query may attend to no key, and softmax over "
            f"no key is 0/0. Every row of mask needs a True ({len(empty)} rows have none)"
        )
    return mask


def _attention_weights(q, k, mask, scale):
    """``P = softmax(q kᵀ/√d)`` by rows, 0 where ``mask`` is False."""
    S = (q * scale) @ _T(k)
    if mask is not None:
        np.copyto(S, -np.inf, where=~mask)
    # Shifted by each row's largest score, exp cannot overflow; exp(−inf) = 0 where masked.
    S -= S.max(axis=-1, keepdims=True)
    P = np.exp(S, out=S)
    P /= P.sum(axis=-1, keepdims=True)
    return P


def attention(q, k, v, mask=None) -> np.ndarray:
    """``softmax(q kᵀ/√d) v``, as ``torch.nn.functional.scaled_dot_product_attention``.

    ``q`` ``(..., L, d)``, ``k`` ``(..., S, d)``, ``v`` ``(..., S, d_v)`` with the same leading
    axes; ``mask`` None or boolean, broadcastable to ``(..., L, S)``, True where a query may
    attend to a key (a row without a True is refused). The output is ``(..., L, d_v)``. Real
    inputs only."""
    q, k, v, mask = _attention_inputs(q, k, v, mask)
    return _attention_weights(q, k, mask, 1 / math.sqrt(q.shape[-1])) @ v


def attention_backward(G, q, k, v, mask=None) -> dict[str, np.ndarray]:
    """``∇q``, ``∇k`` and ``∇v`` of :func:`attention`, for ``G`` ``(..., L, d_v)``.

    ``S = q kᵀ/√d``, ``P = softmax(S)`` by rows, ``O = P v``: ``∇v = Pᵀ G`` and ``∇P = G vᵀ``.
    A row ``p = softmax(s)`` has the Jacobian ``diag(p) − p pᵀ``, which is symmetric, so
    ``∇s = p ⊙ ∇p − p (pᵀ ∇p)``: ``∇S = P ⊙ (∇P − rowsum(∇P ⊙ P))``. Then ``∇q = ∇S k/√d``
    and ``∇k = ∇Sᵀ q/√d``. A masked score is a constant −∞: its ``P`` is 0, so it passes no
    gradient."""
    q, k, v, mask = _attention_inputs(q, k, v, mask)
    G = _gradient(G, (*q.shape[:-1], v.shape[-1]), "attention", complex_ok=False)
    scale = 1 / math.sqrt(q.shape[-1])
    P = _attention_weights(q, k, mask, scale)
    v_grad = _T(P) @ G
    P_grad = G @ _T(v)
    S_grad = P * (P_grad - np.sum(P_grad * P, axis=-1, keepdims=True))
    return {"q": S_grad @ k * scale, "k": _T(S_grad) @ q * scale, "v": v_grad}


# --- embedding -------------------------------------------------------------------------------


def _embedding_inputs(indices, weight):
    weight = _shaped("weight", _array("weight", weight, "embedding"), 2, "(num_embeddings, dim)")
    indices = index_array("indices", indices, weight.shape[0], f"weight has {weight.shape[0]} rows")
    return indices, weight


def embedding(indices, weight) -> np.ndarray:
    """Row ``indices[...]`` of ``weight``, as ``torch.nn.functional.embedding``: integer
    ``indices`` of any shape, ``weight`` ``(num, dim)``; the output is
    ``(*indices.shape, dim)``."""
    indices, weight = _embedding_inputs(indices, weight)
    return weight[indices]


def embedding_backward(G, indices, weight) -> dict[str, np.ndarray]:
    """``{"weight": ∇W}`` of :func:`embedding`, for ``G`` ``(*indices.shape, dim)`` (indices
    are not differentiable).

    The gather is a product: ``W[indices] = onehot(indices) W``, one row ``e_iᵀ`` per index, so
    ``∇W = onehot(indices)ᵀ G``: row ``r`` of ``∇W`` sums every row of ``G`` whose index is
    ``r``. That is a scatter-add, ``np.add.at``; ``∇W[indices] += G`` would keep only one of
    the rows of a repeated index."""
    indices, weight = _embedding_inputs(indices, weight)
    G = _gradient(G, (*indices.shape, weight.shape[1]), "embedding")
    W_grad = np.zeros(weight.shape, dtype=np.result_type(weight, G))
    np.add.at(W_grad, indices.reshape(-1), G.reshape(-1, weight.shape[1]))
    return {"weight": W_grad}


# --- layer_norm and batch_norm ---------------------------------------------------------------


def _standardize(x, axis: int, eps: float):
    """``(x̂, σ)``: ``x̂ = (x − μ)/σ`` with ``μ`` and ``σ = √(var + eps)`` (the biased
    variance) taken along ``axis``."""
    centered = x - x.mean(axis=axis, keepdims=True)
    sigma = np.sqrt(np.mean(centered * centered, axis=axis, keepdims=True) + eps)
    return centered / sigma, sigma


def _standardize_backward(g_hat, x_hat, sigma, axis: int):
    """``∇x`` of ``x̂ = (x − μ)/σ`` along ``axis``, for ``ĝ = ∇x̂``, counting that ``μ`` and
    ``σ`` move with ``x``: ``∇x = (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂))/σ``.

    ``dμ = mean(dx)`` and ``dσ = mean((x − μ)(dx − dμ))/σ = mean(x̂ dx)``, so ``dx̂ = (dx −
    mean(dx) − x̂ mean(x̂ dx))/σ``: along the axis, ``dx̂ = A dx/σ`` with ``A = I − 𝟙𝟙ᵀ/n −
    x̂ x̂ᵀ/n``. ``A`` is symmetric, so ``∇x = Aᵀ ĝ/σ = A ĝ/σ``: the same means, of ``ĝ``."""
    mean = np.mean(g_hat, axis=axis, keepdims=True)
    return (g_hat - mean - x_hat * np.mean(g_hat * x_hat, axis=axis, keepdims=True)) / sigma


def _norm_inputs(layer, x, gamma, beta, eps, ndim, expected, axis):
    x = _shaped("x", _array("x", x, layer, complex_ok=False), ndim, expected)
    size = x.shape[-1]
    of = "feature (x's last axis)" if axis == -1 else "channel (column of x)"
    gamma = _vector("gamma", gamma, layer, size, of, complex_ok=False)
    beta = _vector("beta", beta, layer, size, of, complex_ok=False)
    return x, gamma, beta, positive_float("eps", eps)


def layer_norm(x, gamma, beta, eps: float = 1e-5) -> np.ndarray:
    """``γ ⊙ x̂ + β`` with ``x̂`` each row of ``x`` ``(*, D)`` standardized along its last
    axis (biased variance), as ``F.layer_norm(x, (D,), gamma, beta, eps)``; ``gamma`` and
    ``beta`` ``(D,)``. Real inputs only."""
    x, gamma, beta, eps = _norm_inputs("layer_norm", x, gamma, beta, eps, None, "(*, D)", -1)
    x_hat, _ = _standardize(x, -1, eps)
    return gamma * x_hat + beta


def layer_norm_backward(G, x, gamma, beta, eps: float = 1e-5) -> dict[str, np.ndarray]:
    """``∇x``, ``∇gamma`` and ``∇beta`` of :func:`layer_norm`, for ``G`` of ``x``'s shape.

    ``y = γ ⊙ x̂ + β``: ``∇x̂ = ĝ = G ⊙ γ``, and through the row's mean and variance (which
    depend on ``x``) ``∇x = (ĝ − mean(ĝ) − x̂ mean(ĝ ⊙ x̂))/σ``, means along the row.
    ``∇γ = Σ G ⊙ x̂`` and ``∇β = Σ G``, summed over the rows."""
    x, gamma, beta, eps = _norm_inputs("layer_norm", x, gamma, beta, eps, None, "(*, D)", -1)
    G = _gradient(G, x.shape, "layer_norm", complex_ok=False)
    x_hat, sigma = _standardize(x, -1, eps)
    rows = (-1, x.shape[-1])
    return {
        "x": _standardize_backward(G * gamma, x_hat, sigma, -1),
        "gamma": (G * x_hat).reshape(rows).sum(axis=0),
        "beta": G.reshape(rows).sum(axis=0),
    }


def _batch_norm_inputs(x, gamma, beta, eps):
    x, gamma, beta, eps = _norm_inputs("batch_norm", x, gamma, beta, eps, 2, "(N, C)", 0)
    if x.shape[0] < 2:
        raise ValueError(
            f"x must hold at least 2 examples (rows) for batch statistics, got shape {x.shape}: "
            "one example's variance is 0"
        )
    return x, gamma, beta, eps


def batch_norm(x, gamma, beta, eps: float = 1e-5) -> np.ndarray:
    """``γ ⊙ x̂ + β`` with ``x̂`` each column of ``x`` ``(N, C)`` standardized over the
    minibatch (biased variance), as ``F.batch_norm(x, None, None, gamma, beta,
    training=True, eps=eps)``; ``gamma`` and ``beta`` ``(C,)``, ``N >= 2``. Real inputs
    only."""
    x, gamma, beta, eps = _batch_norm_inputs(x, gamma, beta, eps)
    x_hat, _ = _standardize(x, 0, eps)
    return gamma * x_hat + beta


def batch_norm_backward(G, x, gamma, beta, eps: float = 1e-5) -> dict[str, np.ndarray]:
    """``∇x``, ``∇gamma`` and ``∇beta`` of :func:`batch_norm`, for ``G`` ``(N, C)``.

    As :func:`layer_norm_backward` along the other axis: ``ĝ = G ⊙ γ``, ``∇x = (ĝ − mean(ĝ)
    − x̂ mean(ĝ ⊙ x̂))/σ`` with means over the examples, whose statistics every example moves;
    ``∇γ = Σ G ⊙ x̂`` and ``∇β = Σ G``, summed over the examples."""
    x, gamma, beta, eps = _batch_norm_inputs(x, gamma, beta, eps)
    G = _gradient(G, x.shape, "batch_norm", complex_ok=False)
    x_hat, sigma = _standardize(x, 0, eps)
    return {
        "x": _standardize_backward(G * gamma, x_hat, sigma, 0),
        "gamma": (G * x_hat).sum(axis=0),
        "beta": G.sum(axis=0),
    }


# --- softmax_cross_entropy -------------------------------------------------------------------


def _cross_entropy_inputs(z, y):
    z = _shaped("z", _array("z", z, "softmax_cross_entropy", complex_ok=False), 2, "(N, C)")
    y = index_array("y", y, z.shape[1], f"z has {z.shape[1]} classes")
    if y.shape != (z.shape[0],):
        raise ValueError(
            f"y must have shape ({z.shape[0]},), one class per row of z, got shape {y.shape}"
        )
    return z, y


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(z, y):
    """``J = mean_i(−log softmax(z_i)[y_i])``, as ``torch.nn.functional.cross_entropy(z, y)``:
    logits ``z`` ``(N, C)``, integer classes ``y`` ``(N,)`` in ``0..C−1``; ``J`` a scalar of
    ``z``'s precision. Real inputs only."""
    z, y = _cross_entropy_inputs(z, y)
    return -np.mean(_log_softmax(z)[np.arange(len(y)), y])


def softmax_cross_entropy_backward(z, y) -> dict[str, np.ndarray]:
    """``{"z": ∇z}`` of :func:`softmax_cross_entropy`, ``(N, C)`` (no ``G``: ``J`` is the
    cost).

    With ``Y = onehot(y)``, ``J = (1/N) Σ_i (log Σ_c exp z_ic − Y_i : z_i)``, and
    ``d log Σ_c exp z_ic = softmax(z_i) : dz_i``: ``∇z = (softmax(z) − Y)/N``."""
    z, y = _cross_entropy_inputs(z, y)
    z_grad = np.exp(_log_softmax(z))
    z_grad[np.arange(len(y)), y] -= 1
    return {"z": z_grad / len(y)}
