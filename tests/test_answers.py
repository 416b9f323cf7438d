"""Reading a typed answer (matgrad.book.notation, matgrad.book.answers): the book's notation is
read as the numpy it means, values are numpy's, clashing shapes are explained, and anything
else is refused before it is computed, with nothing of the reader's text ever executed."""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import time

import numpy as np
import pytest

from matgrad.book.answers import MAX_ELEMENTS, ShapeClash, read
from matgrad.book.notation import MAX_LENGTH, Invalid, translate
from matgrad.book.problems import QUESTIONS

WEIGHT = QUESTIONS["weight"].symbols
PRE = QUESTIONS["pre"].symbols
BATCH = QUESTIONS["batch-weight"].symbols


@pytest.fixture
def values():
    """The weight question's problem 0: g 3 × 1, h(k-1) 5 × 1, W(k) 3 × 5."""
    return QUESTIONS["weight"].problem(0).values


@pytest.mark.parametrize(
    ("text", "python", "symbols"),
    [
        ("g @ h.T + lam * W", "g @ h.T + lam * W", WEIGHT),
        ("g hᵀ + λ W", "g @ h.T + lam * W", WEIGHT),
        ("g h^T + λW", "g @ h.T + lam * W", WEIGHT),
        ("g h(k-1)ᵀ + λ W(k)", "g @ h.T + lam * W", WEIGHT),
        ("g h^{(k-1)}^T + λ W^(k)", "g @ h.T + lam * W", WEIGHT),
        ("g h_{k-1}' + λ·W", "g @ h.T + lam * W", WEIGHT),
        ("g · hᵀ + 2λ W", "g @ h.T + 2 * lam * W", WEIGHT),
        ("½ λ W", "1 / 2 * lam * W", WEIGHT),
        ("−g h⊤", "-g @ h.T", WEIGHT),
        ("(g hᵀ)ᵀ", "(g @ h.T).T", WEIGHT),
        ("W(k)ᵀ g", "W.T @ g", WEIGHT),
        ("W^-1 g", "np.linalg.inv(W) @ g", WEIGHT),
        ("(Wᵀ)⁻¹ g", "np.linalg.inv(W.T) @ g", WEIGHT),
        ("g ⊙ f'(a)", "g * fprime(a)", PRE),
        ("g ∘ f′(a(k))", "g * fprime(a)", PRE),
        ("g * (1 - f(a)²)", "g * (1 - f(a) ** 2)", PRE),
        ("g ⊙ (1 − tanh(a)^2)", "g * (1 - tanh(a) ** 2)", PRE),
        ("(1/m) G Hᵀ + λ W", "1 / m * G @ H.T + lam * W", BATCH),
        ("1/m G H(k-1)ᵀ + λW(k)", "1 / m * G @ H.T + lam * W", BATCH),
        ("G Hᵀ / m", "G @ H.T / m", BATCH),
        ("numpy.outer(g, h)", "numpy.outer(g, h)", WEIGHT),
        (
            "np.sum(g * h.T, axis=0, keepdims=True)",
            "np.sum(g * h.T, axis=0, keepdims=True)",
            WEIGHT,
        ),
    ],
)
def test_notation_is_read_as_the_numpy_it_means(text, python, symbols):
    assert read(text, symbols).python == python


def test_values_are_numpys(values):
    g, h, W, lam = values["g"], values["h"], values["W"], values["lam"]
    truth = g @ h.T + lam * W
    for text in (
        "g hᵀ + λ W",
        "np.outer(g, h) + lam * W",
        "g * h.T + lam * W",
        "np.dot(g, h.T) + lam*W",
    ):
        np.testing.assert_allclose(read(text, WEIGHT).evaluate(values), truth, rtol=1e-14)
    assert read("np.linalg.pinv(W)", WEIGHT).evaluate(values).shape == (5, 3)
    assert read("np.sum(W, axis=1, keepdims=True)", WEIGHT).evaluate(values).shape == (3, 1)
    assert np.shape(read("np.mean(W)", WEIGHT).evaluate(values)) == ()
    np.testing.assert_array_equal(
        read("[[1, 2], [3, -4]]", WEIGHT).evaluate(values), [[1, 2], [3, -4]]
    )


def test_answers_name_the_names_they_use():
    assert read("g hᵀ + λ W", WEIGHT).names == {"g", "h", "lam", "W"}
    assert read("np.array([[1.5]])", WEIGHT).names == frozenset()


@pytest.mark.parametrize(
    ("text", "shapes"),
    [
        ("W @ g", ("3 × 5", "3 × 1", "(5)", "(3)")),
        ("h @ g.T + lam * W", ("5 × 3", "3 × 5")),
        ("g * h", ("3 × 1", "5 × 1")),
        ("lam @ W", ("a number", "3 × 5")),
        ("np.linalg.inv(W)", ("3 × 5", "square")),
    ],
)
def test_clashing_shapes_are_explained(values, text, shapes):
    with pytest.raises(ShapeClash) as error:
        read(text, WEIGHT).evaluate(values)
    for shape in shapes:
        assert shape in str(error.value)


def test_an_array_too_large_is_refused_before_numpy_builds_it(values, monkeypatch):
    calls = []
    outer = np.outer
    monkeypatch.setattr(
        np, "outer", lambda a, b: calls.append(np.size(a) * np.size(b)) or outer(a, b)
    )
    expression = read("np.outer(np.outer(W, W), np.outer(W, W))", WEIGHT)
    with pytest.raises(Invalid, match="would be 225 × 225"):
        expression.evaluate(values)
    assert calls == [225, 225]  # the two inner products only: the large one was never computed
    assert max(calls) <= MAX_ELEMENTS


def test_evaluation_stops_at_its_budget(values):
    with pytest.raises(Invalid, match="took more than"):
        read("g @ h.T", WEIGHT).evaluate(values, budget=-1.0)


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('touch pwned')",
    "g.__class__",
    "g.__class__.__mro__[1].__subclasses__()",
    "open('x')",
    "open('pwned', 'w').write('x')",
    "np.save('pwned', g)",
    "np.ones((10**6, 10**6))",
    "np.zeros((3, 5))",
    "np.empty(10**9)",
    "lambda: 0",
    "[x for x in g]",
    "{x: 1 for x in g}",
    "sum(x for x in g)",
    "9**9**9",
    "g ** 1000",
    "10**10 * g",
    "(" * 1000 + "g" + ")" * 1000,
    "(" * 13 + "g" + ")" * 13,
    "g" * 100_000,
    "а",  # Cyrillic a
    "g hᵀ + λ W(k)".replace("g", "ɡ"),  # Latin script g, a look-alike
    "ｇ ｈᵀ",  # fullwidth letters
    "g" + ".T" * 100,
    "f'{g}'",
    'f"{g}"',
    "(y := g)",
    "np.sum(*g)",
    "np.sum(g, dtype=object)",
    "np.sum(g, out=W)",
    "np.outer(g, h, out=W)",
    "g[0]",
    "g.shape",
    "g.sum()",
    "g if lam else W",
    "g < h",
    "g; h",
    "import os",
    "exec('1')",
    "eval('g')",
    "globals()",
    "np.linalg.norm(W)",
    "np.lib",
    "np",
    "1j * g",
    "'text'",
    "g @ h.T + lambda * W",
    "",
    "   ",
    "g \\cdot h",
    "g $ h",
    "1e999 * g",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:30]))
def test_hostile_answers_are_invalid_fast_and_run_nothing(text, values, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError(f"called with {args!r}")

    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "reader text compiled to code"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    for name in ("open", "eval", "exec"):
        monkeypatch.setattr(builtins, name, refuse)
    monkeypatch.setattr(builtins, "compile", only_ast)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    start = time.perf_counter()
    with pytest.raises(Invalid) as error:
        read(text, WEIGHT).evaluate(values)
    assert time.perf_counter() - start < 1.0
    assert str(error.value)  # says what was not understood
    assert list(tmp_path.iterdir()) == []


def test_messages_say_what_was_not_understood_and_how_to_write_it():
    def message(text, symbols=WEIGHT):
        with pytest.raises(Invalid) as error:
            read(text, symbols)
        return str(error.value)

    assert "`lambda`" in message("lambda: 0") and "lam" in message("lambda: 0")
    assert "CYRILLIC SMALL LETTER A" in message("а")
    assert "FULLWIDTH LATIN SMALL LETTER G" in message("ｇ")
    assert "h(k-1) (h)" in message("x + g") and "W(k) (W)" in message("x + g")
    assert f"at most {MAX_LENGTH}" in message("g" * 100_000)
    assert "`.T`" in message("g.sum()")
    assert "underscore" in message("g.__class__")
    assert "small constant exponent" in message("9**9**9")
    assert "indexing" in message("g[0]")
    assert "axis=" in message("np.sum(g, dtype=object)")


def test_translation_never_reads_spellings_inside_other_names():
    # h(k-1) is a name only where it stands alone; np.h(k) or xh(k-1) are not rewritten.
    with pytest.raises(Invalid):
        translate("xh(k-1)", WEIGHT)
    assert translate("h(k) h(k-1)", WEIGHT) == "hk @ h"
