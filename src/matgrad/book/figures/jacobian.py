"""The Jacobian of ``a = W h`` with respect to ``W``, as slices: in slice ``p`` only row ``p``,
which is ``hᵀ``.

Used in: questions (``plot_jacobian_slices``, ``jacobian_slices_alt``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize

from matgrad.book.figures.common import DIVERGING, _shape, pyplot


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
