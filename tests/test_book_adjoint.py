"""The adjoint probe: dJ measured along a direction dW, beside G : dW for a candidate G."""

import re

import ipywidgets as w
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_book_widgets import PHONE_COLUMN, _all_parts, _px, _shown, _text_px

import matgrad as mg
from matgrad.book import adjoint, widgets

sizes = st.integers(1, 6)


def _probe(layer, name, directions):
    G, _ = adjoint.candidate(name, layer.g, layer.h)
    return adjoint.probe(layer.cost, layer.W, G, directions)


def test_the_layers_g_is_the_gradient_of_its_cost_with_respect_to_a():
    layer = adjoint.example_layer(3, 4, seed=2)

    def J_of_a(a):
        return 0.5 * np.sum((np.tanh(a) - layer.y) ** 2)

    a = layer.W @ layer.h + layer.b
    np.testing.assert_allclose(layer.g, mg.numerical_gradient(J_of_a, a), rtol=1e-7)


@given(n_k=sizes, n_prev=sizes, seed=st.integers(0, 10_000), direction=st.integers(0, 10_000))
def test_g_h_transpose_agrees_in_every_random_direction(n_k, n_prev, seed, direction):
    layer = adjoint.example_layer(n_k, n_prev, seed)
    dW = adjoint.random_direction(layer.W.shape, direction)
    assert np.linalg.norm(dW) == pytest.approx(1)
    (row,) = _probe(layer, "g hᵀ", {"dW": dW})
    assert row.agree and row.difference < adjoint.AGREE
    assert row.predicted == pytest.approx(mg.frobenius(layer.g @ layer.h.T, dW))


@given(n=st.integers(2, 6), seed=st.integers(0, 10_000))
def test_h_g_transpose_fails_on_a_square_layer_and_twice_the_gradient_fails(n, seed):
    layer = adjoint.example_layer(n, n, seed)
    directions = {s: adjoint.random_direction(layer.W.shape, s) for s in range(3)}
    assert not all(row.agree for row in _probe(layer, "h gᵀ", directions))
    assert not all(row.agree for row in _probe(layer, "2 g hᵀ", directions))


def test_on_a_square_layer_h_g_transpose_agrees_only_along_the_diagonal():
    layer = adjoint.example_layer(3, 3, seed=0)
    for i in range(3):
        for j in range(3):
            (row,) = _probe(layer, "h gᵀ", {"E": adjoint.entry_direction((3, 3), i, j)})
            assert row.agree == (i == j), (i, j)


def test_single_entries_rebuild_the_gradient_entry_by_entry():
    layer = adjoint.example_layer(3, 4, seed=1)
    rebuilt = adjoint.rebuilt(layer.cost, layer.W)
    np.testing.assert_allclose(rebuilt, layer.g @ layer.h.T, rtol=0, atol=adjoint.AGREE)
    assert not np.allclose(rebuilt, (layer.h @ layer.g.T).T * 2)


def test_a_candidate_of_another_shape_cannot_be_paired_and_says_why():
    layer = adjoint.example_layer(3, 4, seed=0)
    directions = {"dW": adjoint.random_direction((3, 4), 0)}
    G, reason = adjoint.candidate("h gᵀ", layer.g, layer.h)
    assert G.shape == (4, 3) and reason == "h gᵀ is 4×3"
    (row,) = adjoint.probe(layer.cost, layer.W, G, directions)
    assert row.predicted is None and row.agree is None and row.difference is None
    assert "G : dW pairs matrices of one shape" in adjoint.verdict("h gᵀ", G, reason, (3, 4), [row])
    G, reason = adjoint.candidate("gᵀ h", layer.g, layer.h)
    assert G is None and "cannot be formed" in reason and "only where n_k = n_(k-1)" in reason
    square = adjoint.example_layer(3, 3, seed=0)
    G, reason = adjoint.candidate("gᵀ h", square.g, square.h)
    assert G.shape == (1, 1)  # a number, where a 3 × 3 matrix is needed
    with pytest.raises(ValueError, match="candidate must be one of"):
        adjoint.candidate("g h", layer.g, layer.h)


@pytest.mark.parametrize(
    ("args", "message"),
    [((3, 4, 3, 0), "i must be from 0 to 2"), ((3, 4, 0, -1), "j must be from 0 to 3")],
)
def test_entry_directions_refuse_entries_outside_the_layer(args, message):
    rows, columns, i, j = args
    with pytest.raises(ValueError, match=message):
        adjoint.entry_direction((rows, columns), i, j)
    with pytest.raises(ValueError, match="n_k must be a whole number"):
        adjoint.example_layer(0, 3)


def test_the_tables_text_shows_no_digit_of_rounding_noise():
    layer = adjoint.example_layer(3, 3, seed=0)
    directions = {"E_01": adjoint.entry_direction((3, 3), 0, 1)}
    (right,) = adjoint.table_rows(_probe(layer, "g hᵀ", directions))
    (wrong,) = adjoint.table_rows(_probe(layer, "h gᵀ", directions))
    assert right[3] == "< 1e-07" and right[4] == "yes"
    assert re.fullmatch(r"\de-\d\d", wrong[3]) and wrong[4] == "no"
    assert right[1] == wrong[1] and re.fullmatch(r"[+-]\d\.\d{4}", right[1])


# --- the widget -----------------------------------------------------------------------------


def test_the_probe_follows_its_controls():
    probe = widgets.make_adjoint_probe()
    assert probe.agrees is True and len(probe.rows) == adjoint.DIRECTIONS
    assert repr(probe) == "AdjointProbe(3 × 4 layer, G = g hᵀ, random directions: agrees in 3 of 3)"
    first = probe.summary.value
    probe.seed.value = 5
    assert probe.summary.value != first and "random, seed 5" in probe.summary.value
    probe.candidate.value = "h gᵀ"  # 4 × 3 beside a 3 × 4 W
    assert probe.agrees is None and "cannot be paired" in probe.summary.value
    assert "pairs matrices of one shape" in probe.summary.value
    probe.shape.value = "3 × 3, square"  # now it can be paired, and it disagrees
    assert probe.agrees is False and "✗" in probe.summary.value
    probe.directions.value = widgets.ENTRY
    assert probe.where.children == (probe.i, probe.j)
    probe.i.value, probe.j.value = 1, 1  # the diagonal: h gᵀ and g hᵀ coincide there
    assert [row.label for row in probe.rows] == ["E_11"] and probe.agrees is True
    probe.j.value = 2
    assert probe.agrees is False
    shown = _shown(probe.summary.value)
    assert "rebuild a 3 × 3 matrix that differs from g hᵀ by < 1e-07" in shown
    probe.shape.value = "3 × 4"
    probe.candidate.value = "g hᵀ"
    assert probe.agrees is True and probe.j.max == 3


def test_entry_sliders_are_clamped_to_the_layer():
    probe = widgets.make_adjoint_probe()
    probe.directions.value = widgets.ENTRY
    probe.i.value, probe.j.value = 2, 3
    probe.shape.value = "4 × 3"
    assert (probe.i.max, probe.j.max) == (3, 2) and probe.j.value == 2
    assert probe.rows[0].label == "E_22"


@pytest.mark.parametrize(
    ("control", "value"), [("shape", None), ("candidate", None), ("directions", None)]
)
def test_a_value_set_from_code_is_a_message_not_a_traceback(control, value):
    probe = widgets.make_adjoint_probe()
    good = getattr(probe, control).value
    getattr(probe, control).value = value  # must not raise
    assert "Not possible" in probe.summary.value and probe.rows == [] and probe.agrees is None
    assert repr(probe).endswith(": nothing measured)")
    getattr(probe, control).value = good
    assert probe.agrees is True and "Not possible" not in probe.summary.value


def test_the_probe_fits_a_phone_and_names_its_controls():
    probe = widgets.make_adjoint_probe()
    parts = [*_all_parts(probe), probe.i, probe.j]
    for part in parts:
        for length in (part.layout.width, part.layout.min_width):
            assert _px(length) <= PHONE_COLUMN, (part, length)
        if isinstance(part, w.HBox):
            assert part.layout.flex_flow == "row wrap"
    for control in (probe.shape, probe.candidate, probe.directions, probe.seed, probe.i, probe.j):
        assert _text_px(control.description) + 2 <= _px(control.style.description_width)
