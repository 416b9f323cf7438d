"""The network of Algorithms 6.3 and 6.4 as a computational graph, and its alt text.

Used in: forward (``plot_computational_graph`` and ``computational_graph_alt`` with
``backward=False``) and backward (the same with ``backward=True``).

The graph is data: the tables below hold its nodes and arrows, one row each, for the input,
one layer (repeated for ``k = 1, ..., l``) and the cost; :func:`_graph_layout` fills them in
for a depth ``l``, and :func:`plot_computational_graph` draws the rows with one loop each.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from matgrad.book.figures.common import BACKWARD_COLOUR, FORWARD_COLOUR, NODE_FILLS, pyplot

GRAPH_MAX_DEPTH = 4
STEP = 2.0  # between neighbouring columns of the main row
PARAMETERS_Y, RAIL_Y = 1.9, 2.75  # the row of W(k), b(k) (and y, λΩ(θ)); the rail above it
BOX_HALF_HEIGHT = 0.3

# Every text below is a str.format template (so the mathtext's braces are doubled): {k} is
# the layer, {j} the one before it (k - 1), {l} the depth.
#
# Nodes: name, label, x, y, fill (NODE_FILLS), half width. A layer's x is counted from its
# a(k), at (2k - 1)·STEP; the cost's from L, at (2l + 1)·STEP.
INPUT_NODES = (("h(0)", "$h^{{(0)}} = x$", 0.0, 0.0, "value", 0.72),)
LAYER_NODES = (
    ("a({k})", "$a^{{({k})}}$", 0.0, 0.0, "value", 0.5),
    ("h({k})", "$h^{{({k})}}$", STEP, 0.0, "value", 0.5),
    ("W({k})", "$W^{{({k})}}$", -0.75, PARAMETERS_Y, "parameter", 0.5),
    ("b({k})", "$b^{{({k})}}$", 0.75, PARAMETERS_Y, "parameter", 0.42),
)
# h(l) is ŷ: the last layer's h, relabelled and wider.
OUTPUT_NODES = (("h({l})", "$h^{{({l})}} = \\hat{{y}}$", STEP, 0.0, "value", 0.72),)
COST_NODES = (
    ("L", r"$L(\hat{{y}}, y)$", 0.0, 0.0, "cost", 0.72),
    ("y", "$y$", 0.0, PARAMETERS_Y, "cost", 0.35),
    ("J", "$J$", STEP, 0.0, "cost", 0.4),
    ("Omega", r"$\lambda\,\Omega(\theta)$", STEP, PARAMETERS_Y, "cost", 0.72),
)
# Forward arrows, Algorithm 6.3: from, to, its line. (Every W(k) also feeds λΩ(θ), line 7,
# along one rail above the parameters: _omega_rail.)
LAYER_ARROWS = (
    ("h({j})", "a({k})", 3),
    ("W({k})", "a({k})", 3),
    ("b({k})", "a({k})", 3),
    ("a({k})", "h({k})", 4),
)
COST_ARROWS = (("h({l})", "L", 7), ("y", "L", 7), ("L", "J", 7), ("Omega", "J", 7))
# Backward arrows, Algorithm 6.4: from, to, its line, what it carries (into a parameter: its
# gradient). The layers' rows are repeated from k = l down to 1.
OUTPUT_GRADIENTS = (("J", "h({l})", 1, r"$g = \nabla_{{\hat{{y}}}}\, J$"),)
LAYER_GRADIENTS = (
    ("h({k})", "a({k})", 3, r"$g = \nabla_{{a^{{({k})}}}}\, J$"),
    ("a({k})", "h({j})", 6, r"$g = \nabla_{{h^{{({j})}}}}\, J$"),
    ("a({k})", "W({k})", 5, "$g\\,h^{{({j})\\top}}$\n$+\\,\\lambda W^{{({k})}}$"),
    ("a({k})", "b({k})", 4, "$g$"),
)

NODE_FONT, GRADIENT_FONT, PARAMETER_FONT, BADGE_FONT, LEGEND_FONT = 15, 14, 12, 11, 12
DASHED = (0, (5, 3))
LEGEND = {
    "forward": "forward, Algorithm 6.3 (numbers: its lines)",
    "backward": "backward, Algorithm 6.4, carrying g",
}


class _Node(NamedTuple):
    label: str
    x: float
    y: float
    half_width: float
    kind: str


def _filled(rows, **numbers) -> list[tuple]:
    """The rows with their templates filled in with ``numbers``."""
    return [
        tuple(cell.format(**numbers) if isinstance(cell, str) else cell for cell in row)
        for row in rows
    ]


def _graph_layout(l: int):  # noqa: E741 - the book's name for the depth
    """The tables filled in for depth ``l``, in drawing order: nodes ``{name: _Node}``,
    forward arrows ``[(from, to, line)]`` and backward ones ``[(from, to, line, label)]``."""
    nodes = {}

    def place(rows, x0, **numbers):
        for name, label, dx, y, kind, half_width in _filled(rows, **numbers):
            nodes[name] = _Node(label, x0 + dx, y, half_width, kind)

    place(INPUT_NODES, 0.0)
    forward = []
    for k in range(1, l + 1):
        place(LAYER_NODES, (2 * k - 1) * STEP, k=k)
        forward += _filled(LAYER_ARROWS, k=k, j=k - 1)
    place(OUTPUT_NODES, (2 * l - 1) * STEP, l=l)  # replaces h(l), keeping its place
    place(COST_NODES, (2 * l + 1) * STEP)
    forward += _filled(COST_ARROWS, l=l)
    backward = _filled(OUTPUT_GRADIENTS, l=l)
    for k in range(l, 0, -1):
        backward += _filled(LAYER_GRADIENTS, k=k, j=k - 1)
    return nodes, forward, backward


def _edge_point(node, towards) -> tuple[float, float]:
    """Where the segment from ``node``'s centre to ``towards`` leaves its box."""
    _, x, y, half_width, _ = node
    dx, dy = towards[0] - x, towards[1] - y
    t = min(half_width / abs(dx) if dx else np.inf, BOX_HALF_HEIGHT / abs(dy) if dy else np.inf)
    return x + t * dx, y + t * dy


def _line_badge(ax, xy, line: int, gid: str):
    """Algorithm 6.3's line number ``line`` in a small white box at ``xy``."""
    ax.text(
        *xy,
        str(line),
        ha="center",
        va="center",
        fontsize=BADGE_FONT,
        color="black",
        gid=gid,
        zorder=4,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": FORWARD_COLOUR, "lw": 1.2},
    )


def _depth(l) -> int:  # noqa: E741
    """``l`` as an int, or the error that says why it cannot be the graph's depth."""
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)):
        raise TypeError(
            f"the depth l must be a whole number from 1 to {GRAPH_MAX_DEPTH}, got {l!r}"
        )
    if not 1 <= l <= GRAPH_MAX_DEPTH:
        raise ValueError(
            f"the depth l must be from 1 to {GRAPH_MAX_DEPTH} (layers k = 1, ..., l), got {l}"
        )
    return int(l)


def _graph_axes(ax, l: int, backward: bool, columns: int):  # noqa: E741
    """The figure and axes the graph of depth ``l`` is drawn on: ``ax``, or a new figure."""
    width = (2 * l + 2) * STEP
    bottom = (-2.55 if backward else -1.15) - 0.45 * (columns == 1 and backward)
    if ax is None:
        figure, ax = pyplot().subplots(figsize=(0.72 * (width + 1.6), 0.72 * (3.2 - bottom)))
        figure.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.set_xlim(-0.9, width + 0.8)
    ax.set_ylim(bottom, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure, ax


def _draw_node(ax, name: str, node: _Node):
    x, y, half_width = node.x, node.y, node.half_width
    ax.add_patch(
        FancyBboxPatch(
            (x - half_width, y - BOX_HALF_HEIGHT),
            2 * half_width,
            2 * BOX_HALF_HEIGHT,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            fc=NODE_FILLS[node.kind],
            ec="#333333",
            lw=1.2,
            zorder=2,
            gid=f"box {name}",
        )
    )
    ax.text(x, y, node.label, ha="center", va="center", fontsize=NODE_FONT, zorder=3, gid=name)


def _arrow(ax, start, end, colour, style, gid, rad=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=16,
            connectionstyle=f"arc3,rad={rad}",
            color=colour,
            linestyle=style,
            lw=1.8,
            shrinkA=0,
            shrinkB=1,
            zorder=1,
            gid=gid,
        )
    )


def _forward_arrow(ax, source: _Node, target: _Node, line: int, gid: str):
    """Solid, from box edge to box edge, its line number half-way."""
    start = _edge_point(source, (target.x, target.y))
    end = _edge_point(target, (source.x, source.y))
    _arrow(ax, start, end, FORWARD_COLOUR, "-", gid)
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    _line_badge(ax, middle, line, f"line {gid}")


def _omega_rail(ax, nodes: dict, l: int):  # noqa: E741
    """Every ``W(k)`` feeds ``λΩ(θ)`` (line 7): one rail above the parameters."""
    omega, x_first = nodes["Omega"], nodes["W(1)"].x
    rail = {"color": FORWARD_COLOUR, "lw": 1.8, "zorder": 1}
    ax.add_line(Line2D([x_first, omega.x], [RAIL_Y, RAIL_Y], **rail))
    for k in range(1, l + 1):
        w = nodes[f"W({k})"]
        top = w.y + BOX_HALF_HEIGHT
        ax.add_line(Line2D([w.x, w.x], [top, RAIL_Y], **rail, gid=f"forward W({k})→Omega"))
    top = omega.y + BOX_HALF_HEIGHT
    _arrow(ax, (omega.x, RAIL_Y), (omega.x, top), FORWARD_COLOUR, "-", "forward rail→Omega")
    badge = ((x_first + omega.x) / 2 + 1.0, RAIL_Y)
    _line_badge(ax, badge, 7, "line rail")


def _gradient_arrow(ax, source: _Node, target: _Node, text: str, gid: str):
    """Dashed, bowed under the main row from ``source`` back to ``target``, labelled below."""
    start = (source.x, source.y - BOX_HALF_HEIGHT)
    end = (target.x, target.y - BOX_HALF_HEIGHT)
    _arrow(ax, start, end, BACKWARD_COLOUR, DASHED, gid, rad=-0.45)
    y = start[1] - 0.45 * abs(target.x - source.x) / 2 - 0.1  # under the arc's lowest point
    ax.text(
        (source.x + target.x) / 2,
        y,
        text,
        ha="center",
        va="top",
        fontsize=GRADIENT_FONT,
        color="black",
        gid=f"label {gid}",
    )


def _parameter_gradient(ax, source: _Node, target: _Node, text: str, gid: str):
    """Dashed, up from ``a(k)`` into its parameter, labelled on the parameter's side."""
    side = 1 if target.x > source.x else -1  # b(k) right of a(k), W(k) left
    start = (source.x + side * 0.2, source.y + BOX_HALF_HEIGHT)
    end = (target.x + side * 0.2, target.y - BOX_HALF_HEIGHT)
    _arrow(ax, start, end, BACKWARD_COLOUR, DASHED, gid, rad=side * 0.35)
    ax.text(
        source.x + side * 1.02,
        1.0,
        text,
        ha="right" if side < 0 else "left",
        va="center",
        fontsize=PARAMETER_FONT,
        color="black",
        gid=f"label {gid}",
    )


def plot_computational_graph(l: int = 2, *, backward: bool = True, ax=None):  # noqa: E741
    """The network of Algorithms 6.3 and 6.4 as a computational graph, for depth ``l``.

    Nodes: ``h(0) = x``, ``a(k)``, ``h(k)`` (``h(l) = ŷ``), the parameters ``W(k)`` and
    ``b(k)`` feeding ``a(k)``, ``L(ŷ, y)`` with the target ``y``, ``λΩ(θ)`` fed by every
    ``W(k)``, and ``J``. Forward arrows (solid, blue) carry Algorithm 6.3's line numbers.
    With ``backward`` (the default), dashed vermillion arrows run the other way, each labelled
    with Algorithm 6.4's line and what ``g`` is there (``∇ŷ J``, ``∇a(k) J``, ``∇h(k-1) J``),
    and into each ``W(k)`` and ``b(k)`` its gradient (lines 5 and 4). Every node, arrow and
    label has a ``gid`` in the book's plain names (``"a(1)"``, ``"forward h(0)→a(1)"``,
    ``"backward a(1)→W(1)"``) by which tests and readers of the SVG find it.
    ``l`` is 1 to 4 (wider graphs do not fit the page). Returns the Figure.
    """
    l = _depth(l)  # noqa: E741
    nodes, forward, gradients = _graph_layout(l)
    columns = 2 if l > 1 or not backward else 1  # the legend's: two fit a graph of l ≥ 2
    figure, ax = _graph_axes(ax, l, backward, columns)
    for name, node in nodes.items():
        _draw_node(ax, name, node)
    for source, target, line in forward:
        _forward_arrow(ax, nodes[source], nodes[target], line, f"forward {source}→{target}")
    _omega_rail(ax, nodes, l)
    handles = [Line2D([], [], color=FORWARD_COLOUR, lw=2, label=LEGEND["forward"])]
    if backward:
        for source, target, line, label in gradients:
            into_parameter = nodes[target].kind == "parameter"
            draw = _parameter_gradient if into_parameter else _gradient_arrow
            gid = f"backward {source}→{target}"
            draw(ax, nodes[source], nodes[target], f"{line}: {label}", gid)
        dashed = {"lw": 2, "linestyle": DASHED, "label": LEGEND["backward"]}
        handles.append(Line2D([], [], color=BACKWARD_COLOUR, **dashed))
    ax.legend(
        handles=handles,
        loc="lower center",
        ncol=columns,
        fontsize=LEGEND_FONT,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
        handlelength=3,
    )
    return figure


def computational_graph_alt(l: int = 2, *, backward: bool = True) -> str:  # noqa: E741
    """Alt text of :func:`plot_computational_graph` for the same depth."""
    l = int(l)  # noqa: E741
    chain = " → ".join(
        ["h(0) = x"]
        + [f"a({k}) → h({k})" + (" = ŷ" if k == l else "") for k in range(1, l + 1)]
        + ["L(ŷ, y) → J"]
    )
    alt = (
        f"Computational graph of a network with {l} layer{'s' if l > 1 else ''}: {chain}. "
        "Solid blue arrows are Algorithm 6.3's forward pass, numbered by its lines: W(k), "
        "b(k) and h(k-1) feed a(k) (line 3), a(k) gives h(k) (line 4), the target y and ŷ "
        "give L, and every W(k) feeds λΩ(θ), which with L gives J (line 7)."
    )
    if backward:
        alt += (
            " Dashed vermillion arrows run back from J, Algorithm 6.4 carrying g: line 1, "
            "g = ∇ŷ J; line 3, g = ∇a(k) J; line 6, g = ∇h(k-1) J; and from each a(k) "
            "up to its parameters, line 5, g h(k-1)ᵀ + λW(k) into W(k), and line 4, g into "
            "b(k)."
        )
    return alt
