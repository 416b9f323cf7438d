"""A gradient check, drawn: backprop's gradient, the finite-difference one and their difference.

Used in: questions (``plot_gradient_comparison``, ``gradient_comparison_alt``) and the
gradient checker widget (``GradientComparisonFigure``, ``gradient_comparison_alt``).
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.colors import Normalize

from matgrad._text import shape_text
from matgrad.book.figures.common import DIVERGING, LiveFigure, pyplot
from matgrad.checks import ParameterCheck


class GradientComparisonFigure(LiveFigure):
    """Backprop's gradient, the finite-difference one and their difference, as heatmaps.

    The first two share one colour scale, symmetric about zero, so equal numbers look equal;
    the difference has its own symmetric scale (it is many orders of magnitude smaller when
    the check passes). A wrongly shaped claim is reported in its panel instead of drawn;
    NaN and inf entries are left out of the colour scales. The axes and both colourbars are
    made once; ``update(check)`` swaps the data, the scales and the titles, and
    ``no_check(reason)`` hides them all and says that there is no check to show.
    """

    def __init__(self, fig=None):
        super().__init__(fig, figsize=(9, 3.2))
        figure = self.figure
        # A fixed layout: the constrained one drew every figure twice and doubled an update.
        self.axes = figure.subplots(
            1, 3, gridspec_kw={"left": 0.02, "right": 0.95, "top": 0.82, "wspace": 0.35}
        )
        shared = Normalize(vmin=-1.0, vmax=1.0)
        blank = np.zeros((1, 1))
        self.images = [
            self.axes[0].imshow(blank, cmap=DIVERGING, norm=shared),
            self.axes[1].imshow(blank, cmap=DIVERGING, norm=shared),
            self.axes[2].imshow(blank, cmap=DIVERGING, norm=Normalize(vmin=-1.0, vmax=1.0)),
        ]
        for ax in self.axes:
            # No ticks on a heatmap: hiding the empty axes skips their layout at every draw.
            ax.xaxis.set_visible(False)
            ax.yaxis.set_visible(False)
        self.message = self.axes[0].text(
            0.5, 0.5, "", ha="center", va="center", transform=self.axes[0].transAxes
        )
        # Without its colourbar (shapes differ) the difference panel spans its whole cell.
        self.difference_cell = self.axes[2].get_position(original=True)
        self.difference_bar = figure.colorbar(self.images[2], ax=self.axes[2], shrink=0.8)
        self.difference_beside_bar = self.axes[2].get_position(original=True)
        self.shared_bar = figure.colorbar(self.images[1], ax=self.axes[:2], shrink=0.8)
        self.notice = figure.text(0.5, 0.45, "", ha="center", va="center", visible=False)
        self.check = None

    def shows(self, check: ParameterCheck) -> bool:
        """Whether the figure already shows this check (the same name, numbers and verdict)."""
        shown = self.check
        return (
            shown is not None
            and (shown.name, shown.shape, shown.rel_error, shown.verdict)
            == (check.name, check.shape, check.rel_error, check.verdict)
            and np.array_equal(shown.claimed, check.claimed, equal_nan=True)
            and np.array_equal(shown.numerical, check.numerical, equal_nan=True)
        )

    def _panel(self, index: int, data: np.ndarray | None):
        """Show ``data`` (2-D) in panel ``index``, or turn the panel off for ``None``."""
        ax, image = self.axes[index], self.images[index]
        image.set_visible(data is not None)
        if data is None:
            ax.set_axis_off()
            # As an empty axes would be: the whole cell, so the title sits where it did.
            ax.set_aspect("auto")
            return
        ax.set_axis_on()
        ax.set_aspect("equal")
        rows, columns = data.shape
        image.set_data(data)
        image.set_extent((-0.5, columns - 0.5, rows - 0.5, -0.5))

    def _show_panels(self, shown: bool):
        """Show (or hide) the three panels and the shared colourbar; the no-check notice is
        shown exactly when they are not. The difference colourbar is left to ``update``."""
        for ax in (*self.axes, self.shared_bar.ax):
            ax.set_visible(shown)
        if not shown:
            self.difference_bar.ax.set_visible(False)
        self.notice.set_visible(not shown)

    def no_check(self, reason: str = "") -> GradientComparisonFigure:
        """A picture that shows no check: every panel hidden, "no check" and ``reason``."""
        self._show_panels(False)
        lines = textwrap.wrap(reason, 90, max_lines=4, placeholder=" …")
        self.notice.set_text("\n".join(["Nothing was checked with these settings.", *lines]))
        self.figure.suptitle("no check", fontsize=11)
        self.check = None
        return self

    def update(self, check: ParameterCheck) -> GradientComparisonFigure:
        """Redraw for one parameter's check; returns ``self``."""
        self._show_panels(True)
        numerical = np.asarray(check.numerical)
        claimed = np.asarray(check.claimed)
        shape = shape_text(check.shape)
        same_shape = claimed.shape == numerical.shape
        scale = _largest(numerical)
        if same_shape:
            scale = max(scale, _largest(claimed))
        # One norm for both panels: setting it on one rescales the other and their colourbar.
        self.images[1].set_clim(-(scale or 1.0), scale or 1.0)
        self._panel(0, np.atleast_2d(claimed) if same_shape else None)
        self.message.set_visible(not same_shape)
        self.message.set_text(f"shape {claimed.shape}\n≠ {check.shape}")
        self.axes[0].set_title(f"backprop {check.name}", fontsize=9)
        self._panel(1, np.atleast_2d(numerical))
        self.axes[1].set_title(f"finite differences {shape}", fontsize=9)
        if same_shape:
            difference = np.atleast_2d(claimed - numerical)
            self._panel(2, difference)
            extent = _largest(difference) or 1.0
            self.images[2].set_clim(-extent, extent)
        else:
            self._panel(2, None)
        self.difference_bar.ax.set_visible(same_shape)
        self.axes[2].set_position(
            self.difference_beside_bar if same_shape else self.difference_cell
        )
        difference_title = (
            f"difference (rel. error {check.error_text()})" if same_shape else "shapes differ"
        )
        self.axes[2].set_title(difference_title, fontsize=9)
        self.figure.suptitle(f"{check.name} ({shape}): {check.verdict}", fontsize=11)
        self.check = check
        return self


def _largest(values: np.ndarray) -> float:
    """The largest finite ``|value|`` (0 when there is none): a colour scale's extent."""
    magnitudes = np.abs(values)
    return float(np.max(magnitudes, where=np.isfinite(magnitudes), initial=0.0))


def plot_gradient_comparison(check: ParameterCheck, *, fig=None):
    """Backprop's gradient, the finite-difference one and their difference, as heatmaps.

    The first two share one colour scale, symmetric about zero, so equal numbers look equal;
    the difference has its own symmetric scale (it is many orders of magnitude smaller when
    the check passes). A wrongly shaped claim is reported in its panel instead of drawn.
    """
    figure = fig if fig is not None else pyplot().figure(figsize=(9, 3.2))
    figure.clear()
    return GradientComparisonFigure(figure).update(check).figure


def gradient_comparison_alt(check: ParameterCheck) -> str:
    """Alt text of :func:`plot_gradient_comparison` for the same check."""
    shape = shape_text(check.shape)
    claimed = np.asarray(check.claimed)
    if claimed.shape != np.asarray(check.numerical).shape:
        return (
            f"{check.name} ({shape}): {check.verdict}. Backprop's gradient has shape "
            f"{claimed.shape}, not {check.shape}, so only the finite-difference one is drawn, "
            "as a heat map."
        )
    return (
        f"{check.name} ({shape}): {check.verdict}. Three heat maps side by side: backprop's "
        f"gradient and the finite-difference one on one colour scale, then their difference "
        f"on its own scale (relative error {check.error_text()}). Red is positive, blue "
        "negative." + (" The two gradients differ visibly." if check.rel_error >= 0.05 else "")
    )
