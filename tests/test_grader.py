"""The grader (matgrad.book.grader): typed answers graded against the cost itself, with the
mistake named.

A corpus of typed answers, each with the verdict and mistake it must get; the messages of
shape errors; hostile input; bad arguments; and two properties: a value 5 % or more off the
true gradient never passes, and an expression equal to the truth by algebra always does.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matgrad.book import grader
from matgrad.book.grader import INVALID, MISTAKES_CATALOGUE, QUESTIONS, grade, grade_function

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"
BOOK = Path(__file__).resolve().parent.parent / "book"

# question, answer, verdict, mistake
CORPUS = [
    # --- weight: ∇W(k) J = g h(k-1)ᵀ + λ W(k) ---------------------------------------------
    ("weight", "g @ h.T + lam * W", PASS, None),
    ("weight", "g hᵀ + λ W", PASS, None),
    ("weight", "g h(k-1)ᵀ + λ W(k)", PASS, None),
    ("weight", "g h^T + λW", PASS, None),
    ("weight", "g h' + lam W", PASS, None),
    ("weight", "np.outer(g, h) + lam * W", PASS, None),
    ("weight", "numpy.outer(g, h) + lam*W", PASS, None),
    ("weight", "g * h.T + lam * W", PASS, None),  # broadcasting columns: the outer product
    ("weight", "np.dot(g, h.T) + lam * W", PASS, None),
    ("weight", "(h @ g.T).T + lam * W", PASS, None),
    ("weight", "np.transpose(h @ g.T) + lam * W", PASS, None),
    ("weight", "(h gᵀ + λ Wᵀ)ᵀ", PASS, None),
    ("weight", "g · hᵀ + λ · W", PASS, None),
    ("weight", "np.matmul(g, np.transpose(h)) + np.multiply(lam, W)", PASS, None),
    ("weight", "g hᵀ + ½ (2λ) W", PASS, None),
    ("weight", "np.add(g @ h_prev.T, lam * W)", PASS, None),
    ("weight", "h @ g.T", FAIL, "h_g_transpose"),
    ("weight", "h gᵀ + λ Wᵀ", FAIL, "h_g_transpose"),
    ("weight", "h @ g.T + lam * W", FAIL, "h_g_transpose"),  # clashes; named on square problems
    ("weight", "g @ h.T", FAIL, "missing_lambda"),
    ("weight", "g hᵀ", FAIL, "missing_lambda"),
    ("weight", "np.outer(g, h)", FAIL, "missing_lambda"),
    ("weight", "g hᵀ + 2λW", FAIL, "double_lambda"),
    ("weight", "g @ h.T + 2 * lam * W", FAIL, "double_lambda"),
    ("weight", "-(g @ h.T + lam * W)", FAIL, "sign"),
    ("weight", "−g hᵀ − λ W", FAIL, "sign"),
    ("weight", "g h(k)ᵀ + λ W(k)", FAIL, "wrong_layer"),
    ("weight", "g @ hk.T", FAIL, "wrong_layer"),
    ("weight", "g * h + lam * W", FAIL, "wrong_product"),
    ("weight", "g ⊙ h", FAIL, "wrong_product"),
    ("weight", "g.T @ h", FAIL, None),
    ("weight", "np.sum(g @ h.T, axis=1)", FAIL, None),
    ("weight", "g", FAIL, None),
    ("weight", "np.array([[0.5]])", FAIL, None),  # typed-in numbers
    ("weight", "[[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]", FAIL, None),
    ("weight", "np.array([[0.1, 0.2, 0.3, 0.4, 0.5]] * 3)", INVALID, None),  # a list times 3
    ("weight", "0 * g @ h.T + 0.5", FAIL, None),
    # --- bias: ∇b(k) J = g ---------------------------------------------------------------
    ("bias", "g", PASS, None),
    ("bias", "np.sum(g, axis=1, keepdims=True)", PASS, None),
    ("bias", "np.mean(g, axis=1, keepdims=True)", PASS, None),
    ("bias", "g + 0 * lam * b", PASS, None),
    ("bias", "g + lam * b", FAIL, "regularized_bias"),
    ("bias", "g + λ b(k)", FAIL, "regularized_bias"),
    ("bias", "-g", FAIL, "sign"),
    ("bias", "g.T", FAIL, "h_g_transpose"),
    ("bias", "np.sum(g)", FAIL, None),
    ("bias", "np.sum(g, axis=1)", FAIL, None),
    ("bias", "g hᵀ", FAIL, None),
    # --- back: ∇h(k-1) J = W(k)ᵀ g -------------------------------------------------------
    ("back", "W.T @ g", PASS, None),
    ("back", "W(k)ᵀ g", PASS, None),
    ("back", "W^T g", PASS, None),
    ("back", "np.dot(W.T, g)", PASS, None),
    ("back", "(g.T @ W).T", PASS, None),
    ("back", "np.transpose(g.T @ W)", PASS, None),
    ("back", "np.sum(W * g, axis=0, keepdims=True).T", PASS, None),
    ("back", "W @ g", FAIL, "dropped_transpose"),
    ("back", "W(k) g", FAIL, "dropped_transpose"),
    ("back", "g.T @ W", FAIL, "wrong_side"),
    ("back", "gᵀ W(k)", FAIL, "wrong_side"),
    ("back", "np.linalg.pinv(W) @ g", FAIL, "inverse_for_transpose"),
    ("back", "np.linalg.inv(W) @ g", FAIL, "inverse_for_transpose"),
    ("back", "W⁻¹ g", FAIL, "inverse_for_transpose"),
    ("back", "-W.T @ g", FAIL, "sign"),
    ("back", "W.T * g", FAIL, "wrong_product"),
    # --- pre: ∇a(k) J = g ⊙ f′(a(k)) -----------------------------------------------------
    ("pre", "g * fprime(a)", PASS, None),
    ("pre", "g ⊙ f'(a)", PASS, None),
    ("pre", "g ⊙ f′(a(k))", PASS, None),
    ("pre", "g * (1 - np.tanh(a)**2)", PASS, None),
    ("pre", "g * (1 - f(a)**2)", PASS, None),
    ("pre", "g / np.cosh(a)**2", PASS, None),
    ("pre", "g ∘ (1 − tanh(a)²)", PASS, None),
    ("pre", "g", FAIL, "missing_f_prime"),
    ("pre", "1 * g", FAIL, "missing_f_prime"),
    ("pre", "g * f(a)", FAIL, "f_for_f_prime"),
    ("pre", "g ⊙ f(a(k))", FAIL, "f_for_f_prime"),
    ("pre", "-g * fprime(a)", FAIL, "sign"),
    ("pre", "g @ fprime(a).T", FAIL, "wrong_product"),
    ("pre", "g fprime(a)", FAIL, None),
    ("pre", "g * (1 - a**2)", FAIL, None),
    # --- batch-weight: ∇W(k) J = (1/m) G Hᵀ + λ W(k) -------------------------------------
    ("batch-weight", "G @ H.T / m + lam * W", PASS, None),
    ("batch-weight", "(1/m) G Hᵀ + λ W", PASS, None),
    ("batch-weight", "1/m G H(k-1)ᵀ + λ W(k)", PASS, None),
    ("batch-weight", "(G @ H.T + m * lam * W) / m", PASS, None),
    ("batch-weight", "G @ H.T + lam * W", FAIL, "sum_for_mean"),
    ("batch-weight", "G Hᵀ + λ W", FAIL, "sum_for_mean"),
    ("batch-weight", "G @ H.T / m**2 + lam * W", FAIL, "double_mean"),
    ("batch-weight", "(1/m) (1/m) G Hᵀ + λ W", FAIL, "double_mean"),
    ("batch-weight", "(G @ H.T + lam * W) / m", FAIL, "mean_penalty"),
    ("batch-weight", "G Hᵀ / m + λ W / m", FAIL, "mean_penalty"),
    ("batch-weight", "G Hᵀ + m λ W", FAIL, "summed_cost"),
    ("batch-weight", "G @ H.T + m * lam * W", FAIL, "summed_cost"),
    ("batch-weight", "G @ H.T / m", FAIL, "missing_lambda"),
    ("batch-weight", "G @ H.T / m + 2 * lam * W", FAIL, "double_lambda"),
    ("batch-weight", "H @ G.T / m", FAIL, "h_g_transpose"),
    ("batch-weight", "-(G @ H.T / m + lam * W)", FAIL, "sign"),
    ("batch-weight", "G * H / m + lam * W", FAIL, "wrong_product"),
    # --- row-weight: ∇W J = Gᵀ X; row-input: ∇X J = G W ---------------------------------
    ("row-weight", "G.T @ X", PASS, None),
    ("row-weight", "Gᵀ X", PASS, None),
    ("row-weight", "(X.T @ G).T", PASS, None),
    ("row-weight", "np.dot(G.T, X)", PASS, None),
    ("row-weight", "X.T @ G", FAIL, "h_g_transpose"),
    ("row-weight", "Xᵀ G", FAIL, "h_g_transpose"),
    ("row-weight", "G @ X.T", FAIL, "column_rule"),
    ("row-weight", "-G.T @ X", FAIL, "sign"),
    ("row-input", "G @ W", PASS, None),
    ("row-input", "G W", PASS, None),
    ("row-input", "(W.T @ G.T).T", PASS, None),
    ("row-input", "W.T @ G.T", FAIL, "h_g_transpose"),
    ("row-input", "G @ W.T", FAIL, "column_rule"),
    ("row-input", "W.T @ G", FAIL, "column_rule"),
    ("row-input", "G @ np.linalg.pinv(W.T)", FAIL, "inverse_for_transpose"),
    ("row-input", "-G W", FAIL, "sign"),
    # --- softmax-ce: ∇z J = p − y --------------------------------------------------------
    ("softmax-ce", "p - y", PASS, None),
    ("softmax-ce", "softmax(z) - y", PASS, None),
    ("softmax-ce", "np.exp(z) / np.sum(np.exp(z)) - y", PASS, None),
    ("softmax-ce", "exp(z) / np.sum(exp(z), axis=0, keepdims=True) − y", PASS, None),
    ("softmax-ce", "y - p", FAIL, "sign"),
    ("softmax-ce", "-y / p", FAIL, "gradient_in_yhat"),
    ("softmax-ce", "np.divide(-y, p)", FAIL, "gradient_in_yhat"),
    ("softmax-ce", "ŷ − y", PASS, None),
    ("softmax-ce", "yhat - y", PASS, None),
    ("softmax-ce", "−y / ŷ", FAIL, "gradient_in_yhat"),
    ("softmax-ce", "(p - y).T", FAIL, "h_g_transpose"),
    ("softmax-ce", "p", FAIL, None),
    ("softmax-ce", "p - 1", FAIL, None),
    # --- linear-weight: Y = X Wᵀ + b, W d_out × d_in (nn.Linear); ∇W J = Gᵀ X ------------
    ("linear-weight", "G^T X", PASS, None),
    ("linear-weight", "G.T @ X", PASS, None),
    ("linear-weight", "Gᵀ X", PASS, None),
    ("linear-weight", "np.transpose(X.T @ G)", PASS, None),
    ("linear-weight", "Gᵀ X + 0 * W", PASS, None),
    ("linear-weight", "X.T @ G", FAIL, "h_g_transpose"),
    ("linear-weight", "Xᵀ G", FAIL, "h_g_transpose"),
    ("linear-weight", "G @ X.T", FAIL, "column_rule"),  # clashes; named on square problems
    ("linear-weight", "G Xᵀ", FAIL, "column_rule"),
    ("linear-weight", "Gᵀ X / m", FAIL, "double_mean"),
    ("linear-weight", "(1/m) G.T @ X", FAIL, "double_mean"),
    ("linear-weight", "-G.T @ X", FAIL, "sign"),
    ("linear-weight", "Gᵀ ⊙ X", FAIL, "wrong_product"),
    ("linear-weight", "W", FAIL, None),
    ("linear-weight", "X.T @ X", FAIL, None),
    # --- attention-v: O = P V; ∇V J = Pᵀ G -----------------------------------------------
    ("attention-v", "P^T G", PASS, None),
    ("attention-v", "P.T @ G", PASS, None),
    ("attention-v", "Pᵀ G", PASS, None),
    ("attention-v", "np.transpose(P) @ G", PASS, None),
    ("attention-v", "P'G", PASS, None),
    ("attention-v", "G.T @ P", FAIL, "h_g_transpose"),
    ("attention-v", "Gᵀ P", FAIL, "h_g_transpose"),
    ("attention-v", "P @ G", FAIL, "product_sides"),
    ("attention-v", "P G", FAIL, "product_sides"),
    ("attention-v", "G Pᵀ", FAIL, "product_sides"),
    ("attention-v", "np.linalg.pinv(P) @ G", FAIL, "inverse_for_transpose"),
    ("attention-v", "−Pᵀ G", FAIL, "sign"),
    ("attention-v", "V", FAIL, None),
    ("attention-v", "P.T @ P @ V", FAIL, None),
    # --- attention-p: O = P V; ∇P J = G Vᵀ (before the softmax) ---------------------------
    ("attention-p", "G V^T", PASS, None),
    ("attention-p", "G @ V.T", PASS, None),
    ("attention-p", "G Vᵀ", PASS, None),
    ("attention-p", "np.transpose(V @ G.T)", PASS, None),
    ("attention-p", "V @ G.T", FAIL, "h_g_transpose"),
    ("attention-p", "V Gᵀ", FAIL, "h_g_transpose"),
    (
        "attention-p",
        "P * (G @ V.T - np.sum(P * (G @ V.T), axis=1, keepdims=True))",
        FAIL,
        "through_softmax",
    ),
    ("attention-p", "P ⊙ (G Vᵀ)", FAIL, "through_softmax"),
    ("attention-p", "G @ V", FAIL, "product_sides"),
    ("attention-p", "Gᵀ V", FAIL, "product_sides"),
    ("attention-p", "G @ np.linalg.pinv(V)", FAIL, "inverse_for_transpose"),
    ("attention-p", "-G Vᵀ", FAIL, "sign"),
    ("attention-p", "P", FAIL, None),
    ("attention-p", "G Vᵀ - 1", FAIL, None),
    # --- embedding-weight: Y = E W, E = onehot(indices); ∇W J = Eᵀ G ---------------------
    ("embedding-weight", "E^T G", PASS, None),
    ("embedding-weight", "E.T @ G", PASS, None),
    ("embedding-weight", "Eᵀ G", PASS, None),
    ("embedding-weight", "np.transpose(E) @ G", PASS, None),
    ("embedding-weight", "(G.T @ E).T", PASS, None),
    ("embedding-weight", "G.T @ E", FAIL, "h_g_transpose"),
    ("embedding-weight", "Gᵀ E", FAIL, "h_g_transpose"),
    ("embedding-weight", "np.linalg.pinv(E) @ G", FAIL, "inverse_for_transpose"),  # averages
    ("embedding-weight", "G", FAIL, "rows_for_table"),
    ("embedding-weight", "1 * G", FAIL, "rows_for_table"),
    ("embedding-weight", "E @ G", FAIL, "product_sides"),
    ("embedding-weight", "-E.T @ G", FAIL, "sign"),
    ("embedding-weight", "W", FAIL, None),
    ("embedding-weight", "E.T @ G / 2", FAIL, None),
    # --- hostile or unreadable: INVALID --------------------------------------------------
    ("weight", "__import__('os')", INVALID, None),
    ("weight", "g.__class__", INVALID, None),
    ("weight", "open('x')", INVALID, None),
    ("weight", "lambda: 0", INVALID, None),
    ("weight", "[x for x in g]", INVALID, None),
    ("weight", "9**9**9", INVALID, None),
    ("weight", "np.ones((10**6, 10**6))", INVALID, None),
    ("weight", "np.zeros((3, 5))", INVALID, None),
    ("back", "а", INVALID, None),  # Cyrillic
    ("back", "Ｗᵀ g", INVALID, None),  # fullwidth
    ("weight", "f'{g}'", INVALID, None),
    ("weight", "(W := g)", INVALID, None),
    ("weight", "np.sum(*g)", INVALID, None),
    ("weight", "np.sum(g, where=True)", INVALID, None),
    ("weight", "np.outer(np.outer(W, W), np.outer(W, W))", INVALID, None),
]


def _id(case) -> str:
    return f"{case[0]}: {case[1][:40]}"


@pytest.mark.parametrize(("question", "answer", "verdict", "mistake"), CORPUS, ids=map(_id, CORPUS))
def test_the_corpus_is_graded_as_expected(question, answer, verdict, mistake):
    result = grade(question, answer)
    assert (result.verdict, result.mistake) == (verdict, mistake), str(result)
    assert result.message
    if verdict == PASS:
        assert len(result.reports) == grader.PROBLEMS
        assert all(report.verdict == PASS for report in result.reports)
    if verdict == FAIL and mistake is None:
        assert "matches no classic mistake" in result.message or "square" in result.message
    if mistake is not None:
        hint, link = MISTAKES_CATALOGUE[mistake]
        assert hint in result.message and result.link == link


def test_the_corpus_is_large_and_covers_every_question_and_mistake():
    assert len(CORPUS) >= 80
    assert {case[0] for case in CORPUS} == set(QUESTIONS)
    assert {case[3] for case in CORPUS} - {None} == set(MISTAKES_CATALOGUE)
    named = {name for question in QUESTIONS.values() for name, _, _ in question.mistakes}
    assert named == set(MISTAKES_CATALOGUE)
    spellings = Counter(case[3] for case in CORPUS if case[3] is not None)
    assert min(spellings.values()) >= 2, spellings  # each mistake typed in several ways


@pytest.mark.parametrize(
    ("question", "answer", "words"),
    [
        ("weight", "h @ g.T", ["5 × 3", "3 × 5", "W(k) is n_k × n_(k-1)"]),
        ("weight", "h @ g.T + lam * W", ["5 × 3", "3 × 5", "entry by entry"]),
        ("weight", "g", ["3 × 1", "3 × 5"]),
        ("bias", "np.sum(g, axis=1)", ["3", "3 × 1", "keepdims=True"]),
        ("back", "W @ g", ["3 × 5", "3 × 1", "columns on the left (5)", "rows on the right (3)"]),
        ("back", "g.T @ W", ["1 × 5", "5 × 1", "h(k-1) is n_(k-1) × 1"]),
        ("back", "np.linalg.inv(W) @ g", ["3 × 5", "square"]),
        ("row-input", "W.T @ G.T", ["5 × 6", "6 × 5", "X is m × n_in"]),
        ("batch-weight", "G * H / m + lam * W", ["3 × 6", "5 × 6"]),
        ("linear-weight", "G @ X.T", ["5 × 3", "4 × 5", "columns on the left (3)"]),
        ("linear-weight", "X.T @ G", ["4 × 3", "3 × 4", "W is d_out × d_in"]),
        ("attention-v", "P @ G", ["3 × 5", "3 × 4", "rows on the right (3)"]),
        ("attention-v", "G.T @ P", ["4 × 5", "5 × 4", "V is S × d_v"]),
        ("attention-p", "V @ G.T", ["5 × 3", "3 × 5", "P is L × S"]),
        ("embedding-weight", "E @ G", ["6 × 5", "6 × 3", "columns on the left (5)"]),
        ("embedding-weight", "G", ["6 × 3", "5 × 3", "W is num × dim"]),
    ],
)
def test_shape_errors_name_the_shapes(question, answer, words):
    result = grade(question, answer)
    assert result.verdict == FAIL
    for word in words:
        assert word in result.message, result.message


def test_numbers_typed_in_fail_even_the_right_ones_of_a_problem():
    truth = QUESTIONS["weight"].problem(0).truth
    rows = ", ".join("[" + ", ".join(f"{x:.6g}" for x in row) + "]" for row in truth)
    answer = f"np.array([{rows}])"
    assert len(answer) <= 300
    result = grade("weight", answer)
    assert result.verdict == FAIL and result.mistake is None
    assert "uses none of the question's names" in result.message
    # right on problem 0, the one a reader can see, and wrong on a drawn one
    assert re.search(r"\(problem [1-9]", result.message), result.message


def test_a_grade_prints_as_text_and_html():
    result = grade("weight", "h @ g.T")
    text = str(result)
    assert text.startswith("FAIL (h_g_transpose): ")
    assert "Read as: h @ g.T" in text and "See: why-transpose.html#" in text
    page = result._repr_html_()
    assert "<b>FAIL (h_g_transpose)</b>" in page and 'href="why-transpose.html#' in page
    hostile = grade("weight", "<script>")
    assert hostile.verdict == INVALID and "<script>" not in hostile._repr_html_()


def test_every_link_is_a_section_of_the_book():
    # The site's ids: docutils' make_id of the heading's text, maths as its TeX source
    # (the pages link each other by myst's slugs, which differ where a heading has maths).
    from docutils.nodes import make_id

    links = {link for _, link in MISTAKES_CATALOGUE.values()}
    links |= {question.section for question in QUESTIONS.values()}
    for link in links:
        page, _, section = link.partition("#")
        assert page.endswith(".html") and section, link
        cells = json.loads((BOOK / page.replace(".html", ".ipynb")).read_text())["cells"]
        markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        headings = re.findall(r"^#{1,3} (.+)$", markdown, re.M)
        assert section in {make_id(heading.replace("$", "")) for heading in headings}, link


def test_grading_is_deterministic():
    first, second = grade("back", "W.T @ g"), grade("back", "W.T @ g")
    assert (first.verdict, first.message) == (second.verdict, second.message)
    assert [r.summary() for r in first.reports] == [r.summary() for r in second.reports]


def test_hostile_answers_are_invalid_within_a_second_and_write_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError(f"called with {args!r}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "system", refuse)
    for answer in (
        "__import__('os').system('touch pwned')",
        "open('pwned', 'w').write('x')",
        "np.save('pwned', g)",
        "(" * 1000 + "g" + ")" * 1000,
        "g" * 100_000,
        "g" + ".T" * 200,
    ):
        start = time.perf_counter()
        result = grade("weight", answer)
        assert result.verdict == INVALID and result.message
        assert time.perf_counter() - start < 1.0
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"unknown question 'weights'.*'weight', 'bias'"):
        grade("weights", "g")
    with pytest.raises(ValueError, match="unknown question"):
        grade(None, "g")
    with pytest.raises(TypeError, match="answer must be a string"):
        grade("weight", 3)
    with pytest.raises(TypeError, match="answer must be a string"):
        grade("weight", b"g @ h.T")


# --- properties -------------------------------------------------------------------------

TRUTH = {  # the gradient each question asks for, as a function of a problem's values
    "weight": lambda v: v["g"] @ v["h"].T + v["lam"] * v["W"],
    "bias": lambda v: v["g"],
    "back": lambda v: v["W"].T @ v["g"],
    "pre": lambda v: v["g"] * v["fprime"](v["a"]),
    "batch-weight": lambda v: v["G"] @ v["H"].T / v["m"] + v["lam"] * v["W"],
    "row-weight": lambda v: v["G"].T @ v["X"],
    "row-input": lambda v: v["G"] @ v["W"],
    "softmax-ce": lambda v: v["yhat"] - v["y"],
    "linear-weight": lambda v: v["G"].T @ v["X"],
    "attention-v": lambda v: v["P"].T @ v["G"],
    "attention-p": lambda v: v["G"] @ v["V"].T,
    "embedding-weight": lambda v: v["E"].T @ v["G"],
}


@given(
    question=st.sampled_from(sorted(QUESTIONS)),
    off=st.floats(0.05, 3.0),
    seed=st.integers(0, 2**16),
    sparse=st.booleans(),
)
def test_a_value_five_percent_off_the_truth_never_passes(question, off, seed, sparse):
    def perturbed(values):
        truth = TRUTH[question](values)
        rng = np.random.default_rng(seed)
        direction = rng.normal(size=truth.shape)
        if sparse:  # one entry off, the others right
            direction = np.zeros(truth.shape)
            direction.flat[rng.integers(truth.size)] = rng.choice([-1.0, 1.0])
        direction /= np.max(np.abs(direction))
        return truth + off * np.max(np.abs(truth)) * direction

    result = grade_function(question, perturbed, text=f"{off} {seed} {sparse}")
    assert result.verdict != PASS, str(result)


SPELLINGS = {  # each term of the truth, in ways equal by algebra
    "weight": [
        ["g @ h.T", "np.outer(g, h)", "g * h.T", "(h @ g.T).T", "g hᵀ", "np.dot(g, h.T)"],
        ["lam * W", "λ W", "W * lam", "(lam * W.T).T", "np.multiply(W, lam)"],
    ],
    "bias": [["g", "np.sum(g, axis=1, keepdims=True)", "g.T.T", "(g.T).T"]],
    "back": [
        [
            "W.T @ g",
            "W(k)ᵀ g",
            "(g.T @ W).T",
            "np.dot(W.T, g)",
            "np.sum(W * g, axis=0, keepdims=True).T",
        ]
    ],
    "pre": [
        ["g * fprime(a)", "g ⊙ f'(a)", "g * (1 - f(a)**2)", "g / np.cosh(a)**2", "fprime(a) * g"]
    ],
    "batch-weight": [
        ["G @ H.T / m", "(1/m) G Hᵀ", "np.dot(G, H.T) / m", "(H @ G.T).T / m"],
        ["lam * W", "λ W"],
    ],
    "row-weight": [["G.T @ X", "(X.T @ G).T", "Gᵀ X", "np.transpose(X.T @ G)"]],
    "row-input": [["G @ W", "(W.T @ G.T).T", "G W", "np.dot(G, W)"]],
    "softmax-ce": [["p", "softmax(z)", "np.exp(z) / np.sum(np.exp(z))"], ["-y", "- y", "(-1) * y"]],
    "linear-weight": [["G.T @ X", "Gᵀ X", "(X.T @ G).T", "np.dot(G.T, X)", "G^T X"]],
    "attention-v": [["P.T @ G", "Pᵀ G", "np.transpose(P) @ G", "(G.T @ P).T", "P^T G"]],
    "attention-p": [["G @ V.T", "G Vᵀ", "np.transpose(V @ G.T)", "np.dot(G, V.T)", "G V^T"]],
    "embedding-weight": [["E.T @ G", "Eᵀ G", "np.transpose(E) @ G", "(G.T @ E).T", "E^T G"]],
}


@st.composite
def algebraic_truths(draw):
    question = draw(st.sampled_from(sorted(QUESTIONS)))
    terms = [draw(st.sampled_from(spellings)) for spellings in SPELLINGS[question]]
    split = draw(st.integers(0, len(terms)))
    if split < len(terms):  # c X + (1 − c) X for one of the terms
        c = draw(st.integers(1, 7)) / 8
        terms[split] = f"{c} * ({terms[split]}) + {1 - c} * ({terms[split]})"
    order = draw(st.permutations(range(len(terms))))
    text = " + ".join(f"({terms[i]})" for i in order)
    if draw(st.booleans()):
        text = f"(({text}).T).T"
    return question, text


@given(algebraic_truths())
def test_an_expression_equal_to_the_truth_by_algebra_passes(case):
    question, text = case
    result = grade(question, text)
    assert result.verdict == PASS, str(result)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_each_problem_grades_against_the_librarys_cost(question):
    # The cost a problem hands to mg.check is Algorithm 6.3's J (the library's forward) at the
    # problem's point, and differs from it elsewhere; problem 0 and square problems included.
    for seed, square in [(0, False), (1, False), (2, False), (1, True)]:
        problem = QUESTIONS[question].draw(seed, square)
        assert problem.cost({problem.label: problem.point}) == pytest.approx(problem.J, rel=1e-13)
        moved = problem.point + 0.1 * np.arange(problem.point.size).reshape(problem.point.shape)
        assert problem.cost({problem.label: moved}) != pytest.approx(problem.J, rel=1e-6)
        if not square:
            assert (
                len(set(problem.point.shape)) == len(problem.point.shape)
                or 1 in problem.point.shape
            )


def test_the_property_helpers_are_the_truth():
    for question, truth in TRUTH.items():
        problem = QUESTIONS[question].problem(3)
        np.testing.assert_allclose(truth(problem.values), problem.truth, rtol=1e-12, atol=1e-15)
        assert grade_function(question, truth).verdict == PASS


# --- the layers' questions ----------------------------------------------------------------


def test_every_embedding_problem_looks_an_index_up_twice():
    # With no repeated index E's nonzero columns are orthonormal: E⁺ = Eᵀ, and an answer that
    # averages the repeats (E⁺ G) would be the truth. A repeat in every problem tells them apart.
    for seed, square in [(seed, False) for seed in range(60)] + [(1, True), (2, True)]:
        problem = QUESTIONS["embedding-weight"].draw(seed, square)
        E, G = problem.values["E"], problem.values["G"]
        assert set(np.unique(E)) == {0.0, 1.0} and np.all(E.sum(axis=1) == 1)
        assert E.sum(axis=0).max() >= 2, seed
        assert not np.allclose(np.linalg.pinv(E) @ G, problem.truth)
    distinct = np.eye(5)[[3, 0, 1]]
    np.testing.assert_allclose(np.linalg.pinv(distinct), distinct.T, atol=1e-12)


def test_attention_weights_are_a_softmax_by_rows():
    for seed in range(5):
        P = QUESTIONS["attention-v"].draw(seed, False).values["P"]
        assert np.all(P > 0)
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


def test_the_layers_questions_read_their_own_capital_names_only():
    # G is each layer's ∂J/∂(output); the column questions' g is not a name here, nor p for P.
    for question, answer in [
        ("attention-v", "Pᵀ g"),
        ("attention-p", "g Vᵀ"),
        ("embedding-weight", "Eᵀ g"),
        ("linear-weight", "gᵀ X"),
        ("attention-v", "pᵀ G"),
    ]:
        result = grade(question, answer)
        assert result.verdict == INVALID, str(result)
        assert "is not a name of this question" in result.message
    assert grade("weight", "G hᵀ + λ W").verdict == INVALID  # and the other way round


def test_the_two_linear_layer_questions_read_differently():
    # Both grade nn.Linear's ∇W J = Gᵀ X; linear-weight is the attention chapter's, with the
    # bias in the cost and its own sizes, row-weight the layouts chapter's hidden layer.
    linear, row = QUESTIONS["linear-weight"], QUESTIONS["row-weight"]
    assert linear.prompt != row.prompt and linear.section != row.section
    assert "d_out × d_in" in linear.prompt and linear.shape == "d_out × d_in"
    assert {s.name for s in linear.symbols} - {s.name for s in row.symbols} == {"b", "m"}
