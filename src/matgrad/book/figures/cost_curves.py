"""The work of one gradient against the number of parameters ``P``, log–log.

Used in: cost-of-gradients (``plot_forward_passes``, ``forward_passes_alt``) and
benchmarks/gradient_cost.py (``plot_cost_scaling``). The counts are made by
:mod:`matgrad.book.cost`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matgrad.book.figures.common import STYLES, _curves, _plain_decade_labels, pyplot


def _axes(ax, figsize=(6.4, 4.0)):
    if ax is None:
        figure, ax = pyplot().subplots(figsize=figsize)
        return figure, ax
    return ax.figure, ax


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


def forward_passes_alt(P, passes: Mapping[str, Sequence[float]]) -> str:
    """Alt text of :func:`plot_forward_passes` for the same counts."""
    P, passes = _curves(P, passes)
    last = int(np.argmax(P))
    ends = "; ".join(
        f"{name} {values[last]:g} at every P"
        if np.all(values == values[last])
        else f"{name} from {values[np.argmin(P)]:g} to {values[last]:g}"
        for name, values in passes.items()
    )
    return (
        f"Log–log plot of the forward passes one gradient costs against the number of "
        f"parameters P, from {P.min():g} to {P.max():g}: {ends}."
    )
