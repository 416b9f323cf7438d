"""The book's figures, static and redrawn by the widgets, tested on their data and labels."""

import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
import pytest
from matplotlib.colors import to_rgba
from matplotlib.transforms import Bbox

import matgrad as mg
from matgrad.book import examples, figures, im2col, settings_check, shapes


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_shapes_figure_labels_every_grid_with_its_shape():
    layer = shapes.layer_shapes([3, 5, 2], m=4, k=2)
    figure = figures.plot_shapes(layer, shapes.judge("h(k-1)", layer))
    ax = figure.axes[0]
    labels = [text.get_text() for text in ax.texts]
    for expected in (
        "g\n2 × 4",
        "h(k-1)ᵀ\n4 × 5",
        "g h(k-1)ᵀ\n2 × 5",
        "W(k)\n2 × 5",
        "h(k-1)\n5 × 4",
    ):
        assert expected in labels
    assert "(2 × 4)(4 × 5) = 2 × 5" in ax.get_title() and "does not fit" in ax.get_title()
    # cells drawn to scale: g, hᵀ, the product, W(k) and the candidate
    cells = [len(collection.get_paths()) for collection in ax.collections]
    assert cells == [2 * 4, 4 * 5, 2 * 5, 2 * 5, 5 * 4]


def test_shapes_figure_marks_a_product_that_cannot_be_formed():
    layer = shapes.layer_shapes([3, 5, 2], m=1, k=2)
    figure = figures.plot_shapes(layer, shapes.judge("gᵀ h(k-1)", layer))
    assert any("cannot be formed" in text.get_text() for text in figure.axes[0].texts)


def test_gradient_comparison_shares_a_symmetric_colour_scale():
    report = settings_check.check_from_settings([3, 4, 2], lam=0.1).report
    check = report["W(1)"]
    figure = figures.plot_gradient_comparison(check)
    images = [ax.images[0] for ax in figure.axes[:3]]
    claimed, numerical, difference = images
    assert claimed.norm.vmin == numerical.norm.vmin == -claimed.norm.vmax
    assert claimed.norm.vmax == numerical.norm.vmax
    np.testing.assert_array_equal(claimed.get_array(), check.claimed)
    np.testing.assert_array_equal(numerical.get_array(), check.numerical)
    assert difference.norm.vmin == -difference.norm.vmax
    assert "W(1) (4×3): PASS" in figure.get_suptitle()
    assert "finite differences 4×3" in figure.axes[1].get_title()


def test_gradient_comparison_reports_a_wrongly_shaped_claim():
    net, x, y = examples.example_problem([3, 4, 2], m=2)
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "h_g_transpose")
    check = mg.gradient_check(net, x, y, gradients=wrong)["W(2)"]
    figure = figures.plot_gradient_comparison(check)
    assert "≠ (2, 4)" in figure.axes[0].texts[0].get_text()
    assert "FAIL" in figure.get_suptitle()


def test_step_size_plot_marks_the_chosen_step():
    steps = np.logspace(-1, -12, 6)
    curves = {"central": np.linspace(1e-3, 1e-9, 6), "complex": np.full(6, 1e-16)}
    figure = figures.plot_step_errors(steps, curves, chosen=1e-6, chosen_errors={"central": 1e-10})
    ax = figure.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert any(line.get_label() == "chosen step 1e-06" for line in ax.lines)
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(stars) == 1 and stars[0].get_ydata()[0] == 1e-10


def test_vector_figure_writes_the_values_and_the_shape():
    ax = figures.VectorFigure().update(np.array([[0.5], [-1.25]]), "g").ax
    assert ax.get_title() == "g  (2 × 1)"
    assert [text.get_text() for text in ax.texts] == ["0.50", "-1.25"]


def test_outer_product_figure_shows_g_h_transpose_with_shapes():
    g, h = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.4])
    figure = figures.plot_outer_product(g, h)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["g\n3 × 1", "h(k-1)ᵀ\n1 × 2", "g h(k-1)ᵀ\n3 × 2"]
    np.testing.assert_allclose(figure.axes[2].images[0].get_array(), np.outer(g, h))


def test_jacobian_slices_have_h_in_row_i():
    h = np.array([0.3, -0.4, 1.0])
    figure = figures.plot_jacobian_slices(mg.jacobian_tensor(h, 2))
    assert len(figure.axes) == 2 and figure.axes[1].get_title() == "∂a_2/∂W  (2 × 3)"
    np.testing.assert_array_equal(figure.axes[1].images[0].get_array()[1], h)
    np.testing.assert_array_equal(figure.axes[1].images[0].get_array()[0], 0.0)
    with pytest.raises(ValueError, match="3-tensor"):
        figures.plot_jacobian_slices(np.ones((2, 2)))


def test_shapes_figure_redrawn_in_place_puts_each_label_under_its_grid():
    picture = figures.ShapesFigure()
    picture.update(shapes.layer_shapes([3, 5, 2], m=4, k=2))
    picture.update(shapes.layer_shapes([6, 2], m=3, k=1), None)
    for grid, label in zip(picture.grids[:4], picture.labels[:4], strict=True):
        corners = np.concatenate([path.vertices for path in grid.get_paths()])
        x, y = label.get_position()
        assert abs(x - (corners[:, 0].min() + corners[:, 0].max()) / 2) < 0.1
        assert y < corners[:, 1].min()
    assert [len(grid.get_paths()) for grid in picture.grids[:4]] == [6, 18, 12, 12]
    assert picture.ax.get_title().startswith("layer k = 1: (2 × 3)(3 × 6) = 2 × 6")


def test_step_size_figure_redraws_fully_when_a_star_widens_the_axes():
    steps = np.logspace(-1, -12, 6)
    curves = {"central": np.linspace(1e-3, 1e-9, 6)}
    picture = figures.StepSizeFigure(steps, curves)
    picture.mark(1e-6, {"central": 1e-8}).png()
    low = picture.mark(1e-6, {"central": 1e-20}).png()  # below every curve: new y limits
    fresh = figures.plot_step_errors(steps, curves, chosen=1e-6, chosen_errors={"central": 1e-20})
    assert picture.ax.get_ylim()[0] < 1e-19
    np.testing.assert_array_equal(_pixels(low), _pixels(_png(fresh)))


def _png(figure, *, dpi: int = 80) -> bytes:
    """A pyplot figure as PNG bytes, as a widget's picture would be; the figure is closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()


def _pixels(png) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


def test_step_errors_draws_one_labelled_curve_per_method_and_the_theory_steps():
    steps = np.logspace(-1, -12, 12)
    errors = {"forward": steps, "central": steps**2, "complex": np.zeros(12)}
    figure = figures.plot_step_errors(steps, errors)
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()[:3]] == list(errors)
    assert ax.get_xscale() == ax.get_yscale() == "log"
    # the complex-step zeros are drawn at a positive stand-in, not dropped
    assert np.all(ax.get_lines()[2].get_ydata() > 0)
    eps = np.finfo(float).eps
    verticals = [line.get_xdata()[0] for line in ax.get_lines()[3:5]]
    assert verticals == pytest.approx([eps**0.5, eps ** (1 / 3)])


def test_plots_draw_into_a_given_axes_and_return_its_figure():
    figure, axes = plt.subplots(1, 2)
    returned = figures.plot_cost_scaling([10, 100], {"backpropagation": [1, 2]}, ax=axes[1])
    assert returned is figure
    assert len(axes[1].get_lines()) == 1 and not axes[0].get_lines()
    returned = figures.plot_forward_passes(
        [10, 100], {"central": [20, 200], "backpropagation": [3, 3]}, ax=axes[0]
    )
    assert returned is figure
    assert list(axes[0].get_lines()[0].get_ydata()) == [20, 200]


@pytest.mark.parametrize(
    "x, curves",
    [
        ([1, 2, 3], {"central": [1, 2]}),
        ([], {"central": []}),
        ([1, 2], {}),
    ],
)
def test_mismatched_or_empty_data_raises_value_error(x, curves):
    with pytest.raises(ValueError, match=r"curve|x values|at least one"):
        figures.plot_cost_scaling(x, curves)


def _gids(figure) -> set[str]:
    return {artist.get_gid() for artist in figure.findobj() if artist.get_gid()}


@pytest.mark.parametrize("depth", [2, 3])
def test_computational_graph_has_every_node_of_the_network(depth):
    l = depth  # noqa: E741 - the book's name for the depth
    gids = _gids(figures.plot_computational_graph(l))
    nodes = {f"{name}({k})" for k in range(1, l + 1) for name in "aWbh"} | {"h(0)"}
    assert nodes | {"L", "y", "J", "Omega"} <= gids
    assert f"a({l + 1})" not in gids and f"W({l + 1})" not in gids
    # the forward arrows of Algorithm 6.3, lines 3 and 4, for every layer
    for k in range(1, l + 1):
        for source in (f"h({k - 1})", f"W({k})", f"b({k})"):
            assert f"forward {source}→a({k})" in gids
        assert f"forward a({k})→h({k})" in gids
        # the backward arrows of Algorithm 6.4, lines 3 to 6
        for target in (f"h({k - 1})", f"W({k})", f"b({k})"):
            assert f"backward a({k})→{target}" in gids
    assert f"backward J→h({l})" in gids


def test_computational_graph_labels_name_g_and_the_algorithm_lines():
    figure = figures.plot_computational_graph(2)
    texts = {text.get_gid(): text.get_text() for text in figure.findobj(plt.Text)}
    assert texts["a(1)"] == "$a^{(1)}$" and texts["h(2)"] == r"$h^{(2)} = \hat{y}$"
    assert texts["label backward J→h(2)"].startswith("1: $g = \\nabla_{\\hat{y}}")
    assert texts["label backward h(2)→a(2)"].startswith("3: $g = \\nabla_{a^{(2)}}")
    assert texts["label backward a(1)→h(0)"].startswith("6: $g = \\nabla_{h^{(0)}}")
    assert texts["label backward a(2)→W(2)"].startswith("5: $g\\,h^{(1)\\top}$")
    assert "\\lambda W^{(2)}" in texts["label backward a(2)→W(2)"]
    assert texts["line forward a(1)→h(1)"] == "4" and texts["line forward h(0)→a(1)"] == "3"


def test_forward_only_graph_has_no_backward_arrows_and_backward_ones_are_dashed():
    forward_only = _gids(figures.plot_computational_graph(2, backward=False))
    assert not [gid for gid in forward_only if "backward" in gid]
    assert "forward h(1)→a(2)" in forward_only
    figure = figures.plot_computational_graph(2)
    arrows = {patch.get_gid(): patch for patch in figure.axes[0].patches if patch.get_gid()}
    forward, backward = arrows["forward h(1)→a(2)"], arrows["backward a(2)→h(1)"]
    assert forward.get_linestyle() == "-" and backward.get_linestyle() != "-"
    assert forward.get_edgecolor() != backward.get_edgecolor()


@pytest.mark.parametrize(
    "depth, error",
    [(0, ValueError), (5, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError)],
)
def test_computational_graph_rejects_a_bad_depth_in_the_book_s_names(depth, error):
    with pytest.raises(error, match="the depth l"):
        figures.plot_computational_graph(depth)


def _look(line):
    return (line.get_color(), line.get_linestyle(), line.get_marker())


def test_step_errors_give_every_method_its_own_colour_line_style_and_marker():
    steps = np.logspace(-1, -12, 12)
    errors = {"forward": steps, "central": steps**2, "complex": steps**2}
    lines = figures.plot_step_errors(steps, errors).axes[0].get_lines()[:3]
    for first, second in [(0, 1), (0, 2), (1, 2)]:
        assert all(a != b for a, b in zip(_look(lines[first]), _look(lines[second]), strict=True))
    # the complex curve lies under the central one, which keeps open markers to show it
    _, central, complex_ = lines
    assert complex_.get_zorder() < central.get_zorder()
    assert central.get_markerfacecolor() == "none"


def test_cost_figure_draws_its_two_series_apart_with_a_legend():
    figure = figures.plot_forward_passes(
        [10, 100], {"central": [20, 200], "backpropagation": [3, 3]}
    )
    ax = figure.axes[0]
    central, backprop = ax.get_lines()
    assert all(a != b for a, b in zip(_look(central), _look(backprop), strict=True))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "central",
        "backpropagation",
    ]


def test_coincidence_note_names_where_central_and_complex_agree():
    steps = np.logspace(-1, -8, 8)
    complex_ = steps**2
    central = np.where(steps >= 1e-4, steps**2 * 1.05, 1e-10 / steps)  # rounding below 1e-4
    note = figures.coincidence_note(steps, {"central": central, "complex": complex_})
    assert note.startswith("central = complex for h ≥ 1e-04")
    # steps given from small to large: the same run
    reverse = {"central": central[::-1], "complex": complex_[::-1]}
    assert figures.coincidence_note(steps[::-1], reverse) == note
    assert figures.coincidence_note(steps, {"central": 10 * complex_, "complex": complex_}) == ""
    assert figures.coincidence_note(steps, {"central": central}) == ""
    figure = figures.plot_step_errors(steps, {"central": central, "complex": complex_})
    assert figure.axes[0].get_legend().get_title().get_text() == note


def test_label_colour_is_white_on_dark_cells_and_black_on_light_ones():
    assert figures.label_colour((0.0, 0.0, 0.0, 1.0)) == "white"
    assert figures.label_colour((1.0, 1.0, 1.0, 1.0)) == "black"
    assert figures.label_colour((0.0, 0.0, 0.0, 0.0)) == "black"  # transparent: the page
    assert figures.relative_luminance((1.0, 1.0, 1.0)) == pytest.approx(1.0)
    # WCAG's crossover: at luminance 0.179 both contrasts are 4.58
    grey = ((0.179 * 1.055**2.4) ** (1 / 2.4) - 0.055) * np.ones(3)
    assert figures.relative_luminance(grey) == pytest.approx(0.179, abs=1e-3)


def _label_colours(ax) -> dict[str, str]:
    return {text.get_text(): text.get_color() for text in ax.texts}


def test_heat_map_labels_contrast_with_their_cells():
    values = np.array([[1.0, 0.5, 0.0, -0.5, -1.0]])
    colours = _label_colours(figures.VectorFigure().update(values, "g").ax)
    # the darkest cells (deep red, deep blue) get white, the light ones black
    assert colours == {
        "1.00": "white",
        "0.50": "black",
        "0.00": "black",
        "-0.50": "black",
        "-1.00": "white",
    }
    picture = figures.VectorFigure()
    picture.update(values, "g")
    # redrawn in place, on its own scale: ±0.5 are now the darkest cells
    picture.update(values[:, 1:4], "g")
    assert [t.get_color() for t in picture.ax.texts if t.get_visible()] == [
        "white",
        "black",
        "white",
    ]
    figure = figures.plot_outer_product(np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.4, -1.2]))
    product = _label_colours(figure.axes[2])
    assert product["2.40"] == "white" and product["0.15"] == "black"
    assert _label_colours(figure.axes[0])["-2.00"] == "white"


def test_every_heat_map_label_meets_contrast_on_its_cell():
    values = np.linspace(-1, 1, 21)[None, :]
    ax = figures.VectorFigure().update(values, "ramp").ax
    cells = ax.images[0].cmap(ax.images[0].norm(values))[0]
    for text, cell in zip(ax.texts, cells, strict=True):
        cell_l = figures.relative_luminance(cell)
        text_l = 1.0 if text.get_color() == "white" else 0.0
        lighter, darker = max(cell_l, text_l), min(cell_l, text_l)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, text.get_text()


def test_alt_texts_say_what_the_figures_show_from_their_data():
    g, h = np.arange(3.0), np.arange(4.0)
    assert "g (3 × 1) times h(k-1)ᵀ (1 × 4) gives g h(k-1)ᵀ (3 × 4)" in (
        figures.outer_product_alt(g, h)
    )
    layer = shapes.layer_shapes([3, 5, 2], m=4, k=2)
    alt = figures.shapes_alt(layer, shapes.judge("h(k-1)", layer))
    assert "g (2 × 4) times h(k-1)ᵀ (4 × 5)" in alt and "h(k-1), 5 × 4: does not fit" in alt
    assert "candidate" not in figures.shapes_alt(layer, shapes.judge("g h(k-1)ᵀ", layer))
    T = mg.jacobian_tensor(np.arange(1.0, 5.0), 3)
    assert figures.jacobian_slices_alt(T).startswith("3 heat maps") and "3 × 4" in (
        figures.jacobian_slices_alt(T)
    )
    passes = figures.forward_passes_alt([10, 100], {"central": [20, 200], "b": [3.0, 3.0]})
    assert "from 10 to 100: central from 20 to 200; b 3 at every P" in passes
    one = figures.computational_graph_alt(1, backward=False)
    assert "h(0) = x → a(1) → h(1) = ŷ → L(ŷ, y) → J" in one and "Dashed" not in one
    assert "line 5, g h(k-1)ᵀ + λW(k)" in figures.computational_graph_alt(3)


def test_step_errors_alt_tells_each_curve_in_words_that_hold_on_any_cpu():
    steps = np.logspace(-1, -12, 23)
    noise = 1e-16 / steps
    errors = {
        "forward": steps / 2 + noise,
        "central": steps**2 / 6 + noise,
        "complex": np.maximum(steps**2 / 6, 1e-16),
    }
    alt = figures.step_errors_alt(steps, errors, chosen=1e-6)
    assert "from 1e-01 to 1e-12" in alt and "forward, central and complex" in alt
    assert "Forward: falls from 5e-02 at h = 1e-01 to its smallest error < 1e-06" in alt
    assert "Central: falls from 2e-03" in alt and "< 1e-09" in alt
    assert "stays flat at < 1e-14" in alt and "chosen step 1e-06" in alt
    # no truncation error (a piecewise-quadratic cost): the curve only grows as h shrinks
    rounding = figures.step_errors_alt(steps, {"central": noise})
    assert "smallest (< 1e-09) at h = 1e-01, growing steadily" in rounding


def test_gradient_comparison_alt_names_the_check_and_its_verdict():
    outcome = settings_check.check_from_settings([3, 3, 3], mistake="h_g_transpose")
    check = outcome.report["W(1)"]
    alt = figures.gradient_comparison_alt(check)
    assert alt.startswith("W(1) (3×3): FAIL.") and "differ visibly" in alt
    right = settings_check.check_from_settings([3, 3, 3]).report["W(1)"]
    assert "PASS" in figures.gradient_comparison_alt(right)
    assert "differ visibly" not in figures.gradient_comparison_alt(right)


def test_show_displays_the_figure_with_its_alt_text(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})  # as the notebook's inline backend does
    shown = []
    monkeypatch.setattr(
        shell.display_pub,
        "publish",
        lambda data, metadata=None, **kwargs: shown.append((data, metadata)),
    )
    figure, ax = plt.subplots()
    ax.imshow(np.eye(2))
    figures.show(figure, "a two by two identity matrix as a heat map")
    ((data, metadata),) = shown
    assert data["text/plain"] == "a two by two identity matrix as a heat map"
    assert data["image/png"] and metadata["image/png"]["alt"] == data["text/plain"]
    assert not plt.fignum_exists(figure.number)  # closed: not shown a second time


# --- The im2col explorer's picture ---------------------------------------------------------------

IM2COL_CASES = {
    # name: (settings, output pixel)
    "default": ({}, (0, 1, 1)),
    "stride 2, padding 1": ({"stride": 2, "padding": 1}, (0, 0, 1)),
    "the largest X_col, 392 × 576": (
        {"N": 4, "C_in": 8, "C_out": 8, "H": 12, "W": 12, "kh": 7, "kw": 7, "padding": 3},
        (3, 11, 11),
    ),
    "the widest, 8 × 1296": (
        {"N": 4, "C_in": 8, "C_out": 8, "H": 12, "W": 12, "kh": 1, "kw": 1, "padding": 3},
        (3, 17, 17),
    ),
    "the tallest, 392 × 1": (
        {"N": 1, "C_in": 8, "C_out": 8, "H": 7, "W": 7, "kh": 7, "kw": 7},
        (0, 0, 0),
    ),
    "one pixel": ({"N": 1, "C_in": 1, "C_out": 1, "H": 1, "W": 1, "kh": 1, "kw": 1}, (0, 0, 0)),
    "numbered 10 × 10": (
        {"N": 3, "C_in": 3, "C_out": 4, "H": 8, "W": 8, "stride": 2, "padding": 1},
        (1, 2, 3),
    ),
    # Numbers, padding and widened sides: the longest legend.
    "the longest legend": (
        {"N": 1, "C_in": 1, "C_out": 1, "H": 7, "W": 7, "kh": 1, "kw": 1, "padding": 1},
        (0, 8, 8),
    ),
}


def _route(name):
    settings, pixel = IM2COL_CASES[name]
    return im2col.route(im2col.product(**settings).layout, *pixel)


def _bounds(patch):
    return patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()


def test_the_im2col_figure_draws_the_product_to_scale():
    route = _route("default")
    picture = figures.Im2colFigure().update(route)
    (x_w, _, w_w, h_w), (x_x, y_x, w_x, h_x), (x_y, y_y, w_y, h_y) = (
        _bounds(picture.matrices[name]) for name in ("W_col", "X_col", "Y_col")
    )
    # W_col 3 × 18, X_col 18 × 18, Y_col 3 × 18: one scale, shared sides lined up (Falk).
    unit = w_x / 18
    assert (w_w, h_w, h_x, w_y, h_y) == pytest.approx(
        (18 * unit, 3 * unit, 18 * unit, w_x, 3 * unit)
    )
    assert x_x == x_y and x_w + w_w < x_x and y_x > y_y + h_y
    assert not picture.fit["widened"] and "widened" not in picture.legend.get_text()
    assert len(picture.cell_lines.get_segments()) == (2 + 17) + (17 + 17) + (2 + 17)
    # Between channels (W_col, X_col) and examples (X_col, Y_col): one line each.
    assert len(picture.block_lines.get_segments()) == 4
    # Column 4 of X_col and Y_col, output pixel (0, 1, 1).
    for stripe, (y, height) in zip(picture.stripes, ((y_x, h_x), (y_y, h_y)), strict=True):
        assert _bounds(stripe) == pytest.approx((x_x + 4 * unit, y, unit, height))
    assert not picture.stripe_padding.get_paths()


def test_the_im2col_figure_widens_only_what_would_vanish_and_says_so():
    for name in ("the largest X_col, 392 × 576", "the widest, 8 × 1296", "the tallest, 392 × 1"):
        picture = figures.Im2colFigure().update(_route(name))
        sides = [side for patch in picture.matrices.values() for side in _bounds(patch)[2:]]
        assert min(sides) >= figures.IM2COL_THIN - 1e-9, name
        legend = picture.legend.get_text().replace("\n", " ")
        assert picture.fit["widened"] and "Thin sides widened." in legend
        assert "widened" in figures.im2col_alt(picture.route)
    # X_col 392 × 576 keeps its proportions; only the 8 rows of W_col and Y_col are widened.
    picture = figures.Im2colFigure().update(_route("the largest X_col, 392 × 576"))
    _, _, width, height = _bounds(picture.matrices["X_col"])
    assert width / height == pytest.approx(576 / 392)
    assert picture.cell_lines.get_segments() == []  # cells under 0.045 in: no lines


@pytest.mark.parametrize("name", list(IM2COL_CASES))
def test_the_im2col_figure_is_legible_on_a_phone_and_no_text_meets_another(name):
    picture = figures.Im2colFigure().update(_route(name))
    figure, ax = picture.figure, picture.ax
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    # A phone's column is about 330 px: every text at least 12 px there, 9 pt on the page.
    for text in texts:
        assert text.get_fontsize() * 330 / (72 * figure.get_figwidth()) >= 12, text.get_text()
    boxes = {id(text): text.get_window_extent(renderer) for text in texts}
    for text in texts:
        assert figure.bbox.contains(*boxes[id(text)].min), text.get_text()
        assert figure.bbox.contains(*boxes[id(text)].max), text.get_text()
    for first, second in itertools.combinations(texts, 2):
        assert not boxes[id(first)].overlaps(boxes[id(second)]), (
            first.get_text(),
            second.get_text(),
        )
    # No label, title or legend on a matrix or an image (the counts sit in their cells).
    drawn = [patch.get_window_extent(renderer) for patch in picture.matrices.values()]
    for collection in (picture.cells, picture.output_cells):
        corners = np.concatenate([path.vertices for path in collection.get_paths()])
        drawn.append(Bbox(ax.transData.transform([corners.min(0), corners.max(0)])))
    for text in texts:
        if text in picture.counts:
            continue
        for box in drawn:
            assert not boxes[id(text)].overlaps(box), text.get_text()


def test_the_im2col_figure_marks_the_window_its_padding_and_the_readers():
    route = _route("stride 2, padding 1")
    picture = figures.Im2colFigure().update(route)
    cells = picture.cells.get_paths()
    assert len(cells) == 7 * 7  # the padded image of example 0
    side = np.ptp(cells[0].vertices[:, 0])
    x0 = min(path.vertices[:, 0].min() for path in cells)
    top = max(path.vertices[:, 1].max() for path in cells)
    # Output pixel (0, 0, 1) with stride 2 reads rows 0..2, columns 2..4 of the padded image.
    assert _bounds(picture.window) == pytest.approx(
        (x0 + 2 * side, top - 3 * side, 3 * side, 3 * side)
    )
    # The padding: four bands, one cell wide, around the 5 × 5 image.
    bands = [path.vertices for path in picture.padding.get_paths()]
    assert sum(np.ptp(v[:, 0]) * np.ptp(v[:, 1]) for v in bands) == pytest.approx(24 * side**2)
    colours = picture.cells.get_facecolor().reshape(7, 7, 4)
    orange, light = (to_rgba(figures.BACKWARD_COLOUR), to_rgba(figures.LIGHT_BACKWARD))
    np.testing.assert_array_equal(
        np.all(colours == orange, axis=2), np.pad(route.gradient[0, 0] > 0, 1)
    )
    assert np.all(colours[0, 2:5] == light)  # the padding it reads
    # Its column's rows that read padding, (c, 0, q) for both channels: two runs of three.
    runs = [np.ptp(path.vertices[:, 1]) for path in picture.stripe_padding.get_paths()]
    unit = picture.fit["cells"][0]
    assert runs == pytest.approx([3 * unit, 3 * unit])
    numbers = [int(t.get_text()) for t in picture.counts if t.get_visible()]
    assert numbers == route.reads.ravel().tolist()
    legend = picture.legend.get_text().replace("\n", " ")
    assert "output pixel (0, 0, 1), column 1 of X_col and Y_col" in legend
    assert "Hatched: padding" in legend and "Numbers:" in legend


def test_the_im2col_figure_redrawn_in_place_equals_a_new_one():
    picture = figures.Im2colFigure()
    for name in ["default", *IM2COL_CASES, "default"]:
        route = _route(name)
        redrawn = picture.update(route).png()
        fresh = figures.Im2colFigure().update(route).png()
        np.testing.assert_array_equal(_pixels(redrawn), _pixels(fresh))
    static = figures.plot_im2col(route)
    assert tuple(static.get_size_inches()) == pytest.approx(figures.IM2COL_SIZE)
    np.testing.assert_array_equal(
        _pixels(_png(static, dpi=figures.IM2COL_DPI)), _pixels(picture.png())
    )


def test_the_im2col_alt_text_says_what_is_drawn():
    alt = figures.im2col_alt(_route("default"))
    assert alt.startswith(
        "Rectangles drawn to scale: Y_col (3 × 18) equals W_col (3 × 18) times X_col (18 × 18). "
        "Column 4, output pixel (n, i, j) = (0, 1, 1), is highlighted in X_col and Y_col."
    )
    assert "in each of its 2 channels: 9 pixels. Its gradient goes back to those pixels." in alt
    assert "read by 1 to 9 output pixels, whose gradients add" in alt
    assert alt.endswith("the 3 × 3 output y[0] with pixel (1, 1) marked.")
    padded = figures.im2col_alt(_route("stride 2, padding 1"))
    assert "padded by 1 to 7 × 7 (padding hatched)" in padded
    assert ": 6 pixels and 3 padding cells." in padded
    only_padding = figures.im2col_alt(_route("the widest, 8 × 1296"))
    assert "It reads only padding: its gradient reaches no pixel of x." in only_padding
    assert "No pixel is read by two output pixels" in only_padding
    assert all(len(figures.im2col_alt(_route(name))) < 700 for name in IM2COL_CASES)


# What a 390 px phone shows of the text column (tests/test_screens.py measures the page): an
# output's picture is scaled to 358 px, a widget's to 348 px, and neither is ever enlarged.
PHONE_OUTPUT_PX, PHONE_WIDGET_PX = 358, 348
MIN_LABEL_PX = 10  # the font size of a value written in a heat map's cell, on the phone


def _png_width(data: bytes) -> int:
    return PIL.Image.open(io.BytesIO(data)).size[0]


def _phone_px(text, dpi: float, png_width: int, column: int) -> float:
    return text.get_fontsize() / 72 * dpi * min(1.0, column / png_width)


def _inside_its_cell(text, image, renderer) -> bool:
    """The label's drawn box lies within its cell (cells are one unit of data apart)."""
    x, y = text.get_position()
    corners = image.axes.transData.transform([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)])
    return Bbox(corners).count_contains(text.get_window_extent(renderer).corners()) == 4


def test_the_outer_product_s_values_are_legible_on_a_phone():
    # At 8 in with 7 pt labels the page showed them 4 px tall on a phone.
    g, h = np.array([-0.26, -0.15, -0.0]), np.array([-2.33, -0.22, -1.25, -0.73])
    figure = figures.plot_outer_product(g, h)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi, bbox_inches="tight")  # as IPython
    width = _png_width(buffer.getvalue())
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        for text in [*ax.texts, ax.title]:
            shown = _phone_px(text, figure.dpi, width, PHONE_OUTPUT_PX)
            assert shown >= MIN_LABEL_PX, (text.get_text(), shown)
        for text in ax.texts:
            assert _inside_its_cell(text, ax.images[0], renderer), text.get_text()
    plt.close(figure)


def test_the_backward_stepper_s_values_are_legible_on_a_phone():
    picture = figures.VectorFigure()
    for values in (np.array([[1.19], [-1.06]]), -np.ones((4, 3)) * 1.06):
        picture.update(values, "∇W(1) J")
        width = _png_width(picture.png())
        renderer = picture.figure.canvas.get_renderer()
        for text in [t for t in picture.ax.texts if t.get_visible()]:
            shown = _phone_px(text, picture.figure.dpi, width, PHONE_WIDGET_PX)
            assert shown >= MIN_LABEL_PX, (text.get_text(), shown)
            assert _inside_its_cell(text, picture.image, renderer), text.get_text()
