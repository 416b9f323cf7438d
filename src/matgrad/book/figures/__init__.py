"""Every figure of the book (matplotlib): the static ones and those the widgets redraw.

Used in: forward and backward (``plot_computational_graph``), why-transpose (``plot_shapes``,
``plot_outer_product``), questions
(``plot_gradient_comparison``, ``plot_jacobian_slices``), checking-gradients
(``plot_step_errors``), cost-of-gradients (``plot_forward_passes``), each shown by ``show``
with its ``..._alt`` text; the widgets (the ``...Figure`` classes) and
benchmarks/gradient_cost.py (``plot_cost_scaling``).

One module per topic, each with its figures' alt text and the chapters that use it; this
package imports them all and re-exports their public names, so a chapter imports only
``figures`` (``from matgrad.book import figures``):

==================  =============================================================
module              what
==================  =============================================================
``common``          the palette, :class:`LiveFigure`, cell-label contrast, log axes
                    in plain text, ``show`` (a figure with its alt text)
``graph``           the computational graph of Algorithms 6.3 and 6.4
``outer_product``   ``g h(k-1)ᵀ``: its shape to scale beside ``W(k)``'s, its values
``jacobian``        the slices of the Jacobian of ``a = W h`` with respect to ``W``
``comparison``      a gradient check: backprop, finite differences, their difference
``step_curves``     a finite difference's error against its step
``cost_curves``     a gradient's work against the number of parameters
``stepper``         the backward stepper's heat map of ``g`` or a gradient
``im2col_picture``  ``Y_col = W_col X_col`` to scale and one output pixel's route
==================  =============================================================

Each ``plot_...`` function takes data computed elsewhere (:mod:`matgrad.book.shapes`,
:mod:`matgrad.book.step_size`, a gradient check), draws it on a new figure (or the given
``fig``/``ax``), and returns the Figure; none calls ``plt.show()`` or keeps state between
calls, so a notebook decides how the figure is displayed.

The widgets instead keep one figure each (the ``...Figure`` classes, built on
:class:`LiveFigure`) and redraw it in place: ``update(...)`` changes the artists' data and
``png()`` renders the picture. The ``plot_...`` functions draw through the same classes, so a
static figure and a widget's picture of the same data look the same.
"""

from matgrad.book.figures.common import (
    BACKWARD_COLOUR,
    DIVERGING,
    FORWARD_COLOUR,
    NODE_FILLS,
    STYLES,
    LiveFigure,
    label_colour,
    pyplot,
    relative_luminance,
    show,
)
from matgrad.book.figures.comparison import (
    GradientComparisonFigure,
    gradient_comparison_alt,
    plot_gradient_comparison,
)
from matgrad.book.figures.cost_curves import (
    forward_passes_alt,
    plot_cost_scaling,
    plot_forward_passes,
)
from matgrad.book.figures.graph import (
    GRAPH_MAX_DEPTH,
    computational_graph_alt,
    plot_computational_graph,
)
from matgrad.book.figures.im2col_picture import (
    IM2COL_DPI,
    IM2COL_FONT,
    IM2COL_SIZE,
    IM2COL_THIN,
    IM2COL_WIDTH,
    IMAGE_HEIGHT,
    IMAGE_TITLES,
    IMAGES_TOP,
    LABEL_BAND,
    LEGEND_LINES,
    LEGEND_SPACING,
    LIGHT_BACKWARD,
    PADDING_HATCH,
    PRODUCT_BOX,
    PRODUCT_HEIGHT,
    TITLE_BAND,
    Im2colFigure,
    im2col_alt,
    plot_im2col,
)
from matgrad.book.figures.jacobian import (
    jacobian_slices_alt,
    plot_jacobian_slices,
)
from matgrad.book.figures.outer_product import (
    GRID_COLOURS,
    ShapesFigure,
    outer_product_alt,
    plot_outer_product,
    plot_shapes,
    shapes_alt,
)
from matgrad.book.figures.step_curves import (
    StepSizeFigure,
    coincidence_note,
    plot_step_errors,
    step_errors_alt,
)
from matgrad.book.figures.stepper import (
    VectorFigure,
    vector_alt,
)

__all__ = [
    "BACKWARD_COLOUR",
    "DIVERGING",
    "FORWARD_COLOUR",
    "GRAPH_MAX_DEPTH",
    "GRID_COLOURS",
    "IM2COL_DPI",
    "IM2COL_FONT",
    "IM2COL_SIZE",
    "IM2COL_THIN",
    "IM2COL_WIDTH",
    "IMAGES_TOP",
    "IMAGE_HEIGHT",
    "IMAGE_TITLES",
    "LABEL_BAND",
    "LEGEND_LINES",
    "LEGEND_SPACING",
    "LIGHT_BACKWARD",
    "NODE_FILLS",
    "PADDING_HATCH",
    "PRODUCT_BOX",
    "PRODUCT_HEIGHT",
    "STYLES",
    "TITLE_BAND",
    "GradientComparisonFigure",
    "Im2colFigure",
    "LiveFigure",
    "ShapesFigure",
    "StepSizeFigure",
    "VectorFigure",
    "coincidence_note",
    "computational_graph_alt",
    "forward_passes_alt",
    "gradient_comparison_alt",
    "im2col_alt",
    "jacobian_slices_alt",
    "label_colour",
    "outer_product_alt",
    "plot_computational_graph",
    "plot_cost_scaling",
    "plot_forward_passes",
    "plot_gradient_comparison",
    "plot_im2col",
    "plot_jacobian_slices",
    "plot_outer_product",
    "plot_shapes",
    "plot_step_errors",
    "pyplot",
    "relative_luminance",
    "shapes_alt",
    "show",
    "step_errors_alt",
    "vector_alt",
]
