"""The notation-bridges helpers: reading g out of the trace, and the comparison tables."""

import numpy as np
import pytest

import matgrad as mg
from matgrad.book import bridges

RNG = np.random.default_rng(0)
NET = mg.MLP([3, 4, 2], seed=0, activation="tanh", lam=0.1)
X, Y = RNG.normal(size=(3, 5)), RNG.normal(size=(2, 5))
GRADS = NET.gradients(X, Y)
RECORD = NET.forward(X, Y)


def test_running_g_is_the_gradient_each_line_names():
    g = bridges.running_g
    np.testing.assert_allclose(g(GRADS, 1, 2), (RECORD.yhat - Y) / 5)  # line 1, mean loss
    after_3 = g(GRADS, 3, 2)
    np.testing.assert_allclose(after_3, g(GRADS, 1, 2) * (1 - np.tanh(RECORD.a[2]) ** 2))
    np.testing.assert_allclose(GRADS.W[2], after_3 @ RECORD.h[1].T + 0.1 * NET.W[2])
    np.testing.assert_allclose(g(GRADS, 6, 2), NET.W[2].T @ after_3)
    np.testing.assert_allclose(g(GRADS, 6, 1), NET.W[1].T @ g(GRADS, 3, 1))
    assert g(GRADS, 6, 1).shape == X.shape


@pytest.mark.parametrize("line", [0, 2, 4, 5, 7])
def test_running_g_refuses_lines_that_do_not_set_g(line):
    with pytest.raises(ValueError, match="lines 1, 3 and 6"):
        bridges.running_g(GRADS, line, 1)


def test_running_g_refuses_a_layer_the_network_does_not_have():
    with pytest.raises(ValueError, match="no line 3 at layer k = 3"):
        bridges.running_g(GRADS, 3, 3)


def test_compare_says_yes_only_for_the_same_numbers_and_shape():
    A = RNG.normal(size=(2, 3))
    table = bridges.compare(
        [
            ("same", A, "A", A + 1e-14),
            ("wrong", A, "A + 1e-6", A + 1e-6),
            ("transposed", A, "Aᵀ", A.T),
            ("a number", 1.5, "1.5", 1.5),
        ],
        "theirs",
    )
    assert table.summary == (
        "theirs and Algorithm 6.4: 2 of 4 the same numbers; not wrong (differ by up to "
        "1.0e-06), transposed (shapes differ)"
    )
    lines = table.table.splitlines()
    assert lines[0].split() == ["theirs", "shape", "Algorithm", "6.4", "shape", "same", "numbers"]
    assert lines[2].endswith("yes") and "2×3" in lines[2]
    assert "NO: differ by up to 1.0e-06" in lines[3]
    assert lines[4].endswith("NO: shapes differ") and "3×2" in lines[4]
    assert lines[5].endswith("yes") and "scalar" in lines[5]


def test_a_comparison_shows_its_summary_and_folds_its_table():
    A = RNG.normal(size=(2, 3))
    found = bridges.compare([("dW", A, "g hᵀ", A), ("db <b>", A, "g", A)], "Ng")
    assert found.summary == "Ng and Algorithm 6.4: 2 of 2 the same numbers, same shapes"
    assert str(found) == f"{found.summary}\n{found.table}"
    page = found._repr_html_()
    assert page.startswith("<details><summary>Ng and Algorithm 6.4: 2 of 2")
    assert "<pre>" in page and "db &lt;b&gt;" in page  # the table, its text escaped


def test_differences_passes_a_right_gradient_and_fails_a_wrong_one():
    A = RNG.normal(size=(3, 2))

    def f(V):
        return float(np.sum(np.sin(V)))

    numerical = mg.numerical_gradient(f, A)
    table = bridges.differences([("right", np.cos(A), numerical), ("wrong", np.sin(A), numerical)])
    lines = table.splitlines()
    assert lines[2].startswith("right") and lines[2].endswith("PASS: relative error below 1e-06")
    assert lines[3].startswith("wrong") and "FAIL" in lines[3]
