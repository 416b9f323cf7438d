"""The network of Algorithms 6.3 and 6.4 as a computational graph, and its alt text.

Used in: forward (``plot_computational_graph`` and ``computational_graph_alt`` with
``backward=False``) and backward (the same with ``backward=True``).
"""

from __future__ import annotations

import numpy as np

from matgrad.book.figures.common import BACKWARD_COLOUR, FORWARD_COLOUR, NODE_FILLS, pyplot

GRAPH_MAX_DEPTH = 4


def _graph_layout(l: int):  # noqa: E741 - the book's name for the depth
    """Nodes ``{name: (label, x, y, half_width, kind)}`` and forward arrows
    ``[(from, to, line of Algorithm 6.3)]`` of the network of Algorithm 6.3 with depth ``l``."""
    step = 2.0  # between neighbouring columns of the main row
    nodes, arrows = {}, []

    def node(name, label, x, y, kind, half_width=0.5):
        nodes[name] = (label, x, y, half_width, kind)

    node("h(0)", "$h^{(0)} = x$", 0.0, 0.0, "value", 0.72)
    for k in range(1, l + 1):
        x_a = (2 * k - 1) * step
        node(f"a({k})", f"$a^{{({k})}}$", x_a, 0.0, "value")
        h_label = f"$h^{{({k})}} = \\hat{{y}}$" if k == l else f"$h^{{({k})}}$"
        node(f"h({k})", h_label, x_a + step, 0.0, "value", 0.72 if k == l else 0.5)
        node(f"W({k})", f"$W^{{({k})}}$", x_a - 0.75, 1.9, "parameter")
        node(f"b({k})", f"$b^{{({k})}}$", x_a + 0.75, 1.9, "parameter", 0.42)
        arrows += [(f"h({k - 1})", f"a({k})", 3), (f"W({k})", f"a({k})", 3)]
        arrows += [(f"b({k})", f"a({k})", 3), (f"a({k})", f"h({k})", 4)]
    x_L = (2 * l + 1) * step
    node("L", r"$L(\hat{y}, y)$", x_L, 0.0, "cost", 0.72)
    node("y", "$y$", x_L, 1.9, "cost", 0.35)
    node("J", "$J$", x_L + step, 0.0, "cost", 0.4)
    node("Omega", r"$\lambda\,\Omega(\theta)$", x_L + step, 1.9, "cost", 0.72)
    arrows += [(f"h({l})", "L", 7), ("y", "L", 7), ("L", "J", 7), ("Omega", "J", 7)]
    return nodes, arrows


def _edge_point(node, towards) -> tuple[float, float]:
    """Where the segment from ``node``'s centre to ``towards`` leaves its box."""
    _, x, y, half_width, _ = node
    dx, dy = towards[0] - x, towards[1] - y
    t = min(half_width / abs(dx) if dx else np.inf, 0.3 / abs(dy) if dy else np.inf)
    return x + t * dx, y + t * dy


def _line_badge(ax, xy, line: int, colour: str, gid: str, fontsize: float):
    """Algorithm line number ``line`` in a small white box at ``xy``."""
    ax.text(
        *xy,
        str(line),
        ha="center",
        va="center",
        fontsize=fontsize,
        color="black",
        gid=gid,
        zorder=4,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "lw": 1.2},
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
    if isinstance(l, bool) or not isinstance(l, (int, np.integer)):
        raise TypeError(
            f"the depth l must be a whole number from 1 to {GRAPH_MAX_DEPTH}, got {l!r}"
        )
    if not 1 <= l <= GRAPH_MAX_DEPTH:
        raise ValueError(
            f"the depth l must be from 1 to {GRAPH_MAX_DEPTH} (layers k = 1, ..., l), got {l}"
        )
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    l = int(l)  # noqa: E741
    nodes, arrows = _graph_layout(l)
    width = (2 * l + 2) * 2.0
    columns = 2 if l > 1 or not backward else 1  # the legend's: two fit a graph of l ≥ 2
    bottom = (-2.55 if backward else -1.15) - 0.45 * (columns == 1 and backward)
    if ax is None:
        figure, ax = pyplot().subplots(figsize=(0.72 * (width + 1.6), 0.72 * (3.2 - bottom)))
        figure.subplots_adjust(left=0, right=1, bottom=0, top=1)
    else:
        figure = ax.figure
    ax.set_xlim(-0.9, width + 0.8)
    ax.set_ylim(bottom, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")
    big, small = 15, 13

    for name, (label, x, y, half_width, kind) in nodes.items():
        ax.add_patch(
            FancyBboxPatch(
                (x - half_width, y - 0.3),
                2 * half_width,
                0.6,
                boxstyle="round,pad=0.02,rounding_size=0.15",
                fc=NODE_FILLS[kind],
                ec="#333333",
                lw=1.2,
                zorder=2,
                gid=f"box {name}",
            )
        )
        ax.text(x, y, label, ha="center", va="center", fontsize=big, zorder=3, gid=name)

    def arrow(start, end, colour, style, gid, rad=0.0, lw=1.8):
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=16,
                connectionstyle=f"arc3,rad={rad}",
                color=colour,
                linestyle=style,
                lw=lw,
                shrinkA=0,
                shrinkB=1,
                zorder=1,
                gid=gid,
            )
        )

    # Forward: Algorithm 6.3, solid.
    for source, target, line in arrows:
        start = _edge_point(nodes[source], nodes[target][1:3])
        end = _edge_point(nodes[target], nodes[source][1:3])
        gid = f"forward {source}→{target}"
        arrow(start, end, FORWARD_COLOUR, "-", gid)
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        _line_badge(ax, middle, line, FORWARD_COLOUR, f"line {gid}", small - 2)
    # Every W(k) feeds λΩ(θ) (line 7): one rail above the parameters.
    rail = 2.75
    _, x_omega, y_omega, _, _ = nodes["Omega"]
    x_first = nodes["W(1)"][1]
    ax.add_line(Line2D([x_first, x_omega], [rail, rail], color=FORWARD_COLOUR, lw=1.8, zorder=1))
    for k in range(1, l + 1):
        x_w = nodes[f"W({k})"][1]
        ax.add_line(
            Line2D(
                [x_w, x_w],
                [1.9 + 0.3, rail],
                color=FORWARD_COLOUR,
                lw=1.8,
                zorder=1,
                gid=f"forward W({k})→Omega",
            )
        )
    arrow((x_omega, rail), (x_omega, y_omega + 0.3), FORWARD_COLOUR, "-", "forward rail→Omega")
    _line_badge(
        ax, ((x_first + x_omega) / 2 + 1.0, rail), 7, FORWARD_COLOUR, "line rail", small - 2
    )

    handles = [
        Line2D(
            [], [], color=FORWARD_COLOUR, lw=2, label="forward, Algorithm 6.3 (numbers: its lines)"
        )
    ]
    if backward:
        dashed = (0, (5, 3))

        def back(source, target, line, label, gid):
            _, x0, y0, _, _ = nodes[source]
            _, x1, y1, _, _ = nodes[target]
            arrow((x0, y0 - 0.3), (x1, y1 - 0.3), BACKWARD_COLOUR, dashed, gid, rad=-0.45)
            ax.text(
                (x0 + x1) / 2,
                -0.3 - 0.45 * abs(x1 - x0) / 2 - 0.1,
                f"{line}: {label}",
                ha="center",
                va="top",
                fontsize=big - 1,
                color="black",
                gid=f"label {gid}",
            )

        back("J", f"h({l})", 1, r"$g = \nabla_{\hat{y}}\, J$", f"backward J→h({l})")
        for k in range(l, 0, -1):
            back(
                f"h({k})",
                f"a({k})",
                3,
                f"$g = \\nabla_{{a^{{({k})}}}}\\, J$",
                f"backward h({k})→a({k})",
            )
            back(
                f"a({k})",
                f"h({k - 1})",
                6,
                f"$g = \\nabla_{{h^{{({k - 1})}}}}\\, J$",
                f"backward a({k})→h({k - 1})",
            )
            _, x_a, _, _, _ = nodes[f"a({k})"]
            for name, line, label, side in (
                (f"W({k})", 5, f"$g\\,h^{{({k - 1})\\top}}$\n$+\\,\\lambda W^{{({k})}}$", -1),
                (f"b({k})", 4, "$g$", 1),
            ):
                _, x_p, y_p, _, _ = nodes[name]
                gid = f"backward a({k})→{name}"
                arrow(
                    (x_a + side * 0.2, 0.3),
                    (x_p + side * 0.2, y_p - 0.3),
                    BACKWARD_COLOUR,
                    dashed,
                    gid,
                    rad=-side * 0.35 * -1,
                )
                ax.text(
                    x_a + side * 1.02,
                    1.0,
                    f"{line}: {label}",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=small - 1,
                    color="black",
                    gid=f"label {gid}",
                )
        handles.append(
            Line2D(
                [],
                [],
                color=BACKWARD_COLOUR,
                lw=2,
                linestyle=dashed,
                label="backward, Algorithm 6.4, carrying g",
            )
        )
    ax.legend(
        handles=handles,
        loc="lower center",
        ncol=columns,
        fontsize=small - 1,
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
